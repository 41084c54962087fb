/*
 * Tests of the collective reductions (dc_reduce.h): every built-in op x type, MINLOC/MAXLOC with
 * ties and NaN, user-defined ops (a non-commutative affine composition, a commutative XOR),
 * allreduce / reduce at every root / scan / exscan (rank 0's identity), in place, count 0,
 * the non-blocking forms with work before wait/test, the node-aware allreduce (world and an
 * even/odd split), and bad input on every entry point, with and without debug checks.
 * Expected values come from per-rank inputs that every rank recomputes from a formula.
 */
#include "dc_test.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- the test's view of types */

static size_t tsize(dc_dtype_t t)
{
    switch (t) {
    case DC_TYPE_DOUBLE: return sizeof(double);
    case DC_TYPE_FLOAT: return sizeof(float);
    case DC_TYPE_INT32: return sizeof(int32_t);
    case DC_TYPE_INT64: return sizeof(int64_t);
    case DC_TYPE_DOUBLE_LOC: return sizeof(dc_double_loc_t);
    case DC_TYPE_FLOAT_LOC: return sizeof(dc_float_loc_t);
    case DC_TYPE_INT32_LOC: return sizeof(dc_int32_loc_t);
    default: return sizeof(dc_int64_loc_t);
    }
}

static int is_loc(dc_dtype_t t)
{
    return t >= DC_TYPE_DOUBLE_LOC;
}

static int is_float(dc_dtype_t t)
{
    return t == DC_TYPE_DOUBLE || t == DC_TYPE_FLOAT || t == DC_TYPE_DOUBLE_LOC ||
           t == DC_TYPE_FLOAT_LOC;
}

/* One element as exact numbers: long double holds every int64 and every double exactly. */
typedef struct {
    long double v;
    int64_t idx;
} elem_t;

static void put(void *buf, dc_dtype_t t, size_t i, elem_t e)
{
    switch (t) {
    case DC_TYPE_DOUBLE: ((double *)buf)[i] = (double)e.v; break;
    case DC_TYPE_FLOAT: ((float *)buf)[i] = (float)e.v; break;
    case DC_TYPE_INT32: ((int32_t *)buf)[i] = (int32_t)e.v; break;
    case DC_TYPE_INT64: ((int64_t *)buf)[i] = (int64_t)e.v; break;
    case DC_TYPE_DOUBLE_LOC:
        ((dc_double_loc_t *)buf)[i].value = (double)e.v;
        ((dc_double_loc_t *)buf)[i].index = e.idx;
        break;
    case DC_TYPE_FLOAT_LOC:
        ((dc_float_loc_t *)buf)[i].value = (float)e.v;
        ((dc_float_loc_t *)buf)[i].index = e.idx;
        break;
    case DC_TYPE_INT32_LOC:
        ((dc_int32_loc_t *)buf)[i].value = (int32_t)e.v;
        ((dc_int32_loc_t *)buf)[i].index = e.idx;
        break;
    default:
        ((dc_int64_loc_t *)buf)[i].value = (int64_t)e.v;
        ((dc_int64_loc_t *)buf)[i].index = e.idx;
        break;
    }
}

static elem_t get(const void *buf, dc_dtype_t t, size_t i)
{
    elem_t e = {0.0L, 0};

    switch (t) {
    case DC_TYPE_DOUBLE: e.v = ((const double *)buf)[i]; break;
    case DC_TYPE_FLOAT: e.v = ((const float *)buf)[i]; break;
    case DC_TYPE_INT32: e.v = ((const int32_t *)buf)[i]; break;
    case DC_TYPE_INT64: e.v = (long double)((const int64_t *)buf)[i]; break;
    case DC_TYPE_DOUBLE_LOC:
        e.v = ((const dc_double_loc_t *)buf)[i].value;
        e.idx = ((const dc_double_loc_t *)buf)[i].index;
        break;
    case DC_TYPE_FLOAT_LOC:
        e.v = ((const dc_float_loc_t *)buf)[i].value;
        e.idx = ((const dc_float_loc_t *)buf)[i].index;
        break;
    case DC_TYPE_INT32_LOC:
        e.v = ((const dc_int32_loc_t *)buf)[i].value;
        e.idx = ((const dc_int32_loc_t *)buf)[i].index;
        break;
    default:
        e.v = (long double)((const dc_int64_loc_t *)buf)[i].value;
        e.idx = ((const dc_int64_loc_t *)buf)[i].index;
        break;
    }
    return e;
}

static int elem_eq(dc_dtype_t t, elem_t a, elem_t b)
{
    int same_v = (isnan(a.v) && isnan(b.v)) || a.v == b.v;

    return same_v && (!is_loc(t) || a.idx == b.idx);
}

/* ---------------------------------------------------------------- operations and inputs */

/* How the test computes the expected result of an op. */
enum { REF_BUILTIN = 0, REF_AFFINE, REF_XOR };

typedef struct {
    dc_reduce_op_t op; /* id passed to the library */
    int ref;
} top_t;

static const char *const type_names[] = {"double",     "float",     "int32",     "int64",
                                         "double_loc", "float_loc", "int32_loc", "int64_loc"};

/*
 * Input of world rank r, element i. Values are exact in every type and every partial result
 * stays exact, so the serial fold below gives the exact answer whatever MPI's order. Scales
 * make a wrong type visible (doubles need 44 bits, int64 more than 32).
 */
