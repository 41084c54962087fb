/*
 * bench_gemm --volume: words each rank receives in one distributed GEMM, against the tight
 * memory-independent lower bound (Al Daas, Ballard, Grigori, Kumar, Rouse, SPAA 2022). The
 * volume does not depend on speed, so it is measured at 16 or 64 ranks on any machine
 * (oversubscribed: mpirun --oversubscribe -np 16 ./bench_gemm --volume).
 *   dc 2-D    dc_mat_gemm on the default 2-D block distribution (near-square grid);
 *   dc suits  dc_mat_gemm on the input distribution that suits the shape (skinny: k split over
 *             the ranks; tall: rows over the ranks; flat: 2-D; square: the 3-D layout of a
 *             pr x pc x pk plan when the planner finds one, else 2-D);
 *   ScaLAPACK pdgemm_ of the application's ScaLAPACK on the same 2-D distribution.
 * dc's figures are its own accounting (dc_gemm_comm_t), checked here against a PMPI counter;
 * ScaLAPACK's come from the PMPI counter (every receive, broadcast and reduction it makes).
 * Printed per variant: the most loaded rank's and the average words received, the most
 * loaded rank's messages, the planner's estimate, the plan, and the ratio to the bound.
 * Run: mpirun --oversubscribe -np P ./bench_gemm --volume [--scale S] [--shapes LIST]
 *      shapes: square (2048^3), skinny (512, 512, 65536), flat (4096, 4096, 128),
 *      tall (65536, 256, 256); --scale S divides every dimension by S (the bound is computed
 *      for the scaled shape).
 */
#define _GNU_SOURCE /* dladdr */
#include "gemm_volume.h"

#include <dcompute.h>

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- PMPI counter */

static int pm_on;
static double pm_words, pm_msgs;

static double words_of(int count, MPI_Datatype t)
{
    int sz = 0;
    PMPI_Type_size(t, &sz);
    return (double)count * sz / 8.0;
}

static void got(int count, MPI_Datatype t)
{
    double w = words_of(count, t);
    if (pm_on && w > 0) {
        pm_words += w;
        pm_msgs += 1;
    }
}

int MPI_Recv(void *buf, int count, MPI_Datatype t, int src, int tag, MPI_Comm comm, MPI_Status *st)
{
    int rc = PMPI_Recv(buf, count, t, src, tag, comm, st);
    if (pm_on && st != MPI_STATUS_IGNORE) {
        int n = 0;
        PMPI_Get_count(st, t, &n);
        got(n, t);
    } else {
        got(count, t);
    }
    return rc;
}

int MPI_Irecv(void *buf, int count, MPI_Datatype t, int src, int tag, MPI_Comm comm,
              MPI_Request *req)
{
    got(count, t);
    return PMPI_Irecv(buf, count, t, src, tag, comm, req);
}

int MPI_Sendrecv(const void *sb, int sc, MPI_Datatype st, int dst, int stag, void *rb, int rcount,
                 MPI_Datatype rt, int src, int rtag, MPI_Comm comm, MPI_Status *status)
{
    got(rcount, rt);
    return PMPI_Sendrecv(sb, sc, st, dst, stag, rb, rcount, rt, src, rtag, comm, status);
}

static void got_bcast(int count, MPI_Datatype t, int root, MPI_Comm comm)
{
    int me, q;
    PMPI_Comm_rank(comm, &me);
    PMPI_Comm_size(comm, &q);
    if (q > 1 && me != root)
        got(count, t);
}

int MPI_Bcast(void *buf, int count, MPI_Datatype t, int root, MPI_Comm comm)
{
    got_bcast(count, t, root, comm);
    return PMPI_Bcast(buf, count, t, root, comm);
}

int MPI_Ibcast(void *buf, int count, MPI_Datatype t, int root, MPI_Comm comm, MPI_Request *req)
{
    got_bcast(count, t, root, comm);
    return PMPI_Ibcast(buf, count, t, root, comm, req);
}

