/*
 * The scheduler object (dc_sched_t): settings, setup, the run driver shared by all schedules,
 * errors and statistics. The schedules themselves sit behind dci_sched_ops_t (sched_static.c,
 * sched_dynamic.c, sched_steal.c); values are combined in sched_combine.c, task lists run in
 * sched_task.c. A run: local checks -> one allreduce (arguments agree, runs are ordered) ->
 * take and compute chunks -> merge partial values -> exchange statistics and errors.
 */
#include "sched_impl.h"
#include "dtype.h"

#include <math.h>
#include <string.h>

static const char *const kind_names[DC_SCHED_KIND_COUNT_] = {
    "static", "cyclic", "weighted", "dynamic", "guided", "steal",
};

const char *dc_sched_kind_name(dc_sched_kind_t kind)
{
    return (int)kind >= 0 && kind < DC_SCHED_KIND_COUNT_ ? kind_names[kind] : NULL;
}

int dc_sched_kind_from_name(const char *name, dc_sched_kind_t *kind_p)
{
    int i;

    if (name == NULL || kind_p == NULL)
        return DC_ERR(NULL, DC_ERR_ARG, "%s is NULL", name == NULL ? "name" : "kind_p");
    for (i = 0; i < DC_SCHED_KIND_COUNT_; i++) {
        if (strcmp(name, kind_names[i]) == 0) {
            *kind_p = (dc_sched_kind_t)i;
            return DC_SUCCESS;
        }
    }
    return DC_ERR(NULL, DC_ERR_ARG,
                  "unknown schedule \"%s\" (static, cyclic, weighted, dynamic, guided, steal)",
                  name);
}

