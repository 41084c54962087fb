/*
 * The run report: the profile table (prof.c) followed by the placement map (topo.c), on
 * request (dc_prof_view) and at dc_env_destroy with DC_PROFILE=1. Composing the two here keeps
 * the profiler independent of the topology module.
 */
#include "dc_impl.h"

#include <stdio.h>

int dc_prof_view(dc_env_t *env, FILE *f)
{
    int rc;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_CHECK(dci_wd_enter(env, __func__)); /* hang watchdog: one branch when off */
    if (f == NULL)
        f = stdout;
    rc = dci_prof_table(env, f);
    if (rc == DC_SUCCESS)
        rc = dci_topo_view(env, f);
    return rc;
}

int dci_prof_print_at_destroy(dc_env_t *env)
{
    FILE *f = stderr;
    int rc, opened = 0;

    if (env->rank == 0 && env->opts.profile_file[0] != '\0') {
        f = fopen(env->opts.profile_file, "w");
        if (f == NULL)
            f = stderr;
        else
            opened = 1;
    }
    rc = dc_prof_view(env, f);
    if (opened)
        fclose(f);
    return rc;
}
