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
    dci_prof_t *p = &env->prof;

    /* Nested calls of the same event (dc_vec_dot inside itself never happens, but a public
     * call made from another one does) count once, at the outermost level. */
    if (p->depth[ev]++ == 0)
        p->t0[ev] = dci_wtime();
    if (p->nstack < DCI_PROF_STACK)
        p->stack[p->nstack] = (int)ev;
    p->nstack++;
}

void dci_prof_end_slow(dc_env_t *env, dci_event_t ev, size_t bytes)
{
    dci_prof_t *p = &env->prof;

    if (p->depth[ev] <= 0)
        return; /* profiling was switched on between begin and end */
    if (p->nstack > 0)
        p->nstack--;
    if (--p->depth[ev] == 0) {
        p->ev[ev].time += dci_wtime() - p->t0[ev];
        p->ev[ev].calls++;
        p->ev[ev].mem += bytes;
    }
}

/* The innermost open operation, or NULL outside every operation. */
static dci_prof_ev_t *prof_current(dci_prof_t *p)
{
    int i = p->nstack < DCI_PROF_STACK ? p->nstack : DCI_PROF_STACK;

    return i > 0 ? &p->ev[p->stack[i - 1]] : NULL;
}

void dci_prof_mpi_end_slow(dc_env_t *env, double t0)
{
    dci_prof_ev_t *e = prof_current(&env->prof);
    double dt;

    if (t0 <= 0.0)
        return; /* profiling was switched on after dci_prof_mpi_begin */
    dt = dci_wtime() - t0;
    env->prof.comm += dt;
    if (e != NULL)
        e->comm += dt;
}

void dci_prof_msg_slow(dc_env_t *env, int peer, size_t sbytes, size_t rbytes, int smsgs, int rmsgs)
{
    dci_prof_t *p = &env->prof;
    dci_prof_ev_t *e = prof_current(p);

    if (e != NULL) {
        e->sbytes += sbytes;
        e->rbytes += rbytes;
        e->smsgs += (uint64_t)smsgs;
        e->rmsgs += (uint64_t)rmsgs;
    }
    if (peer >= 0 && peer < env->size && p->peer_sent != NULL) {
        p->peer_sent[peer] += sbytes;
        p->peer_recv[peer] += rbytes;
    }
}

void dci_prof_flops_slow(dc_env_t *env, double flops)
{
    dci_prof_ev_t *e = prof_current(&env->prof);

    if (e != NULL)
        e->flops += flops;
}

void dci_prof_sync_slow(dc_env_t *env)
{
    dci_prof_t *p = &env->prof;
    dci_prof_ev_t *e;
    double t0, dt;

    if (!p->sync || p->sync_comm == MPI_COMM_NULL)
        return;
    t0 = dci_wtime();
    if (MPI_Barrier(p->sync_comm) != MPI_SUCCESS)
        return; /* the collective itself will report the failure */
    dt = dci_wtime() - t0;
    p->wait += dt;
    e = prof_current(p);
    if (e != NULL)
        e->wait += dt;
}

int dci_prof_init(dc_env_t *env)
{
    dci_prof_t *p = &env->prof;
    int rc = DC_SUCCESS;

    p->t_create = dci_wtime();
    p->on = env->opts.profile != 0 || env->opts.trace[0] != '\0';
    p->sync = env->opts.profile != 0 && env->opts.profile_sync != 0;
    /* The wait barrier's communicator only when profiling from the start: dc_prof_set_enabled
     * is local and cannot duplicate a communicator (wait is then not measured). First, so that
     * every rank reaches this collective; the caller agrees on the outcome. */
    if (p->sync)
        DC_CHECK_MPI(env, MPI_Comm_dup(env->comm, &p->sync_comm));
    DC_CHECK(dci_calloc(env, (size_t)env->size, sizeof(uint64_t), (void **)&p->peer_sent));
    DC_CHECK(dci_calloc(env, (size_t)env->size, sizeof(uint64_t), (void **)&p->peer_recv));
    return rc;
}

void dci_prof_fini(dc_env_t *env)
{
    dci_prof_t *p = &env->prof;

    if (p->sync_comm != MPI_COMM_NULL)
        MPI_Comm_free(&p->sync_comm);
    dci_free(p->peer_sent);
    dci_free(p->peer_recv);
    p->peer_sent = p->peer_recv = NULL;
}

int dc_prof_set_enabled(dc_env_t *env, int on)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    env->prof.on = on != 0;
    return DC_SUCCESS;
}