uint64_t dci_sched_rand(uint64_t *state)
{
    /* xorshift64*: only picks steal victims, quality is not critical */
    uint64_t x = *state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

/* ---------------------------------------------------------------- lifecycle */

static void sched_free(dc_sched_t *s)
{
    if (s == NULL)
        return;
    if (s->ops != NULL && s->ops->free != NULL)
        s->ops->free(s);
    dci_sched_deque_free(s);
    dci_sched_shm_free(s);
    dci_stack_free(&s->run.stack);
    dci_recs_free(&s->run.recs);
    dci_sched_task_free(&s->run);
    if (s->comm != MPI_COMM_NULL)
        MPI_Comm_free(&s->comm);
    dci_free(s->weights);
    dci_free(s->stats);
    dci_free(s->xbuf);
    dci_free(s->ibuf);
    dci_free(s->peer);
    dci_free(s->dq);
    s->hdr.magic = DCI_CLASS_DEAD;
    dci_free(s);
}

static void sched_free_obj(dci_obj_t *hdr)
{
    dc_env_t *env = hdr->env;

    sched_free((dc_sched_t *)hdr);
    dci_env_unref(env);
}

int dc_sched_create(dc_env_t *env, dc_sched_t **sched_p)
{
    dc_sched_t *s = NULL;
    int rc = DC_SUCCESS;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    dci_prof_begin(env, DCI_EV_SCHED_CREATE);
    DC_REQUIRE_GOTO(env, sched_p != NULL, DC_ERR_ARG, out, "sched_p is NULL");
    DC_CHECK_GOTO(dci_calloc(env, 1, sizeof(*s), (void **)&s), out);
    s->comm = MPI_COMM_NULL;
    s->shm_win = s->glob_win = s->dq_win = MPI_WIN_NULL;
    s->kind = DC_SCHED_STATIC;
    s->chunk = 0;
    s->grain = 1;
    s->type = DC_TYPE_DOUBLE;
    s->count = 1;
    s->op = DC_REDUCE_SUM;
    s->root = DC_SCHED_ROOT_ALL;
    s->weight = DC_SCHED_WEIGHT_CORES;
    s->run.stack.vals = NULL;
out:
    rc = dci_agree(env, rc);
    if (rc == DC_SUCCESS) {
        /* the scheduler's own communicator: its messages never meet other modules' */
        int mpirc = MPI_Comm_dup(env->comm, &s->comm);
        if (mpirc != MPI_SUCCESS) {
            s->comm = MPI_COMM_NULL;
            rc = dci_error_mpi(env, mpirc, __func__, __FILE__, __LINE__, "MPI_Comm_dup");
        }
        rc = dci_agree(env, rc);
    }
    if (rc != DC_SUCCESS) {
        sched_free(s);
        dci_prof_end(env, DCI_EV_SCHED_CREATE, 0);
        return rc;
    }
    MPI_Comm_rank(s->comm, &s->rank);
    MPI_Comm_size(s->comm, &s->size);
    dci_obj_init(&s->hdr, DCI_CLASS_SCHED, dci_env_ref(env), sched_free_obj);
    *sched_p = s;
    dci_prof_end(env, DCI_EV_SCHED_CREATE, 0);
    return DC_SUCCESS;
}

int dc_sched_destroy(dc_sched_t **sched_p)
{
    dc_sched_t *s;

    if (sched_p == NULL || *sched_p == NULL)
        return DC_SUCCESS;
    DC_VALIDATE_OWNED(*sched_p, DCI_CLASS_SCHED);
    s = *sched_p;
    *sched_p = NULL;
    dci_obj_release(&s->hdr, "sched_p", __func__);
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- settings */

#define SETTER_PROLOGUE(s)                                                                         \
    do {                                                                                           \
        DC_VALIDATE(s, DCI_CLASS_SCHED);                                                           \
        DC_REQUIRE((s)->hdr.env, (s)->state == DCI_SCHED_CREATED, DC_ERR_STATE,                    \
                   "the scheduler is already set up; settings are fixed");                         \
    } while (0)

int dc_sched_set_kind(dc_sched_t *sched, dc_sched_kind_t kind)
{
    SETTER_PROLOGUE(sched);
    DC_REQUIRE(sched->hdr.env, (int)kind >= 0 && kind < DC_SCHED_KIND_COUNT_, DC_ERR_ARG,
               "unknown schedule %d", (int)kind);
    sched->kind = kind;
    return DC_SUCCESS;
}

int dc_sched_set_chunk(dc_sched_t *sched, dc_gidx_t chunk)
{
    SETTER_PROLOGUE(sched);
    DC_REQUIRE(sched->hdr.env, chunk >= 0, DC_ERR_SIZE, "chunk %lld < 0", (long long)chunk);
    sched->chunk = chunk;
    return DC_SUCCESS;
}

int dc_sched_set_grain(dc_sched_t *sched, dc_gidx_t grain)
{
    SETTER_PROLOGUE(sched);
    DC_REQUIRE(sched->hdr.env, grain >= 1, DC_ERR_SIZE, "grain %lld < 1", (long long)grain);
    sched->grain = grain;
    return DC_SUCCESS;
}

int dc_sched_set_reduction(dc_sched_t *sched, dc_dtype_t type, size_t count, dc_reduce_op_t op)
{
    dc_dtype_t ot;
    size_t oc;
    dc_reduce_op_t oo;
    int rc;

    SETTER_PROLOGUE(sched);
    ot = sched->type;
    oc = sched->count;
    oo = sched->op;
    sched->type = type;
    sched->count = count;
    sched->op = op;
    rc = dci_sched_value_setup(sched);
    if (rc != DC_SUCCESS) {
        sched->type = ot;
        sched->count = oc;
        sched->op = oo;
        dci_sched_value_setup(sched);
    }
    return rc;
}

int dc_sched_set_root(dc_sched_t *sched, int root)
{
    SETTER_PROLOGUE(sched);
    DC_REQUIRE(sched->hdr.env, root == DC_SCHED_ROOT_ALL || (root >= 0 && root < sched->size),
               DC_ERR_ARG, "root %d is not a rank of the env (0..%d) nor DC_SCHED_ROOT_ALL", root,
               sched->size - 1);
    sched->root = root;
    return DC_SUCCESS;
}

int dc_sched_set_weight(dc_sched_t *sched, double weight)
{
    SETTER_PROLOGUE(sched);
    DC_REQUIRE(sched->hdr.env,
               weight == DC_SCHED_WEIGHT_CORES || weight == DC_SCHED_WEIGHT_CALIBRATE ||
                   (weight >= 0.0 && isfinite(weight)),
               DC_ERR_ARG, "weight %g is neither finite and >= 0 nor a DC_SCHED_WEIGHT_* value",
               weight);
    sched->weight = weight;
    return DC_SUCCESS;
}

int dc_sched_setup(dc_sched_t *sched)
{
    dc_sched_t *s = sched;
    dc_env_t *env;
    int rc = DC_SUCCESS;
    int64_t vals[7];

    DC_VALIDATE(s, DCI_CLASS_SCHED);
    env = s->hdr.env;
    dci_prof_begin(env, DCI_EV_SCHED_SETUP);
    DC_REQUIRE_GOTO(env, s->state == DCI_SCHED_CREATED, DC_ERR_STATE, out,
                    "dc_sched_setup called twice");
    DC_CHECK_GOTO(dci_sched_value_setup(s), out);
    DC_CHECK_GOTO(dci_calloc(env, (size_t)s->size, sizeof(*s->stats), (void **)&s->stats), out);
    DC_CHECK_GOTO(dci_calloc(env, 16 * (size_t)s->size, sizeof(int64_t), (void **)&s->xbuf), out);
    DC_CHECK_GOTO(dci_calloc(env, 2 * (size_t)s->size, sizeof(int), (void **)&s->ibuf), out);
    DC_CHECK_GOTO(dci_stack_init(s, &s->run.stack), out);
    DC_CHECK_GOTO(dci_recs_init(s, &s->run.recs), out);
out:
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto done;
    vals[0] = s->kind;
    vals[1] = s->chunk;
    vals[2] = s->grain;
    vals[3] = s->type;
    vals[4] = (int64_t)s->count;
    vals[5] = s->op;
    vals[6] = s->root;
    rc = dci_check_same(env, DC_ERR_ARG, vals, 7,
                        "a setting of the scheduler (kind, chunk, grain, type, count, op or "
                        "root)");
    if (rc != DC_SUCCESS)
        goto done;
    switch (s->kind) {
    case DC_SCHED_DYNAMIC:
    case DC_SCHED_GUIDED: s->ops = &dci_sched_dynamic_ops; break;
    case DC_SCHED_STEAL: s->ops = &dci_sched_steal_ops; break;
    default: s->ops = &dci_sched_static_ops; break;
    }
    /* The schedule's own collective setup (node-shared memory, weights); agreed. */
    if (s->ops->setup != NULL)
        rc = dci_agree(env, s->ops->setup(s));
    if (rc == DC_SUCCESS)
        s->state = DCI_SCHED_SETUP;
done:
    if (rc != DC_SUCCESS && s->state == DCI_SCHED_CREATED) {
        /* the settings may be fixed and setup called again: it allocates these anew */
        dci_free(s->stats);
        dci_free(s->xbuf);
        dci_free(s->ibuf);
        s->stats = NULL;
        s->xbuf = NULL;
        s->ibuf = NULL;
        dci_stack_free(&s->run.stack);
        dci_recs_free(&s->run.recs);
    }
    dci_prof_end(env, DCI_EV_SCHED_SETUP, 0);
    return rc;
}

/* ---------------------------------------------------------------- the run */

/* Execute leaves [lo, hi) of an index-space run. */
static void exec_leaves(dc_sched_t *s, dci_run_t *r, int64_t lo, int64_t hi)
{
    int64_t leaf, g = s->grain, n = r->n;

    if (r->stack.depth > 0 && lo != r->stack.end && !r->failed) {
        int rc = dci_stack_flush(s, &r->stack, &r->recs);
        if (rc != DC_SUCCESS) {
            r->failed = 1; /* the blocks still run once each; the rank reports rc */
            r->internal_rc = rc;
        }
    }
    for (leaf = lo; leaf < hi; leaf++) {
        int64_t a = leaf * g, b = a + g < n ? a + g : n;
        void *slot = r->failed ? r->stack.vals + (size_t)(DCI_STACK_MAX - 1) * s->vsize
                               : dci_stack_slot(s, &r->stack);
        int crc = r->fn(a, b, slot, r->ctx);
        r->st.tasks++;
        if (DCI_UNLIKELY(crc != 0)) {
            if (leaf < r->err_leaf) {
                r->err_leaf = leaf;
                r->err_code = crc < 0 ? crc : DC_ERR_ARG;
            }
            r->failed = 1; /* keep running every block once; stop combining */
            continue;
        }
        if (!r->failed)
            dci_stack_push_leaf(s, &r->stack, leaf);
    }
}

/* Local checks and the start allreduce: arguments agree and the previous run is over on every
 * rank. Returns an agreed code. */
static int run_start(dc_sched_t *s, dci_run_t *r, int lrc, int64_t n, int64_t task_size)
{
    dc_env_t *env = s->hdr.env;
    int64_t in[5], out[5];
    int mrc;
    double t;

    in[0] = n;
    in[1] = -n;
    in[2] = task_size;
    in[3] = -task_size;
    in[4] = -(int64_t)lrc;       /* max of -rc: the most negative code */
    t = dci_prof_mpi_begin(env); /* s->comm: a duplicate of the env's, the same ranks */
    mrc = MPI_Allreduce(in, out, 5, MPI_INT64_T, MPI_MAX, s->comm);
    dci_prof_coll_end(env, t, sizeof(in), sizeof(out));
    if (mrc != MPI_SUCCESS)
        return DC_ERR_MPI_RC(env, mrc, "the start of the run (MPI_Allreduce)");
    if (out[4] != 0) /* the failing rank's message goes to everyone */
        return dci_agree(env, lrc);
    if (out[0] != -out[1])
        return DC_ERR(env, DC_ERR_SIZE, "the size differs across ranks (min %lld, max %lld)",
                      (long long)-out[1], (long long)out[0]);
    if (out[2] != -out[3])
        return DC_ERR(env, DC_ERR_SIZE, "task_size differs across ranks (min %lld, max %lld)",
                      (long long)-out[3], (long long)out[2]);
    (void)r;
    return DC_SUCCESS;
}

/* Statistics and outcome exchange (one allgather), then the agreed code. */
enum {
    ST_TASKS,
    ST_CHUNKS,
    ST_STEALS,
    ST_ATT,
    ST_BUSY,
    ST_FINISH,
    ST_COMB,
    ST_ERRLEAF,
    ST_ERRCODE,
    ST_RC,
    ST_N
};

static int64_t dbits(double d)
{
    int64_t v;
    memcpy(&v, &d, 8);
    return v;
}

static double bitsd(int64_t v)
{
    double d;
    memcpy(&d, &v, 8);
    return d;
}

static int run_finish(dc_sched_t *s, dci_run_t *r, double finish, double comb, int lrc,
                      int merge_rc)
{
    dc_env_t *env = s->hdr.env;
    int64_t mine[ST_N], *all = NULL;
    int i, P = s->size, worst = DC_SUCCESS;
    int64_t err_leaf = INT64_MAX;
    int err_code = 0;
    double maxfin = 0.0, t;

    mine[ST_TASKS] = r->st.tasks;
    mine[ST_CHUNKS] = r->st.chunks;
    mine[ST_STEALS] = r->st.steals;
    mine[ST_ATT] = r->st.steal_attempts;
    mine[ST_BUSY] = dbits(r->st.busy);
    mine[ST_FINISH] = dbits(finish);
    mine[ST_COMB] = dbits(comb);
    mine[ST_ERRLEAF] = r->tasks_mode ? INT64_MAX : r->err_leaf;
    mine[ST_ERRCODE] = r->err_code;
    mine[ST_RC] = lrc;
    all = s->xbuf;
    t = dci_prof_mpi_begin(env);
    i = MPI_Allgather(mine, ST_N, MPI_INT64_T, all, ST_N, MPI_INT64_T, s->comm);
    dci_prof_coll_end(env, t, ST_N * sizeof(int64_t), (size_t)P * ST_N * sizeof(int64_t));
    if (i != MPI_SUCCESS)
        return DC_ERR_MPI_RC(env, i, "exchange of the run statistics (MPI_Allgather)");
    for (i = 0; i < P; i++) {
        int64_t *a = all + (size_t)i * ST_N;
        if (bitsd(a[ST_FINISH]) > maxfin)
            maxfin = bitsd(a[ST_FINISH]);
        if (a[ST_ERRLEAF] < err_leaf) {
            err_leaf = a[ST_ERRLEAF];
            err_code = (int)a[ST_ERRCODE];
        }
        if (a[ST_RC] < worst)
            worst = (int)a[ST_RC];
    }
    for (i = 0; i < P; i++) {
        int64_t *a = all + (size_t)i * ST_N;
        dc_sched_stats_t *st = &s->stats[i];
        st->tasks = a[ST_TASKS];
        st->chunks = a[ST_CHUNKS];
        st->steals = a[ST_STEALS];
        st->steal_attempts = a[ST_ATT];
        st->busy = bitsd(a[ST_BUSY]);
        st->overhead = bitsd(a[ST_FINISH]) - st->busy;
        if (st->overhead < 0)
            st->overhead = 0;
        st->wait = maxfin - bitsd(a[ST_FINISH]);
        /* a rank that ran dry early waits for the others inside the merge: that is wait */
        st->combine = bitsd(a[ST_COMB]) - st->wait;
        if (st->combine < 0)
            st->combine = 0;
    }
    s->have_stats = 1;

    /* The same decision on every rank, from the same data. */
    if (err_leaf != INT64_MAX) {
        int64_t lo = err_leaf * s->grain;
        return DC_ERR(env, err_code,
                      "the callback failed on block %lld (indices [%lld, %lld)) with code %d",
                      (long long)err_leaf, (long long)lo,
                      (long long)(lo + s->grain < r->n ? lo + s->grain : r->n), err_code);
    }
    if (worst != DC_SUCCESS)
        return dci_agree(env, lrc);
    return merge_rc; /* agreed by the merge's broadcast */
}

static int run_body(dc_sched_t *s, dci_run_t *r, void *result)
{
    double t1, t2;
    int64_t lo, hi;
    int lrc = DC_SUCCESS, mrc = DC_SUCCESS, rc;

    r->t0 = dci_wtime();
    if (r->tasks_mode) {
        lrc = dci_sched_task_loop(s, r);
    } else {
        while (s->ops->next(s, r, &lo, &hi)) {
            double t = dci_wtime();
            r->st.chunks++;
            exec_leaves(s, r, lo, hi);
            r->st.busy += dci_wtime() - t;
        }
    }
    t1 = dci_wtime();
    if (lrc == DC_SUCCESS)
        lrc = r->internal_rc;
    if (r->nleaves > 0 && r->tasks_mode)
        mrc = dci_sched_task_merge(s, r, result);
    else if (r->nleaves > 0)
        mrc = dci_sched_merge(s, r, result);
    t2 = dci_wtime();
    rc = run_finish(s, r, t1 - r->t0, t2 - t1, lrc, mrc);
    /* Nothing to combine: the identity of a built-in op; a user op leaves result as it is. */
    if (rc == DC_SUCCESS && r->nleaves == 0 && dci_sched_identity(s, s->run.stack.vals) &&
        (s->root < 0 || s->rank == s->root))
        memcpy(result, s->run.stack.vals, s->vsize);
    return rc;
}

/* A user operation must outlive the runs that use it. */
static int op_alive(const dc_sched_t *s)
{
    return s->op < DC_REDUCE_USER || dci_op_is_user(s->hdr.env, s->op);
}

/* Reset the per-run state. */
static void run_reset(dc_sched_t *s, dci_run_t *r)
{
    memset(&r->st, 0, sizeof(r->st));
    r->stack.depth = 0;
    r->stack.end = -1;
    r->recs.n = 0;
    r->failed = 0;
    r->err_leaf = INT64_MAX;
    r->err_code = 0;
    r->internal_rc = DC_SUCCESS;
    r->cur = r->stop = 0;
    r->epoch = s->nruns;
    r->parity = (int)(s->nruns & 1);
    r->rng = 0x9E3779B97F4A7C15ull ^ ((uint64_t)(s->rank + 1) * 0xD1B54A32D192ED03ull) ^
             (uint64_t)s->nruns;
}

int dc_sched_run(dc_sched_t *sched, dc_gidx_t n, dc_sched_fn_t fn, void *ctx, void *result)
{
    dc_sched_t *s = sched;
    dc_env_t *env;
    dci_run_t *r;
    int lrc = DC_SUCCESS, rc;

    DC_VALIDATE(s, DCI_CLASS_SCHED);
    env = s->hdr.env;
    r = &s->run;
    dci_prof_begin(env, DCI_EV_SCHED_RUN); /* first: the profiler's wait at entry is ours */
    rc = dci_wd_enter(env, __func__);      /* hang watchdog: one branch when off */
    if (rc != DC_SUCCESS) {
        dci_prof_end(env, DCI_EV_SCHED_RUN, 0);
        return rc;
    }
    if (s->state != DCI_SCHED_SETUP)
        lrc = DC_ERR(env, DC_ERR_STATE, "dc_sched_run before dc_sched_setup");
    else if (n < 0)
        lrc = DC_ERR(env, DC_ERR_SIZE, "n = %lld < 0", (long long)n);
    else if (fn == NULL)
        lrc = DC_ERR(env, DC_ERR_ARG, "fn is NULL");
    else if (result == NULL && (s->root < 0 || s->root == s->rank))
        lrc = DC_ERR(env, DC_ERR_ARG, "result is NULL on a rank that receives the result");
    else if (!op_alive(s))
        lrc = DC_ERR(env, DC_ERR_ARG, "the user operation %d was destroyed", s->op);
    else if (n / s->grain + (n % s->grain != 0) >= DCI_MAX_LEAVES)
        lrc = DC_ERR(env, DC_ERR_SIZE, "n = %lld gives too many blocks (raise the grain)",
                     (long long)n);
    if (lrc == DC_SUCCESS) {
        run_reset(s, r);
        r->tasks_mode = 0;
        r->n = n;
        r->nleaves = n / s->grain + (n % s->grain != 0);
        r->fn = fn;
        r->ctx = ctx;
        lrc = s->ops->begin(s, r);
    }
    /* A state error on one rank means the others may be set up: they still meet here. */
    rc = run_start(s, r, lrc, lrc == DC_SUCCESS ? n : 0, 0);
    if (rc == DC_SUCCESS) {
        rc = run_body(s, r, result);
        s->nruns++;
    } else if (s->state == DCI_SCHED_SETUP) {
        s->nruns++; /* begin() may have touched this run's copy of the shared state */
    }
    dci_prof_end(env, DCI_EV_SCHED_RUN, 0);
    return rc;
}

int dc_sched_run_tasks(dc_sched_t *sched, dc_gidx_t ntasks, const void *tasks, size_t task_size,
                       dc_sched_task_fn_t fn, void *ctx, void *result)
{
    dc_sched_t *s = sched;
    dc_env_t *env;
    dci_run_t *r;
    int lrc = DC_SUCCESS, rc;

    DC_VALIDATE(s, DCI_CLASS_SCHED);
    env = s->hdr.env;
    r = &s->run;
    dci_prof_begin(env, DCI_EV_SCHED_RUN_TASKS);
    if (s->state != DCI_SCHED_SETUP)
        lrc = DC_ERR(env, DC_ERR_STATE, "dc_sched_run_tasks before dc_sched_setup");
    else if (ntasks < 0 || ntasks >= DCI_MAX_LEAVES)
        lrc = DC_ERR(env, DC_ERR_SIZE, "ntasks = %lld out of range", (long long)ntasks);
    else if (task_size < 1 || task_size > 65536)
        lrc = DC_ERR(env, DC_ERR_SIZE, "task_size = %zu not in [1, 65536]", task_size);
    else if (fn == NULL)
        lrc = DC_ERR(env, DC_ERR_ARG, "fn is NULL");
    else if (tasks == NULL && ntasks > 0)
        lrc = DC_ERR(env, DC_ERR_ARG, "tasks is NULL");
    else if (result == NULL && (s->root < 0 || s->root == s->rank))
        lrc = DC_ERR(env, DC_ERR_ARG, "result is NULL on a rank that receives the result");
    else if (!op_alive(s))
        lrc = DC_ERR(env, DC_ERR_ARG, "the user operation %d was destroyed", s->op);
    /* The deques are sized by task_size; same size everywhere is checked by run_start, and a
     * resize is collective, so it comes after the start allreduce. */
    if (lrc == DC_SUCCESS) {
        run_reset(s, r);
        r->tasks_mode = 1;
        r->n = ntasks;
        r->nleaves = ntasks;
        r->task_fn = fn;
        r->ctx = ctx;
        r->tasks = tasks;
        r->task_size = task_size;
        lrc = s->ops->begin(s, r);
    }
    rc = run_start(s, r, lrc, lrc == DC_SUCCESS ? ntasks : 0,
                   lrc == DC_SUCCESS ? (int64_t)task_size : 0);
    if (rc == DC_SUCCESS && s->kind == DC_SCHED_STEAL)
        rc = dci_agree(env, dci_sched_deque_setup(s, task_size));
    if (rc == DC_SUCCESS) {
        rc = run_body(s, r, result);
        s->nruns++;
    } else if (s->state == DCI_SCHED_SETUP) {
        s->nruns++;
    }
    dci_prof_end(env, DCI_EV_SCHED_RUN_TASKS, 0);
    return rc;
}

/* ---------------------------------------------------------------- statistics */

int dc_sched_get_stats(const dc_sched_t *sched, int rank, dc_sched_stats_t *stats_p)
{
    DC_VALIDATE(sched, DCI_CLASS_SCHED);
    DC_REQUIRE(sched->hdr.env, stats_p != NULL, DC_ERR_ARG, "stats_p is NULL");
    DC_REQUIRE(sched->hdr.env, rank >= 0 && rank < sched->size, DC_ERR_ARG,
               "rank %d not in [0, %d)", rank, sched->size);
    DC_REQUIRE(sched->hdr.env, sched->have_stats, DC_ERR_STATE, "no run yet");
    *stats_p = sched->stats[rank];
    return DC_SUCCESS;
}

int dc_sched_get_imbalance(const dc_sched_t *sched, double *imbalance_p, int *slowest_p)
{
    double sum = 0.0, max = -1.0;
    int i, slow = 0;

    DC_VALIDATE(sched, DCI_CLASS_SCHED);
    DC_REQUIRE(sched->hdr.env, imbalance_p != NULL || slowest_p != NULL, DC_ERR_ARG,
               "imbalance_p and slowest_p are both NULL");
    DC_REQUIRE(sched->hdr.env, sched->have_stats, DC_ERR_STATE, "no run yet");
    for (i = 0; i < sched->size; i++) {
        sum += sched->stats[i].busy;
        if (sched->stats[i].busy > max) {
            max = sched->stats[i].busy;
            slow = i;
        }
    }
    if (imbalance_p != NULL)
        *imbalance_p = sum > 0.0 ? max / (sum / sched->size) : 1.0;
    if (slowest_p != NULL)
        *slowest_p = slow;
    return DC_SUCCESS;
}

int dc_sched_view(dc_sched_t *sched, FILE *f)
{
    dc_sched_t *s = sched;
    double imb = 1.0;
    int i, slow = 0;

    DC_VALIDATE(s, DCI_CLASS_SCHED);
    if (s->rank != 0)
        return DC_SUCCESS; /* every rank holds the statistics: nothing to exchange */
    if (f == NULL)
        f = stdout;
    fprintf(f, "dc_sched: %s, chunk %lld, grain %lld, %d ranks on %d node(s)\n",
            kind_names[s->kind], (long long)(s->chunk > 0 ? s->chunk : 1), (long long)s->grain,
            s->size, s->hdr.env->place.nnodes);
    if (!s->have_stats) {
        fprintf(f, "  no run yet\n");
        return DC_SUCCESS;
    }
    fprintf(f, "  %5s %10s %8s %7s %10s %10s %10s %10s\n", "rank", "tasks", "chunks", "steals",
            "busy[s]", "overhd[s]", "wait[s]", "combine[s]");
    for (i = 0; i < s->size; i++) {
        const dc_sched_stats_t *st = &s->stats[i];
        fprintf(f, "  %5d %10lld %8lld %7lld %10.6f %10.6f %10.6f %10.6f\n", i,
                (long long)st->tasks, (long long)st->chunks, (long long)st->steals, st->busy,
                st->overhead, st->wait, st->combine);
    }
    dc_sched_get_imbalance(s, &imb, &slow);
    fprintf(f, "  imbalance (max busy / mean busy) %.3f, slowest rank %d\n", imb, slow);
    return DC_SUCCESS;
}
