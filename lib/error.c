/*
 * Error codes, their names, and the per-env last-error message. Messages carry the function,
 * file:line and cause; for agreed errors (dci_agree) the failing rank. There is no global error
 * state: an error without an env (NULL handle) goes to a thread-local buffer.
 */
#include "dc_impl.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char dci_noenv_errbuf[DCI_ERRBUF];

const char *dc_strerror(int code)
{
    switch (code) {
    case DC_SUCCESS: return "success";
    case DC_INPROGRESS: return "operation in progress";
    case DC_ERR_ARG: return "invalid argument";
    case DC_ERR_NOMEM: return "out of memory";
    case DC_ERR_STATE: return "call not allowed in the object's current state";
    case DC_ERR_SIZE: return "invalid or mismatched size";
    case DC_ERR_COMM: return "objects from different environments or unusable communicator";
    case DC_ERR_MPI: return "MPI error";
    case DC_ERR_TOPO: return "topology or binding error";
    case DC_ERR_BLAS: return "BLAS error";
    case DC_ERR_IO: return "input/output error";
    case DC_ERR_NOTSUP: return "operation not supported";
    case DC_ERR_INTERNAL: return "internal error";
    default: return "unknown error";
    }
}

const char *dc_env_last_error(const dc_env_t *env)
{
    if (env == NULL || env->hdr.magic != DCI_CLASS_ENV)
        return dci_noenv_errbuf;
    return env->errbuf;
}

static char *errbuf_of(dc_env_t *env)
{
    return (env != NULL && env->hdr.magic == DCI_CLASS_ENV) ? env->errbuf : dci_noenv_errbuf;
}

int dci_error_set(dc_env_t *env, int code, const char *func, const char *file, int line,
                  const char *fmt, ...)
{
    char *buf = errbuf_of(env);
    const char *base = strrchr(file, '/');
    int len;
    va_list ap;

    len = snprintf(buf, DCI_ERRBUF, "%s (%s:%d): %s: ", func, base ? base + 1 : file, line,
                   dc_strerror(code));
    if (len < 0 || len >= DCI_ERRBUF)
        return code;
    va_start(ap, fmt);
    vsnprintf(buf + len, DCI_ERRBUF - (size_t)len, fmt, ap);
    va_end(ap);
    return code;
}

int dci_error_mpi(dc_env_t *env, int mpirc, const char *func, const char *file, int line,
                  const char *what)
{
    char msg[MPI_MAX_ERROR_STRING];
    int len = 0;

    if (MPI_Error_string(mpirc, msg, &len) != MPI_SUCCESS)
        snprintf(msg, sizeof(msg), "MPI error code %d", mpirc);
    return dci_error_set(env, DC_ERR_MPI, func, file, line, "%s failed: %s", what, msg);
}

int dci_agree(dc_env_t *env, int rc)
{
    int in[2], out[2], mrc;

    /* MPI_MINLOC on (rc, rank): the most negative code wins, then the lowest rank with it. */
    in[0] = rc;
    in[1] = env->rank;
    mrc = MPI_Allreduce(in, out, 1, MPI_2INT, MPI_MINLOC, env->comm);
    if (mrc != MPI_SUCCESS)
        return DC_ERR_MPI_RC(env, mrc, "agreement on the outcome (MPI_Allreduce)");
    if (out[0] == DC_SUCCESS)
        return DC_SUCCESS;
    /* Errors are rare: one more broadcast gives every rank the failing rank's message. */
    {
        char msg[DCI_ERRBUF];
        if (env->rank == out[1])
            memcpy(msg, env->errbuf, sizeof(msg));
        if (MPI_Bcast(msg, (int)sizeof(msg), MPI_CHAR, out[1], env->comm) == MPI_SUCCESS) {
            msg[sizeof(msg) - 1] = '\0';
            /* a message agreed before already names its rank */
            if (env->rank != out[1] && strncmp(msg, "on rank ", 8) == 0)
                memcpy(env->errbuf, msg, sizeof(msg));
            else if (env->rank != out[1])
                snprintf(env->errbuf, sizeof(env->errbuf), "on rank %d: %s", out[1], msg);
        }
    }
    return out[0];
}

int dci_check_same(dc_env_t *env, int code, const int64_t *vals, int nvals, const char *what)
{
    int64_t buf[16] = {0}, res[16] = {0};
    int i, mrc, rc = DC_SUCCESS;

    if (nvals > 8)
        return DC_ERR(env, DC_ERR_INTERNAL, "dci_check_same: too many values");
    /* max of v and of -v in one allreduce: equal everywhere iff max(v) == -max(-v). */
    for (i = 0; i < nvals; i++) {
        buf[i] = vals[i];
        buf[nvals + i] = vals[i] == INT64_MIN ? INT64_MAX : -vals[i];
    }
    mrc = MPI_Allreduce(buf, res, 2 * nvals, MPI_INT64_T, MPI_MAX, env->comm);
    if (mrc != MPI_SUCCESS)
        return DC_ERR_MPI_RC(env, mrc, "debug consistency check (MPI_Allreduce)");
    for (i = 0; i < nvals; i++) {
        if (res[i] != -res[nvals + i]) {
            rc = DC_ERR(env, code, "%s differs across ranks (debug check; min %lld, max %lld)",
                        what, (long long)-res[nvals + i], (long long)res[i]);
            break;
        }
    }
    return rc;
}
