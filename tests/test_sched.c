/*
 * Tests of the scheduler (lib/sched*.c) and of the counter-based generator (lib/rng.c). Every
 * result is compared bit for bit with a serial reference computed here: the canonical pairwise
 * tree written top-down and recursively (the library builds it bottom-up), the depth-first walk
 * of task trees, and plain loops. Executions are counted per index and summed over ranks: every
 * block and task must run exactly once, also when a callback fails.
 */
#include "dc_test.h"
#include "dc_testhook.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const dc_sched_kind_t all_kinds[] = {DC_SCHED_STATIC,  DC_SCHED_CYCLIC, DC_SCHED_WEIGHTED,
                                            DC_SCHED_DYNAMIC, DC_SCHED_GUIDED, DC_SCHED_STEAL};
#define NKINDS 6

/* ---------------------------------------------------------------- serial references */

/* Values with magnitudes over 2^-20 .. 2^20: their sum depends on the order of the additions. */
static double value_of(int64_t i)
{
    return ldexp(dct_rand(7, (uint64_t)i), (int)((i * 7) % 41) - 20);
}

/* The canonical tree, top-down, over nb leaf values. */
static double ref_tree(const double *v, int64_t lo, int64_t size, int64_t nb)
{
    if (size == 1)
        return v[lo];
    if (lo + size / 2 >= nb)
        return ref_tree(v, lo, size / 2, nb);
    return ref_tree(v, lo, size / 2, nb) + ref_tree(v, lo + size / 2, size / 2, nb);
}

static double ref_sum(const double *v, int64_t nb)
{
    int64_t size = 1;

    if (nb == 0)
        return 0.0;
    while (size < nb)
        size *= 2;
    return ref_tree(v, 0, size, nb);
}

/* Block values with a grain: sequential sum inside each block, as the test callback does. */
static double *ref_blocks(int64_t n, int64_t grain, int64_t *nb_p)
{
    int64_t nb = (n + grain - 1) / grain, b, i;
    double *bv = malloc((size_t)(nb > 0 ? nb : 1) * sizeof(double));

    for (b = 0; b < nb; b++) {
        double s = 0.0;
        for (i = b * grain; i < (b + 1) * grain && i < n; i++)
            s += value_of(i);
        bv[b] = s;
    }
    *nb_p = nb;
    return bv;
}

/* ---------------------------------------------------------------- index-space callbacks */

typedef struct {
    int *count;             /* executions per index on this rank */
    int64_t fail_a, fail_b; /* indices whose callback fails (-1: none) */
    int fail_code;
    int spin; /* extra work per index: i % spin iterations (skew) */
} ictx_t;

static int cb_sum(dc_gidx_t lo, dc_gidx_t hi, void *value, void *ctx)
{
    ictx_t *c = ctx;
    double s = 0.0;
    int64_t i;
    int rc = 0;

    for (i = lo; i < hi; i++) {
        c->count[i]++;
        s += value_of(i);
        if (i == c->fail_a || i == c->fail_b)
            rc = c->fail_code;
        if (c->spin > 0) {
            volatile double x = 0.0;
            int k;
            for (k = 0; k < (int)(i % c->spin); k++)
                x += 1e-9;
        }
    }
    *(double *)value = s;
    return rc;
}

/* Sum the per-rank execution counts; 1 if every index ran exactly 'want' times. */
static int counts_ok(const int *count, int64_t n, int want)
{
    int *all = calloc((size_t)(n > 0 ? n : 1), sizeof(int));
    int ok = 1;
    int64_t i;

    MPI_Allreduce(count, all, (int)n, MPI_INT, MPI_SUM, dct_comm);
    for (i = 0; i < n; i++)
        if (all[i] != want)
            ok = 0;
    free(all);
    return ok;
}

static dc_sched_t *make_sched(dc_env_t *env, dc_sched_kind_t kind, int64_t chunk, int64_t grain)
{
    dc_sched_t *s = NULL;
    int rc = dc_sched_create(env, &s);

    if (rc == DC_SUCCESS)
        rc = dc_sched_set_kind(s, kind);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_chunk(s, chunk);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_grain(s, grain);
    if (rc == DC_SUCCESS && kind == DC_SCHED_WEIGHTED)
        rc = dc_sched_set_weight(s, (double)(1 + dct_rank % 3)); /* uneven shares */
    if (rc == DC_SUCCESS)
        rc = dc_sched_setup(s);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] sched setup: %s\n", dct_rank, dc_env_last_error(env));
        dc_sched_destroy(&s);
    }
    return s;
}

/* One run of the double sum, checked against the reference and the execution counts. */
static void check_sum(dc_sched_t *s, const char *what, int64_t n, int64_t grain, int spin)
{
    ictx_t c = {0};
    int64_t nb, k, tasks = 0;
    double *bv = ref_blocks(n, grain, &nb), res = -1.0, ref = ref_sum(bv, nb);
    int rc, ok;
    dc_sched_stats_t st;

    c.count = calloc((size_t)(n > 0 ? n : 1), sizeof(int));
    c.fail_a = c.fail_b = -1;
    c.spin = spin;
    rc = dc_sched_run(s, n, cb_sum, &c, &res);
    ok = rc == DC_SUCCESS && dct_same_bits(res, ref);
    if (!ok)
        fprintf(stderr, "[rank %d] %s n=%lld grain=%lld: rc %d, %.17g vs reference %.17g\n",
                dct_rank, what, (long long)n, (long long)grain, rc, res, ref);
    DCT_ASSERT_ALL(ok);
    DCT_ASSERT_ALL(counts_ok(c.count, n, 1));
    for (k = 0; k < dct_size; k++) {
        CU_ASSERT(dc_sched_get_stats(s, (int)k, &st) == DC_SUCCESS);
        tasks += st.tasks;
        CU_ASSERT(st.busy >= 0.0 && st.overhead >= 0.0 && st.wait >= 0.0);
    }
    CU_ASSERT(tasks == nb);
    free(c.count);
    free(bv);
}

/* ---------------------------------------------------------------- tests */

