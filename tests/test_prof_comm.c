/*
 * Tests of the communication and flop counts (dc_prof_get_stats, dc_prof_get_peer_bytes), each
 * against a reference computed here from what the test asked for: the one collective call of a
 * plain dc_vec_dot and its payload; the bytes a halo exchange sends to and receives from each
 * neighbour, from the boxes of the mesh's process grid; the bytes dc_vec_redistribute moves
 * between a block and a cyclic layout, from the overlap of the index ranges; the flops of
 * dc_mat_gemm summed over ranks (2 m n k); the communication matrix's consistency over ranks
 * (what r sent to q is what q received from r); nothing at all with profiling off.
 */
#include "dc_test.h"

#include <stdlib.h>
#include <string.h>

#define SEED 91

static double fill_rand(dc_gidx_t g, void *ctx)
{
    return dct_rand(*(const uint64_t *)ctx, (uint64_t)g);
}

/* Env with profiling on or off, plain (not reproducible) sums, the flat allreduce and no debug
 * agreements, whatever the DC_* variables say: the counts below assume exactly these. */
static dc_env_t *env_plain(int profile)
{
    dc_env_params_t p;

    memset(&p, 0, sizeof(p));
    p.field_mask =
        DC_ENV_PARAM_PROFILE | DC_ENV_PARAM_REPRO | DC_ENV_PARAM_ALLREDUCE | DC_ENV_PARAM_DEBUG;
    p.profile = profile;
    p.repro = DC_REPRO_OFF;
    p.allreduce = DC_ALLREDUCE_FLAT;
    p.debug = 0;
    return dct_env_create_params(&p);
}

static dc_prof_stats_t stats_of(const dc_env_t *env, const char *name)
{
    dc_prof_stats_t st;

    memset(&st, 0xff, sizeof(st));
    CU_ASSERT_EQUAL(dc_prof_get_stats(env, name, &st), DC_SUCCESS);
    return st;
}

/* This rank's row of the communication matrix: sent[q], recv[q] for every rank q. */
static void peer_row(const dc_env_t *env, uint64_t *sent, uint64_t *recv)
{
    int q;

    for (q = 0; q < dct_size; q++)
        CU_ASSERT_EQUAL(dc_prof_get_peer_bytes(env, q, &sent[q], &recv[q]), DC_SUCCESS);
}

/* ---------------------------------------------------------------- dot */

/* Plain dc_vec_dot: one collective call (one message each way), whose buffer is the local dot
 * and the error word (2 doubles, sum.c); 2 n flops for the n local entries; nothing in the
 * communication matrix (a collective has no peer). */
static void test_dot(void)
{
    dc_env_t *env = env_plain(1);
    dc_layout_t *l = NULL;
    dc_vec_t *x = NULL, *y = NULL;
    uint64_t s0 = SEED, s1 = SEED + 1, sent[64], recv[64];
    dc_prof_stats_t st;
    const dc_gidx_t n = 1001;
    size_t nlocal = 0;
    double d = 0;
    int rc, q, zero = 1;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    rc = dc_layout_create_block(env, n, &l);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(l, &x);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(l, &y);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(x, fill_rand, &s0);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(y, fill_rand, &s1);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        dc_vec_get_local_size(x, &nlocal);
        dc_prof_reset(env);
        CU_ASSERT_EQUAL(dc_vec_dot(x, y, &d), DC_SUCCESS);
        st = stats_of(env, "dc_vec_dot");
        CU_ASSERT_EQUAL(st.calls, 1);
        CU_ASSERT_EQUAL(st.msgs_sent, 1);
        CU_ASSERT_EQUAL(st.msgs_recv, 1);
        CU_ASSERT_EQUAL(st.bytes_sent, 2 * sizeof(double));
        CU_ASSERT_EQUAL(st.bytes_recv, 2 * sizeof(double));
        CU_ASSERT_EQUAL(st.flops, 2.0 * (double)nlocal);
        /* the repro variant is its own operation, and was not called */
        st = stats_of(env, "dc_vec_dot_repro");
        CU_ASSERT_EQUAL(st.calls, 0);
        CU_ASSERT_EQUAL(st.bytes_sent, 0);
        peer_row(env, sent, recv);
        for (q = 0; q < dct_size; q++)
            zero &= sent[q] == 0 && recv[q] == 0;
        CU_ASSERT(zero);
    }
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    dc_layout_destroy(&l);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- flops */