static elem_t input(dc_dtype_t t, top_t top, int r, size_t i)
{
    static const int prod_pick[5] = {-2, -1, 1, 2, 3};
    static const int affine_pick[4] = {1, 2, -1, 3};
    elem_t e = {0.0L, 0};
    long long b;

    if (top.ref == REF_AFFINE) { /* x -> a x + b: value a, index b */
        e.v = affine_pick[(r + (long long)i) % 4];
        e.idx = (r * 7 + (long long)i) % 5 - 2;
        return e;
    }
    if (top.ref == REF_XOR) {
        e.v = (long double)((((uint64_t)r + 1) * 2654435761u + i * 40503u) & 0x7fffffffu);
        return e;
    }
    if (is_loc(t)) {
        /* three values only: ties across ranks everywhere; the smallest index sits on the
         * highest rank, so "first rank wins" would be caught */
        b = ((r * 7 + (long long)i * 5) / 3) % 3 - 1;
        e.idx = (int64_t)(64 - r) * 100000 + (int64_t)i;
        switch (t) {
        case DC_TYPE_DOUBLE_LOC: e.v = b * 1099511627776.125L; break;
        case DC_TYPE_FLOAT_LOC: e.v = b * 0.25L; break;
        case DC_TYPE_INT32_LOC: e.v = b * 100000.0L; break;
        default: e.v = b * 1099511627776.0L; break;
        }
        return e;
    }
    switch (top.op) {
    case DC_REDUCE_SUM: b = (r * 31 + (long long)i * 17) % 23 - 11; break;
    case DC_REDUCE_PROD: b = prod_pick[(r + 2 * (long long)i) % 5]; break;
    default: b = (r * 37 + (long long)i * 13) % 29 - 14; break;
    }
    switch (t) {
    case DC_TYPE_DOUBLE: e.v = b * (top.op == DC_REDUCE_PROD ? 0.5L : 1099511627776.125L); break;
    case DC_TYPE_FLOAT: e.v = b * 0.25L; break;
    case DC_TYPE_INT32: e.v = b * (top.op == DC_REDUCE_PROD ? 1.0L : 100000.0L); break;
    default:
        e.v =
            b * (top.op == DC_REDUCE_PROD ? ((r < 4 && i % 2) ? 1000.0L : 1.0L) : 1099511627776.0L);
        break;
    }
    return e;
}

/* a (from the lower ranks) combined with b, as MPI orders operands. */
static elem_t combine(top_t top, elem_t a, elem_t b)
{
    elem_t r = a;

    if (top.ref == REF_AFFINE) { /* apply a, then b: x -> b.a (a.a x + a.b) + b.b */
        r.v = a.v * b.v;
        r.idx = (int64_t)((long double)a.idx * b.v) + b.idx;
        return r;
    }
    if (top.ref == REF_XOR) {
        r.v = (long double)((int64_t)a.v ^ (int64_t)b.v);
        return r;
    }
    switch (top.op) {
    case DC_REDUCE_SUM: r.v = a.v + b.v; return r;
    case DC_REDUCE_PROD: r.v = a.v * b.v; return r;
    case DC_REDUCE_MIN: return b.v < a.v ? b : a;
    case DC_REDUCE_MAX: return b.v > a.v ? b : a;
    case DC_REDUCE_MINLOC: return (b.v < a.v || (b.v == a.v && b.idx < a.idx)) ? b : a;
    default: return (b.v > a.v || (b.v == a.v && b.idx < a.idx)) ? b : a;
    }
}

/* What rank 0 of an exscan gets for a built-in op (the header's promise). */
static elem_t identity(dc_dtype_t t, dc_reduce_op_t op)
{
    elem_t e = {0.0L, is_loc(t) ? -1 : 0};
    int top = op == DC_REDUCE_MIN || op == DC_REDUCE_MINLOC;

    if (op == DC_REDUCE_SUM)
        e.v = 0.0L;
    else if (op == DC_REDUCE_PROD)
        e.v = 1.0L;
    else if (is_float(t))
        e.v = top ? INFINITY : -INFINITY;
    else if (t == DC_TYPE_INT32 || t == DC_TYPE_INT32_LOC)
        e.v = top ? INT32_MAX : INT32_MIN;
    else
        e.v = top ? (long double)INT64_MAX : (long double)INT64_MIN;
    return e;
}

/* ---------------------------------------------------------------- user operations */

static void affine_fn(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    const dc_int64_loc_t *u = in;
    dc_int64_loc_t *w = inout;
    int i;

    (void)dt;
    for (i = 0; i < *len; i++) {
        int64_t a = u[i].value * w[i].value, b = u[i].index * w[i].value + w[i].index;
        w[i].value = a;
        w[i].index = b;
    }
}

static void xor_fn(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    const int32_t *u = in;
    int32_t *w = inout;
    int i;

    (void)dt;
    for (i = 0; i < *len; i++)
        w[i] ^= u[i];
}

/* ---------------------------------------------------------------- calling the library */

enum { K_ALL = 0, K_RED, K_SCAN, K_EXSCAN };
static const char *const kind_names[] = {"allreduce", "reduce", "scan", "exscan"};

/* Local work between start and completion, so that the request really is outstanding. */
static double busy_work(int n)
{
    volatile double s = 0.0;
    int i;

    for (i = 0; i < n; i++)
        s += sqrt((double)i);
    return s;
}

/* nb = 0: blocking; 1: start, work, wait; 2: start, work, test loop. */
static int run_call(dc_env_t *env, int kind, int nb, const void *s, void *r, size_t n, dc_dtype_t t,
                    dc_reduce_op_t op, int root)
{
    dc_request_t *req = NULL;
    int rc;

    if (nb == 0) {
        switch (kind) {
        case K_ALL: return dc_allreduce(env, s, r, n, t, op);
        case K_RED: return dc_reduce(env, s, r, n, t, op, root);
        case K_SCAN: return dc_scan(env, s, r, n, t, op);
        default: return dc_exscan(env, s, r, n, t, op);
        }
    }
    switch (kind) {
    case K_ALL: rc = dc_iallreduce(env, s, r, n, t, op, &req); break;
    case K_RED: rc = dc_ireduce(env, s, r, n, t, op, root, &req); break;
    case K_SCAN: rc = dc_iscan(env, s, r, n, t, op, &req); break;
    default: rc = dc_iexscan(env, s, r, n, t, op, &req); break;
    }
    if (rc != DC_SUCCESS)
        return req == NULL ? rc : -1000; /* no request may come out of a failed start */
    if (req == NULL)
        return -1001;
    busy_work(2000);
    if (nb == 1) {
        rc = dc_request_wait(&req);
    } else {
        do
            rc = dc_request_test(&req);
        while (rc == DC_INPROGRESS);
    }
    if (req != NULL)
        return -1002; /* completion must free the request and clear the handle */
    return rc;
}

