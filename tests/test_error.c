/*
 * Tests of the error contract (lib/error.c and the call sites that report errors): a failed
 * MPI call is reported as DC_ERR_MPI with MPI's own MPI_Error_string text in the message.
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

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("error", NULL, NULL);

    CU_add_test(s, "MPI failure message (layout)", test_mpi_string_layout);
    CU_add_test(s, "MPI failure message (grid)", test_mpi_string_grid);
}
