/*
 * Tests of the trace (DC_TRACE, dc_prof_trace_write): bad input gives the same code on every
 * rank (tracing off, NULL path, a path that cannot be written, at create and at write,
 * DC_TRACE_EVENTS < 1); a trace written in the middle of a run and the one written at
 * dc_env_destroy hold, per rank, exactly the allreduces made until then (read back with
 * jansson); every allocation of a traced env's creation and trace writing failing in turn, on
 * rank 0 and on the last rank: DC_ERR_NOMEM on every rank and nothing leaked. Without jansson
 * in the build, DC_TRACE and dc_prof_trace_write give DC_ERR_NOTSUP on every rank.
 * The format, alignment and ring buffer are checked by tests/trace-check.sh.
 */
#include "dc_test.h"
#include "dc_testhook.h"
#include "dc_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if DC_HAVE_JANSSON
#include <jansson.h>
#endif

/* A file name in the current directory that is the same on every rank (rank 0's pid). */
static void trace_path(char *buf, size_t len, const char *tag)
{
    int pid = (int)getpid();

    MPI_Bcast(&pid, 1, MPI_INT, 0, dct_comm);
    snprintf(buf, len, "test_trace.%d.%s.json", pid, tag);
}

/* dc_env_create with DC_TRACE (and DC_TRACE_EVENTS if events != NULL) set for this call. */
static int create_traced(const char *path, const char *events, dc_env_t **env_p)
{
    int rc;

    setenv("DC_TRACE", path, 1);
    if (events != NULL)
        setenv("DC_TRACE_EVENTS", events, 1);
    rc = dc_env_create(MPI_COMM_WORLD, NULL, env_p);
    unsetenv("DC_TRACE");
    unsetenv("DC_TRACE_EVENTS");
    return rc;
}

static int allreduces(dc_env_t *env, int n)
{
    int i, ok = 1;

    for (i = 0; i < n; i++) {
        double me = dct_rank + 1, sum = 0.0;
        ok &= dc_allreduce(env, &me, &sum, 1, DC_TYPE_DOUBLE, DC_REDUCE_SUM) == DC_SUCCESS;
        ok &= sum == 0.5 * dct_size * (dct_size + 1);
    }
    return ok;
}

#if DC_HAVE_JANSSON
/* Rank 0: 1 if path is a trace of dct_size ranks with exactly n dc_allreduce events per rank
 * (read with jansson, independently of the library's writer). Collective result. */
static int trace_has_allreduces(const char *path, int n)
{
    int ok = 1;

    if (dct_rank == 0) {
        json_error_t err;
        json_t *doc = json_load_file(path, 0, &err), *evs, *e;
        int counts[64] = {0}, names[64] = {0};
        size_t i;
        int r;

        evs = doc != NULL ? json_object_get(doc, "traceEvents") : NULL;
        ok = json_is_array(evs) && dct_size <= 64;
        if (doc == NULL)
            fprintf(stderr, "%s: %s (line %d)\n", path, err.text, err.line);
        json_array_foreach(ok ? evs : NULL, i, e)
        {
            const char *ph = json_string_value(json_object_get(e, "ph"));
            const char *name = json_string_value(json_object_get(e, "name"));
            json_int_t pid = json_integer_value(json_object_get(e, "pid"));
            if (ph == NULL || name == NULL || pid < 0 || pid >= dct_size) {
                ok = 0;
                break;
            }
            if (strcmp(ph, "X") == 0 && strcmp(name, "dc_allreduce") == 0)
                counts[pid]++;
            if (strcmp(ph, "M") == 0 && strcmp(name, "process_name") == 0)
                names[pid]++;
        }
        for (r = 0; ok && r < dct_size; r++)
            ok = counts[r] == n && names[r] == 1;
        if (!ok)
            fprintf(stderr, "%s: not %d dc_allreduce events on each of %d ranks\n", path, n,
                    dct_size);
        json_decref(doc);
    }
    return dct_all(ok);
}
#endif

/* ---------------------------------------------------------------- bad input */

static void test_bad_input(void)
{
    char path[256];
    dc_env_t *env = dct_env_create(), *bad = (dc_env_t *)&path;
    int rc;

    trace_path(path, sizeof(path), "bad");
    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    CU_ASSERT_EQUAL(dc_prof_trace_write(NULL, path), DC_ERR_ARG); /* local: no env */
    rc = dc_prof_trace_write(env, path);
#if DC_HAVE_JANSSON
    DCT_ASSERT_ALL(rc == DC_ERR_ARG); /* tracing is off */
    DCT_ASSERT_ALL(strstr(dc_env_last_error(env), "DC_TRACE") != NULL);
#else
    DCT_ASSERT_ALL(rc == DC_ERR_NOTSUP);
#endif
    DCT_ASSERT_ALL(access(path, F_OK) != 0);
    dc_env_destroy(&env);

    /* a path that cannot be written: create fails on every rank, naming the path */
    bad = (dc_env_t *)&path;
    rc = create_traced("no-such-dir/t.json", NULL, &bad);
#if DC_HAVE_JANSSON
    DCT_ASSERT_ALL(rc == DC_ERR_IO);
    DCT_ASSERT_ALL(strstr(dc_env_last_error(NULL), "no-such-dir/t.json") != NULL);
#else
    DCT_ASSERT_ALL(rc == DC_ERR_NOTSUP);
    DCT_ASSERT_ALL(strstr(dc_env_last_error(NULL), "jansson") != NULL);
#endif
    DCT_ASSERT_ALL(bad == (dc_env_t *)&path); /* outputs only on success */

    /* a ring buffer of no events */
    rc = create_traced(path, "0", &bad);
#if DC_HAVE_JANSSON
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
#else
    DCT_ASSERT_ALL(rc == DC_ERR_NOTSUP);
#endif
    DCT_ASSERT_ALL(access(path, F_OK) != 0); /* the check at create leaves no file behind */
}

