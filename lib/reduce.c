/*
 * Collective reductions: allreduce / reduce / scan / exscan (blocking and non-blocking) over the
 * env's private communicator, and the node-aware allreduce (types, pair types, MINLOC/MAXLOC
 * and user-defined operations are in dtype.c). Hot-path calls do no agreement; in debug mode one
 * extra allreduce checks that the arguments match. (Global sums of arrays are in sum.c.)
 */
#include "dtype.h"

#include <limits.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- node-aware allreduce */

/* The profiler's count of one collective call (dc_events.h): its time, and this rank's send
 * and receive buffers (has_send, has_recv: 0 or 1) of count elements of type. */
static void red_count_slow(dc_env_t *env, double t, int count, MPI_Datatype type, int has_send,
                           int has_recv)
{
    int tsize = 0;
    size_t b;

    dci_prof_mpi_end_slow(env, t);
    MPI_Type_size(type, &tsize);
    b = (size_t)count * (size_t)tsize;
    dci_prof_msg_slow(env, -1, has_send ? b : 0, has_recv ? b : 0, 1, 1);
}

/* One predictable branch when profiling is off: dc_vec_dot's small allreduce stays fast. */
static inline void red_count(dc_env_t *env, double t, int count, MPI_Datatype type, int has_send,
                             int has_recv)
{
    if (DCI_UNLIKELY(env->prof.on))
        red_count_slow(env, t, count, type, has_send, has_recv);
}

int dci_allreduce(dc_env_t *env, const void *sendbuf, void *recvbuf, int count, MPI_Datatype type,
                  MPI_Op op)
{
    int rc = DC_SUCCESS, commute = 1, node_rank = 0;
    double t;

    if (env->opts.allreduce == DC_ALLREDUCE_NODE && env->size > 1 &&
        env->node_comm != MPI_COMM_NULL)
        MPI_Op_commutative(op, &commute);
    /* Two levels reorder the operands: only commutative ops may take that path. */
    if (env->opts.allreduce != DC_ALLREDUCE_NODE || env->size == 1 ||
        env->node_comm == MPI_COMM_NULL || !commute) {
        t = dci_prof_mpi_begin(env);
        DC_CHECK_MPI(env, MPI_Allreduce(sendbuf, recvbuf, count, type, op, env->comm));
        red_count(env, t, count, type, 1, 1);
        return DC_SUCCESS;
    }
    /* 1: reduce to the node's rank 0; a non-root's input is in recvbuf when in place */
    MPI_Comm_rank(env->node_comm, &node_rank);
    t = dci_prof_mpi_begin(env);
    if (node_rank == 0)
        DC_CHECK_MPI_GOTO(env, MPI_Reduce(sendbuf, recvbuf, count, type, op, 0, env->node_comm),
                          out);
    else
        DC_CHECK_MPI_GOTO(env,
                          MPI_Reduce(sendbuf == MPI_IN_PLACE ? recvbuf : sendbuf, recvbuf, count,
                                     type, op, 0, env->node_comm),
                          out);
    red_count(env, t, count, type, 1, node_rank == 0);
    /* 2: combine the node results over the leaders (node rank 0 of every node) */
    if (env->leader_comm != MPI_COMM_NULL) {
        t = dci_prof_mpi_begin(env);
        DC_CHECK_MPI_GOTO(
            env, MPI_Allreduce(MPI_IN_PLACE, recvbuf, count, type, op, env->leader_comm), out);
        red_count(env, t, count, type, 1, 1);
    }
    /* 3: the leader hands the result to its node */
    t = dci_prof_mpi_begin(env);
    DC_CHECK_MPI_GOTO(env, MPI_Bcast(recvbuf, count, type, 0, env->node_comm), out);
    red_count(env, t, count, type, node_rank == 0, node_rank != 0);
out:
    return rc;
}

/* ---------------------------------------------------------------- reductions: common part */

enum { RED_ALLREDUCE = 0, RED_REDUCE, RED_SCAN, RED_EXSCAN };

