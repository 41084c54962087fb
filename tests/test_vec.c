/*
 * Tests of distributed vectors (lib/vec.c). Every rank computes the whole vector from the same
 * formula, so every operation is checked against a serial reference, on block, cyclic,
 * block-cyclic(3), weighted (with a rank that owns nothing) and explicit layouts, for N = 0, 1,
 * 2, 5, 97 (prime) and 10007. Errors pass bad input on all ranks or on one and expect failure
 * everywhere, never a hang (run-mpi.sh's timeout turns a hang into a failure).
 */
#include "dc_test.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { K_BLOCK = 0, K_CYCLIC, K_BC3, K_WEIGHTED, K_EXPLICIT, NKINDS };
static const char *const kind_name[NKINDS] = {"block", "cyclic", "block-cyclic(3)", "weighted",
                                              "explicit"};
static const int64_t sizes[] = {0, 1, 2, 5, 97, 10007};
#define NSIZES ((int)(sizeof(sizes) / sizeof(sizes[0])))

/* ---------------------------------------------------------------- helpers */

/* Env with the plain (non-reproducible) mode whatever DC_REPRO says. */
static dc_env_t *env_off(void)
{
    dc_env_t *env = dct_env_create();
    if (env != NULL && dc_env_set_repro(env, DC_REPRO_OFF) != DC_SUCCESS)
        CU_FAIL("dc_env_set_repro");
    return env;
}

/*
 * Layout of kind k. Weighted: weight rank + 1, but rank 1 has weight 0 (owns nothing).
 * Explicit: rank 0 owns nothing (P > 1), the others split N with the extras on the last ranks.
 */
static dc_layout_t *make_layout(dc_env_t *env, int k, int64_t n)
{
    dc_layout_t *l = NULL;
    int rc = DC_ERR_INTERNAL;

    switch (k) {
    case K_BLOCK: rc = dc_layout_create_block(env, n, &l); break;
    case K_CYCLIC: rc = dc_layout_create_cyclic(env, n, &l); break;
    case K_BC3: rc = dc_layout_create_block_cyclic(env, n, 3, &l); break;
    case K_WEIGHTED:
        rc = dc_layout_create_weighted(env, n, dct_size > 1 && dct_rank == 1 ? 0.0 : dct_rank + 1.0,
                                       &l);
        break;
    case K_EXPLICIT: {
        int64_t mine;
        if (dct_size == 1) {
            mine = n;
        } else {
            int q = dct_size - 1;
            mine = dct_rank == 0 ? 0 : n / q + ((dct_size - 1 - dct_rank) < n % q ? 1 : 0);
        }
        rc = dc_layout_create_explicit(env, (size_t)mine, &l);
        break;
    }
    }
    if (!dct_all(rc == DC_SUCCESS)) {
        fprintf(stderr, "[rank %d] layout %s N=%lld: %s\n", dct_rank, kind_name[k], (long long)n,
                dc_env_last_error(env));
        CU_FAIL("layout creation failed");
        dc_layout_destroy(&l);
        return NULL;
    }
    return l;
}

/* Vector of kind k and size n; the caller's layout reference is dropped at once (the vector
 * keeps its own). */
static dc_vec_t *make_vec(dc_env_t *env, int k, int64_t n)
{
    dc_layout_t *l = make_layout(env, k, n);
    dc_vec_t *v = NULL;
    int rc;

    if (l == NULL)
        return NULL;
    rc = dc_vec_create(l, &v);
    dc_layout_destroy(&l);
    if (!dct_all(rc == DC_SUCCESS)) {
        CU_FAIL("dc_vec_create failed");
        dc_vec_destroy(&v);
        return NULL;
    }
    return v;
}

typedef struct {
    uint64_t seed;
    int scheme; /* 0: dct_rand; 1: dyadic small values; 2: integer ties */
} gen_t;

/* The serial formula: value of global index g. */
static double gen_value(const gen_t *gen, int64_t g)
{
    switch (gen->scheme) {
    case 1: return 0.25 * (double)((g * 7 + (int64_t)gen->seed) % 17 - 8);
    case 2: return (double)((g * 7 + (int64_t)gen->seed) % 5);
    default: return dct_rand(gen->seed, (uint64_t)g);
    }
}

static double fill_fn(dc_gidx_t g, void *ctx)
{
    return gen_value(ctx, g);
}

static double *ref_array(const gen_t *gen, int64_t n)
{
    double *a = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    int64_t g;

    for (g = 0; g < n; g++)
        a[g] = gen_value(gen, g);
    return a;
}

static int fill(dc_vec_t *v, uint64_t seed, int scheme)
{
    gen_t gen = {seed, scheme};
    return dc_vec_fill(v, fill_fn, &gen);
}

/* |a - b| <= tol, or both NaN, or both the same infinity. */
static int close_to(double a, double b, double tol)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    if (isinf(a) || isinf(b))
        return a == b;
    return fabs(a - b) <= tol;
}

/*
 * Local entries of v against ref[g] (g from the layout's local-to-global map), within
 * tol * (1 + |ref|); tol = 0 asks for the same bits. Local check, returns 1 if all match.
 */
static int check_local(const dc_vec_t *v, const double *ref, double tol, const char *what)
{
    const double *a = NULL;
    dc_layout_t *l = NULL;
    size_t i, nl = 0;
    int ok = 1;

    if (dc_vec_get_layout(v, &l) != DC_SUCCESS || dc_vec_get_local_size(v, &nl) != DC_SUCCESS ||
        dc_vec_get_array_read(v, &a) != DC_SUCCESS)
        return 0;
    for (i = 0; i < nl; i++) {
        dc_gidx_t g = -1;
        if (dc_layout_local_to_global(l, dct_rank, i, &g) != DC_SUCCESS) {
            ok = 0;
            break;
        }
        if (tol == 0.0 ? !dct_same_bits(a[i], ref[g])
                       : !close_to(a[i], ref[g], tol * (1.0 + fabs(ref[g])))) {
            fprintf(stderr, "[rank %d] %s: local %zu (g %lld) = %.17g, want %.17g\n", dct_rank,
                    what, i, (long long)g, a[i], ref[g]);
            ok = 0;
            break;
        }
    }
    dc_vec_restore_array_read(v, &a);
    return ok;
}

/* Serial references of the reductions, with an error bound for recursive summation. */
typedef struct {
    double value, bound;
} sref_t;

static sref_t ref_dot(const double *x, const double *y, int64_t n)
{
    sref_t r = {0.0, 0.0};
    double mag = 0.0;
    int64_t i;

    for (i = 0; i < n; i++) {
        r.value += x[i] * y[i];
        mag += fabs(x[i] * y[i]);
    }
    r.bound = 4.0 * (double)(n + 2) * DBL_EPSILON * mag + DBL_MIN;
    return r;
}

static sref_t ref_sum(const double *x, int64_t n, int absolute)
{
    sref_t r = {0.0, 0.0};
    double mag = 0.0;
    int64_t i;

    for (i = 0; i < n; i++) {
        r.value += absolute ? fabs(x[i]) : x[i];
        mag += fabs(x[i]);
    }
    r.bound = 4.0 * (double)(n + 2) * DBL_EPSILON * mag + DBL_MIN;
    return r;
}

/* Scaled 2-norm: never overflows or underflows (the LAPACK dnrm2 recurrence). */
static double ref_nrm2(const double *x, int64_t n)
{
    double scale = 0.0, ssq = 1.0;
    int64_t i;

    for (i = 0; i < n; i++) {
        if (x[i] != 0.0) {
            double a = fabs(x[i]);
            if (isnan(a) || isinf(a))
                return a;
            if (scale < a) {
                ssq = 1.0 + ssq * (scale / a) * (scale / a);
                scale = a;
            } else {
                ssq += (a / scale) * (a / scale);
            }
        }
    }
    return scale * sqrt(ssq);
}