/*
 * Flops summed over ranks against the operations' counts on the global problem: dc_vec_axpy
 * 2 N, dc_vec_axpby 3 N; a 2-D 5-point and a 3-D 27-point stencil operator applied once,
 * (2 npoints - 1) per mesh point.
 */
static void test_flops(void)
{
    dc_env_t *env = env_plain(1);
    dc_layout_t *l = NULL;
    dc_vec_t *x = NULL, *y = NULL, *g = NULL, *h = NULL;
    dc_mesh_t *m = NULL;
    dc_op_t *op = NULL;
    dc_stencil_t st;
    const dc_gidx_t n = 777, n2[3] = {12, 9, 1}, n3[3] = {6, 5, 7};
    const double hh[3] = {0.1, 0.1, 0.1};
    double mine[4] = {-1, -1, -1, -1}, sum[4] = {0, 0, 0, 0};
    int rc, k;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    rc = dc_layout_create_block(env, n, &l);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(l, &x);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(l, &y);
    if (rc == DC_SUCCESS) {
        dc_prof_reset(env);
        rc = dc_vec_axpy(y, 2.0, x);
        if (rc == DC_SUCCESS)
            rc = dc_vec_axpby(y, 2.0, x, 0.5);
        mine[0] = stats_of(env, "dc_vec_axpy").flops;
        mine[1] = stats_of(env, "dc_vec_axpby").flops;
    }
    for (k = 0; k < 2 && rc == DC_SUCCESS; k++) {
        const dc_gidx_t *nn = k == 0 ? n2 : n3;
        dc_mesh_params_t mp;
        memset(&mp, 0, sizeof(mp));
        mp.field_mask = DC_MESH_PARAM_SHAPE;
        mp.shape = k == 0 ? DC_MESH_STAR : DC_MESH_BOX; /* 27 points need the corners */
        rc = dc_mesh_create(env, k == 0 ? 2 : 3, nn, 1, 1, &mp, &m);
        if (rc == DC_SUCCESS)
            rc = dc_stencil_laplacian(k == 0 ? 2 : 3, k == 0 ? 5 : 27, hh, 0.0, &st);
        if (rc == DC_SUCCESS)
            rc = dc_mesh_op_create_stencil(m, &st, &op);
        if (rc == DC_SUCCESS)
            rc = dc_mesh_create_global(m, &g);
        if (rc == DC_SUCCESS)
            rc = dc_mesh_create_global(m, &h);
        if (rc == DC_SUCCESS) {
            dc_prof_reset(env);
            rc = dc_op_apply(op, g, h);
            mine[2 + k] = stats_of(env, "dc_op_apply").flops;
        }
        dc_vec_destroy(&g);
        dc_vec_destroy(&h);
        dc_op_destroy(&op);
        dc_mesh_destroy(&m);
    }
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    MPI_Allreduce(mine, sum, 4, MPI_DOUBLE, MPI_SUM, dct_comm);
    CU_ASSERT_EQUAL(sum[0], 2.0 * (double)n);
    CU_ASSERT_EQUAL(sum[1], 3.0 * (double)n);
    CU_ASSERT_EQUAL(sum[2], (2 * 5 - 1) * (double)(n2[0] * n2[1]));
    CU_ASSERT_EQUAL(sum[3], (2 * 27 - 1) * (double)(n3[0] * n3[1] * n3[2]));
    if (dct_rank == 0 && (sum[2] != 9.0 * (double)(n2[0] * n2[1]) ||
                          sum[3] != 53.0 * (double)(n3[0] * n3[1] * n3[2])))
        fprintf(stderr, "stencil flops over ranks %.0f and %.0f\n", sum[2], sum[3]);
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    dc_layout_destroy(&l);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- halo exchange */

/* Face neighbours of a STAR mesh without periodic sides: boxes that touch along one dimension
 * d and cover the same range in the others. Bytes: the receiver's ghost slab facing the
 * sender, width layers (at most the sender's thickness) times the face, times dof doubles. */
static uint64_t face_bytes(int dim, const dc_gidx_t *s_from, const dc_gidx_t *c_from,
                           const dc_gidx_t *s_to, const dc_gidx_t *c_to, int width, int dof)
{
    int d, e, touch = -1;
    uint64_t face = 1, layers;

    for (d = 0; d < dim; d++) {
        if (c_from[d] == 0 || c_to[d] == 0)
            return 0;
        if (s_from[d] + c_from[d] == s_to[d] || s_to[d] + c_to[d] == s_from[d]) {
            if (touch >= 0)
                return 0; /* touching in two dimensions: an edge, not exchanged by STAR */
            touch = d;
        } else if (s_from[d] != s_to[d] || c_from[d] != c_to[d]) {
            return 0;
        }
    }
    if (touch < 0)
        return 0;
    for (e = 0; e < dim; e++)
        if (e != touch)
            face *= (uint64_t)c_from[e];
    layers = (uint64_t)(c_from[touch] < width ? c_from[touch] : width);
    return layers * face * (uint64_t)dof * sizeof(double);
}

static void halo_case(int dim, const dc_gidx_t *n, int dof, int width)
{
    dc_env_t *env = env_plain(1);
    dc_mesh_t *m = NULL;
    dc_vec_t *g = NULL, *loc = NULL;
    dc_mesh_info_t in;
    dc_gidx_t ms[3], mc[3], qs[3], qc[3];
    uint64_t sent[64], recv[64], esent, erecv, tsent = 0, trecv = 0;
    uint64_t s0 = SEED;
    dc_prof_stats_t st;
    int rc, q, nmsg = 0, ok = 1;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    rc = dc_mesh_create(env, dim, n, dof, width, NULL, &m);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(m, &g);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_local(m, &loc);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(g, fill_rand, &s0);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        dc_mesh_get_info(m, &in);
        CU_ASSERT_EQUAL(dc_mesh_get_box(m, dct_rank, ms, mc), DC_SUCCESS);
        dc_prof_reset(env);
        CU_ASSERT_EQUAL(dc_mesh_global_to_local(m, g, loc), DC_SUCCESS);
        peer_row(env, sent, recv);
        for (q = 0; q < dct_size; q++) {
            CU_ASSERT_EQUAL(dc_mesh_get_box(m, q, qs, qc), DC_SUCCESS);
            esent = q == dct_rank ? 0 : face_bytes(dim, ms, mc, qs, qc, width, dof);
            erecv = q == dct_rank ? 0 : face_bytes(dim, qs, qc, ms, mc, width, dof);
            if (sent[q] != esent || recv[q] != erecv) {
                ok = 0;
                fprintf(stderr,
                        "[rank %d] halo %d-D procs %d x %d x %d: to/from rank %d sent %llu "
                        "(expected %llu), received %llu (expected %llu)\n",
                        dct_rank, dim, in.procs[0], in.procs[1], in.procs[2], q,
                        (unsigned long long)sent[q], (unsigned long long)esent,
                        (unsigned long long)recv[q], (unsigned long long)erecv);
            }
            tsent += esent;
            trecv += erecv;
            nmsg += esent > 0;
        }
        CU_ASSERT(ok);
        st = stats_of(env, "dc_mesh_global_to_local");
        CU_ASSERT_EQUAL(st.calls, 1);
        CU_ASSERT_EQUAL(st.bytes_sent, tsent);
        CU_ASSERT_EQUAL(st.bytes_recv, trecv);
        CU_ASSERT_EQUAL(st.msgs_sent, (uint64_t)nmsg);
        /* the split-phase calls are their own operations, not called here */
        CU_ASSERT_EQUAL(stats_of(env, "dc_mesh_global_to_local_begin").calls, 0);
        CU_ASSERT_EQUAL(stats_of(env, "dc_mesh_global_to_local_end").calls, 0);
    }
    /* with more than one rank someone has a neighbour: the exchange moved something */
    DCT_ASSERT_ALL(dct_size == 1 || !dct_all(tsent == 0));
    dc_vec_destroy(&g);
    dc_vec_destroy(&loc);
    dc_mesh_destroy(&m);
    dc_env_destroy(&env);
}