/* A reduction to root: the root receives every other rank's contribution (the logical volume
 * of a direct reduction; a tree moves the same amount into the root's subtree). */
int MPI_Reduce(const void *sb, void *rb, int count, MPI_Datatype t, MPI_Op op, int root,
               MPI_Comm comm)
{
    int me, q, i;
    PMPI_Comm_rank(comm, &me);
    PMPI_Comm_size(comm, &q);
    if (me == root)
        for (i = 0; i < q - 1; i++)
            got(count, t);
    return PMPI_Reduce(sb, rb, count, t, op, root, comm);
}

int MPI_Alltoallv(const void *sb, const int sc[], const int sd[], MPI_Datatype st, void *rb,
                  const int rc[], const int rd[], MPI_Datatype rt, MPI_Comm comm)
{
    int me, q, i;
    PMPI_Comm_rank(comm, &me);
    PMPI_Comm_size(comm, &q);
    for (i = 0; i < q; i++)
        if (i != me)
            got(rc[i], rt);
    return PMPI_Alltoallv(sb, sc, sd, st, rb, rc, rd, rt, comm);
}

int MPI_Allgatherv(const void *sb, int sc, MPI_Datatype st, void *rb, const int rc[],
                   const int rd[], MPI_Datatype rt, MPI_Comm comm)
{
    int me, q, i;
    PMPI_Comm_rank(comm, &me);
    PMPI_Comm_size(comm, &q);
    for (i = 0; i < q; i++)
        if (i != me)
            got(rc[i], rt);
    return PMPI_Allgatherv(sb, sc, st, rb, rc, rd, rt, comm);
}

int MPI_Reduce_scatter(const void *sb, void *rb, const int rc[], MPI_Datatype t, MPI_Op op,
                       MPI_Comm comm)
{
    int me, q, i;
    PMPI_Comm_rank(comm, &me);
    PMPI_Comm_size(comm, &q);
    for (i = 0; i < q - 1; i++)
        got(rc[me], t);
    return PMPI_Reduce_scatter(sb, rb, rc, t, op, comm);
}

/* ---------------------------------------------------------------- the bound */

/*
 * Tight memory-independent lower bound on the words some rank must receive (Al Daas et al.,
 * SPAA 2022, Theorem 3) for dimensions d1 >= d2 >= d3 on P ranks:
 *   P <= d1/d2:                  d2 d3 - d2 d3 / P                          (one large dim)
 *   d1/d2 <= P <= d1 d2 / d3^2:  2 (d1 d2 d3^2 / P)^(1/2) - (d1 d3 + d2 d3) / P   (two)
 *   P >= d1 d2 / d3^2:           3 (d1 d2 d3 / P)^(2/3) - (d1 d2 + d1 d3 + d2 d3) / P (three)
 */
static double bound(double m, double n, double k, double P)
{
    double d[3] = {m, n, k}, t;
    int i, j;

    for (i = 0; i < 3; i++)
        for (j = i + 1; j < 3; j++)
            if (d[j] > d[i]) {
                t = d[i];
                d[i] = d[j];
                d[j] = t;
            }
    if (P <= d[0] / d[1])
        return d[1] * d[2] - d[1] * d[2] / P;
    if (P <= d[0] * d[1] / (d[2] * d[2]))
        return 2.0 * sqrt(d[0] * d[1] * d[2] * d[2] / P) - (d[0] * d[2] + d[1] * d[2]) / P;
    return 3.0 * pow(d[0] * d[1] * d[2] / P, 2.0 / 3.0) -
           (d[0] * d[1] + d[0] * d[2] + d[1] * d[2]) / P;
}

/* ---------------------------------------------------------------- cases */

typedef struct {
    const char *name;
    int m, n, k;
} vcase_t;

static const vcase_t all_cases[] = {
    {"square", 2048, 2048, 2048},
    {"skinny", 512, 512, 65536},
    {"flat", 4096, 4096, 128},
    {"tall", 65536, 256, 256},
};
#define NCASES ((int)(sizeof(all_cases) / sizeof(all_cases[0])))