/* Reference max/min, the library's MINLOC/MAXLOC rule (dc_types.h): a NaN wins (the first
 * NaN), else the extreme value, first index on ties; empty: -Inf / +Inf and -1. */
static void ref_maxmin(const double *x, int64_t n, int want_max, double *v, int64_t *idx)
{
    int64_t i, best = -1, firstnan = -1;

    for (i = 0; i < n; i++) {
        if (isnan(x[i])) {
            if (firstnan < 0)
                firstnan = i;
        } else if (best < 0 || (want_max ? x[i] > x[best] : x[i] < x[best])) {
            best = i;
        }
    }
    if (firstnan >= 0) {
        *v = NAN;
        *idx = firstnan;
    } else if (best >= 0) {
        *v = x[best];
        *idx = best;
    } else {
        *v = want_max ? -INFINITY : INFINITY;
        *idx = -1;
    }
}

/* rc must be 'code' on every rank (with a message). */
static void expect_all(dc_env_t *env, int rc, int code, const char *what)
{
    int ok = rc == code && dc_env_last_error(env)[0] != '\0';
    if (!ok)
        fprintf(stderr, "[rank %d] %s: got %d (%s), want %d; message \"%s\"\n", dct_rank, what, rc,
                dc_strerror(rc), code, dc_env_last_error(env));
    DCT_ASSERT_ALL(ok);
}

/* rc must be an error on every rank, and 'code' on the ranks where 'mine' is set. */
static void expect_fail_all(dc_env_t *env, int rc, int mine, int code, const char *what)
{
    int ok = rc < 0 && (!mine || rc == code) && dc_env_last_error(env)[0] != '\0';
    if (!ok)
        fprintf(stderr, "[rank %d] %s: got %d (%s), want failure%s; message \"%s\"\n", dct_rank,
                what, rc, dc_strerror(rc), mine ? " with the given code" : "",
                dc_env_last_error(env));
    DCT_ASSERT_ALL(ok);
}

/* ---------------------------------------------------------------- create, fill, access */

static void test_create_fill(void)
{
    dc_env_t *env = env_off();
    int k, s;

    for (k = 0; k < NKINDS && env != NULL; k++) {
        for (s = 0; s < NSIZES; s++) {
            int64_t n = sizes[s];
            dc_layout_t *l = make_layout(env, k, n), *vl = NULL;
            dc_vec_t *v = NULL, *d = NULL;
            gen_t gen = {11, 0};
            double *ref = ref_array(&gen, n), *arr = NULL;
            size_t nl = 99, lnl = 98, i;
            int rc, ok = 1;

            if (l == NULL) {
                free(ref);
                continue;
            }
            rc = dc_vec_create(l, &v);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            CU_ASSERT_EQUAL(dc_vec_get_layout(v, &vl), DC_SUCCESS);
            CU_ASSERT_PTR_EQUAL(vl, l);
            dc_layout_get_local_size(l, &lnl);
            CU_ASSERT_EQUAL(dc_vec_get_local_size(v, &nl), DC_SUCCESS);
            CU_ASSERT_EQUAL(nl, lnl);
            /* the vector keeps the layout alive */
            dc_layout_destroy(&l);
            /* created zero */
            CU_ASSERT_EQUAL(dc_vec_get_array(v, &arr), DC_SUCCESS);
            for (i = 0; i < nl && arr != NULL; i++)
                if (!dct_same_bits(arr[i], 0.0))
                    ok = 0;
            CU_ASSERT(ok);
            CU_ASSERT_EQUAL(dc_vec_restore_array(v, &arr), DC_SUCCESS);
            CU_ASSERT_PTR_NULL(arr);
            /* fill from the formula */
            CU_ASSERT_EQUAL(dc_vec_fill(v, fill_fn, &gen), DC_SUCCESS);
            CU_ASSERT(check_local(v, ref, 0.0, kind_name[k]));
            /* writes through the borrowed array are the vector's values */
            CU_ASSERT_EQUAL(dc_vec_get_array(v, &arr), DC_SUCCESS);
            for (i = 0; i < nl && arr != NULL; i++)
                arr[i] = -arr[i];
            dc_vec_restore_array(v, &arr);
            {
                int64_t g;
                for (g = 0; g < n; g++)
                    ref[g] = -ref[g];
            }
            CU_ASSERT(check_local(v, ref, 0.0, "negated via borrow"));
            /* dup: same values, then independent */
            rc = dc_vec_dup(v, &d);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            if (rc == DC_SUCCESS) {
                CU_ASSERT(check_local(d, ref, 0.0, "dup"));
                CU_ASSERT_EQUAL(dc_vec_get_layout(d, &vl), DC_SUCCESS);
                dc_vec_set_all(d, 3.5);
                CU_ASSERT(check_local(v, ref, 0.0, "original after changing the dup"));
            }
            /* set_all */
            CU_ASSERT_EQUAL(dc_vec_set_all(v, -2.25), DC_SUCCESS);
            {
                int64_t g;
                for (g = 0; g < n; g++)
                    ref[g] = -2.25;
            }
            CU_ASSERT(check_local(v, ref, 0.0, "set_all"));
            CU_ASSERT_EQUAL(dc_vec_destroy(&v), DC_SUCCESS);
            CU_ASSERT_PTR_NULL(v);
            dc_vec_destroy(&d);
            free(ref);
        }
    }
    dc_env_destroy(&env);
}

/* A vector outlives the caller's env and layout handles. */
static void test_lifetime(void)
{
    dc_env_t *env = env_off();
    dc_vec_t *v;
    double s = 0.0;
    int rc;

    if (env == NULL)
        return;
    v = make_vec(env, K_CYCLIC, 97);
    dc_env_destroy(&env);
    if (v == NULL)
        return;
    dc_vec_set_all(v, 2.0);
    rc = dc_vec_sum(v, &s);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT_EQUAL(s, 194.0);
    dc_vec_destroy(&v);
    CU_ASSERT_EQUAL(dc_vec_destroy(NULL), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_vec_destroy(&v), DC_SUCCESS);
}

/* ---------------------------------------------------------------- scatter / gather */