struct dc_request {
    dci_obj_t hdr;
    MPI_Request mreq;
    void *recvbuf;
    void *saved; /* rank 0 of a user-op exscan: recvbuf before the call, put back after */
    size_t count;
    size_t nbytes;
    dc_dtype_t type;
    dc_reduce_op_t op;
    int fill; /* rank 0 of a built-in exscan: write the identity at completion */
};

/* Runs at completion (dc_request_test/_wait release the handle). */
static void request_free_obj(dci_obj_t *hdr)
{
    dc_env_t *env = hdr->env;

    hdr->magic = DCI_CLASS_DEAD;
    dci_free(hdr);
    dci_env_unref(env);
}

/* One reduction call, checked and translated to MPI terms. */
typedef struct {
    const char *fn;
    int what; /* RED_* */
    const void *sendbuf;
    void *recvbuf;
    int count;
    size_t nbytes;
    dc_dtype_t type;
    dc_reduce_op_t op;
    MPI_Datatype mtype;
    MPI_Op mop;
    int root;
    int fill;
    void *saved;
    void *scratch; /* MPICH, in-place reduce at a root other than 0: a copy to send */
} red_call_t;

/*
 * Debug mode: one agreement of (call, count, type, op, root) and the local rc. Everybody then
 * takes the same decision: the most negative local code if any rank failed its own checks, else
 * DC_ERR_SIZE for a count, else DC_ERR_ARG for anything else that differs.
 */
static int debug_agree(dc_env_t *env, red_call_t *c, int nonblocking, size_t count, int rc)
{
    dci_arg_t a[5];

    a[0] = dci_arg_int("the operation called (e.g. dc_allreduce on one rank, dc_reduce or a "
                       "non-blocking form on another)",
                       c->what * 2 + nonblocking, DC_ERR_ARG);
    a[1] = dci_arg_int("count", count > INT64_MAX ? INT64_MAX : (int64_t)count, DC_ERR_SIZE);
    a[2] = dci_arg_int("type", c->type, DC_ERR_ARG);
    a[3] = dci_arg_int("op", c->op, DC_ERR_ARG);
    a[4] = dci_arg_int("root", c->what == RED_REDUCE ? c->root : 0, DC_ERR_ARG);
    return dci_agree_args(env, rc, a, 5, c->fn);
}

/*
 * Local checks, translation to MPI, and in debug mode the agreement. An in-place call has its
 * input in recvbuf; a reduce's non-root then sends recvbuf (MPI allows MPI_IN_PLACE at the root
 * only), and sendbuf == recvbuf counts as in place (MPI forbids aliased buffers).
 */
