/*
 * What the dynamic schedules share within a node (dynamic, guided, work stealing, task lists):
 * spin locks in shared memory, progress while waiting, and the MPI_Win_allocate_shared segments
 * (a per-rank segment, the node leader's counters) plus the window over all ranks for the global
 * counter. sched_dynamic.c, sched_steal.c and sched_task.c use them.
 */
#include "sched_impl.h"

#include <sched.h>
#include <string.h>

/* ---------------------------------------------------------------- spin locks */

void dci_sched_relax(int *spins)
{
    if (++*spins < 64) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    } else {
        /* Oversubscribed nodes (more ranks than cores) need the holder to get the CPU. */
        sched_yield();
    }
}

void dci_spin_lock(dci_spin_t *l)
{
    int spins = 0;

    for (;;) {
        if (atomic_load_explicit(&l->v, memory_order_relaxed) == 0 &&
            atomic_exchange_explicit(&l->v, 1, memory_order_acquire) == 0)
            return;
        dci_sched_relax(&spins);
    }
}

int dci_spin_trylock(dci_spin_t *l)
{
    return atomic_load_explicit(&l->v, memory_order_relaxed) == 0 &&
           atomic_exchange_explicit(&l->v, 1, memory_order_acquire) == 0;
}

void dci_spin_unlock(dci_spin_t *l)
{
    atomic_store_explicit(&l->v, 0, memory_order_release);
}

void dci_sched_progress(dc_sched_t *s)
{
    int flag = 0;

    /* An Iprobe that matches nothing drives the progress engine. It must match nothing: an
     * Iprobe that finds a message (say, a partial result already sent to this rank) returns
     * at once without progressing anything. No message ever carries this tag. */
    if (s->global)
        MPI_Iprobe(MPI_ANY_SOURCE, 32001, s->comm, &flag, MPI_STATUS_IGNORE);
}

/* ---------------------------------------------------------------- the node-shared window */

static size_t round64(size_t n)
{
    return (n + 63) & ~(size_t)63;
}

