/*
 * Tests of the hang watchdog (DC_TIMEOUT): a rank that skips a dc_vec_dot is named (rank, node,
 * pid, last collective) on every waiting rank, which gets DC_ERR_TIMEOUT, and the skipping rank
 * learns of it at its next library collective; ranks in different collectives fail on every
 * rank, naming them; the watchdog on changes no result; bad DC_TIMEOUT values fail
 * dc_env_create on every rank. The skipping test cannot hang: the skipping ranks wait in an
 * MPI_Barrier that the others reach after their timeout. (The abort mode is run by
 * tests/watchdog-abort.sh.)
 */
#include "dc_test.h"
#include "dc_testhook.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 1000 /* global vector length: N % P != 0 at 3 ranks */

static char hosts[64][MPI_MAX_PROCESSOR_NAME];
static int pids[64];

/* Every rank's node name and pid, as the test sees them (independently of the library). */
static void gather_ids(void)
{
    char me[MPI_MAX_PROCESSOR_NAME];
    int len = 0, pid = (int)getpid();

    memset(me, 0, sizeof(me));
    MPI_Get_processor_name(me, &len);
    MPI_Allgather(me, MPI_MAX_PROCESSOR_NAME, MPI_CHAR, hosts, MPI_MAX_PROCESSOR_NAME, MPI_CHAR,
                  dct_comm);
    MPI_Allgather(&pid, 1, MPI_INT, pids, 1, MPI_INT, dct_comm);
}

/* rc equals want on every rank. */
static void expect_all(int rc, int want)
{
    int mm[2] = {rc, -rc}, out[2];

    MPI_Allreduce(mm, out, 2, MPI_INT, MPI_MAX, dct_comm);
    CU_ASSERT(out[0] == -out[1]);
    DCT_ASSERT_ALL(rc == want);
}

static int contains(const char *text, const char *what)
{
    if (strstr(text, what) != NULL)
        return 1;
    fprintf(stderr, "[rank %d] expected \"%s\" in: %s\n", dct_rank, what, text);
    return 0;
}

static dc_env_t *env_with_timeout(double seconds)
{
    dc_env_params_t p;

    memset(&p, 0, sizeof(p));
    p.field_mask = DC_ENV_PARAM_TIMEOUT;
    p.timeout = seconds;
    return dct_env_create_params(&p);
}

static int dct_rank_of(dc_env_t *env)
{
    int r = 0;

    dc_env_get_rank(env, &r, NULL);
    return r;
}

/* x[g] = dct_rand(seed, g) on a block layout of n entries. */
static dc_vec_t *vec_rand(dc_env_t *env, int64_t n, uint64_t seed)
{
    dc_layout_t *l = NULL;
    dc_vec_t *v = NULL;
    int64_t lo = 0, hi = 0, g;
    double *a = NULL;

    if (dc_layout_create_block(env, n, &l) != DC_SUCCESS)
        return NULL;
    if (dc_vec_create(l, &v) == DC_SUCCESS &&
        dc_layout_get_range(l, dct_rank_of(env), &lo, &hi) == DC_SUCCESS &&
        dc_vec_get_array(v, &a) == DC_SUCCESS) {
        for (g = lo; g < hi; g++)
            a[g - lo] = dct_rand(seed, (uint64_t)g);
        dc_vec_restore_array(v, &a);
    }
    dc_layout_destroy(&l);
    return v;
}

/* ---------------------------------------------------------------- options */

static int create_rc(const dc_env_params_t *p)
{
    dc_env_t *env = NULL;
    int rc = dc_env_create(MPI_COMM_WORLD, p, &env);

    CU_ASSERT((rc == DC_SUCCESS) == (env != NULL));
    dc_env_destroy(&env);
    return rc;
}

static void test_bad_env_values(void)
{
    static const char *const bad[][2] = {
        {"DC_TIMEOUT", "-1"},          {"DC_TIMEOUT", "abc"}, {"DC_TIMEOUT", "1s"},
        {"DC_TIMEOUT", "inf"},         {"DC_TIMEOUT", "nan"}, {"DC_TIMEOUT", "1e7"},
        {"DC_TIMEOUT_ABORT", "maybe"},
    };
    size_t i;
    int rc;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv(bad[i][0], bad[i][1], 1); /* read on rank 0, which tells the others */
        rc = create_rc(NULL);
        expect_all(rc, DC_ERR_ARG);
        if (dct_rank == 0) { /* rank 0 holds the parse error; the others are told it failed */
            CU_ASSERT(contains(dc_env_last_error(NULL), bad[i][0]));
        }
        unsetenv(bad[i][0]);
    }
    /* good values: seconds as a decimal number, empty means off */
    setenv("DC_TIMEOUT", "2.5", 1);
    setenv("DC_TIMEOUT_ABORT", "no", 1);
    expect_all(create_rc(NULL), DC_SUCCESS);
    setenv("DC_TIMEOUT", "", 1);
    expect_all(create_rc(NULL), DC_SUCCESS);
    unsetenv("DC_TIMEOUT");
    unsetenv("DC_TIMEOUT_ABORT");
}

