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

/* A fresh directory (mkdtemp on rank 0, in the build directory or under base), the same path on
 * every rank. */
static void tmpdir_make_in(const char *base, char *dir, size_t len)
{
    char buf[256] = "dct-ckpt-XXXXXX";

    if (base != NULL)
        snprintf(buf, sizeof(buf), "%s/dct-ckpt-XXXXXX", base);

    if (dct_rank == 0 && mkdtemp(buf) == NULL)
        buf[0] = '\0';
    MPI_Bcast(buf, sizeof(buf), MPI_CHAR, 0, dct_comm);
    snprintf(dir, len, "%s", buf);
    CU_ASSERT(dir[0] != '\0');
}

static void tmpdir_make(char *dir, size_t len)
{
    tmpdir_make_in(NULL, dir, len);
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

/* ---------------------------------------------------------------- matrices */

static const int64_t mat_shapes[][2] = {{13, 7}, {1, 1}, {0, 5}, {6, 0}, {40, 33}};
#define NMAT ((int)(sizeof(mat_shapes) / sizeof(mat_shapes[0])))

/* a holds dct_mat_entry(i, j, seed) at every entry (collective on comm). */
static int mat_check(MPI_Comm comm, const dc_mat_t *a, uint64_t seed)
{
    const double *p = NULL;
    size_t mloc = 0, nloc = 0, lld = 0, i, j;
    dc_gidx_t gi, gj;
    int ok = dc_mat_get_local_size(a, &mloc, &nloc, &lld) == DC_SUCCESS &&
             dc_mat_get_array_read(a, &p, &lld) == DC_SUCCESS;

    for (j = 0; ok && j < nloc; j++)
        for (i = 0; ok && i < mloc; i++)
            ok = dc_mat_local_to_global(a, i, j, &gi, &gj) == DC_SUCCESS &&
                 dct_same_bits(p[i + j * lld], dct_mat_entry(gi, gj, &seed));
    if (p != NULL)
        dc_mat_restore_array_read(a, &p);
    return all_on(comm, ok);
}

/* A matrix on env on grid g (0: near square, 1: P x 1, 2: 1 x P) with blocks mb x nb. */
static dc_mat_t *make_mat(dc_env_t *env, int64_t m, int64_t n, int g, int64_t mb, int64_t nb,
                          uint64_t seed)
{
    dc_grid_t *grid = NULL;
    dc_mat_t *a = NULL;
    int size, pr, pc;

    dc_env_get_rank(env, NULL, &size);
    if (g == 0)
        dct_near_square(size, &pr, &pc);
    else if (g == 1)
        pr = size, pc = 1;
    else
        pr = 1, pc = size;
    CK_OK(env, dc_grid_create(env, pr, pc, &grid));
    CK_OK(env, dc_mat_create(grid, m, n, mb, nb, 0, 0, &a));
    if (a != NULL && seed != 0)
        CK_OK(env, dc_mat_fill(a, dct_mat_entry, &seed));
    dc_grid_destroy(&grid);
    return a;
}

/* Matrices of several shapes (empty ones too) written 2-D block-cyclic at P ranks, read back
 * on other grids and blocks at P, P - 1 and 1 ranks. */
static void test_mat(void)
{
    dc_env_t *env = dct_env_create();
    dc_ckpt_t *ck;
    char dir[256], name[32];
    int ks[3], nk = reader_counts(ks), i, s, g;

    tmpdir_make(dir, sizeof(dir));
    ck = ck_open(env, dir, 2);
    CK_OK(env, dc_ckpt_write_begin(ck, 0));
    for (s = 0; s < NMAT; s++) {
        dc_mat_t *a = make_mat(env, mat_shapes[s][0], mat_shapes[s][1], 0, 2, 3, 11 + s);
        snprintf(name, sizeof(name), "m%d", s);
        CK_OK(env, dc_ckpt_write_mat(ck, name, a));
        dc_mat_destroy(&a);
    }
    CK_OK(env, dc_ckpt_write_end(ck));
    CK_OK(env, dc_ckpt_destroy(&ck));
    for (i = 0; i < nk; i++) {
        MPI_Comm c;
        dc_env_t *e = sub_env(ks[i], &c);
        if (e != NULL) {
            int ok = 1;
            ck = ck_open(e, dir, 2);
            CK_OK(e, dc_ckpt_read_begin(ck, DC_CKPT_LATEST, NULL));
            for (s = 0; s < NMAT; s++)
                for (g = 0; g < 3; g++) {
                    dc_mat_t *a =
                        make_mat(e, mat_shapes[s][0], mat_shapes[s][1], g, 5 - g, 2 + g, 0);
                    snprintf(name, sizeof(name), "m%d", s);
                    CK_OK(e, dc_ckpt_read_mat(ck, name, a));
                    ok &= mat_check(c, a, 11 + s);
                    dc_mat_destroy(&a);
                }
            CU_ASSERT(ok);
            CK_OK(e, dc_ckpt_read_end(ck));
            CK_OK(e, dc_ckpt_destroy(&ck));
        }
        sub_env_free(&e, &c);
    }
    dc_env_destroy(&env);
    tmpdir_remove(dir);
}

/* ---------------------------------------------------------------- mesh fields */

typedef struct mcase {
    int dim;
    dc_gidx_t n[3];
    int dof;
} mcase_t;

static const mcase_t mesh_cases[] = {{1, {10, 1, 1}, 3}, {2, {11, 7, 1}, 2}, {3, {5, 4, 3}, 1}};

/* A mesh of case c on env: procs 0 = default grid, 1 = all ranks in the last dimension. */
static dc_mesh_t *make_mesh(dc_env_t *env, const mcase_t *c, int procs)
{
    dc_mesh_t *m = NULL;
    dc_mesh_params_t p;
    int size;

    dc_env_get_rank(env, NULL, &size);
    memset(&p, 0, sizeof(p));
    if (procs == 1) {
        p.field_mask = DC_MESH_PARAM_PROCS;
        p.procs[0] = p.procs[1] = p.procs[2] = 1;
        p.procs[c->dim - 1] = size;
        if (c->n[c->dim - 1] < size) /* not enough planes: all ranks in x */
            p.procs[c->dim - 1] = 1, p.procs[0] = size;
    }
    CK_OK(env, dc_mesh_create(env, c->dim, c->n, c->dof, 1, &p, &m));
    return m;
}

static int64_t mesh_values(const mcase_t *c)
{
    return c->n[0] * c->n[1] * c->n[2] * c->dof;
}

/* Mesh fields (1-D dof 3, 2-D dof 2, 3-D dof 1) written on the default process grid at P ranks,
 * read back on another grid at P and on P - 1 and 1 ranks; checked in natural order. */
static void test_mesh(void)
{
    dc_env_t *env = dct_env_create();
    dc_ckpt_t *ck;
    char dir[256], name[32];
    int ks[3], nk = reader_counts(ks), i, s, pg, ok = 1;
    int ncase = (int)(sizeof(mesh_cases) / sizeof(mesh_cases[0]));

    tmpdir_make(dir, sizeof(dir));
    ck = ck_open(env, dir, 2);
    CK_OK(env, dc_ckpt_write_begin(ck, 3));
    for (s = 0; s < ncase; s++) {
        dc_mesh_t *m = make_mesh(env, &mesh_cases[s], 0);
        dc_layout_t *l = NULL;
        dc_vec_t *u = NULL;
        int64_t nv = mesh_values(&mesh_cases[s]), g;
        double *nat = malloc((size_t)nv * sizeof(double));
        for (g = 0; g < nv; g++)
            nat[g] = vec_val(300 + s, g);
        CK_OK(env, dc_mesh_get_layout(m, &l));
        CK_OK(env, dc_vec_create(l, &u));
        CK_OK(env, dc_mesh_scatter_natural(m, 0, nat, u));
        snprintf(name, sizeof(name), "fields/f%d", s);
        CK_OK(env, dc_ckpt_write_mesh_field(ck, name, m, u));
        free(nat);
        dc_vec_destroy(&u);
        dc_mesh_destroy(&m);
    }
    CK_OK(env, dc_ckpt_write_end(ck));
    CK_OK(env, dc_ckpt_destroy(&ck));
    for (i = 0; i < nk; i++) {
        MPI_Comm c;
        dc_env_t *e = sub_env(ks[i], &c);
        if (e != NULL) {
            ck = ck_open(e, dir, 2);
            CK_OK(e, dc_ckpt_read_begin(ck, 3, NULL));
            for (s = 0; s < ncase; s++)
                for (pg = 0; pg < 2; pg++) {
                    dc_mesh_t *m = make_mesh(e, &mesh_cases[s], pg);
                    dc_layout_t *l = NULL;
                    dc_vec_t *u = NULL;
                    int64_t nv = mesh_values(&mesh_cases[s]), g;
                    double *nat = malloc((size_t)nv * sizeof(double));
                    int lok = 1;
                    CK_OK(e, dc_mesh_get_layout(m, &l));
                    CK_OK(e, dc_vec_create(l, &u));
                    snprintf(name, sizeof(name), "fields/f%d", s);
                    CK_OK(e, dc_ckpt_read_mesh_field(ck, name, m, u));
                    CK_OK(e, dc_mesh_gather_natural(m, u, -1, nat));
                    for (g = 0; g < nv; g++)
                        lok &= dct_same_bits(nat[g], vec_val(300 + s, g));
                    ok &= all_on(c, lok);
                    free(nat);
                    dc_vec_destroy(&u);
                    dc_mesh_destroy(&m);
                }
            /* another shape: DC_ERR_SIZE */
            {
                mcase_t other = mesh_cases[1];
                dc_mesh_t *m;
                dc_layout_t *l = NULL;
                dc_vec_t *u = NULL;
                other.dof = 1;
                m = make_mesh(e, &other, 0);
                dc_mesh_get_layout(m, &l);
                dc_vec_create(l, &u);
                CU_ASSERT_EQUAL(dc_ckpt_read_mesh_field(ck, "fields/f1", m, u), DC_ERR_SIZE);
                dc_vec_destroy(&u);
                dc_mesh_destroy(&m);
            }
            CK_OK(e, dc_ckpt_read_end(ck));
            CK_OK(e, dc_ckpt_destroy(&ck));
        }
        sub_env_free(&e, &c);
    }
    CU_ASSERT(ok);
    dc_env_destroy(&env);
    tmpdir_remove(dir);
}

/* ---------------------------------------------------------------- layouts */

/* Layouts of every kind: at the same rank count the same kind (weighted: explicit) and counts,
 * at other counts rebuilt (weighted and explicit: block). */
static void test_layout(void)
{
    dc_env_t *env = dct_env_create();
    dc_ckpt_t *ck;
    dc_layout_t *l;
    char dir[256], name[32];
    int ks[3], nk = reader_counts(ks), i, k, r, ok = 1;
    const int64_t n = 23;

    tmpdir_make(dir, sizeof(dir));
    ck = ck_open(env, dir, 2);
    CK_OK(env, dc_ckpt_write_begin(ck, 0));
    for (k = 0; k < 5; k++) {
        l = NULL;
        if (k < 3)
            l = make_layout(env, n, k);
        else if (k == 3)
            CK_OK(env, dc_layout_create_weighted(env, n, 1.0 + dct_rank, &l));
        else
            l = make_layout(env, n, 3);
        snprintf(name, sizeof(name), "l%d", k);
        CK_OK(env, dc_ckpt_write_layout(ck, name, l));
        dc_layout_destroy(&l);
    }
    CK_OK(env, dc_ckpt_write_end(ck));
    CK_OK(env, dc_ckpt_destroy(&ck));
    for (i = 0; i < nk; i++) {
        MPI_Comm c;
        dc_env_t *e = sub_env(ks[i], &c);
        if (e != NULL) {
            ck = ck_open(e, dir, 2);
            CK_OK(e, dc_ckpt_read_begin(ck, DC_CKPT_LATEST, NULL));
            for (k = 0; k < 5; k++) {
                dc_layout_t *ref = NULL;
                dc_layout_kind_t kind, want;
                dc_gidx_t gn = -1, b = -1;
                int same = ks[i] == dct_size, lok = 1;
                l = NULL;
                snprintf(name, sizeof(name), "l%d", k);
                CK_OK(e, dc_ckpt_read_layout(ck, name, &l));
                if (l == NULL)
                    continue;
                dc_layout_get_kind(l, &kind, &b);
                dc_layout_get_global_size(l, &gn);
                want = k < 3 ? (dc_layout_kind_t)k : same ? DC_LAYOUT_EXPLICIT : DC_LAYOUT_BLOCK;
                lok = kind == want && gn == n && (k != 2 || b == 3);
                /* the counts: the writer's at the same rank count, else the rebuilt kind's */
                if (same && k >= 3) {
                    if (k == 3)
                        dc_layout_create_weighted(e, n, 1.0 + dct_rank, &ref);
                    else
                        ref = make_layout(e, n, 3);
                } else
                    ref = make_layout(e, n, k < 3 ? k : 0);
                for (r = 0; r < ks[i]; r++) {
                    size_t c1 = 0, c2 = 1;
                    dc_layout_get_rank_size(l, r, &c1);
                    dc_layout_get_rank_size(ref, r, &c2);
                    lok &= c1 == c2;
                }
                ok &= all_on(c, lok);
                dc_layout_destroy(&ref);
                dc_layout_destroy(&l);
            }
            CK_OK(e, dc_ckpt_read_end(ck));
            CK_OK(e, dc_ckpt_destroy(&ck));
        }
        sub_env_free(&e, &c);
    }
    CU_ASSERT(ok);
    dc_env_destroy(&env);
    tmpdir_remove(dir);
}

/* ---------------------------------------------------------------- abandoned writes */

/* A write destroyed before write_end, and one whose object fails, leave the previous checkpoint
 * current and no temporary; a stale temporary is removed by dc_ckpt_create. */
static void test_abandon(void)
{
    dc_env_t *env = dct_env_create();
    dc_ckpt_t *ck;
    dc_layout_t *l = make_layout(env, 50, 1);
    dc_vec_t *x = make_vec(l, 7), *y = make_vec(l, 0);
    char dir[256], path[512];
    int64_t got = -1;
    FILE *f;

    tmpdir_make(dir, sizeof(dir));
    ck = ck_open(env, dir, 2);
    CK_OK(env, dc_ckpt_write_begin(ck, 1));
    CK_OK(env, dc_ckpt_write_vec(ck, "x", x));
    CK_OK(env, dc_ckpt_write_end(ck));
    /* 1. destroyed with a write open */
    CK_OK(env, dc_ckpt_write_begin(ck, 2));
    CU_ASSERT(file_exists(dir, "ckpt", 2, ".tmp"));
    CK_OK(env, dc_ckpt_write_vec(ck, "x", y));
    CK_OK(env, dc_ckpt_destroy(&ck));
    CU_ASSERT(!file_exists(dir, "ckpt", 2, ".tmp") && !file_exists(dir, "ckpt", 2, ""));
    /* 2. an object fails (name taken), then destroy */
    ck = ck_open(env, dir, 2);
    CK_OK(env, dc_ckpt_latest(ck, &got));
    CU_ASSERT_EQUAL(got, 1);
    CK_OK(env, dc_ckpt_write_begin(ck, 3));
    CK_OK(env, dc_ckpt_write_vec(ck, "x", y));
    CU_ASSERT_EQUAL(dc_ckpt_write_vec(ck, "x", y), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_write_vec(ck, "x/under", y), DC_ERR_ARG);
    CK_OK(env, dc_ckpt_destroy(&ck));
    DCT_ASSERT_ALL(count_files(dir, ".tmp") == 0 && !file_exists(dir, "ckpt", 3, ""));
    /* 3. a stale temporary (a job killed while writing) goes at create */
    snprintf(path, sizeof(path), "%s/ckpt.000000000009.h5.tmp", dir);
    if (dct_rank == 0 && (f = fopen(path, "w")) != NULL) {
        fputs("partial", f);
        fclose(f);
    }
    MPI_Barrier(dct_comm);
    ck = ck_open(env, dir, 2);
    CU_ASSERT_EQUAL(count_files(dir, ".tmp"), 0);
    CK_OK(env, dc_ckpt_latest(ck, &got));
    CU_ASSERT_EQUAL(got, 1);
    CK_OK(env, dc_ckpt_read_begin(ck, DC_CKPT_LATEST, &got));
    CK_OK(env, dc_ckpt_read_vec(ck, "x", y));
    CU_ASSERT(vec_check(dct_comm, y, 50, 7));
    CK_OK(env, dc_ckpt_read_end(ck));
    CK_OK(env, dc_ckpt_destroy(&ck));
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    dc_layout_destroy(&l);
    dc_env_destroy(&env);
    tmpdir_remove(dir);
}

/* ---------------------------------------------------------------- corruption */

/* Rank 0: flip one byte of element idx of dataset name in file path (found with H5Dget_offset);
 * or delete its attribute attr when attr is not NULL. 1 on success. */
static int damage(const char *path, const char *name, int64_t idx, const char *attr)
{
    hid_t f, d;
    haddr_t off = HADDR_UNDEF;
    int ok = 0;
    FILE *fp;
    int c;

    f = H5Fopen(path, attr ? H5F_ACC_RDWR : H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return 0;
    d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d >= 0) {
        if (attr)
            ok = H5Adelete(d, attr) >= 0;
        else
            off = H5Dget_offset(d);
        H5Dclose(d);
    }
    H5Fclose(f);
    if (attr)
        return ok;
    if (off == HADDR_UNDEF || (fp = fopen(path, "r+b")) == NULL)
        return 0;
    if (fseek(fp, (long)(off + (haddr_t)idx * 8 + 3), SEEK_SET) == 0 && (c = fgetc(fp)) != EOF &&
        fseek(fp, -1, SEEK_CUR) == 0 && fputc(c ^ 0x10, fp) != EOF)
        ok = 1;
    fclose(fp);
    return ok;
}

/* The message of the last error names what it should, on every rank. */
static int msg_has(dc_env_t *env, const char *a, const char *b)
{
    const char *m = dc_env_last_error(env);
    int ok = strstr(m, a) != NULL && (b == NULL || strstr(m, b) != NULL);

    if (!ok)
        fprintf(stderr, "rank %d: message '%s' lacks '%s' %s\n", dct_rank, m, a, b ? b : "");
    return ok;
}

/*
 * A byte flipped inside vector x's data: DC_ERR_CORRUPT naming x on every rank (naming the
 * writer's block when read on the same layout, also on another layout), while the objects
 * around it still read; a deleted crc32 attribute: DC_ERR_CORRUPT; a truncated file:
 * DC_ERR_CORRUPT at read_begin, naming the file.
 */
static void test_corrupt(void)
{
    dc_env_t *env = dct_env_create();
    dc_ckpt_t *ck;
    dc_layout_t *lb = make_layout(env, 1000, 0), *lc = make_layout(env, 1000, 1);
    dc_vec_t *x = make_vec(lb, 5), *y = make_vec(lb, 0), *z = make_vec(lc, 0);
    char dir[256], path[512], path2[512];
    double d = 2.5, dd = 0;
    int ok;

    tmpdir_make(dir, sizeof(dir));
    ck = ck_open(env, dir, 5);
    CK_OK(env, dc_ckpt_write_begin(ck, 1));
    CK_OK(env, dc_ckpt_write_vec(ck, "a/x", x));
    CK_OK(env, dc_ckpt_write_vec(ck, "a/w", x));
    CK_OK(env, dc_ckpt_write_data(ck, "d", DC_TYPE_DOUBLE, 1, &d));
    CK_OK(env, dc_ckpt_write_end(ck));
    snprintf(path, sizeof(path), "%s/ckpt.000000000001.h5", dir);
    ok = dct_rank != 0 || (damage(path, "a/x", 999, NULL) && damage(path, "a/w", 0, "crc32"));
    DCT_ASSERT_ALL(ok);
    CK_OK(env, dc_ckpt_read_begin(ck, 1, NULL));
    CU_ASSERT_EQUAL(dc_ckpt_read_vec(ck, "a/x", y), DC_ERR_CORRUPT);
    DCT_ASSERT_ALL(msg_has(env, "'a/x'", path) && msg_has(env, "block", "rank"));
    CU_ASSERT_EQUAL(dc_ckpt_read_vec(ck, "a/x", z), DC_ERR_CORRUPT);
    DCT_ASSERT_ALL(msg_has(env, "'a/x'", "checksum"));
    CU_ASSERT_EQUAL(dc_ckpt_read_vec(ck, "a/w", y), DC_ERR_CORRUPT);
    DCT_ASSERT_ALL(msg_has(env, "'a/w'", "crc32"));
    CK_OK(env, dc_ckpt_read_data(ck, "d", DC_TYPE_DOUBLE, 1, &dd));
    CU_ASSERT(dd == 2.5);
    CK_OK(env, dc_ckpt_read_end(ck));
    /* a failed read leaves the target as it was */
    {
        double s = 1;
        CK_OK(env, dc_vec_asum(y, &s));
        CU_ASSERT(s == 0.0);
    }
    /* truncated: a copy of the file cut in half, as step 2 */
    snprintf(path2, sizeof(path2), "%s/ckpt.000000000002.h5", dir);
    if (dct_rank == 0) {
        FILE *in = fopen(path, "rb"), *out = fopen(path2, "wb");
        long n, i;
        if (in && out) {
            fseek(in, 0, SEEK_END);
            n = ftell(in) / 2;
            fseek(in, 0, SEEK_SET);
            for (i = 0; i < n; i++)
                fputc(fgetc(in), out);
        }
        if (in)
            fclose(in);
        if (out)
            fclose(out);
    }
    MPI_Barrier(dct_comm);
    CU_ASSERT_EQUAL(dc_ckpt_read_begin(ck, DC_CKPT_LATEST, NULL), DC_ERR_CORRUPT);
    DCT_ASSERT_ALL(msg_has(env, path2, NULL));
    CK_OK(env, dc_ckpt_destroy(&ck));
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    dc_vec_destroy(&z);
    dc_layout_destroy(&lb);
    dc_layout_destroy(&lc);
    dc_env_destroy(&env);
    tmpdir_remove(dir);
}

/* ---------------------------------------------------------------- bad input */

/* Each call fails with the same code on every rank, with one rank's argument differing or
 * invalid, and the checkpoint stays usable. */
static void test_bad_input(void)
{
    dc_env_t *env = dct_env_create(), *env2 = dct_env_create();
    dc_ckpt_t *ck = NULL, *bad = NULL;
    dc_ckpt_params_t p;
    dc_layout_t *l = make_layout(env, 10, 0), *l2 = make_layout(env2, 10, 0);
    dc_layout_t *l11 = make_layout(env, 11, 0);
    dc_vec_t *x = make_vec(l, 3), *x2 = make_vec(l2, 3), *x11 = make_vec(l11, 0);
    dc_mat_t *a = make_mat(env, 4, 4, 0, 2, 2, 0);
    char dir[256], other[300], name[32];
    const char *badnames[] = {"", "/x", "a//b", "a/../b", "x y", "a/", "./x"};
    int last = dct_rank == dct_size - 1, i, has;
    double d[2] = {1, 2};
    unsigned char blob[8] = {0};
    size_t bs;
    int64_t got;

    tmpdir_make(dir, sizeof(dir));
    snprintf(other, sizeof(other), "%s/other", dir);
    memset(&p, 0, sizeof(p));
    p.field_mask = DC_CKPT_PARAM_KEEP;
    p.keep = 0;
    CU_ASSERT_EQUAL(dc_ckpt_create(env, dir, &p, &bad), DC_ERR_ARG);
    p.keep = last ? 3 : 2;
    CU_ASSERT_EQUAL(dc_ckpt_create(env, dir, dct_size > 1 ? &p : NULL, &bad),
                    dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS);
    dc_ckpt_destroy(&bad);
    p.field_mask = DC_CKPT_PARAM_PREFIX;
    p.prefix = "a.b";
    CU_ASSERT_EQUAL(dc_ckpt_create(env, dir, &p, &bad), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_create(env, last ? other : dir, NULL, &bad),
                    dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS);
    dc_ckpt_destroy(&bad);
    CU_ASSERT_EQUAL(dc_ckpt_create(env, NULL, NULL, &bad), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_create(env, dir, NULL, NULL), DC_ERR_ARG);
    CU_ASSERT(bad == NULL);
    ck = ck_open(env, dir, 2);
    /* handles: NULL fails at once */
    CU_ASSERT_EQUAL(dc_ckpt_write_begin(NULL, 1), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_write_vec(ck, "x", NULL), DC_ERR_ARG);
    /* state */
    CU_ASSERT_EQUAL(dc_ckpt_write_vec(ck, "x", x), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_ckpt_write_end(ck), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_ckpt_read_end(ck), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_ckpt_has(ck, "x", &has), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_ckpt_read_begin(ck, DC_CKPT_LATEST, &got), DC_ERR_ARG); /* none yet */
    CU_ASSERT_EQUAL(dc_ckpt_latest(ck, NULL), DC_ERR_ARG);
    /* write_begin */
    CU_ASSERT_EQUAL(dc_ckpt_write_begin(ck, -1), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_write_begin(ck, last ? 2 : 1), dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS);
    if (dct_size == 1)
        CK_OK(env, dc_ckpt_write_end(ck));
    DCT_ASSERT_ALL(count_files(dir, ".tmp") == 0);
    CK_OK(env, dc_ckpt_write_begin(ck, 5));
    CU_ASSERT_EQUAL(dc_ckpt_write_begin(ck, 6), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_ckpt_read_begin(ck, 5, NULL), DC_ERR_STATE);
    /* objects: names, differing arguments, types, envs */
    for (i = 0; i < (int)(sizeof(badnames) / sizeof(badnames[0])); i++)
        CU_ASSERT_EQUAL(dc_ckpt_write_vec(ck, badnames[i], x), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_write_vec(ck, NULL, x), DC_ERR_ARG);
    snprintf(name, sizeof(name), "x%d", last);
    CU_ASSERT_EQUAL(dc_ckpt_write_vec(ck, name, x), dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_ckpt_write_vec(ck, "x2", x2), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_write_data(ck, "d", DC_TYPE_DOUBLE_LOC, 1, d), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_write_data(ck, "d", DC_TYPE_DOUBLE, last ? 1 : 2, d),
                    dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_ckpt_write_data(ck, "dn", DC_TYPE_DOUBLE, 2, dct_rank == 0 ? NULL : d),
                    DC_ERR_ARG);
    {
        double *arr;
        dc_vec_get_array(x, &arr);
        CU_ASSERT_EQUAL(dc_ckpt_write_vec(ck, "xb", x), DC_ERR_STATE);
        dc_vec_restore_array(x, &arr);
    }
    /* the checkpoint is still good */
    CK_OK(env, dc_ckpt_write_vec(ck, "x", x));
    CK_OK(env, dc_ckpt_write_data(ck, "d2", DC_TYPE_DOUBLE, 2, d));
    CK_OK(env, dc_ckpt_write_blob(ck, "b", blob, sizeof(blob)));
    CK_OK(env, dc_ckpt_write_mat(ck, "a", a));
    CK_OK(env, dc_ckpt_write_end(ck));
    /* reading */
    CU_ASSERT_EQUAL(dc_ckpt_read_begin(ck, 4, NULL), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_read_begin(ck, last ? 4 : 5, NULL),
                    dct_size > 1 ? DC_ERR_ARG : DC_ERR_ARG);
    CK_OK(env, dc_ckpt_read_begin(ck, 5, &got));
    CU_ASSERT_EQUAL(got, 5);
    CU_ASSERT_EQUAL(dc_ckpt_write_begin(ck, 6), DC_ERR_STATE);
    CU_ASSERT_EQUAL(dc_ckpt_read_vec(ck, "nothere", x), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_read_vec(ck, "x", x11), DC_ERR_SIZE);
    CU_ASSERT_EQUAL(dc_ckpt_read_vec(ck, "x", x2), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_read_vec(ck, "d2", x), DC_ERR_ARG); /* not a vector */
    CU_ASSERT_EQUAL(dc_ckpt_read_mat(ck, "x", a), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_read_data(ck, "d2", DC_TYPE_INT64, 2, d), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_ckpt_read_data(ck, "d2", DC_TYPE_DOUBLE, 3, d), DC_ERR_SIZE);
    CU_ASSERT_EQUAL(dc_ckpt_read_data(ck, "d2", DC_TYPE_DOUBLE, last ? 1 : 2, d),
                    dct_size > 1 ? DC_ERR_ARG : DC_ERR_SIZE);
    CU_ASSERT_EQUAL(dc_ckpt_read_blob(ck, "b", blob, 4, &bs), DC_ERR_SIZE);
    CU_ASSERT_EQUAL(dc_ckpt_has(ck, "x", NULL), DC_ERR_ARG);
    snprintf(name, sizeof(name), "x%d", last);
    CU_ASSERT_EQUAL(dc_ckpt_has(ck, name, &has), dct_size > 1 ? DC_ERR_ARG : DC_SUCCESS);
    CK_OK(env, dc_ckpt_read_vec(ck, "x", x));
    CU_ASSERT(vec_check(dct_comm, x, 10, 3));
    CK_OK(env, dc_ckpt_read_end(ck));
    CK_OK(env, dc_ckpt_destroy(&ck));
    CU_ASSERT(ck == NULL);
    CU_ASSERT_EQUAL(dc_ckpt_destroy(&ck), DC_SUCCESS);
    dc_mat_destroy(&a);
    dc_vec_destroy(&x);
    dc_vec_destroy(&x2);
    dc_vec_destroy(&x11);
    dc_layout_destroy(&l);
    dc_layout_destroy(&l2);
    dc_layout_destroy(&l11);
    dc_env_destroy(&env2);
    dc_env_destroy(&env);
    tmpdir_remove(dir);
}

/* ---------------------------------------------------------------- h5dump */

/* A checkpoint reads without libdcompute: h5dump prints vector v's values and its attributes.
 * Skipped (with a note) when configure found no h5dump. */
static void test_h5dump(void)
{
    dc_env_t *env = dct_env_create();
    dc_ckpt_t *ck;
    dc_layout_t *l = make_layout(env, 12, 2);
    dc_vec_t *v = NULL;
    char dir[256], cmd[1024], line[4096], all[16384];
    int ok = 1, i;

    tmpdir_make(dir, sizeof(dir));
    CK_OK(env, dc_vec_create(l, &v));
    {
        double *p;
        size_t n, k;
        dc_gidx_t g;
        dc_vec_get_local_size(v, &n);
        dc_vec_get_array(v, &p);
        for (k = 0; k < n; k++) {
            dc_layout_local_to_global(l, dct_rank, k, &g);
            p[k] = 0.25 * (double)g - 1.0; /* exact in decimal */
        }
        dc_vec_restore_array(v, &p);
    }
    ck = ck_open(env, dir, 1);
    CK_OK(env, dc_ckpt_write_begin(ck, 12));
    CK_OK(env, dc_ckpt_write_vec(ck, "sol/v", v));
    CK_OK(env, dc_ckpt_write_end(ck));
    CK_OK(env, dc_ckpt_destroy(&ck));
    if (dct_rank == 0) {
        if (DCT_H5DUMP[0] == '\0' || access(DCT_H5DUMP, X_OK) != 0)
            fprintf(stderr, "test_h5dump: no h5dump (hdf5-tools): step skipped\n");
        else {
            FILE *f;
            char *p;
            snprintf(cmd, sizeof(cmd), "%s -d /sol/v -y -w 0 %s/ckpt.000000000012.h5 2>&1",
                     DCT_H5DUMP, dir);
            all[0] = '\0';
            f = popen(cmd, "r");
            ok = f != NULL;
            while (f && fgets(line, sizeof(line), f))
                strncat(all, line, sizeof(all) - strlen(all) - 1);
            if (f)
                ok &= pclose(f) == 0;
            /* the values after "DATA {", in natural order */
            p = strstr(all, "DATA {");
            ok &= p != NULL;
            for (i = 0; ok && i < 12; i++) {
                double val;
                p += strcspn(p, "-0123456789");
                ok = sscanf(p, "%lf", &val) == 1 && val == 0.25 * i - 1.0;
                p += strspn(p, "-0123456789.e+");
            }
            /* the attributes */
            ok &= strstr(all, "ATTRIBUTE \"kind\"") != NULL && strstr(all, "\"vec\"") != NULL &&
                  strstr(all, "ATTRIBUTE \"crc32\"") != NULL && strstr(all, "block-cyclic") != NULL;
            snprintf(cmd, sizeof(cmd), "%s -A %s/ckpt.000000000012.h5 2>&1", DCT_H5DUMP, dir);
            all[0] = '\0';
            f = popen(cmd, "r");
            while (f && fgets(line, sizeof(line), f))
                strncat(all, line, sizeof(all) - strlen(all) - 1);
            if (f)
                pclose(f);
            ok &= strstr(all, "libdcompute-checkpoint") != NULL &&
                  strstr(all, "ATTRIBUTE \"step\"") != NULL;
            if (!ok)
                fprintf(stderr, "test_h5dump: unexpected output:\n%s\n", all);
        }
    }
    DCT_ASSERT_ALL(ok);
    dc_vec_destroy(&v);
    dc_layout_destroy(&l);
    dc_env_destroy(&env);
    tmpdir_remove(dir);
}

/* ---------------------------------------------------------------- allocation failures */

typedef struct sweep_objs {
    dc_vec_t *x, *xr;
    dc_mat_t *a, *ar;
    dc_mesh_t *mesh;
    dc_vec_t *u, *ur;
    dc_layout_t *l, *lm;
} sweep_objs_t;

/* One checkpoint of every object kind written and read back (objects made outside the sweep);
 * the first failure's code. */
static int sweep_cycle(dc_env_t *env, const char *dir, sweep_objs_t *o)
{
    dc_ckpt_t *ck = NULL;
    dc_layout_t *lr = NULL;
    double d[2] = {1, 2}, dr[2];
    unsigned char b[5] = {1, 2, 3, 4, 5}, br[5];
    size_t bs;
    int rc;

    rc = dc_ckpt_create(env, dir, NULL, &ck);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_begin(ck, 1);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_vec(ck, "x", o->x);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_mat(ck, "a", o->a);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_mesh_field(ck, "u", o->mesh, o->u);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_layout(ck, "l", o->l);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_data(ck, "d", DC_TYPE_DOUBLE, 2, d);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_blob(ck, "b", b, 5);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_end(ck);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_begin(ck, DC_CKPT_LATEST, NULL);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_vec(ck, "x", o->xr);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_mat(ck, "a", o->ar);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_mesh_field(ck, "u", o->mesh, o->ur);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_layout(ck, "l", &lr);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_data(ck, "d", DC_TYPE_DOUBLE, 2, dr);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_blob(ck, "b", br, 5, &bs);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_end(ck);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_latest(ck, NULL) == DC_ERR_ARG ? DC_SUCCESS : DC_ERR_INTERNAL;
    dc_layout_destroy(&lr);
    dc_ckpt_destroy(&ck);
    return rc;
}

/* sweep_cycle for dct_fail_alloc_step */
typedef struct {
    dc_env_t *env;
    const char *dir;
    sweep_objs_t *o;
} sweep_args_t;

static int sweep_cycle_fn(void *ctx)
{
    sweep_args_t *a = ctx;
    return sweep_cycle(a->env, a->dir, a->o);
}

/*
 * Every allocation of the module (handle, names, gathered checksums, the block copies of
 * cyclic vectors and matrices, natural-order fields, the directory scan) failing on rank 0 and
 * on the last rank: every rank returns DC_ERR_NOMEM, nothing leaks, no temporary is left, and
 * the next cycle succeeds.
 */
static void test_alloc_failures(void)
{
    dc_env_t *env = dct_env_create();
    sweep_objs_t o;
    dc_gidx_t n2[2] = {6, 5};
    char dir[256];
    long n;
    int any = 1, r, ok = 1, fired, hits = 0;
    sweep_args_t args = {env, dir, &o};

    memset(&o, 0, sizeof(o));
    dc_env_set_debug(env, 0);
    /* hundreds of commits, each with an fsync per rank: in memory when /dev/shm is there */
    tmpdir_make_in(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : NULL, dir, sizeof(dir));
    o.l = make_layout(env, 20, 1);
    o.x = make_vec(o.l, 9);
    o.xr = make_vec(o.l, 0);
    o.a = make_mat(env, 5, 4, 0, 2, 2, 3);
    o.ar = make_mat(env, 5, 4, 1, 1, 3, 0);
    CK_OK(env, dc_mesh_create(env, 2, n2, 1, 1, NULL, &o.mesh));
    CK_OK(env, dc_mesh_get_layout(o.mesh, &o.lm));
    o.u = make_vec(o.lm, 4);
    o.ur = make_vec(o.lm, 0);
    CK_OK(env, sweep_cycle(env, dir, &o)); /* caches and the directory exist from here on */
    for (n = 1; any && ok && n < 2000; n++) {
        any = 0;
        /* rank 0 (which alone scans the directory, renames, reads data and blobs and gathers
         * the checksums) and the last rank (as every other rank) */
        for (r = 0; r < dct_size && ok; r = r < dct_size - 1 ? dct_size - 1 : dct_size) {
            long live0 = dci_test_alloc_live(), live1;
            int rc;
            ok = dct_fail_alloc_step(n, r, sweep_cycle_fn, &args, &rc, &fired);
            any |= fired;
            hits += fired;
            live1 = dci_test_alloc_live();
            ok &= live1 == live0 && count_files(dir, ".tmp") == 0;
            if (rc != DC_SUCCESS)
                ok &= sweep_cycle(env, dir, &o) == DC_SUCCESS;
            ok = dct_all(ok);
            if (!ok && dct_rank == 0)
                fprintf(stderr, "allocation %ld failing on rank %d: rc %d (%s), live %ld/%ld\n", n,
                        r, rc, dc_env_last_error(env), live0, live1);
        }
    }
    CU_ASSERT(ok);
    CU_ASSERT(hits > 10 * (dct_size > 1 ? 2 : 1));
    CU_ASSERT(vec_check(dct_comm, o.xr, 20, 9));
    dc_vec_destroy(&o.x);
    dc_vec_destroy(&o.xr);
    dc_vec_destroy(&o.u);
    dc_vec_destroy(&o.ur);
    dc_mat_destroy(&o.a);
    dc_mat_destroy(&o.ar);
    dc_mesh_destroy(&o.mesh);
    dc_layout_destroy(&o.l);
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
    CU_add_test(s, "matrices: write at P, read on other grids at P, P-1, 1", test_mat);
    CU_add_test(s, "mesh fields: write at P, read on other grids at P, P-1, 1", test_mesh);
    CU_add_test(s, "layouts of every kind", test_layout);
    CU_add_test(s, "abandoned writes leave the previous checkpoint", test_abandon);
    CU_add_test(s, "corruption: flipped byte, missing attribute, truncated file", test_corrupt);
    CU_add_test(s, "bad input: the same code on every rank", test_bad_input);
    CU_add_test(s, "h5dump reads a checkpoint", test_h5dump);
    CU_add_test(s, "allocation failures on every rank", test_alloc_failures);
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