static void test_scatter_gather(void)
{
    dc_env_t *env = env_off();
    int k, s, root;

    for (k = 0; k < NKINDS && env != NULL; k++) {
        for (s = 0; s < NSIZES; s++) {
            int64_t n = sizes[s], g;
            dc_vec_t *v = make_vec(env, k, n);
            double *out = malloc(sizeof(double) * (size_t)(n + 1));
            if (v == NULL) {
                free(out);
                continue;
            }
            for (root = -1; root < dct_size; root++) {
                gen_t gen = {100 + (uint64_t)root + 1, 0};
                double *ref = ref_array(&gen, n);
                int rc, ok = 1, am_root = root == -1 || root == dct_rank;
                char what[96];
                snprintf(what, sizeof(what), "%s N=%lld root %d", kind_name[k], (long long)n, root);
                if (root >= 0) {
                    /* scatter: only the root's array counts; others pass NULL or garbage */
                    rc = dc_vec_scatter(v, root, root == dct_rank ? ref : NULL);
                    DCT_ASSERT_ALL(rc == DC_SUCCESS);
                    CU_ASSERT(check_local(v, ref, 0.0, what));
                } else {
                    fill(v, gen.seed, 0);
                }
                /* gather: the root(s) get the whole array; the others' buffers stay untouched */
                for (g = 0; g <= n; g++)
                    out[g] = 12345.0;
                rc = dc_vec_gather(v, root, out);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                for (g = 0; g < n && ok; g++)
                    ok = am_root ? dct_same_bits(out[g], ref[g]) : out[g] == 12345.0;
                if (out[n] != 12345.0)
                    ok = 0;
                if (!ok)
                    fprintf(stderr, "[rank %d] gather %s wrong at %lld\n", dct_rank, what,
                            (long long)(g - 1));
                CU_ASSERT(ok);
                free(ref);
            }
            dc_vec_destroy(&v);
            free(out);
        }
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- redistribute */

static void test_redistribute(void)
{
    dc_env_t *env = env_off();
    int kx, ky, s;

    for (s = 0; s < NSIZES && env != NULL; s++) {
        int64_t n = sizes[s];
        gen_t gen = {7 + (uint64_t)s, 0};
        double *ref = ref_array(&gen, n);
        dc_vec_t *x[NKINDS], *y[NKINDS];
        for (kx = 0; kx < NKINDS; kx++) {
            x[kx] = make_vec(env, kx, n);
            y[kx] = make_vec(env, kx, n);
            if (x[kx] != NULL)
                dc_vec_fill(x[kx], fill_fn, &gen);
        }
        for (kx = 0; kx < NKINDS; kx++) {
            for (ky = 0; ky < NKINDS; ky++) {
                char what[96];
                int rc;
                if (x[kx] == NULL || y[ky] == NULL)
                    continue;
                snprintf(what, sizeof(what), "redistribute %s -> %s N=%lld", kind_name[kx],
                         kind_name[ky], (long long)n);
                dc_vec_set_all(y[ky], NAN);
                rc = dc_vec_redistribute(x[kx], y[ky]);
                if (rc != DC_SUCCESS)
                    fprintf(stderr, "[rank %d] %s: %s\n", dct_rank, what, dc_env_last_error(env));
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                CU_ASSERT(check_local(y[ky], ref, 0.0, what));
                /* the source is unchanged */
                CU_ASSERT(check_local(x[kx], ref, 0.0, "redistribute source"));
            }
        }
        /* x onto itself is a no-op */
        if (x[K_CYCLIC] != NULL) {
            DCT_ASSERT_ALL(dc_vec_redistribute(x[K_CYCLIC], x[K_CYCLIC]) == DC_SUCCESS);
            CU_ASSERT(check_local(x[K_CYCLIC], ref, 0.0, "redistribute onto itself"));
        }
        for (kx = 0; kx < NKINDS; kx++) {
            dc_vec_destroy(&x[kx]);
            dc_vec_destroy(&y[kx]);
        }
        free(ref);
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- local BLAS-1 */

static void test_blas1(void)
{
    dc_env_t *env = env_off();
    int k, s, scheme;

    for (scheme = 0; scheme < 2 && env != NULL; scheme++) {
        /* scheme 1: dyadic values, every result exact; scheme 0: random, 1 ulp-ish (FMA) */
        double tol = scheme == 1 ? 0.0 : 4.0 * DBL_EPSILON;
        double alpha = scheme == 1 ? 1.5 : 0.37, beta = scheme == 1 ? -0.5 : -1.3;
        for (k = 0; k < NKINDS; k++) {
            for (s = 0; s < NSIZES; s++) {
                int64_t n = sizes[s], g;
                gen_t gx = {21, scheme}, gy = {22, scheme};
                double *rx = ref_array(&gx, n), *ry = ref_array(&gy, n);
                dc_vec_t *x = make_vec(env, k, n), *y = NULL;
                int kk = (k + 1) % NKINDS;
                if (x != NULL)
                    dc_vec_dup(x, &y);
                if (x == NULL || y == NULL) {
                    dc_vec_destroy(&x);
                    free(rx);
                    free(ry);
                    continue;
                }
                fill(x, 21, scheme);
                fill(y, 22, scheme);
                /* copy */
                CU_ASSERT_EQUAL(dc_vec_copy(x, y), DC_SUCCESS);
                CU_ASSERT(check_local(y, rx, 0.0, "copy"));
                /* scal */
                CU_ASSERT_EQUAL(dc_vec_scal(y, alpha), DC_SUCCESS);
                for (g = 0; g < n; g++)
                    ry[g] = alpha * rx[g];
                CU_ASSERT(check_local(y, ry, tol, "scal"));
                /* axpy: y = alpha x + y */
                fill(y, 22, scheme);
                for (g = 0; g < n; g++)
                    ry[g] = alpha * rx[g] + gen_value(&gy, g);
                CU_ASSERT_EQUAL(dc_vec_axpy(y, alpha, x), DC_SUCCESS);
                CU_ASSERT(check_local(y, ry, tol, "axpy"));
                /* axpby: y = alpha x + beta y */
                fill(y, 22, scheme);
                for (g = 0; g < n; g++)
                    ry[g] = alpha * rx[g] + beta * gen_value(&gy, g);
                CU_ASSERT_EQUAL(dc_vec_axpby(y, alpha, x, beta), DC_SUCCESS);
                CU_ASSERT(check_local(y, ry, tol, "axpby"));
                /* x aliasing y: y = 2y */
                CU_ASSERT_EQUAL(dc_vec_axpy(y, 1.0, y), DC_SUCCESS);
                for (g = 0; g < n; g++)
                    ry[g] *= 2.0;
                CU_ASSERT(check_local(y, ry, tol, "axpy aliased"));
                /* a congruent vector on another layout object works too */
                {
                    dc_vec_t *z = make_vec(env, k, n);
                    if (z != NULL) {
                        CU_ASSERT_EQUAL(dc_vec_copy(x, z), DC_SUCCESS);
                        CU_ASSERT(check_local(z, rx, 0.0, "copy to congruent"));
                    }
                    dc_vec_destroy(&z);
                }
                /* incongruent layouts (unless the two kinds happen to coincide): DC_ERR_ARG */
                {
                    dc_vec_t *z = make_vec(env, kk, n);
                    dc_layout_t *lx = NULL, *lz = NULL;
                    int cong = 1;
                    if (z != NULL) {
                        dc_vec_get_layout(x, &lx);
                        dc_vec_get_layout(z, &lz);
                        dc_layout_congruent(lx, lz, &cong);
                        if (!cong) {
                            CU_ASSERT_EQUAL(dc_vec_copy(x, z), DC_ERR_ARG);
                            CU_ASSERT(dc_env_last_error(env)[0] != '\0');
                            CU_ASSERT_EQUAL(dc_vec_axpy(z, 1.0, x), DC_ERR_ARG);
                            CU_ASSERT_EQUAL(dc_vec_axpby(z, 1.0, x, 2.0), DC_ERR_ARG);
                            CU_ASSERT_EQUAL(dc_vec_copy(z, y), DC_ERR_ARG);
                        }
                    }
                    dc_vec_destroy(&z);
                }
                dc_vec_destroy(&x);
                dc_vec_destroy(&y);
                free(rx);
                free(ry);
            }
        }
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- reductions */

static void check_reductions(dc_env_t *env, dc_vec_t *x, dc_vec_t *y, const double *rx,
                             const double *ry, int64_t n, const char *what)
{
    sref_t rdot = ref_dot(rx, ry, n), rsum = ref_sum(rx, n, 0), rasum = ref_sum(rx, n, 1);
    double rn = ref_nrm2(rx, n), got;
    double nbound = 2.0 * (double)(n + 2) * DBL_EPSILON * rn; /* sum of squares, then sqrt */
    int m, rc;
    static const dc_repro_t modes[] = {DC_REPRO_DEFAULT, DC_REPRO_OFF, DC_REPRO_BINNED,
                                       DC_REPRO_EXACT};

    (void)env;
    got = NAN;
    rc = dc_vec_dot(x, y, &got);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (!close_to(got, rdot.value, rdot.bound))
        fprintf(stderr, "[rank %d] %s dot %.17g want %.17g\n", dct_rank, what, got, rdot.value);
    CU_ASSERT(close_to(got, rdot.value, rdot.bound));
    got = NAN;
    rc = dc_vec_sum(x, &got);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT(close_to(got, rsum.value, rsum.bound));
    got = NAN;
    rc = dc_vec_asum(x, &got);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT(close_to(got, rasum.value, rasum.bound));
    got = NAN;
    rc = dc_vec_nrm2(x, &got);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (!close_to(got, rn, nbound))
        fprintf(stderr, "[rank %d] %s nrm2 %.17g want %.17g\n", dct_rank, what, got, rn);
    CU_ASSERT(close_to(got, rn, nbound));
    for (m = 0; m < 4; m++) {
        got = NAN;
        rc = dc_vec_dot_repro(x, y, modes[m], &got);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        CU_ASSERT(close_to(got, rdot.value, rdot.bound));
        got = NAN;
        rc = dc_vec_sum_repro(x, modes[m], &got);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        CU_ASSERT(close_to(got, rsum.value, rsum.bound));
        got = NAN;
        rc = dc_vec_nrm2_repro(x, modes[m], &got);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        CU_ASSERT(close_to(got, rn, nbound));
    }
    /* every rank has the same result */
    got = 0.0;
    dc_vec_dot(x, y, &got);
    {
        double mx = 0, mn = 0;
        MPI_Allreduce(&got, &mx, 1, MPI_DOUBLE, MPI_MAX, dct_comm);
        MPI_Allreduce(&got, &mn, 1, MPI_DOUBLE, MPI_MIN, dct_comm);
        CU_ASSERT(dct_same_bits(mx, mn) || (isnan(mx) && isnan(mn)));
    }
}

static void test_reductions(void)
{
    dc_env_t *env = env_off();
    int k, s;

    for (k = 0; k < NKINDS && env != NULL; k++) {
        for (s = 0; s < NSIZES; s++) {
            int64_t n = sizes[s];
            gen_t gx = {31, 0}, gy = {32, 0};
            double *rx = ref_array(&gx, n), *ry = ref_array(&gy, n);
            dc_vec_t *x = make_vec(env, k, n), *y = make_vec(env, k, n);
            char what[64];
            snprintf(what, sizeof(what), "%s N=%lld", kind_name[k], (long long)n);
            if (x != NULL && y != NULL) {
                fill(x, 31, 0);
                fill(y, 32, 0);
                check_reductions(env, x, y, rx, ry, n, what);
                /* x . x = nrm2(x)^2 */
                {
                    double d = NAN, nn = NAN;
                    dc_vec_dot(x, x, &d);
                    dc_vec_nrm2(x, &nn);
                    CU_ASSERT(close_to(d, nn * nn, 8.0 * (double)(n + 2) * DBL_EPSILON * d));
                }
            }
            dc_vec_destroy(&x);
            dc_vec_destroy(&y);
            free(rx);
            free(ry);
        }
    }
    dc_env_destroy(&env);
}

/* Huge and tiny entries: the norm neither overflows nor underflows, in every mode. */
static void test_nrm2_extreme(void)
{
    dc_env_t *env = env_off();
    static const double scales[] = {1e300, 1e-300, 1.5e307, 4.9e-324}; /* norm < DBL_MAX */
    static const dc_repro_t modes[] = {DC_REPRO_OFF, DC_REPRO_BINNED, DC_REPRO_EXACT};
    int k, sc, m;
    int64_t n = 97, g;

    for (k = 0; k < NKINDS && env != NULL; k++) {
        dc_vec_t *x = make_vec(env, k, n);
        if (x == NULL)
            continue;
        for (sc = 0; sc < 5; sc++) {
            double *r = malloc(sizeof(double) * (size_t)n), *a = NULL, want;
            dc_layout_t *l = NULL;
            size_t i, nl = 0;
            for (g = 0; g < n; g++) {
                /* sc 4 mixes 1e300 and 1e-300 entries */
                double s = sc < 4 ? scales[sc] : (g % 2 ? 1e300 : 1e-300);
                r[g] = sc == 3 ? s * (double)(g % 3 + 1) : s * dct_rand(41, (uint64_t)g);
            }
            dc_vec_get_layout(x, &l);
            dc_vec_get_local_size(x, &nl);
            dc_vec_get_array(x, &a);
            for (i = 0; i < nl && a != NULL; i++) {
                dc_layout_local_to_global(l, dct_rank, i, &g);
                a[i] = r[g];
            }
            dc_vec_restore_array(x, &a);
            want = ref_nrm2(r, n);
            CU_ASSERT(want > 0.0 && !isinf(want));
            for (m = 0; m < 3; m++) {
                double got = NAN;
                int rc = dc_vec_nrm2_repro(x, modes[m], &got);
                /* denormal results carry few bits: allow two units of the denormal grid */
                int ok = rc == DC_SUCCESS &&
                         close_to(got, want, 1e-13 * want + 2.0 * 4.9406564584124654e-324);
                if (!ok)
                    fprintf(stderr, "[rank %d] nrm2 %s scale %d mode %d: %.17g want %.17g\n",
                            dct_rank, kind_name[k], sc, (int)modes[m], got, want);
                DCT_ASSERT_ALL(ok);
            }
            free(r);
        }
        dc_vec_destroy(&x);
    }
    dc_env_destroy(&env);
}

/* Put value v at global index g0 (every rank calls; the owner writes). */
static void poke(dc_vec_t *x, int64_t g0, double v)
{
    dc_layout_t *l = NULL;
    int owner = -1;
    size_t li = 0;
    double *a = NULL;

    dc_vec_get_layout(x, &l);
    if (dc_layout_global_to_local(l, g0, &owner, &li) == DC_SUCCESS && owner == dct_rank) {
        dc_vec_get_array(x, &a);
        a[li] = v;
        dc_vec_restore_array(x, &a);
    }
}

static void test_nan_inf(void)
{
    dc_env_t *env = env_off();
    static const dc_repro_t modes[] = {DC_REPRO_OFF, DC_REPRO_BINNED, DC_REPRO_EXACT};
    int k, m;
    int64_t n = 97;

    for (k = 0; k < NKINDS && env != NULL; k++) {
        dc_vec_t *x = make_vec(env, k, n), *y = make_vec(env, k, n);
        if (x == NULL || y == NULL) {
            dc_vec_destroy(&x);
            dc_vec_destroy(&y);
            continue;
        }
        for (m = 0; m < 3; m++) {
            double d = 0, s = 0, a = 0, nn = 0, mx = 0, mn = 0;
            dc_gidx_t imx = -2, imn = -2;
            fill(x, 51, 0);
            fill(y, 52, 0);
            /* a NaN at 60: dot/sum/asum/nrm2 NaN, max/min NaN at 60 (NaN wins) */
            poke(x, 60, NAN);
            dc_vec_dot_repro(x, y, modes[m], &d);
            dc_vec_sum_repro(x, modes[m], &s);
            dc_vec_nrm2_repro(x, modes[m], &nn);
            CU_ASSERT(isnan(d) && isnan(s) && isnan(nn));
            if (m == 0) {
                dc_vec_asum(x, &a);
                CU_ASSERT(isnan(a));
            }
            dc_vec_max(x, &mx, &imx);
            dc_vec_min(x, &mn, &imn);
            CU_ASSERT(isnan(mx) && isnan(mn) && imx == 60 && imn == 60);
            /* +Inf at 3: sum +Inf, nrm2 +Inf, max +Inf at 3 */
            poke(x, 60, 0.5);
            poke(x, 3, INFINITY);
            dc_vec_sum_repro(x, modes[m], &s);
            dc_vec_nrm2_repro(x, modes[m], &nn);
            dc_vec_dot_repro(x, x, modes[m], &d);
            CU_ASSERT(s == INFINITY && nn == INFINITY && d == INFINITY);
            dc_vec_max(x, &mx, &imx);
            CU_ASSERT(mx == INFINITY && imx == 3);
            /* and -Inf at 90: sum NaN, min -Inf at 90, dot with y keeps NaN/Inf rules */
            poke(x, 90, -INFINITY);
            dc_vec_sum_repro(x, modes[m], &s);
            CU_ASSERT(isnan(s));
            dc_vec_min(x, &mn, &imn);
            CU_ASSERT(mn == -INFINITY && imn == 90);
            dc_vec_nrm2_repro(x, modes[m], &nn);
            CU_ASSERT(nn == INFINITY);
        }
        dc_vec_destroy(&x);
        dc_vec_destroy(&y);
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- max / min */

static void check_maxmin(dc_vec_t *x, const double *r, int64_t n, const char *what)
{
    double v = 0, want;
    dc_gidx_t idx = -2;
    int64_t widx;
    int rc, ok;

    ref_maxmin(r, n, 1, &want, &widx);
    rc = dc_vec_max(x, &v, &idx);
    ok = rc == DC_SUCCESS && idx == widx && (dct_same_bits(v, want) || (isnan(v) && isnan(want)));
    if (!ok)
        fprintf(stderr, "[rank %d] max %s: %.17g @%lld, want %.17g @%lld\n", dct_rank, what, v,
                (long long)idx, want, (long long)widx);
    DCT_ASSERT_ALL(ok);
    ref_maxmin(r, n, 0, &want, &widx);
    idx = -2;
    rc = dc_vec_min(x, &v, &idx);
    ok = rc == DC_SUCCESS && idx == widx && (dct_same_bits(v, want) || (isnan(v) && isnan(want)));
    if (!ok)
        fprintf(stderr, "[rank %d] min %s: %.17g @%lld, want %.17g @%lld\n", dct_rank, what, v,
                (long long)idx, want, (long long)widx);
    DCT_ASSERT_ALL(ok);
    /* either output may be NULL */
    v = 0.0;
    CU_ASSERT_EQUAL(dc_vec_max(x, &v, NULL), DC_SUCCESS);
    idx = -2;
    CU_ASSERT_EQUAL(dc_vec_min(x, NULL, &idx), DC_SUCCESS);
    CU_ASSERT_EQUAL(idx, widx);
}

static void test_maxmin(void)
{
    dc_env_t *env = env_off();
    int k, s, scheme;

    for (k = 0; k < NKINDS && env != NULL; k++) {
        for (s = 0; s < NSIZES; s++) {
            int64_t n = sizes[s], g;
            dc_vec_t *x = make_vec(env, k, n);
            char what[64];
            if (x == NULL)
                continue;
            for (scheme = 0; scheme < 3; scheme++) {
                /* 0: random; 1: dyadic with repeats; 2: integers 0..4, many ties */
                gen_t gen = {61 + (uint64_t)s, scheme};
                double *r = ref_array(&gen, n);
                snprintf(what, sizeof(what), "%s N=%lld scheme %d", kind_name[k], (long long)n,
                         scheme);
                fill(x, gen.seed, scheme);
                check_maxmin(x, r, n, what);
                free(r);
            }
            /* all NaN; NaN everywhere but one entry; all -Inf; +0 vs -0 ties */
            {
                double *r = malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
                for (g = 0; g < n; g++)
                    r[g] = NAN;
                dc_vec_set_all(x, NAN);
                check_maxmin(x, r, n, "all NaN");
                if (n > 2) {
                    r[n - 2] = -7.0;
                    poke(x, n - 2, -7.0);
                    check_maxmin(x, r, n, "one number among NaN");
                }
                if (n > 3) { /* the first NaN wins, wherever the extreme numbers are */
                    gen_t gen = {77, 0};
                    double *r2 = ref_array(&gen, n);
                    fill(x, gen.seed, 0);
                    r2[n / 2] = NAN;
                    poke(x, n / 2, NAN);
                    r2[n - 1] = NAN;
                    poke(x, n - 1, NAN);
                    check_maxmin(x, r2, n, "two NaN among numbers");
                    free(r2);
                }
                for (g = 0; g < n; g++)
                    r[g] = -INFINITY;
                dc_vec_set_all(x, -INFINITY);
                check_maxmin(x, r, n, "all -Inf");
                for (g = 0; g < n; g++)
                    r[g] = (g % 3 == 1) ? -0.0 : 0.0;
                {
                    double *a = NULL;
                    dc_layout_t *l = NULL;
                    size_t i, nl = 0;
                    dc_vec_get_layout(x, &l);
                    dc_vec_get_local_size(x, &nl);
                    dc_vec_get_array(x, &a);
                    for (i = 0; i < nl; i++) {
                        dc_layout_local_to_global(l, dct_rank, i, &g);
                        a[i] = r[g];
                    }
                    dc_vec_restore_array(x, &a);
                }
                check_maxmin(x, r, n, "signed zeros");
                free(r);
            }
            dc_vec_destroy(&x);
        }
    }
    /* ties across ranks on a cyclic layout: the maximum 9 at indices 5 and 2, the minimum -4
     * at 11 and 7 (on different ranks for P > 1): the smallest global index wins */
    if (env != NULL) {
        dc_vec_t *x = make_vec(env, K_CYCLIC, 12);
        double v = 0;
        dc_gidx_t idx = -1;
        if (x != NULL) {
            dc_vec_set_all(x, 1.0);
            poke(x, 5, 9.0);
            poke(x, 2, 9.0);
            poke(x, 11, -4.0);
            poke(x, 7, -4.0);
            CU_ASSERT_EQUAL(dc_vec_max(x, &v, &idx), DC_SUCCESS);
            CU_ASSERT(v == 9.0 && idx == 2);
            CU_ASSERT_EQUAL(dc_vec_min(x, &v, &idx), DC_SUCCESS);
            CU_ASSERT(v == -4.0 && idx == 7);
        }
        dc_vec_destroy(&x);
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- reproducible mode */

/*
 * With the env in BINNED or EXACT mode, dc_vec_dot gives the same bits on block, cyclic,
 * weighted (and the other) layouts of the same data, and the same as dc_dot of the whole array
 * on one rank. The data spans many exponents, so the plain sum depends on the order.
 */
static double repro_value(dc_gidx_t g, void *ctx)
{
    (void)ctx;
    return ldexp(dct_rand(71, (uint64_t)g), (int)(g % 61) - 30);
}

static void test_repro(void)
{
    dc_env_t *env = env_off(), *self = NULL;
    dc_env_params_t params;
    static const dc_repro_t modes[] = {DC_REPRO_BINNED, DC_REPRO_EXACT};
    int64_t n = 10007, g;
    double *rx = malloc(sizeof(double) * (size_t)n), *ry = malloc(sizeof(double) * (size_t)n);
    int m, k, rc;

    for (g = 0; g < n; g++) {
        rx[g] = repro_value(g, NULL);
        ry[g] = dct_rand(72, (uint64_t)g);
    }
    /* a one-rank env per rank for the serial dc_dot; placement left alone */
    memset(&params, 0, sizeof(params));
    params.field_mask = DC_ENV_PARAM_BIND | DC_ENV_PARAM_BLAS_THREADS;
    params.bind = DC_BIND_NONE;
    params.blas_threads = 1;
    rc = dc_env_create(MPI_COMM_SELF, &params, &self);
    CU_ASSERT_EQUAL(rc, DC_SUCCESS);
    for (m = 0; m < 2 && env != NULL && self != NULL; m++) {
        double serial = NAN, serial_sum = NAN, first = NAN, first_sum = NAN;
        sref_t rdot = ref_dot(rx, ry, n);
        int same = 1;
        CU_ASSERT_EQUAL(dc_dot(self, rx, ry, (size_t)n, modes[m], &serial), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_sum(self, rx, (size_t)n, modes[m], &serial_sum), DC_SUCCESS);
        DCT_ASSERT_ALL(dc_env_set_repro(env, modes[m]) == DC_SUCCESS);
        for (k = 0; k < NKINDS; k++) {
            dc_vec_t *x = make_vec(env, k, n), *y = make_vec(env, k, n);
            double d = NAN, s = NAN, d2 = NAN;
            if (x != NULL && y != NULL) {
                gen_t gy = {72, 0};
                dc_vec_fill(x, repro_value, NULL);
                dc_vec_fill(y, fill_fn, &gy);
                rc = dc_vec_dot(x, y, &d);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                rc = dc_vec_sum(x, &s);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
                /* the per-call mode gives the same as the env's */
                dc_vec_dot_repro(x, y, modes[m], &d2);
                CU_ASSERT(dct_same_bits(d, d2));
                CU_ASSERT(close_to(d, rdot.value, rdot.bound));
                if (k == 0) {
                    first = d;
                    first_sum = s;
                }
                if (!dct_same_bits(d, serial) || !dct_same_bits(d, first) ||
                    !dct_same_bits(s, serial_sum) || !dct_same_bits(s, first_sum)) {
                    fprintf(stderr,
                            "[rank %d] repro mode %d %s: dot %a (serial %a), sum %a "
                            "(serial %a)\n",
                            dct_rank, (int)modes[m], kind_name[k], d, serial, s, serial_sum);
                    same = 0;
                }
            }
            dc_vec_destroy(&x);
            dc_vec_destroy(&y);
        }
        DCT_ASSERT_ALL(same);
    }
    if (env != NULL)
        dc_env_set_repro(env, DC_REPRO_OFF);
    dc_env_destroy(&self);
    dc_env_destroy(&env);
    free(rx);
    free(ry);
}

/*
 * dc_vec_asum_repro, as dot, nrm2 and sum have it: in BINNED and EXACT mode the same bits on
 * every layout and rank count as the serial dc_asum on one rank (so across runs at 1-4 ranks),
 * close to the serial reference, on data where the plain asum does change with the layout.
 */
static void test_asum_repro(void)
{
    dc_env_t *env = env_off(), *self = NULL;
    dc_env_params_t params;
    static const dc_repro_t modes[] = {DC_REPRO_BINNED, DC_REPRO_EXACT};
    int64_t n = 10007, g;
    double *rx = malloc(sizeof(double) * (size_t)n), plain_serial = NAN;
    sref_t rasum;
    int m, k, rc, plain_differs = 0;

    for (g = 0; g < n; g++)
        rx[g] = repro_value(g, NULL);
    rasum = ref_sum(rx, n, 1);
    memset(&params, 0, sizeof(params));
    params.field_mask = DC_ENV_PARAM_BIND | DC_ENV_PARAM_BLAS_THREADS;
    params.bind = DC_BIND_NONE;
    params.blas_threads = 1;
    rc = dc_env_create(MPI_COMM_SELF, &params, &self);
    CU_ASSERT_EQUAL(rc, DC_SUCCESS);
    if (self != NULL)
        CU_ASSERT_EQUAL(dc_asum(self, rx, (size_t)n, DC_REPRO_OFF, &plain_serial), DC_SUCCESS);
    for (m = 0; m < 2 && env != NULL && self != NULL; m++) {
        double serial = NAN;
        int same = 1;
        CU_ASSERT_EQUAL(dc_asum(self, rx, (size_t)n, modes[m], &serial), DC_SUCCESS);
        CU_ASSERT(close_to(serial, rasum.value, rasum.bound));
        for (k = 0; k < NKINDS; k++) {
            dc_vec_t *x = make_vec(env, k, n);
            double a = NAN, plain = NAN, dflt = NAN;
            if (x == NULL)
                continue;
            dc_vec_fill(x, repro_value, NULL);
            rc = dc_vec_asum_repro(x, modes[m], &a);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            rc = dc_vec_asum_repro(x, DC_REPRO_OFF, &plain);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            CU_ASSERT(close_to(plain, rasum.value, rasum.bound));
            if (!dct_same_bits(plain, plain_serial))
                plain_differs = 1;
            /* DC_REPRO_DEFAULT is the env's mode */
            DCT_ASSERT_ALL(dc_env_set_repro(env, modes[m]) == DC_SUCCESS);
            rc = dc_vec_asum_repro(x, DC_REPRO_DEFAULT, &dflt);
            DCT_ASSERT_ALL(rc == DC_SUCCESS);
            DCT_ASSERT_ALL(dc_env_set_repro(env, DC_REPRO_OFF) == DC_SUCCESS);
            if (!dct_same_bits(a, serial) || !dct_same_bits(dflt, serial)) {
                fprintf(stderr, "[rank %d] asum_repro mode %d %s: %a (env mode %a), serial %a\n",
                        dct_rank, (int)modes[m], kind_name[k], a, dflt, serial);
                same = 0;
            }
            dc_vec_destroy(&x);
        }
        DCT_ASSERT_ALL(same);
    }
    /* the data prove something: with more than one rank the plain asum moves with the layout */
    if (env != NULL && self != NULL)
        DCT_ASSERT_ALL(dct_size == 1 || plain_differs);
    if (env != NULL) {
        /* a bad mode fails on every rank, without a hang */
        dc_vec_t *x = make_vec(env, 0, 5);
        double a = -1.0;
        if (x != NULL) {
            rc = dc_vec_asum_repro(x, (dc_repro_t)7, &a);
            DCT_ASSERT_ALL(rc == DC_ERR_ARG);
            CU_ASSERT_EQUAL(a, -1.0);
        }
        dc_vec_destroy(&x);
    }
    dc_env_destroy(&self);
    dc_env_destroy(&env);
    free(rx);
}

/* ---------------------------------------------------------------- borrow state */

static void test_borrow(void)
{
    dc_env_t *env = env_off();
    dc_vec_t *x, *y;
    double *a = NULL, *b = NULL, r = 0.0, *buf;
    const double *ra = NULL, *rb = NULL;
    dc_gidx_t idx;
    int rc;

    if (env == NULL)
        return;
    x = make_vec(env, K_BLOCK, 10);
    y = make_vec(env, K_BLOCK, 10);
    buf = calloc(16, sizeof(double));
    if (x == NULL || y == NULL) {
        dc_vec_destroy(&x);
        dc_vec_destroy(&y);
        free(buf);
        dc_env_destroy(&env);
        return;
    }
    /* read-write borrow: nothing else meanwhile */
    CU_ASSERT_EQUAL(dc_vec_get_array(x, &a), DC_SUCCESS);
    CU_ASSERT_PTR_NOT_NULL(a);
    CU_ASSERT_EQUAL(dc_vec_get_array(x, &b), DC_ERR_STATE);
    CU_ASSERT(dc_env_last_error(env)[0] != '\0');
    CU_ASSERT_EQUAL(dc_vec_get_array_read(x, &ra), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_scal(x, 2.0), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_set_all(x, 2.0), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_fill(x, repro_value, NULL), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_copy(x, y), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_copy(y, x), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_axpy(y, 1.0, x), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_axpby(x, 1.0, y, 1.0), DC_ERR_STATE);
    /* collectives during the borrow fail on every rank */
    expect_all(env, dc_vec_dot(x, y, &r), DC_ERR_STATE, "dot while borrowed");
    expect_all(env, dc_vec_nrm2(x, &r), DC_ERR_STATE, "nrm2 while borrowed");
    expect_all(env, dc_vec_max(x, &r, &idx), DC_ERR_STATE, "max while borrowed");
    expect_all(env, dc_vec_gather(x, -1, buf), DC_ERR_STATE, "gather while borrowed");
    expect_all(env, dc_vec_scatter(x, 0, buf), DC_ERR_STATE, "scatter while borrowed");
    expect_all(env, dc_vec_redistribute(y, x), DC_ERR_STATE, "redistribute into borrowed");
    {
        dc_vec_t *d = NULL;
        expect_all(env, dc_vec_dup(x, &d), DC_ERR_STATE, "dup while borrowed");
        CU_ASSERT_PTR_NULL(d);
        dc_vec_destroy(&d);
    }
    /* restore: wrong pointer, NULL, right pointer; then not borrowed any more */
    b = a + 1;
    CU_ASSERT_EQUAL(dc_vec_restore_array(x, &b), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_restore_array(x, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_restore_array_read(x, &ra), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_restore_array(x, &a), DC_SUCCESS);
    CU_ASSERT_PTR_NULL(a);
    CU_ASSERT_EQUAL(dc_vec_restore_array(x, &a), DC_ERR_STATE);
    /* read borrows: several at once; reads allowed, writes not */
    CU_ASSERT_EQUAL(dc_vec_get_array_read(x, &ra), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_vec_get_array_read(x, &rb), DC_SUCCESS);
    CU_ASSERT_PTR_EQUAL(ra, rb);
    CU_ASSERT_EQUAL(dc_vec_get_array(x, &a), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_scal(x, 2.0), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_copy(y, x), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_copy(x, y), DC_SUCCESS);
    DCT_ASSERT_ALL(dc_vec_dot(x, y, &r) == DC_SUCCESS);
    DCT_ASSERT_ALL(dc_vec_gather(x, -1, buf) == DC_SUCCESS);
    expect_all(env, dc_vec_scatter(x, 0, buf), DC_ERR_STATE, "scatter while read-borrowed");
    CU_ASSERT_EQUAL(dc_vec_restore_array_read(x, &ra), DC_SUCCESS);
    CU_ASSERT_PTR_NULL(ra);
    CU_ASSERT_EQUAL(dc_vec_scal(x, 2.0), DC_ERR_STATE); /* rb still out */
    CU_ASSERT_EQUAL(dc_vec_restore_array_read(x, &rb), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_vec_restore_array_read(x, &rb), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_vec_scal(x, 2.0), DC_SUCCESS);
    /* a borrow on one rank only: that rank fails with DC_ERR_STATE, the others fail too */
    if (dct_rank == dct_size - 1)
        dc_vec_get_array(x, &a);
    rc = dc_vec_dot(x, y, &r);
    expect_fail_all(env, rc, dct_rank == dct_size - 1, DC_ERR_STATE, "dot, borrowed on one rank");
    rc = dc_vec_min(x, &r, &idx);
    expect_fail_all(env, rc, dct_rank == dct_size - 1, DC_ERR_STATE, "min, borrowed on one rank");
    rc = dc_vec_gather(x, 0, buf);
    expect_fail_all(env, rc, dct_rank == dct_size - 1, DC_ERR_STATE,
                    "gather, borrowed on one rank");
    if (dct_rank == dct_size - 1)
        CU_ASSERT_EQUAL(dc_vec_restore_array(x, &a), DC_SUCCESS);
    DCT_ASSERT_ALL(dc_vec_dot(x, y, &r) == DC_SUCCESS);
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    free(buf);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- bad input */

static void test_errors(void)
{
    dc_env_t *env = env_off(), *env2 = env_off();
    dc_layout_t *l = NULL;
    dc_vec_t *x = NULL, *y = NULL, *z = NULL, *w = NULL, *v = NULL;
    double r = 0.0, *buf = NULL, *arr = NULL;
    const double *carr = NULL;
    dc_gidx_t idx;
    size_t nl;
    int last = dct_size - 1, rc;

    if (env == NULL || env2 == NULL) {
        dc_env_destroy(&env);
        dc_env_destroy(&env2);
        return;
    }
    buf = calloc(64, sizeof(double));
    l = make_layout(env, K_BLOCK, 10);
    x = make_vec(env, K_BLOCK, 10);
    y = make_vec(env, K_CYCLIC, 10); /* incongruent with x unless P <= 1 or N <= P */
    z = make_vec(env, K_BLOCK, 11);  /* other size */
    w = make_vec(env2, K_BLOCK, 10); /* other env */
    if (l == NULL || x == NULL || y == NULL || z == NULL || w == NULL)
        goto out;

    /* create / destroy / dup */
    CU_ASSERT_EQUAL(dc_vec_create(NULL, &v), DC_ERR_ARG);
    CU_ASSERT(dc_env_last_error(NULL)[0] != '\0');
    expect_all(env, dc_vec_create(l, dct_rank == last ? NULL : &v), DC_ERR_ARG,
               "create, NULL vec_p on one rank");
    CU_ASSERT_PTR_NULL(v);
    CU_ASSERT_EQUAL(dc_vec_create((dc_layout_t *)(void *)env, &v), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_dup(NULL, &v), DC_ERR_ARG);
    expect_all(env, dc_vec_dup(x, dct_rank == 0 ? NULL : &v), DC_ERR_ARG,
               "dup, NULL y_p on one rank");
    CU_ASSERT_PTR_NULL(v);
    CU_ASSERT_EQUAL(dc_vec_destroy(NULL), DC_SUCCESS);
    /* getters */
    CU_ASSERT_EQUAL(dc_vec_get_layout(NULL, &l), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_get_layout(x, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_get_local_size(NULL, &nl), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_get_local_size(x, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_get_local_size((const dc_vec_t *)(void *)l, &nl), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_get_array(NULL, &arr), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_get_array(x, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_restore_array(NULL, &arr), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_get_array_read(NULL, &carr), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_get_array_read(x, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_restore_array_read(NULL, &carr), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_restore_array_read(x, NULL), DC_ERR_ARG);
    /* local operations */
    CU_ASSERT_EQUAL(dc_vec_set_all(NULL, 1.0), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_fill(NULL, repro_value, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_fill(x, NULL, NULL), DC_ERR_ARG);
    CU_ASSERT(dc_env_last_error(env)[0] != '\0');
    CU_ASSERT_EQUAL(dc_vec_copy(NULL, x), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_copy(x, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_copy(x, z), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_copy(x, w), DC_ERR_COMM);
    CU_ASSERT_EQUAL(dc_vec_scal(NULL, 1.0), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_axpy(NULL, 1.0, x), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_axpy(x, 1.0, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_axpy(x, 1.0, z), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_axpy(x, 1.0, w), DC_ERR_COMM);
    CU_ASSERT_EQUAL(dc_vec_axpby(NULL, 1.0, x, 1.0), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_axpby(x, 1.0, NULL, 1.0), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_axpby(z, 1.0, x, 1.0), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_axpby(w, 1.0, x, 1.0), DC_ERR_COMM);
    {
        dc_layout_t *lx = NULL, *ly = NULL;
        int cong = 1;
        dc_vec_get_layout(x, &lx);
        dc_vec_get_layout(y, &ly);
        dc_layout_congruent(lx, ly, &cong);
        if (!cong) {
            CU_ASSERT_EQUAL(dc_vec_copy(x, y), DC_ERR_ARG);
            expect_all(env, dc_vec_dot(x, y, &r), DC_ERR_ARG, "dot, incongruent");
        }
    }

    /* reductions: NULL handles fail locally (all ranks pass them) */
    CU_ASSERT_EQUAL(dc_vec_dot(NULL, x, &r), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_dot(x, NULL, &r), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_dot_repro(NULL, x, DC_REPRO_OFF, &r), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_nrm2(NULL, &r), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_nrm2_repro(NULL, DC_REPRO_OFF, &r), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_asum(NULL, &r), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_sum(NULL, &r), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_sum_repro(NULL, DC_REPRO_OFF, &r), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_max(NULL, &r, &idx), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_min(NULL, &r, &idx), DC_ERR_ARG);
    /* NULL outputs, on all ranks and on one */
    expect_all(env, dc_vec_dot(x, x, NULL), DC_ERR_ARG, "dot NULL result");
    expect_all(env, dc_vec_nrm2(x, NULL), DC_ERR_ARG, "nrm2 NULL result");
    expect_all(env, dc_vec_asum(x, NULL), DC_ERR_ARG, "asum NULL result");
    expect_all(env, dc_vec_sum(x, NULL), DC_ERR_ARG, "sum NULL result");
    expect_all(env, dc_vec_max(x, NULL, NULL), DC_ERR_ARG, "max NULL outputs");
    expect_all(env, dc_vec_min(x, NULL, NULL), DC_ERR_ARG, "min NULL outputs");
    rc = dc_vec_dot(x, x, dct_rank == last ? NULL : &r);
    expect_fail_all(env, rc, dct_rank == last, DC_ERR_ARG, "dot NULL result on one rank");
    rc = dc_vec_sum_repro(x, DC_REPRO_BINNED, dct_rank == 0 ? NULL : &r);
    expect_fail_all(env, rc, dct_rank == 0, DC_ERR_ARG, "sum_repro NULL result on one rank");
    rc = dc_vec_max(x, dct_rank == last ? NULL : &r, dct_rank == last ? NULL : &idx);
    expect_fail_all(env, rc, dct_rank == last, DC_ERR_ARG, "max NULL outputs on one rank");
    /* other size, other env, bad mode */
    expect_all(env, dc_vec_dot(x, z, &r), DC_ERR_ARG, "dot, different N");
    expect_all(env, dc_vec_dot(x, w, &r), DC_ERR_COMM, "dot, different envs");
    expect_all(env, dc_vec_dot_repro(x, x, (dc_repro_t)7, &r), DC_ERR_ARG, "dot, bad mode");
    expect_all(env, dc_vec_nrm2_repro(x, (dc_repro_t)-5, &r), DC_ERR_ARG, "nrm2, bad mode");
    expect_all(env, dc_vec_sum_repro(x, (dc_repro_t)3, &r), DC_ERR_ARG, "sum, bad mode");
    /* a mode that differs on one rank: the debug check catches it */
    DCT_ASSERT_ALL(dc_env_set_debug(env, 1) == DC_SUCCESS);
    if (dct_size > 1)
        expect_all(env, dc_vec_sum_repro(x, dct_rank == 0 ? DC_REPRO_EXACT : DC_REPRO_OFF, &r),
                   DC_ERR_ARG, "sum, mode differs on one rank");
    /* after all that, a plain call still works */
    DCT_ASSERT_ALL(dc_vec_dot(x, x, &r) == DC_SUCCESS);

    /* scatter / gather */
    CU_ASSERT_EQUAL(dc_vec_scatter(NULL, 0, buf), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_gather(NULL, 0, buf), DC_ERR_ARG);
    expect_all(env, dc_vec_scatter(x, dct_size, buf), DC_ERR_ARG, "scatter root = P");
    expect_all(env, dc_vec_scatter(x, -1, buf), DC_ERR_ARG, "scatter root = -1");
    expect_all(env, dc_vec_gather(x, -2, buf), DC_ERR_ARG, "gather root = -2");
    expect_all(env, dc_vec_gather(x, dct_size, buf), DC_ERR_ARG, "gather root = P");
    expect_all(env, dc_vec_scatter(x, dct_rank == last ? dct_size + 3 : 0, buf), DC_ERR_ARG,
               "scatter root invalid on one rank");
    if (dct_size > 1) {
        expect_all(env, dc_vec_scatter(x, dct_rank == last ? 1 : 0, buf), DC_ERR_ARG,
                   "scatter root differs");
        expect_all(env, dc_vec_gather(x, dct_rank == 0 ? -1 : 0, buf), DC_ERR_ARG,
                   "gather root differs");
    }
    expect_all(env, dc_vec_scatter(x, last, NULL), DC_ERR_ARG, "scatter NULL global on root");
    expect_all(env, dc_vec_gather(x, 0, NULL), DC_ERR_ARG, "gather NULL global on root");
    expect_all(env, dc_vec_gather(x, -1, dct_rank == last ? NULL : buf), DC_ERR_ARG,
               "allgather NULL global on one rank");
    /* NULL global is fine off the root */
    DCT_ASSERT_ALL(dc_vec_gather(x, 0, dct_rank == 0 ? buf : NULL) == DC_SUCCESS);
    DCT_ASSERT_ALL(dc_vec_scatter(x, 0, dct_rank == 0 ? buf : NULL) == DC_SUCCESS);

    /* redistribute */
    CU_ASSERT_EQUAL(dc_vec_redistribute(NULL, x), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_redistribute(x, NULL), DC_ERR_ARG);
    expect_all(env, dc_vec_redistribute(x, z), DC_ERR_SIZE, "redistribute, different N");
    expect_all(env, dc_vec_redistribute(y, z), DC_ERR_SIZE, "redistribute, different N (cyc)");
    expect_all(env, dc_vec_redistribute(x, w), DC_ERR_COMM, "redistribute, different envs");
    /* a size mismatch on one rank only */
    expect_all(env, dc_vec_redistribute(x, dct_rank == last ? z : y), DC_ERR_SIZE,
               "redistribute, different N on one rank");
out:
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    dc_vec_destroy(&z);
    dc_vec_destroy(&w);
    dc_layout_destroy(&l);
    free(buf);
    dc_env_destroy(&env2);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- profiling */

static void test_prof(void)
{
    dc_env_t *env = env_off();
    dc_vec_t *x;
    uint64_t calls = 0, bytes = 0;
    size_t nl = 0;
    double r;

    if (env == NULL)
        return;
    x = make_vec(env, K_CYCLIC, 1000);
    if (x != NULL) {
        dc_vec_get_local_size(x, &nl);
        dc_prof_set_enabled(env, 1);
        dc_prof_reset(env);
        dc_vec_dot(x, x, &r);
        dc_vec_dot(x, x, &r);
        dc_vec_scal(x, 2.0);
        CU_ASSERT_EQUAL(dc_prof_get_event(env, "dc_vec_dot", &calls, NULL, &bytes), DC_SUCCESS);
        CU_ASSERT_EQUAL(calls, 2);
        CU_ASSERT_EQUAL(bytes, 2 * 2 * nl * sizeof(double));
        CU_ASSERT_EQUAL(dc_prof_get_event(env, "dc_vec_scal", &calls, NULL, &bytes), DC_SUCCESS);
        CU_ASSERT_EQUAL(calls, 1);
        CU_ASSERT_EQUAL(bytes, 2 * nl * sizeof(double));
        dc_prof_set_enabled(env, 0);
    }
    dc_vec_destroy(&x);
    dc_env_destroy(&env);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("vec", NULL, NULL);

    CU_add_test(s, "create, fill, borrow, dup, set_all", test_create_fill);
    CU_add_test(s, "lifetime", test_lifetime);
    CU_add_test(s, "scatter/gather at every root", test_scatter_gather);
    CU_add_test(s, "redistribute between all kinds", test_redistribute);
    CU_add_test(s, "copy/scal/axpy/axpby", test_blas1);
    CU_add_test(s, "dot/nrm2/asum/sum", test_reductions);
    CU_add_test(s, "nrm2 huge and tiny", test_nrm2_extreme);
    CU_add_test(s, "NaN/Inf", test_nan_inf);
    CU_add_test(s, "max/min", test_maxmin);
    CU_add_test(s, "reproducible mode", test_repro);
    CU_add_test(s, "reproducible asum (dc_vec_asum_repro)", test_asum_repro);
    CU_add_test(s, "borrow state", test_borrow);
    CU_add_test(s, "bad input", test_errors);
    CU_add_test(s, "profiling", test_prof);
}