static void test_halo(void)
{
    const dc_gidx_t n2[3] = {13, 9, 1}, n3[3] = {11, 10, 12}; /* boxes >= width at 1-5 ranks */

    halo_case(2, n2, 2, 1);
    halo_case(3, n3, 1, 2);
}

/* ---------------------------------------------------------------- redistribution */

/* Block layout of n over p ranks as the library documents it: ranks below n % p get one more. */
static void block_range(dc_gidx_t n, int p, int r, dc_gidx_t *lo, dc_gidx_t *hi)
{
    dc_gidx_t b = n / p, e = n % p;

    *lo = r * b + (r < e ? r : e);
    *hi = *lo + b + (r < e ? 1 : 0);
}

/* Entries of [lo, hi) that a cyclic layout over p ranks gives to rank q (g % p == q). */
static uint64_t cyclic_overlap(dc_gidx_t lo, dc_gidx_t hi, int p, int q)
{
    uint64_t c = 0;
    dc_gidx_t g;

    for (g = lo; g < hi; g++)
        c += g % p == q;
    return c;
}

static void test_redistribute(void)
{
    dc_env_t *env = env_plain(1);
    dc_layout_t *lb = NULL, *lc = NULL;
    dc_vec_t *x = NULL, *y = NULL;
    const dc_gidx_t n = 1237;
    uint64_t s0 = SEED, sent[64], recv[64], esent, erecv, tsent = 0, trecv = 0;
    dc_gidx_t lo, hi, qlo, qhi;
    dc_prof_stats_t st;
    int rc, q, ok = 1, p = dct_size, me = dct_rank;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    rc = dc_layout_create_block(env, n, &lb);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_cyclic(env, n, &lc);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(lb, &x);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(lc, &y);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(x, fill_rand, &s0);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        dc_prof_reset(env);
        CU_ASSERT_EQUAL(dc_vec_redistribute(x, y), DC_SUCCESS);
        peer_row(env, sent, recv);
        block_range(n, p, me, &lo, &hi);
        for (q = 0; q < p; q++) {
            block_range(n, p, q, &qlo, &qhi);
            esent = q == me ? 0 : cyclic_overlap(lo, hi, p, q) * sizeof(double);
            erecv = q == me ? 0 : cyclic_overlap(qlo, qhi, p, me) * sizeof(double);
            ok &= sent[q] == esent && recv[q] == erecv;
            tsent += esent;
            trecv += erecv;
        }
        CU_ASSERT(ok);
        /* the operation's totals also hold its agreement (a collective call, its size an
         * internal matter): at least the point-to-point part */
        st = stats_of(env, "dc_vec_redistribute");
        CU_ASSERT_EQUAL(st.calls, 1);
        CU_ASSERT(st.bytes_sent >= tsent);
        CU_ASSERT(st.bytes_recv >= trecv);
        /* and back: the reverse matrix */
        dc_prof_reset(env);
        CU_ASSERT_EQUAL(dc_vec_redistribute(y, x), DC_SUCCESS);
        peer_row(env, sent, recv);
        ok = 1;
        for (q = 0; q < p; q++) {
            block_range(n, p, q, &qlo, &qhi);
            esent = q == me ? 0 : cyclic_overlap(qlo, qhi, p, me) * sizeof(double);
            erecv = q == me ? 0 : cyclic_overlap(lo, hi, p, q) * sizeof(double);
            ok &= sent[q] == esent && recv[q] == erecv;
        }
        CU_ASSERT(ok);
    }
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    dc_layout_destroy(&lb);
    dc_layout_destroy(&lc);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- matrix check */

