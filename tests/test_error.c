/*
 * Tests of the error contract (lib/error.c, lib/obj.c and the call sites that report errors):
 * a failed MPI call is reported as DC_ERR_MPI with MPI's own MPI_Error_string text in the
 * message; a destroyed handle is rejected with DC_ERR_ARG by every call, also while objects
 * built on it keep it alive, and a second destroy never drops a reference twice.
 *
 * MPI failures are injected by interposition: this program defines MPI_Allgather and
 * MPI_Comm_split, which the library's calls resolve to (the executable's definitions come first
 * in the dynamic link); they forward to the PMPI entry points unless a failure is armed, and
 * then return MPI_ERR_OTHER without communicating. The failure is armed on every rank, so all
 * ranks fail the same call and nobody waits for a partner.
 */
#include "dc_test.h"

#include <stdio.h>
#include <string.h>

static int fail_allgather, fail_comm_split; /* armed failures (1 = fail the next calls) */

int MPI_Allgather(const void *sendbuf, int sendcount, MPI_Datatype sendtype, void *recvbuf,
                  int recvcount, MPI_Datatype recvtype, MPI_Comm comm)
{
    if (fail_allgather)
        return MPI_ERR_OTHER;
    return PMPI_Allgather(sendbuf, sendcount, sendtype, recvbuf, recvcount, recvtype, comm);
}

int MPI_Comm_split(MPI_Comm comm, int color, int key, MPI_Comm *newcomm)
{
    if (fail_comm_split)
        return MPI_ERR_OTHER;
    return PMPI_Comm_split(comm, color, key, newcomm);
}

/* 1 if the env's last message holds MPI's text for MPI_ERR_OTHER. */
static int has_mpi_string(const dc_env_t *env)
{
    char mpimsg[MPI_MAX_ERROR_STRING];
    int len = 0;

    MPI_Error_string(MPI_ERR_OTHER, mpimsg, &len);
    if (strstr(dc_env_last_error(env), mpimsg) == NULL) {
        printf("rank %d: message without \"%s\": %s\n", dct_rank, mpimsg, dc_env_last_error(env));
        return 0;
    }
    return 1;
}

/* dc_layout_create_explicit and _weighted gather the ranks' sizes with MPI_Allgather. */
static void test_mpi_string_layout(void)
{
    dc_env_t *env = dct_env_create();
    dc_layout_t *l = NULL;
    int rc;

    DCT_ASSERT_ALL(env != NULL);
    fail_allgather = 1;
    rc = dc_layout_create_explicit(env, 3, &l);
    fail_allgather = 0;
    DCT_ASSERT_ALL(rc == DC_ERR_MPI && l == NULL);
    DCT_ASSERT_ALL(has_mpi_string(env));
    fail_allgather = 1;
    rc = dc_layout_create_weighted(env, 10, 1.0, &l);
    fail_allgather = 0;
    DCT_ASSERT_ALL(rc == DC_ERR_MPI && l == NULL);
    DCT_ASSERT_ALL(has_mpi_string(env));
    /* the env still works after the injected failure */
    rc = dc_layout_create_explicit(env, (size_t)dct_rank, &l);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    dc_layout_destroy(&l);
    dc_env_destroy(&env);
}