static void test_rng(void)
{
    /* Random123's known-answer vectors for philox4x32-10 (counter, key, output) */
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d,
         0x41c83b0e, 0xa20bc7c6, 0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09,
         0x94fdcceb, 0x5001e420, 0x24126ea1},
    };
    int i, j;
    dc_rng_t g;
    double u[1001], mean = 0.0;
    uint64_t x[4];

    for (i = 0; i < 3; i++) {
        uint32_t out[4];
        CU_ASSERT(dc_rng_philox4x32(kat[i], kat[i] + 4, out) == DC_SUCCESS);
        for (j = 0; j < 4; j++)
            CU_ASSERT(out[j] == kat[i][6 + j]);
    }
    /* the documented mapping: call k of stream s encrypts (k, 0, s lo, s hi) with the seed */
    CU_ASSERT(dc_rng_init(&g, 0x0123456789abcdefull, 0xfedcba9876543210ull) == DC_SUCCESS);
    CU_ASSERT(dc_rng_uint64(&g, x, 4) == DC_SUCCESS);
    for (i = 0; i < 2; i++) {
        uint32_t ctr[4] = {(uint32_t)i, 0, 0x76543210u, 0xfedcba98u};
        uint32_t key[2] = {0x89abcdefu, 0x01234567u}, o[4];
        dc_rng_philox4x32(ctr, key, o);
        CU_ASSERT(x[2 * i] == ((uint64_t)o[0] | (uint64_t)o[1] << 32));
        CU_ASSERT(x[2 * i + 1] == ((uint64_t)o[2] | (uint64_t)o[3] << 32));
    }
    /* doubles: (v >> 11) * 2^-53, in [0, 1), mean near 1/2, odd counts resume correctly */
    dc_rng_init(&g, 42, 7);
    CU_ASSERT(dc_rng_uniform(&g, u, 1) == DC_SUCCESS);
    CU_ASSERT(dc_rng_uniform(&g, u + 1, 1000) == DC_SUCCESS);
    for (i = 0; i < 1001; i++) {
        CU_ASSERT(u[i] >= 0.0 && u[i] < 1.0);
        mean += u[i];
    }
    mean /= 1001;
    CU_ASSERT(fabs(mean - 0.5) < 0.05);
    dc_rng_init(&g, 42, 7);
    dc_rng_uint64(&g, x, 3);
    CU_ASSERT(u[0] == (double)(x[0] >> 11) * 0x1.0p-53);
    CU_ASSERT(u[2] == (double)(x[2] >> 11) * 0x1.0p-53);
    /* other streams and seeds differ */
    dc_rng_init(&g, 42, 8);
    dc_rng_uint64(&g, x + 3, 1);
    CU_ASSERT(x[3] != x[0]);
    CU_ASSERT(dc_rng_init(NULL, 1, 1) == DC_ERR_ARG);
    CU_ASSERT(dc_rng_uniform(NULL, u, 1) == DC_ERR_ARG);
    CU_ASSERT(dc_rng_uniform(&g, NULL, 1) == DC_ERR_ARG);
    CU_ASSERT(dc_rng_philox4x32(NULL, kat[0], NULL) == DC_ERR_ARG);
}

/* The data really is order-sensitive: otherwise the bitwise checks would prove nothing. */
static void test_data_sensitive(void)
{
    int64_t nb, i;
    double *bv = ref_blocks(1000, 1, &nb), seq = 0.0;

    for (i = 0; i < nb; i++)
        seq += bv[i];
    CU_ASSERT(!dct_same_bits(seq, ref_sum(bv, nb)));
    free(bv);
}

static void test_schedules(void)
{
    dc_env_t *env = dct_env_create();
    int P = dct_size;
    int64_t sizes[] = {0, 1, 2, (int64_t)P - 1, P, P + 1, 7, 97, 1000, 1009};
    int64_t chunks[] = {0, 3, 5000};
    int ki, ci, si;
    char what[64];

    if (env == NULL)
        return;
    for (ki = 0; ki < NKINDS; ki++) {
        for (ci = 0; ci < 3; ci++) {
            dc_sched_t *s = make_sched(env, all_kinds[ki], chunks[ci], 1);
            if (s == NULL)
                continue;
            snprintf(what, sizeof(what), "%s chunk %lld", dc_sched_kind_name(all_kinds[ki]),
                     (long long)chunks[ci]);
            for (si = 0; si < (int)(sizeof(sizes) / sizeof(sizes[0])); si++)
                check_sum(s, what, sizes[si], 1, 0);
            dc_sched_destroy(&s);
            CU_ASSERT(s == NULL);
        }
    }
    dc_env_destroy(&env);
}

static void test_grain_and_skew(void)
{
    dc_env_t *env = dct_env_create();
    int ki;

    if (env == NULL)
        return;
    for (ki = 0; ki < NKINDS; ki++) {
        dc_sched_t *s = make_sched(env, all_kinds[ki], 2, 7);
        if (s == NULL)
            continue;
        check_sum(s, dc_sched_kind_name(all_kinds[ki]), 1001, 7, 0);
        check_sum(s, dc_sched_kind_name(all_kinds[ki]), 6, 7, 0); /* one short block */
        dc_sched_destroy(&s);
        /* costly and skewed: the dynamic schedules really move work around */
        s = make_sched(env, all_kinds[ki], 4, 1);
        if (s == NULL)
            continue;
        check_sum(s, dc_sched_kind_name(all_kinds[ki]), 3000, 1, 2000);
        dc_sched_destroy(&s);
    }
    dc_env_destroy(&env);
}

/* Runs repeated on one object, with results on one root: the alternating shared state. */
static void test_repeated_runs(void)
{
    dc_env_t *env = dct_env_create();
    int ki, it;

    if (env == NULL)
        return;
    for (ki = 3; ki < NKINDS; ki++) {
        dc_sched_t *s = NULL;
        int rc = dc_sched_create(env, &s);
        if (rc == DC_SUCCESS)
            rc = dc_sched_set_kind(s, all_kinds[ki]);
        if (rc == DC_SUCCESS)
            rc = dc_sched_set_root(s, dct_size - 1);
        if (rc == DC_SUCCESS)
            rc = dc_sched_setup(s);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        if (rc != DC_SUCCESS)
            continue;
        for (it = 0; it < 12; it++) {
            int64_t n = 50 + 37 * it, nb;
            double *bv = ref_blocks(n, 1, &nb), res = -7.0, ref = ref_sum(bv, nb);
            ictx_t c = {0};
            c.count = calloc((size_t)n, sizeof(int));
            c.fail_a = c.fail_b = -1;
            rc = dc_sched_run(s, n, cb_sum, &c, &res);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            if (dct_rank == dct_size - 1) {
                CU_ASSERT(dct_same_bits(res, ref));
            } else {
                CU_ASSERT(res == -7.0); /* untouched off the root */
            }
            DCT_ASSERT_ALL(counts_ok(c.count, n, 1));
            free(c.count);
            free(bv);
        }
        dc_sched_destroy(&s);
    }
    dc_env_destroy(&env);
}

