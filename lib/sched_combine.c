/*
 * The scheduler's canonical combination: values of blocks are combined in a fixed pairwise tree
 * over the block indices, whoever computed them. A rank combines the complete subtrees of its
 * chunks on a stack; the remaining nodes are merged up a binomial tree of ranks (each merge
 * collapses sibling nodes) and the root finishes the tree. The shape never depends on the
 * schedule or the rank count, so neither do the bits of the result.
 */
#include "sched_impl.h"
#include "dtype.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- types and operations */

int dci_sched_value_setup(dc_sched_t *s)
{
    dc_env_t *env = s->hdr.env;
    size_t tsz = dci_dtype_size(s->type);

    DC_CHECK(dci_op_check(env, __func__, s->op, s->type));
    DC_REQUIRE(env, s->count >= 1 && s->count <= ((size_t)1 << 20) / tsz, DC_ERR_SIZE,
               "count %zu must be in [1, %zu] (values of at most 1 MiB)", s->count,
               ((size_t)1 << 20) / tsz);
    s->vsize = tsz * s->count;
    return DC_SUCCESS;
}

/* Arithmetic fast paths (no MPI call per combination). Integer sums and products wrap like
 * unsigned numbers instead of overflowing, which C leaves undefined. */
#define DCI_ARITH(T, U, l, r, n, op)                                                               \
    do {                                                                                           \
        T *l_ = (T *)(l);                                                                          \
        const T *r_ = (const T *)(r);                                                              \
        size_t i_;                                                                                 \
        switch (op) {                                                                              \
        case DC_REDUCE_SUM:                                                                        \
            for (i_ = 0; i_ < (n); i_++)                                                           \
                l_[i_] = (T)((U)l_[i_] + (U)r_[i_]);                                               \
            break;                                                                                 \
        case DC_REDUCE_PROD:                                                                       \
            for (i_ = 0; i_ < (n); i_++)                                                           \
                l_[i_] = (T)((U)l_[i_] * (U)r_[i_]);                                               \
            break;                                                                                 \
        case DC_REDUCE_MIN: /* NaN wins, the first in canonical order (x != x only for NaN) */     \
            for (i_ = 0; i_ < (n); i_++)                                                           \
                if (l_[i_] == l_[i_] && (r_[i_] != r_[i_] || r_[i_] < l_[i_]))                     \
                    l_[i_] = r_[i_];                                                               \
            break;                                                                                 \
        default:                                                                                   \
            for (i_ = 0; i_ < (n); i_++)                                                           \
                if (l_[i_] == l_[i_] && (r_[i_] != r_[i_] || r_[i_] > l_[i_]))                     \
                    l_[i_] = r_[i_];                                                               \
            break;                                                                                 \
        }                                                                                          \
    } while (0)

void dci_sched_combine(const dc_sched_t *s, void *left, void *right)
{
    size_t n = s->count;

    if (s->op >= DC_REDUCE_USER) {
        /* MPI_Reduce_local computes inout = in op inout: the left operand stays first, so
         * non-commutative operations get the canonical order. */
        dc_env_t *env = s->hdr.env;
        MPI_Reduce_local(left, right, (int)n, dci_dtype_mpi(env, s->type),
                         env->user_op[s->op - DC_REDUCE_USER]);
        memcpy(left, right, s->vsize);
        return;
    }
    switch (s->type) {
    case DC_TYPE_DOUBLE: DCI_ARITH(double, double, left, right, n, s->op); break;
    case DC_TYPE_FLOAT: DCI_ARITH(float, float, left, right, n, s->op); break;
    case DC_TYPE_INT32: DCI_ARITH(int32_t, uint32_t, left, right, n, s->op); break;
    case DC_TYPE_INT64: DCI_ARITH(int64_t, uint64_t, left, right, n, s->op); break;
    default: /* the pair types: the library's one MINLOC/MAXLOC rule (dtype.h) */
        dci_loc_combine(s->type, s->op == DC_REDUCE_MAXLOC, right, left, n);
        break;
    }
}

int dci_sched_identity(const dc_sched_t *s, void *out)
{
    return dci_dtype_identity(s->type, s->op, s->count, out);
}

/* ---------------------------------------------------------------- the stack */

int dci_stack_init(dc_sched_t *s, dci_stack_t *st)
{
    st->depth = 0;
    st->end = -1;
    st->vals = NULL;
    return dci_malloc_aligned(s->hdr.env, DCI_STACK_MAX * s->vsize, (void **)&st->vals);
}

