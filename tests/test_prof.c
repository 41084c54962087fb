/*
 * Tests of profiling (dc_prof.h): counts, bytes and times of dc_vec_dot and dc_allreduce when
 * on, nothing when off, reset, the view (operation rows, slowest rank, placement map), the
 * profile printed at dc_env_destroy into DC_PROFILE_FILE, and bad input.
 */
#include "dc_test.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if DC_HAVE_JANSSON
#include <jansson.h>
#endif

#define SEED 77

static double fill_rand(dc_gidx_t g, void *ctx)
{
    return dct_rand(*(const uint64_t *)ctx, (uint64_t)g);
}

/* Env with profiling forced to 'on' by params (whatever DC_PROFILE says). */
static dc_env_t *env_with_profile(int on)
{
    dc_env_params_t p;

    memset(&p, 0, sizeof(p));
    p.field_mask = DC_ENV_PARAM_PROFILE;
    p.profile = on;
    return dct_env_create_params(&p);
}

/* Two vectors of N entries on a block layout, filled from dct_rand with seeds SEED, SEED+1. */
static int make_vectors(dc_env_t *env, dc_gidx_t n, dc_layout_t **l, dc_vec_t **x, dc_vec_t **y)
{
    uint64_t s0 = SEED, s1 = SEED + 1;
    int rc;

    *l = NULL;
    *x = *y = NULL;
    rc = dc_layout_create_block(env, n, l);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(*l, x);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(*l, y);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(*x, fill_rand, &s0);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(*y, fill_rand, &s1);
    return rc;
}

static void free_vectors(dc_layout_t **l, dc_vec_t **x, dc_vec_t **y)
{
    dc_vec_destroy(x);
    dc_vec_destroy(y);
    dc_layout_destroy(l);
}

/* Serial reference of the dot of the two filled vectors, and sum |x_i y_i| for the bound. */
static double serial_dot(dc_gidx_t n, double *abs_p)
{
    double s = 0.0, a = 0.0;
    dc_gidx_t g;

    for (g = 0; g < n; g++) {
        double t = dct_rand(SEED, (uint64_t)g) * dct_rand(SEED + 1, (uint64_t)g);
        s += t;
        a += fabs(t);
    }
    *abs_p = a;
    return s;
}

static void get_event(const dc_env_t *env, const char *name, uint64_t *calls, double *sec,
                      uint64_t *bytes)
{
    *calls = *bytes = UINT64_MAX;
    *sec = -1.0;
    CU_ASSERT_EQUAL(dc_prof_get_event(env, name, calls, sec, bytes), DC_SUCCESS);
}

/* ---------------------------------------------------------------- counting */

static void test_off_counts_nothing(void)
{
    dc_env_t *env = env_with_profile(0);
    dc_layout_t *l;
    dc_vec_t *x, *y;
    double d = 0.0, sec, buf[4] = {1, 2, 3, 4}, out[4];
    uint64_t calls, bytes;
    int rc, k;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    rc = make_vectors(env, 101, &l, &x, &y);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    for (k = 0; k < 3 && rc == DC_SUCCESS; k++)
        CU_ASSERT_EQUAL(dc_vec_dot(x, y, &d), DC_SUCCESS);
    for (k = 0; k < 2; k++)
        CU_ASSERT_EQUAL(dc_allreduce(env, buf, out, 4, DC_TYPE_DOUBLE, DC_REDUCE_SUM), DC_SUCCESS);
    get_event(env, "dc_vec_dot", &calls, &sec, &bytes);
    CU_ASSERT_EQUAL(calls, 0);
    CU_ASSERT_EQUAL(bytes, 0);
    CU_ASSERT_EQUAL(sec, 0.0);
    get_event(env, "dc_allreduce", &calls, &sec, &bytes);
    CU_ASSERT_EQUAL(calls, 0);
    CU_ASSERT_EQUAL(bytes, 0);
    CU_ASSERT_EQUAL(sec, 0.0);
    get_event(env, "dc_env_create", &calls, &sec, &bytes);
    CU_ASSERT_EQUAL(calls, 0);
    free_vectors(&l, &x, &y);
    dc_env_destroy(&env);
}

