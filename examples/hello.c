/*
 * hello: the smallest libdcompute program. The application chooses its communicator (here a
 * duplicate of MPI_COMM_WORLD it owns), creates an env on it, prints the version and the
 * placement table, and checks what the env reports against MPI's own answers.
 * Run: mpirun -np 2 ./hello
 */
#include <dcompute.h>

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    MPI_Comm app;
    dc_env_t *env = NULL;
    dc_placement_t pl;
    int rank, size, erank = -1, esize = -1, ok = 1, all_ok = 0, nodes_sum = 0, one, rc;

    MPI_Init(&argc, &argv);
    MPI_Comm_dup(MPI_COMM_WORLD, &app);
    MPI_Comm_rank(app, &rank);
    MPI_Comm_size(app, &size);

    rc = dc_env_create(app, NULL, &env);
    if (rc != DC_SUCCESS) {
        /* every rank gets the same code: all report and stop together */
        fprintf(stderr, "[rank %d] dc_env_create: %s: %s\n", rank, dc_strerror(rc),
                dc_env_last_error(NULL));
        MPI_Comm_free(&app);
        MPI_Finalize();
        return 1;
    }
    if (rank == 0)
        printf("libdcompute %s (API %d.%d.%d) on %d rank(s)\n", DC_VERSION_STRING, DC_VERSION_MAJOR,
               DC_VERSION_MINOR, DC_VERSION_PATCH, size);
    fflush(stdout);
    if (dc_env_view(env, stdout) != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] dc_env_view: %s\n", rank, dc_env_last_error(env));
        ok = 0;
    }
    fflush(stdout);

    /* The env must describe the same ranks as the application's communicator. */
    if (dc_env_get_rank(env, &erank, &esize) != DC_SUCCESS || erank != rank || esize != size) {
        fprintf(stderr, "[rank %d] env says rank %d of %d, MPI says %d of %d\n", rank, erank, esize,
                rank, size);
        ok = 0;
    }
    /* Placement: node-local ranks counted once per node add up to the number of ranks. */
    if (dc_env_get_placement(env, &pl) != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] dc_env_get_placement: %s\n", rank, dc_env_last_error(env));
        ok = 0;
        memset(&pl, 0, sizeof(pl));
    }
    one = pl.node_rank == 0 ? pl.node_size : 0;
    MPI_Allreduce(&one, &nodes_sum, 1, MPI_INT, MPI_SUM, app);
    if (nodes_sum != size || pl.node_rank < 0 || pl.node_rank >= pl.node_size) {
        fprintf(stderr, "[rank %d] placement: node sizes add up to %d, not %d\n", rank, nodes_sum,
                size);
        ok = 0;
    }
    dc_env_destroy(&env);
    if (env != NULL)
        ok = 0;

    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_LAND, app);
    if (rank == 0)
        printf("hello: %s\n", all_ok ? "ok" : "FAILED");
    MPI_Comm_free(&app);
    MPI_Finalize();
    return all_ok ? 0 : 1;
}
