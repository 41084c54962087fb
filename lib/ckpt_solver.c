/*
 * A running solve's iteration state in a checkpoint (dc_ckpt_write_solver / _read_solver), on
 * top of the public object calls: group <name>/ holds "info" (int64: format, solver type,
 * preconditioner, global size, reproducibility mode, iteration, reason, vector count),
 * "scalars" (||b||, ||r_0||, then the method's), "history" (||r_0||..||r_it||), the iterate "x"
 * and the recurrence vectors by their names in lib/op_impl.h, and a text "description".
 * Vectors of a mesh operator are stored as mesh fields (natural order), others as vectors (the
 * layout's order): either is read back on any rank count.
 */
#include "op_impl.h"

#include <dcompute/dc_ckpt.h>

#include <limits.h>
#include <stdio.h>
#include <string.h>

#define FORMAT    1
#define NAME_MAX_ 240 /* room for "<name>/" and the longest member */

enum { I_FORMAT, I_TYPE, I_PC, I_N, I_MODE, I_IT, I_REASON, I_NVEC, I_COUNT };

static const char *const type_names[] = {"CG", "PIPECG"};
static const char *const pc_names[] = {"none", "Jacobi", "MG", "shell"};
static const char *const mode_names[] = {"off", "binned", "exact"};

/* "<name>/<member>" into buf (NAME_MAX_ + 16 bytes); name checked by the caller. */
static const char *member(char *buf, const char *name, const char *m)
{
    snprintf(buf, NAME_MAX_ + 16, "%s/%s", name, m);
    return buf;
}

static int check_name(dc_env_t *env, const char *name)
{
    if (name == NULL)
        return DC_ERR(env, DC_ERR_ARG, "name is NULL");
    if (name[0] == '\0' || strlen(name) > NAME_MAX_)
        return DC_ERR(env, DC_ERR_ARG, "name '%.40s' is empty or longer than %d characters", name,
                      NAME_MAX_);
    return DC_SUCCESS;
}

static const char *type_str(int64_t v)
{
    return v >= 0 && v < 2 ? type_names[v] : "?";
}

static const char *pc_str(int64_t v)
{
    return v >= 0 && v < 4 ? pc_names[v] : "?";
}

static const char *mode_str(int64_t v)
{
    return v >= 0 && v < 3 ? mode_names[v] : "?";
}

int dc_ckpt_write_solver(dc_ckpt_t *ckpt, const char *name, const dc_solver_t *solver)
{
    dc_env_t *env;
    dci_solver_state_t st;
    char buf[NAME_MAX_ + 16], text[256];
    int64_t info[I_COUNT];
    double sc[2 + DCI_SST_NSCAL];
    int rc, i;

    DC_VALIDATE(solver, DCI_CLASS_SOLVER);
    env = ((const dci_obj_t *)solver)->env;
    rc = check_name(env, name);
    if (rc == DC_SUCCESS)
        rc = dci_solver_state_get(solver, &st);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        return rc;
    info[I_FORMAT] = FORMAT;
    info[I_TYPE] = st.type;
    info[I_PC] = st.pc;
    info[I_N] = st.n;
    info[I_MODE] = st.mode;
    info[I_IT] = st.it;
    info[I_REASON] = st.reason;
    info[I_NVEC] = st.nvec;
    sc[0] = st.bnorm;
    sc[1] = st.rnorm0;
    for (i = 0; i < st.nscal; i++)
        sc[2 + i] = st.scal[i];
    snprintf(text, sizeof(text),
             "libdcompute solver state (format %d): %s, preconditioner %s, %lld unknowns, "
             "reproducibility %s, iteration %d, ||r|| = %.17g",
             FORMAT, type_str(st.type), pc_str(st.pc), (long long)st.n, mode_str(st.mode), st.it,
             st.hist[st.it]);
    DC_CHECK(dc_ckpt_write_data(ckpt, member(buf, name, "info"), DC_TYPE_INT64, I_COUNT, info));
    DC_CHECK(dc_ckpt_write_blob(ckpt, member(buf, name, "description"), text, strlen(text)));
    DC_CHECK(dc_ckpt_write_data(ckpt, member(buf, name, "scalars"), DC_TYPE_DOUBLE,
                                (size_t)(2 + st.nscal), sc));
    DC_CHECK(dc_ckpt_write_data(ckpt, member(buf, name, "history"), DC_TYPE_DOUBLE,
                                (size_t)st.it + 1, st.hist));
    for (i = 0; i < st.nvec; i++) {
        member(buf, name, st.vname[i]);
        if (st.mesh != NULL) /* natural order: read back on any process grid */
            DC_CHECK(dc_ckpt_write_mesh_field(ckpt, buf, st.mesh, st.vec[i]));
        else
            DC_CHECK(dc_ckpt_write_vec(ckpt, buf, st.vec[i]));
    }
    return DC_SUCCESS;
}