/* An env and the world ranks of its members, in env rank order. */
typedef struct {
    dc_env_t *env;
    int size, me;
    const int *members;
} tenv_t;

/*
 * One call, checked against the serial fold over the members' inputs. Returns 1 if right.
 * Count 0 passes NULL buffers (allowed). Not a collective of the test itself.
 */
static int check_one(const tenv_t *te, int kind, int nb, int in_place, dc_dtype_t t, top_t top,
                     size_t count, int root)
{
    size_t sz = tsize(t), i;
    unsigned char *send = calloc(count + 1, sz), *recv = calloc(count + 1, sz);
    unsigned char *before = calloc(count + 1, sz), *expect = calloc(count + 1, sz);
    int rc, ok = 1, hi, significant;

    if (!send || !recv || !before || !expect) {
        free(send), free(recv), free(before), free(expect);
        /* cannot allocate: still take part, with count 0, so nobody hangs */
        run_call(te->env, kind, nb, NULL, NULL, 0, t, top.op, root);
        return 0;
    }
    for (i = 0; i < count; i++)
        put(send, t, i, input(t, top, te->members[te->me], i));
    memset(recv, 0x5a, count * sz);
    if (in_place)
        memcpy(recv, send, count * sz);
    memcpy(before, recv, count * sz);
    rc = run_call(te->env, kind, nb, in_place ? DC_IN_PLACE : (count ? (void *)send : NULL),
                  count ? recv : NULL, count, t, top.op, root);

    hi = (kind == K_ALL || kind == K_RED) ? te->size - 1 : kind == K_SCAN ? te->me : te->me - 1;
    significant = kind != K_RED || te->me == root;
    for (i = 0; i < count && significant; i++) {
        elem_t e;
        int k;
        if (kind == K_EXSCAN && te->me == 0) {
            if (top.ref != REF_BUILTIN) {
                /* user op: rank 0's recvbuf is left as it was */
                ok &= memcmp(recv + i * sz, before + i * sz, sz) == 0;
                continue;
            }
            e = identity(t, top.op);
        } else {
            e = input(t, top, te->members[0], i);
            for (k = 1; k <= hi; k++)
                e = combine(top, e, input(t, top, te->members[k], i));
        }
        put(expect, t, i, e);
        if (kind == K_EXSCAN && te->me == 0 && top.op >= DC_REDUCE_MIN &&
            (t == DC_TYPE_INT64 || t == DC_TYPE_INT64_LOC)) {
            /* INT64_MAX/MIN as integers: a long double with only double's 53 bits (valgrind's
             * x87, other ABIs) rounds INT64_MAX to 2^63, out of range of int64_t */
            int top_id = top.op == DC_REDUCE_MIN || top.op == DC_REDUCE_MINLOC;
            int64_t v = top_id ? INT64_MAX : INT64_MIN;
            if (t == DC_TYPE_INT64)
                ((int64_t *)expect)[i] = v;
            else
                ((dc_int64_loc_t *)expect)[i].value = v;
        }
        ok &= elem_eq(t, get(recv, t, i), get(expect, t, i));
    }
    if (rc != DC_SUCCESS || !ok)
        fprintf(stderr,
                "[rank %d] %s nb=%d in_place=%d type=%s op=%d count=%zu root=%d: rc=%d "
                "(%s) %s\n",
                dct_rank, kind_names[kind], nb, in_place, type_names[t], top.op, count, root, rc,
                dc_env_last_error(te->env), ok ? "" : "WRONG RESULT");
    free(send), free(recv), free(before), free(expect);
    return rc == DC_SUCCESS && ok;
}

/* All calls of the kinds in kmask for every (type, op, count, in place, nb): failures counted. */
static int sweep(const tenv_t *te, int kmask, const dc_dtype_t *types, int ntypes, const top_t *ops,
                 int nops, const size_t *counts, int ncounts, int nbmax)
{
    int ti, oi, ci, ip, nb, kind, root, bad = 0;

    for (ti = 0; ti < ntypes; ti++)
        for (oi = 0; oi < nops; oi++)
            for (ci = 0; ci < ncounts; ci++)
                for (ip = 0; ip < 2; ip++)
                    for (nb = 0; nb <= nbmax; nb++)
                        for (kind = 0; kind < 4; kind++) {
                            if (!(kmask & (1 << kind)))
                                continue;
                            for (root = 0; root < (kind == K_RED ? te->size : 1); root++)
                                bad += !check_one(te, kind, nb, ip, types[ti], ops[oi], counts[ci],
                                                  root);
                        }
    return bad;
}

static const dc_dtype_t plain_types[] = {DC_TYPE_DOUBLE, DC_TYPE_FLOAT, DC_TYPE_INT32,
                                         DC_TYPE_INT64};
static const dc_dtype_t loc_types[] = {DC_TYPE_DOUBLE_LOC, DC_TYPE_FLOAT_LOC, DC_TYPE_INT32_LOC,
                                       DC_TYPE_INT64_LOC};
static const top_t plain_ops[] = {{DC_REDUCE_SUM, REF_BUILTIN},
                                  {DC_REDUCE_PROD, REF_BUILTIN},
                                  {DC_REDUCE_MIN, REF_BUILTIN},
                                  {DC_REDUCE_MAX, REF_BUILTIN}};
static const top_t loc_ops[] = {{DC_REDUCE_MINLOC, REF_BUILTIN}, {DC_REDUCE_MAXLOC, REF_BUILTIN}};
static const size_t all_counts[] = {0, 1, 7, 1000};
static const size_t few_counts[] = {0, 7};
#define ALL_KINDS 15
#define NELEM(a)  ((int)(sizeof(a) / sizeof((a)[0])))