/* The same sum on sub-communicators of 1 .. P ranks in one run: identical bits. */
static void test_rank_counts(void)
{
    int k, ki;
    const int64_t n = 777;
    int64_t nb;
    double *bv = ref_blocks(n, 1, &nb), ref = ref_sum(bv, nb);

    for (k = 1; k <= dct_size; k++) {
        MPI_Comm sub;
        MPI_Comm_split(dct_comm, dct_rank < k ? 0 : MPI_UNDEFINED, dct_rank, &sub);
        if (sub != MPI_COMM_NULL) {
            dc_env_t *env = NULL;
            int rc = dc_env_create(sub, NULL, &env);
            CU_ASSERT(rc == DC_SUCCESS);
            for (ki = 0; ki < NKINDS && rc == DC_SUCCESS; ki++) {
                dc_sched_t *s = NULL;
                double res = 0.0;
                ictx_t c = {0};
                c.count = calloc((size_t)n, sizeof(int));
                c.fail_a = c.fail_b = -1;
                rc = dc_sched_create(env, &s);
                if (rc == DC_SUCCESS)
                    rc = dc_sched_set_kind(s, all_kinds[ki]);
                if (rc == DC_SUCCESS)
                    rc = dc_sched_set_chunk(s, 3);
                if (rc == DC_SUCCESS)
                    rc = dc_sched_setup(s);
                if (rc == DC_SUCCESS)
                    rc = dc_sched_run(s, n, cb_sum, &c, &res);
                CU_ASSERT(rc == DC_SUCCESS);
                if (!dct_same_bits(res, ref))
                    fprintf(stderr, "[rank %d] %d ranks, %s: %.17g vs %.17g\n", dct_rank, k,
                            dc_sched_kind_name(all_kinds[ki]), res, ref);
                CU_ASSERT(dct_same_bits(res, ref));
                dc_sched_destroy(&s);
                free(c.count);
            }
            dc_env_destroy(&env);
            MPI_Comm_free(&sub);
        }
        MPI_Barrier(dct_comm);
    }
    free(bv);
}

/* ---------------------------------------------------------------- types and operations */

static int cb_types(dc_gidx_t lo, dc_gidx_t hi, void *value, void *ctx)
{
    int which = *(int *)ctx;

    (void)hi;
    switch (which) {
    case 0: { /* int64 sum of 3 components */
        int64_t *v = value;
        v[0] = lo;
        v[1] = lo * lo;
        v[2] = (int64_t)1 << (lo % 62);
        break;
    }
    case 1: /* double max */ *(double *)value = value_of(lo); break;
    case 2: { /* maxloc with ties: values repeat every 10 */
        dc_double_loc_t *v = value;
        v->value = (double)((lo * 37) % 10);
        v->index = lo;
        break;
    }
    case 3: /* float product near 1 */ *(float *)value = 1.0f + (float)(lo % 5) * 1e-3f; break;
    case 4: { /* int32 min */ *(int32_t *)value = (int32_t)((lo * 7919) % 1000) - 500; break;
    }
    default: break;
    }
    return 0;
}

static void test_types(void)
{
    dc_env_t *env = dct_env_create();
    const int64_t n = 523;
    int ki, which;

    if (env == NULL)
        return;
    for (ki = 0; ki < NKINDS; ki++) {
        for (which = 0; which < 5; which++) {
            static const dc_dtype_t types[] = {DC_TYPE_INT64, DC_TYPE_DOUBLE, DC_TYPE_DOUBLE_LOC,
                                               DC_TYPE_FLOAT, DC_TYPE_INT32};
            static const size_t counts[] = {3, 1, 1, 1, 1};
            static const dc_reduce_op_t ops[] = {DC_REDUCE_SUM, DC_REDUCE_MAX, DC_REDUCE_MAXLOC,
                                                 DC_REDUCE_PROD, DC_REDUCE_MIN};
            dc_sched_t *s = NULL;
            unsigned char res[64] = {0};
            int rc = dc_sched_create(env, &s), ok = 1;
            int64_t i;
            if (rc == DC_SUCCESS)
                rc = dc_sched_set_kind(s, all_kinds[ki]);
            if (rc == DC_SUCCESS)
                rc = dc_sched_set_chunk(s, 4);
            if (rc == DC_SUCCESS)
                rc = dc_sched_set_reduction(s, types[which], counts[which], ops[which]);
            if (rc == DC_SUCCESS)
                rc = dc_sched_setup(s);
            if (rc == DC_SUCCESS)
                rc = dc_sched_run(s, n, cb_types, &which, res);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            if (which == 0) {
                uint64_t ref[3] = {0, 0, 0};
                int64_t v[3];
                for (i = 0; i < n; i++) {
                    ref[0] += (uint64_t)i;
                    ref[1] += (uint64_t)(i * i);
                    ref[2] += (uint64_t)1 << (i % 62);
                }
                memcpy(v, res, sizeof(v));
                ok = (uint64_t)v[0] == ref[0] && (uint64_t)v[1] == ref[1] &&
                     (uint64_t)v[2] == ref[2];
            } else if (which == 1) {
                double m = -INFINITY;
                for (i = 0; i < n; i++)
                    m = value_of(i) > m ? value_of(i) : m;
                ok = dct_same_bits(*(double *)res, m);
            } else if (which == 2) {
                dc_double_loc_t v, best = {-1.0, -1};
                memcpy(&v, res, sizeof(v));
                for (i = 0; i < n; i++)
                    if ((double)((i * 37) % 10) > best.value) {
                        best.value = (double)((i * 37) % 10);
                        best.index = i; /* first index of the maximum */
                    }
                ok = v.value == best.value && v.index == best.index;
            } else if (which == 3) {
                /* float products are rounded: reference in the canonical tree */
                float *bv = malloc((size_t)n * sizeof(float)), got;
                int64_t size = 1, lvl;
                for (i = 0; i < n; i++)
                    bv[i] = 1.0f + (float)(i % 5) * 1e-3f;
                while (size < n)
                    size *= 2;
                /* bottom-up by levels over the padded tree: node j of level l = op of its two
                 * children when the right one exists, else the left one */
                for (lvl = 1; lvl < size; lvl *= 2)
                    for (i = 0; i + lvl < n; i += 2 * lvl)
                        bv[i] = bv[i] * bv[i + lvl];
                memcpy(&got, res, sizeof(got));
                ok = got == bv[0];
                free(bv);
            } else {
                int32_t m = INT32_MAX, got;
                for (i = 0; i < n; i++)
                    if ((int32_t)((i * 7919) % 1000) - 500 < m)
                        m = (int32_t)((i * 7919) % 1000) - 500;
                memcpy(&got, res, sizeof(got));
                ok = got == m;
            }
            if (!ok)
                fprintf(stderr, "[rank %d] %s type case %d wrong\n", dct_rank,
                        dc_sched_kind_name(all_kinds[ki]), which);
            DCT_ASSERT_ALL(ok);
            dc_sched_destroy(&s);
        }
    }
    dc_env_destroy(&env);
}