int dc_ckpt_read_solver(dc_ckpt_t *ckpt, const char *name, dc_solver_t *solver)
{
    dc_env_t *env;
    dci_solver_state_t d, st;
    char buf[NAME_MAX_ + 16];
    int64_t info[I_COUNT];
    double sc[2 + DCI_SST_NSCAL];
    int rc, i;

    DC_VALIDATE(solver, DCI_CLASS_SOLVER);
    env = ((const dci_obj_t *)solver)->env;
    DC_CHECK(dci_agree(env, check_name(env, name)));
    DC_CHECK(dc_ckpt_read_data(ckpt, member(buf, name, "info"), DC_TYPE_INT64, I_COUNT, info));
    /* the same values on every rank: every rank takes the same branch */
    dci_solver_state_describe(solver, &d);
    rc = DC_SUCCESS;
    if (info[I_FORMAT] != FORMAT)
        rc = DC_ERR(env, DC_ERR_ARG, "'%s' is not a solver state of format %d (format %lld)", name,
                    FORMAT, (long long)info[I_FORMAT]);
    else if (info[I_TYPE] != d.type || info[I_PC] != d.pc || info[I_N] != d.n ||
             info[I_MODE] != d.mode || info[I_NVEC] != d.nvec)
        rc = DC_ERR(env, DC_ERR_ARG,
                    "'%s' holds the state of a %s solver, preconditioner %s, on %lld unknowns, "
                    "reproducibility %s; this solver is %s, %s, %lld unknowns, %s",
                    name, type_str(info[I_TYPE]), pc_str(info[I_PC]), (long long)info[I_N],
                    mode_str(info[I_MODE]), type_str(d.type), pc_str(d.pc), (long long)d.n,
                    mode_str(d.mode));
    else if (info[I_IT] < 0 || info[I_IT] >= INT_MAX || info[I_REASON] < -3 || info[I_REASON] > 2)
        rc = DC_ERR(env, DC_ERR_CORRUPT, "'%s': iteration %lld or reason %lld out of range", name,
                    (long long)info[I_IT], (long long)info[I_REASON]);
    DC_CHECK(dci_agree(env, rc));
    DC_CHECK(dci_solver_state_load_begin(solver, (int)info[I_IT], &st));
    DC_CHECK(dc_ckpt_read_data(ckpt, member(buf, name, "scalars"), DC_TYPE_DOUBLE,
                               (size_t)(2 + st.nscal), sc));
    DC_CHECK(dc_ckpt_read_data(ckpt, member(buf, name, "history"), DC_TYPE_DOUBLE,
                               (size_t)st.it + 1, st.hist));
    for (i = 0; i < st.nvec; i++) {
        member(buf, name, st.vname[i]);
        if (st.mesh != NULL)
            DC_CHECK(dc_ckpt_read_mesh_field(ckpt, buf, st.mesh, st.vec[i]));
        else
            DC_CHECK(dc_ckpt_read_vec(ckpt, buf, st.vec[i]));
    }
    st.reason = (int)info[I_REASON];
    st.bnorm = sc[0];
    st.rnorm0 = sc[1];
    for (i = 0; i < st.nscal; i++)
        st.scal[i] = sc[2 + i];
    dci_solver_state_load_end(solver, &st);
    return DC_SUCCESS;
}