/* dc_prof_set_enabled: calls, bytes and time of dc_vec_dot and dc_allreduce, then reset. */
static void test_counts_and_reset(void)
{
    dc_env_t *env = env_with_profile(0);
    dc_layout_t *l;
    dc_vec_t *x, *y;
    const dc_gidx_t n = 1009; /* prime */
    const int ndot = 5, nred_d = 4, nred_i = 2;
    size_t nlocal = 0;
    double d = 0.0, ref, abs_ref, sec, dbuf[3], dout[3];
    int64_t ibuf[100], iout[100];
    uint64_t calls, bytes;
    int rc, k, i;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    rc = make_vectors(env, n, &l, &x, &y);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc != DC_SUCCESS) {
        free_vectors(&l, &x, &y);
        dc_env_destroy(&env);
        return;
    }
    dc_layout_get_local_size(l, &nlocal);
    CU_ASSERT_EQUAL(dc_prof_set_enabled(env, 1), DC_SUCCESS);
    ref = serial_dot(n, &abs_ref);
    for (k = 0; k < ndot; k++) {
        CU_ASSERT_EQUAL(dc_vec_dot(x, y, &d), DC_SUCCESS);
        CU_ASSERT(fabs(d - ref) <= 1e-13 * abs_ref);
    }
    /* the dots' internal reductions are not dc_allreduce calls */
    get_event(env, "dc_allreduce", &calls, &sec, &bytes);
    CU_ASSERT_EQUAL(calls, 0);
    for (i = 0; i < 3; i++)
        dbuf[i] = dct_rank + i;
    for (i = 0; i < 100; i++)
        ibuf[i] = i * (dct_rank + 1);
    for (k = 0; k < nred_d; k++) {
        CU_ASSERT_EQUAL(dc_allreduce(env, dbuf, dout, 3, DC_TYPE_DOUBLE, DC_REDUCE_SUM),
                        DC_SUCCESS);
        for (i = 0; i < 3; i++)
            CU_ASSERT_EQUAL(dout[i], (double)dct_size * (dct_size - 1) / 2 + dct_size * i);
    }
    for (k = 0; k < nred_i; k++) {
        CU_ASSERT_EQUAL(dc_allreduce(env, ibuf, iout, 100, DC_TYPE_INT64, DC_REDUCE_MAX),
                        DC_SUCCESS);
        CU_ASSERT_EQUAL(iout[99], 99 * dct_size);
    }

    get_event(env, "dc_vec_dot", &calls, &sec, &bytes);
    CU_ASSERT_EQUAL(calls, (uint64_t)ndot);
    /* dc_vec_dot reads both local arrays */
    CU_ASSERT_EQUAL(bytes, (uint64_t)ndot * 2 * nlocal * sizeof(double));
    CU_ASSERT(sec > 0.0);
    get_event(env, "dc_allreduce", &calls, &sec, &bytes);
    CU_ASSERT_EQUAL(calls, (uint64_t)(nred_d + nred_i));
    CU_ASSERT_EQUAL(bytes,
                    (uint64_t)(nred_d * 3 * sizeof(double) + nred_i * 100 * sizeof(int64_t)));
    CU_ASSERT(sec > 0.0);
    /* dc_env_create ran before profiling was switched on */
    get_event(env, "dc_env_create", &calls, &sec, &bytes);
    CU_ASSERT_EQUAL(calls, 0);

    /* reset forgets everything, and profiling stays on */
    CU_ASSERT_EQUAL(dc_prof_reset(env), DC_SUCCESS);
    get_event(env, "dc_vec_dot", &calls, &sec, &bytes);
    CU_ASSERT_EQUAL(calls, 0);
    CU_ASSERT_EQUAL(bytes, 0);
    CU_ASSERT_EQUAL(sec, 0.0);
    get_event(env, "dc_allreduce", &calls, &sec, &bytes);
    CU_ASSERT_EQUAL(calls, 0);
    CU_ASSERT_EQUAL(dc_vec_dot(x, y, &d), DC_SUCCESS);
    get_event(env, "dc_vec_dot", &calls, &sec, &bytes);
    CU_ASSERT_EQUAL(calls, 1);

    /* switched off: counts stay where they are */
    CU_ASSERT_EQUAL(dc_prof_set_enabled(env, 0), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_vec_dot(x, y, &d), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_allreduce(env, dbuf, dout, 3, DC_TYPE_DOUBLE, DC_REDUCE_SUM), DC_SUCCESS);
    get_event(env, "dc_vec_dot", &calls, &sec, &bytes);
    CU_ASSERT_EQUAL(calls, 1);
    get_event(env, "dc_allreduce", &calls, &sec, &bytes);
    CU_ASSERT_EQUAL(calls, 0);

    /* outputs are optional */
    CU_ASSERT_EQUAL(dc_prof_get_event(env, "dc_vec_dot", NULL, NULL, NULL), DC_SUCCESS);
    free_vectors(&l, &x, &y);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- view */

