/*
 * main() of every test binary: MPI_Init, register the suites, run them (rank 0 with CUnit's
 * basic report, the others silent), then sum failures over ranks and exit 1 everywhere if any.
 */
#include "dc_test.h"
#include "../lib/dc_testhook.h" /* the allocation hooks: not every test has lib/ on its path */

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>

int dct_rank, dct_size;
MPI_Comm dct_comm = MPI_COMM_NULL;

int dct_all(int cond)
{
    int in = cond ? 1 : 0, out = 0;

    MPI_Allreduce(&in, &out, 1, MPI_INT, MPI_LAND, dct_comm);
    return out;
}

int dct_fail_alloc_step(long n, int r, int (*fn)(void *ctx), void *ctx, int *rc_p, int *fired_p)
{
    int rc, mm[3], out[3];

    dci_test_fail_alloc(n, r);
    rc = fn(ctx);
    mm[2] = dci_test_fail_alloc_fired();
    dci_test_fail_alloc(0, -1);
    mm[0] = rc;
    mm[1] = -rc;
    MPI_Allreduce(mm, out, 3, MPI_INT, MPI_MAX, dct_comm);
    *rc_p = rc;
    *fired_p = out[2];
    /* out[0] == -out[1]: the largest code equals the smallest, the same code on every rank */
    return out[0] == -out[1] && rc == (out[2] ? DC_ERR_NOMEM : DC_SUCCESS);
}

dc_env_t *dct_env_create_params(const dc_env_params_t *params)
{
    dc_env_t *env = NULL;
    int rc = dc_env_create(MPI_COMM_WORLD, params, &env);

    if (rc != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] dc_env_create: %s: %s\n", dct_rank, dc_strerror(rc),
                dc_env_last_error(NULL));
        CU_FAIL("dc_env_create failed");
        return NULL;
    }
    return env;
}

dc_env_t *dct_env_create(void)
{
    return dct_env_create_params(NULL);
}

double dct_rand(uint64_t seed, uint64_t i)
{
    /* splitmix64 of (seed, i): independent of the library's own generators */
    uint64_t z = seed * 0x9E3779B97F4A7C15ull + i + 0x632BE59BD9B4E019ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    return (double)(z >> 11) * 0x1.0p-52 - 1.0;
}

double dct_mat_entry(dc_gidx_t i, dc_gidx_t j, void *seed_p)
{
    return dct_rand(*(const uint64_t *)seed_p, (uint64_t)(i * 1009 + j));
}

void dct_near_square(int p, int *nprow_p, int *npcol_p)
{
    int q = 1, d;

    for (d = 1; d * d <= p; d++)
        if (p % d == 0)
            q = d;
    *npcol_p = q;
    *nprow_p = p / q;
}

int dct_same_bits(double a, double b)
{
    return memcmp(&a, &b, sizeof(a)) == 0;
}

int main(int argc, char **argv)
{
    int provided, nfail = 0, total = 0, ok;
    unsigned int failures;

    (void)argc;
    (void)argv;
    MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_dup(MPI_COMM_WORLD, &dct_comm);
    MPI_Comm_rank(dct_comm, &dct_rank);
    MPI_Comm_size(dct_comm, &dct_size);

    if (CU_initialize_registry() != CUE_SUCCESS) {
        fprintf(stderr, "CUnit registry init failed\n");
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    dct_register();
    if (dct_rank == 0) {
        CU_basic_set_mode(CU_BRM_VERBOSE);
        CU_basic_run_tests();
    } else {
        /* CUnit prints its run summary even in silent mode: send stdout away meanwhile. */
        int saved = dup(STDOUT_FILENO), devnull = open("/dev/null", O_WRONLY);
        fflush(stdout);
        if (devnull >= 0)
            dup2(devnull, STDOUT_FILENO);
        CU_basic_set_mode(CU_BRM_SILENT);
        CU_basic_run_tests();
        fflush(stdout);
        if (saved >= 0) {
            dup2(saved, STDOUT_FILENO);
            close(saved);
        }
        if (devnull >= 0)
            close(devnull);
        {
            CU_pFailureRecord f;
            for (f = CU_get_failure_list(); f != NULL; f = f->pNext)
                fprintf(stderr, "[rank %d] FAILED %s / %s, %s:%u: %s\n", dct_rank,
                        f->pSuite ? f->pSuite->pName : "?", f->pTest ? f->pTest->pName : "?",
                        f->strFileName ? f->strFileName : "?", f->uiLineNumber,
                        f->strCondition ? f->strCondition : "?");
        }
    }
    failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed() * 0;
    nfail = (int)failures;
    if (CU_get_error() != CUE_SUCCESS)
        nfail++;
    MPI_Allreduce(&nfail, &total, 1, MPI_INT, MPI_SUM, dct_comm);
    ok = total == 0;
    if (dct_rank == 0)
        printf("\n%s: %d assertion failure(s) over %d rank(s)\n", ok ? "PASS" : "FAIL", total,
               dct_size);
    CU_cleanup_registry();
    MPI_Comm_free(&dct_comm);
    MPI_Finalize();
    return ok ? 0 : 1;
}
