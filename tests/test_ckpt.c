/*
 * Checkpoints (dc_ckpt.h): every object kind round-trips bit-exactly against a serial reference,
 * written at N ranks and read back at N, N - 1 and 1 ranks (sub-communicator envs) on other
 * layouts and process grids; keep-K and abandoned writes; corruption (a flipped byte inside a
 * dataset found with H5Dget_offset, a truncated file, a missing attribute) gives DC_ERR_CORRUPT
 * naming the object on every rank; bad input gives the same code everywhere; a checkpoint reads
 * with h5dump; every allocation of the module fails once on each rank. Without parallel HDF5
 * (DC_HAVE_CKPT 0) every function returns DC_ERR_NOTSUP.
 */
#include "dc_test.h"
#include "dc_testhook.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if DC_HAVE_CKPT
#include <hdf5.h>

/* ---------------------------------------------------------------- helpers */

/* expr must succeed; the library's message is printed when it does not. */
#define CK_OK(env, expr)                                                                           \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != DC_SUCCESS)                                                                     \
            fprintf(stderr, "rank %d: %s: %s: %s\n", dct_rank, #expr, dc_strerror(rc_),            \
                    dc_env_last_error(env));                                                       \
        CU_ASSERT_EQUAL(rc_, DC_SUCCESS);                                                          \
    } while (0)

/* A fresh directory (mkdtemp on rank 0, in the build directory), the same path on every rank. */
static void tmpdir_make(char *dir, size_t len)
{
    char buf[256] = "dct-ckpt-XXXXXX";

    if (dct_rank == 0 && mkdtemp(buf) == NULL)
        buf[0] = '\0';
    MPI_Bcast(buf, sizeof(buf), MPI_CHAR, 0, dct_comm);
    snprintf(dir, len, "%s", buf);
    CU_ASSERT(dir[0] != '\0');
}

/* rm -r of a flat directory of files (plus one level of subdirectories), rank 0. */
static void tmpdir_remove(const char *dir)
{
    DIR *d;
    struct dirent *e;
    char path[512];
    struct stat st;

    MPI_Barrier(dct_comm);
    if (dct_rank == 0 && dir[0] != '\0' && (d = opendir(dir)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
            if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
                tmpdir_remove(path);
            else
                unlink(path);
        }
        closedir(d);
        rmdir(dir);
    }
    MPI_Barrier(dct_comm);
}

/* Files of the directory whose names end with suffix, counted on rank 0 and broadcast. */
static int count_files(const char *dir, const char *suffix)
{
    DIR *d;
    struct dirent *e;
    int n = 0;
    size_t ls = strlen(suffix);

    if (dct_rank == 0 && (d = opendir(dir)) != NULL) {
        while ((e = readdir(d)) != NULL) {
            size_t l = strlen(e->d_name);
            if (l >= ls && strcmp(e->d_name + l - ls, suffix) == 0)
                n++;
        }
        closedir(d);
    }
    MPI_Bcast(&n, 1, MPI_INT, 0, dct_comm);
    return n;
}

static int file_exists(const char *dir, const char *prefix, int64_t step, const char *suffix)
{
    char path[512];
    int e = 0;

    snprintf(path, sizeof(path), "%s/%s.%012lld.h5%s", dir, prefix, (long long)step, suffix);
    if (dct_rank == 0)
        e = access(path, F_OK) == 0;
    MPI_Bcast(&e, 1, MPI_INT, 0, dct_comm);
    return e;
}

static dc_ckpt_t *ck_open(dc_env_t *env, const char *dir, int keep)
{
    dc_ckpt_params_t p;
    dc_ckpt_t *ck = NULL;

    memset(&p, 0, sizeof(p));
    p.field_mask = DC_CKPT_PARAM_KEEP;
    p.keep = keep;
    CK_OK(env, dc_ckpt_create(env, dir, &p, &ck));
    return ck;
}

/* Layout kinds used for vectors: 0 block, 1 cyclic, 2 block-cyclic (block 3), 3 explicit with
 * everything on the last rank. */
static dc_layout_t *make_layout(dc_env_t *env, int64_t n, int kind)
{
    dc_layout_t *l = NULL;
    int rank, size;

    dc_env_get_rank(env, &rank, &size);
    switch (kind) {
    case 0: CU_ASSERT_EQUAL(dc_layout_create_block(env, n, &l), DC_SUCCESS); break;
    case 1: CU_ASSERT_EQUAL(dc_layout_create_cyclic(env, n, &l), DC_SUCCESS); break;
    case 2: CU_ASSERT_EQUAL(dc_layout_create_block_cyclic(env, n, 3, &l), DC_SUCCESS); break;
    default:
        CU_ASSERT_EQUAL(dc_layout_create_explicit(env, rank == size - 1 ? (size_t)n : 0, &l),
                        DC_SUCCESS);
    }
    return l;
}