/* Collective: 1 if what every rank r counted as sent to q is what q counted as received from
 * r, and no rank sent to itself; *any_p: someone sent something. */
static int matrix_consistent(const dc_env_t *env, int *any_p)
{
    int p = dct_size, r, q, ok = 1, any = 0;
    uint64_t *row = calloc(2 * (size_t)p, sizeof(uint64_t));
    uint64_t *all = calloc(2 * (size_t)p * (size_t)p, sizeof(uint64_t));

    if (row != NULL && all != NULL) {
        peer_row(env, row, row + p);
        MPI_Allgather(row, 2 * p, MPI_UINT64_T, all, 2 * p, MPI_UINT64_T, dct_comm);
        for (r = 0; r < p; r++)
            for (q = 0; q < p; q++) {
                uint64_t s_rq = all[(size_t)r * 2 * p + q];     /* r sent to q */
                uint64_t r_qr = all[(size_t)q * 2 * p + p + r]; /* q received from r */
                ok &= s_rq == r_qr;
                any |= s_rq > 0;
                if (r == q)
                    ok &= s_rq == 0; /* a rank's own part is not a message */
            }
    } else {
        ok = 0;
    }
    free(row);
    free(all);
    *any_p = any;
    return dct_all(ok);
}

/* ---------------------------------------------------------------- gemm */

