/*
 * The watchdog's abort mode, run by tests/watchdog-abort.sh at 2 ranks: with DC_TIMEOUT_ABORT,
 * a collective that rank 1 never enters must end the whole job (MPI_Abort) after the diagnosis
 * on stderr. Rank 1 skips a dc_vec_dot and waits in an MPI_Barrier that only an abort ends;
 * if rank 0 gets an error code back instead, it says so, joins the barrier and the job exits 0,
 * which the script counts as a failure.
 */
#include <dcompute.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    dc_env_params_t p;
    dc_env_t *env = NULL;
    dc_layout_t *l = NULL;
    dc_vec_t *x = NULL;
    double d = 0.0;
    int rank = 0, rc;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    memset(&p, 0, sizeof(p));
    p.field_mask = DC_ENV_PARAM_TIMEOUT;
    p.timeout = 1.0;
    p.timeout_abort = 1;
    rc = dc_env_create(MPI_COMM_WORLD, &p, &env);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_block(env, 100, &l);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(l, &x);
    if (rc == DC_SUCCESS)
        rc = dc_vec_set_all(x, 1.0);
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "setup failed: %s\n", dc_env_last_error(env));
        MPI_Abort(MPI_COMM_WORLD, 2);
    }
    if (rank != 1) {
        rc = dc_vec_dot(x, x, &d);
        printf("NOT ABORTED: rank %d: dc_vec_dot returned %d (%s)\n", rank, rc, dc_strerror(rc));
        fflush(stdout);
    }
    MPI_Barrier(MPI_COMM_WORLD);
    dc_vec_destroy(&x);
    dc_layout_destroy(&l);
    dc_env_destroy(&env);
    MPI_Finalize();
    return 0;
}