int dc_prof_reset(dc_env_t *env)
{
    dci_prof_t *p;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    p = &env->prof;
    memset(p->ev, 0, sizeof(p->ev));
    memset(p->depth, 0, sizeof(p->depth));
    p->nstack = 0;
    p->comm = p->wait = 0.0;
    if (p->peer_sent != NULL) {
        memset(p->peer_sent, 0, (size_t)env->size * sizeof(uint64_t));
        memset(p->peer_recv, 0, (size_t)env->size * sizeof(uint64_t));
    }
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
                *calls_p = env->prof.ev[i].calls;
            if (seconds_p)
                *seconds_p = env->prof.ev[i].time;
            if (bytes_p)
                *bytes_p = env->prof.ev[i].mem;
            return DC_SUCCESS;
        }
    }
    return DC_ERR((dc_env_t *)env, DC_ERR_ARG, "no operation named \"%s\"", name);
}

static int prof_find(const char *name)
{
    int i;

    for (i = 0; i < DCI_EV_COUNT; i++)
        if (strcmp(ev_names[i], name) == 0)
            return i;
    return -1;
}

int dc_prof_get_stats(const dc_env_t *env, const char *name, dc_prof_stats_t *stats)
{
    const dci_prof_ev_t *e;
    int i;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_REQUIRE((dc_env_t *)env, name != NULL, DC_ERR_ARG, "name is NULL");
    DC_REQUIRE((dc_env_t *)env, stats != NULL, DC_ERR_ARG, "stats is NULL");
    i = prof_find(name);
    if (i < 0)
        return DC_ERR((dc_env_t *)env, DC_ERR_ARG, "no operation named \"%s\"", name);
    e = &env->prof.ev[i];
    stats->calls = e->calls;
    stats->seconds = e->time;
    stats->comm_seconds = e->comm;
    stats->wait_seconds = e->wait;
    stats->bytes_sent = e->sbytes;
    stats->bytes_recv = e->rbytes;
    stats->msgs_sent = e->smsgs;
    stats->msgs_recv = e->rmsgs;
    stats->flops = e->flops;
    return DC_SUCCESS;
}

int dc_prof_get_peer_bytes(const dc_env_t *env, int peer, uint64_t *sent_p, uint64_t *recv_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_REQUIRE((dc_env_t *)env, peer >= 0 && peer < env->size, DC_ERR_ARG,
               "peer %d is not a rank of the env (size %d)", peer, env->size);
    if (sent_p)
        *sent_p = env->prof.peer_sent != NULL ? env->prof.peer_sent[peer] : 0;
    if (recv_p)
        *recv_p = env->prof.peer_recv != NULL ? env->prof.peer_recv[peer] : 0;
    return DC_SUCCESS;
}

/* The table of events (collective; printed on rank 0); dc_prof_view adds the placement. */
int dci_prof_table(dc_env_t *env, FILE *f)
{
    struct {
        double v;
        int r;
    } tmax_in[DCI_EV_COUNT], tmax[DCI_EV_COUNT];
    double tmin[DCI_EV_COUNT], tsum[DCI_EV_COUNT];
    double mytime[DCI_EV_COUNT];
    uint64_t mycalls[DCI_EV_COUNT], mybytes[DCI_EV_COUNT];
    uint64_t calls[DCI_EV_COUNT], bytes[DCI_EV_COUNT];
    int i, rc = DC_SUCCESS;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    if (f == NULL)
        f = stdout;
    for (i = 0; i < DCI_EV_COUNT; i++) {
        mytime[i] = env->prof.ev[i].time;
        mycalls[i] = env->prof.ev[i].calls;
        mybytes[i] = env->prof.ev[i].sbytes + env->prof.ev[i].rbytes;
        tmax_in[i].v = mytime[i];
        tmax_in[i].r = env->rank;
    }
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(mytime, tmin, DCI_EV_COUNT, MPI_DOUBLE, MPI_MIN, 0, env->comm), out);
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(mytime, tsum, DCI_EV_COUNT, MPI_DOUBLE, MPI_SUM, 0, env->comm), out);
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(tmax_in, tmax, DCI_EV_COUNT, MPI_DOUBLE_INT, MPI_MAXLOC, 0, env->comm),
        out);
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(mycalls, calls, DCI_EV_COUNT, MPI_UINT64_T, MPI_SUM, 0, env->comm), out);
    DC_CHECK_MPI_GOTO(
        env, MPI_Reduce(mybytes, bytes, DCI_EV_COUNT, MPI_UINT64_T, MPI_SUM, 0, env->comm), out);
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