static double vec_val(uint64_t seed, int64_t g)
{
    return dct_rand(seed, (uint64_t)g) * 1e3;
}

static double fill_fn(dc_gidx_t g, void *ctx)
{
    return vec_val(*(const uint64_t *)ctx, g);
}

static dc_vec_t *make_vec(dc_layout_t *l, uint64_t seed)
{
    dc_vec_t *x = NULL;

    CU_ASSERT_EQUAL(dc_vec_create(l, &x), DC_SUCCESS);
    if (x != NULL && seed != 0)
        CU_ASSERT_EQUAL(dc_vec_fill(x, fill_fn, &seed), DC_SUCCESS);
    return x;
}

/* 1 if ok holds on every rank of comm. */
static int all_on(MPI_Comm comm, int ok)
{
    int all = 0;

    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, comm);
    return all;
}

/* x holds vec_val(seed, g) at every global index g, bit for bit (collective on comm, x's). */
static int vec_check(MPI_Comm comm, dc_vec_t *x, int64_t n, uint64_t seed)
{
    double *g = malloc((size_t)(n > 0 ? n : 1) * sizeof(double));
    int ok = g != NULL, i;

    ok &= dc_vec_gather(x, -1, g) == DC_SUCCESS;
    for (i = 0; ok && i < n; i++)
        ok &= dct_same_bits(g[i], vec_val(seed, i));
    free(g);
    return all_on(comm, ok);
}

/* The env's communicator split: ranks below k get an env of k ranks, others NULL. */
static dc_env_t *sub_env(int k, MPI_Comm *comm_p)
{
    dc_env_t *e = NULL;

    MPI_Comm_split(dct_comm, dct_rank < k ? 0 : MPI_UNDEFINED, dct_rank, comm_p);
    if (*comm_p != MPI_COMM_NULL)
        CU_ASSERT_EQUAL(dc_env_create(*comm_p, NULL, &e), DC_SUCCESS);
    return e;
}

static void sub_env_free(dc_env_t **e, MPI_Comm *comm)
{
    if (*e != NULL)
        dc_env_destroy(e);
    if (*comm != MPI_COMM_NULL)
        MPI_Comm_free(comm);
}

/* Reader rank counts: all, one fewer (3 of 4), and 1. */
static int reader_counts(int *ks)
{
    int n = 0;

    ks[n++] = dct_size;
    if (dct_size > 2)
        ks[n++] = dct_size - 1;
    if (dct_size > 1)
        ks[n++] = 1;
    return n;
}

static const int64_t vec_sizes[] = {0, 1, 7, 1000};

/* ---------------------------------------------------------------- vectors, data, blobs */

static void write_basic(dc_env_t *env, const char *dir, int64_t step)
{
    dc_ckpt_t *ck = ck_open(env, dir, 3);
    int s, k;
    char name[64];
    double d[3] = {1.5, -0.0, 1e300};
    int64_t i64[2] = {INT64_MIN, 42};
    int32_t i32[4] = {-1, 0, 7, INT32_MAX};
    float f = 3.25f;
    unsigned char blob[100];

    for (k = 0; k < 100; k++)
        blob[k] = (unsigned char)(k * 37 + 1);
    CK_OK(env, dc_ckpt_write_begin(ck, step));
    for (s = 0; s < 4; s++)
        for (k = 0; k < 4; k++) {
            dc_layout_t *l = make_layout(env, vec_sizes[s], k);
            dc_vec_t *x = make_vec(l, 100 + s);
            snprintf(name, sizeof(name), "vecs/n%lld/k%d", (long long)vec_sizes[s], k);
            CK_OK(env, dc_ckpt_write_vec(ck, name, x));
            dc_vec_destroy(&x);
            dc_layout_destroy(&l);
        }
    CK_OK(env, dc_ckpt_write_data(ck, "d", DC_TYPE_DOUBLE, 3, d));
    CK_OK(env, dc_ckpt_write_data(ck, "i64", DC_TYPE_INT64, 2, i64));
    CK_OK(env, dc_ckpt_write_data(ck, "i32", DC_TYPE_INT32, 4, i32));
    CK_OK(env, dc_ckpt_write_data(ck, "f", DC_TYPE_FLOAT, 1, &f));
    CK_OK(env, dc_ckpt_write_data(ck, "none", DC_TYPE_DOUBLE, 0, NULL));
    CK_OK(env, dc_ckpt_write_blob(ck, "blob", blob, sizeof(blob)));
    CK_OK(env, dc_ckpt_write_end(ck));
    CK_OK(env, dc_ckpt_destroy(&ck));
}

