/*
 * The run report's entry points: dc_prof_report (a file or stdout), dc_prof_view (a stream)
 * and the report at dc_env_destroy with DC_PROFILE (the file opened at dc_env_create, or
 * stderr). Each gathers the data over ranks (lib/prof_collect.c), has rank 0 write it as text
 * (lib/prof_text.c, followed by the placement map of lib/topo.c) or JSON (lib/prof_json.c),
 * and agrees on the outcome so that every rank returns the same code.
 */
#include "dc_impl.h"
#include "prof_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Collective: the report in format to f (rank 0). This rank's code, not agreed. */
static int report_to(dc_env_t *env, dc_prof_format_t format, FILE *f)
{
    dci_prof_report_t *rep = NULL;
    int rc;

    rc = dci_prof_collect(env, &rep);
    if (rc == DC_SUCCESS && env->rank == 0)
        rc = format == DC_PROF_JSON ? dci_prof_write_json(env, rep, f)
                                    : dci_prof_write_text(env, rep, f);
    dci_prof_report_free(rep);
    /* the placement map after the text (collective: every rank, whatever rank 0's outcome) */
    if (format == DC_PROF_TEXT) {
        int trc;
        if (env->rank == 0)
            fprintf(f, "\n");
        trc = dci_topo_view(env, f);
        if (rc == DC_SUCCESS)
            rc = trc;
        if (rc == DC_SUCCESS && env->rank == 0 && (fflush(f) != 0 || ferror(f)))
            rc = DC_ERR(env, DC_ERR_IO, "writing the run report failed: %s", strerror(errno));
    }
    return rc;
}

/* Local: format unknown or not built. */
static int format_check(dc_env_t *env, int format)
{
    if (format != DC_PROF_TEXT && format != DC_PROF_JSON)
        return DC_ERR(env, DC_ERR_ARG, "format %d is not DC_PROF_TEXT (0) or DC_PROF_JSON (1)",
                      format);
    if (format == DC_PROF_JSON && !DC_HAVE_JANSSON)
        return DC_ERR(env, DC_ERR_NOTSUP,
                      "the JSON run report needs jansson: this libdcompute was configured "
                      "without it (Debian: apt-get install libjansson-dev, then configure "
                      "again); the text report works");
    return DC_SUCCESS;
}

int dc_prof_report(dc_env_t *env, dc_prof_format_t format, const char *path)
{
    FILE *f = NULL;
    int64_t v = (int64_t)format;
    int rc;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_CHECK(dci_wd_enter(env, __func__)); /* hang watchdog: one branch when off */
    rc = format_check(env, (int)format);
    if (rc == DC_SUCCESS && env->rank == 0) {
        f = path != NULL ? fopen(path, "w") : stdout;
        if (f == NULL)
            rc = DC_ERR(env, DC_ERR_IO, "cannot open the report file '%s': %s", path,
                        strerror(errno));
    }
    rc = dci_agree(env, rc);
    if (rc == DC_SUCCESS)
        rc = dci_check_same(env, DC_ERR_ARG, &v, 1, "the report format");
    if (rc == DC_SUCCESS)
        rc = report_to(env, format, f);
    if (f != NULL && f != stdout && fclose(f) != 0 && rc == DC_SUCCESS)
        rc = DC_ERR(env, DC_ERR_IO, "closing the report file '%s' failed: %s", path,
                    strerror(errno));
    return dci_agree(env, rc);
}

int dc_prof_view(dc_env_t *env, FILE *f)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_CHECK(dci_wd_enter(env, __func__)); /* hang watchdog: one branch when off */
    return dci_agree(env, report_to(env, DC_PROF_TEXT, f != NULL ? f : stdout));
}

int dci_prof_print_at_destroy(dc_env_t *env)
{
    dci_prof_t *p = &env->prof;
    FILE *f = p->report != NULL ? p->report : stderr;
    int rc;

    rc = dci_wd_enter(env, "dc_env_destroy");
    if (rc == DC_SUCCESS)
        rc = report_to(env, env->opts.profile == 2 ? DC_PROF_JSON : DC_PROF_TEXT, f);
    if (p->report != NULL) {
        if (fclose(p->report) != 0 && rc == DC_SUCCESS)
            rc = DC_ERR(env, DC_ERR_IO, "closing the profile file '%s' failed: %s",
                        env->opts.profile_file, strerror(errno));
        p->report = NULL;
    }
    return dci_agree(env, rc);
}