/* 2x2 integer matrix product (wrapping): associative, not commutative. */
static void matmul_op(void *in, void *inout, int *len, MPI_Datatype *dt)
{
    uint64_t *a = in, *b = inout;
    int k;

    (void)dt;
    for (k = 0; k + 4 <= *len; k += 4) {
        uint64_t c0 = a[k] * b[k] + a[k + 1] * b[k + 2];
        uint64_t c1 = a[k] * b[k + 1] + a[k + 1] * b[k + 3];
        uint64_t c2 = a[k + 2] * b[k] + a[k + 3] * b[k + 2];
        uint64_t c3 = a[k + 2] * b[k + 1] + a[k + 3] * b[k + 3];
        b[k] = c0;
        b[k + 1] = c1;
        b[k + 2] = c2;
        b[k + 3] = c3;
    }
}

static int cb_mat(dc_gidx_t lo, dc_gidx_t hi, void *value, void *ctx)
{
    uint64_t *m = value;

    (void)hi;
    (void)ctx;
    m[0] = 1;
    m[1] = (uint64_t)lo + 1;
    m[2] = (uint64_t)(lo % 3);
    m[3] = 1;
    return 0;
}

static void test_user_op(void)
{
    dc_env_t *env = dct_env_create();
    dc_reduce_op_t op = -1;
    int ki, rc;
    const int64_t n = 300;
    uint64_t ref[4] = {1, 0, 0, 1};
    int64_t i;

    if (env == NULL)
        return;
    rc = dc_reduce_op_create(env, matmul_op, 0, &op);
    CU_ASSERT(rc == DC_SUCCESS);
    /* serial left-to-right product: exact, so any tree of the same order gives it */
    for (i = 0; i < n; i++) {
        uint64_t m[4];
        cb_mat(i, i + 1, m, NULL);
        matmul_op(ref, m, (int[]){4}, NULL);
        memcpy(ref, m, sizeof(m));
    }
    for (ki = 0; ki < NKINDS && rc == DC_SUCCESS; ki++) {
        dc_sched_t *s = NULL;
        uint64_t res[4] = {0}, keep[4] = {9, 9, 9, 9};
        int r2 = dc_sched_create(env, &s);
        if (r2 == DC_SUCCESS)
            r2 = dc_sched_set_kind(s, all_kinds[ki]);
        if (r2 == DC_SUCCESS)
            r2 = dc_sched_set_chunk(s, 5);
        if (r2 == DC_SUCCESS)
            r2 = dc_sched_set_reduction(s, DC_TYPE_INT64, 4, op);
        if (r2 == DC_SUCCESS)
            r2 = dc_sched_setup(s);
        if (r2 == DC_SUCCESS)
            r2 = dc_sched_run(s, n, cb_mat, NULL, res);
        DCT_ASSERT_ALL(r2 == DC_SUCCESS);
        DCT_ASSERT_ALL(memcmp(res, ref, sizeof(ref)) == 0);
        /* n = 0 with a user operation: the result is left as it is */
        if (r2 == DC_SUCCESS)
            r2 = dc_sched_run(s, 0, cb_mat, NULL, keep);
        DCT_ASSERT_ALL(r2 == DC_SUCCESS && keep[0] == 9 && keep[3] == 9);
        dc_sched_destroy(&s);
    }
    /* an operation destroyed while a scheduler still uses it: an error, not a crash */
    if (rc == DC_SUCCESS) {
        dc_sched_t *s = NULL;
        uint64_t res[4] = {0};
        int r2 = dc_sched_create(env, &s);
        if (r2 == DC_SUCCESS)
            r2 = dc_sched_set_reduction(s, DC_TYPE_INT64, 4, op);
        if (r2 == DC_SUCCESS)
            r2 = dc_sched_setup(s);
        DCT_ASSERT_ALL(r2 == DC_SUCCESS);
        dc_reduce_op_destroy(env, &op);
        r2 = dc_sched_run(s, 10, cb_mat, NULL, res);
        DCT_ASSERT_ALL(r2 == DC_ERR_ARG);
        dc_sched_destroy(&s);
    }
    dc_reduce_op_destroy(env, &op);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- errors */

static void test_callback_errors(void)
{
    dc_env_t *env = dct_env_create();
    const int64_t n = 211;
    int ki;

    if (env == NULL)
        return;
    for (ki = 0; ki < NKINDS; ki++) {
        dc_sched_t *s = make_sched(env, all_kinds[ki], 3, 1);
        ictx_t c = {0};
        double res = 123.0;
        int rc;
        const char *msg;
        if (s == NULL)
            continue;
        c.count = calloc((size_t)n, sizeof(int));
        /* two failures: the lower index is reported, whoever ran it and whenever */
        c.fail_a = 150;
        c.fail_b = 77;
        c.fail_code = DC_ERR_IO;
        rc = dc_sched_run(s, n, cb_sum, &c, &res);
        DCT_ASSERT_ALL(rc == DC_ERR_IO);
        CU_ASSERT(res == 123.0); /* no output on failure */
        msg = dc_env_last_error(env);
        CU_ASSERT(msg != NULL && strstr(msg, "block 77") != NULL);
        DCT_ASSERT_ALL(counts_ok(c.count, n, 1)); /* none lost, none twice */
        /* a positive code becomes DC_ERR_ARG */
        memset(c.count, 0, (size_t)n * sizeof(int));
        c.fail_a = n - 1;
        c.fail_b = -1;
        c.fail_code = 5;
        rc = dc_sched_run(s, n, cb_sum, &c, &res);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        DCT_ASSERT_ALL(counts_ok(c.count, n, 1));
        /* and the object is still usable */
        memset(c.count, 0, (size_t)n * sizeof(int));
        c.fail_a = -1;
        check_sum(s, "after errors", n, 1, 0);
        free(c.count);
        dc_sched_destroy(&s);
    }
    dc_env_destroy(&env);
}

static void test_arg_errors(void)
{
    dc_env_t *env = dct_env_create();
    dc_sched_t *s = NULL, *s2 = NULL;
    ictx_t c = {0};
    double res = 0.0;
    int rc, cnt[64] = {0};
    dc_sched_stats_t st;
    dc_sched_kind_t kind;

    if (env == NULL)
        return;
    c.count = cnt;
    c.fail_a = c.fail_b = -1;
    /* NULL handles and outputs (on every rank) */
    CU_ASSERT(dc_sched_create(NULL, &s) == DC_ERR_ARG);
    CU_ASSERT(dc_env_last_error(NULL)[0] != '\0');
    CU_ASSERT(dc_sched_create(env, NULL) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_setup(NULL) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_run(NULL, 10, cb_sum, &c, &res) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_run_tasks(NULL, 1, "x", 1, NULL, NULL, &res) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_set_kind(NULL, DC_SCHED_STATIC) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_get_stats(NULL, 0, &st) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_get_imbalance(NULL, NULL, NULL) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_view(NULL, NULL) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_destroy(NULL) == DC_SUCCESS);
    CU_ASSERT(dc_sched_destroy(&s) == DC_SUCCESS);
    CU_ASSERT(dc_sched_kind_from_name("fastest", &kind) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_kind_from_name("guided", &kind) == DC_SUCCESS && kind == DC_SCHED_GUIDED);
    CU_ASSERT(dc_sched_kind_name((dc_sched_kind_t)99) == NULL);

    rc = dc_sched_create(env, &s);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc != DC_SUCCESS) {
        dc_env_destroy(&env);
        return;
    }
    /* bad settings: local errors */
    CU_ASSERT(dc_sched_set_kind(s, (dc_sched_kind_t)17) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_set_chunk(s, -1) == DC_ERR_SIZE);
    CU_ASSERT(dc_sched_set_grain(s, 0) == DC_ERR_SIZE);
    CU_ASSERT(dc_sched_set_reduction(s, DC_TYPE_DOUBLE, 0, DC_REDUCE_SUM) == DC_ERR_SIZE);
    CU_ASSERT(dc_sched_set_reduction(s, DC_TYPE_DOUBLE_LOC, 1, DC_REDUCE_SUM) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_set_reduction(s, DC_TYPE_DOUBLE, 1, DC_REDUCE_MINLOC) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_set_reduction(s, DC_TYPE_DOUBLE, 1, DC_REDUCE_USER + 7) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_set_reduction(s, (dc_dtype_t)42, 1, DC_REDUCE_SUM) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_set_root(s, dct_size) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_set_weight(s, -5.0) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_set_weight(s, NAN) == DC_ERR_ARG);
    CU_ASSERT(dc_env_last_error(env)[0] != '\0');
    /* run before setup: state error on every rank */
    rc = dc_sched_run(s, 10, cb_sum, &c, &res);
    DCT_ASSERT_ALL(rc == DC_ERR_STATE);
    rc = dc_sched_get_stats(s, 0, &st);
    CU_ASSERT(rc == DC_ERR_STATE);
    /* a setting that differs on one rank fails setup everywhere */
    dc_sched_set_kind(s, DC_SCHED_DYNAMIC);
    if (dct_size > 1) {
        dc_sched_set_chunk(s, dct_rank == dct_size - 1 ? 3 : 2);
        rc = dc_sched_setup(s);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        CU_ASSERT(dc_env_last_error(env)[0] != '\0');
    }
    dc_sched_set_chunk(s, 2);
    rc = dc_sched_setup(s);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT(dc_sched_setup(s) != DC_SUCCESS); /* twice: agreed STATE */
    CU_ASSERT(dc_sched_set_chunk(s, 4) == DC_ERR_STATE);
    /* run arguments: bad on all, or on one rank only: same code everywhere, no hang */
    rc = dc_sched_run(s, -3, cb_sum, &c, &res);
    DCT_ASSERT_ALL(rc == DC_ERR_SIZE);
    if (dct_size > 1) {
        rc = dc_sched_run(s, dct_rank == 0 ? 11 : 10, cb_sum, &c, &res);
        DCT_ASSERT_ALL(rc == DC_ERR_SIZE);
    }
    rc = dc_sched_run(s, 10, dct_rank == dct_size - 1 ? NULL : cb_sum, &c, &res);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(env), "fn is NULL") != NULL);
    rc = dc_sched_run(s, 10, cb_sum, &c, dct_rank == dct_size - 1 ? NULL : &res);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    rc = dc_sched_run(s, INT64_MAX, cb_sum, &c, &res);
    DCT_ASSERT_ALL(rc == DC_ERR_SIZE);
    /* after all that, a correct run */
    memset(cnt, 0, sizeof(cnt));
    check_sum(s, "after argument errors", 64, 1, 0);
    CU_ASSERT(dc_sched_get_stats(s, dct_size, &st) == DC_ERR_ARG);
    CU_ASSERT(dc_sched_get_stats(s, 0, NULL) == DC_ERR_ARG);
    {
        double imb = 0.0;
        int slow = -1;
        CU_ASSERT(dc_sched_get_imbalance(s, &imb, &slow) == DC_SUCCESS);
        CU_ASSERT(imb >= 1.0 - 1e-12 && slow >= 0 && slow < dct_size);
    }
    {
        FILE *f = tmpfile();
        CU_ASSERT(dc_sched_view(s, f) == DC_SUCCESS);
        if (f != NULL && dct_rank == 0)
            CU_ASSERT(ftell(f) > 0);
        if (f != NULL)
            fclose(f);
    }
    dc_sched_destroy(&s);

    /* weights all zero: DC_ERR_SIZE at setup on every rank */
    rc = dc_sched_create(env, &s2);
    if (rc == DC_SUCCESS) {
        dc_sched_set_kind(s2, DC_SCHED_WEIGHTED);
        dc_sched_set_weight(s2, 0.0);
        rc = dc_sched_setup(s2);
        DCT_ASSERT_ALL(rc == DC_ERR_SIZE);
        dc_sched_destroy(&s2);
    }
    /* calibrated and zero-on-some weights work */
    rc = dc_sched_create(env, &s2);
    if (rc == DC_SUCCESS) {
        dc_sched_set_kind(s2, DC_SCHED_WEIGHTED);
        dc_sched_set_weight(s2, DC_SCHED_WEIGHT_CALIBRATE);
        rc = dc_sched_setup(s2);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        if (rc == DC_SUCCESS)
            check_sum(s2, "calibrated", 500, 1, 0);
        dc_sched_destroy(&s2);
    }
    rc = dc_sched_create(env, &s2);
    if (rc == DC_SUCCESS) {
        dc_sched_set_kind(s2, DC_SCHED_WEIGHTED);
        dc_sched_set_weight(s2, dct_rank == 0 ? 1.0 : 0.0); /* ranks that own nothing */
        rc = dc_sched_setup(s2);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        if (rc == DC_SUCCESS)
            check_sum(s2, "rank 0 only", 100, 1, 0);
        dc_sched_destroy(&s2);
    }
    dc_env_destroy(&env);
}