/* dc_options_view shows `name ... current "value"`. */
static int option_shows(const dc_env_t *env, const char *name, const char *value)
{
    char *buf = NULL, want[64], *line;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int ok = 0;

    if (f == NULL)
        return 0;
    dc_options_view(env, f);
    fclose(f);
    snprintf(want, sizeof(want), "current \"%s\"", value);
    for (line = strtok(buf, "\n"); line != NULL; line = strtok(NULL, "\n"))
        if (strncmp(line, name, strlen(name)) == 0 && line[strlen(name)] == ' ')
            ok = strstr(line, want) != NULL;
    free(buf);
    return ok;
}

static void test_params_and_precedence(void)
{
    dc_env_params_t p;
    dc_env_t *env = NULL;
    int rc;

    memset(&p, 0, sizeof(p));
    p.field_mask = DC_ENV_PARAM_TIMEOUT;
    p.timeout = -1.0;
    expect_all(create_rc(&p), DC_ERR_ARG);
    CU_ASSERT(contains(dc_env_last_error(NULL), "timeout"));
    p.timeout = NAN;
    expect_all(create_rc(&p), DC_ERR_ARG);
    p.timeout = INFINITY;
    expect_all(create_rc(&p), DC_ERR_ARG);
    /* differing on one rank: every rank fails, the message names the option */
    p.timeout = dct_rank == dct_size - 1 && dct_size > 1 ? 2.0 : 1.0;
    rc = create_rc(&p);
    expect_all(rc, dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS);
    if (dct_size > 1) {
        CU_ASSERT(contains(dc_env_last_error(NULL), "timeout"));
    }
    p.timeout = 1.0;
    p.timeout_abort = dct_rank == dct_size - 1 && dct_size > 1;
    expect_all(create_rc(&p), dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS);
    /* params win over the variable; a variable set on a rank other than 0 is not read */
    setenv("DC_TIMEOUT", "7", 1);
    p.timeout = 3.0;
    p.timeout_abort = 0;
    rc = dc_env_create(MPI_COMM_WORLD, &p, &env);
    expect_all(rc, DC_SUCCESS);
    CU_ASSERT(option_shows(env, "DC_TIMEOUT", "3"));
    dc_env_destroy(&env);
    if (dct_rank != 0)
        setenv("DC_TIMEOUT", "abc", 1);
    else
        unsetenv("DC_TIMEOUT");
    rc = dc_env_create(MPI_COMM_WORLD, NULL, &env);
    expect_all(rc, DC_SUCCESS);
    CU_ASSERT(option_shows(env, "DC_TIMEOUT", "0"));
    dc_env_destroy(&env);
    unsetenv("DC_TIMEOUT");
}

/* ---------------------------------------------------------------- no fault: same results */

typedef struct {
    double dot, nrm2, sum, vmax, red[3], ired[2];
    int64_t imax;
    int rc;
} results_t;

/* A mix of library collectives (sums, reductions blocking and not, max with index, gather),
 * on an env with or without the watchdog. */
