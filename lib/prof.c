/*
 * Always-on cheap profiling (the PETSc -log_view pattern): static event ids, begin/end cost one
 * predictable branch when off. This file holds the counters of this rank (per operation, per
 * peer, time inside the library) and their slow-path hooks; user regions are in
 * lib/prof_region.c, the run report in lib/prof_collect.c and its writers.
 */
#include "dc_impl.h"
#include "prof_impl.h"
#include "trace.h"

#include <errno.h>
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

const char *dci_prof_event_name(int ev)
{
    return ev >= 0 && ev < DCI_EV_COUNT ? ev_names[ev] : "?";
}

void dci_prof_begin_slow(dc_env_t *env, dci_event_t ev)
{
    dci_prof_t *p = &env->prof;
    double now = dci_wtime();

    /* Nested calls of the same event (dc_vec_dot inside itself never happens, but a public
     * call made from another one does) count once, at the outermost level. */
    if (p->depth[ev]++ == 0)
        p->t0[ev] = now;
    if (p->nstack == 0)
        p->lib_t0 = now; /* entering the library */
    if (p->nstack < DCI_PROF_STACK)
        p->stack[p->nstack] = (int)ev;
    p->nstack++;
    if (p->trace != NULL)
        dci_trace_op_begin(env, (int)ev);
}

void dci_prof_end_slow(dc_env_t *env, dci_event_t ev, size_t bytes)
{
    dci_prof_t *p = &env->prof;
    double now;

    if (p->trace != NULL)
        dci_trace_op_end(env, (int)ev);
    if (p->depth[ev] <= 0)
        return; /* profiling was switched on between begin and end */
    now = dci_wtime();
    if (p->nstack > 0 && --p->nstack == 0)
        p->lib_time += now - p->lib_t0; /* leaving the library */
    if (--p->depth[ev] == 0) {
        dci_prof_ev_t *r = dci_region_ev(p, ev);
        double dt = now - p->t0[ev];
        p->ev[ev].time += dt;
        p->ev[ev].calls++;
        p->ev[ev].mem += bytes;
        if (r != NULL) { /* the innermost user region's table */
            r->time += dt;
            r->calls++;
            r->mem += bytes;
        }
    }
}

/* The innermost open operation, or -1 outside every operation. */
static int prof_current(const dci_prof_t *p)
{
    int i = p->nstack < DCI_PROF_STACK ? p->nstack : DCI_PROF_STACK;

    return i > 0 ? p->stack[i - 1] : -1;
}

void dci_prof_mpi_end_slow(dc_env_t *env, double t0)
{
    dci_prof_t *p = &env->prof;
    int ev = prof_current(p);
    double dt;

    if (t0 <= 0.0)
        return; /* profiling was switched on after dci_prof_mpi_begin */
    dt = dci_wtime() - t0;
    p->comm += dt;
    if (ev >= 0) {
        dci_prof_ev_t *r = dci_region_ev(p, ev);
        p->ev[ev].comm += dt;
        if (r != NULL)
            r->comm += dt;
    }
}

static void ev_msg(dci_prof_ev_t *e, size_t sbytes, size_t rbytes, int smsgs, int rmsgs)
{
    e->sbytes += sbytes;
    e->rbytes += rbytes;
    e->smsgs += (uint64_t)smsgs;
    e->rmsgs += (uint64_t)rmsgs;
}

void dci_prof_msg_slow(dc_env_t *env, int peer, size_t sbytes, size_t rbytes, int smsgs, int rmsgs)
{
    dci_prof_t *p = &env->prof;
    int ev = prof_current(p);

    if (ev >= 0) {
        dci_prof_ev_t *r = dci_region_ev(p, ev);
        ev_msg(&p->ev[ev], sbytes, rbytes, smsgs, rmsgs);
        if (r != NULL)
            ev_msg(r, sbytes, rbytes, smsgs, rmsgs);
    }
    if (peer >= 0 && peer < env->size && p->peer_sent != NULL) {
        p->peer_sent[peer] += sbytes;
        p->peer_recv[peer] += rbytes;
    }
}

void dci_prof_flops_slow(dc_env_t *env, double flops)
{
    dci_prof_t *p = &env->prof;
    int ev = prof_current(p);

    if (ev >= 0) {
        dci_prof_ev_t *r = dci_region_ev(p, ev);
        p->ev[ev].flops += flops;
        if (r != NULL)
            r->flops += flops;
    }
}