static int red_prepare(dc_env_t *env, red_call_t *c, int nonblocking, const void *sendbuf,
                       void *recvbuf, size_t count, dc_request_t **req_p)
{
    int rc = DC_SUCCESS, need_recv, in_place, user;

    c->sendbuf = sendbuf;
    c->recvbuf = recvbuf;
    c->count = 0;
    c->nbytes = 0;
    c->fill = 0;
    c->saved = NULL;
    c->scratch = NULL;
    rc = dci_op_check(env, c->fn, c->op, c->type);
    if (rc != DC_SUCCESS)
        goto agree;
    c->mop = dci_op_mpi(env, c->op);
    if (count > INT_MAX) {
        /* MPI-3 counts are int, and Open MPI 4.1 has no MPI-4 large-count calls */
        rc = dci_error_set(env, DC_ERR_SIZE, c->fn, __FILE__, __LINE__,
                           "count %zu exceeds INT_MAX; reduce in pieces", count);
        goto agree;
    }
    if (c->what == RED_REDUCE && (c->root < 0 || c->root >= env->size)) {
        rc = dci_error_set(env, DC_ERR_ARG, c->fn, __FILE__, __LINE__,
                           "root %d is not a rank of the env (size %d)", c->root, env->size);
        goto agree;
    }
    if (nonblocking && req_p == NULL) {
        rc = dci_error_set(env, DC_ERR_ARG, c->fn, __FILE__, __LINE__, "req_p is NULL");
        goto agree;
    }
    c->count = (int)count;
    c->nbytes = count * dci_dtype_size(c->type);
    c->mtype = dci_dtype_mpi(env, c->type);
    in_place = sendbuf == DC_IN_PLACE || (sendbuf == recvbuf && recvbuf != NULL);
    need_recv = c->what != RED_REDUCE || env->rank == c->root || in_place;
    if (count > 0 && need_recv && recvbuf == NULL) {
        rc = dci_error_set(env, DC_ERR_ARG, c->fn, __FILE__, __LINE__,
                           "recvbuf is NULL with count %zu", count);
        goto agree;
    }
    if (count > 0 && !in_place && sendbuf == NULL) {
        rc = dci_error_set(env, DC_ERR_ARG, c->fn, __FILE__, __LINE__,
                           "sendbuf is NULL with count %zu (use DC_IN_PLACE to reduce in place)",
                           count);
        goto agree;
    }
    if (in_place)
        c->sendbuf = (c->what == RED_REDUCE && env->rank != c->root) ? recvbuf : MPI_IN_PLACE;
#ifdef MPICH_VERSION
    /* MPICH 4.0's blocking MPI_Reduce crashes with MPI_IN_PLACE at a root other than 0 once
     * the message passes 2 KiB (it reads from the MPI_IN_PLACE address): send a copy. */
    if (in_place && !nonblocking && c->what == RED_REDUCE && env->rank == c->root && c->root != 0 &&
        count > 0) {
        rc = dci_malloc(env, c->nbytes, &c->scratch);
        if (rc != DC_SUCCESS)
            goto agree;
    }
#endif
    /* MPI leaves rank 0's recvbuf of an exscan undefined; the header promises more */
    user = dci_op_is_user(env, c->op);
    if (c->what == RED_EXSCAN && env->rank == 0 && count > 0) {
        if (!user)
            c->fill = 1;
        else
            rc = dci_malloc(env, c->nbytes, &c->saved);
        if (rc != DC_SUCCESS)
            goto agree;
        if (user)
            memcpy(c->saved, recvbuf, c->nbytes);
    }
    if (nonblocking) {
        rc = dci_malloc(env, sizeof(**req_p), (void **)req_p);
        if (rc != DC_SUCCESS)
            goto agree;
    }
agree:
    if (env->opts.debug)
        rc = debug_agree(env, c, nonblocking, count, rc);
    if (rc != DC_SUCCESS) {
        dci_free(c->saved); /* a request allocated above is the caller's to free */
        dci_free(c->scratch);
        c->saved = c->scratch = NULL;
    }
    return rc;
}

/* Rank 0 of an exscan, after completion: the identity, or recvbuf as it was. */
static void exscan_finish(void *recvbuf, size_t count, dc_dtype_t type, dc_reduce_op_t op, int fill,
                          void *saved, size_t nbytes)
{
    if (fill)
        dci_dtype_identity(type, op, count, recvbuf);
    if (saved != NULL) {
        memcpy(recvbuf, saved, nbytes);
        dci_free(saved);
    }
}

static const dci_event_t red_event[] = {DCI_EV_ALLREDUCE, DCI_EV_REDUCE, DCI_EV_SCAN,
                                        DCI_EV_EXSCAN};
static const dci_event_t ired_event[] = {DCI_EV_IALLREDUCE, DCI_EV_IREDUCE, DCI_EV_ISCAN,
                                         DCI_EV_IEXSCAN};

/* The profiler's count of a flat reduction call (what: RED_*): this rank's buffers. A reduce's
 * non-root receives nothing, nor does rank 0 of an exscan (its result is not MPI's). */
static void red_count_call(dc_env_t *env, const red_call_t *c)
{
    int recv = (c->what != RED_REDUCE || env->rank == c->root) &&
               (c->what != RED_EXSCAN || env->rank != 0);

    dci_prof_coll(env, c->nbytes, recv ? c->nbytes : 0);
}

