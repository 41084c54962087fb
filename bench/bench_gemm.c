/*
 * bench_gemm: libdcompute's distributed GEMM against the node's limit and ScaLAPACK, measured in
 * one run and printed with ratios:
 *   dc       dc_mat_gemm on P ranks, operands 2-D block on the default grid (its own choice of
 *            algorithm);
 *   repro    the same in reproducible mode (target >= 0.7x dc);
 *   blas     OpenBLAS dgemm with P threads in one process (rank 0, allowed on every CPU; the
 *            other ranks sleep in a non-blocking barrier): the node's limit (target: dc >= 0.9x
 *            at n = 2048 and 4096 on 2 ranks);
 *   scal     ScaLAPACK's own pdgemm_ on the same P ranks and grid, block size 64 and 256, the
 *            better one reported (target for the skinny shapes: dc >= 1.5x);
 *   compat   pdgemm_ of libdcompute_scalapack on ScaLAPACK's arrays and descriptors (the better
 *            block size), i.e. what an unchanged ScaLAPACK program gets by linking it first.
 * Each figure is the median of --reps timed calls (barrier, call, barrier; one warm-up first).
 * Run: mpirun --bind-to core -np 2 ./bench_gemm [--cases LIST] [--reps N] [--quick]
 *      cases: n1024,n2048,n4096,skinny (m = n = 1024, k = 65536),flat (m = n = 4096, k = 256)
 */
#define _GNU_SOURCE
#include <dcompute.h>

#include <cblas.h>
#include <dirent.h>
#include <dlfcn.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef DC_BENCH_SCALAPACK
void Cblacs_get(int ctxt, int what, int *val);
void Cblacs_gridinit(int *ctxt, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int ctxt, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int ctxt);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *rsrc,
               const int *csrc, const int *ctxt, const int *lld, int *info);
void pdgemm_(const char *transa, const char *transb, const int *m, const int *n, const int *k,
             const double *alpha, const double *a, const int *ia, const int *ja, const int *desca,
             const double *b, const int *ib, const int *jb, const int *descb, const double *beta,
             double *c, const int *ic, const int *jc, const int *descc);
#endif
typedef void (*pdgemm_fn)(const char *, const char *, const int *, const int *, const int *,
                          const double *, const double *, const int *, const int *, const int *,
                          const double *, const int *, const int *, const int *, const double *,
                          double *, const int *, const int *, const int *);
void openblas_set_num_threads(int n);
int openblas_get_num_threads(void);

#define MAX_REPS 15

typedef struct {
    const char *name;
    int m, n, k;
} gcase_t;

static const gcase_t all_cases[] = {
    {"n1024", 1024, 1024, 1024},   {"n2048", 2048, 2048, 2048}, {"n4096", 4096, 4096, 4096},
    {"skinny", 1024, 1024, 65536}, {"flat", 4096, 4096, 256},
};
#define NCASES ((int)(sizeof(all_cases) / sizeof(all_cases[0])))