static results_t run_mix(dc_env_t *env, double *gathered)
{
    results_t r;
    dc_vec_t *x = vec_rand(env, N, 11), *y = vec_rand(env, N, 12);
    double in[3], in2[2];
    dc_request_t *req = NULL;
    int rc = DC_SUCCESS;

    memset(&r, 0, sizeof(r));
    if (x == NULL || y == NULL) {
        r.rc = DC_ERR_INTERNAL;
        dc_vec_destroy(&x);
        dc_vec_destroy(&y);
        return r; /* collective: x or y is NULL on every rank (creation is agreed) */
    }
    in[0] = dct_rank + 0.5;
    in[1] = -dct_rank;
    in[2] = 1.0 / (dct_rank + 3);
    in2[0] = dct_rank;
    in2[1] = 2.0 * dct_rank;
    if (rc == DC_SUCCESS)
        rc = dc_vec_dot(x, y, &r.dot);
    if (rc == DC_SUCCESS)
        rc = dc_vec_nrm2(x, &r.nrm2);
    if (rc == DC_SUCCESS)
        rc = dc_vec_sum(y, &r.sum);
    if (rc == DC_SUCCESS)
        rc = dc_vec_max(x, &r.vmax, &r.imax);
    if (rc == DC_SUCCESS)
        rc = dc_allreduce(env, in, r.red, 3, DC_TYPE_DOUBLE, DC_REDUCE_SUM);
    if (rc == DC_SUCCESS)
        rc = dc_iallreduce(env, in2, r.ired, 2, DC_TYPE_DOUBLE, DC_REDUCE_MAX, &req);
    if (rc == DC_SUCCESS)
        rc = dc_request_wait(&req);
    if (rc == DC_SUCCESS)
        rc = dc_vec_gather(x, -1, gathered);
    r.rc = rc;
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    return r;
}

static void test_no_fault_same_results(void)
{
    dc_env_t *off = dct_env_create(), *on = env_with_timeout(60.0);
    double *g_off = calloc(N, sizeof(double)), *g_on = calloc(N, sizeof(double));
    double dot = 0.0, ss = 0.0, sum = 0.0, vmax = -INFINITY, red0 = 0.0, red1 = 0.0;
    int64_t imax = -1, i;
    results_t a, b;
    int r;

    if (off == NULL || on == NULL || g_off == NULL || g_on == NULL) {
        CU_FAIL("setup");
        dc_env_destroy(&off);
        dc_env_destroy(&on);
        free(g_off);
        free(g_on);
        return;
    }
    a = run_mix(off, g_off);
    b = run_mix(on, g_on);
    expect_all(a.rc, DC_SUCCESS);
    expect_all(b.rc, DC_SUCCESS);
    /* the same bits with and without the watchdog */
    CU_ASSERT(memcmp(&a, &b, sizeof(a)) == 0);
    CU_ASSERT(memcmp(g_off, g_on, N * sizeof(double)) == 0);
    /* and right, against a serial reference */
    for (i = 0; i < N; i++) {
        double xv = dct_rand(11, (uint64_t)i), yv = dct_rand(12, (uint64_t)i);
        dot += xv * yv;
        ss += xv * xv;
        sum += yv;
        if (xv > vmax) {
            vmax = xv;
            imax = i;
        }
        CU_ASSERT(g_on[i] == xv);
    }
    for (r = 0; r < dct_size; r++) {
        red0 += r + 0.5;
        red1 += -r;
    }
    CU_ASSERT(fabs(b.dot - dot) <= 1e-12 * N);
    CU_ASSERT(fabs(b.nrm2 - sqrt(ss)) <= 1e-12 * N);
    CU_ASSERT(fabs(b.sum - sum) <= 1e-12 * N);
    CU_ASSERT(b.vmax == vmax && b.imax == imax);
    CU_ASSERT(b.red[0] == red0 && b.red[1] == red1);
    CU_ASSERT(b.ired[0] == dct_size - 1 && b.ired[1] == 2.0 * (dct_size - 1));
    dc_env_destroy(&off);
    dc_env_destroy(&on);
    free(g_off);
    free(g_on);
}