/* Body of the four blocking calls. */
static int red_blocking(dc_env_t *env, const char *fn, int what, const void *sendbuf, void *recvbuf,
                        size_t count, dc_dtype_t type, dc_reduce_op_t op, int root)
{
    red_call_t c;
    int rc;
    double t;

    dci_prof_begin(env, red_event[what]); /* first: the profiler's wait at entry is ours */
    rc = dci_wd_enter(env, fn);           /* hang watchdog: one branch when off */
    if (DCI_UNLIKELY(rc != DC_SUCCESS)) {
        dci_prof_end(env, red_event[what], 0);
        return rc;
    }
    c.fn = fn;
    c.what = what;
    c.type = type;
    c.op = op;
    c.root = root;
    rc = red_prepare(env, &c, 0, sendbuf, recvbuf, count, NULL);
    if (rc != DC_SUCCESS)
        goto out;
    switch (what) {
    case RED_ALLREDUCE:
        rc = dci_allreduce(env, c.sendbuf, c.recvbuf, c.count, c.mtype, c.mop); /* counts */
        break;
    case RED_REDUCE:
        if (c.scratch != NULL) {
            memcpy(c.scratch, c.recvbuf, c.nbytes);
            c.sendbuf = c.scratch;
        }
        t = dci_prof_mpi_begin(env);
        DC_CHECK_MPI_GOTO(
            env, MPI_Reduce(c.sendbuf, c.recvbuf, c.count, c.mtype, c.mop, c.root, env->comm), out);
        dci_prof_mpi_end(env, t);
        red_count_call(env, &c);
        break;
    case RED_SCAN:
        t = dci_prof_mpi_begin(env);
        DC_CHECK_MPI_GOTO(env, MPI_Scan(c.sendbuf, c.recvbuf, c.count, c.mtype, c.mop, env->comm),
                          out);
        dci_prof_mpi_end(env, t);
        red_count_call(env, &c);
        break;
    default:
        t = dci_prof_mpi_begin(env);
        DC_CHECK_MPI_GOTO(env, MPI_Exscan(c.sendbuf, c.recvbuf, c.count, c.mtype, c.mop, env->comm),
                          out);
        dci_prof_mpi_end(env, t);
        red_count_call(env, &c);
        exscan_finish(c.recvbuf, count, type, op, c.fill, c.saved, c.nbytes);
        c.saved = NULL;
        break;
    }
out:
    dci_free(c.saved); /* only left on an MPI failure */
    dci_free(c.scratch);
    dci_prof_end(env, red_event[what], rc == DC_SUCCESS ? c.nbytes : 0);
    return rc;
}

/* Body of the four non-blocking starts; the node-aware algorithm is not used here (flat). */
static int red_start(dc_env_t *env, const char *fn, int what, const void *sendbuf, void *recvbuf,
                     size_t count, dc_dtype_t type, dc_reduce_op_t op, int root,
                     dc_request_t **req_p)
{
    red_call_t c;
    dc_request_t *req = NULL;
    int rc, mrc;

    dci_prof_begin(env, ired_event[what]); /* first: the profiler's wait at entry is ours */
    rc = dci_wd_enter(env, fn);            /* hang watchdog: one branch when off */
    if (DCI_UNLIKELY(rc != DC_SUCCESS)) {
        dci_prof_end(env, ired_event[what], 0);
        return rc;
    }
    c.fn = fn;
    c.what = what;
    c.type = type;
    c.op = op;
    c.root = root;
    rc = red_prepare(env, &c, 1, sendbuf, recvbuf, count, req_p != NULL ? &req : NULL);
    if (rc != DC_SUCCESS) {
        dci_free(req);
        req = NULL;
        goto out;
    }
    switch (what) {
    case RED_ALLREDUCE:
        mrc = MPI_Iallreduce(c.sendbuf, c.recvbuf, c.count, c.mtype, c.mop, env->comm, &req->mreq);
        break;
    case RED_REDUCE:
        mrc = MPI_Ireduce(c.sendbuf, c.recvbuf, c.count, c.mtype, c.mop, c.root, env->comm,
                          &req->mreq);
        break;
    case RED_SCAN:
        mrc = MPI_Iscan(c.sendbuf, c.recvbuf, c.count, c.mtype, c.mop, env->comm, &req->mreq);
        break;
    default:
        mrc = MPI_Iexscan(c.sendbuf, c.recvbuf, c.count, c.mtype, c.mop, env->comm, &req->mreq);
        break;
    }
    if (mrc != MPI_SUCCESS) {
        rc = dci_error_mpi(env, mrc, fn, __FILE__, __LINE__, "the non-blocking MPI reduction");
        dci_free(c.saved);
        dci_free(req);
        req = NULL;
        goto out;
    }
    red_count_call(env, &c); /* counted when posted; the wait is timed where it happens */
    dci_obj_init(&req->hdr, DCI_CLASS_REQUEST, dci_env_ref(env), request_free_obj);
    req->recvbuf = c.recvbuf;
    req->saved = c.saved;
    req->count = count;
    req->nbytes = c.nbytes;
    req->type = type;
    req->op = op;
    req->fill = c.fill;
    *req_p = req;
out:
    dci_prof_end(env, ired_event[what], rc == DC_SUCCESS ? c.nbytes : 0);
    return rc;
}

