/*
 * Error codes, their names, and the per-env last-error message. Messages carry the function,
 * file:line and cause; for agreed errors (lib/agree.c) the failing rank. There is no global error
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
    case DC_ERR_CORRUPT: return "corrupt or truncated data";
    case DC_ERR_TIMEOUT: return "timed out waiting for other ranks";
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

void dci_error_keep(const dc_env_t *env, const char *func)
{
    int len = 0;

    if (strstr(env->errbuf, func) == NULL)
        len = snprintf(dci_noenv_errbuf, DCI_ERRBUF, "%s: ", func);
    if (len >= 0 && len < DCI_ERRBUF)
        memccpy(dci_noenv_errbuf + len, env->errbuf, '\0', DCI_ERRBUF - (size_t)len);
    dci_noenv_errbuf[DCI_ERRBUF - 1] = '\0';
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
