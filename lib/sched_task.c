/*
 * Task lists whose tasks spawn tasks. Every executed task leaves a record (its id, its parent's
 * id, its position among its parent's children, its error and its value). At the end the
 * records are gathered on one rank, which walks the task tree depth first (initial tasks in list
 * order, children in spawn order) and combines the values in that order with the pairwise tree:
 * the result does not depend on which rank ran which task. The walk also proves that no task
 * was lost or run twice.
 */
#include "sched_impl.h"

#include <stdlib.h>
#include <string.h>

#define DCI_TC_RUNNING 0x5c4ed001u
#define DCI_TC_IDLE    0x5c4ed000u

struct dc_sched_task {
    uint32_t magic;
    dc_sched_t *s;
    int empty;
    int nomem;
    size_t nspawn, cap, task_size;
    unsigned char *spawn;
};

typedef struct {
    int64_t id, parent, ordinal;
    int32_t err, empty;
} trec_t; /* followed by the value */

typedef struct {
    dc_sched_task_t tc;
    size_t task_size, vsize;
    unsigned char *cur, *val;
    unsigned char *recs; /* records, rsize bytes each */
    size_t nrec, reccap, rsize;
    unsigned char *priv; /* private LIFO of spawned tasks (slot: hdr + task) */
    size_t npriv, privcap, pslot;
    int64_t seq;
} task_state_t;

/* ---------------------------------------------------------------- the task context */

int dc_sched_task_spawn(dc_sched_task_t *tc, const void *task)
{
    if (tc == NULL || tc->magic != DCI_TC_RUNNING)
        return DC_ERR(NULL, DC_ERR_ARG, "tc is %s", tc == NULL ? "NULL" : "not a running task");
    DC_REQUIRE(tc->s->hdr.env, task != NULL, DC_ERR_ARG, "task is NULL");
    if (tc->nspawn == tc->cap) {
        size_t cap = tc->cap ? 2 * tc->cap : 8;
        unsigned char *p;
        int rc = dci_malloc(tc->s->hdr.env, cap * tc->task_size, (void **)&p);
        if (rc != DC_SUCCESS) {
            tc->nomem = 1;
            return rc;
        }
        if (tc->spawn != NULL)
            memcpy(p, tc->spawn, tc->nspawn * tc->task_size);
        dci_free(tc->spawn);
        tc->spawn = p;
        tc->cap = cap;
    }
    memcpy(tc->spawn + tc->nspawn * tc->task_size, task, tc->task_size);
    tc->nspawn++;
    return DC_SUCCESS;
}

