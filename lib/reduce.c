/*
 * Collective reductions (MINIMAL VERSION, being replaced by the full module).
 */
#include "dc_impl.h"

int dci_reduce_env_setup(dc_env_t *env)
{
    int i;

    for (i = 0; i < DCI_MAX_USER_OPS; i++)
        env->user_op[i] = MPI_OP_NULL;
    return DC_SUCCESS;
}

void dci_reduce_env_free(dc_env_t *env)
{
    (void)env;
}
