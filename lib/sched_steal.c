/*
 * Work stealing within a node. Every rank keeps, in node-shared memory, the range of leaves it
 * has not taken yet and (task lists) a deque of spawned tasks, each under a per-rank spin lock.
 * The owner takes from the front of its range and the newest end of its deque; an idle rank
 * steals the back half of a random victim's range or the oldest half of its deque. With several
 * nodes and a global counter, half of the index space starts in the per-rank ranges and the
 * rest is handed out by the counters of sched_dynamic.c when a node runs dry.
 */
#include "sched_impl.h"

#include <string.h>

#define DCI_STEAL_BATCH 64 /* most deque slots moved by one steal */

static dci_rank_shm_t *self_shm(dc_sched_t *s)
{
    return s->peer[s->node_rank];
}

/* ---------------------------------------------------------------- ranges */

static void set_range(dci_rank_shm_t *m, int64_t lo, int64_t hi)
{
    m->lo = lo;
    m->hi = hi;
    atomic_store_explicit(&m->range_hint, hi - lo, memory_order_relaxed);
}

int dci_sched_steal_own(dc_sched_t *s, dci_run_t *r, int64_t want, int64_t *lo, int64_t *hi)
{
    dci_rank_shm_t *m = self_shm(s);
    int got = 0;

    (void)r;
    dci_spin_lock(&m->lock);
    if (m->lo < m->hi) {
        *lo = m->lo;
        *hi = m->lo + want < m->hi ? m->lo + want : m->hi;
        set_range(m, *hi, m->hi);
        got = 1;
    }
    dci_spin_unlock(&m->lock);
    return got;
}

/* Put [a, b) in the own range and take the first piece of it. */
static int adopt_range(dc_sched_t *s, int64_t a, int64_t b, int64_t want, int64_t *lo, int64_t *hi)
{
    dci_rank_shm_t *m = self_shm(s);
    int64_t e = a + want < b ? a + want : b;

    dci_spin_lock(&m->lock);
    set_range(m, e, b);
    dci_spin_unlock(&m->lock);
    *lo = a;
    *hi = e;
    return 1;
}

int dci_sched_steal_range(dc_sched_t *s, dci_run_t *r, int64_t want, int64_t *lo, int64_t *hi)
{
    int i, ns = s->node_size, start;
    int64_t plo, got;

    start = ns > 1 ? (int)(dci_sched_rand(&r->rng) % (uint64_t)ns) : 0;
    for (i = 0; i < ns; i++) {
        int v = (start + i) % ns;
        dci_rank_shm_t *vm = s->peer[v];
        int64_t a = 0, b = 0;
        if (v == s->node_rank || atomic_load_explicit(&vm->range_hint, memory_order_relaxed) <= 0)
            continue;
        r->st.steal_attempts++;
        dci_spin_lock(&vm->lock);
        if (vm->epoch == r->epoch && vm->lo < vm->hi) {
            int64_t k = (vm->hi - vm->lo + 1) / 2; /* the back half, rounded up */
            a = vm->hi - k;
            b = vm->hi;
            set_range(vm, vm->lo, a);
        }
        dci_spin_unlock(&vm->lock);
        if (a < b) {
            r->st.steals++;
            return adopt_range(s, a, b, want, lo, hi);
        }
    }
    /* Nothing to steal on the node: a new piece from the pool (global counter only). */
    if (s->global && !dci_sched_pool_empty(s, r)) {
        got = dci_sched_pool_take(s, r, -want, &plo);
        if (got > 0)
            return adopt_range(s, plo, plo + got, want, lo, hi);
    }
    return 0;
}

int dci_sched_steal_none_left(dc_sched_t *s, dci_run_t *r)
{
    int i;

    for (i = 0; i < s->node_size; i++) {
        dci_rank_shm_t *vm = s->peer[i];
        if (atomic_load_explicit(&vm->range_hint, memory_order_relaxed) > 0 ||
            atomic_load_explicit(&vm->dq_hint, memory_order_relaxed) > 0)
            return 0;
    }
    return !s->global || dci_sched_pool_empty(s, r);
}

/* ---------------------------------------------------------------- deques of tasks */