/* ---------------------------------------------------------------- public: blocking */

/*
 * Behaviour beyond dc_reduce.h, for the docs:
 * - count > INT_MAX is DC_ERR_SIZE (MPI-3 counts are int); the caller reduces in pieces.
 * - sendbuf == recvbuf counts as DC_IN_PLACE; in place, a dc_reduce non-root sends recvbuf.
 * - MINLOC/MAXLOC: NaN wins over numbers, ties (and NaN vs NaN) go to the smallest index.
 * - Without debug checks, a local argument error returns at once on that rank only; if other
 *   ranks entered the collective, the env may then only be destroyed. With debug checks every
 *   rank returns the same code (the most negative local one, else DC_ERR_SIZE for a count that
 *   differs, else DC_ERR_ARG).
 * - The node-aware algorithm serves the blocking dc_allreduce (and the global sums) with
 *   commutative ops; non-commutative user ops and the non-blocking forms stay flat.
 */

int dc_allreduce(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count, dc_dtype_t type,
                 dc_reduce_op_t op)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    /* Fast path for the common case (a built-in op on a plain type, flat algorithm, no debug,
     * no profiling, no watchdog): the same checks in a few branches, so that small messages
     * cost what MPI_Allreduce costs. Everything else takes the general path. */
    if (DCI_LIKELY(!env->opts.debug && !env->prof.on && env->wd == NULL &&
                   env->opts.allreduce == DC_ALLREDUCE_FLAT && type >= DC_TYPE_DOUBLE &&
                   type <= DC_TYPE_INT64 && op >= DC_REDUCE_SUM && op <= DC_REDUCE_MAX &&
                   count > 0 && count <= INT_MAX && sendbuf != NULL && recvbuf != NULL)) {
        MPI_Op mop = op == DC_REDUCE_SUM    ? MPI_SUM
                     : op == DC_REDUCE_PROD ? MPI_PROD
                     : op == DC_REDUCE_MIN  ? MPI_MIN
                                            : MPI_MAX;
        int mrc = MPI_Allreduce(sendbuf == recvbuf ? MPI_IN_PLACE : sendbuf, recvbuf, (int)count,
                                dci_dtype_mpi(env, type), mop, env->comm);
        if (DCI_LIKELY(mrc == MPI_SUCCESS))
            return DC_SUCCESS;
        return dci_error_mpi(env, mrc, __func__, __FILE__, __LINE__, "MPI_Allreduce");
    }
    return red_blocking(env, __func__, RED_ALLREDUCE, sendbuf, recvbuf, count, type, op, 0);
}

int dc_reduce(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count, dc_dtype_t type,
              dc_reduce_op_t op, int root)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return red_blocking(env, __func__, RED_REDUCE, sendbuf, recvbuf, count, type, op, root);
}

int dc_scan(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count, dc_dtype_t type,
            dc_reduce_op_t op)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return red_blocking(env, __func__, RED_SCAN, sendbuf, recvbuf, count, type, op, 0);
}

