/*
 * dc_env_create without MPI_Init: the library initialises MPI itself (MPI_THREAD_FUNNELED) and
 * the last dc_env_destroy finalises it. Not a CUnit suite: CUnit's main calls MPI_Init first.
 * Checks a distributed dot against its closed form, then that MPI is finalised at the end.
 */
#include <dcompute.h>

#include <stdio.h>

static double val(dc_gidx_t g, void *ctx)
{
    (void)ctx;
    return (double)(g % 7) - 3.0;
}

int main(void)
{
    dc_env_t *env = NULL;
    dc_layout_t *layout = NULL;
    dc_vec_t *x = NULL;
    const dc_gidx_t n = 1001;
    double dot = -1.0, ref = 0.0;
    int initialized = 0, finalized = 0, rank = 0, fails = 0;
    dc_gidx_t g;

    MPI_Initialized(&initialized);
    if (initialized) {
        fprintf(stderr, "MPI initialised before the test started\n");
        return 1;
    }
    if (dc_env_create(MPI_COMM_WORLD, NULL, &env) != DC_SUCCESS) {
        fprintf(stderr, "dc_env_create: %s\n", dc_env_last_error(NULL));
        return 1;
    }
    MPI_Initialized(&initialized);
    fails += !initialized;
    dc_env_get_rank(env, &rank, NULL);
    fails += dc_layout_create_block(env, n, &layout) != DC_SUCCESS;
    fails += dc_vec_create(layout, &x) != DC_SUCCESS;
    fails += dc_vec_fill(x, val, NULL) != DC_SUCCESS;
    fails += dc_vec_dot(x, x, &dot) != DC_SUCCESS;
    for (g = 0; g < n; g++)
        ref += val(g, NULL) * val(g, NULL);
    fails += dot != ref;
    dc_vec_destroy(&x);
    dc_layout_destroy(&layout);
    dc_env_destroy(&env);
    MPI_Finalized(&finalized);
    fails += !finalized;
    if (fails)
        fprintf(stderr, "[rank %d] test_noinit: %d failure(s) (dot %g, expected %g)\n", rank, fails,
                dot, ref);
    else if (rank == 0)
        printf("test_noinit: dc_env_create initialised MPI, dot = %g as expected, MPI finalised\n",
               dot);
    return fails ? 1 : 0;
}