int dci_sched_deque_setup(dc_sched_t *s, size_t task_size)
{
    dc_env_t *env = s->hdr.env;
    size_t slot = (sizeof(dci_slot_hdr_t) + task_size + 7) & ~(size_t)7;
    int64_t cap;
    void *base = NULL;
    int i, rc;

    /* Same decision on every rank: the same history of task sizes. */
    if (s->dq_win != MPI_WIN_NULL && s->dq_slot >= slot)
        return DC_SUCCESS;
    dci_sched_deque_free(s);
    /* about 4 MiB per rank, between 256 and 65536 tasks; more spill to a private list */
    cap = (int64_t)(((size_t)4 << 20) / slot);
    cap = cap < 256 ? 256 : cap > 65536 ? 65536 : cap;
    /* local allocation first, agreed before the window: no rank may skip the collective */
    rc = s->dq == NULL ? dci_calloc(env, (size_t)s->node_size, sizeof(*s->dq), (void **)&s->dq)
                       : DC_SUCCESS;
    DC_CHECK(dci_agree(env, rc));
    rc = MPI_Win_allocate_shared((MPI_Aint)((size_t)cap * slot), 1, MPI_INFO_NULL, env->node_comm,
                                 &base, &s->dq_win);
    if (rc != MPI_SUCCESS) {
        s->dq_win = MPI_WIN_NULL;
        return dci_error_mpi(env, rc, __func__, __FILE__, __LINE__,
                             "MPI_Win_allocate_shared (task deques)");
    }
    for (i = 0; i < s->node_size; i++) {
        MPI_Aint sz;
        int du;
        unsigned char *p = NULL;
        DC_CHECK_MPI(env, MPI_Win_shared_query(s->dq_win, i, &sz, &du, &p));
        s->dq[i] = p;
    }
    DC_CHECK_MPI(env, MPI_Win_lock_all(MPI_MODE_NOCHECK, s->dq_win));
    s->dq_slot = slot;
    s->dq_cap = cap;
    return DC_SUCCESS;
}

void dci_sched_deque_free(dc_sched_t *s)
{
    if (s->dq_win != MPI_WIN_NULL) {
        MPI_Win_unlock_all(s->dq_win);
        MPI_Win_free(&s->dq_win);
    }
    s->dq_slot = 0;
    s->dq_cap = 0;
}

static unsigned char *slot_at(const dc_sched_t *s, int owner, int64_t i)
{
    return s->dq[owner] + (size_t)(i % s->dq_cap) * s->dq_slot;
}

int dci_sched_deque_push(dc_sched_t *s, dci_run_t *r, const dci_slot_hdr_t *h, const void *task)
{
    dci_rank_shm_t *m = self_shm(s);
    int full;

    dci_spin_lock(&m->lock);
    full = m->bottom - m->top >= s->dq_cap;
    if (!full) {
        unsigned char *p = slot_at(s, s->node_rank, m->bottom);
        memcpy(p, h, sizeof(*h));
        memcpy(p + sizeof(*h), task, r->task_size);
        m->bottom++;
        atomic_store_explicit(&m->dq_hint, m->bottom - m->top, memory_order_relaxed);
    }
    dci_spin_unlock(&m->lock);
    return full;
}

int dci_sched_deque_pop(dc_sched_t *s, dci_run_t *r, dci_slot_hdr_t *h, void *task)
{
    dci_rank_shm_t *m = self_shm(s);
    int got = 0;

    if (atomic_load_explicit(&m->dq_hint, memory_order_relaxed) <= 0)
        return 0; /* only the owner adds: an empty hint is exact for the owner */
    dci_spin_lock(&m->lock);
    if (m->bottom > m->top) {
        const unsigned char *p;
        m->bottom--;
        p = slot_at(s, s->node_rank, m->bottom);
        memcpy(h, p, sizeof(*h));
        memcpy(task, p + sizeof(*h), r->task_size);
        atomic_store_explicit(&m->dq_hint, m->bottom - m->top, memory_order_relaxed);
        got = 1;
    }
    dci_spin_unlock(&m->lock);
    return got;
}