/* The row of operation name in a profile table: the numbers after the name. */
typedef struct {
    int found;
    double calls, percent, tmin, tavg, tmax, imbalance;
    int slowest;
} prof_row_t;

static prof_row_t find_row(const char *text, const char *name)
{
    prof_row_t r;
    const char *line;
    size_t len = strlen(name);

    memset(&r, 0, sizeof(r));
    r.slowest = -1;
    line = text;
    while (line != NULL && *line != '\0') {
        if (strncmp(line, name, len) == 0 && line[len] == ' ') {
            r.found = sscanf(line + len, "%lf %lf %lf %lf %lf %d %lf", &r.calls, &r.percent,
                             &r.tmin, &r.tavg, &r.tmax, &r.slowest, &r.imbalance) == 7;
            break;
        }
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    return r;
}

/*
 * The last rank owns far more entries than the others, so it is the slowest in the local
 * dc_vec_axpy (no communication that would make the others wait as long).
 */
static void test_view(void)
{
    dc_env_t *env = env_with_profile(0);
    dc_layout_t *l = NULL, *lb = NULL;
    dc_vec_t *x = NULL, *y = NULL, *a = NULL, *b = NULL;
    const int last = dct_size - 1, naxpy = 5, ndot = 3;
    const size_t big = (size_t)1 << 21;
    char *text = NULL, host[MPI_MAX_PROCESSOR_NAME];
    size_t len = 0, nlocal = 0;
    double d;
    FILE *f;
    int rc, k, hlen = 0;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    /* on from here (params.profile would also print at destroy, see test_profile_file) */
    CU_ASSERT_EQUAL(dc_prof_set_enabled(env, 1), DC_SUCCESS);
    rc = make_vectors(env, 997, &l, &x, &y);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_explicit(env, dct_rank == last ? big : 1000, &lb);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(lb, &a);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(lb, &b);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        dc_layout_get_local_size(l, &nlocal);
        dc_vec_set_all(a, 1.0);
        dc_vec_set_all(b, 2.0);
        for (k = 0; k < ndot; k++)
            CU_ASSERT_EQUAL(dc_vec_dot(x, y, &d), DC_SUCCESS);
        for (k = 0; k < naxpy; k++)
            CU_ASSERT_EQUAL(dc_vec_axpy(b, 0.5, a), DC_SUCCESS);
    }
    f = open_memstream(&text, &len);
    rc = dc_prof_view(env, f);
    if (f)
        fclose(f);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    MPI_Get_processor_name(host, &hlen);
    if (dct_rank == 0 && text != NULL) {
        prof_row_t r;
        CU_ASSERT(strstr(text, "slowest") != NULL);
        CU_ASSERT(strstr(text, "max/avg") != NULL);
        /* enabled after creation: dc_env_create has no row; dc_vec_create has */
        r = find_row(text, "dc_env_create");
        CU_ASSERT(!r.found);
        r = find_row(text, "dc_vec_create");
        CU_ASSERT(r.found && r.calls == 4.0 * dct_size); /* calls summed over ranks */
        r = find_row(text, "dc_vec_dot");
        CU_ASSERT(r.found);
        CU_ASSERT_EQUAL(r.calls, (double)ndot * dct_size);
        CU_ASSERT(r.tmin > 0.0 && r.tmin <= r.tavg && r.tavg <= r.tmax);
        CU_ASSERT(r.slowest >= 0 && r.slowest < dct_size);
        r = find_row(text, "dc_vec_axpy");
        CU_ASSERT(r.found);
        CU_ASSERT_EQUAL(r.calls, (double)naxpy * dct_size);
        CU_ASSERT_EQUAL(r.slowest, last);
        CU_ASSERT(r.imbalance >= 1.0);
        if (dct_size > 1)
            CU_ASSERT(r.imbalance > 1.2);
        /* operations never called have no row */
        r = find_row(text, "dc_scan");
        CU_ASSERT(!r.found);
        /* followed by the placement map, which names this node */
        CU_ASSERT(strstr(text, "placement") != NULL);
        CU_ASSERT(strstr(text, host) != NULL);
        if (!find_row(text, "dc_vec_axpy").found || find_row(text, "dc_vec_axpy").slowest != last)
            fprintf(stderr, "profile view:\n%s\n", text);
    } else {
        CU_ASSERT_EQUAL(len, 0); /* only rank 0 prints */
    }
    free(text);
    /* this rank's own totals for the axpy: calls and the 3 arrays touched */
    {
        uint64_t calls, bytes;
        double sec;
        size_t nb = dct_rank == last ? big : 1000;
        get_event(env, "dc_vec_axpy", &calls, &sec, &bytes);
        CU_ASSERT_EQUAL(calls, (uint64_t)naxpy);
        CU_ASSERT_EQUAL(bytes, (uint64_t)naxpy * 3 * nb * sizeof(double));
    }
    dc_vec_destroy(&a);
    dc_vec_destroy(&b);
    dc_layout_destroy(&lb);
    free_vectors(&l, &x, &y);
    dc_env_destroy(&env);
}