static void test_gemm_flops(void)
{
    dc_env_t *env = env_plain(1);
    dc_grid_t *grid = NULL;
    dc_mat_t *a = NULL, *b = NULL, *c = NULL;
    const dc_gidx_t m = 37, n = 29, k = 23;
    uint64_t s0 = SEED, s1 = SEED + 1;
    dc_prof_stats_t st;
    double mine = -1, sum = 0;
    int rc, pr, pc;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    dct_near_square(dct_size, &pr, &pc);
    rc = dc_grid_create(env, pr, pc, &grid);
    if (rc == DC_SUCCESS)
        rc = dc_mat_create(grid, m, k, 4, 3, 0, 0, &a);
    if (rc == DC_SUCCESS)
        rc = dc_mat_create(grid, k, n, 3, 5, 0, 0, &b);
    if (rc == DC_SUCCESS)
        rc = dc_mat_create(grid, m, n, 4, 5, 0, 0, &c);
    if (rc == DC_SUCCESS)
        rc = dc_mat_fill(a, dct_mat_entry, &s0);
    if (rc == DC_SUCCESS)
        rc = dc_mat_fill(b, dct_mat_entry, &s1);
    if (rc == DC_SUCCESS)
        rc = dc_mat_set_all(c, 0.0);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc == DC_SUCCESS) {
        dc_prof_reset(env);
        rc = dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, a, b, 0.5, c);
        CU_ASSERT_EQUAL(rc, DC_SUCCESS);
        st = stats_of(env, "dc_mat_gemm");
        CU_ASSERT_EQUAL(st.calls, 1);
        mine = st.flops;
        /* dc_mat_gemm is not counted as a dc_mat_gemm_ex call as well */
        CU_ASSERT_EQUAL(stats_of(env, "dc_mat_gemm_ex").calls, 0);
        CU_ASSERT_EQUAL(stats_of(env, "dc_mat_gemm_ex").flops, 0.0);
    }
    MPI_Allreduce(&mine, &sum, 1, MPI_DOUBLE, MPI_SUM, dct_comm);
    DCT_ASSERT_ALL(sum == 2.0 * (double)m * (double)n * (double)k);
    if (dct_rank == 0 && sum != 2.0 * (double)m * (double)n * (double)k)
        fprintf(stderr, "gemm flops over ranks %.0f, expected %.0f\n", sum,
                2.0 * (double)m * (double)n * (double)k);
    /* k split over 2 layers (even rank counts): each layer's DGEMMs cover its part of k, the
     * reduce-scatter of the layers goes per peer through the grid's rank map */
    if (dct_size % 2 == 0) {
        dc_gemm_params_t gp;
        int any = 0;
        memset(&gp, 0, sizeof(gp));
        gp.field_mask = DC_GEMM_PARAM_ALGO | DC_GEMM_PARAM_GRID;
        gp.algo = DC_GEMM_SPLITK;
        gp.nprow = 1;
        gp.npcol = dct_size / 2;
        gp.nlayers = 2;
        mine = -1;
        sum = 0;
        if (rc == DC_SUCCESS) {
            dc_prof_reset(env);
            rc = dc_mat_gemm_ex(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, a, b, 0.0, c, &gp, NULL);
            CU_ASSERT_EQUAL(rc, DC_SUCCESS);
            mine = stats_of(env, "dc_mat_gemm_ex").flops;
        }
        MPI_Allreduce(&mine, &sum, 1, MPI_DOUBLE, MPI_SUM, dct_comm);
        DCT_ASSERT_ALL(sum == 2.0 * (double)m * (double)n * (double)k);
        CU_ASSERT(matrix_consistent(env, &any));
        CU_ASSERT(any);
    }
    dc_mat_destroy(&a);
    dc_mat_destroy(&b);
    dc_mat_destroy(&c);
    dc_grid_destroy(&grid);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- matrix and off */