void dci_prof_sync_slow(dc_env_t *env)
{
    dci_prof_t *p = &env->prof;
    dci_prof_ev_t *r = NULL;
    double t0, dt;
    uint64_t seq;
    int ev, sample;

    if (!p->sync || p->sync_comm == MPI_COMM_NULL)
        return;
    ev = prof_current(p);
    seq = p->sync_seq[ev >= 0 ? ev : DCI_EV_COUNT]++;
    sample = seq % (uint64_t)p->sync == 0;
    if (ev >= 0) {
        r = dci_region_ev(p, ev);
        p->ev[ev].centries++;
        if (r != NULL)
            r->centries++;
    }
    if (!sample)
        return;
    t0 = dci_wtime();
    if (MPI_Barrier(p->sync_comm) != MPI_SUCCESS)
        return; /* the collective itself will report the failure */
    dt = dci_wtime() - t0;
    p->wait += dt;
    if (ev >= 0) {
        p->ev[ev].wait += dt;
        p->ev[ev].csampled++;
        if (r != NULL) {
            r->wait += dt;
            r->csampled++;
        }
    }
}

void dci_prof_ev_est(const dci_prof_ev_t *e, double *comm_p, double *wait_p)
{
    double extra = 0.0;

    if (e->csampled > 0 && e->csampled < e->centries) {
        extra = e->wait * (double)(e->centries - e->csampled) / (double)e->csampled;
        if (extra > e->comm)
            extra = e->comm; /* the waiting of the others was inside their comm time */
    }
    *comm_p = e->comm - extra;
    *wait_p = e->wait + extra;
}

int dci_prof_init(dc_env_t *env)
{
    dci_prof_t *p = &env->prof;
    int rc = DC_SUCCESS;

    p->t_create = p->t_zero = dci_wtime();
    p->on = env->opts.profile != 0 || env->opts.trace[0] != '\0';
    p->sync = env->opts.profile != 0 ? env->opts.profile_sync : 0;
    /* The wait barrier's communicator only when profiling from the start: dc_prof_set_enabled
     * is local and cannot duplicate a communicator (wait is then not measured). First, so that
     * every rank reaches this collective; the caller agrees on the outcome. */
    if (p->sync)
        DC_CHECK_MPI(env, MPI_Comm_dup(env->comm, &p->sync_comm));
    DC_CHECK(dci_calloc(env, (size_t)env->size, sizeof(uint64_t), (void **)&p->peer_sent));
    DC_CHECK(dci_calloc(env, (size_t)env->size, sizeof(uint64_t), (void **)&p->peer_recv));
    /* The report's file: opened now, so that a path that cannot be written fails here (the
     * caller agrees), not after the run. */
    if (env->opts.profile == 2 && !DC_HAVE_JANSSON)
        return DC_ERR(env, DC_ERR_NOTSUP,
                      "DC_PROFILE=json needs jansson: this libdcompute was configured without "
                      "it (Debian: apt-get install libjansson-dev, then configure again); "
                      "DC_PROFILE=text works");
    if (env->opts.profile != 0 && env->rank == 0 && env->opts.profile_file[0] != '\0') {
        p->report = fopen(env->opts.profile_file, "w");
        if (p->report == NULL)
            return DC_ERR(env, DC_ERR_IO, "cannot open the profile file '%s' (DC_PROFILE): %s",
                          env->opts.profile_file, strerror(errno));
    }
    return rc;
}

void dci_prof_fini(dc_env_t *env)
{
    dci_prof_t *p = &env->prof;

    if (p->sync_comm != MPI_COMM_NULL)
        MPI_Comm_free(&p->sync_comm);
    if (p->report != NULL)
        fclose(p->report);
    p->report = NULL;
    dci_free(p->peer_sent);
    dci_free(p->peer_recv);
    p->peer_sent = p->peer_recv = NULL;
    dci_regions_free(p);
}

int dc_prof_set_enabled(dc_env_t *env, int on)
{
    dci_prof_t *p;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    p = &env->prof;
    if (on && !p->on) {
        /* nothing counted yet: the counted period starts now */
        if (p->lib_time == 0.0 && p->nstack == 0)
            p->t_zero = dci_wtime();
        /* no barrier communicator (off at create): wait is not measured */
        if (p->sync_comm == MPI_COMM_NULL)
            p->late = 1;
    }
    p->on = on != 0;
    return DC_SUCCESS;
}

int dc_prof_reset(dc_env_t *env)
{
    dci_prof_t *p;
    double now;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    p = &env->prof;
    now = dci_wtime();
    memset(p->ev, 0, sizeof(p->ev));
    memset(p->depth, 0, sizeof(p->depth));
    p->nstack = 0;
    p->comm = p->wait = p->lib_time = 0.0;
    p->t_zero = now;
    if (p->peer_sent != NULL) {
        memset(p->peer_sent, 0, (size_t)env->size * sizeof(uint64_t));
        memset(p->peer_recv, 0, (size_t)env->size * sizeof(uint64_t));
    }
    dci_regions_clear(p, now);
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
    dci_prof_ev_est(e, &stats->comm_seconds, &stats->wait_seconds);
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