/* Two envs: a scheduler runs on its own env's ranks only (a split in halves). */
/* One create, setup (failing first when fail_at > 0: that allocation of the setup fails on
 * every rank; or, with mismatch, a chunk that differs on the last rank), setup again with
 * agreed settings, destroy. 1 if the failing setup failed as expected and the second worked. */
static int setup_retry_cycle(dc_env_t *env, long fail_at, int mismatch)
{
    dc_sched_t *s = NULL;
    int rc, ok = 1;

    rc = dc_sched_create(env, &s);
    if (rc == DC_SUCCESS) {
        dc_sched_set_kind(s, DC_SCHED_DYNAMIC);
        dc_sched_set_chunk(s, mismatch && dct_rank == dct_size - 1 ? 3 : 2);
        if (fail_at > 0)
            dci_test_fail_alloc(fail_at, -1);
        if (fail_at > 0 || mismatch) {
            rc = dc_sched_setup(s);
            ok = rc == (fail_at > 0 ? DC_ERR_NOMEM : DC_ERR_ARG);
            if (fail_at > 0)
                ok = ok && dci_test_fail_alloc_fired();
            dci_test_fail_alloc(0, -1);
        }
        dc_sched_set_chunk(s, 2);
        rc = dc_sched_setup(s);
    }
    ok = ok && rc == DC_SUCCESS;
    dc_sched_destroy(&s);
    return ok;
}