/* Read a whole file (rank 0); NULL if it cannot. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    char *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = calloc(1, (size_t)n + 1);
        if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
    }
    fclose(f);
    return buf;
}

/*
 * DC_PROFILE=1 and DC_PROFILE_FILE=path, set on rank 0 only (rank 0 reads the environment):
 * dc_env_destroy writes the table and the placement map into the file. Then the same with
 * params.profile instead of DC_PROFILE.
 */
static void test_profile_file(void)
{
    const char *pname = "DC_PROFILE", *fname = "DC_PROFILE_FILE";
    char *oldp = getenv(pname) ? strdup(getenv(pname)) : NULL;
    char *oldf = getenv(fname) ? strdup(getenv(fname)) : NULL;
    char path[64] = "";
    int variant;

    if (dct_rank == 0) {
        int fd;
        snprintf(path, sizeof(path), "/tmp/dc_test_prof_XXXXXX");
        fd = mkstemp(path);
        if (fd >= 0)
            close(fd);
        else
            path[0] = '\0';
    }
    DCT_ASSERT_ALL(dct_rank != 0 || path[0] != '\0');
    for (variant = 0; variant < 2; variant++) {
        dc_env_t *env = NULL;
        dc_layout_t *l;
        dc_vec_t *x, *y;
        double d;
        int rc;

        if (dct_rank == 0) {
            if (variant == 0)
                setenv(pname, "1", 1);
            else
                unsetenv(pname);
            setenv(fname, path, 1);
        } else {
            unsetenv(pname);
            unsetenv(fname);
        }
        if (variant == 0) {
            env = dct_env_create();
        } else {
            env = env_with_profile(1);
        }
        DCT_ASSERT_ALL(env != NULL);
        if (env == NULL)
            continue;
        rc = make_vectors(env, 50, &l, &x, &y);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        if (rc == DC_SUCCESS) {
            CU_ASSERT_EQUAL(dc_vec_dot(x, y, &d), DC_SUCCESS);
            CU_ASSERT_EQUAL(dc_vec_dot(x, y, &d), DC_SUCCESS);
        }
        free_vectors(&l, &x, &y);
        CU_ASSERT_EQUAL(dc_env_destroy(&env), DC_SUCCESS);
        if (dct_rank == 0) {
            char *text = slurp(path);
            CU_ASSERT_PTR_NOT_NULL(text);
            if (text != NULL) {
                prof_row_t r = find_row(text, "dc_vec_dot");
                CU_ASSERT(r.found && r.calls == 2.0 * dct_size);
                r = find_row(text, "dc_env_create");
                CU_ASSERT(r.found && r.calls == 1.0 * dct_size);
                CU_ASSERT(strstr(text, "placement") != NULL);
                free(text);
            }
        }
    }
    if (dct_rank == 0 && path[0] != '\0')
        unlink(path);
    if (oldp) {
        setenv(pname, oldp, 1);
        free(oldp);
    } else {
        unsetenv(pname);
    }
    if (oldf) {
        setenv(fname, oldf, 1);
        free(oldf);
    } else {
        unsetenv(fname);
    }
}

/* ---------------------------------------------------------------- bad input */