/* At any rank count, with nobody to wait for a one-rank env never times out, even at 1 ns. */
static void test_self_env_tiny_timeout(void)
{
    dc_env_params_t p;
    dc_env_t *env = NULL;
    dc_layout_t *l = NULL;
    dc_vec_t *x = NULL;
    double d = 0.0, one = 1.0;
    int rc, k;

    memset(&p, 0, sizeof(p));
    p.field_mask = DC_ENV_PARAM_TIMEOUT;
    p.timeout = 1e-9;
    rc = dc_env_create(MPI_COMM_SELF, &p, &env);
    CU_ASSERT(rc == DC_SUCCESS);
    if (rc != DC_SUCCESS)
        return; /* MPI_COMM_SELF: no other rank takes part */
    rc = dc_layout_create_block(env, 5, &l);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(l, &x);
    if (rc == DC_SUCCESS)
        rc = dc_vec_set_all(x, 2.0);
    for (k = 0; k < 3 && rc == DC_SUCCESS; k++)
        rc = dc_vec_dot(x, x, &d);
    CU_ASSERT(rc == DC_SUCCESS && d == 20.0);
    CU_ASSERT(dc_allreduce(env, &one, &d, 1, DC_TYPE_DOUBLE, DC_REDUCE_SUM) == DC_SUCCESS);
    dc_vec_destroy(&x);
    dc_layout_destroy(&l);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- a rank skips a dc_vec_dot */

static void test_skipped_dot(void)
{
    dc_env_t *env;
    dc_vec_t *x;
    double d = 0.0, s = 0.0;
    int skip = dct_rank % 2 == 1, rc, r, nskip = dct_size / 2, seq = 0;
    const char *p;
    char want[MPI_MAX_PROCESSOR_NAME + 96];

    if (dct_size == 1)
        return; /* nobody to skip: test_self_env_tiny_timeout covers one rank */
    gather_ids();
    env = env_with_timeout(1.0);
    x = env != NULL ? vec_rand(env, N, 21) : NULL;
    DCT_ASSERT_ALL(x != NULL);
    if (x == NULL) {
        dc_env_destroy(&env);
        return;
    }
    rc = dc_vec_sum(x, &s); /* every rank: the last collective the skipping ranks enter */
    expect_all(rc, DC_SUCCESS);
    if (!skip) {
        rc = dc_vec_dot(x, x, &d);
        CU_ASSERT(rc == DC_ERR_TIMEOUT);
        CU_ASSERT(contains(dc_env_last_error(env), "dc_vec_dot"));
        p = strstr(dc_env_last_error(env), "library collective #");
        CU_ASSERT(p != NULL && sscanf(p, "library collective #%d dc_vec_dot", &seq) == 1);
        snprintf(want, sizeof(want), "for %d of %d ranks", nskip, dct_size);
        CU_ASSERT(contains(dc_env_last_error(env), want));
        for (r = 0; r < dct_size; r++) {
            snprintf(want, sizeof(want), "rank %d (node %.*s, pid %d; last entered #", r, 63,
                     hosts[r], pids[r]);
            if (r % 2 == 1) {
                CU_ASSERT(contains(dc_env_last_error(env), want));
            } else {
                CU_ASSERT(strstr(dc_env_last_error(env), want) == NULL);
            }
        }
        CU_ASSERT(contains(dc_env_last_error(env), " dc_vec_sum"));
        /* from now on the env refuses at once: its collectives are out of step */
        CU_ASSERT(dc_vec_sum(x, &s) == DC_ERR_TIMEOUT);
    }
    /* the skipping ranks wait here; the others come after their timeout, with the number of
     * the collective they timed out in */
    MPI_Allreduce(MPI_IN_PLACE, &seq, 1, MPI_INT, MPI_MAX, dct_comm);
    if (skip) {
        /* told at the next library collective: an even rank gave up waiting in dc_vec_dot
         * (a dc_vec_sum here: were the notice missed, it would fail out of step, not hang) */
        rc = dc_vec_sum(x, &s);
        CU_ASSERT(rc == DC_ERR_TIMEOUT);
        CU_ASSERT(contains(dc_env_last_error(env), "gave up waiting for this rank"));
        snprintf(want, sizeof(want), "library collective #%d dc_vec_dot after", seq);
        CU_ASSERT(contains(dc_env_last_error(env), want));
        for (r = 1; r < dct_size; r += 2) {
            snprintf(want, sizeof(want), "rank %d (", r);
            CU_ASSERT(strstr(dc_env_last_error(env), want) == NULL);
        }
        CU_ASSERT(dc_vec_sum(x, &s) == DC_ERR_TIMEOUT); /* and refuses from then on */
    }
    MPI_Barrier(dct_comm);
    dc_vec_destroy(&x);
    dc_env_destroy(&env);
    /* all ranks go on cleanly with a new env */
    env = env_with_timeout(60.0);
    x = env != NULL ? vec_rand(env, N, 21) : NULL;
    rc = x != NULL ? dc_vec_dot(x, x, &d) : DC_ERR_INTERNAL;
    expect_all(rc, DC_SUCCESS);
    dc_vec_destroy(&x);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- out of step */

static void test_out_of_step(void)
{
    dc_env_t *env;
    dc_vec_t *x;
    double d = 0.0, ref = 0.0, in = 1.0, out = 0.0;
    int odd = dct_rank == dct_size - 1, rc, i;
    char want[MPI_MAX_PROCESSOR_NAME + 64];

    if (dct_size == 1)
        return;
    gather_ids();
    env = env_with_timeout(60.0); /* not reached: every rank enters at once */
    x = env != NULL ? vec_rand(env, N, 31) : NULL;
    DCT_ASSERT_ALL(x != NULL);
    if (x == NULL) {
        dc_env_destroy(&env);
        return;
    }
    /* the last rank computes a norm where the others compute a dot */
    rc = odd ? dc_vec_nrm2(x, &d) : dc_vec_dot(x, x, &d);
    expect_all(rc, DC_ERR_ARG);
    snprintf(want, sizeof(want), "rank %d (%.*s, pid %d) #", dct_size - 1, 63, hosts[dct_size - 1],
             pids[dct_size - 1]);
    CU_ASSERT(contains(dc_env_last_error(env), want));
    CU_ASSERT(contains(dc_env_last_error(env), "dc_vec_nrm2"));
    CU_ASSERT(contains(dc_env_last_error(env), "rank 0 ("));
    CU_ASSERT(contains(dc_env_last_error(env), "dc_vec_dot"));
    /* a plain reduction against a sum (dc_allreduce's fast path is watched too) */
    rc = odd ? dc_allreduce(env, &in, &out, 1, DC_TYPE_DOUBLE, DC_REDUCE_SUM) : dc_vec_sum(x, &d);
    expect_all(rc, DC_ERR_ARG);
    CU_ASSERT(contains(dc_env_last_error(env), "dc_allreduce"));
    /* nobody entered the real collectives: the env is still in step and gives right results */
    rc = dc_vec_dot(x, x, &d);
    expect_all(rc, DC_SUCCESS);
    for (i = 0; i < N; i++)
        ref += dct_rand(31, (uint64_t)i) * dct_rand(31, (uint64_t)i);
    CU_ASSERT(fabs(d - ref) <= 1e-12 * N);
    rc = dc_allreduce(env, &in, &out, 1, DC_TYPE_DOUBLE, DC_REDUCE_SUM);
    expect_all(rc, DC_SUCCESS);
    CU_ASSERT(out == dct_size);
    dc_vec_destroy(&x);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- allocation failures */

/* Every allocation of dc_env_create with the watchdog on fails once, on every rank and on the
 * last rank alone: every rank returns the same code, DC_ERR_NOMEM when the failure fired, and
 * nothing leaks. */
static void test_alloc_failures(void)
{
    dc_env_params_t p;
    long n, live0 = dci_test_alloc_live();
    int who, fired, any, rc;
    double one = 1.0, sum = 0.0;

    memset(&p, 0, sizeof(p));
    p.field_mask = DC_ENV_PARAM_TIMEOUT;
    p.timeout = 30.0;
    for (who = 0; who < 2; who++) {
        int rank = who == 0 ? -1 : dct_size - 1;
        for (n = 1; n < 1000; n++) {
            dc_env_t *env = NULL;
            dci_test_fail_alloc(n, rank);
            rc = dc_env_create(MPI_COMM_WORLD, &p, &env);
            fired = dci_test_fail_alloc_fired();
            dci_test_fail_alloc(0, -1);
            MPI_Allreduce(&fired, &any, 1, MPI_INT, MPI_MAX, dct_comm);
            expect_all(rc, any ? DC_ERR_NOMEM : DC_SUCCESS);
            if (rc == DC_SUCCESS) { /* the env works, watched */
                rc = dc_allreduce(env, &one, &sum, 1, DC_TYPE_DOUBLE, DC_REDUCE_SUM);
                CU_ASSERT(rc == DC_SUCCESS && sum == dct_size);
            }
            dc_env_destroy(&env);
            if (!any)
                break; /* n is past the last allocation */
        }
        CU_ASSERT(n > 1 && n < 1000);
    }
    CU_ASSERT(dci_test_alloc_live() == live0);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("watchdog", NULL, NULL);

    CU_add_test(s, "bad DC_TIMEOUT / DC_TIMEOUT_ABORT fail everywhere", test_bad_env_values);
    CU_add_test(s, "params: bad or differing timeout, precedence", test_params_and_precedence);
    CU_add_test(s, "no fault: same bits with the watchdog on and off", test_no_fault_same_results);
    CU_add_test(s, "one-rank env never times out", test_self_env_tiny_timeout);
    CU_add_test(s, "a rank skips dc_vec_dot: named on every waiting rank", test_skipped_dot);
    CU_add_test(s, "ranks in different collectives: named on every rank", test_out_of_step);
    CU_add_test(s, "allocation failures in dc_env_create with the watchdog", test_alloc_failures);
}