void dci_stack_free(dci_stack_t *st)
{
    dci_free(st->vals);
    st->vals = NULL;
}

static int64_t key_start(uint64_t key)
{
    return DCI_KEY_INDEX(key) << DCI_KEY_LEVEL(key);
}

static int64_t key_end(uint64_t key)
{
    return (DCI_KEY_INDEX(key) + 1) << DCI_KEY_LEVEL(key);
}

/* Combine the two top entries while they are siblings (left one even, right one next). */
static void stack_merge(const dc_sched_t *s, dci_stack_t *st)
{
    while (st->depth >= 2) {
        uint64_t a = st->key[st->depth - 2], b = st->key[st->depth - 1];
        if (DCI_KEY_LEVEL(a) != DCI_KEY_LEVEL(b) || (DCI_KEY_INDEX(a) & 1) != 0 ||
            DCI_KEY_INDEX(b) != DCI_KEY_INDEX(a) + 1)
            return;
        dci_sched_combine(s, st->vals + (size_t)(st->depth - 2) * s->vsize,
                          st->vals + (size_t)(st->depth - 1) * s->vsize);
        st->key[st->depth - 2] = DCI_KEY(DCI_KEY_LEVEL(a) + 1, DCI_KEY_INDEX(a) >> 1);
        st->depth--;
    }
}

void dci_stack_push_leaf(const dc_sched_t *s, dci_stack_t *st, int64_t leaf)
{
    st->key[st->depth++] = DCI_KEY(0, leaf);
    st->end = leaf + 1;
    stack_merge(s, st);
}

int dci_stack_flush(dc_sched_t *s, dci_stack_t *st, dci_recs_t *recs)
{
    int i, rc = DC_SUCCESS;

    for (i = 0; i < st->depth && rc == DC_SUCCESS; i++)
        rc = dci_recs_append(s, recs, st->key[i], st->vals + (size_t)i * s->vsize);
    st->depth = 0;
    st->end = -1;
    return rc;
}

/* Push a node (any level) and merge; the caller flushed before a gap. */
static void stack_push_node(const dc_sched_t *s, dci_stack_t *st, uint64_t key, const void *val)
{
    memcpy(st->vals + (size_t)st->depth * s->vsize, val, s->vsize);
    st->key[st->depth++] = key;
    st->end = key_end(key);
    stack_merge(s, st);
}

/* ---------------------------------------------------------------- records */

int dci_recs_init(dc_sched_t *s, dci_recs_t *recs)
{
    recs->n = recs->cap = 0;
    recs->rsize = 8 + ((s->vsize + 7) & ~(size_t)7);
    recs->data = NULL;
    return DC_SUCCESS;
}

void dci_recs_free(dci_recs_t *recs)
{
    dci_free(recs->data);
    recs->data = NULL;
    recs->n = recs->cap = 0;
}

static int recs_reserve(dc_sched_t *s, dci_recs_t *recs, size_t need)
{
    unsigned char *p;
    size_t cap;

    if (need <= recs->cap)
        return DC_SUCCESS;
    cap = recs->cap ? recs->cap : 64;
    while (cap < need)
        cap *= 2;
    /* one spare record in front: the message header of dci_sched_merge */
    DC_CHECK(dci_malloc(s->hdr.env, (cap + 1) * recs->rsize, (void **)&p));
    if (recs->data != NULL)
        memcpy(p, recs->data, (recs->n + 1) * recs->rsize);
    dci_free(recs->data);
    recs->data = p;
    recs->cap = cap;
    return DC_SUCCESS;
}

static unsigned char *rec_at(const dci_recs_t *recs, size_t i)
{
    return recs->data + (i + 1) * recs->rsize; /* slot 0 is the header */
}

static uint64_t rec_key(const dci_recs_t *recs, size_t i)
{
    uint64_t k;

    memcpy(&k, rec_at(recs, i), 8);
    return k;
}

int dci_recs_append(dc_sched_t *s, dci_recs_t *recs, uint64_t key, const void *val)
{
    unsigned char *p;

    DC_CHECK(recs_reserve(s, recs, recs->n + 1));
    p = rec_at(recs, recs->n++);
    memcpy(p, &key, 8);
    memcpy(p + 8, val, s->vsize);
    return DC_SUCCESS;
}

