/*
 * gemm: distributed C = A B with libdcompute. A and B are filled from formulas on two different
 * distributions (2-D block and block-cyclic 16 x 16); the library chooses the algorithm and the
 * grid, says which in a dry run, multiplies, and rank 0 checks the gathered C against a serial
 * dgemm. Then the same product in reproducible mode: its bits do not depend on the rank count.
 * Run: mpirun -np 2 ./gemm
 */
#include <dcompute.h>

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define M 300
#define N 200
#define K 250

static double a_val(dc_gidx_t i, dc_gidx_t j, void *ctx)
{
    (void)ctx;
    return sin(0.01 * (double)(i + 2 * j));
}

static double b_val(dc_gidx_t i, dc_gidx_t j, void *ctx)
{
    (void)ctx;
    return cos(0.02 * (double)(3 * i - j));
}

#define CHECK(call)                                                                                \
    do {                                                                                           \
        int rc_ = (call);                                                                          \
        if (rc_ != DC_SUCCESS) {                                                                   \
            fprintf(stderr, "%s failed: %s: %s\n", #call, dc_strerror(rc_),                        \
                    dc_env_last_error(env));                                                       \
            MPI_Abort(MPI_COMM_WORLD, 1);                                                          \
        }                                                                                          \
    } while (0)

int main(int argc, char **argv)
{
    dc_env_t *env = NULL;
    dc_grid_t *grid = NULL;
    dc_mat_t *A = NULL, *B = NULL, *C = NULL;
    dc_gemm_plan_t plan;
    dc_gemm_params_t prm = {0};
    double *c = NULL, *a = NULL, *b = NULL, err = 0.0;
    int rank, size, i, j, bad = 0;

    MPI_Init(&argc, &argv);
    CHECK(dc_env_create(MPI_COMM_WORLD, NULL, &env));
    CHECK(dc_env_get_rank(env, &rank, &size));
    CHECK(dc_grid_create(env, 0, 0, &grid));
    CHECK(dc_mat_create(grid, M, K, 0, 0, 0, 0, &A));   /* 2-D block */
    CHECK(dc_mat_create(grid, K, N, 16, 16, 0, 0, &B)); /* block-cyclic 16 x 16 */
    CHECK(dc_mat_create(grid, M, N, 16, 16, 0, 0, &C));
    CHECK(dc_mat_fill(A, a_val, NULL));
    CHECK(dc_mat_fill(B, b_val, NULL));

    CHECK(dc_mat_gemm_plan(DC_MAT_NOTRANS, DC_MAT_NOTRANS, A, B, C, NULL, &plan));
    if (rank == 0)
        printf("gemm %d x %d x %d on %d ranks: %s on %d x %d x %d, panel %d, %zu bytes of "
               "temporaries per rank\n",
               M, N, K, size, plan.algo == DC_GEMM_SPLITK ? "k split" : "SUMMA", plan.nprow,
               plan.npcol, plan.nlayers, plan.panel, plan.mem_bytes);
    CHECK(dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, B, 0.0, C));

    if (rank == 0) {
        c = malloc(sizeof(double) * M * N);
        a = malloc(sizeof(double) * M * K);
        b = malloc(sizeof(double) * K * N);
    }
    CHECK(dc_mat_gather(C, 0, c, M));
    if (rank == 0) {
        for (j = 0; j < K; j++)
            for (i = 0; i < M; i++)
                a[i + j * M] = a_val(i, j, NULL);
        for (j = 0; j < N; j++)
            for (i = 0; i < K; i++)
                b[i + j * K] = b_val(i, j, NULL);
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, M, N, K, -1.0, a, M, b, K, 1.0, c,
                    M);
        for (i = 0; i < M * N; i++)
            err = fmax(err, fabs(c[i]));
        bad = !(err <= 64.0 * K * DBL_EPSILON);
        printf("max |C - serial dgemm| = %.3g (%s)\n", err, bad ? "FAILED" : "ok");
    }

    /* reproducible mode: the same bits on any rank count; print a checksum of the bits */
    prm.field_mask = DC_GEMM_PARAM_REPRO;
    prm.repro = DC_REPRO_BINNED;
    CHECK(dc_mat_gemm_ex(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, B, 0.0, C, &prm, &plan));
    CHECK(dc_mat_gather(C, 0, c, M));
    if (rank == 0) {
        unsigned long long h = 1469598103934665603ull;
        const unsigned char *p = (const unsigned char *)c;
        for (i = 0; i < (int)(sizeof(double) * M * N); i++)
            h = (h ^ p[i]) * 1099511628211ull;
        printf("reproducible C: FNV-1a of the bits %016llx (the same for any rank count)\n", h);
    }
    free(a);
    free(b);
    free(c);
    dc_mat_destroy(&A);
    dc_mat_destroy(&B);
    dc_mat_destroy(&C);
    dc_grid_destroy(&grid);
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    dc_env_destroy(&env);
    MPI_Finalize();
    return bad;
}