int dc_sched_task_set_empty(dc_sched_task_t *tc)
{
    if (tc == NULL || tc->magic != DCI_TC_RUNNING)
        return DC_ERR(NULL, DC_ERR_ARG, "tc is %s", tc == NULL ? "NULL" : "not a running task");
    tc->empty = 1;
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- state */

void dci_sched_task_free(dci_run_t *r)
{
    task_state_t *ts = r->task_state;

    if (ts == NULL)
        return;
    dci_free(ts->tc.spawn);
    dci_free(ts->cur);
    dci_free(ts->val);
    dci_free(ts->recs);
    dci_free(ts->priv);
    dci_free(ts);
    r->task_state = NULL;
}

static int state_get(dc_sched_t *s, dci_run_t *r, task_state_t **ts_p)
{
    task_state_t *ts = r->task_state;
    dc_env_t *env = s->hdr.env;
    int rc;

    if (ts != NULL && (ts->task_size != r->task_size || ts->vsize != s->vsize)) {
        dci_sched_task_free(r);
        ts = NULL;
    }
    if (ts == NULL) {
        DC_CHECK(dci_calloc(env, 1, sizeof(*ts), (void **)&ts));
        r->task_state = ts;
        ts->task_size = r->task_size;
        ts->vsize = s->vsize;
        ts->rsize = (sizeof(trec_t) + s->vsize + 7) & ~(size_t)7;
        ts->pslot = (sizeof(dci_slot_hdr_t) + r->task_size + 7) & ~(size_t)7;
        ts->tc.s = s;
        ts->tc.task_size = r->task_size;
        ts->tc.magic = DCI_TC_IDLE;
        rc = dci_malloc(env, r->task_size, (void **)&ts->cur);
        if (rc == DC_SUCCESS)
            rc = dci_malloc_aligned(env, s->vsize, (void **)&ts->val);
        if (rc != DC_SUCCESS) {
            dci_sched_task_free(r); /* never keep a half-built state for the next run */
            return rc;
        }
    }
    ts->nrec = 0;
    ts->npriv = 0;
    ts->seq = 0;
    *ts_p = ts;
    return DC_SUCCESS;
}

static int grow(dc_env_t *env, unsigned char **buf, size_t *cap, size_t n, size_t elem)
{
    size_t c;
    unsigned char *p;

    if (n < *cap)
        return DC_SUCCESS;
    c = *cap ? 2 * *cap : 256;
    DC_CHECK(dci_malloc(env, c * elem, (void **)&p));
    if (*buf != NULL)
        memcpy(p, *buf, n * elem);
    dci_free(*buf);
    *buf = p;
    *cap = c;
    return DC_SUCCESS;
}

static int priv_push(dc_sched_t *s, task_state_t *ts, const dci_slot_hdr_t *h, const void *task)
{
    unsigned char *p;

    DC_CHECK(grow(s->hdr.env, &ts->priv, &ts->privcap, ts->npriv, ts->pslot));
    p = ts->priv + ts->npriv++ * ts->pslot;
    memcpy(p, h, sizeof(*h));
    memcpy(p + sizeof(*h), task, ts->task_size);
    return DC_SUCCESS;
}

static int priv_pop(task_state_t *ts, dci_slot_hdr_t *h, void *task)
{
    const unsigned char *p;

    if (ts->npriv == 0)
        return 0;
    p = ts->priv + --ts->npriv * ts->pslot;
    memcpy(h, p, sizeof(*h));
    memcpy(task, p + sizeof(*h), ts->task_size);
    return 1;
}

/* ---------------------------------------------------------------- running tasks */

static void run_task(dc_sched_t *s, dci_run_t *r, task_state_t *ts, int64_t parent, int64_t ordinal,
                     const void *task)
{
    dc_sched_task_t *tc = &ts->tc;
    int steal = s->kind == DC_SCHED_STEAL;
    double t = dci_wtime();
    int64_t id = ((int64_t)s->rank << 40) | ts->seq++;
    trec_t rec;
    int crc, rc;
    size_t i;

    tc->nspawn = 0;
    tc->empty = 0;
    tc->nomem = 0;
    tc->magic = DCI_TC_RUNNING;
    crc = r->task_fn(tc, task, ts->val, r->ctx);
    tc->magic = DCI_TC_IDLE;
    r->st.tasks++;
    if (crc == 0 && tc->nomem)
        crc = DC_ERR_NOMEM; /* a spawn was lost: the task cannot count as done */
    rec.id = id;
    rec.parent = parent;
    rec.ordinal = ordinal;
    rec.err = crc == 0 ? 0 : crc < 0 ? crc : DC_ERR_ARG;
    rec.empty = tc->empty;
    rc = grow(s->hdr.env, &ts->recs, &ts->reccap, ts->nrec, ts->rsize);
    if (rc == DC_SUCCESS) {
        unsigned char *p = ts->recs + ts->nrec++ * ts->rsize;
        memcpy(p, &rec, sizeof(rec));
        memcpy(p + sizeof(rec), ts->val, s->vsize);
    } else {
        r->internal_rc = rc;
    }
    if (crc != 0) {
        r->failed = 1; /* its spawns are discarded */
    } else if (tc->nspawn > 0) {
        dci_pool_t *pool = steal ? &s->node->pool[r->parity] : NULL;
        if (steal) /* before they become visible: idle ranks must not see zero too early */
            atomic_fetch_add(&pool->outstanding, (long long)tc->nspawn);
        /* newest on top: push in reverse so that the first child runs first */
        for (i = tc->nspawn; i-- > 0;) {
            dci_slot_hdr_t h;
            const unsigned char *child = tc->spawn + i * ts->task_size;
            h.parent = id;
            h.ordinal = (int64_t)i;
            if (steal && ts->npriv == 0 && dci_sched_deque_push(s, r, &h, child) == 0)
                continue;
            rc = priv_push(s, ts, &h, child);
            if (rc != DC_SUCCESS) {
                r->internal_rc = rc;
                if (steal)
                    atomic_fetch_sub(&pool->outstanding, 1);
            }
        }
    }
    r->st.busy += dci_wtime() - t;
}

int dci_sched_task_loop(dc_sched_t *s, dci_run_t *r)
{
    task_state_t *ts;
    int steal = s->kind == DC_SCHED_STEAL;
    dci_pool_t *pool = steal ? &s->node->pool[r->parity] : NULL;
    int64_t c = s->chunk > 0 ? s->chunk : 1, rlo = 0, rhi = 0, a, b;
    int spins = 0, got;
    dci_slot_hdr_t h;

    DC_CHECK(state_get(s, r, &ts));
    for (;;) {
        /* 1. the newest spawned task (depth first: bounded memory, good locality) */
        if (priv_pop(ts, &h, ts->cur) || (steal && dci_sched_deque_pop(s, r, &h, ts->cur))) {
            run_task(s, r, ts, h.parent, h.ordinal, ts->cur);
            if (steal)
                atomic_fetch_sub(&pool->outstanding, 1);
            spins = 0;
            continue;
        }
        /* 2. the next initial task */
        if (rlo < rhi) {
            run_task(s, r, ts, -1, rlo, r->tasks + (size_t)rlo * r->task_size);
            rlo++;
            if (steal)
                atomic_fetch_sub(&pool->outstanding, 1);
            spins = 0;
            continue;
        }
        if (!steal) {
            if (!s->ops->next(s, r, &a, &b))
                break;
            r->st.chunks++;
            rlo = a;
            rhi = b;
            continue;
        }
        /* 3. stealing: the own range, then others' spawned tasks (the oldest: the biggest
         * subtrees), then others' ranges. Initial tasks count as outstanding while they run. */
        got = dci_sched_steal_own(s, r, c, &a, &b);
        if (!got && dci_sched_deque_steal(s, r) > 0) {
            r->st.chunks++; /* now in the own deque: step 1 runs them */
            spins = 0;
            continue;
        }
        if (got || dci_sched_steal_range(s, r, c, &a, &b)) {
            atomic_fetch_add(&pool->outstanding, b - a);
            r->st.chunks++;
            rlo = a;
            rhi = b;
            spins = 0;
            continue;
        }
        if (atomic_load(&pool->outstanding) == 0 && dci_sched_steal_none_left(s, r))
            break;
        dci_sched_relax(&spins);
        if (spins % 16 == 0)
            dci_sched_progress(s); /* idle: rank 0 may hold the counter others wait for */
    }
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- the canonical walk */

typedef struct {
    int64_t parent, ordinal;
    size_t idx;
} edge_t;

static int edge_cmp(const void *a, const void *b)
{
    const edge_t *x = a, *y = b;

    if (x->parent != y->parent)
        return x->parent < y->parent ? -1 : 1;
    return x->ordinal < y->ordinal ? -1 : x->ordinal > y->ordinal;
}

/* First position in e[0..m) whose parent is >= p. */
static size_t lower_bound(const edge_t *e, size_t m, int64_t p)
{
    size_t lo = 0, hi = m;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (e[mid].parent < p)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* What the walk found, broadcast from the root of the merge. */
enum { OUT_STATUS, OUT_ERRCODE, OUT_ERRROOT, OUT_ERRDEPTH, OUT_ERRPOS, OUT_HASVAL, OUT_N };

/* Walk the task tree of m records in pre-order; combine the values; find the first failure. */
static int walk(dc_sched_t *s, dci_run_t *r, const unsigned char *recs, size_t m, size_t rsize,
                int64_t *out, void *value)
{
    dc_env_t *env = s->hdr.env;
    edge_t *e = NULL;
    size_t *pos = NULL, *end = NULL, i, visited = 0;
    int64_t *rootof = NULL, npos = 0;
    int depth = 0, rc = DC_SUCCESS, maxdepth = 64;
    dci_stack_t *st = &r->stack;

    DC_CHECK_GOTO(dci_malloc(env, (m ? m : 1) * sizeof(*e), (void **)&e), out);
    for (i = 0; i < m; i++) {
        trec_t t;
        memcpy(&t, recs + i * rsize, sizeof(t));
        e[i].parent = t.parent;
        e[i].ordinal = t.ordinal;
        e[i].idx = i;
    }
    qsort(e, m, sizeof(*e), edge_cmp);
    for (i = 0; i < m; i++) {
        /* each (parent, position) exactly once, children numbered 0, 1, ... without gaps */
        int first = i == 0 || e[i - 1].parent != e[i].parent;
        int64_t want = first ? 0 : e[i - 1].ordinal + 1;
        if (e[i].ordinal != want) {
            rc = DC_ERR(env, DC_ERR_INTERNAL, "task %lld of parent %lld was %s",
                        (long long)(e[i].ordinal < want ? e[i].ordinal : want),
                        (long long)e[i].parent, e[i].ordinal < want ? "run twice" : "lost");
            goto out;
        }
    }
    if (lower_bound(e, m, 0) != (size_t)r->nleaves) {
        rc = DC_ERR(env, DC_ERR_INTERNAL, "%zu initial tasks ran, %lld expected",
                    lower_bound(e, m, 0), (long long)r->nleaves);
        goto out;
    }
    DC_CHECK_GOTO(dci_malloc(env, (size_t)maxdepth * sizeof(size_t), (void **)&pos), out);
    DC_CHECK_GOTO(dci_malloc(env, (size_t)maxdepth * sizeof(size_t), (void **)&end), out);
    DC_CHECK_GOTO(dci_malloc(env, (size_t)maxdepth * sizeof(int64_t), (void **)&rootof), out);
    st->depth = 0;
    st->end = -1;
    pos[0] = 0;
    end[0] = (size_t)r->nleaves;
    while (depth >= 0) {
        trec_t t;
        const unsigned char *p;
        if (pos[depth] == end[depth]) {
            depth--;
            continue;
        }
        p = recs + e[pos[depth]++].idx * rsize;
        memcpy(&t, p, sizeof(t));
        if (depth == 0)
            rootof[0] = t.ordinal;
        visited++;
        if (t.err != 0 && out[OUT_ERRCODE] == 0) {
            out[OUT_ERRCODE] = t.err;
            out[OUT_ERRROOT] = rootof[0];
            out[OUT_ERRDEPTH] = depth;
            out[OUT_ERRPOS] = (int64_t)visited - 1;
        }
        if (t.err == 0 && !t.empty && out[OUT_ERRCODE] == 0) {
            memcpy(dci_stack_slot(s, st), p + sizeof(t), s->vsize);
            dci_stack_push_leaf(s, st, npos++);
        }
        /* descend into the children of this task, if any */
        {
            size_t c0 = lower_bound(e, m, t.id), c1 = c0;
            while (c1 < m && e[c1].parent == t.id)
                c1++;
            if (c1 > c0) {
                if (depth + 1 == maxdepth) {
                    size_t *np, *ne;
                    int64_t *nr;
                    int nd = 2 * maxdepth;
                    DC_CHECK_GOTO(dci_malloc(env, (size_t)nd * sizeof(size_t), (void **)&np), out);
                    if (dci_malloc(env, (size_t)nd * sizeof(size_t), (void **)&ne) != 0) {
                        dci_free(np);
                        rc = DC_ERR_NOMEM;
                        goto out;
                    }
                    if (dci_malloc(env, (size_t)nd * sizeof(int64_t), (void **)&nr) != 0) {
                        dci_free(np);
                        dci_free(ne);
                        rc = DC_ERR_NOMEM;
                        goto out;
                    }
                    memcpy(np, pos, (size_t)maxdepth * sizeof(size_t));
                    memcpy(ne, end, (size_t)maxdepth * sizeof(size_t));
                    memcpy(nr, rootof, (size_t)maxdepth * sizeof(int64_t));
                    dci_free(pos);
                    dci_free(end);
                    dci_free(rootof);
                    pos = np;
                    end = ne;
                    rootof = nr;
                    maxdepth = nd;
                }
                depth++;
                pos[depth] = c0;
                end[depth] = c1;
            }
        }
    }
    if (visited != m) {
        rc = DC_ERR(env, DC_ERR_INTERNAL, "%zu of %zu task records are not in the task tree",
                    m - visited, m);
        goto out;
    }
    if (out[OUT_ERRCODE] == 0)
        out[OUT_HASVAL] = dci_stack_finish(s, st, value);
out:
    dci_free(e);
    dci_free(pos);
    dci_free(end);
    dci_free(rootof);
    return rc;
}

int dci_sched_task_merge(dc_sched_t *s, dci_run_t *r, void *result)
{
    dc_env_t *env = s->hdr.env;
    task_state_t *ts = r->task_state;
    int P = s->size, root0 = s->root < 0 ? 0 : s->root, i, go = 1, rc, mrc;
    int64_t mine[2], *cnt = NULL, out[OUT_N] = {0};
    int *counts = NULL, *displs = NULL;
    unsigned char *all = NULL, *value = NULL;
    MPI_Datatype rt = MPI_DATATYPE_NULL;
    size_t total = 0, rsize;
    double t;

    rsize = ts != NULL ? ts->rsize : (sizeof(trec_t) + s->vsize + 7) & ~(size_t)7;
    mine[0] = ts != NULL ? (int64_t)ts->nrec : 0;
    mine[1] = ts != NULL ? r->internal_rc : DC_ERR_NOMEM;
    rc = dci_malloc(env, s->vsize, (void **)&value);
    if (rc != DC_SUCCESS)
        mine[1] = rc;
    cnt = s->xbuf; /* allocated at setup: the collective sequence never depends on memory */
    counts = s->ibuf;
    rc = DC_SUCCESS;
    t = dci_prof_mpi_begin(env); /* s->comm's ranks are the env's */
    mrc = MPI_Gather(mine, 2, MPI_INT64_T, cnt, 2, MPI_INT64_T, root0, s->comm);
    dci_prof_coll_end(env, t, sizeof(mine), s->rank == root0 ? (size_t)P * sizeof(mine) : 0);
    if (mrc != MPI_SUCCESS)
        rc = DC_ERR_MPI_RC(env, mrc, "gathering the task counts (MPI_Gather)");
    if (s->rank == root0) {
        out[OUT_STATUS] = rc;
        if (rc == DC_SUCCESS) {
            displs = counts + P;
            for (i = 0; i < P; i++) {
                if (cnt[2 * i + 1] != DC_SUCCESS && out[OUT_STATUS] == DC_SUCCESS)
                    out[OUT_STATUS] = cnt[2 * i + 1];
                if (cnt[2 * i] > INT32_MAX || total + (size_t)cnt[2 * i] > (size_t)INT32_MAX)
                    out[OUT_STATUS] = DC_ERR(env, DC_ERR_SIZE, "too many task records");
                counts[i] = (int)cnt[2 * i];
                displs[i] = (int)total;
                total += (size_t)cnt[2 * i];
            }
            if (out[OUT_STATUS] == DC_SUCCESS)
                out[OUT_STATUS] = dci_malloc(env, (total ? total : 1) * rsize, (void **)&all);
        }
        go = out[OUT_STATUS] == DC_SUCCESS;
    }
    t = dci_prof_mpi_begin(env);
    MPI_Bcast(&go, 1, MPI_INT, root0, s->comm);
    dci_prof_coll_end(env, t, s->rank == root0 ? sizeof(go) : 0, s->rank == root0 ? 0 : sizeof(go));
    if (go) {
        MPI_Type_contiguous((int)rsize, MPI_BYTE, &rt);
        MPI_Type_commit(&rt);
        t = dci_prof_mpi_begin(env);
        mrc = MPI_Gatherv(ts != NULL ? ts->recs : NULL, (int)mine[0], rt, all, counts, displs, rt,
                          root0, s->comm);
        dci_prof_mpi_end(env, t);
        /* per peer (dc_events.h): each rank's records to the root, the root's from each */
        if (s->rank != root0 && mine[0] > 0)
            dci_prof_send(env, root0, (size_t)mine[0] * rsize);
        else if (s->rank == root0)
            dci_prof_peers(env, P, NULL, NULL, counts, rsize);
        if (mrc != MPI_SUCCESS && s->rank == root0)
            out[OUT_STATUS] = DC_ERR_MPI_RC(env, mrc, "gathering the task records (MPI_Gatherv)");
        MPI_Type_free(&rt);
        if (s->rank == root0 && out[OUT_STATUS] == DC_SUCCESS)
            out[OUT_STATUS] = walk(s, r, all, total, rsize, out, value);
    }
    t = dci_prof_mpi_begin(env);
    mrc = MPI_Bcast(out, OUT_N, MPI_INT64_T, root0, s->comm);
    dci_prof_coll_end(env, t, s->rank == root0 ? sizeof(int64_t) * OUT_N : 0,
                      s->rank == root0 ? 0 : sizeof(int64_t) * OUT_N);
    if (mrc != MPI_SUCCESS)
        out[OUT_STATUS] = DC_ERR_MPI_RC(env, mrc, "broadcast of the outcome (MPI_Bcast)");
    rc = (int)out[OUT_STATUS];
    if (rc != DC_SUCCESS && s->rank != root0)
        DC_ERR(env, rc, "combining the task values failed on rank %d", root0);
    if (rc == DC_SUCCESS && out[OUT_ERRCODE] != 0) {
        rc = (int)out[OUT_ERRCODE];
        DC_ERR(env, rc,
               "a task failed with code %d: descendant at depth %lld of initial task %lld "
               "(position %lld in the canonical order)",
               rc, (long long)out[OUT_ERRDEPTH], (long long)out[OUT_ERRROOT],
               (long long)out[OUT_ERRPOS]);
    }
    if (rc == DC_SUCCESS && out[OUT_HASVAL] && s->root < 0) {
        t = dci_prof_mpi_begin(env);
        mrc = MPI_Bcast(value, (int)s->vsize, MPI_BYTE, root0, s->comm);
        dci_prof_coll_end(env, t, s->rank == root0 ? s->vsize : 0, s->rank == root0 ? 0 : s->vsize);
        if (mrc != MPI_SUCCESS)
            rc = DC_ERR_MPI_RC(env, mrc, "broadcast of the result (MPI_Bcast)");
    }
    if (rc == DC_SUCCESS && (s->root < 0 || s->rank == s->root)) {
        if (out[OUT_HASVAL])
            memcpy(result, value, s->vsize);
        else if (dci_sched_identity(s, value))
            memcpy(result, value, s->vsize); /* every task was empty */
    }
    dci_free(value);
    dci_free(all);
    return rc;
}