static int *world_members(void)
{
    int *m = malloc(sizeof(int) * (size_t)dct_size), i;

    for (i = 0; m != NULL && i < dct_size; i++)
        m[i] = i;
    return m;
}

/* ---------------------------------------------------------------- results */

static void test_builtin_ops(void)
{
    dc_env_t *env = dct_env_create();
    int *m = world_members();
    tenv_t te = {env, dct_size, dct_rank, m};
    int bad;

    if (env == NULL || m == NULL) {
        CU_FAIL("setup");
        dc_env_destroy(&env);
        free(m);
        return;
    }
    bad = sweep(&te, ALL_KINDS, plain_types, 4, plain_ops, 4, all_counts, NELEM(all_counts), 2);
    CU_ASSERT_EQUAL(bad, 0);
    dc_env_destroy(&env);
    free(m);
}

static void test_loc_ops(void)
{
    dc_env_t *env = dct_env_create();
    int *m = world_members();
    tenv_t te = {env, dct_size, dct_rank, m};
    int bad, ti;

    if (env == NULL || m == NULL) {
        CU_FAIL("setup");
        dc_env_destroy(&env);
        free(m);
        return;
    }
    bad = sweep(&te, ALL_KINDS, loc_types, 4, loc_ops, 2, all_counts, NELEM(all_counts), 2);
    CU_ASSERT_EQUAL(bad, 0);

    /* the data really has ties across ranks (else the index rule is untested) */
    if (dct_size >= 2) {
        top_t mn = {DC_REDUCE_MINLOC, REF_BUILTIN};
        int ties = 0;
        size_t i;
        for (i = 0; i < 7; i++)
            ties += input(DC_TYPE_INT32_LOC, mn, 0, i).v == input(DC_TYPE_INT32_LOC, mn, 1, i).v;
        CU_ASSERT(ties > 0);
    }

    /* NaN wins MINLOC and MAXLOC; between NaNs the smallest index */
    for (ti = 0; ti < 2; ti++) {
        dc_dtype_t t = ti == 0 ? DC_TYPE_DOUBLE_LOC : DC_TYPE_FLOAT_LOC;
        unsigned char in[2 * sizeof(dc_double_loc_t)], out[2 * sizeof(dc_double_loc_t)];
        elem_t e, r0, r1;
        int op, rc;
        for (op = DC_REDUCE_MINLOC; op <= DC_REDUCE_MAXLOC; op++) {
            /* element 0: NaN on the last rank only; element 1: NaN on every rank */
            e.v = dct_rank == dct_size - 1 ? NAN : (long double)dct_rank;
            e.idx = 10 + dct_rank;
            put(in, t, 0, e);
            e.v = NAN;
            e.idx = 100 - dct_rank;
            put(in, t, 1, e);
            rc = dc_allreduce(env, in, out, 2, t, op);
            CU_ASSERT_EQUAL(rc, DC_SUCCESS);
            r0 = get(out, t, 0);
            r1 = get(out, t, 1);
            CU_ASSERT(isnan(r0.v) && r0.idx == 10 + dct_size - 1);
            CU_ASSERT(isnan(r1.v) && r1.idx == 100 - (dct_size - 1));
        }
    }
    dc_env_destroy(&env);
    free(m);
}

static void test_user_ops(void)
{
    dc_env_t *env = dct_env_create();
    int *m = world_members();
    tenv_t te = {env, dct_size, dct_rank, m};
    top_t affine = {-1, REF_AFFINE}, xr = {-1, REF_XOR};
    dc_dtype_t t64[1] = {DC_TYPE_INT64_LOC}, t32[1] = {DC_TYPE_INT32};
    int bad = 0, rc1 = DC_ERR_INTERNAL, rc2 = DC_ERR_INTERNAL;

    if (env == NULL || m == NULL) {
        CU_FAIL("setup");
        dc_env_destroy(&env);
        free(m);
        return;
    }
    rc1 = dc_reduce_op_create(env, affine_fn, 0, &affine.op);
    rc2 = dc_reduce_op_create(env, xor_fn, 1, &xr.op);
    CU_ASSERT_EQUAL(rc1, DC_SUCCESS);
    CU_ASSERT_EQUAL(rc2, DC_SUCCESS);
    /* ids: the first free ones, the same on every rank */
    CU_ASSERT_EQUAL(affine.op, DC_REDUCE_USER);
    CU_ASSERT_EQUAL(xr.op, DC_REDUCE_USER + 1);
    if (dct_all(rc1 == DC_SUCCESS && rc2 == DC_SUCCESS)) {
        bad += sweep(&te, ALL_KINDS, t64, 1, &affine, 1, all_counts, NELEM(all_counts), 2);
        bad += sweep(&te, ALL_KINDS, t32, 1, &xr, 1, all_counts, NELEM(all_counts), 2);
    }
    CU_ASSERT_EQUAL(bad, 0);

    /* the affine op is really non-commutative on this data: a rank-order bug would show */
    if (dct_size >= 2) {
        size_t i;
        int differ = 0;
        for (i = 0; i < 7; i++) {
            elem_t f = input(DC_TYPE_INT64_LOC, affine, 0, i), b;
            int k;
            b = input(DC_TYPE_INT64_LOC, affine, dct_size - 1, i);
            for (k = 1; k < dct_size; k++)
                f = combine(affine, f, input(DC_TYPE_INT64_LOC, affine, k, i));
            for (k = dct_size - 2; k >= 0; k--)
                b = combine(affine, b, input(DC_TYPE_INT64_LOC, affine, k, i));
            differ += f.v != b.v || f.idx != b.idx;
        }
        CU_ASSERT(differ > 0);
    }

    /* destroy: sets -1, a second destroy is a no-op, the id is free again */
    CU_ASSERT_EQUAL(dc_reduce_op_destroy(env, &affine.op), DC_SUCCESS);
    CU_ASSERT_EQUAL(affine.op, -1);
    CU_ASSERT_EQUAL(dc_reduce_op_destroy(env, &affine.op), DC_SUCCESS);
    {
        dc_reduce_op_t again = -7;
        int rc = dc_reduce_op_create(env, xor_fn, 1, &again);
        CU_ASSERT_EQUAL(rc, DC_SUCCESS);
        CU_ASSERT_EQUAL(again, DC_REDUCE_USER);
        /* a destroyed op is rejected on every rank (debug agrees; the check is local) */
        {
            dc_reduce_op_t dead = again;
            int32_t v = 1, w = 0;
            dc_reduce_op_destroy(env, &again);
            rc = dc_allreduce(env, &v, &w, 1, DC_TYPE_INT32, dead);
            DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        }
    }
    CU_ASSERT_EQUAL(dc_reduce_op_destroy(env, &xr.op), DC_SUCCESS);
    dc_env_destroy(&env);
    free(m);
}