static int rec_cmp(const void *a, const void *b, void *rsize_unused)
{
    uint64_t ka, kb;
    int64_t sa, sb;

    (void)rsize_unused;
    memcpy(&ka, a, 8);
    memcpy(&kb, b, 8);
    sa = key_start(ka);
    sb = key_start(kb);
    return sa < sb ? -1 : sa > sb;
}

/* Sort records by start with a merge sort on whole records (stealing produces them out of
 * order; qsort_r is not portable C). */
static int recs_sort(dc_sched_t *s, dci_recs_t *recs)
{
    size_t n = recs->n, rs = recs->rsize, width, i;
    unsigned char *tmp, *src, *dst;
    int sorted = 1;

    for (i = 1; i < n && sorted; i++)
        if (key_start(rec_key(recs, i - 1)) > key_start(rec_key(recs, i)))
            sorted = 0;
    if (sorted)
        return DC_SUCCESS;
    DC_CHECK(dci_malloc(s->hdr.env, n * rs, (void **)&tmp));
    src = rec_at(recs, 0);
    dst = tmp;
    for (width = 1; width < n; width *= 2) {
        for (i = 0; i < n; i += 2 * width) {
            size_t a = i, am = i + width < n ? i + width : n, b = am;
            size_t bm = i + 2 * width < n ? i + 2 * width : n, o = i;
            while (a < am || b < bm) {
                if (b >= bm || (a < am && rec_cmp(src + a * rs, src + b * rs, NULL) <= 0))
                    memcpy(dst + (o++) * rs, src + (a++) * rs, rs);
                else
                    memcpy(dst + (o++) * rs, src + (b++) * rs, rs);
            }
        }
        {
            unsigned char *t = src;
            src = dst;
            dst = t;
        }
    }
    if (src != rec_at(recs, 0))
        memcpy(rec_at(recs, 0), src, n * rs);
    dci_free(tmp);
    return DC_SUCCESS;
}

/* Merge two sorted record lists into out, collapsing siblings (flush before every gap). */
static int recs_merge(dc_sched_t *s, dci_stack_t *st, const dci_recs_t *a, const dci_recs_t *b,
                      dci_recs_t *out)
{
    size_t i = 0, j = 0;
    int rc = DC_SUCCESS;

    st->depth = 0;
    st->end = -1;
    while ((i < a->n || j < b->n) && rc == DC_SUCCESS) {
        const unsigned char *p;
        uint64_t k;
        if (j >= b->n || (i < a->n && key_start(rec_key(a, i)) <= key_start(rec_key(b, j))))
            p = rec_at(a, i++);
        else
            p = rec_at(b, j++);
        memcpy(&k, p, 8);
        if (st->depth > 0 && key_start(k) != st->end)
            rc = dci_stack_flush(s, st, out);
        if (st->depth >= DCI_STACK_MAX - 1)
            rc = dci_stack_flush(s, st, out); /* cannot happen for a partition; be safe */
        if (rc == DC_SUCCESS)
            stack_push_node(s, st, k, p + 8);
    }
    if (rc == DC_SUCCESS)
        rc = dci_stack_flush(s, st, out);
    return rc;
}

/* ---------------------------------------------------------------- the merge over ranks */

/* Tag of the merge messages on the scheduler's private communicator. */
#define DCI_TAG_MERGE 4242

static int send_recs(dc_sched_t *s, dci_recs_t *recs, int64_t status, int dest, MPI_Datatype rt)
{
    int64_t hdr[2];
    int mrc;
    double t;

    /* An empty list still needs its header slot. */
    if (recs->data == NULL && recs_reserve(s, recs, 1) != DC_SUCCESS)
        status = DC_ERR_NOMEM;
    hdr[0] = status;
    hdr[1] = (int64_t)(status == DC_SUCCESS ? recs->n : 0);
    if (recs->data == NULL) {
        /* no memory even for the header: a bare header message */
        t = dci_prof_mpi_begin(s->hdr.env); /* s->comm's ranks are the env's */
        mrc = MPI_Send(hdr, 2, MPI_INT64_T, dest, DCI_TAG_MERGE + 1, s->comm);
        dci_prof_mpi_end(s->hdr.env, t);
        dci_prof_send(s->hdr.env, dest, sizeof(hdr));
        return mrc == MPI_SUCCESS ? DC_SUCCESS
                                  : DC_ERR_MPI_RC(s->hdr.env, mrc, "sending partial values");
    }
    memcpy(recs->data, hdr, sizeof(hdr));
    t = dci_prof_mpi_begin(s->hdr.env);
    mrc = MPI_Send(recs->data, (int)(hdr[1] + 1), rt, dest, DCI_TAG_MERGE, s->comm);
    dci_prof_mpi_end(s->hdr.env, t);
    dci_prof_send(s->hdr.env, dest, (size_t)(hdr[1] + 1) * recs->rsize);
    if (mrc != MPI_SUCCESS)
        return DC_ERR_MPI_RC(s->hdr.env, mrc, "sending partial values");
    return DC_SUCCESS;
}