static int g_rank, g_size, g_reps = 3;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
    qsort(t, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

static double fill(dc_gidx_t i, dc_gidx_t j, void *ctx)
{
    (void)ctx;
    return (double)((i * 131 + j * 71) % 97) / 97.0 - 0.5;
}

/* ---------------------------------------------------------------- dc GEMM */

typedef struct {
    dc_mat_t *a, *b, *c;
    dc_gemm_params_t prm;
    dc_gemm_plan_t plan;
} dcrun_t;

static double time_dc(dcrun_t *r)
{
    double t[MAX_REPS], t0;
    int i, rc = DC_SUCCESS;

    for (i = -1; i < g_reps; i++) {
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = now();
        rc |= dc_mat_gemm_ex(DC_MAT_NOTRANS, DC_MAT_NOTRANS, 1.0, r->a, r->b, 0.0, r->c, &r->prm,
                             &r->plan);
        MPI_Barrier(MPI_COMM_WORLD);
        if (i >= 0)
            t[i] = now() - t0;
    }
    if (rc != DC_SUCCESS)
        return -1.0;
    return median(t, g_reps);
}

/* ---------------------------------------------------------------- the node's limit */

/* Set the CPU affinity of every thread of this process (Linux: /proc/self/task). */
static void all_threads_affinity(const cpu_set_t *set)
{
    DIR *d = opendir("/proc/self/task");
    struct dirent *e;

    if (d == NULL) {
        sched_setaffinity(0, sizeof(*set), set);
        return;
    }
    while ((e = readdir(d)) != NULL)
        if (e->d_name[0] != '.')
            sched_setaffinity((pid_t)atoi(e->d_name), sizeof(*set), set);
    closedir(d);
}

/*
 * OpenBLAS with P threads on rank 0, allowed on every CPU of the node for the measurement (the
 * launcher may have bound it to one core); the other ranks wait without spinning.
 */
static double time_blas(const gcase_t *cs)
{
    double med = 0.0;

    if (g_rank == 0) {
        cpu_set_t saved, all;
        double *a = malloc(sizeof(double) * (size_t)cs->m * cs->k);
        double *b = malloc(sizeof(double) * (size_t)cs->k * cs->n);
        double *c = malloc(sizeof(double) * (size_t)cs->m * cs->n);
        double t[MAX_REPS], t0;
        int i, saved_threads = openblas_get_num_threads(), cpu;
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

        for (i = 0; i < cs->m * cs->k; i++)
            a[i] = (double)(i % 97) / 97.0 - 0.5;
        for (i = 0; i < cs->k * cs->n; i++)
            b[i] = (double)(i % 89) / 89.0 - 0.5;
        sched_getaffinity(0, sizeof(saved), &saved);
        CPU_ZERO(&all);
        for (cpu = 0; cpu < ncpu; cpu++)
            CPU_SET(cpu, &all);
        openblas_set_num_threads(g_size);
        all_threads_affinity(&all); /* OpenBLAS's workers too: they inherited the binding */
        for (i = -1; i < g_reps; i++) {
            t0 = now();
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, cs->m, cs->n, cs->k, 1.0, a,
                        cs->m, b, cs->k, 0.0, c, cs->m);
            if (i >= 0)
                t[i] = now() - t0;
        }
        med = median(t, g_reps);
        openblas_set_num_threads(saved_threads);
        all_threads_affinity(&saved);
        free(a);
        free(b);
        free(c);
    }
    {
        MPI_Request req;
        int done = 0;
        struct timespec ms = {0, 1000000};
        MPI_Ibarrier(MPI_COMM_WORLD, &req);
        while (!done) {
            MPI_Test(&req, &done, MPI_STATUS_IGNORE);
            if (!done)
                nanosleep(&ms, NULL);
        }
    }
    MPI_Bcast(&med, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return med;
}

/* ---------------------------------------------------------------- ScaLAPACK */

#ifdef DC_BENCH_SCALAPACK
static int numroc(int n, int nb, int iproc, int isrc, int nprocs)
{
    int mydist = (nprocs + iproc - isrc) % nprocs, nblocks = n / nb;
    int num = (nblocks / nprocs) * nb, extra = nblocks % nprocs;
    if (mydist < extra)
        num += nb;
    else if (mydist == extra)
        num += n % nb;
    return num;
}

static pdgemm_fn scalapack_pdgemm(void)
{
    Dl_info di;
    void *h, *sym;
    pdgemm_fn fn = NULL;

    if (dladdr((void *)descinit_, &di) == 0 ||
        (h = dlopen(di.dli_fname, RTLD_LAZY | RTLD_NOLOAD)) == NULL)
        return NULL;
    sym = dlsym(h, "pdgemm_");
    memcpy(&fn, &sym, sizeof(fn));
    return fn;
}

/* Median time of fn on ScaLAPACK arrays of block size nb on a pr x pc BLACS grid. */
static double time_pdgemm(pdgemm_fn fn, const gcase_t *cs, int pr, int pc, int nb)
{
    int ctxt, nprow, npcol, myrow, mycol, info, zero = 0, one = 1, i;
    int da[9], db[9], dcd[9], ma, na, mb, nbl, mc, nc, lda, ldb, ldc;
    double *a, *b, *c, t[MAX_REPS], t0, alpha = 1.0, beta = 0.0;
    size_t x;

    Cblacs_get(-1, 0, &ctxt);
    Cblacs_gridinit(&ctxt, "Row", pr, pc);
    Cblacs_gridinfo(ctxt, &nprow, &npcol, &myrow, &mycol);
    ma = numroc(cs->m, nb, myrow, 0, nprow);
    na = numroc(cs->k, nb, mycol, 0, npcol);
    mb = numroc(cs->k, nb, myrow, 0, nprow);
    nbl = numroc(cs->n, nb, mycol, 0, npcol);
    mc = numroc(cs->m, nb, myrow, 0, nprow);
    nc = numroc(cs->n, nb, mycol, 0, npcol);
    lda = ma > 1 ? ma : 1;
    ldb = mb > 1 ? mb : 1;
    ldc = mc > 1 ? mc : 1;
    descinit_(da, &cs->m, &cs->k, &nb, &nb, &zero, &zero, &ctxt, &lda, &info);
    descinit_(db, &cs->k, &cs->n, &nb, &nb, &zero, &zero, &ctxt, &ldb, &info);
    descinit_(dcd, &cs->m, &cs->n, &nb, &nb, &zero, &zero, &ctxt, &ldc, &info);
    a = malloc(sizeof(double) * ((size_t)lda * na + 1));
    b = malloc(sizeof(double) * ((size_t)ldb * nbl + 1));
    c = calloc((size_t)ldc * nc + 1, sizeof(double));
    for (x = 0; x < (size_t)lda * na; x++)
        a[x] = (double)(x % 97) / 97.0 - 0.5;
    for (x = 0; x < (size_t)ldb * nbl; x++)
        b[x] = (double)(x % 89) / 89.0 - 0.5;
    for (i = -1; i < g_reps; i++) {
        MPI_Barrier(MPI_COMM_WORLD);
        t0 = now();
        fn("N", "N", &cs->m, &cs->n, &cs->k, &alpha, a, &one, &one, da, b, &one, &one, db, &beta, c,
           &one, &one, dcd);
        MPI_Barrier(MPI_COMM_WORLD);
        if (i >= 0)
            t[i] = now() - t0;
    }
    free(a);
    free(b);
    free(c);
    Cblacs_gridexit(ctxt);
    return median(t, g_reps);
}
#endif

/* ---------------------------------------------------------------- main */

static void near_square(int p, int *pr, int *pc)
{
    int q = 1, d;
    for (d = 1; d * d <= p; d++)
        if (p % d == 0)
            q = d;
    *pc = q;
    *pr = p / q;
}

static double gf(const gcase_t *cs, double t)
{
    return t > 0 ? 2.0 * cs->m * (double)cs->n * cs->k / t * 1e-9 : 0.0;
}

int main(int argc, char **argv)
{
    const char *cases = "n1024,n2048,n4096,skinny,flat";
    dc_env_t *env = NULL;
    dc_grid_t *grid = NULL;
    int i, pr, pc, quick = 0;

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--cases") && i + 1 < argc)
            cases = argv[++i];
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            g_reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--quick"))
            quick = 1;
    }
    if (g_reps < 1)
        g_reps = 1;
    if (g_reps > MAX_REPS)
        g_reps = MAX_REPS;
    if (quick) {
        cases = "n1024";
        g_reps = 1;
    }
    if (dc_env_create(MPI_COMM_WORLD, NULL, &env) != DC_SUCCESS) {
        fprintf(stderr, "dc_env_create failed: %s\n", dc_env_last_error(NULL));
        MPI_Abort(MPI_COMM_WORLD, 1);
    }
    near_square(g_size, &pr, &pc);
    dc_grid_create(env, pr, pc, &grid);
    if (g_rank == 0) {
        dc_placement_t pl;
        dc_env_get_placement(env, &pl);
        printf("bench_gemm: %d ranks, grid %d x %d, %d BLAS thread(s) per rank, median of %d\n",
               g_size, pr, pc, pl.blas_threads, g_reps);
        printf("%-7s %6s %6s %6s | %7s %7s %7s %7s %7s | %6s %6s %6s %6s | %s\n", "case", "m", "n",
               "k", "dc", "repro", "blas", "scal", "compat", "dc/bl", "dc/sc", "rep/dc", "cp/sc",
               "plan (dc)");
    }
    for (i = 0; i < NCASES; i++) {
        const gcase_t *cs = &all_cases[i];
        dcrun_t r;
        double t_dc, t_rep, t_blas, t_scal = -1, t_compat = -1;
        int best_nb = 0;
        char plan[64];
        if (strstr(cases, cs->name) == NULL)
            continue;
        memset(&r, 0, sizeof(r));
        dc_mat_create(grid, cs->m, cs->k, 0, 0, 0, 0, &r.a);
        dc_mat_create(grid, cs->k, cs->n, 0, 0, 0, 0, &r.b);
        dc_mat_create(grid, cs->m, cs->n, 0, 0, 0, 0, &r.c);
        dc_mat_fill(r.a, fill, NULL);
        dc_mat_fill(r.b, fill, NULL);
        t_dc = time_dc(&r);
        snprintf(plan, sizeof(plan), "%s %dx%dx%d panel %d%s%s%s",
                 r.plan.algo == DC_GEMM_SPLITK ? "splitk" : "summa", r.plan.nprow, r.plan.npcol,
                 r.plan.nlayers, r.plan.panel, r.plan.redist_a ? " +A" : "",
                 r.plan.redist_b ? " +B" : "", r.plan.c_in_place ? "" : " +C");
        r.prm.field_mask = DC_GEMM_PARAM_REPRO;
        r.prm.repro = DC_REPRO_BINNED;
        t_rep = time_dc(&r);
        dc_mat_destroy(&r.a);
        dc_mat_destroy(&r.b);
        dc_mat_destroy(&r.c);
        t_blas = time_blas(cs);
#ifdef DC_BENCH_SCALAPACK
        {
            pdgemm_fn real = scalapack_pdgemm();
            int nbs[2] = {64, 256}, q;
            if (real != NULL) {
                for (q = 0; q < 2; q++) {
                    double t = time_pdgemm(real, cs, pr, pc, nbs[q]);
                    if (t_scal < 0 || t < t_scal) {
                        t_scal = t;
                        best_nb = nbs[q];
                    }
                }
                t_compat = time_pdgemm(pdgemm_, cs, pr, pc, best_nb);
            }
        }
#endif
        if (g_rank == 0)
            printf("%-7s %6d %6d %6d | %7.1f %7.1f %7.1f %7.1f %7.1f | %6.2f %6.2f %6.2f %6.2f | "
                   "%s; scal nb %d\n",
                   cs->name, cs->m, cs->n, cs->k, gf(cs, t_dc), gf(cs, t_rep), gf(cs, t_blas),
                   gf(cs, t_scal), gf(cs, t_compat), t_blas / t_dc, t_scal / t_dc, t_dc / t_rep,
                   t_scal / t_compat, plan, best_nb);
        fflush(stdout);
    }
    if (g_rank == 0)
        printf("targets on 2 ranks: dc/bl >= 0.90 at n2048 and n4096; dc/sc >= 1.5 on skinny "
               "and flat; rep/dc >= 0.70 (GFLOP/s columns; ratios are time ratios)\n");
    dc_grid_destroy(&grid);
    dc_env_destroy(&env);
    MPI_Finalize();
    return 0;
}