/* ---------------------------------------------------------------- node-aware */

static dc_env_t *env_on(MPI_Comm comm, int algo, int debug)
{
    dc_env_params_t p;
    dc_env_t *env = NULL;
    int rc;

    memset(&p, 0, sizeof(p));
    p.field_mask = DC_ENV_PARAM_ALLREDUCE | DC_ENV_PARAM_DEBUG;
    p.allreduce = (dc_allreduce_algo_t)algo;
    p.debug = debug;
    rc = dc_env_create(comm, &p, &env);
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] dc_env_create: %s\n", dct_rank, dc_env_last_error(NULL));
        return NULL;
    }
    return env;
}

static void test_node_aware(void)
{
    dc_env_t *node = env_on(MPI_COMM_WORLD, DC_ALLREDUCE_NODE, 1);
    dc_env_t *flat = env_on(MPI_COMM_WORLD, DC_ALLREDUCE_FLAT, 1);
    dc_env_t *nodbg = env_on(MPI_COMM_WORLD, DC_ALLREDUCE_NODE, 0);
    dc_env_t *fast = env_on(MPI_COMM_WORLD, DC_ALLREDUCE_FLAT, 0); /* dc_allreduce fast path */
    int *m = world_members();
    tenv_t te = {node, dct_size, dct_rank, m};
    top_t xr = {-1, REF_XOR}, affine = {-1, REF_AFFINE};
    dc_dtype_t t64[1] = {DC_TYPE_INT64_LOC}, t32[1] = {DC_TYPE_INT32};
    int bad = 0, ok;

    DCT_ASSERT_ALL(node != NULL && flat != NULL && nodbg != NULL && fast != NULL && m != NULL);
    if (!dct_all(node != NULL && flat != NULL && nodbg != NULL && fast != NULL && m != NULL))
        goto out;
    {
        dc_placement_t pl;
        if (dc_env_get_placement(node, &pl) == DC_SUCCESS && dct_rank == 0)
            printf("\n  node-aware allreduce: %d rank(s) on %d node(s) (rank 0: %s, %d on its "
                   "node)\n",
                   dct_size, pl.nnodes, pl.node_name, pl.node_size);
    }
    /* every built-in op and type, and both user ops (the non-commutative one goes flat) */
    bad += sweep(&te, 1 << K_ALL, plain_types, 4, plain_ops, 4, all_counts, NELEM(all_counts), 0);
    bad += sweep(&te, 1 << K_ALL, loc_types, 4, loc_ops, 2, all_counts, NELEM(all_counts), 0);
    ok = dc_reduce_op_create(node, xor_fn, 1, &xr.op) == DC_SUCCESS &&
         dc_reduce_op_create(node, affine_fn, 0, &affine.op) == DC_SUCCESS;
    CU_ASSERT(ok);
    if (dct_all(ok)) {
        bad += sweep(&te, ALL_KINDS, t32, 1, &xr, 1, all_counts, NELEM(all_counts), 1);
        bad += sweep(&te, ALL_KINDS, t64, 1, &affine, 1, all_counts, NELEM(all_counts), 1);
    }
    /* the hot path without the debug check */
    te.env = nodbg;
    bad += sweep(&te, 1 << K_ALL, plain_types, 4, plain_ops, 4, few_counts, NELEM(few_counts), 0);
    te.env = fast;
    bad += sweep(&te, 1 << K_ALL, plain_types, 4, plain_ops, 4, all_counts, NELEM(all_counts), 0);
    CU_ASSERT_EQUAL(bad, 0);

    /* inexact data: every rank gets the same bits, and node-aware is close to flat */
    {
        enum { N = 513 };
        double x[N], a[N], b[N], lo[N], hi[N];
        size_t i;
        int rc1, rc2, same = 1, close = 1;
        for (i = 0; i < N; i++)
            x[i] = dct_rand((uint64_t)dct_rank + 11, i) * pow(2.0, (double)(i % 40));
        rc1 = dc_allreduce(node, x, a, N, DC_TYPE_DOUBLE, DC_REDUCE_SUM);
        rc2 = dc_allreduce(flat, x, b, N, DC_TYPE_DOUBLE, DC_REDUCE_SUM);
        CU_ASSERT_EQUAL(rc1, DC_SUCCESS);
        CU_ASSERT_EQUAL(rc2, DC_SUCCESS);
        MPI_Allreduce(a, lo, N, MPI_DOUBLE, MPI_MIN, dct_comm);
        MPI_Allreduce(a, hi, N, MPI_DOUBLE, MPI_MAX, dct_comm);
        for (i = 0; i < N; i++) {
            same &= dct_same_bits(lo[i], a[i]) && dct_same_bits(hi[i], a[i]);
            close &= fabs(a[i] - b[i]) <= 1e-13 * pow(2.0, (double)(i % 40)) * dct_size;
        }
        CU_ASSERT(same);
        CU_ASSERT(close);
    }
out:
    dc_env_destroy(&node);
    dc_env_destroy(&flat);
    dc_env_destroy(&nodbg);
    dc_env_destroy(&fast);
    free(m);
}