static void test_bad_input(void)
{
    dc_env_t *env = env_with_profile(0);
    uint64_t calls = 12345, bytes = 6789;
    double sec = -2.0;
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    CU_ASSERT_EQUAL(dc_prof_set_enabled(NULL, 1), DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(NULL), "dc_prof_set_enabled") != NULL);
    CU_ASSERT_EQUAL(dc_prof_reset(NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_prof_get_event(NULL, "dc_vec_dot", &calls, &sec, &bytes), DC_ERR_ARG);
    f = open_memstream(&buf, &len);
    CU_ASSERT_EQUAL(dc_prof_view(NULL, f), DC_ERR_ARG);
    if (f)
        fclose(f);
    CU_ASSERT_EQUAL(len, 0);
    free(buf);
    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    CU_ASSERT_EQUAL(dc_prof_get_event(env, NULL, &calls, &sec, &bytes), DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(env), "dc_prof_get_event") != NULL);
    CU_ASSERT_EQUAL(dc_prof_get_event(env, "dc_no_such_op", &calls, &sec, &bytes), DC_ERR_ARG);
    CU_ASSERT(strstr(dc_env_last_error(env), "dc_no_such_op") != NULL);
    CU_ASSERT_EQUAL(dc_prof_get_event(env, "", &calls, &sec, &bytes), DC_ERR_ARG);
    /* a prefix of a real name is not that name */
    CU_ASSERT_EQUAL(dc_prof_get_event(env, "dc_vec", &calls, &sec, &bytes), DC_ERR_ARG);
    /* outputs untouched on failure */
    CU_ASSERT_EQUAL(calls, 12345);
    CU_ASSERT_EQUAL(bytes, 6789);
    CU_ASSERT_EQUAL(sec, -2.0);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- report, regions, errors */

/* A temporary file name made on rank 0 and sent to every rank (the report's path argument). */
static void tmp_path(char *path, size_t len)
{
    if (dct_rank == 0) {
        int fd;
        snprintf(path, len, "/tmp/dc_test_prof_json_XXXXXX");
        fd = mkstemp(path);
        if (fd >= 0)
            close(fd);
        else
            path[0] = '\0';
    }
    MPI_Bcast(path, (int)len, MPI_CHAR, 0, MPI_COMM_WORLD);
}

#if DC_HAVE_JANSSON
/* calls of operation name in a JSON "operations" array; -1 when absent */
static json_int_t op_calls(json_t *ops, const char *name)
{
    size_t i;
    json_t *o;

    json_array_foreach(ops, i, o)
    {
        const char *n = json_string_value(json_object_get(o, "name"));
        if (n != NULL && strcmp(n, name) == 0)
            return json_integer_value(json_object_get(o, "calls"));
    }
    return -1;
}

static json_t *region_by_path(json_t *regs, const char *path)
{
    size_t i;
    json_t *r;

    json_array_foreach(regs, i, r)
    {
        const char *n = json_string_value(json_object_get(r, "path"));
        if (n != NULL && strcmp(n, path) == 0)
            return r;
    }
    return NULL;
}
#endif

/*
 * Nested regions and the JSON report read back: the calls the test made per region (each
 * operation counted in its innermost region) and in the totals, one entry per rank, and the
 * communication matrix equal to every rank's dc_prof_get_peer_bytes.
 */