int dci_sched_shm_setup(dc_sched_t *s)
{
    dc_env_t *env = s->hdr.env;
    MPI_Comm nc = env->node_comm;
    MPI_Info info = MPI_INFO_NULL;
    MPI_Aint sz;
    int du, i, leader, nn = 0, rc = DC_SUCCESS;
    size_t seg;
    void *base = NULL;
    double t;
    dci_rank_shm_t *me;

    if (s->shm_win != MPI_WIN_NULL)
        return DC_SUCCESS;
    DC_REQUIRE(env, nc != MPI_COMM_NULL, DC_ERR_INTERNAL, "the env has no node communicator");
    MPI_Comm_rank(nc, &s->node_rank);
    MPI_Comm_size(nc, &s->node_size);
    leader = s->node_rank == 0;
    t = dci_prof_mpi_begin(env); /* s->comm, nc: ranks of the env's (dup, node comm) */
    DC_CHECK_MPI(env, MPI_Allreduce(&leader, &nn, 1, MPI_INT, MPI_SUM, s->comm));
    dci_prof_coll_end(env, t, sizeof(leader), sizeof(nn));
    s->nnodes = nn;
    /* local allocation first, agreed before the window: no rank may skip the collective */
    DC_CHECK(
        dci_agree(env, dci_calloc(env, (size_t)s->node_size, sizeof(*s->peer), (void **)&s->peer)));

    /* 64 spare bytes: segments need not start on a cache line, the structures must (they are
     * declared 64-aligned, so the compiler may use aligned vector stores on them). The offset
     * of a segment within its page is the same in every process, so all align alike. */
    seg = 64 + round64(sizeof(dci_rank_shm_t)) + (leader ? round64(sizeof(dci_node_shm_t)) : 0);
    if (MPI_Info_create(&info) == MPI_SUCCESS)
        MPI_Info_set(info, "alloc_shared_noncontig", "true"); /* each segment NUMA-local */
    rc = MPI_Win_allocate_shared((MPI_Aint)seg, 1, info, nc, &base, &s->shm_win);
    if (info != MPI_INFO_NULL)
        MPI_Info_free(&info);
    if (rc != MPI_SUCCESS) {
        s->shm_win = MPI_WIN_NULL;
        return dci_error_mpi(env, rc, __func__, __FILE__, __LINE__,
                             "MPI_Win_allocate_shared (node-shared scheduler counters)");
    }
    for (i = 0; i < s->node_size; i++) {
        unsigned char *p = NULL;
        DC_CHECK_MPI(env, MPI_Win_shared_query(s->shm_win, i, &sz, &du, &p));
        p += (64 - (uintptr_t)p % 64) % 64;
        if (i == 0) {
            s->node = (dci_node_shm_t *)p;
            p += round64(sizeof(dci_node_shm_t));
        }
        s->peer[i] = (dci_rank_shm_t *)p;
    }
    /* A passive epoch for the window's lifetime: loads, stores and atomics go straight to the
     * memory; MPI_Win_sync and the barrier publish the initial contents. */
    DC_CHECK_MPI(env, MPI_Win_lock_all(MPI_MODE_NOCHECK, s->shm_win));
    me = s->peer[s->node_rank];
    memset(me, 0, sizeof(*me));
    atomic_init(&me->lock.v, 0);
    atomic_init(&me->range_hint, 0);
    atomic_init(&me->dq_hint, 0);
    me->epoch = -1;
    if (leader) {
        memset(s->node, 0, sizeof(*s->node));
        for (i = 0; i < 2; i++) {
            atomic_init(&s->node->pool[i].next, 0);
            atomic_init(&s->node->pool[i].end, 0);
            atomic_init(&s->node->pool[i].dry, 0);
            atomic_init(&s->node->pool[i].lock.v, 0);
            atomic_init(&s->node->pool[i].outstanding, 0);
        }
    }
    MPI_Win_sync(s->shm_win);
    DC_CHECK_MPI(env, MPI_Barrier(nc));
    MPI_Win_sync(s->shm_win);

    /* Where this node sits among the nodes (by its leader's rank): its static share. */
    {
        int mine = leader ? s->node_size : 0, lrank = s->rank;
        t = dci_prof_mpi_begin(env);
        DC_CHECK_MPI(env, MPI_Allgather(&mine, 1, MPI_INT, s->ibuf, 1, MPI_INT, s->comm));
        dci_prof_coll_end(env, t, sizeof(mine), (size_t)s->size * sizeof(mine));
        t = dci_prof_mpi_begin(env);
        DC_CHECK_MPI(env, MPI_Bcast(&lrank, 1, MPI_INT, 0, nc));
        dci_prof_coll_end(env, t, leader ? sizeof(lrank) : 0, leader ? 0 : sizeof(lrank));
        s->node_prefix = 0;
        for (i = 0; i < lrank; i++)
            s->node_prefix += s->ibuf[i];
    }
    s->global = 0;
    if (s->nnodes > 1) {
        /* The global counter needs one-sided atomics between nodes. Some setups cannot open
         * such a window (Open MPI 4.1 over TCP picks no working osc component unless run with
         * --mca osc pt2pt); then each node keeps its static share and balances inside. */
        void *gb = NULL;
        int ok, all_ok = 0;
        ok = MPI_Win_allocate(s->rank == 0 ? 2 * sizeof(int64_t) : 0, sizeof(int64_t),
                              MPI_INFO_NULL, s->comm, &gb, &s->glob_win) == MPI_SUCCESS;
        if (!ok)
            s->glob_win = MPI_WIN_NULL;
        t = dci_prof_mpi_begin(env);
        DC_CHECK_MPI(env, MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, s->comm));
        dci_prof_coll_end(env, t, sizeof(ok), sizeof(all_ok));
        if (all_ok) {
            s->glob = gb;
            if (s->rank == 0)
                s->glob[0] = s->glob[1] = 0;
            DC_CHECK_MPI(env, MPI_Win_lock_all(0, s->glob_win));
            DC_CHECK_MPI(env, MPI_Barrier(s->comm));
            s->global = 1;
        } else {
            if (ok)
                MPI_Win_free(&s->glob_win); /* a failure is collective in practice */
            s->glob_win = MPI_WIN_NULL;
            dci_log(env, 1,
                    "dc_sched: no one-sided window across nodes; nodes keep static "
                    "shares of dynamic schedules");
        }
    }
    return DC_SUCCESS;
}

void dci_sched_shm_free(dc_sched_t *s)
{
    if (s->glob_win != MPI_WIN_NULL) {
        MPI_Win_unlock_all(s->glob_win);
        MPI_Win_free(&s->glob_win);
    }
    if (s->shm_win != MPI_WIN_NULL) {
        MPI_Win_unlock_all(s->shm_win);
        MPI_Win_free(&s->shm_win);
    }
    s->node = NULL;
}
