/*
 * Dynamic and guided self-scheduling, and the node-shared memory the dynamic schedules use.
 * Within a node a chunk is one atomic fetch-and-add (guided: compare-and-swap) on a counter in
 * an MPI_Win_allocate_shared window: nobody waits on a busy rank. With several nodes the node's
 * range is refilled in big, decreasing pieces from a counter on rank 0 with MPI_Compare_and_swap
 * (one rank of the node at a time, under a node lock).
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
    dci_rank_shm_t *me;

    if (s->shm_win != MPI_WIN_NULL)
        return DC_SUCCESS;
    DC_REQUIRE(env, nc != MPI_COMM_NULL, DC_ERR_INTERNAL, "the env has no node communicator");
    MPI_Comm_rank(nc, &s->node_rank);
    MPI_Comm_size(nc, &s->node_size);
    leader = s->node_rank == 0;
    DC_CHECK_MPI(env, MPI_Allreduce(&leader, &nn, 1, MPI_INT, MPI_SUM, s->comm));
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
        DC_CHECK_MPI(env, MPI_Allgather(&mine, 1, MPI_INT, s->ibuf, 1, MPI_INT, s->comm));
        DC_CHECK_MPI(env, MPI_Bcast(&lrank, 1, MPI_INT, 0, nc));
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
        DC_CHECK_MPI(env, MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, s->comm));
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

/* ---------------------------------------------------------------- the pool of leaves */

/* This node's static share of [start, n): the block split by ranks, nodes in leader order. */
static void node_share(const dc_sched_t *s, int64_t start, int64_t n, int64_t *lo, int64_t *hi)
{
    int64_t m = n > start ? n - start : 0, q = m / s->size, rem = m % s->size;
    int64_t a = s->node_prefix, b = a + s->node_size;

    *lo = start + a * q + (a < rem ? a : rem);
    *hi = start + b * q + (b < rem ? b : rem);
}

int dci_sched_pool_reset(dc_sched_t *s, dci_run_t *r, int64_t start)
{
    dc_env_t *env = s->hdr.env;
    dci_pool_t *p = &s->node->pool[r->parity];

    /* This copy was last used two runs ago; every rank left that run before the previous
     * run's start allreduce, so nobody reads it now. */
    if (s->node_rank == 0) {
        int64_t lo = 0, hi = 0;
        if (!s->global)
            node_share(s, start, r->nleaves, &lo, &hi);
        atomic_store(&p->next, lo);
        atomic_store(&p->end, hi);
        atomic_store(&p->dry, !s->global);
        atomic_store(&p->outstanding, 0);
        atomic_store(&p->lock.v, 0);
    }
    if (s->global && s->rank == 0) {
        int64_t v = start, old;
        DC_CHECK_MPI(
            env, MPI_Fetch_and_op(&v, &old, MPI_INT64_T, 0, r->parity, MPI_REPLACE, s->glob_win));
        DC_CHECK_MPI(env, MPI_Win_flush(0, s->glob_win));
    }
    return DC_SUCCESS;
}

/* Several nodes: take a big piece of the global range for the node (caller holds the node
 * lock). Returns 0 when the global range is exhausted, -1 on an MPI failure. */
static int global_take(dc_sched_t *s, dci_run_t *r, int64_t min, int64_t *lo_p, int64_t *hi_p)
{
    int64_t cur, want, next, old, zero = 0, n = r->nleaves;
    int mrc;

    /* an MPI failure returns minus MPI's error code (MPI codes are positive) */
    if ((mrc = MPI_Fetch_and_op(&zero, &cur, MPI_INT64_T, 0, r->parity, MPI_NO_OP, s->glob_win)) !=
            MPI_SUCCESS ||
        (mrc = MPI_Win_flush(0, s->glob_win)) != MPI_SUCCESS)
        return -mrc;
    for (;;) {
        if (cur >= n)
            return 0;
        /* guided over nodes: a quarter of the node's fair share of what is left */
        want = (n - cur + 4 * (int64_t)s->nnodes - 1) / (4 * (int64_t)s->nnodes);
        if (want < min)
            want = min;
        next = cur + want < n ? cur + want : n;
        if ((mrc = MPI_Compare_and_swap(&next, &cur, &old, MPI_INT64_T, 0, r->parity,
                                        s->glob_win)) != MPI_SUCCESS ||
            (mrc = MPI_Win_flush(0, s->glob_win)) != MPI_SUCCESS)
            return -mrc;
        if (old == cur) {
            *lo_p = cur;
            *hi_p = next;
            return 1;
        }
        cur = old;
    }
}