static void test_regions_json(void)
{
    dc_env_t *env = env_with_profile(1);
    dc_layout_t *l = NULL, *lc = NULL;
    dc_vec_t *x = NULL, *y = NULL, *z = NULL;
    char path[64] = "";
    uint64_t *mine = NULL, *all = NULL;
    double d, one = 1.0, sum;
    int rc, i, q, P = dct_size;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    tmp_path(path, sizeof(path));
    rc = make_vectors(env, 1000, &l, &x, &y);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_cyclic(env, 1000, &lc);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(lc, &z);
    DCT_ASSERT_ALL(rc == DC_SUCCESS && path[0] != '\0');
    if (rc == DC_SUCCESS) {
        CU_ASSERT_EQUAL(dc_prof_reset(env), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_prof_region_begin(env, "outer"), DC_SUCCESS);
        for (i = 0; i < 3; i++)
            CU_ASSERT_EQUAL(dc_vec_dot(x, y, &d), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_prof_region_begin(env, "inner"), DC_SUCCESS);
        for (i = 0; i < 2; i++)
            CU_ASSERT_EQUAL(dc_vec_dot(x, y, &d), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_vec_redistribute(x, z), DC_SUCCESS); /* point-to-point traffic */
        CU_ASSERT_EQUAL(dc_prof_region_end(env, "inner"), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_allreduce(env, &one, &sum, 1, DC_TYPE_DOUBLE, DC_REDUCE_SUM),
                        DC_SUCCESS);
        CU_ASSERT_EQUAL(sum, (double)P);
        CU_ASSERT_EQUAL(dc_prof_region_end(env, "outer"), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_vec_dot(x, y, &d), DC_SUCCESS);
        /* every rank's row of the communication matrix, gathered as the reference */
        mine = calloc((size_t)P, sizeof(*mine));
        all = calloc((size_t)P * (size_t)P, sizeof(*all));
        DCT_ASSERT_ALL(mine != NULL && all != NULL);
        for (q = 0; mine != NULL && q < P; q++)
            CU_ASSERT_EQUAL(dc_prof_get_peer_bytes(env, q, &mine[q], NULL), DC_SUCCESS);
        if (mine != NULL && all != NULL)
            MPI_Gather(mine, P, MPI_UINT64_T, all, P, MPI_UINT64_T, 0, MPI_COMM_WORLD);
        rc = dc_prof_report(env, DC_PROF_JSON, path);
#if DC_HAVE_JANSSON
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        if (dct_rank == 0 && rc == DC_SUCCESS) {
            json_error_t jerr;
            json_t *root = json_load_file(path, 0, &jerr), *regs, *r, *m;
            CU_ASSERT_PTR_NOT_NULL(root);
            if (root != NULL) {
                CU_ASSERT_STRING_EQUAL(json_string_value(json_object_get(root, "schema")),
                                       "dcompute-profile");
                CU_ASSERT_EQUAL(json_array_size(json_object_get(root, "ranks")), (size_t)P);
                CU_ASSERT_EQUAL(op_calls(json_object_get(root, "operations"), "dc_vec_dot"), 6 * P);
                CU_ASSERT_EQUAL(op_calls(json_object_get(root, "operations"), "dc_allreduce"), P);
                regs = json_object_get(root, "regions");
                r = region_by_path(regs, "outer");
                CU_ASSERT_PTR_NOT_NULL(r);
                if (r != NULL) {
                    CU_ASSERT_EQUAL(op_calls(json_object_get(r, "operations"), "dc_vec_dot"),
                                    3 * P);
                    CU_ASSERT_EQUAL(op_calls(json_object_get(r, "operations"), "dc_allreduce"), P);
                    CU_ASSERT_EQUAL(json_integer_value(json_object_get(r, "depth")) + 0, 0);
                }
                r = region_by_path(regs, "outer/inner");
                CU_ASSERT_PTR_NOT_NULL(r);
                if (r != NULL) {
                    CU_ASSERT_EQUAL(op_calls(json_object_get(r, "operations"), "dc_vec_dot"),
                                    2 * P);
                    CU_ASSERT_EQUAL(
                        op_calls(json_object_get(r, "operations"), "dc_vec_redistribute"), P);
                    CU_ASSERT_EQUAL(op_calls(json_object_get(r, "operations"), "dc_allreduce"), -1);
                }
                m = json_object_get(json_object_get(root, "comm_matrix"), "ranks");
                CU_ASSERT_EQUAL(json_array_size(m), (size_t)P);
                for (i = 0; all != NULL && i < P; i++)
                    for (q = 0; q < P; q++)
                        CU_ASSERT_EQUAL(
                            (uint64_t)json_integer_value(json_array_get(json_array_get(m, i), q)),
                            all[(size_t)i * P + q]);
                json_decref(root);
            }
        }
#else
        DCT_ASSERT_ALL(rc == DC_ERR_NOTSUP);
#endif
    }
    if (dct_rank == 0 && path[0] != '\0')
        unlink(path);
    free(mine);
    free(all);
    dc_vec_destroy(&z);
    dc_layout_destroy(&lc);
    free_vectors(&l, &x, &y);
    dc_env_destroy(&env);
}

/* Set (value != NULL) or unset an environment variable on rank 0 only (options are read there
 * and agreed); the old value is kept in *old (free it with env_restore). */
static void env_put(const char *name, const char *value, char **old)
{
    *old = getenv(name) ? strdup(getenv(name)) : NULL;
    if (dct_rank == 0 && value != NULL)
        setenv(name, value, 1);
    else
        unsetenv(name);
}