static int g_rank, g_size; /* of MPI_COMM_WORLD */

static void near_square(int p, int *pr, int *pc)
{
    int q = 1, d;
    for (d = 1; d * d <= p; d++)
        if (p % d == 0)
            q = d;
    *pc = q;
    *pr = p / q;
}

static double fill(dc_gidx_t i, dc_gidx_t j, void *ctx)
{
    (void)ctx;
    return (double)((i * 131 + j * 71) % 97) / 97.0 - 0.5;
}

static dc_mat_t *mat(dc_env_t *env, int m, int n, int pr, int pc, int mb, int nb)
{
    dc_mat_dist_t d;
    dc_mat_t *a = NULL;

    memset(&d, 0, sizeof(d));
    d.m = m;
    d.n = n;
    d.nprow = pr;
    d.npcol = pc;
    d.mb = mb > 0 ? mb : (m + pr - 1) / pr;
    d.nb = nb > 0 ? nb : (n + pc - 1) / pc;
    if (d.mb < 1)
        d.mb = 1;
    if (d.nb < 1)
        d.nb = 1;
    if (dc_mat_create_dist(env, &d, &a) != DC_SUCCESS || dc_mat_fill(a, fill, NULL) != DC_SUCCESS)
        dc_mat_destroy(&a);
    return a;
}