/* Scheduler callback: the sum of i over [lo, hi), the block's value. */
static int sum_index(dc_gidx_t lo, dc_gidx_t hi, void *value, void *ctx)
{
    double s = 0;
    dc_gidx_t i;

    (void)ctx;
    for (i = lo; i < hi; i++)
        s += (double)i;
    *(double *)value = s; /* the block's value is written, not added */
    return 0;
}

/* A mix of operations that move data between ranks (halo, redistribution, gather, GEMM, a
 * dynamic schedule whose partial values travel in point-to-point messages). */
static int run_mix(dc_env_t *env)
{
    const dc_gidx_t nm[3] = {11, 10, 1};
    dc_mesh_t *m = NULL;
    dc_vec_t *g = NULL, *loc = NULL, *x = NULL, *y = NULL;
    dc_layout_t *lb = NULL, *lc = NULL;
    dc_grid_t *grid = NULL;
    dc_mat_t *a = NULL, *c = NULL;
    dc_sched_t *sc = NULL;
    double *full = NULL, d = 0, total = -1;
    uint64_t s0 = SEED;
    int rc, pr, pc;

    rc = dc_mesh_create(env, 2, nm, 1, 1, NULL, &m);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(m, &g);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_local(m, &loc);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_global_to_local(m, g, loc);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_local_to_global(m, loc, g, DC_MESH_ADD);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_block(env, 503, &lb);
    if (rc == DC_SUCCESS)
        rc = dc_layout_create_block_cyclic(env, 503, 7, &lc);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(lb, &x);
    if (rc == DC_SUCCESS)
        rc = dc_vec_create(lc, &y);
    if (rc == DC_SUCCESS)
        rc = dc_vec_fill(x, fill_rand, &s0);
    if (rc == DC_SUCCESS)
        rc = dc_vec_redistribute(x, y);
    if (rc == DC_SUCCESS)
        rc = dc_vec_dot(y, y, &d);
    full = malloc(503 * sizeof(double));
    if (rc == DC_SUCCESS)
        rc = dc_vec_gather(y, -1, full);
    if (rc == DC_SUCCESS)
        rc = dc_vec_scatter(x, 0, full);
    if (rc == DC_SUCCESS) {
        dct_near_square(dct_size, &pr, &pc);
        rc = dc_grid_create(env, pr, pc, &grid);
    }
    if (rc == DC_SUCCESS)
        rc = dc_mat_create(grid, 17, 17, 3, 2, 0, 0, &a);
    if (rc == DC_SUCCESS)
        rc = dc_mat_create(grid, 17, 17, 2, 3, 0, 0, &c);
    if (rc == DC_SUCCESS)
        rc = dc_mat_fill(a, dct_mat_entry, &s0);
    if (rc == DC_SUCCESS)
        rc = dc_mat_gemm(DC_MAT_NOTRANS, DC_MAT_TRANS, 1.0, a, a, 0.0, c);
    if (rc == DC_SUCCESS)
        rc = dc_mat_redistribute(c, a);
    if (rc == DC_SUCCESS)
        rc = dc_sched_create(env, &sc);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_kind(sc, DC_SCHED_DYNAMIC);
    if (rc == DC_SUCCESS)
        rc = dc_sched_setup(sc);
    if (rc == DC_SUCCESS)
        rc = dc_sched_run(sc, 1000, sum_index, NULL, &total);
    if (rc == DC_SUCCESS && total != 999.0 * 1000.0 / 2)
        rc = DC_ERR_INTERNAL; /* the schedule's own result, from the formula */
    if (rc != DC_SUCCESS)
        fprintf(stderr, "[rank %d] run_mix: %s (%s), total %g\n", dct_rank, dc_strerror(rc),
                dc_env_last_error(env), total);
    dc_sched_destroy(&sc);
    free(full);
    dc_mat_destroy(&a);
    dc_mat_destroy(&c);
    dc_grid_destroy(&grid);
    dc_vec_destroy(&x);
    dc_vec_destroy(&y);
    dc_layout_destroy(&lb);
    dc_layout_destroy(&lc);
    dc_vec_destroy(&g);
    dc_vec_destroy(&loc);
    dc_mesh_destroy(&m);
    return rc;
}