static void env_restore(const char *name, char **old)
{
    if (*old != NULL) {
        setenv(name, *old, 1);
        free(*old);
        *old = NULL;
    } else {
        unsetenv(name);
    }
}

/*
 * Wait (time from entry into a library collective until the last rank arrives): rank 0 sleeps
 * D before each of K dots, so every other rank waits about D per dot. DC_PROFILE_SYNC=1 times a
 * barrier at every entry; =4 at entries 0 and 4 and estimates the other six (moving their
 * waiting out of comm); =0 measures no wait, and the waiting stays inside comm. The reference
 * is the imposed sleep: the others cannot leave the collective before rank 0 enters it.
 */
static void test_wait(void)
{
    static const char *const syncs[] = {"1", "4", "0"};
    const int K = 8;
    const double D = 0.02;
    int v;

    for (v = 0; v < 3; v++) {
        char *oldsync, *oldfile;
        dc_env_t *env;
        dc_layout_t *l = NULL;
        dc_vec_t *x = NULL, *y = NULL;
        dc_prof_stats_t st;
        char *text = NULL;
        size_t len = 0;
        double d, wmax, cmax;
        FILE *f;
        int rc, k, n = atoi(syncs[v]);

        env_put("DC_PROFILE_SYNC", syncs[v], &oldsync);
        env_put("DC_PROFILE_FILE", "/dev/null", &oldfile);
        env = env_with_profile(1);
        env_restore("DC_PROFILE_SYNC", &oldsync);
        env_restore("DC_PROFILE_FILE", &oldfile);
        DCT_ASSERT_ALL(env != NULL);
        if (env == NULL)
            continue;
        rc = make_vectors(env, 1000, &l, &x, &y);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        for (k = 0; rc == DC_SUCCESS && k < K; k++) {
            if (dct_rank == 0)
                usleep((useconds_t)(D * 1e6));
            CU_ASSERT_EQUAL(dc_vec_dot(x, y, &d), DC_SUCCESS);
        }
        memset(&st, 0, sizeof(st));
        CU_ASSERT_EQUAL(dc_prof_get_stats(env, "dc_vec_dot", &st), DC_SUCCESS);
        CU_ASSERT(st.calls == (uint64_t)K);
        CU_ASSERT(st.wait_seconds >= 0.0 && st.comm_seconds >= 0.0);
        CU_ASSERT(st.wait_seconds + st.comm_seconds <= st.seconds + 1e-9);
        if (n == 0) {
            CU_ASSERT_EQUAL(st.wait_seconds, 0.0);
            /* the others' waiting is inside the collective's time */
            if (dct_rank != 0)
                CU_ASSERT(st.comm_seconds >= 0.8 * K * D);
        } else if (dct_rank != 0) {
            CU_ASSERT(st.wait_seconds >= 0.8 * K * D);
            CU_ASSERT(st.wait_seconds <= st.seconds);
            /* the waiting is not counted a second time as communication */
            CU_ASSERT(st.comm_seconds < 0.5 * K * D);
        } else {
            CU_ASSERT(st.wait_seconds < 0.5 * K * D); /* rank 0 arrives last */
        }
        /* the report says how wait was measured; the per-rank table holds the same wait */
        f = open_memstream(&text, &len);
        rc = dc_prof_view(env, f);
        if (f != NULL)
            fclose(f);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        if (dct_rank == 0 && text != NULL) {
            const char *want = n == 1   ? "wait measured at every library collective's entry"
                               : n == 4 ? "wait measured at 1 of every 4 library collective"
                                        : "wait not measured";
            CU_ASSERT(strstr(text, want) != NULL);
        }
        free(text);
        /* the largest wait over ranks: about (K - 0) * D on the ranks that waited */
        wmax = st.wait_seconds;
        cmax = st.comm_seconds;
        MPI_Allreduce(MPI_IN_PLACE, &wmax, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &cmax, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
        if (dct_size > 1 && n > 0)
            CU_ASSERT(wmax >= 0.8 * K * D);
        if (dct_size == 1)
            CU_ASSERT(wmax < 0.5 * K * D && cmax < 0.5 * K * D);
        free_vectors(&l, &x, &y);
        dc_env_destroy(&env);
    }
}

/* Report and region errors: the same code on every rank. */
static void test_report_errors(void)
{
    const char *pname = "DC_PROFILE";
    char *oldp = getenv(pname) ? strdup(getenv(pname)) : NULL;
    dc_env_t *env = env_with_profile(1), *bad = NULL;
    int rc;

    DCT_ASSERT_ALL(env != NULL);
    if (env != NULL) {
        /* a file that cannot be opened: DC_ERR_IO everywhere, not a fallback to stdout */
        rc = dc_prof_report(env, DC_PROF_TEXT, "/nonexistent-dir/dc/report.txt");
        DCT_ASSERT_ALL(rc == DC_ERR_IO);
        CU_ASSERT(dct_rank != 0 || strstr(dc_env_last_error(env), "nonexistent-dir") != NULL);
        rc = dc_prof_report(env, (dc_prof_format_t)7, NULL);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        /* regions */
        CU_ASSERT_EQUAL(dc_prof_region_end(env, "none"), DC_ERR_ARG); /* nothing open */
        CU_ASSERT_EQUAL(dc_prof_region_begin(env, NULL), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_prof_region_begin(env, ""), DC_ERR_ARG);
        CU_ASSERT_EQUAL(dc_prof_region_begin(env, "a"), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_prof_region_end(env, "b"), DC_ERR_ARG); /* not the innermost */
        CU_ASSERT(strstr(dc_env_last_error(env), "\"a\"") != NULL);
        CU_ASSERT_EQUAL(dc_prof_region_end(env, "a"), DC_SUCCESS);
        CU_ASSERT_EQUAL(dc_prof_region_end(env, "a"), DC_ERR_ARG); /* closed already */
        dc_env_destroy(&env);
    }
    CU_ASSERT_EQUAL(dc_prof_region_begin(NULL, "a"), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_prof_report(NULL, DC_PROF_TEXT, NULL), DC_ERR_ARG);
    /* DC_PROFILE naming an unwritable file: dc_env_create fails with DC_ERR_IO on every rank
     * (options are read on rank 0) */
    if (dct_rank == 0)
        setenv(pname, "json:/nonexistent-dir/dc/report.json", 1);
    else
        unsetenv(pname);
    rc = dc_env_create(MPI_COMM_WORLD, NULL, &bad);
    DCT_ASSERT_ALL(rc == DC_ERR_IO && bad == NULL);
    if (bad != NULL)
        dc_env_destroy(&bad);
    /* an invalid value lists the allowed ones */
    if (dct_rank == 0)
        setenv(pname, "xml", 1);
    rc = dc_env_create(MPI_COMM_WORLD, NULL, &bad);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG && bad == NULL);
    CU_ASSERT(dct_rank != 0 || strstr(dc_env_last_error(NULL), "json") != NULL);
    if (bad != NULL)
        dc_env_destroy(&bad);
    /* DC_PROFILE_SYNC is a count (1 in N entries): not an integer, or negative, is refused */
    {
        static const char *const bads[] = {"-1", "yes", "4x"};
        char *olds;
        int b;
        for (b = 0; b < 3; b++) {
            env_put("DC_PROFILE_SYNC", bads[b], &olds);
            if (dct_rank == 0)
                setenv(pname, "text:/dev/null", 1);
            rc = dc_env_create(MPI_COMM_WORLD, NULL, &bad);
            env_restore("DC_PROFILE_SYNC", &olds);
            DCT_ASSERT_ALL(rc == DC_ERR_ARG && bad == NULL);
            CU_ASSERT(dct_rank != 0 || strstr(dc_env_last_error(NULL), "DC_PROFILE_SYNC") != NULL);
            if (bad != NULL)
                dc_env_destroy(&bad);
        }
    }
    if (oldp) {
        setenv(pname, oldp, 1);
        free(oldp);
    } else {
        unsetenv(pname);
    }
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("prof", NULL, NULL);

    CU_add_test(s, "off: nothing counted", test_off_counts_nothing);
    CU_add_test(s, "counts, bytes, time, reset", test_counts_and_reset);
    CU_add_test(s, "view: rows, slowest rank, placement", test_view);
    CU_add_test(s, "DC_PROFILE_FILE at destroy", test_profile_file);
    CU_add_test(s, "bad input", test_bad_input);
    CU_add_test(s, "regions and the JSON report read back", test_regions_json);
    CU_add_test(s, "wait: imposed imbalance, DC_PROFILE_SYNC 1, 4, 0", test_wait);
    CU_add_test(s, "report and region errors", test_report_errors);
}