/* A setup that failed (an allocation, or settings that differ between ranks) and is called
 * again once the settings agree leaves nothing behind: the second setup used to allocate its
 * buffers anew and lose the first ones (found by the sanitizer job's leak check). */
static void test_setup_retry(void)
{
    dc_env_t *env = dct_env_create();
    long live0, k;
    int ok;

    if (env == NULL)
        return;
    ok = setup_retry_cycle(env, 0, 0); /* what the env sets up once stays out of the count */
    live0 = dci_test_alloc_live();
    for (k = 2; k <= 4; k++)
        ok = setup_retry_cycle(env, k, 0) && ok;
    if (dct_size > 1)
        ok = setup_retry_cycle(env, 0, 1) && ok;
    DCT_ASSERT_ALL(ok);
    DCT_ASSERT_ALL(dci_test_alloc_live() == live0);
    dc_env_destroy(&env);
}

static void test_two_envs(void)
{
    MPI_Comm half;
    dc_env_t *env = NULL;
    int rc;

    MPI_Comm_split(dct_comm, dct_rank % 2, dct_rank, &half);
    rc = dc_env_create(half, NULL, &env);
    CU_ASSERT(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        dc_sched_t *s = NULL;
        int64_t nb;
        double *bv = ref_blocks(333, 1, &nb), res = 0.0;
        ictx_t c = {0};
        c.count = calloc(333, sizeof(int));
        c.fail_a = c.fail_b = -1;
        rc = dc_sched_create(env, &s);
        if (rc == DC_SUCCESS)
            rc = dc_sched_set_kind(s, DC_SCHED_STEAL);
        if (rc == DC_SUCCESS)
            rc = dc_sched_setup(s);
        if (rc == DC_SUCCESS)
            rc = dc_sched_run(s, 333, cb_sum, &c, &res);
        CU_ASSERT(rc == DC_SUCCESS);
        CU_ASSERT(dct_same_bits(res, ref_sum(bv, nb)));
        dc_sched_destroy(&s);
        free(c.count);
        free(bv);
        dc_env_destroy(&env);
    }
    MPI_Comm_free(&half);
}

/* ---------------------------------------------------------------- task trees */

typedef struct {
    int64_t a, b; /* the interval of the task */
} itask_t;

typedef struct {
    int *leaf_count; /* executions of the leaf starting at a */
    int64_t ntasks;  /* tasks run on this rank */
    int64_t fail_a;  /* task starting here (leaf or not) fails; -1: none */
    int fail_inner;  /* fail the inner task at fail_a instead of the leaf */
    int fanout;      /* children of an inner task: 2 or 3 */
    int64_t wide;    /* an inner task over [0, wide) spawns one child per index (0: none) */
} tctx_t;

static uint64_t mix(int64_t a, int64_t b)
{
    uint64_t z = (uint64_t)a * 0x9E3779B97F4A7C15ull ^ (uint64_t)b * 0xBF58476D1CE4E5B9ull;
    z ^= z >> 29;
    return z * 0x94D049BB133111EBull;
}

/* A task either is a leaf (short interval, or by a hash) or splits its interval unevenly. */
static int task_is_leaf(const tctx_t *c, int64_t a, int64_t b)
{
    if (c->wide > 0 && a == 0 && b == c->wide)
        return 0;
    return b - a <= 2 || (b - a <= 40 && mix(a, b) % 3 == 0);
}

static int task_children(const tctx_t *c, int64_t a, int64_t b, itask_t *kids)
{
    int k, nk;

    if (c->wide > 0 && a == 0 && b == c->wide) {
        return -1; /* one child per index: handled by the caller */
    }
    nk = (c->fanout == 3 && b - a >= 3) ? 3 : 2;
    for (k = 0; k < nk; k++) {
        int64_t len = b - a, lo = a + (len * k) / nk, hi = a + (len * (k + 1)) / nk;
        /* uneven: move the cut by a hash */
        if (k < nk - 1 && len > 6)
            hi += (int64_t)(mix(a, b + k) % 3) - 1;
        if (k > 0)
            lo = kids[k - 1].b;
        if (hi <= lo)
            hi = lo + 1; /* never an empty child */
        kids[k].a = lo;
        kids[k].b = hi;
    }
    kids[nk - 1].b = b;
    return nk;
}

static double leaf_value(int64_t a, int64_t b)
{
    double s = 0.0;
    int64_t i;

    for (i = a; i < b; i++)
        s += value_of(i);
    return s;
}

