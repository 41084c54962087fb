/*
 * An application outside the source tree that uses an installed libdcompute, built by CMake
 * (find_package(dcompute)) and by pkg-config (dcompute-<mpi>) in tests/consumer.sh. It computes
 * the dot product of x[g] = g + 1 with itself over a block layout and compares it with the
 * serial reference computed here, n(n+1)(2n+1)/6 (exact in double for this n), on every rank.
 * It also checks that the MPI the library names is the one of this program's <mpi.h>.
 * Prints "consumer: ok (...)" from rank 0 and exits 0 when every rank agrees.
 */
#include <dcompute.h>

#include <stdio.h>
#include <string.h>

static double x_of(dc_gidx_t g, void *ctx)
{
    (void)ctx;
    return (double)g + 1.0;
}

int main(int argc, char **argv)
{
    const dc_gidx_t n = 100000;
    dc_env_t *env = NULL;
    dc_layout_t *layout = NULL;
    dc_vec_t *x = NULL;
    double dot = 0.0, ref = 0.0;
    int rank = 0, size = 1, ok = 1, all_ok = 0, rc;
    dc_gidx_t g;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    rc = dc_env_create(MPI_COMM_WORLD, NULL, &env);
    if (rc != DC_SUCCESS) {
        printf("[rank %d] dc_env_create: %s: %s\n", rank, dc_strerror(rc), dc_env_last_error(NULL));
        fflush(stdout);
        MPI_Finalize();
        return 3;
    }
    rc = dc_layout_create_block(env, n, &layout);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(layout, &x);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(x, x_of, NULL);
    if (rc == DC_SUCCESS)
        rc = dc_vec_dot(x, x, &dot);
    if (rc != DC_SUCCESS) {
        printf("[rank %d] %s: %s\n", rank, dc_strerror(rc), dc_env_last_error(env));
        ok = 0;
    }
    /* the serial reference, summed term by term and by the closed form */
    for (g = 0; g < n; g++)
        ref += ((double)g + 1.0) * ((double)g + 1.0);
    if (ref != (double)n * (n + 1) * (2 * n + 1) / 6) {
        printf("[rank %d] reference mismatch\n", rank);
        ok = 0;
    }
    if (dot != ref) {
        printf("[rank %d] dot %.17g, reference %.17g\n", rank, dot, ref);
        ok = 0;
    }
    if (strcmp(DC_MPI_NAME, DC_APP_MPI_NAME) != 0) {
        printf("[rank %d] library built for %s, program compiled for %s\n", rank, DC_MPI_NAME,
               DC_APP_MPI_NAME);
        ok = 0;
    }
    dc_vec_destroy(&x);
    dc_layout_destroy(&layout);
    dc_env_destroy(&env);
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (rank == 0)
        printf("consumer: %s (libdcompute %s for %s %s, %d ranks, dot %.17g)\n",
               all_ok ? "ok" : "FAILED", DC_VERSION_STRING, DC_MPI_NAME, DC_MPI_VERSION_STRING,
               size, dot);
    MPI_Finalize();
    return all_ok ? 0 : 1;
}
