/*
 * Diagnostics for developers. The library never prints unless DC_VERBOSE asks for it.
 */
#include "dc_impl.h"

#include <stdio.h>

void dci_log(const dc_env_t *env, int level, const char *fmt, ...)
{
    va_list ap;

    if (env == NULL || env->opts.verbose < level)
        return;
    fprintf(stderr, "[dcompute %d] ", env->rank);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