static int cb_task(dc_sched_task_t *tc, const void *task, void *value, void *ctx)
{
    tctx_t *c = ctx;
    itask_t t, kids[3];
    int nk, k;

    memcpy(&t, task, sizeof(t));
    c->ntasks++;
    if (task_is_leaf(c, t.a, t.b)) {
        c->leaf_count[t.a]++;
        *(double *)value = leaf_value(t.a, t.b);
        return t.a == c->fail_a && !c->fail_inner ? DC_ERR_IO : 0;
    }
    if (t.a == c->fail_a && c->fail_inner)
        return DC_ERR_NOTSUP;
    nk = task_children(c, t.a, t.b, kids);
    if (nk < 0) {
        int64_t i;
        for (i = t.a; i < t.b; i++) {
            itask_t one = {i, i + 1};
            if (dc_sched_task_spawn(tc, &one) != DC_SUCCESS)
                return DC_ERR_NOMEM;
        }
    } else {
        for (k = 0; k < nk; k++)
            if (dc_sched_task_spawn(tc, &kids[k]) != DC_SUCCESS)
                return DC_ERR_NOMEM;
    }
    /* inner tasks alternate: an empty value, or a value of their own (0.5 * length) */
    if (mix(t.a, t.b) % 2 == 0)
        return dc_sched_task_set_empty(tc);
    *(double *)value = 0.5 * (double)(t.b - t.a);
    return 0;
}

/* Serial reference: the values in depth-first pre-order, and the number of tasks. */
static void ref_walk(const tctx_t *c, int64_t a, int64_t b, double *seq, int64_t *nseq,
                     int64_t *ntasks)
{
    itask_t kids[3];
    int nk, k;

    (*ntasks)++;
    if (task_is_leaf(c, a, b)) {
        seq[(*nseq)++] = leaf_value(a, b);
        return;
    }
    if (mix(a, b) % 2 != 0)
        seq[(*nseq)++] = 0.5 * (double)(b - a);
    nk = task_children(c, a, b, kids);
    if (nk < 0) {
        int64_t i;
        for (i = a; i < b; i++)
            ref_walk(c, i, i + 1, seq, nseq, ntasks);
        return;
    }
    for (k = 0; k < nk; k++)
        ref_walk(c, kids[k].a, kids[k].b, seq, nseq, ntasks);
}

static void check_tasks(dc_sched_t *s, const char *what, const itask_t *roots, int nroots,
                        int64_t n, tctx_t *c)
{
    double *seq = malloc((size_t)(4 * n + 16) * sizeof(double)), res = -1.0, ref;
    int64_t nseq = 0, nref = 0, total = 0;
    int rc, i;

    for (i = 0; i < nroots; i++)
        ref_walk(c, roots[i].a, roots[i].b, seq, &nseq, &nref);
    ref = ref_sum(seq, nseq);
    c->leaf_count = calloc((size_t)n, sizeof(int));
    c->ntasks = 0;
    rc = dc_sched_run_tasks(s, nroots, roots, sizeof(itask_t), cb_task, c, &res);
    if (rc != DC_SUCCESS || !dct_same_bits(res, ref))
        fprintf(stderr, "[rank %d] tasks %s: rc %d (%s), %.17g vs %.17g\n", dct_rank, what, rc,
                dc_env_last_error(NULL), res, ref);
    DCT_ASSERT_ALL(rc == DC_SUCCESS && dct_same_bits(res, ref));
    MPI_Allreduce(&c->ntasks, &total, 1, MPI_INT64_T, MPI_SUM, dct_comm);
    CU_ASSERT(total == nref);
    {
        int *all = calloc((size_t)n, sizeof(int)), ok = 1;
        int64_t a;
        MPI_Allreduce(c->leaf_count, all, (int)n, MPI_INT, MPI_SUM, dct_comm);
        for (a = 0; a < n; a++)
            ok &= all[a] <= 1;
        CU_ASSERT(ok);
        free(all);
    }
    free(c->leaf_count);
    free(seq);
}

static void test_tasks(void)
{
    dc_env_t *env = dct_env_create();
    int ki, fan;
    itask_t roots[5] = {{0, 500}, {500, 503}, {503, 1200}, {1200, 1201}, {1201, 2000}};

    if (env == NULL)
        return;
    for (ki = 0; ki < NKINDS; ki++) {
        dc_sched_t *s = make_sched(env, all_kinds[ki], 1, 1);
        if (s == NULL)
            continue;
        for (fan = 2; fan <= 3; fan++) {
            tctx_t c = {0};
            c.fail_a = -1;
            c.fanout = fan;
            check_tasks(s, dc_sched_kind_name(all_kinds[ki]), roots, 5, 2000, &c);
            check_tasks(s, "one root", roots + 2, 1, 2000, &c);
        }
        {
            /* no initial tasks: the identity */
            double res = -1.0;
            tctx_t c = {0};
            int rc = dc_sched_run_tasks(s, 0, NULL, sizeof(itask_t), cb_task, &c, &res);
            DCT_ASSERT_ALL(rc == DC_SUCCESS && res == 0.0);
        }
        dc_sched_destroy(&s);
    }
    dc_env_destroy(&env);
}

/* More children than a deque holds, from one task: the overflow path. */
static void test_tasks_wide(void)
{
    dc_env_t *env = dct_env_create();
    dc_sched_t *s;
    itask_t root = {0, 70000};
    tctx_t c = {0};

    if (env == NULL)
        return;
    s = make_sched(env, DC_SCHED_STEAL, 1, 1);
    if (s != NULL) {
        c.fail_a = -1;
        c.fanout = 2;
        c.wide = 70000;
        check_tasks(s, "wide", &root, 1, 70000, &c);
        dc_sched_destroy(&s);
    }
    dc_env_destroy(&env);
}