/* Chunk size: fixed, or guided (-want = minimum): half of an even share of what is left. */
static int64_t chunk_size(int64_t want, int64_t left, int nranks)
{
    int64_t c;

    if (want > 0)
        return want;
    c = (left + 2 * (int64_t)nranks - 1) / (2 * (int64_t)nranks);
    return c > -want ? c : -want;
}

int64_t dci_sched_pool_take(dc_sched_t *s, dci_run_t *r, int64_t want, int64_t *lo_p)
{
    dci_pool_t *p = &s->node->pool[r->parity];
    int64_t lo, c, end;

    if (!s->global) {
        /* the node's share: one atomic operation per chunk, no lock */
        end = atomic_load_explicit(&p->end, memory_order_relaxed);
        if (want > 0) {
            lo = atomic_fetch_add_explicit(&p->next, want, memory_order_relaxed);
            if (lo >= end)
                return 0;
            *lo_p = lo;
            return lo + want < end ? want : end - lo;
        }
        lo = atomic_load_explicit(&p->next, memory_order_relaxed);
        for (;;) {
            if (lo >= end)
                return 0;
            c = chunk_size(want, end - lo, s->node_size);
            if (c > end - lo)
                c = end - lo;
            if (atomic_compare_exchange_weak_explicit(&p->next, &lo, lo + c, memory_order_relaxed,
                                                      memory_order_relaxed)) {
                *lo_p = lo;
                return c;
            }
        }
    }
    /* several nodes: the node's current piece, refilled under the node lock. While waiting
     * for the lock, poke MPI: with MPIs that progress one-sided operations only inside MPI
     * calls (Open MPI's osc/pt2pt, MPICH), the holder may be waiting for rank 0's counter,
     * and rank 0 may be the one waiting here. */
    if (!dci_spin_trylock(&p->lock)) {
        int spins = 0;
        while (!dci_spin_trylock(&p->lock)) {
            dci_sched_relax(&spins);
            if (spins % 16 == 0)
                dci_sched_progress(s);
        }
    }
    for (;;) {
        int64_t next = atomic_load_explicit(&p->next, memory_order_relaxed);
        int64_t glo, ghi;
        int got;
        end = atomic_load_explicit(&p->end, memory_order_relaxed);
        if (next < end) {
            c = chunk_size(want, end - next, s->node_size);
            if (c > end - next)
                c = end - next;
            atomic_store_explicit(&p->next, next + c, memory_order_relaxed);
            dci_spin_unlock(&p->lock);
            *lo_p = next;
            return c;
        }
        if (atomic_load_explicit(&p->dry, memory_order_relaxed)) {
            dci_spin_unlock(&p->lock);
            return 0;
        }
        got = global_take(s, r, (want > 0 ? want : -want) * s->node_size, &glo, &ghi);
        if (got <= 0) {
            /* exhausted, or an MPI failure: then the ranks still drain what they hold and
             * this rank reports the failure */
            atomic_store_explicit(&p->dry, 1, memory_order_relaxed);
            dci_spin_unlock(&p->lock);
            if (got < 0) {
                r->failed = 1;
                r->internal_rc =
                    DC_ERR_MPI_RC(s->hdr.env, -got, "one-sided access to the global counter");
            }
            return 0;
        }
        atomic_store_explicit(&p->next, glo, memory_order_relaxed);
        atomic_store_explicit(&p->end, ghi, memory_order_relaxed);
    }
}

int dci_sched_pool_empty(dc_sched_t *s, dci_run_t *r)
{
    dci_pool_t *p = &s->node->pool[r->parity];

    return atomic_load_explicit(&p->dry, memory_order_relaxed) &&
           atomic_load_explicit(&p->next, memory_order_relaxed) >=
               atomic_load_explicit(&p->end, memory_order_relaxed);
}

/* ---------------------------------------------------------------- the schedules */

static int dynamic_setup(dc_sched_t *s)
{
    return dci_sched_shm_setup(s);
}

static int dynamic_begin(dc_sched_t *s, dci_run_t *r)
{
    return dci_sched_pool_reset(s, r, 0);
}

static int dynamic_next(dc_sched_t *s, dci_run_t *r, int64_t *lo, int64_t *hi)
{
    int64_t c = s->chunk > 0 ? s->chunk : 1, got;

    got = dci_sched_pool_take(s, r, s->kind == DC_SCHED_GUIDED ? -c : c, lo);
    if (got <= 0)
        return 0;
    *hi = *lo + got;
    return 1;
}

const dci_sched_ops_t dci_sched_dynamic_ops = {
    "dynamic", dynamic_setup, dynamic_begin, dynamic_next, NULL,
};