/* Envs on the even and the odd ranks: a communicator that is not MPI_COMM_WORLD. */
static void test_split_comm(void)
{
    MPI_Comm half = MPI_COMM_NULL;
    dc_env_t *node = NULL, *flat = NULL;
    int *m = malloc(sizeof(int) * (size_t)dct_size), n = 0, me = -1, r, bad = 0;
    top_t xr = {-1, REF_XOR};
    dc_dtype_t t32[1] = {DC_TYPE_INT32};

    MPI_Comm_split(MPI_COMM_WORLD, dct_rank % 2, dct_rank, &half);
    for (r = dct_rank % 2; m != NULL && r < dct_size; r += 2) {
        if (r == dct_rank)
            me = n;
        m[n++] = r;
    }
    node = env_on(half, DC_ALLREDUCE_NODE, 1);
    flat = env_on(half, DC_ALLREDUCE_FLAT, 1);
    DCT_ASSERT_ALL(node != NULL && flat != NULL && m != NULL);
    if (dct_all(node != NULL && flat != NULL && m != NULL)) {
        tenv_t te = {node, n, me, m};
        int ok;
        bad +=
            sweep(&te, ALL_KINDS, plain_types, 4, plain_ops, 4, few_counts, NELEM(few_counts), 1);
        bad += sweep(&te, ALL_KINDS, loc_types, 4, loc_ops, 2, few_counts, NELEM(few_counts), 1);
        te.env = flat;
        bad +=
            sweep(&te, ALL_KINDS, plain_types, 4, plain_ops, 4, few_counts, NELEM(few_counts), 0);
        ok = dc_reduce_op_create(node, xor_fn, 1, &xr.op) == DC_SUCCESS;
        CU_ASSERT(ok);
        te.env = node;
        if (dct_all(ok))
            bad += sweep(&te, ALL_KINDS, t32, 1, &xr, 1, few_counts, NELEM(few_counts), 0);
    }
    CU_ASSERT_EQUAL(bad, 0);
    dc_env_destroy(&node);
    dc_env_destroy(&flat);
    MPI_Comm_free(&half);
    free(m);
}

/* ---------------------------------------------------------------- types */

