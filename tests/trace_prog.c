/*
 * The program the trace tests run (tests/trace-check.sh, tests/trace-chromium.sh) under
 * DC_TRACE: a known sequence of library operations, so that the trace's events can be checked
 * against what was done. Usage:
 *   trace_prog [-k DOTS] [-a ALLREDUCES] [-r REGIONS] [-w PATH]
 * Creates an env, a block layout of 1000 entries and two vectors; then, DOTS times,
 * dc_vec_dot(x, y) and, ALLREDUCES times, dc_allreduce of one double (sum of the ranks),
 * checking each result; REGIONS times a user region "step" around one dot (counted in DOTS).
 * With -w, dc_prof_trace_write(env, PATH) at the end, before dc_env_destroy (which writes
 * DC_TRACE). Rank 0 prints what it called, one line per operation, "op NAME COUNT", with
 * the names the trace uses, and its profiler's byte totals of the dots and allreduces,
 * "bytes NAME SENT RECEIVED"; exits non-zero on every rank if a call or a result is wrong.
 */
#include <dcompute.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 1000

int main(int argc, char **argv)
{
    dc_env_t *env = NULL;
    dc_layout_t *layout = NULL;
    dc_vec_t *x = NULL, *y = NULL;
    const char *wpath = NULL;
    int dots = 4, allreduces = 3, regions = 0, rank = 0, size = 1, ok = 1, all_ok = 0, opt, i;
    long regions_done = 0;
    uint64_t bytes[2][2] = {{0, 0}, {0, 0}};

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    while ((opt = getopt(argc, argv, "k:a:r:w:")) != -1) {
        switch (opt) {
        case 'k': dots = atoi(optarg); break;
        case 'a': allreduces = atoi(optarg); break;
        case 'r': regions = atoi(optarg); break;
        case 'w': wpath = optarg; break;
        default:
            if (rank == 0)
                fprintf(stderr, "usage: %s [-k DOTS] [-a ALLREDUCES] [-r REGIONS] [-w PATH]\n",
                        argv[0]);
            MPI_Finalize();
            return 2;
        }
    }
    if (regions > dots)
        regions = dots;

    if (dc_env_create(MPI_COMM_WORLD, NULL, &env) != DC_SUCCESS) {
        fprintf(stderr, "rank %d: dc_env_create: %s\n", rank, dc_env_last_error(NULL));
        ok = 0;
        goto done;
    }
    ok &= dc_layout_create_block(env, N, &layout) == DC_SUCCESS;
    ok &= ok && dc_vec_create(layout, &x) == DC_SUCCESS;
    ok &= ok && dc_vec_create(layout, &y) == DC_SUCCESS;
    if (ok) {
        double *px, *py;
        size_t nl = 0;
        dc_gidx_t lo = 0;
        ok &= dc_layout_get_local_size(layout, &nl) == DC_SUCCESS;
        ok &= dc_layout_get_range(layout, rank, &lo, NULL) == DC_SUCCESS;
        ok &= dc_vec_get_array(x, &px) == DC_SUCCESS;
        ok &= dc_vec_get_array(y, &py) == DC_SUCCESS;
        for (i = 0; ok && i < (int)nl; i++) {
            px[i] = 1.0;
            py[i] = (double)(lo + i); /* dot = 0 + 1 + ... + N-1 */
        }
        ok &= dc_vec_restore_array(x, &px) == DC_SUCCESS;
        ok &= dc_vec_restore_array(y, &py) == DC_SUCCESS;
    }
    for (i = 0; ok && i < dots; i++) {
        double d = -1.0;
        int in_region = i < regions;
        if (in_region)
            ok &= dc_prof_region_begin(env, "step") == DC_SUCCESS;
        ok &= dc_vec_dot(x, y, &d) == DC_SUCCESS;
        ok &= d == 0.5 * N * (N - 1);
        if (in_region)
            ok &= dc_prof_region_end(env, "step") == DC_SUCCESS;
        regions_done += in_region;
    }
    for (i = 0; ok && i < allreduces; i++) {
        double me = rank, sum = -1.0;
        ok &= dc_allreduce(env, &me, &sum, 1, DC_TYPE_DOUBLE, DC_REDUCE_SUM) == DC_SUCCESS;
        ok &= sum == 0.5 * size * (size - 1);
    }
    /* the profiler's byte totals of this rank, which the trace's events must add up to */
    if (ok) {
        const char *names[2] = {"dc_vec_dot", "dc_allreduce"};
        for (i = 0; i < 2; i++) {
            dc_prof_stats_t st;
            ok &= dc_prof_get_stats(env, names[i], &st) == DC_SUCCESS;
            bytes[i][0] = st.bytes_sent;
            bytes[i][1] = st.bytes_recv;
        }
    }
    if (wpath != NULL && dc_prof_trace_write(env, wpath) != DC_SUCCESS) {
        fprintf(stderr, "rank %d: dc_prof_trace_write: %s\n", rank, dc_env_last_error(env));
        ok = 0;
    }
done:
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    dc_layout_destroy(&layout);
    if (env != NULL && dc_env_destroy(&env) != DC_SUCCESS) {
        fprintf(stderr, "rank %d: dc_env_destroy failed: %s\n", rank, dc_env_last_error(NULL));
        ok = 0;
    }
    MPI_Allreduce(&ok, &all_ok, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (rank == 0 && all_ok) {
        /* what this program called, under the names the trace gives them */
        printf("op dc_env_create 1\nop dc_layout_create_block 1\nop dc_vec_create 2\n");
        printf("op dc_vec_dot %d\nop dc_allreduce %d\n", dots, allreduces);
        if (regions_done > 0)
            printf("region step %ld\n", regions_done);
        printf("bytes dc_vec_dot %llu %llu\nbytes dc_allreduce %llu %llu\n",
               (unsigned long long)bytes[0][0], (unsigned long long)bytes[0][1],
               (unsigned long long)bytes[1][0], (unsigned long long)bytes[1][1]);
    }
    MPI_Finalize();
    return all_ok ? 0 : 1;
}