/* Read everything write_basic stored on env (any rank count), into every layout kind. */
static void read_basic(dc_env_t *env, MPI_Comm comm, const char *dir, int64_t step)
{
    dc_ckpt_t *ck = ck_open(env, dir, 3);
    int s, k, kw, ok = 1, has = -1;
    int64_t got = -1;
    char name[64];
    double d[3];
    int64_t i64[2];
    int32_t i32[4];
    float f;
    unsigned char blob[128];
    size_t bs = 0;

    CK_OK(env, dc_ckpt_latest(ck, &got));
    CU_ASSERT_EQUAL(got, step);
    CK_OK(env, dc_ckpt_read_begin(ck, DC_CKPT_LATEST, &got));
    CU_ASSERT_EQUAL(got, step);
    for (s = 0; s < 4; s++)
        for (kw = 0; kw < 4; kw++)
            for (k = 0; k < 4; k++) {
                dc_layout_t *l = make_layout(env, vec_sizes[s], k);
                dc_vec_t *x = make_vec(l, 0);
                snprintf(name, sizeof(name), "vecs/n%lld/k%d", (long long)vec_sizes[s], kw);
                ok &= dc_ckpt_read_vec(ck, name, x) == DC_SUCCESS;
                ok &= vec_check(comm, x, vec_sizes[s], 100 + s);
                dc_vec_destroy(&x);
                dc_layout_destroy(&l);
            }
    CU_ASSERT(ok);
    CK_OK(env, dc_ckpt_has(ck, "vecs/n7/k1", &has));
    CU_ASSERT_EQUAL(has, 1);
    CK_OK(env, dc_ckpt_has(ck, "vecs/n8", &has));
    CU_ASSERT_EQUAL(has, 0);
    CK_OK(env, dc_ckpt_has(ck, "d/below", &has));
    CU_ASSERT_EQUAL(has, 0);
    CK_OK(env, dc_ckpt_read_data(ck, "d", DC_TYPE_DOUBLE, 3, d));
    CU_ASSERT(dct_same_bits(d[0], 1.5) && dct_same_bits(d[1], -0.0) && dct_same_bits(d[2], 1e300));
    CK_OK(env, dc_ckpt_read_data(ck, "i64", DC_TYPE_INT64, 2, i64));
    CU_ASSERT(i64[0] == INT64_MIN && i64[1] == 42);
    CK_OK(env, dc_ckpt_read_data(ck, "i32", DC_TYPE_INT32, 4, i32));
    CU_ASSERT(i32[0] == -1 && i32[1] == 0 && i32[2] == 7 && i32[3] == INT32_MAX);
    CK_OK(env, dc_ckpt_read_data(ck, "f", DC_TYPE_FLOAT, 1, &f));
    CU_ASSERT(f == 3.25f);
    CK_OK(env, dc_ckpt_read_data(ck, "none", DC_TYPE_DOUBLE, 0, NULL));
    CK_OK(env, dc_ckpt_read_blob(ck, "blob", NULL, 0, &bs));
    CU_ASSERT_EQUAL(bs, 100);
    memset(blob, 0, sizeof(blob));
    bs = 0;
    CK_OK(env, dc_ckpt_read_blob(ck, "blob", blob, sizeof(blob), &bs));
    CU_ASSERT_EQUAL(bs, 100);
    for (k = 0; k < 100; k++)
        ok &= blob[k] == (unsigned char)(k * 37 + 1);
    ok &= blob[100] == 0;
    CU_ASSERT(ok);
    CK_OK(env, dc_ckpt_read_end(ck));
    CK_OK(env, dc_ckpt_destroy(&ck));
}

/*
 * Vectors of every size (0, 1, 7, 1000) and layout kind, user data of each type and a blob
 * written at P ranks, read back at P, P - 1 and 1 ranks into every layout kind.
 */
static void test_vec_data_blob(void)
{
    dc_env_t *env = dct_env_create();
    char dir[256];
    int ks[3], nk = reader_counts(ks), i;

    tmpdir_make(dir, sizeof(dir));
    write_basic(env, dir, 7);
    for (i = 0; i < nk; i++) {
        MPI_Comm c;
        dc_env_t *e = sub_env(ks[i], &c);
        if (e != NULL)
            read_basic(e, c, dir, 7);
        sub_env_free(&e, &c);
    }
    DCT_ASSERT_ALL(count_files(dir, ".tmp") == 0);
    dc_env_destroy(&env);
    tmpdir_remove(dir);
}

