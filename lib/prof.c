/*
 * Always-on cheap profiling (the PETSc -log_view pattern): static event ids, begin/end cost one
 * predictable branch when off. The view reduces count/time/bytes over ranks with a handful of
 * MPI_Reduce calls and prints, on rank 0, min/avg/max time, the slowest rank and the imbalance.
 */
#include "dc_impl.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const ev_names[DCI_EV_COUNT] = {
#define DCI_EVENT(id, name) [DCI_EV_##id] = name,
#include "dc_events.h"
#undef DCI_EVENT
};

double dci_wtime(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void dci_prof_begin_slow(dc_env_t *env, dci_event_t ev)
{
    /* Nested calls of the same event (dc_vec_dot inside itself never happens, but a public
     * call made from another one does) count once, at the outermost level. */
    if (env->prof.depth[ev]++ == 0)
        env->prof.t0[ev] = dci_wtime();
}

void dci_prof_end_slow(dc_env_t *env, dci_event_t ev, size_t bytes)
{
    if (env->prof.depth[ev] <= 0)
        return; /* profiling was switched on between begin and end */
    if (--env->prof.depth[ev] == 0) {
        env->prof.time[ev] += dci_wtime() - env->prof.t0[ev];
        env->prof.calls[ev]++;
        env->prof.bytes[ev] += bytes;
    }
}

int dc_prof_set_enabled(dc_env_t *env, int on)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    env->prof.on = on != 0;
    return DC_SUCCESS;
}

int dc_prof_reset(dc_env_t *env)
{
    int on;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    on = env->prof.on;
    memset(&env->prof, 0, sizeof(env->prof));
    env->prof.on = on;
    return DC_SUCCESS;
}

int dc_prof_get_event(const dc_env_t *env, const char *name, uint64_t *calls_p, double *seconds_p,
                      uint64_t *bytes_p)
{
    int i;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_REQUIRE((dc_env_t *)env, name != NULL, DC_ERR_ARG, "name is NULL");
    for (i = 0; i < DCI_EV_COUNT; i++) {
        if (strcmp(ev_names[i], name) == 0) {
            if (calls_p)
                *calls_p = env->prof.calls[i];
            if (seconds_p)
                *seconds_p = env->prof.time[i];
            if (bytes_p)
                *bytes_p = env->prof.bytes[i];
            return DC_SUCCESS;
        }
    }
    return DC_ERR((dc_env_t *)env, DC_ERR_ARG, "no operation named \"%s\"", name);
}

/* The table of events (collective; printed on rank 0); dc_prof_view adds the placement. */
int dci_prof_table(dc_env_t *env, FILE *f)
{
    struct {
        double v;
        int r;
    } tmax_in[DCI_EV_COUNT], tmax[DCI_EV_COUNT];
    double tmin[DCI_EV_COUNT], tsum[DCI_EV_COUNT];
    uint64_t calls[DCI_EV_COUNT], bytes[DCI_EV_COUNT];
    int i, rc = DC_SUCCESS;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    if (f == NULL)
        f = stdout;
    for (i = 0; i < DCI_EV_COUNT; i++) {
        tmax_in[i].v = env->prof.time[i];
        tmax_in[i].r = env->rank;
    }
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(env->prof.time, tmin, DCI_EV_COUNT, MPI_DOUBLE, MPI_MIN, 0, env->comm),
        out);
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(env->prof.time, tsum, DCI_EV_COUNT, MPI_DOUBLE, MPI_SUM, 0, env->comm),
        out);
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(tmax_in, tmax, DCI_EV_COUNT, MPI_DOUBLE_INT, MPI_MAXLOC, 0, env->comm),
        out);
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(env->prof.calls, calls, DCI_EV_COUNT, MPI_UINT64_T, MPI_SUM, 0, env->comm),
        out);
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(env->prof.bytes, bytes, DCI_EV_COUNT, MPI_UINT64_T, MPI_SUM, 0, env->comm),
        out);
    if (env->rank == 0) {
        fprintf(f, "libdcompute profile: %d rank(s), reproducibility %s\n", env->size,
                env->opts.repro == DC_REPRO_EXACT    ? "exact"
                : env->opts.repro == DC_REPRO_BINNED ? "binned"
                                                     : "off");
        fprintf(f, "%-20s %10s %12s %11s %11s %11s %7s %9s\n", "operation", "calls/rank",
                "bytes/rank", "min [s]", "avg [s]", "max [s]", "slowest", "max/avg");
        for (i = 0; i < DCI_EV_COUNT; i++) {
            double avg = tsum[i] / env->size;
            if (calls[i] == 0)
                continue;
            fprintf(f, "%-20s %10.1f %12.4g %11.4e %11.4e %11.4e %7d %9.3f\n", ev_names[i],
                    (double)calls[i] / env->size, (double)bytes[i] / env->size, tmin[i], avg,
                    tmax[i].v, tmax[i].r, avg > 0 ? tmax[i].v / avg : 1.0);
        }
    }
out:
    return rc;
}
