/*
 * Temporary stand-in until the geometric multigrid lands: DC_PC_MG is not supported yet and
 * says so on every rank (DC_ERR_NOTSUP). The real implementation replaces this file.
 */
#include "op_impl.h"

int dci_mg_create(dc_op_t *op, const dc_solver_params_t *prm, dc_repro_t mode, dci_mg_t **mg_p)
{
    int rc;

    (void)prm;
    (void)mode;
    (void)mg_p;
    rc = DC_ERR(op->hdr.env, DC_ERR_NOTSUP, "DC_PC_MG: geometric multigrid is not available yet");
    return dci_agree(op->hdr.env, rc);
}

int dci_mg_apply(dci_mg_t *mg, const dc_vec_t *r, dc_vec_t *z)
{
    (void)mg;
    (void)r;
    (void)z;
    return DC_ERR_NOTSUP;
}

int dci_mg_levels(const dci_mg_t *mg)
{
    (void)mg;
    return 0;
}

void dci_mg_destroy(dci_mg_t *mg)
{
    (void)mg;
}