/* Receive a list from src into in (its status in *status_p). */
static int recv_recs(dc_sched_t *s, dci_recs_t *in, int src, MPI_Datatype rt, int64_t *status_p)
{
    MPI_Status st;
    int cnt = 0, rc, mrc;
    int64_t hdr[2];
    double t;

    t = dci_prof_mpi_begin(s->hdr.env); /* the probe waits for the message: comm time */
    mrc = MPI_Probe(src, MPI_ANY_TAG, s->comm, &st);
    dci_prof_mpi_end(s->hdr.env, t);
    if (mrc != MPI_SUCCESS)
        return DC_ERR_MPI_RC(s->hdr.env, mrc, "probing for partial values");
    if (st.MPI_TAG == DCI_TAG_MERGE + 1) {
        MPI_Recv(hdr, 2, MPI_INT64_T, src, DCI_TAG_MERGE + 1, s->comm, MPI_STATUS_IGNORE);
        dci_prof_recv(s->hdr.env, src, sizeof(hdr));
        *status_p = hdr[0];
        return DC_SUCCESS;
    }
    MPI_Get_count(&st, rt, &cnt);
    dci_prof_recv(s->hdr.env, src, (size_t)(cnt > 0 ? cnt : 0) * in->rsize);
    rc = recs_reserve(s, in, (size_t)(cnt > 0 ? cnt : 1));
    if (rc != DC_SUCCESS) {
        /* drain the message so that nothing stays pending, then report */
        void *tmp = malloc((size_t)cnt * in->rsize);
        MPI_Recv(tmp, cnt, rt, src, DCI_TAG_MERGE, s->comm, MPI_STATUS_IGNORE);
        free(tmp);
        *status_p = rc;
        return DC_SUCCESS;
    }
    mrc = MPI_Recv(in->data, cnt, rt, src, DCI_TAG_MERGE, s->comm, MPI_STATUS_IGNORE);
    if (mrc != MPI_SUCCESS)
        return DC_ERR_MPI_RC(s->hdr.env, mrc, "receiving partial values");
    memcpy(hdr, in->data, sizeof(hdr));
    *status_p = hdr[0];
    in->n = (size_t)hdr[1];
    return DC_SUCCESS;
}

/* At the tree's root: the records must tile [0, nleaves); finish the tree. */
static int finish_tree(dc_sched_t *s, dci_stack_t *st, const dci_recs_t *recs, int64_t nleaves,
                       void *result)
{
    size_t i;

    st->depth = 0;
    st->end = 0;
    for (i = 0; i < recs->n; i++) {
        uint64_t k = rec_key(recs, i);
        if (key_start(k) != st->end || st->depth >= DCI_STACK_MAX - 1)
            return DC_ERR(s->hdr.env, DC_ERR_INTERNAL,
                          "partial values do not tile the index space (blocks from %lld "
                          "missing or duplicated)",
                          (long long)st->end);
        stack_push_node(s, st, k, rec_at(recs, i) + 8);
    }
    if (st->end < nleaves)
        return DC_ERR(s->hdr.env, DC_ERR_INTERNAL, "blocks from %lld on are missing",
                      (long long)st->end);
    dci_stack_finish(s, st, result);
    return DC_SUCCESS;
}

int dci_stack_finish(const dc_sched_t *s, dci_stack_t *st, void *out)
{
    if (st->depth == 0)
        return 0;
    /* Nodes left on the stack have no right sibling (it lies beyond the last leaf): lift the
     * top one level (its value unchanged) until it meets its left neighbour. The stack holds
     * the binary decomposition of [0, end), so the top's index is even whenever it is lifted. */
    while (st->depth > 1) {
        uint64_t k = st->key[st->depth - 1];
        st->key[st->depth - 1] = DCI_KEY(DCI_KEY_LEVEL(k) + 1, DCI_KEY_INDEX(k) >> 1);
        stack_merge(s, st);
    }
    memcpy(out, st->vals, s->vsize);
    return 1;
}