/* ---------------------------------------------------------------- writing */

static void test_write_mid_run_and_at_destroy(void)
{
#if DC_HAVE_JANSSON
    char path[256], mid[256], nullpath[300];
    dc_env_t *env = NULL;
    int rc, ok;

    trace_path(path, sizeof(path), "end");
    trace_path(mid, sizeof(mid), "mid");
    snprintf(nullpath, sizeof(nullpath), "no-such-dir/%s", mid);
    rc = create_traced(path, NULL, &env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc != DC_SUCCESS)
        return;
    ok = allreduces(env, 3);
    DCT_ASSERT_ALL(ok);
    /* NULL path on one rank only: the others must not hang, all fail alike */
    rc = dc_prof_trace_write(env, dct_rank == dct_size - 1 ? NULL : mid);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    rc = dc_prof_trace_write(env, nullpath);
    DCT_ASSERT_ALL(rc == DC_ERR_IO);
    DCT_ASSERT_ALL(strstr(dc_env_last_error(env), "no-such-dir") != NULL);
    rc = dc_prof_trace_write(env, mid);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT(trace_has_allreduces(mid, 3));
    ok = allreduces(env, 2);
    DCT_ASSERT_ALL(ok);
    rc = dc_env_destroy(&env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT(trace_has_allreduces(path, 5)); /* recording went on after the first write */
    if (dct_rank == 0) {
        remove(path);
        remove(mid);
    }
#else
    char path[256];
    dc_env_t *env = NULL;
    int rc;

    trace_path(path, sizeof(path), "end");
    rc = create_traced(path, NULL, &env);
    DCT_ASSERT_ALL(rc == DC_ERR_NOTSUP);
#endif
}

/* ---------------------------------------------------------------- allocation failures */

/* One traced env's life: create, a few operations, a mid-run write, destroy. */
static int traced_cycle(const char *path, const char *mid)
{
    dc_env_t *env = NULL;
    int rc = create_traced(path, "16", &env), rc2;

    if (rc != DC_SUCCESS)
        return rc;
    rc = allreduces(env, 10) ? DC_SUCCESS : DC_ERR_INTERNAL;
    if (rc == DC_SUCCESS)
        rc = dc_prof_trace_write(env, mid);
    rc2 = dc_env_destroy(&env);
    return rc != DC_SUCCESS ? rc : rc2;
}

/* traced_cycle for dct_fail_alloc_step: ctx holds the two paths */
static int traced_cycle_fn(void *ctx)
{
    const char *const *paths = ctx;
    return traced_cycle(paths[0], paths[1]);
}

static void test_alloc_failures(void)
{
#if DC_HAVE_JANSSON
    char path[256], mid[256];
    long n;
    const char *paths[2] = {path, mid};
    int any = 1, ok = 1, hits = 0, r;

    trace_path(path, sizeof(path), "alloc");
    trace_path(mid, sizeof(mid), "alloc-mid");
    for (n = 1; any && ok && n < 200; n++) {
        any = 0;
        for (r = 0; r < dct_size && ok; r = r < dct_size - 1 ? dct_size - 1 : dct_size) {
            long live0 = dci_test_alloc_live(), live1;
            int rc, fired;
            ok = dct_fail_alloc_step(n, r, traced_cycle_fn, paths, &rc, &fired);
            any |= fired;
            hits += fired;
            live1 = dci_test_alloc_live();
            ok = dct_all(ok && live1 == live0);
            if (!ok && dct_rank == 0)
                fprintf(stderr, "allocation %ld failing on rank %d: rc %d (%s), live %ld/%ld\n", n,
                        r, rc, dc_env_last_error(NULL), live0, live1);
        }
    }
    CU_ASSERT(ok);
    CU_ASSERT(!any);      /* the sweep reached an allocation count where nothing failed */
    CU_ASSERT(hits >= 5); /* the env's own and the trace's allocations were reached */
    if (dct_rank == 0) {
        remove(path);
        remove(mid);
    }
#endif
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("trace", NULL, NULL);

    CU_add_test(s, "bad input: same code on every rank", test_bad_input);
    CU_add_test(s, "dc_prof_trace_write mid-run, DC_TRACE at destroy",
                test_write_mid_run_and_at_destroy);
    CU_add_test(s, "allocation failures: NOMEM everywhere, no leak", test_alloc_failures);
}