int64_t dci_sched_deque_steal(dc_sched_t *s, dci_run_t *r)
{
    unsigned char buf[DCI_STEAL_BATCH * 256], *tmp = buf;
    int i, ns = s->node_size, start;
    int64_t k = 0, j, batch;
    dci_rank_shm_t *m = self_shm(s);

    /* A batch must fit the stack buffer; big tasks move fewer at a time. */
    batch = (int64_t)(sizeof(buf) / s->dq_slot);
    if (batch > DCI_STEAL_BATCH)
        batch = DCI_STEAL_BATCH;
    if (batch < 1)
        batch = 1;
    if (s->dq_slot > sizeof(buf) && dci_malloc(s->hdr.env, s->dq_slot, (void **)&tmp) != 0)
        return 0;
    start = ns > 1 ? (int)(dci_sched_rand(&r->rng) % (uint64_t)ns) : 0;
    for (i = 0; i < ns && k == 0; i++) {
        int v = (start + i) % ns;
        dci_rank_shm_t *vm = s->peer[v];
        if (v == s->node_rank || atomic_load_explicit(&vm->dq_hint, memory_order_relaxed) <= 0)
            continue;
        r->st.steal_attempts++;
        dci_spin_lock(&vm->lock);
        if (vm->epoch == r->epoch && vm->bottom > vm->top) {
            k = (vm->bottom - vm->top + 1) / 2; /* the oldest half: the biggest subtrees */
            if (k > batch)
                k = batch;
            for (j = 0; j < k; j++)
                memcpy(tmp + (size_t)j * s->dq_slot, slot_at(s, v, vm->top + j), s->dq_slot);
            vm->top += k;
            atomic_store_explicit(&vm->dq_hint, vm->bottom - vm->top, memory_order_relaxed);
        }
        dci_spin_unlock(&vm->lock);
    }
    if (k > 0) {
        /* Into the own deque (empty: a rank steals only when it has nothing), oldest at the
         * stealable end: the thief runs the newest first. */
        dci_spin_lock(&m->lock);
        for (j = 0; j < k; j++) {
            memcpy(slot_at(s, s->node_rank, m->bottom), tmp + (size_t)j * s->dq_slot, s->dq_slot);
            m->bottom++;
        }
        atomic_store_explicit(&m->dq_hint, m->bottom - m->top, memory_order_relaxed);
        dci_spin_unlock(&m->lock);
        r->st.steals++;
    }
    if (tmp != buf)
        dci_free(tmp);
    return k;
}

/* ---------------------------------------------------------------- the schedule */

static int steal_setup(dc_sched_t *s)
{
    return dci_sched_shm_setup(s);
}

static int steal_begin(dc_sched_t *s, dci_run_t *r)
{
    dci_rank_shm_t *m = self_shm(s);
    /* Several nodes: the per-rank ranges cover half of the space, the counters the rest,
     * so that a node that runs dry can get work from another node's share. */
    int64_t nstatic = s->global ? r->nleaves / 2 : r->nleaves;
    int64_t q = nstatic / s->size, rem = nstatic % s->size;
    int64_t lo = s->rank * q + (s->rank < rem ? s->rank : rem);
    int64_t hi = lo + q + (s->rank < rem ? 1 : 0);

    dci_spin_lock(&m->lock);
    m->epoch = r->epoch;
    set_range(m, lo, hi);
    /* Every deque is empty at the end of a run, so its indices restart at 0. */
    m->top = m->bottom = 0;
    atomic_store_explicit(&m->dq_hint, 0, memory_order_relaxed);
    dci_spin_unlock(&m->lock);
    return dci_sched_pool_reset(s, r, nstatic);
}

static int steal_next(dc_sched_t *s, dci_run_t *r, int64_t *lo, int64_t *hi)
{
    int64_t c = s->chunk > 0 ? s->chunk : 1;

    if (dci_sched_steal_own(s, r, c, lo, hi))
        return 1;
    return dci_sched_steal_range(s, r, c, lo, hi);
}

const dci_sched_ops_t dci_sched_steal_ops = {
    "steal", steal_setup, steal_begin, steal_next, NULL,
};