static void test_dtypes(void)
{
    dc_env_t *env = dct_env_create();
    static const size_t vsize[8] = {8, 4, 4, 8, 8, 4, 4, 8};
    int t;

    if (env == NULL)
        return;
    for (t = 0; t < DC_TYPE_COUNT_; t++) {
        size_t s = 0;
        MPI_Datatype mt = MPI_DATATYPE_NULL;
        int msize = -1;
        MPI_Aint lb = -1, ext = -1;
        CU_ASSERT_EQUAL(dc_dtype_get_size((dc_dtype_t)t, &s), DC_SUCCESS);
        CU_ASSERT_EQUAL(s, tsize((dc_dtype_t)t));
        CU_ASSERT_EQUAL(dc_dtype_get_mpi(env, (dc_dtype_t)t, &mt), DC_SUCCESS);
        if (mt == MPI_DATATYPE_NULL) {
            CU_FAIL("no MPI type");
            continue;
        }
        MPI_Type_size(mt, &msize);
        MPI_Type_get_extent(mt, &lb, &ext);
        /* pairs: value + int64 index, no padding sent, extent of the C struct */
        CU_ASSERT_EQUAL((size_t)msize, vsize[t] + (is_loc((dc_dtype_t)t) ? 8 : 0));
        CU_ASSERT_EQUAL(lb, 0);
        CU_ASSERT_EQUAL((size_t)ext, tsize((dc_dtype_t)t));
    }
    {
        MPI_Datatype mt = MPI_DATATYPE_NULL;
        dc_dtype_get_mpi(env, DC_TYPE_DOUBLE, &mt);
        CU_ASSERT(mt == MPI_DOUBLE);
        dc_dtype_get_mpi(env, DC_TYPE_INT64, &mt);
        CU_ASSERT(mt == MPI_INT64_T);
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- bad input */

/* rc equal to want on every rank, and a message where the call failed. */
static void expect_all(dc_env_t *env, int rc, int want, const char *what)
{
    int ok = rc == want && strlen(dc_env_last_error(env)) > 0;

    if (!ok)
        fprintf(stderr, "[rank %d] %s: rc %d, wanted %d (%s)\n", dct_rank, what, rc, want,
                dc_env_last_error(env));
    DCT_ASSERT_ALL(ok);
}

static void test_bad_local_and_null(void)
{
    dc_env_t *env = dct_env_create();
    dc_request_t *req = NULL;
    double x[4] = {1, 2, 3, 4}, y[4];
    int32_t i32 = 1, o32 = 0;
    dc_reduce_op_t op = 0;
    MPI_Datatype mt;
    size_t sz;
    int pass;

    if (env == NULL)
        return;
    /* NULL env, on every rank: fails at once, no collective entered */
    CU_ASSERT_EQUAL(dc_allreduce(NULL, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM), DC_ERR_ARG);
    CU_ASSERT(strlen(dc_env_last_error(NULL)) > 0);
    CU_ASSERT_EQUAL(dc_reduce(NULL, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, 0), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_scan(NULL, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_exscan(NULL, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_iallreduce(NULL, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, &req), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ireduce(NULL, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, 0, &req), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_iscan(NULL, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, &req), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_iexscan(NULL, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, &req), DC_ERR_ARG);
    CU_ASSERT(req == NULL);
    CU_ASSERT_EQUAL(dc_reduce_op_create(NULL, xor_fn, 1, &op), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_reduce_op_destroy(NULL, &op), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_dtype_get_mpi(NULL, DC_TYPE_DOUBLE, &mt), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_sum(NULL, x, 4, DC_REPRO_OFF, y), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_dot(NULL, x, x, 4, DC_REPRO_OFF, y), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_asum(NULL, x, 4, DC_REPRO_OFF, y), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_nrm2(NULL, x, 4, DC_REPRO_OFF, y), DC_ERR_ARG);

    /* requests */
    CU_ASSERT_EQUAL(dc_request_wait(NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_request_test(NULL), DC_ERR_ARG);
    req = NULL;
    CU_ASSERT_EQUAL(dc_request_wait(&req), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_request_test(&req), DC_SUCCESS);
    req = (dc_request_t *)env; /* not a request */
    CU_ASSERT_EQUAL(dc_request_wait(&req), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_request_test(&req), DC_ERR_ARG);
    CU_ASSERT(req == (dc_request_t *)env);
    req = NULL;

    /* types, local */
    CU_ASSERT_EQUAL(dc_dtype_get_size(DC_TYPE_COUNT_, &sz), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_dtype_get_size((dc_dtype_t)-1, &sz), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_dtype_get_size(DC_TYPE_DOUBLE, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_dtype_get_mpi(env, DC_TYPE_COUNT_, &mt), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_dtype_get_mpi(env, DC_TYPE_DOUBLE, NULL), DC_ERR_ARG);
    CU_ASSERT(strlen(dc_env_last_error(env)) > 0);

    /* user ops, local */
    CU_ASSERT_EQUAL(dc_reduce_op_create(env, NULL, 1, &op), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_reduce_op_create(env, xor_fn, 1, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_reduce_op_destroy(env, NULL), DC_ERR_ARG);
    op = DC_REDUCE_SUM;
    CU_ASSERT_EQUAL(dc_reduce_op_destroy(env, &op), DC_ERR_ARG); /* built-in */
    op = DC_REDUCE_USER + 5;
    CU_ASSERT_EQUAL(dc_reduce_op_destroy(env, &op), DC_ERR_ARG); /* never created */
    CU_ASSERT_EQUAL(op, DC_REDUCE_USER + 5);
    {
        /* the table is finite: the next create says so, and freeing makes room again */
        dc_reduce_op_t ids[80];
        int n = 0, rc = DC_SUCCESS, k;
        while (n < 80 && (rc = dc_reduce_op_create(env, xor_fn, 1, &ids[n])) == DC_SUCCESS)
            n++;
        CU_ASSERT_EQUAL(rc, DC_ERR_NOMEM);
        CU_ASSERT(n >= 1 && n < 80);
        for (k = 0; k < n; k++)
            CU_ASSERT_EQUAL(ids[k], DC_REDUCE_USER + k);
        for (k = 0; k < n; k++)
            CU_ASSERT_EQUAL(dc_reduce_op_destroy(env, &ids[k]), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_reduce_op_create(env, xor_fn, 1, &op), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_reduce_op_destroy(env, &op), DC_SUCCESS);
    }

    /* without debug: the same bad arguments on every rank come back locally, no crash */
    CU_ASSERT_EQUAL(dc_env_set_debug(env, 0), DC_SUCCESS);
    for (pass = 0; pass < 2; pass++) {
        /* pass 0: debug off (local checks only); pass 1: debug on (agreed) */
        CU_ASSERT_EQUAL(dc_allreduce(env, x, y, 4, (dc_dtype_t)99, DC_REDUCE_SUM), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_allreduce(env, x, y, 4, DC_TYPE_DOUBLE, 17), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_allreduce(env, x, y, 4, DC_TYPE_DOUBLE, -2), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_allreduce(env, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_MINLOC), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_allreduce(env, x, y, 2, DC_TYPE_DOUBLE_LOC, DC_REDUCE_SUM), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_scan(env, &i32, &o32, 1, DC_TYPE_INT32, DC_REDUCE_MAXLOC), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_allreduce(env, NULL, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_allreduce(env, x, NULL, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_scan(env, DC_IN_PLACE, NULL, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM),
                        DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_exscan(env, NULL, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_reduce(env, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, -1), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_reduce(env, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, dct_size),
                        DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_allreduce(env, x, y, (size_t)INT_MAX + 1, DC_TYPE_DOUBLE, DC_REDUCE_SUM),
                        DC_ERR_SIZE);
        CU_ASSERT_EQUAL(dc_iallreduce(env, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, NULL),
                        DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_iscan(env, x, y, 4, (dc_dtype_t)99, DC_REDUCE_SUM, &req), DC_ERR_ARG);
        CU_ASSERT(req == NULL);
        CU_ASSERT_EQUAL(dc_ireduce(env, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, dct_size, &req),
                        DC_ERR_ARG);
        CU_ASSERT(req == NULL);
        CU_ASSERT_EQUAL(
            dc_iexscan(env, x, y, (size_t)INT_MAX + 1, DC_TYPE_DOUBLE, DC_REDUCE_SUM, &req),
            DC_ERR_SIZE);
        CU_ASSERT(req == NULL);
        CU_ASSERT(strlen(dc_env_last_error(env)) > 0);
        /* the env still works after purely local failures */
        CU_ASSERT_EQUAL(dc_allreduce(env, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_MAX), DC_SUCCESS);
        CU_ASSERT(y[3] == 4.0);
        CU_ASSERT_EQUAL(dc_env_set_debug(env, 1), DC_SUCCESS);
    }
    /* a user op of another env is not an op of this one */
    {
        dc_env_t *other = dct_env_create();
        dc_reduce_op_t uop = -1;
        int rc;
        if (other != NULL) {
            rc = dc_reduce_op_create(other, xor_fn, 1, &uop);
            CU_ASSERT_EQUAL(rc, DC_SUCCESS);
            rc = dc_allreduce(env, &i32, &o32, 1, DC_TYPE_INT32, uop);
            expect_all(env, rc, DC_ERR_ARG, "user op of another env");
            dc_reduce_op_destroy(other, &uop);
            dc_env_destroy(&other);
        }
    }
    dc_env_destroy(&env);
}

/*
 * Debug mode: arguments that differ on one rank (the last) make the call fail on every rank
 * with the same code, for each of the eight calls; nobody hangs.
 */
static void test_debug_mismatch(void)
{
    dc_env_t *env = dct_env_create();
    double x[8] = {1, 2, 3, 4, 5, 6, 7, 8}, y[8];
    int last = dct_rank == dct_size - 1 && dct_size > 1, kind, nb, rc;

    if (env == NULL)
        return;
    CU_ASSERT_EQUAL(dc_env_set_debug(env, 1), DC_SUCCESS);
    if (dct_size == 1) {
        dc_env_destroy(&env); /* nothing can differ across one rank */
        return;
    }
    for (nb = 0; nb < 2; nb++)
        for (kind = 0; kind < 4; kind++) {
            char what[64];
            snprintf(what, sizeof(what), "%s nb=%d", kind_names[kind], nb);
            /* count */
            rc = run_call(env, kind, nb, x, y, last ? 5 : 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, 0);
            expect_all(env, rc, DC_ERR_SIZE, what);
            /* op */
            rc = run_call(env, kind, nb, x, y, 4, DC_TYPE_DOUBLE,
                          last ? DC_REDUCE_MAX : DC_REDUCE_SUM, 0);
            expect_all(env, rc, DC_ERR_ARG, what);
            /* type */
            rc = run_call(env, kind, nb, x, y, 2, last ? DC_TYPE_INT64 : DC_TYPE_DOUBLE,
                          DC_REDUCE_SUM, 0);
            expect_all(env, rc, DC_ERR_ARG, what);
            /* root (reduce only) */
            if (kind == K_RED) {
                rc = run_call(env, kind, nb, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, last ? 1 : 0);
                expect_all(env, rc, DC_ERR_ARG, what);
            }
            /* bad arguments on one rank only: the others learn it, nobody hangs */
            rc = run_call(env, kind, nb, last ? NULL : x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, 0);
            expect_all(env, rc, DC_ERR_ARG, what);
            if (!last) { /* the others get the failing rank's message, naming that rank */
                char on[32];
                snprintf(on, sizeof(on), "on rank %d: ", dct_size - 1);
                CU_ASSERT(strstr(dc_env_last_error(env), on) != NULL);
            }
            rc = run_call(env, kind, nb, x, y, 4, last ? (dc_dtype_t)42 : DC_TYPE_DOUBLE,
                          DC_REDUCE_SUM, 0);
            expect_all(env, rc, DC_ERR_ARG, what);
            rc = run_call(env, kind, nb, x, y, 4, DC_TYPE_DOUBLE,
                          last ? DC_REDUCE_MINLOC : DC_REDUCE_SUM, 0);
            expect_all(env, rc, DC_ERR_ARG, what);
            /* a too large count on one rank: DC_ERR_SIZE everywhere */
            rc = run_call(env, kind, nb, x, y, last ? (size_t)INT_MAX + 1 : 4, DC_TYPE_DOUBLE,
                          DC_REDUCE_SUM, 0);
            expect_all(env, rc, DC_ERR_SIZE, what);
        }
    /* different calls on different ranks */
    if (last)
        rc = dc_reduce(env, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, 0);
    else
        rc = dc_allreduce(env, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM);
    expect_all(env, rc, DC_ERR_ARG, "reduce vs allreduce");
    if (last)
        rc = run_call(env, K_ALL, 1, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM, 0);
    else
        rc = dc_allreduce(env, x, y, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM);
    expect_all(env, rc, DC_ERR_ARG, "iallreduce vs allreduce");
    /* and everything still works afterwards */
    rc = dc_allreduce(env, x, y, 8, DC_TYPE_DOUBLE, DC_REDUCE_SUM);
    DCT_ASSERT_ALL(rc == DC_SUCCESS && y[7] == 8.0 * dct_size);
    dc_env_destroy(&env);
}

/* Non-blocking: several outstanding requests at once, completed in reverse order. */
static void test_overlapping_requests(void)
{
    dc_env_t *env = dct_env_create();
    enum { NR = 4, N = 300 };
    double in[NR][N], out[NR][N];
    dc_request_t *req[NR];
    int k, rc[NR], ok = 1;
    size_t i;

    if (env == NULL)
        return;
    for (k = 0; k < NR; k++) {
        for (i = 0; i < N; i++)
            in[k][i] = (double)(dct_rank * 1000 + k * 10 + (int)i % 7);
        req[k] = NULL;
        rc[k] = k % 2
                    ? dc_iscan(env, in[k], out[k], N, DC_TYPE_DOUBLE, DC_REDUCE_SUM, &req[k])
                    : dc_iallreduce(env, in[k], out[k], N, DC_TYPE_DOUBLE, DC_REDUCE_MAX, &req[k]);
        CU_ASSERT_EQUAL(rc[k], DC_SUCCESS);
    }
    busy_work(5000);
    for (k = NR - 1; k >= 0; k--) {
        CU_ASSERT_EQUAL(dc_request_wait(&req[k]), DC_SUCCESS);
        CU_ASSERT(req[k] == NULL);
    }
    for (k = 0; k < NR; k++)
        for (i = 0; i < N; i++) {
            double want = 0.0;
            int r;
            if (k % 2) {
                for (r = 0; r <= dct_rank; r++)
                    want += (double)(r * 1000 + k * 10 + (int)i % 7);
            } else {
                want = (double)((dct_size - 1) * 1000 + k * 10 + (int)i % 7);
            }
            ok &= out[k][i] == want;
        }
    CU_ASSERT(ok);
    dc_env_destroy(&env);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("reduce", NULL, NULL);

    CU_add_test(s, "dtypes", test_dtypes);
    CU_add_test(s, "builtin ops x types, all calls", test_builtin_ops);
    CU_add_test(s, "MINLOC/MAXLOC with ties and NaN", test_loc_ops);
    CU_add_test(s, "user-defined ops", test_user_ops);
    CU_add_test(s, "overlapping non-blocking requests", test_overlapping_requests);
    CU_add_test(s, "node-aware allreduce", test_node_aware);
    CU_add_test(s, "even/odd split communicator", test_split_comm);
    CU_add_test(s, "bad input: NULL, local checks", test_bad_local_and_null);
    CU_add_test(s, "debug: mismatches agreed", test_debug_mismatch);
}