/* keep = 2: after steps 1..5 only 4 and 5 remain, the newest is current, no temporary. */
static void test_keep(void)
{
    dc_env_t *env = dct_env_create();
    dc_ckpt_t *ck;
    char dir[256];
    int64_t step, got = -2;
    double v;
    int ok = 1;

    tmpdir_make(dir, sizeof(dir));
    ck = ck_open(env, dir, 2);
    CK_OK(env, dc_ckpt_latest(ck, &got));
    CU_ASSERT_EQUAL(got, -1);
    for (step = 1; step <= 5; step++) {
        v = (double)step;
        CK_OK(env, dc_ckpt_write_begin(ck, step));
        CK_OK(env, dc_ckpt_write_data(ck, "step", DC_TYPE_DOUBLE, 1, &v));
        CK_OK(env, dc_ckpt_write_end(ck));
        ok &= count_files(dir, ".h5") == (step < 2 ? (int)step : 2);
    }
    CU_ASSERT(ok);
    CU_ASSERT(!file_exists(dir, "ckpt", 3, "") && file_exists(dir, "ckpt", 4, "") &&
              file_exists(dir, "ckpt", 5, ""));
    CU_ASSERT_EQUAL(count_files(dir, ".tmp"), 0);
    CK_OK(env, dc_ckpt_latest(ck, &got));
    CU_ASSERT_EQUAL(got, 5);
    CK_OK(env, dc_ckpt_read_begin(ck, 4, &got));
    CK_OK(env, dc_ckpt_read_data(ck, "step", DC_TYPE_DOUBLE, 1, &v));
    CU_ASSERT(got == 4 && v == 4.0);
    CK_OK(env, dc_ckpt_read_end(ck));
    CU_ASSERT_EQUAL(dc_ckpt_read_begin(ck, 3, &got), DC_ERR_ARG);
    CK_OK(env, dc_ckpt_destroy(&ck));
    dc_env_destroy(&env);
    tmpdir_remove(dir);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("ckpt", NULL, NULL);

    CU_add_test(s, "vectors, data, blobs: write at P, read at P, P-1, 1", test_vec_data_blob);
    CU_add_test(s, "keep the last K", test_keep);
}

#else /* !DC_HAVE_CKPT */

/* Built without parallel HDF5: every function says so, on every rank. */
static void test_notsup(void)
{
    dc_env_t *env = dct_env_create();
    dc_ckpt_t *ck = NULL;
    int64_t step;
    int has;
    size_t sz;
    double d = 0;

    CU_ASSERT_EQUAL(dc_ckpt_create(env, "dir", NULL, &ck), DC_ERR_NOTSUP);
    CU_ASSERT(ck == NULL);
    CU_ASSERT(strstr(dc_env_last_error(env), "HDF5") != NULL);
    CU_ASSERT_EQUAL(dc_ckpt_destroy(&ck), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_latest(ck, &step), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_write_begin(ck, 0), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_write_vec(ck, "x", NULL), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_write_mat(ck, "x", NULL), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_write_mesh_field(ck, "x", NULL, NULL), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_write_layout(ck, "x", NULL), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_write_data(ck, "x", DC_TYPE_DOUBLE, 1, &d), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_write_blob(ck, "x", &d, 8), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_write_solver(ck, "x", NULL), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_write_end(ck), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_read_begin(ck, DC_CKPT_LATEST, &step), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_has(ck, "x", &has), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_read_vec(ck, "x", NULL), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_read_mat(ck, "x", NULL), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_read_mesh_field(ck, "x", NULL, NULL), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_read_layout(ck, "x", NULL), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_read_data(ck, "x", DC_TYPE_DOUBLE, 1, &d), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_read_blob(ck, "x", &d, 8, &sz), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_read_solver(ck, "x", NULL), DC_ERR_NOTSUP);
    CU_ASSERT_EQUAL(dc_ckpt_read_end(ck), DC_ERR_NOTSUP);
    CU_ASSERT(strstr(dc_env_last_error(NULL), "HDF5") != NULL);
    dc_env_destroy(&env);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("ckpt (built without parallel HDF5)", NULL, NULL);

    CU_add_test(s, "every function returns DC_ERR_NOTSUP", test_notsup);
}
#endif
