/*
 * Dynamic and guided self-scheduling (the node-shared memory and spin locks they use are in
 * sched_shm.c). Within a node a chunk is one atomic fetch-and-add (guided: compare-and-swap) on a
 * counter in an MPI_Win_allocate_shared window: nobody waits on a busy rank. With several nodes the
 * node's range is refilled in big, decreasing pieces from a counter on rank 0 with
 * MPI_Compare_and_swap (one rank of the node at a time, under a node lock).
 */
#include "sched_impl.h"

#include <string.h>

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
        double t = dci_prof_mpi_begin(env);
        DC_CHECK_MPI(
            env, MPI_Fetch_and_op(&v, &old, MPI_INT64_T, 0, r->parity, MPI_REPLACE, s->glob_win));
        DC_CHECK_MPI(env, MPI_Win_flush(0, s->glob_win));
        /* one-sided: the target posts no receive, so these are not point-to-point messages
         * of the communication matrix; counted as the operation's bytes (8 out, 8 back) */
        dci_prof_coll_end(env, t, sizeof(v), sizeof(old));
    }
    return DC_SUCCESS;
}

/* Several nodes: take a big piece of the global range for the node (caller holds the node
 * lock). Returns 0 when the global range is exhausted, -1 on an MPI failure. */
static int global_take(dc_sched_t *s, dci_run_t *r, int64_t min, int64_t *lo_p, int64_t *hi_p)
{
    int64_t cur, want, next, old, zero = 0, n = r->nleaves;
    int mrc;
    double t = dci_prof_mpi_begin(s->hdr.env);

    /* an MPI failure returns minus MPI's error code (MPI codes are positive) */
    if ((mrc = MPI_Fetch_and_op(&zero, &cur, MPI_INT64_T, 0, r->parity, MPI_NO_OP, s->glob_win)) !=
            MPI_SUCCESS ||
        (mrc = MPI_Win_flush(0, s->glob_win)) != MPI_SUCCESS)
        return -mrc;
    /* one-sided atomics (not in the point-to-point matrix): 8 bytes out and back each */
    dci_prof_coll_end(s->hdr.env, t, sizeof(zero), sizeof(cur));
    for (;;) {
        if (cur >= n)
            return 0;
        /* guided over nodes: a quarter of the node's fair share of what is left */
        want = (n - cur + 4 * (int64_t)s->nnodes - 1) / (4 * (int64_t)s->nnodes);
        if (want < min)
            want = min;
        next = cur + want < n ? cur + want : n;
        t = dci_prof_mpi_begin(s->hdr.env);
        if ((mrc = MPI_Compare_and_swap(&next, &cur, &old, MPI_INT64_T, 0, r->parity,
                                        s->glob_win)) != MPI_SUCCESS ||
            (mrc = MPI_Win_flush(0, s->glob_win)) != MPI_SUCCESS)
            return -mrc;
        dci_prof_coll_end(s->hdr.env, t, 2 * sizeof(next), sizeof(old));
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