static void print_line(const vcase_t *cs, const char *variant, double mine, double msgs, double est,
                       const char *plan, double bnd)
{
    double mx = 0, sum = 0, mmx = 0;

    MPI_Reduce(&mine, &mx, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    MPI_Reduce(&mine, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    MPI_Reduce(&msgs, &mmx, 1, MPI_DOUBLE, MPI_MAX, 0, MPI_COMM_WORLD);
    if (g_rank == 0)
        printf("%-7s %3d %-10s %10.0f %10.0f %7.0f %10s %-26s %10.0f %6.2fx\n", cs->name, g_size,
               variant, mx, sum / g_size, mmx, est >= 0 ? "" : "-", plan, bnd, mx / bnd),
            (void)0;
    if (g_rank == 0 && est >= 0)
        printf("%-7s %3d %-10s   (planner's estimate for the most loaded rank: %.0f words, %+.1f "
               "%%)\n",
               cs->name, g_size, variant, est, mx > 0 ? 100.0 * (est - mx) / mx : 0.0);
}

/* One dc GEMM on the given distributions; prints its line. Returns 0 if the library's count
 * disagrees with the PMPI counter on some rank. */
static int run_dc(const vcase_t *cs, const char *variant, dc_mat_t *A, dc_mat_t *B, dc_mat_t *C,
                  double bnd)
{
    dc_gemm_plan_t plan;
    char desc[64];
    int rc, ok, all;

    memset(&plan, 0, sizeof(plan));
    pm_words = pm_msgs = 0;
    pm_on = 1;
    rc = dc_mat_gemm_ex(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, A, B, 0.0, C, NULL, &plan);
    pm_on = 0;
    ok = rc == DC_SUCCESS && plan.comm.words_recv == pm_words && plan.comm.msgs_recv == pm_msgs;
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    snprintf(desc, sizeof(desc), "%s %dx%dx%d%s%s%s%s",
             plan.algo == DC_GEMM_SPLITK ? "splitk" : "summa", plan.nprow, plan.npcol, plan.nlayers,
             plan.redist_a ? " mvA" : "", plan.redist_b ? " mvB" : "",
             plan.c_in_place ? "" : " mvC", plan.gather_b ? " gathB" : "");
    print_line(cs, variant, plan.comm.words_recv, plan.comm.msgs_recv, plan.comm_bytes / 8.0, desc,
               bnd);
    if (!all && g_rank == 0)
        printf("        !! the library's count differs from the PMPI counter (rc %d)\n", rc);
    return all;
}

#ifdef DC_BENCH_SCALAPACK
static int numroc(int n, int nb, int iproc, int nprocs)
{
    int nblocks = n / nb, num = (nblocks / nprocs) * nb, extra = nblocks % nprocs;
    if (iproc < extra)
        num += nb;
    else if (iproc == extra)
        num += n % nb;
    return num;
}

/* ScaLAPACK's pdgemm_ on the 2-D block distribution of a pr x pc grid. */
static void run_scalapack(const vcase_t *cs, int pr, int pc, double bnd)
{
    int ctxt, nprow, npcol, myr, myc, info, zero = 0, one = 1;
    int da[9], db[9], dcd[9], mba, nba, mbb, nbb, mbc, nbc, lda, ldb, ldc;
    double alpha = 1.0, beta = 0.0, *a, *b, *c;
    size_t x, la, lb, lc;
    char desc[64];
    pdgemm_fn fn = bench_scalapack_pdgemm();

    if (fn == NULL) {
        if (g_rank == 0)
            printf("  scalapack: ScaLAPACK's own pdgemm_ not found, not measured\n");
        return;
    }
    Cblacs_get(-1, 0, &ctxt);
    Cblacs_gridinit(&ctxt, "Row", pr, pc);
    Cblacs_gridinfo(ctxt, &nprow, &npcol, &myr, &myc);
    mba = (cs->m + pr - 1) / pr;
    nba = (cs->k + pc - 1) / pc;
    mbb = (cs->k + pr - 1) / pr;
    nbb = (cs->n + pc - 1) / pc;
    mbc = mba;
    nbc = nbb;
    lda = numroc(cs->m, mba, myr, pr);
    ldb = numroc(cs->k, mbb, myr, pr);
    ldc = numroc(cs->m, mbc, myr, pr);
    la = (size_t)lda * numroc(cs->k, nba, myc, pc);
    lb = (size_t)ldb * numroc(cs->n, nbb, myc, pc);
    lc = (size_t)ldc * numroc(cs->n, nbc, myc, pc);
    lda = lda > 1 ? lda : 1;
    ldb = ldb > 1 ? ldb : 1;
    ldc = ldc > 1 ? ldc : 1;
    descinit_(da, &cs->m, &cs->k, &mba, &nba, &zero, &zero, &ctxt, &lda, &info);
    descinit_(db, &cs->k, &cs->n, &mbb, &nbb, &zero, &zero, &ctxt, &ldb, &info);
    descinit_(dcd, &cs->m, &cs->n, &mbc, &nbc, &zero, &zero, &ctxt, &ldc, &info);
    a = malloc(sizeof(double) * (la + 1));
    b = malloc(sizeof(double) * (lb + 1));
    c = calloc(lc + 1, sizeof(double));
    for (x = 0; x < la; x++)
        a[x] = (double)(x % 97) / 97.0 - 0.5;
    for (x = 0; x < lb; x++)
        b[x] = (double)(x % 89) / 89.0 - 0.5;
    MPI_Barrier(MPI_COMM_WORLD);
    pm_words = pm_msgs = 0;
    pm_on = 1;
    if (fn != NULL)
        fn("N", "N", &cs->m, &cs->n, &cs->k, &alpha, a, &one, &one, da, b, &one, &one, db, &beta, c,
           &one, &one, dcd);
    pm_on = 0;
    snprintf(desc, sizeof(desc), fn != NULL ? "pdgemm %dx%d" : "(no ScaLAPACK pdgemm_)", pr, pc);
    print_line(cs, "ScaLAPACK", pm_words, pm_msgs, -1.0, desc, bnd);
    free(a);
    free(b);
    free(c);
    Cblacs_gridexit(ctxt);
}
#endif

int bench_gemm_volume(int argc, char **argv)
{
    dc_env_t *env = NULL;
    int i, scale = 1, pr, pc, ok = 1;
    const char *shapes = "square,skinny,flat,tall";

    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--scale") && i + 1 < argc)
            scale = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shapes") && i + 1 < argc)
            shapes = argv[++i];
    }
    scale = scale < 1 ? 1 : scale;
    if (dc_env_create(MPI_COMM_WORLD, NULL, &env) != DC_SUCCESS)
        return 1;
    near_square(g_size, &pr, &pc);
    if (g_rank == 0)
        printf("bench_gemm --volume: %d ranks, default grid %d x %d, dimensions / %d; words are "
               "doubles received per rank\n%-7s %3s %-10s %10s %10s %7s %10s %-26s %10s %7s\n",
               g_size, pr, pc, scale, "shape", "P", "variant", "max words", "avg words", "max msg",
               "", "plan", "bound", "ratio");
    for (i = 0; i < NCASES; i++) {
        vcase_t cs = all_cases[i];
        dc_mat_t *A, *B, *C;
        double bnd;
        if (strstr(shapes, cs.name) == NULL)
            continue;
        cs.m /= scale;
        cs.n /= scale;
        cs.k /= scale;
        bnd = bound(cs.m, cs.n, cs.k, g_size);
        /* the default 2-D block distribution */
        A = mat(env, cs.m, cs.k, pr, pc, 0, 0);
        B = mat(env, cs.k, cs.n, pr, pc, 0, 0);
        C = mat(env, cs.m, cs.n, pr, pc, 0, 0);
        if (A && B && C)
            ok &= run_dc(&cs, "dc 2-D", A, B, C, bnd);
        dc_mat_destroy(&A);
        dc_mat_destroy(&B);
        dc_mat_destroy(&C);
        /* the distribution that suits the shape */
        if (!strcmp(cs.name, "skinny")) {
            A = mat(env, cs.m, cs.k, 1, g_size, 0, 0);
            B = mat(env, cs.k, cs.n, g_size, 1, 0, 0);
            C = mat(env, cs.m, cs.n, 1, g_size, 0, 0);
        } else if (!strcmp(cs.name, "tall")) {
            A = mat(env, cs.m, cs.k, g_size, 1, 0, 0);
            B = mat(env, cs.k, cs.n, g_size, 1, 0, 0);
            C = mat(env, cs.m, cs.n, g_size, 1, 0, 0);
        } else if (!strcmp(cs.name, "square")) {
            dc_gemm_plan_t p3;
            int r3 = 0, c3 = 0, l3 = 0, P = g_size, q;
            /* the most cube-like pr x pc x pk (pr = pc): its 3-D input layout */
            for (q = 1; q * q <= P; q++)
                if (P % (q * q) == 0 && (l3 == 0 || abs(P / (q * q) - q) < abs(l3 - r3))) {
                    r3 = c3 = q;
                    l3 = P / (q * q);
                }
            (void)p3;
            A = mat(env, cs.m, cs.k, r3, c3 * l3, 0, (cs.k + P - 1) / P);
            B = mat(env, cs.k, cs.n, r3 * l3, c3, c3 * ((cs.k + P - 1) / P),
                    (cs.n + c3 * l3 - 1) / (c3 * l3));
            C = mat(env, cs.m, cs.n, r3, c3 * l3, 0, (cs.n + c3 * l3 - 1) / (c3 * l3));
        } else {
            A = mat(env, cs.m, cs.k, pr, pc, 0, 0);
            B = mat(env, cs.k, cs.n, pr, pc, 0, 0);
            C = mat(env, cs.m, cs.n, pr, pc, 0, 0);
        }
        if (A && B && C)
            ok &= run_dc(&cs, "dc suits", A, B, C, bnd);
        dc_mat_destroy(&A);
        dc_mat_destroy(&B);
        dc_mat_destroy(&C);
#ifdef DC_BENCH_SCALAPACK
        run_scalapack(&cs, pr, pc, bnd);
#endif
    }
    dc_env_destroy(&env);
    return ok ? 0 : 1;
}