/* dc_grid_create splits the env's communicator into rows and columns. */
static void test_mpi_string_grid(void)
{
    dc_env_t *env = dct_env_create();
    dc_grid_t *g = NULL;
    int rc;

    DCT_ASSERT_ALL(env != NULL);
    fail_comm_split = 1;
    rc = dc_grid_create(env, 1, dct_size, &g);
    fail_comm_split = 0;
    DCT_ASSERT_ALL(rc == DC_ERR_MPI && g == NULL);
    DCT_ASSERT_ALL(has_mpi_string(env));
    rc = dc_grid_create(env, 1, dct_size, &g);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    dc_grid_destroy(&g);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- destroyed handles */

/*
 * The layout of issue 7: destroyed while a vector holds it. A saved copy of the handle is
 * rejected by every call, and destroying it again fails without freeing what the vector uses.
 * Every call below fails locally on every rank (no collective is entered with a bad handle).
 */
static void test_layout_released(void)
{
    dc_env_t *env = dct_env_create();
    dc_layout_t *l = NULL, *copy = NULL, *vl = NULL, *l2 = NULL;
    dc_vec_t *v = NULL, *v2 = NULL;
    const dc_gidx_t n = 23;
    dc_gidx_t gn = -1;
    size_t nl = 0;
    double s = 0.0;
    int rc;

    DCT_ASSERT_ALL(env != NULL);
    rc = dc_layout_create_block(env, n, &l);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(l, &v);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    copy = l;
    CU_ASSERT_EQUAL(dc_layout_destroy(&l), DC_SUCCESS);
    CU_ASSERT_PTR_NULL(l);
    /* the saved copy is a destroyed handle for every call */
    CU_ASSERT_EQUAL(dc_layout_get_global_size(copy, &gn), DC_ERR_ARG);
    CU_ASSERT_EQUAL(gn, -1);
    CU_ASSERT_EQUAL(dc_layout_get_local_size(copy, &nl), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_create(copy, &v2), DC_ERR_ARG);
    CU_ASSERT_PTR_NULL(v2);
    CU_ASSERT_PTR_NOT_NULL(strstr(dc_env_last_error(NULL), "destroyed"));
    /* and destroying it again fails and leaves the count alone */
    CU_ASSERT_EQUAL(dc_layout_destroy(&copy), DC_ERR_ARG);
    CU_ASSERT_PTR_NOT_NULL(copy);
    CU_ASSERT_EQUAL(dc_layout_destroy(&copy), DC_ERR_ARG);
    /* the vector still works on the layout it holds */
    rc = dc_vec_set_all(v, 2.0);
    if (rc == DC_SUCCESS)
        rc = dc_vec_sum(v, &s);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT_EQUAL(s, 2.0 * (double)n);
    /* the vector lends its layout: usable through the lent handle, never destroyable */
    CU_ASSERT_EQUAL(dc_vec_get_layout(v, &vl), DC_SUCCESS);
    CU_ASSERT_PTR_EQUAL(vl, copy);
    CU_ASSERT_EQUAL(dc_layout_get_global_size(vl, &gn), DC_SUCCESS);
    CU_ASSERT_EQUAL(gn, n);
    rc = dc_vec_create(vl, &v2); /* collective, on every rank */
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_layout_destroy(&vl), DC_ERR_ARG);
    CU_ASSERT_PTR_NOT_NULL(vl);
    /* a layout built afterwards on the same env is unaffected */
    rc = dc_layout_create_block(env, n, &l2);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_vec_destroy(&v), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_vec_destroy(&v2), DC_SUCCESS); /* the last reference: frees the layout */
    CU_ASSERT_EQUAL(dc_layout_destroy(&l2), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_env_destroy(&env), DC_SUCCESS);
}

/* An env kept alive by its objects: the destroyed env handle is rejected, the objects work. */
static void test_env_released(void)
{
    dc_env_t *env = dct_env_create(), *copy, *lent = NULL;
    dc_layout_t *l = NULL, *l2 = NULL;
    dc_vec_t *v = NULL;
    const dc_gidx_t n = 17;
    double s = 0.0;
    int rc, size = -1;

    DCT_ASSERT_ALL(env != NULL);
    rc = dc_layout_create_cyclic(env, n, &l);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(l, &v);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    dc_layout_destroy(&l);
    copy = env;
    CU_ASSERT_EQUAL(dc_env_destroy(&env), DC_SUCCESS);
    CU_ASSERT_PTR_NULL(env);
    CU_ASSERT_EQUAL(dc_env_get_rank(copy, NULL, &size), DC_ERR_ARG);
    CU_ASSERT_EQUAL(size, -1);
    CU_ASSERT_EQUAL(dc_layout_create_block(copy, n, &l2), DC_ERR_ARG);
    CU_ASSERT_PTR_NULL(l2);
    CU_ASSERT_EQUAL(dc_env_set_repro(copy, DC_REPRO_BINNED), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_env_destroy(&copy), DC_ERR_ARG);
    CU_ASSERT_PTR_NOT_NULL(copy);
    CU_ASSERT_EQUAL(dc_env_destroy(&copy), DC_ERR_ARG);
    /* the vector and its layout keep the env alive and usable for themselves */
    rc = dc_vec_set_all(v, 0.5);
    if (rc == DC_SUCCESS)
        rc = dc_vec_sum(v, &s);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT_EQUAL(s, 0.5 * (double)n);
    /* a lent env (through the layout the vector lends) works, but is not the caller's */
    rc = dc_vec_get_layout(v, &l);
    if (rc == DC_SUCCESS)
        rc = dc_layout_get_env(l, &lent);
    CU_ASSERT_EQUAL(rc, DC_SUCCESS);
    CU_ASSERT_PTR_EQUAL(lent, copy);
    CU_ASSERT_EQUAL(dc_env_get_rank(lent, NULL, &size), DC_SUCCESS);
    CU_ASSERT_EQUAL(size, dct_size);
    CU_ASSERT_EQUAL(dc_env_destroy(&lent), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_vec_destroy(&v), DC_SUCCESS); /* frees layout and env */
}