int dci_sched_merge(dc_sched_t *s, dci_run_t *r, void *result)
{
    dc_env_t *env = s->hdr.env;
    int P = s->size, root0 = s->root < 0 ? 0 : s->root;
    int rel = (s->rank - root0 + P) % P, mask;
    int64_t status;
    dci_recs_t in, out;
    MPI_Datatype rt = MPI_DATATYPE_NULL;
    unsigned char *res = NULL;
    int rc, mrc;

    dci_recs_init(s, &in);
    dci_recs_init(s, &out);
    rc = dci_stack_flush(s, &r->stack, &r->recs);
    if (rc == DC_SUCCESS)
        rc = recs_sort(s, &r->recs);
    if (rc == DC_SUCCESS)
        rc = dci_malloc(env, s->vsize, (void **)&res);
    status = rc;
    if (r->failed && status == DC_SUCCESS) /* values incomplete: the run reports why */
        status = r->internal_rc != DC_SUCCESS ? r->internal_rc
                 : r->err_code != 0           ? r->err_code
                                              : DC_ERR_INTERNAL;
    if ((mrc = MPI_Type_contiguous((int)r->recs.rsize, MPI_BYTE, &rt)) != MPI_SUCCESS ||
        (mrc = MPI_Type_commit(&rt)) != MPI_SUCCESS) {
        dci_free(res);
        return DC_ERR_MPI_RC(env, mrc, "building the record datatype");
    }

    /* Binomial tree towards root0: a rank first receives from its children (low bits), then
     * sends to its parent and leaves the loop. A failure travels up as the status. */
    for (mask = 1; mask < P; mask <<= 1) {
        if (rel & mask) {
            rc = send_recs(s, &r->recs, status, (rel - mask + root0) % P, rt);
            if (rc != DC_SUCCESS)
                status = rc;
            break;
        }
        if (rel + mask < P) {
            int64_t st_in = DC_SUCCESS;
            in.n = 0;
            rc = recv_recs(s, &in, (rel + mask + root0) % P, rt, &st_in);
            if (status == DC_SUCCESS)
                status = rc != DC_SUCCESS ? rc : st_in;
            if (status == DC_SUCCESS) {
                out.n = 0;
                rc = recs_merge(s, &r->stack, &r->recs, &in, &out);
                if (rc == DC_SUCCESS) {
                    dci_recs_t t = r->recs;
                    r->recs = out;
                    out = t;
                } else {
                    status = rc;
                }
            }
        }
    }
    MPI_Type_free(&rt);
    if (rel == 0 && status == DC_SUCCESS)
        status = finish_tree(s, &r->stack, &r->recs, r->nleaves, res);

    /* root0 tells everyone the outcome; on success every rank has res (an allocation failure
     * anywhere would have reached root0 as the status), so the value can follow. */
    {
        int64_t agreed = status;
        int am0 = s->rank == root0;
        double t = dci_prof_mpi_begin(env);
        /* profiler: both broadcasts' buffers, as the root sends and the others receive */
        dci_prof_coll(env, am0 ? sizeof(agreed) : 0, am0 ? 0 : sizeof(agreed));
        if ((mrc = MPI_Bcast(&agreed, 1, MPI_INT64_T, root0, s->comm)) != MPI_SUCCESS) {
            agreed = DC_ERR_MPI_RC(env, mrc, "broadcast of the outcome (MPI_Bcast)");
        } else if (agreed != DC_SUCCESS && status == DC_SUCCESS) {
            DC_ERR(env, (int)agreed, "combining the partial values failed on rank %d", root0);
        } else if (agreed == DC_SUCCESS && s->root < 0 &&
                   (mrc = MPI_Bcast(res, (int)s->vsize, MPI_BYTE, root0, s->comm)) != MPI_SUCCESS) {
            agreed = DC_ERR_MPI_RC(env, mrc, "broadcast of the result (MPI_Bcast)");
        }
        if (agreed == DC_SUCCESS && s->root < 0)
            dci_prof_coll(env, am0 ? s->vsize : 0, am0 ? 0 : s->vsize);
        dci_prof_mpi_end(env, t);
        status = agreed;
    }
    if (status == DC_SUCCESS && (s->root < 0 || s->rank == s->root))
        memcpy(result, res, s->vsize);
    dci_free(res);
    dci_recs_free(&in);
    dci_recs_free(&out);
    return (int)status;
}