/* The communication matrix over ranks: what r counted as sent to q is what q counted as
 * received from r, and someone sent something (with more than one rank). */
static void test_matrix_consistent(void)
{
    dc_env_t *env = env_plain(1);
    int rc, any = 0;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    dc_prof_reset(env);
    rc = run_mix(env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    CU_ASSERT(matrix_consistent(env, &any));
    CU_ASSERT(dct_size == 1 || any);
    dc_env_destroy(&env);
}

/* Profiling off: the same operations leave every counter and the matrix at zero. */
static void test_off_zero(void)
{
    static const char *const names[] = {"dc_mesh_global_to_local",
                                        "dc_mesh_local_to_global",
                                        "dc_vec_redistribute",
                                        "dc_vec_dot",
                                        "dc_vec_gather",
                                        "dc_vec_scatter",
                                        "dc_mat_gemm",
                                        "dc_mat_redistribute",
                                        "dc_mesh_create",
                                        "dc_vec_create"};
    dc_env_t *env = env_plain(0);
    uint64_t sent[64], recv[64];
    dc_prof_stats_t st;
    size_t i;
    int q, zero = 1, rc;

    DCT_ASSERT_ALL(env != NULL);
    if (env == NULL)
        return;
    rc = run_mix(env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        st = stats_of(env, names[i]);
        zero &= st.calls == 0 && st.bytes_sent == 0 && st.bytes_recv == 0 && st.msgs_sent == 0 &&
                st.msgs_recv == 0 && st.flops == 0.0 && st.seconds == 0.0 && st.comm_seconds == 0.0;
    }
    peer_row(env, sent, recv);
    for (q = 0; q < dct_size; q++)
        zero &= sent[q] == 0 && recv[q] == 0;
    CU_ASSERT(zero);
    dc_env_destroy(&env);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("prof_comm", NULL, NULL);

    CU_add_test(s, "dc_vec_dot: one collective, its payload, 2n flops", test_dot);
    CU_add_test(s, "flops: BLAS-1 and stencils over ranks", test_flops);
    CU_add_test(s, "halo exchange: bytes per neighbour from the geometry", test_halo);
    CU_add_test(s, "redistribute: bytes per peer from the index overlap", test_redistribute);
    CU_add_test(s, "gemm: flops over ranks = 2 m n k", test_gemm_flops);
    CU_add_test(s, "communication matrix consistent over ranks", test_matrix_consistent);
    CU_add_test(s, "profiling off: all zero", test_off_zero);
}