/* Double destroy of every class through the same variable: a no-op; through a saved copy
 * where the object is still alive (env and layout, held by others): DC_ERR_ARG. Objects that
 * nothing else holds are freed by the first destroy, so a copy of their handle points to freed
 * memory and cannot be checked without undefined behaviour. */
static void test_double_destroy(void)
{
    dc_env_t *env = dct_env_create(), *ecopy;
    dc_layout_t *l = NULL, *lcopy;
    dc_vec_t *v = NULL;
    dc_grid_t *g = NULL;
    dc_mat_t *a = NULL;
    dc_sched_t *s = NULL;
    dc_request_t *req = NULL;
    double one = 1.0, sum = 0.0;
    int rc;

    DCT_ASSERT_ALL(env != NULL);
    rc = dc_layout_create_block(env, 10, &l);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(l, &v);
    if (rc == DC_SUCCESS)
        rc = dc_grid_create(env, 1, dct_size, &g);
    if (rc == DC_SUCCESS)
        rc = dc_mat_create(g, 5, 7, 2, 2, 0, 0, &a);
    if (rc == DC_SUCCESS)
        rc = dc_sched_create(env, &s);
    if (rc == DC_SUCCESS)
        rc = dc_iallreduce(env, &one, &sum, 1, DC_TYPE_DOUBLE, DC_REDUCE_SUM, &req);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_request_wait(&req), DC_SUCCESS);
    CU_ASSERT_EQUAL(sum, (double)dct_size);
    CU_ASSERT_EQUAL(dc_request_wait(&req), DC_SUCCESS); /* NULL: completed before */
    lcopy = l;
    ecopy = env;
    CU_ASSERT_EQUAL(dc_vec_destroy(&v), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_vec_destroy(&v), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_mat_destroy(&a), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_mat_destroy(&a), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_grid_destroy(&g), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_grid_destroy(&g), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_sched_destroy(&s), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_sched_destroy(&s), DC_SUCCESS);
    /* the env outlives its handle while the layout holds it */
    CU_ASSERT_EQUAL(dc_env_destroy(&env), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_env_destroy(&env), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_env_destroy(&ecopy), DC_ERR_ARG);
    CU_ASSERT_PTR_NOT_NULL(ecopy);
    /* the layout: the first destroy frees it (the last reference), and the env with it */
    CU_ASSERT_PTR_EQUAL(lcopy, l);
    CU_ASSERT_EQUAL(dc_layout_destroy(&l), DC_SUCCESS);
    CU_ASSERT_EQUAL(dc_layout_destroy(&l), DC_SUCCESS);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("error", NULL, NULL);

    CU_add_test(s, "MPI failure message (layout)", test_mpi_string_layout);
    CU_add_test(s, "MPI failure message (grid)", test_mpi_string_grid);
    CU_add_test(s, "destroyed layout kept alive by a vector", test_layout_released);
    CU_add_test(s, "destroyed env kept alive by its objects", test_env_released);
    CU_add_test(s, "double destroy of every class", test_double_destroy);
}