static void test_task_errors(void)
{
    dc_env_t *env = dct_env_create();
    int ki;
    itask_t roots[3] = {{0, 300}, {300, 700}, {700, 1000}};

    if (env == NULL)
        return;
    for (ki = 0; ki < NKINDS; ki++) {
        dc_sched_t *s = make_sched(env, all_kinds[ki], 1, 1);
        double res = 77.0;
        int rc, inner;
        if (s == NULL)
            continue;
        for (inner = 0; inner <= 1; inner++) {
            tctx_t c = {0}, cref = {0};
            double *seq = malloc(8000 * sizeof(double));
            int64_t nseq = 0, nref = 0, total = 0;
            int i;
            c.fanout = cref.fanout = 2;
            /* fail on the task that starts at 700: the first task of the third root is an
             * inner one (it splits), its first leaf starts at 700 too */
            c.fail_a = 700;
            c.fail_inner = inner;
            c.leaf_count = calloc(1000, sizeof(int));
            rc = dc_sched_run_tasks(s, 3, roots, sizeof(itask_t), cb_task, &c, &res);
            DCT_ASSERT_ALL(rc == (inner ? DC_ERR_NOTSUP : DC_ERR_IO));
            CU_ASSERT(res == 77.0);
            CU_ASSERT(strstr(dc_env_last_error(env), "initial task 2") != NULL);
            /* executions: all tasks of the serial walk, minus the failed inner task's
             * descendants (its spawns are discarded) */
            for (i = 0; i < 3; i++)
                ref_walk(&cref, roots[i].a, roots[i].b, seq, &nseq, &nref);
            if (inner) {
                int64_t sub = 0, ns2 = 0;
                ref_walk(&cref, 700, 1000, seq, &ns2, &sub);
                nref -= sub - 1;
            }
            MPI_Allreduce(&c.ntasks, &total, 1, MPI_INT64_T, MPI_SUM, dct_comm);
            CU_ASSERT(total == nref);
            free(c.leaf_count);
            free(seq);
        }
        /* task_size that differs on one rank; spawn outside a task */
        if (dct_size > 1) {
            rc = dc_sched_run_tasks(s, 3, roots, dct_rank == 0 ? sizeof(itask_t) : 8, cb_task, NULL,
                                    &res);
            DCT_ASSERT_ALL(rc == DC_ERR_SIZE);
        }
        rc = dc_sched_run_tasks(s, 3, NULL, sizeof(itask_t), cb_task, NULL, &res);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        CU_ASSERT(dc_sched_task_spawn(NULL, roots) == DC_ERR_ARG);
        CU_ASSERT(dc_sched_task_set_empty(NULL) == DC_ERR_ARG);
        dc_sched_destroy(&s);
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- the NaN rule */

/* Block lo: NaN at 100 and 200, else values that repeat (ties) with the maximum 9 first at 3
 * and the minimum 0 first at 0. which: 0 pairs (MINLOC/MAXLOC), 1 plain doubles (MIN/MAX). */
static double nan_rule_value(int64_t lo)
{
    return lo == 100 || lo == 200 ? NAN : (double)((lo * 3) % 10);
}

static int cb_nan_rule(dc_gidx_t lo, dc_gidx_t hi, void *value, void *ctx)
{
    (void)hi;
    if (*(const int *)ctx == 0) {
        dc_double_loc_t *v = value;
        v->value = nan_rule_value(lo);
        v->index = lo;
    } else {
        *(double *)value = nan_rule_value(lo);
    }
    return 0;
}

/* The library's one MINLOC/MAXLOC rule (dc_types.h) in the scheduler's combination: a NaN
 * wins, at its smallest index, whatever the schedule and the rank count; the plain MIN/MAX
 * of doubles give NaN too. Without a NaN, ties go to the smallest index. */
static void test_nan_rule(void)
{
    dc_env_t *env = dct_env_create();
    int ki, which, op, withnan;

    if (env == NULL)
        return;
    for (ki = 0; ki < NKINDS; ki++) {
        for (which = 0; which < 2; which++) {
            for (op = 0; op < 2; op++) {
                for (withnan = 0; withnan < 2; withnan++) {
                    const int64_t n = withnan ? 523 : 100; /* 100: before the first NaN */
                    dc_sched_t *s = NULL;
                    dc_double_loc_t res = {0.0, -7};
                    double dres = 0.0;
                    int rc = dc_sched_create(env, &s), ok;
                    dc_reduce_op_t rop = which == 0 ? (op ? DC_REDUCE_MAXLOC : DC_REDUCE_MINLOC)
                                                    : (op ? DC_REDUCE_MAX : DC_REDUCE_MIN);
                    if (rc == DC_SUCCESS)
                        rc = dc_sched_set_kind(s, all_kinds[ki]);
                    if (rc == DC_SUCCESS)
                        rc = dc_sched_set_chunk(s, 3);
                    if (rc == DC_SUCCESS)
                        rc = dc_sched_set_reduction(
                            s, which == 0 ? DC_TYPE_DOUBLE_LOC : DC_TYPE_DOUBLE, 1, rop);
                    if (rc == DC_SUCCESS)
                        rc = dc_sched_setup(s);
                    if (rc == DC_SUCCESS)
                        rc = dc_sched_run(s, n, cb_nan_rule, &which,
                                          which == 0 ? (void *)&res : (void *)&dres);
                    DCT_ASSERT_ALL(rc == DC_SUCCESS);
                    if (which == 0)
                        ok = withnan ? isnan(res.value) && res.index == 100
                                     : res.value == (op ? 9.0 : 0.0) && res.index == (op ? 3 : 0);
                    else
                        ok = withnan ? isnan(dres) : dres == (op ? 9.0 : 0.0);
                    if (!ok)
                        printf("[rank %d] NaN rule: kind %d, %s, op %d, nan %d: %g @%lld\n",
                               dct_rank, ki, which == 0 ? "pairs" : "doubles", op, withnan,
                               which == 0 ? res.value : dres, (long long)res.index);
                    CU_ASSERT(ok);
                    dc_sched_destroy(&s);
                }
            }
        }
    }
    dc_env_destroy(&env);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("sched", NULL, NULL);

    CU_add_test(s, "philox known answers and streams", test_rng);
    CU_add_test(s, "test data is order-sensitive", test_data_sensitive);
    CU_add_test(s, "every schedule vs serial", test_schedules);
    CU_add_test(s, "grain and skewed cost", test_grain_and_skew);
    CU_add_test(s, "repeated runs, result on one root", test_repeated_runs);
    CU_add_test(s, "same bits on 1..P ranks", test_rank_counts);
    CU_add_test(s, "types and built-in ops", test_types);
    CU_add_test(s, "NaN rule of MIN/MAX and MINLOC/MAXLOC", test_nan_rule);
    CU_add_test(s, "user-defined non-commutative op", test_user_op);
    CU_add_test(s, "failing callbacks", test_callback_errors);
    CU_add_test(s, "argument errors", test_arg_errors);
    CU_add_test(s, "setup again after a failed setup leaks nothing", test_setup_retry);
    CU_add_test(s, "two envs", test_two_envs);
    CU_add_test(s, "task trees", test_tasks);
    CU_add_test(s, "task with 70000 children", test_tasks_wide);
    CU_add_test(s, "failing tasks", test_task_errors);
}
