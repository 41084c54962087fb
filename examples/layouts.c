/*
 * layouts: who owns what. Prints the owner of every index of a small index space for the five
 * layout kinds (block, cyclic, block-cyclic, weighted by the cores placement gave each rank,
 * explicit counts), checks each against its definition computed here, then moves a vector
 * from a block to a cyclic and to a block-cyclic layout and gathers it to check every value.
 * Run: mpirun -np 2 ./layouts
 */
#include <dcompute.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define N  23 /* small and prime: remainders everywhere */
#define BC 3  /* block-cyclic block size */

static double val(dc_gidx_t g, void *ctx)
{
    (void)ctx;
    return 100.0 + (double)g;
}

/* Explicit counts: rank r owns min(r + 1, what is left); the last rank takes the rest. */
static size_t explicit_count(int r, int p)
{
    dc_gidx_t left = N, c = 0;
    int i;

    for (i = 0; i <= r; i++) {
        c = i == p - 1 ? left : (i + 1 < left ? i + 1 : left);
        left -= c;
    }
    return (size_t)c;
}

/* Owner of g by the definition of each kind (weighted: from the counts, checked separately). */
static int owner_by_definition(dc_layout_kind_t kind, dc_gidx_t g, int p)
{
    dc_gidx_t lo = 0;
    int r;

    switch (kind) {
    case DC_LAYOUT_BLOCK:
        for (r = 0; r < p; r++) {
            dc_gidx_t cnt = N / p + (r < N % p ? 1 : 0);
            if (g < lo + cnt)
                return r;
            lo += cnt;
        }
        return -1;
    case DC_LAYOUT_CYCLIC: return (int)(g % p);
    case DC_LAYOUT_BLOCK_CYCLIC: return (int)((g / BC) % p);
    case DC_LAYOUT_EXPLICIT:
        for (r = 0; r < p; r++) {
            lo += (dc_gidx_t)explicit_count(r, p);
            if (g < lo)
                return r;
        }
        return -1;
    default: return -1;
    }
}

/*
 * Print the owner map on rank 0 and check on every rank: owners by definition, local sizes,
 * and that local <-> global maps agree with the owner map.
 */
static int show_layout(const char *name, dc_layout_t *l, int rank, int size)
{
    dc_layout_kind_t kind;
    dc_gidx_t g, gl;
    size_t nl = 0, i, mine = 0, lidx;
    int ok = 1, owner[N], r;

    dc_layout_get_kind(l, &kind, NULL);
    for (g = 0; g < N; g++) {
        if (dc_layout_get_owner(l, g, &owner[g]) != DC_SUCCESS)
            return 0;
        if (kind != DC_LAYOUT_WEIGHTED && owner[g] != owner_by_definition(kind, g, size))
            ok = 0;
        if (kind == DC_LAYOUT_WEIGHTED && g > 0 && owner[g] < owner[g - 1])
            ok = 0; /* weighted layouts are contiguous */
        mine += owner[g] == rank;
    }
    dc_layout_get_local_size(l, &nl);
    ok &= nl == mine;
    for (i = 0; i < nl; i++) {
        if (dc_layout_local_to_global(l, rank, i, &gl) != DC_SUCCESS || owner[gl] != rank ||
            dc_layout_global_to_local(l, gl, &r, &lidx) != DC_SUCCESS || r != rank || lidx != i)
            ok = 0;
    }
    if (rank == 0) {
        printf("  %-22s", name);
        for (g = 0; g < N; g++)
            printf("%s%d", g ? " " : "", owner[g]);
        printf("\n");
    }
    return ok;
}