int dc_exscan(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count, dc_dtype_t type,
              dc_reduce_op_t op)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return red_blocking(env, __func__, RED_EXSCAN, sendbuf, recvbuf, count, type, op, 0);
}

/* ---------------------------------------------------------------- public: non-blocking */

int dc_iallreduce(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count, dc_dtype_t type,
                  dc_reduce_op_t op, dc_request_t **req_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return red_start(env, __func__, RED_ALLREDUCE, sendbuf, recvbuf, count, type, op, 0, req_p);
}

int dc_ireduce(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count, dc_dtype_t type,
               dc_reduce_op_t op, int root, dc_request_t **req_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return red_start(env, __func__, RED_REDUCE, sendbuf, recvbuf, count, type, op, root, req_p);
}

int dc_iscan(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count, dc_dtype_t type,
             dc_reduce_op_t op, dc_request_t **req_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return red_start(env, __func__, RED_SCAN, sendbuf, recvbuf, count, type, op, 0, req_p);
}

int dc_iexscan(dc_env_t *env, const void *sendbuf, void *recvbuf, size_t count, dc_dtype_t type,
               dc_reduce_op_t op, dc_request_t **req_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return red_start(env, __func__, RED_EXSCAN, sendbuf, recvbuf, count, type, op, 0, req_p);
}

/* Completion (mpirc from MPI_Test/MPI_Wait): finish rank 0 of an exscan, free, clear. */
static int request_complete(dc_request_t **req_p, int mpirc, const char *fn)
{
    dc_request_t *req = *req_p;
    dc_env_t *env = req->hdr.env;
    int rc = DC_SUCCESS;

    if (mpirc == MPI_SUCCESS)
        exscan_finish(req->recvbuf, req->count, req->type, req->op, req->fill, req->saved,
                      req->nbytes);
    else
        rc = dci_error_mpi(env, mpirc, fn, __FILE__, __LINE__, "completion of the reduction");
    if (mpirc != MPI_SUCCESS)
        dci_free(req->saved);
    *req_p = NULL;
    dci_obj_release(&req->hdr, "req", fn);
    return rc;
}

int dc_request_test(dc_request_t **req_p)
{
    dc_env_t *env;
    int flag = 0, mrc, rc;
    double t;

    DC_REQUIRE(NULL, req_p != NULL, DC_ERR_ARG, "req_p is NULL");
    if (*req_p == NULL)
        return DC_SUCCESS; /* completed and freed before, as MPI_REQUEST_NULL */
    DC_VALIDATE(*req_p, DCI_CLASS_REQUEST);
    env = dci_env_ref((*req_p)->hdr.env); /* profile it even if the request held the last ref */
    dci_prof_begin(env, DCI_EV_REQUEST_TEST);
    t = dci_prof_mpi_begin(env);
    mrc = MPI_Test(&(*req_p)->mreq, &flag, MPI_STATUS_IGNORE);
    dci_prof_mpi_end(env, t);
    if (mrc == MPI_SUCCESS && !flag)
        rc = DC_INPROGRESS;
    else
        rc = request_complete(req_p, mrc, __func__);
    dci_prof_end(env, DCI_EV_REQUEST_TEST, 0);
    dci_env_unref(env);
    return rc;
}

int dc_request_wait(dc_request_t **req_p)
{
    dc_env_t *env;
    int mrc, rc;
    double t;

    DC_REQUIRE(NULL, req_p != NULL, DC_ERR_ARG, "req_p is NULL");
    if (*req_p == NULL)
        return DC_SUCCESS;
    DC_VALIDATE(*req_p, DCI_CLASS_REQUEST);
    env = dci_env_ref((*req_p)->hdr.env); /* profile it even if the request held the last ref */
    dci_prof_begin(env, DCI_EV_REQUEST_WAIT);
    t = dci_prof_mpi_begin(env);
    mrc = MPI_Wait(&(*req_p)->mreq, MPI_STATUS_IGNORE);
    dci_prof_mpi_end(env, t);
    rc = request_complete(req_p, mrc, __func__);
    dci_prof_end(env, DCI_EV_REQUEST_WAIT, 0);
    dci_env_unref(env);
    return rc;
}