int main(int argc, char **argv)
{
    dc_env_t *env = NULL;
    dc_layout_t *l[5] = {NULL, NULL, NULL, NULL, NULL};
    dc_vec_t *v[3] = {NULL, NULL, NULL};
    static const char *const names[5] = {"block", "cyclic", "block-cyclic(3)", "weighted by cores",
                                         "explicit"};
    dc_placement_t pl;
    double all[N];
    int rank = 0, size = 1, ok = 1, rc, k, created;
    dc_gidx_t g;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    rc = dc_env_create(MPI_COMM_WORLD, NULL, &env);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_block(env, N, &l[0]);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_cyclic(env, N, &l[1]);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_block_cyclic(env, N, BC, &l[2]);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_weighted(env, N, -1.0, &l[3]); /* weight = this rank's cores */
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_explicit(env, explicit_count(rank, size), &l[4]);
    /* the creators agree on their outcome: 'created' is the same on every rank, so the
     * collectives below are entered by all ranks or by none */
    created = rc == DC_SUCCESS;
    if (!created) {
        fprintf(stderr, "[rank %d] %s: %s\n", rank, dc_strerror(rc), dc_env_last_error(env));
        ok = 0;
    }
    if (rank == 0)
        printf("layouts: owner of each index 0..%d on %d rank(s)\n", N - 1, size);
    for (k = 0; k < 5 && created; k++) {
        if (!show_layout(names[k], l[k], rank, size)) {
            fprintf(stderr, "[rank %d] layout %s does not match its definition\n", rank, names[k]);
            ok = 0;
        }
    }
    if (created) {
        /* weighted: equal cores on every rank must give a balanced split */
        int in[2], out[2];
        size_t nl = 0;
        uint64_t lo, hi;
        if (dc_env_get_placement(env, &pl) != DC_SUCCESS) {
            ok = 0;
            pl.ncores = 0;
        }
        in[0] = pl.ncores;
        in[1] = -pl.ncores;
        MPI_Allreduce(in, out, 2, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
        dc_layout_get_local_size(l[3], &nl);
        lo = hi = nl;
        MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_UINT64_T, MPI_MIN, MPI_COMM_WORLD);
        MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_UINT64_T, MPI_MAX, MPI_COMM_WORLD);
        if (out[0] == -out[1] && hi - lo > 1) {
            fprintf(stderr, "[rank %d] weighted: equal cores but counts %llu..%llu\n", rank,
                    (unsigned long long)lo, (unsigned long long)hi);
            ok = 0;
        }
        if (rank == 0)
            printf("  (weights: %d..%d core(s) per rank)\n", -out[1], out[0]);
    }

    /* Redistribute: block -> cyclic -> block-cyclic, then gather and check every value. */
    if (created) {
        rc = dc_vec_create(l[0], &v[0]);
        if (rc == DC_SUCCESS)
            rc = dc_vec_create(l[1], &v[1]);
        if (rc == DC_SUCCESS)
            rc = dc_vec_create(l[2], &v[2]);
        if (rc == DC_SUCCESS)
            rc = dc_vec_fill(v[0], val, NULL);
        if (rc == DC_SUCCESS)
            rc = dc_vec_redistribute(v[0], v[1]);
        if (rc == DC_SUCCESS)
            rc = dc_vec_redistribute(v[1], v[2]);
        if (rc == DC_SUCCESS)
            rc = dc_vec_gather(v[2], -1, all);
        if (rc != DC_SUCCESS) {
            fprintf(stderr, "[rank %d] redistribute/gather: %s\n", rank, dc_env_last_error(env));
            ok = 0;
        }
        for (g = 0; rc == DC_SUCCESS && g < N; g++) {
            if (all[g] != val(g, NULL)) {
                fprintf(stderr, "[rank %d] gathered[%lld] = %g, want %g\n", rank, (long long)g,
                        all[g], val(g, NULL));
                ok = 0;
                break;
            }
        }
        /* and locally: the cyclic vector's entry i is the value of its global index */
        if (rc == DC_SUCCESS) {
            const double *a = NULL;
            size_t nl = 0, i;
            dc_vec_get_local_size(v[1], &nl);
            dc_vec_get_array_read(v[1], &a);
            for (i = 0; a != NULL && i < nl; i++) {
                dc_gidx_t gi = -1;
                dc_layout_local_to_global(l[1], rank, i, &gi);
                ok &= a[i] == val(gi, NULL);
            }
            dc_vec_restore_array_read(v[1], &a);
        }
    }
    MPI_Allreduce(MPI_IN_PLACE, &ok, 1, MPI_INT, MPI_LAND, MPI_COMM_WORLD);
    if (rank == 0) {
        printf("  redistributed block -> cyclic -> block-cyclic(%d), gathered: %s\n", BC,
               ok ? "all values in place" : "WRONG");
        printf("layouts: %s\n", ok ? "ok" : "FAILED");
    }
    for (k = 0; k < 3; k++)
        dc_vec_destroy(&v[k]);
    for (k = 0; k < 5; k++)
        dc_layout_destroy(&l[k]);
    dc_env_destroy(&env);
    MPI_Finalize();
    return ok ? 0 : 1;
}
