/*
 * bench_solve: libdcompute's structured-grid solvers against PETSc (DMDA + KSP), in the same run,
 * on the same grid, process grid and ranks, printed as speed ratios (PETSc time / our time:
 * above 1 means faster):
 *   (1) time per CG iteration: our CG and pipelined CG (matrix-free constant stencil,
 *       dc_mesh_op_create_stencil) vs PETSc KSPCG (and KSPPIPECG) with -pc_type none on the AIJ
 *       matrix of the same 5-point (2-D) or 7-point (3-D) Laplacian assembled on a DMDA; a fixed
 *       number of iterations from x = 0 (rtol = atol = 0). PETSc computes its residual norm as
 *       KSP_NORM_NATURAL, sqrt(r'r) with no preconditioner: the norm our CG tests, and PETSc's
 *       cheapest way to get it (no extra reduction). Target: CG >= 1.5x PETSc's CG.
 *   (2) time to solution, relative residual 1e-8 (both sides test the unpreconditioned
 *       residual 2-norm against ||b||), of our MG-preconditioned CG vs PETSc's CG preconditioned
 *       by -pc_type gamg, hypre (BoomerAMG) and mg (geometric on the DMDA, Galerkin coarse
 *       operators, Chebyshev/Jacobi smoothing); setup (our dc_solver_create, PETSc's KSPSetUp;
 *       PETSc's matrix assembly is printed apart and not counted) and solve. Every variant runs
 *       on the same 2^k+1 grid (PCMG coarsens it). Targets: total >= 2x the best PETSc total,
 *       solve alone >= 1x the best PETSc solve.
 *   (3) pipelined CG vs CG: time per iteration and the time waiting for reductions
 *       (dc_solve_result_t::reduce_wait, max over ranks) from the runs of (1), and the share of a
 *       reduction the pipelining hid. Reported, no target.
 *   (4) the profiler's cost: on the 2-D grid of (1), our CG (the same solver and vectors) with
 *       profiling switched off and on (the env is created with DC_PROFILE, report to
 *       /dev/null, and switched off for everything else) in 25 interleaved pairs; the overhead
 *       t_on / t_off per pair must stay <= 1.02 (the issue), and the profiled CG must compute the
 *       same x bit for bit.
 * The problem is -Laplace(u) = f on the unit square/cube with homogeneous Dirichlet boundaries,
 * n points per dimension at x_i = (i + 1) h, h = 1/(n + 1), f from the manufactured solution
 * u = prod x_d (1 - x_d) exp(x_d). Every answer is checked: the true residual ||b - A x|| / ||b||
 * of each solution (PETSc's MatMult on the assembled matrix, for our solutions too), the difference
 * of the two sides' iterates in (1), and the maximum error against u in (2); a wrong answer fails
 * the run whatever its speed.
 * Method: interleaved repetitions (the order of the variants rotates every repetition), a
 * barrier before each timing, time = max over ranks, medians and min-max ranges; ratios per
 * repetition, printed as median [min - max]. Load and the CPU time of other work are reported
 * (bench_util.c); results also go to $DC_BENCH_OUT/bench_solve.csv (docs/benchmarks.md). The run
 * keeps to --time-limit (120 s, for the main job): (1) starts no repetition after 30 % (2-D) and 60
 * % (3-D) of it (one always runs), (2) starts no hypre or GAMG run after it (ours and PCMG always
 * run once), so every target is measured. PETSc's options are set by the program
 * (PetscOptionsSetValue with a prefix per variant); the command line is not given to PETSc.
 * Run: mpirun -np 2 ./bench_solve [--quick] [--reps N] [--reps2 N] [--its N]
 *      [--time-limit SECONDS]
 */
#include "bench_util.h"

#include <dcompute.h>

#include <math.h>
#include <petscdmda.h>
#include <petscksp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Targets of the issue: speed ratios, PETSc time over ours. */
#define TARGET_CG_IT     1.5 /* (1) time per CG iteration */
#define TARGET_MG_TOTAL  2.0 /* (2) setup + solve vs the best PETSc variant */
#define TARGET_MG_SOLVE  1.0 /* (2) solve alone vs the best PETSc solve */
#define MAX_REPS         64
#define RTOL             1e-8
#define TRUE_RES_SLACK   10.0 /* (2) accepted true residual: TRUE_RES_SLACK * RTOL */
#define CG_DIFF_TOL      1e-4 /* (1) ||x_ours - x_petsc|| / ||x_petsc||, plain CG (2e-7 at 128^3) */
#define PIPE_DIFF_TOL    1e-3 /* (1) the same for pipelined CG (another recurrence) */
#define RES_FLOOR        1e-10 /* (1) true residuals below this: both converged (small grids) */
#define ERR_AGREE_FACTOR 1.05  /* (2) every variant's max error within 5 % of the smallest */

typedef struct {
    int quick;
    int reps;          /* (1) interleaved repetitions */
    int reps2;         /* (2) repetitions of each variant */
    int its;           /* (1) iterations per timed solve */
    double time_limit; /* seconds: later measurements are skipped */
    dc_gidx_t n2, n3;  /* (1) grids: n2^2 and n3^3 */
    dc_gidx_t nmg;     /* (2) grid nmg^2, nmg = 2^k + 1 */
    const char *csv;   /* --csv PATH */
} opts_t;

static int g_rank, g_size;
static double g_t_start;
static dcb_t g_b; /* load, disturbance, CSV, progress */
static int g_targets, g_missed, g_failed;
static char g_missed_text[1024];

/* ---------------------------------------------------------------- small helpers */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double s[MAX_REPS];
    memcpy(s, v, (size_t)n * sizeof(double));
    qsort(s, (size_t)n, sizeof(double), cmp_double);
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

static void range(const double *v, int n, double *lo, double *hi)
{
    int i;
    *lo = *hi = v[0];
    for (i = 1; i < n; i++) {
        *lo = v[i] < *lo ? v[i] : *lo;
        *hi = v[i] > *hi ? v[i] : *hi;
    }
}

static double max_over_ranks(double v)
{
    double m = v;
    MPI_Allreduce(&v, &m, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return m;
}

static int any_failed(int failed)
{
    int all = 0;
    MPI_Allreduce(&failed, &all, 1, MPI_INT, MPI_LOR, MPI_COMM_WORLD);
    return all;
}

/* 1 on every rank once the run has taken 'share' of its time limit (rank 0's clock decides) */
static int time_is_up(const opts_t *o, double share)
{
    int up = o->time_limit > 0 && MPI_Wtime() - g_t_start > share * o->time_limit;
    (void)MPI_Bcast(&up, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return up;
}
static void add_text(char *buf, size_t len, const char *fmt, const char *what, double v)
{
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, fmt, used ? ", " : "", what, v);
}

/* One target: counted, printed as "ok" / "MISSED", remembered for the last line. */
static const char *verdict(const char *what, double ratio, double target)
{
    g_targets++;
    if (ratio >= target)
        return "ok";
    g_missed++;
    add_text(g_missed_text, sizeof(g_missed_text), "%s%s (%.2fx)", what, ratio);
    return "MISSED";
}

/* A target whose side of ours could not run: missed. */
static void not_available(const char *what)
{
    size_t used = strlen(g_missed_text);
    g_targets++;
    g_missed++;
    snprintf(g_missed_text + used, sizeof(g_missed_text) - used, "%s%s (not available)",
             used ? ", " : "", what);
}

static void grid_text(int dim, const dc_gidx_t *n, char *buf, size_t len)
{
    if (dim == 2 && n[0] == n[1])
        snprintf(buf, len, "%lld^2", (long long)n[0]);
    else if (dim == 3 && n[0] == n[1] && n[1] == n[2])
        snprintf(buf, len, "%lld^3", (long long)n[0]);
    else
        snprintf(buf, len, "%lldx%lldx%lld", (long long)n[0], (long long)n[1], (long long)n[2]);
}

/* ---------------------------------------------------------------- the problem */

typedef struct {
    int dim;
    dc_gidx_t n[3];  /* points per dimension (1 beyond dim) */
    int procs[3];    /* process grid, the same on both sides (1 beyond dim) */
    double h[3];     /* 1 / (n + 1) */
    dc_gidx_t nglob; /* points */
} problem_t;

static void problem_init(dc_env_t *env, problem_t *pb, int dim, dc_gidx_t n)
{
    int d, dims[3] = {0, 0, 0};
    dc_gidx_t nn[3] = {n, n, n};
    dc_mesh_t *m = NULL;
    dc_mesh_info_t info;

    memset(pb, 0, sizeof(*pb));
    pb->dim = dim;
    /* the process grid dc_mesh picks by default, given to both sides explicitly so that every
     * rank owns the same box in both (MPI_Dims_create's if the mesh cannot be made) */
    if (dc_mesh_create(env, dim, nn, 1, 1, NULL, &m) == DC_SUCCESS &&
        dc_mesh_get_info(m, &info) == DC_SUCCESS)
        for (d = 0; d < 3; d++)
            dims[d] = info.procs[d];
    else
        MPI_Dims_create(g_size, dim, dims);
    dc_mesh_destroy(&m);
    pb->nglob = 1;
    for (d = 0; d < 3; d++) {
        pb->n[d] = d < dim ? n : 1;
        pb->procs[d] = d < dim ? dims[d] : 1;
        pb->h[d] = 1.0 / (double)(pb->n[d] + 1);
        pb->nglob *= pb->n[d];
    }
}

/* u = prod_d g(x_d), g(t) = t (1 - t) e^t: zero on the boundary, and neither a polynomial the
 * stencil differentiates exactly nor an eigenvector of the discrete Laplacian (sin(pi x) sin(pi
 * y) is one: CG would converge in one iteration) */
static double g_fn(double t)
{
    return t * (1.0 - t) * exp(t);
}

static double exact_u(const problem_t *pb, const dc_gidx_t ijk[3])
{
    double u = 1.0;
    int d;
    for (d = 0; d < pb->dim; d++)
        u *= g_fn((double)(ijk[d] + 1) * pb->h[d]);
    return u;
}

/* f = -Laplace(u) = sum_d -g''(x_d) prod_{e != d} g(x_e), -g''(t) = t (t + 3) e^t */
static double rhs_f(const problem_t *pb, const dc_gidx_t ijk[3])
{
    double f = 0.0;
    int d, e;
    for (d = 0; d < pb->dim; d++) {
        double t = (double)(ijk[d] + 1) * pb->h[d], term = t * (t + 3.0) * exp(t);
        for (e = 0; e < pb->dim; e++)
            if (e != d)
                term *= g_fn((double)(ijk[e] + 1) * pb->h[e]);
        f += term;
    }
    return f;
}

/* ---------------------------------------------------------------- PETSc's side */

typedef struct {
    const problem_t *pb;
    DM da;
    Mat A;
    Vec b, u, x, w; /* right-hand side, manufactured solution, solution, work */
    PetscInt xs[3], xm[3];
    double assembly_time;
    double bnorm;
} petsc_t;

static PetscErrorCode petsc_create(const problem_t *pb, petsc_t *P)
{
    PetscInt i, j, k, m = 0;
    PetscScalar *ba, *ua;
    double t0;
    const double *h = pb->h;

    PetscFunctionBeginUser;
    memset(P, 0, sizeof(*P));
    P->pb = pb;
    if (pb->dim == 2)
        PetscCall(DMDACreate2d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                               DMDA_STENCIL_STAR, (PetscInt)pb->n[0], (PetscInt)pb->n[1],
                               pb->procs[0], pb->procs[1], 1, 1, NULL, NULL, &P->da));
    else
        PetscCall(DMDACreate3d(PETSC_COMM_WORLD, DM_BOUNDARY_NONE, DM_BOUNDARY_NONE,
                               DM_BOUNDARY_NONE, DMDA_STENCIL_STAR, (PetscInt)pb->n[0],
                               (PetscInt)pb->n[1], (PetscInt)pb->n[2], pb->procs[0], pb->procs[1],
                               pb->procs[2], 1, 1, NULL, NULL, NULL, &P->da));
    PetscCall(DMSetUp(P->da));
    PetscCall(
        DMDAGetCorners(P->da, &P->xs[0], &P->xs[1], &P->xs[2], &P->xm[0], &P->xm[1], &P->xm[2]));
    PetscCall(DMCreateGlobalVector(P->da, &P->b));
    PetscCall(VecDuplicate(P->b, &P->u));
    PetscCall(VecDuplicate(P->b, &P->x));
    PetscCall(VecDuplicate(P->b, &P->w));

    /* the matrix: the same entries as dc_stencil_laplacian's 5-/7-point stencil */
    MPI_Barrier(PETSC_COMM_WORLD);
    t0 = MPI_Wtime();
    PetscCall(DMCreateMatrix(P->da, &P->A));
    for (k = P->xs[2]; k < P->xs[2] + P->xm[2]; k++)
        for (j = P->xs[1]; j < P->xs[1] + P->xm[1]; j++)
            for (i = P->xs[0]; i < P->xs[0] + P->xm[0]; i++) {
                MatStencil row = {0}, col[7];
                PetscScalar v[7];
                PetscInt nc = 0, d, s, ijk[3] = {i, j, k};
                double diag = 0.0;
                row.i = i, row.j = j, row.k = k;
                for (d = 0; d < pb->dim; d++) {
                    double c = 1.0 / (h[d] * h[d]);
                    diag += 2.0 * c;
                    for (s = -1; s <= 1; s += 2) {
                        PetscInt nb[3] = {i, j, k};
                        nb[d] += s;
                        if (nb[d] < 0 || nb[d] >= (PetscInt)pb->n[d])
                            continue; /* Dirichlet: the value beyond the edge is 0 */
                        memset(&col[nc], 0, sizeof(col[nc]));
                        col[nc].i = nb[0], col[nc].j = nb[1], col[nc].k = nb[2];
                        v[nc++] = -c;
                    }
                }
                memset(&col[nc], 0, sizeof(col[nc]));
                col[nc].i = ijk[0], col[nc].j = ijk[1], col[nc].k = ijk[2];
                v[nc++] = diag;
                PetscCall(MatSetValuesStencil(P->A, 1, &row, nc, col, v, INSERT_VALUES));
            }
    PetscCall(MatAssemblyBegin(P->A, MAT_FINAL_ASSEMBLY));
    PetscCall(MatAssemblyEnd(P->A, MAT_FINAL_ASSEMBLY));
    PetscCall(MatSetOption(P->A, MAT_SPD, PETSC_TRUE));
    P->assembly_time = max_over_ranks(MPI_Wtime() - t0);

    PetscCall(VecGetArray(P->b, &ba));
    PetscCall(VecGetArray(P->u, &ua));
    for (k = P->xs[2]; k < P->xs[2] + P->xm[2]; k++)
        for (j = P->xs[1]; j < P->xs[1] + P->xm[1]; j++)
            for (i = P->xs[0]; i < P->xs[0] + P->xm[0]; i++, m++) {
                dc_gidx_t ijk[3] = {i, j, k};
                ba[m] = rhs_f(pb, ijk);
                ua[m] = exact_u(pb, ijk);
            }
    PetscCall(VecRestoreArray(P->b, &ba));
    PetscCall(VecRestoreArray(P->u, &ua));
    PetscCall(VecNorm(P->b, NORM_2, &P->bnorm));
    PetscFunctionReturn(0);
}

static PetscErrorCode petsc_destroy(petsc_t *P)
{
    PetscFunctionBeginUser;
    PetscCall(VecDestroy(&P->b));
    PetscCall(VecDestroy(&P->u));
    PetscCall(VecDestroy(&P->x));
    PetscCall(VecDestroy(&P->w));
    PetscCall(MatDestroy(&P->A));
    PetscCall(DMDestroy(&P->da));
    PetscFunctionReturn(0);
}

/* The true relative residual ||b - A y|| / ||b|| and max |y - u| of a solution y (PETSc's
 * vector, or our local array copied into P->w when ours != NULL). */
static PetscErrorCode petsc_check(petsc_t *P, Vec y, const double *ours, double *relres,
                                  double *errmax)
{
    Vec r;
    PetscReal rn;

    PetscFunctionBeginUser;
    if (ours != NULL) {
        PetscScalar *wa;
        PetscInt nl;
        PetscCall(VecGetLocalSize(P->w, &nl));
        PetscCall(VecGetArray(P->w, &wa));
        memcpy(wa, ours, (size_t)nl * sizeof(double));
        PetscCall(VecRestoreArray(P->w, &wa));
        y = P->w;
    }
    PetscCall(VecDuplicate(P->b, &r));
    PetscCall(MatMult(P->A, y, r));
    PetscCall(VecAYPX(r, -1.0, P->b)); /* r = b - A y */
    PetscCall(VecNorm(r, NORM_2, &rn));
    *relres = rn / P->bnorm;
    PetscCall(VecWAXPY(r, -1.0, P->u, y));
    PetscCall(VecNorm(r, NORM_INFINITY, &rn));
    *errmax = rn;
    PetscCall(VecDestroy(&r));
    PetscFunctionReturn(0);
}

/* ||y - x|| / ||x|| with y PETSc's vector and x our local array (same local order). */
static PetscErrorCode petsc_diff(petsc_t *P, Vec y, const double *ours, double *rel)
{
    const PetscScalar *ya;
    PetscInt nl, i;
    double s[2] = {0.0, 0.0}, g[2];

    PetscFunctionBeginUser;
    PetscCall(VecGetLocalSize(y, &nl));
    PetscCall(VecGetArrayRead(y, &ya));
    for (i = 0; i < nl; i++) {
        s[0] += (ya[i] - ours[i]) * (ya[i] - ours[i]);
        s[1] += ya[i] * ya[i];
    }
    PetscCall(VecRestoreArrayRead(y, &ya));
    MPI_Allreduce(s, g, 2, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
    *rel = g[1] > 0.0 ? sqrt(g[0] / g[1]) : sqrt(g[0]);
    (void)P;
    PetscFunctionReturn(0);
}

/* A KSP on P's matrix with options under 'prefix' (set here, from the program). */
static PetscErrorCode petsc_ksp(petsc_t *P, const char *prefix, const char *const *opts, KSP *ksp)
{
    char name[128];
    int i;

    PetscFunctionBeginUser;
    for (i = 0; opts[i] != NULL; i += 2) {
        snprintf(name, sizeof(name), "-%s%s", prefix, opts[i] + 1);
        PetscCall(PetscOptionsSetValue(NULL, name, opts[i + 1]));
    }
    PetscCall(KSPCreate(PETSC_COMM_WORLD, ksp));
    PetscCall(KSPSetOptionsPrefix(*ksp, prefix));
    PetscCall(KSPSetOperators(*ksp, P->A, P->A));
    PetscCall(KSPSetFromOptions(*ksp));
    PetscFunctionReturn(0);
}

/* ---------------------------------------------------------------- our side */

typedef struct {
    const problem_t *pb;
    dc_mesh_t *mesh;
    dc_op_t *op;
    dc_vec_t *b, *x;
    dc_mesh_info_t info;
} ours_t;

static void ours_rhs(const dc_gidx_t ijk[3], double *values, void *ctx)
{
    values[0] = rhs_f((const problem_t *)ctx, ijk);
}

static int ours_create(dc_env_t *env, const problem_t *pb, ours_t *O)
{
    dc_mesh_params_t mp;
    dc_stencil_t st;
    int rc;

    memset(O, 0, sizeof(*O));
    O->pb = pb;
    memset(&mp, 0, sizeof(mp));
    mp.field_mask = DC_MESH_PARAM_PROCS;
    memcpy(mp.procs, pb->procs, sizeof(mp.procs));
    rc = dc_mesh_create(env, pb->dim, pb->n, 1, 1, &mp, &O->mesh);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_get_info(O->mesh, &O->info);
    if (rc == DC_SUCCESS)
        rc = dc_stencil_laplacian(pb->dim, 2 * pb->dim + 1, pb->h, 0.0, &st);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_op_create_stencil(O->mesh, &st, &O->op);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(O->mesh, &O->b);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(O->mesh, &O->x);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_fill(O->mesh, O->b, ours_rhs, (void *)pb);
    return rc;
}

static void ours_destroy(ours_t *O)
{
    dc_vec_destroy(&O->b);
    dc_vec_destroy(&O->x);
    dc_op_destroy(&O->op);
    dc_mesh_destroy(&O->mesh);
}

/* Both sides must own the same box on every rank (the checks compare local arrays). */
static int same_boxes(const ours_t *O, const petsc_t *P)
{
    int d, bad = 0;
    for (d = 0; d < 3; d++)
        bad |= O->info.start[d] != P->xs[d] || O->info.count[d] != P->xm[d];
    return !any_failed(bad);
}

static int ours_solver(ours_t *O, dc_solver_type_t type, dc_pc_type_t pc, double rtol, int max_it,
                       dc_solver_t **s)
{
    dc_solver_params_t sp;

    memset(&sp, 0, sizeof(sp));
    sp.field_mask = DC_SOLVER_PARAM_TYPE | DC_SOLVER_PARAM_PC | DC_SOLVER_PARAM_RTOL |
                    DC_SOLVER_PARAM_ATOL | DC_SOLVER_PARAM_MAX_IT;
    sp.type = type;
    sp.pc = pc;
    sp.rtol = rtol;
    sp.atol = 0.0;
    sp.max_it = max_it;
    return dc_solver_create(O->op, &sp, s);
}

/* ---------------------------------------------------------------- (1) time per iteration */

enum { V_OURS_CG, V_PETSC_CG, V_OURS_PIPE, V_PETSC_PIPE, NV1 };
static const char *const v1_name[NV1] = {"ours CG (matrix-free)", "PETSc KSPCG, AIJ",
                                         "ours pipelined CG", "PETSc KSPPIPECG, AIJ"};
static const char *const v1_csv[NV1] = {"dc-cg", "petsc-cg", "dc-pipecg", "petsc-pipecg"};
#define TARGET_PROF 1.02 /* profiling on / off, at most (the issue) */
#define PROF_PAIRS  25   /* (4): interleaved off / on pairs */
static int g_prof_ok;    /* the env was created with profiling on (then switched off): (4)
                          * switches it on for half its solves; 0: (4) is not measured */

/*
 * (4) The profiler's cost on our CG: the same solver on the same vectors, solved with profiling
 * switched off and on in PROF_PAIRS interleaved pairs (off on, on off, ...), apart from the
 * other variants so that both sides of a pair follow the same work (within the loop of (1) the
 * profiled solve always followed another of our solves on the same vectors, and the ratio
 * moved 7 % between runs). Overhead = t_on / t_off per pair, median [min - max]. The profiled
 * solve must compute the same x, bit for bit. Returns 1 when a call failed.
 */
static int bench_prof_overhead(dc_env_t *env, const opts_t *o, const char *grid, double nglob,
                               dc_solver_t *scg, dc_vec_t *b, dc_vec_t *x)
{
    double t[2][MAX_REPS], q[MAX_REPS], qlo, qhi, qmed;
    const double *xa = NULL;
    double *xoff = NULL;
    size_t nl = 0;
    dcb_cpu_t c0;
    int r, k, n = 0, failed = 0, same = 1, disturbed;
    char what[96];

    if (dc_vec_get_local_size(x, &nl) != DC_SUCCESS ||
        (xoff = malloc(nl * sizeof(double) + 1)) == NULL)
        failed = 1;
    if (any_failed(failed))
        return 1;
    dcb_cpu_read(&g_b, &c0);
    for (r = 0; r < PROF_PAIRS && !failed; r++) {
        if (r >= 5 && time_is_up(o, 0.45)) {
            if (g_rank == 0)
                printf("  (time limit: %d of %d pairs)\n", r, PROF_PAIRS);
            break;
        }
        dcb_progress(&g_b, "CG %s profiling on / off, pair %d/%d", grid, r + 1, PROF_PAIRS);
        for (k = 0; k < 2 && !failed; k++) {
            int on = (k + r) % 2, rc;
            double t0;
            dc_prof_set_enabled(env, on); /* local; every rank does the same */
            MPI_Barrier(MPI_COMM_WORLD);
            t0 = MPI_Wtime();
            rc = dc_solver_solve(scg, b, x);
            t[on][r] = max_over_ranks(MPI_Wtime() - t0);
            dc_prof_set_enabled(env, 0);
            if (any_failed(rc != DC_SUCCESS)) {
                if (g_rank == 0)
                    fprintf(stderr, "(4) %s: dc_solver_solve: %s\n", grid, dc_env_last_error(env));
                failed = 1;
                break;
            }
            /* the same answer with profiling on and off, bit for bit */
            if (dc_vec_get_array_read(x, &xa) == DC_SUCCESS) {
                if (r == 0 && k == 0)
                    memcpy(xoff, xa, nl * sizeof(double));
                else
                    same &= memcmp(xoff, xa, nl * sizeof(double)) == 0;
                dc_vec_restore_array_read(x, &xa);
            } else {
                same = 0;
            }
        }
        if (!failed)
            n = r + 1;
    }
    free(xoff);
    disturbed = dcb_span_end(&g_b, &c0) > DCB_DISTURBED_OTHER;
    if (failed)
        return 1;
    if (any_failed(!same)) {
        if (g_rank == 0)
            fprintf(stderr, "(4) %s: our CG with profiling on computed another x\n", grid);
        return 1;
    }
    for (r = 0; r < n; r++) {
        dcb_row(&g_b, "dc-cg", nglob, r, "seconds", t[0][r], "s", "profile-cg");
        dcb_row(&g_b, "dc-cg-prof", nglob, r, "seconds", t[1][r], "s", "profile-cg");
        q[r] = t[1][r] / t[0][r];
    }
    dcb_ratio_rows(&g_b, "dc-cg", "dc-cg-prof", nglob, "profile-cg", t[0], t[1], n);
    range(q, n, &qlo, &qhi);
    qmed = median(q, n);
    g_targets++;
    snprintf(what, sizeof(what), "profiling overhead on CG at %s", grid);
    if (qmed > TARGET_PROF) {
        g_missed++;
        add_text(g_missed_text, sizeof(g_missed_text), "%s%s (%.3fx)", what, qmed);
    }
    if (g_rank == 0) {
        dcb_progress_clear(&g_b);
        printf("\n(4) profiler's cost, %s: our CG (%d iterations) with profiling switched off and "
               "on (the same solver and vectors; DC_PROFILE_SYNC=%s), %d interleaved pairs\n",
               grid, o->its, getenv("DC_PROFILE_SYNC") ? getenv("DC_PROFILE_SYNC") : "64", n);
        printf("  solve off %.3f s, on %.3f s (medians); on / off %.3f [%.3f - %.3f] per pair: "
               "target <= %.2f: %s%s; x identical bit for bit\n",
               median(t[0], n), median(t[1], n), qmed, qlo, qhi, TARGET_PROF,
               qmed <= TARGET_PROF ? "ok" : "MISSED", disturbed ? ", disturbed" : "");
        fflush(stdout);
    }
    return 0;
}

typedef struct {
    double t[NV1][MAX_REPS];    /* seconds per iteration, max over ranks */
    double wait[NV1][MAX_REPS]; /* ours: reduce_wait per iteration, max over ranks */
    int reps;
} part1_t;

/* Ours and PETSc's solutions after the same iterations: their difference and true residuals. */
static int check_iterates(dc_env_t *env, petsc_t *P, ours_t *O, KSP ksp, int run_petsc,
                          dc_solver_t *s, double *diff, double *res_ours, double *res_petsc)
{
    const double *xa = NULL;
    double err;
    int rc;

    if (run_petsc)
        PetscCallAbort(PETSC_COMM_WORLD, KSPSolve(ksp, P->b, P->x));
    rc = dc_solver_solve(s, O->b, O->x);
    if (rc == DC_SUCCESS)
        rc = dc_vec_get_array_read(O->x, &xa);
    if (any_failed(rc != DC_SUCCESS)) {
        if (g_rank == 0)
            fprintf(stderr, "checking the answers: %s\n", dc_env_last_error(env));
        if (xa != NULL)
            dc_vec_restore_array_read(O->x, &xa);
        return 1;
    }
    PetscCallAbort(PETSC_COMM_WORLD, petsc_diff(P, P->x, xa, diff));
    PetscCallAbort(PETSC_COMM_WORLD, petsc_check(P, NULL, xa, res_ours, &err));
    PetscCallAbort(PETSC_COMM_WORLD, petsc_check(P, P->x, NULL, res_petsc, &err));
    dc_vec_restore_array_read(O->x, &xa);
    return 0;
}

static int bench_iterations(dc_env_t *env, const opts_t *o, int dim, dc_gidx_t n, part1_t *res)
{
    problem_t pb;
    petsc_t P;
    ours_t O;
    dc_solver_t *scg = NULL, *spipe = NULL;
    KSP kcg = NULL, kpipe = NULL;
    char grid[64], label[96], why[256] = "";
    int r, k, failed = 0, rc, ours_ok = 1, part_disturbed, prof_ok = 0;
    dcb_cpu_t c0;
    double diff_cg = 0, diff_pipe = 0, res_ours = 0, res_petsc = 0, rp_ours = 0, rp_petsc = 0;
    const char *const none_opts[] = {"-ksp_type",      "cg",      "-pc_type", "none",
                                     "-ksp_norm_type", "natural", NULL};
    const char *const pipe_opts[] = {"-ksp_type",      "pipecg",  "-pc_type", "none",
                                     "-ksp_norm_type", "natural", NULL};

    problem_init(env, &pb, dim, n);
    grid_text(dim, pb.n, grid, sizeof(grid));
    snprintf(label, sizeof(label), "(1) CG iteration %s", grid);
    PetscCallAbort(PETSC_COMM_WORLD, petsc_create(&pb, &P));
    rc = ours_create(env, &pb, &O);
    if (any_failed(rc != DC_SUCCESS)) {
        snprintf(why, sizeof(why), "mesh/operator: %s", rc ? dc_env_last_error(env) : "");
        ours_ok = 0;
    } else if (!same_boxes(&O, &P)) {
        snprintf(why, sizeof(why), "our boxes differ from PETSc's DMDA");
        ours_ok = 0;
    }
    if (ours_ok) {
        rc = ours_solver(&O, DC_SOLVER_CG, DC_PC_NONE, 0.0, o->its, &scg);
        if (rc == DC_SUCCESS)
            rc = ours_solver(&O, DC_SOLVER_PIPECG, DC_PC_NONE, 0.0, o->its, &spipe);
        if (any_failed(rc != DC_SUCCESS)) {
            snprintf(why, sizeof(why), "dc_solver_create: %s", rc ? dc_env_last_error(env) : "");
            ours_ok = 0;
        }
    }
    /* the profiler's cost: our CG, the same solver on the same vectors, with profiling
     * switched on for its solves (2-D only) */
    prof_ok = ours_ok && dim == 2 && g_prof_ok;
    PetscCallAbort(PETSC_COMM_WORLD, petsc_ksp(&P, "cg_", none_opts, &kcg));
    PetscCallAbort(PETSC_COMM_WORLD, petsc_ksp(&P, "pipecg_", pipe_opts, &kpipe));
    PetscCallAbort(PETSC_COMM_WORLD,
                   KSPSetTolerances(kcg, 0.0, 0.0, PETSC_DEFAULT, (PetscInt)o->its));
    PetscCallAbort(PETSC_COMM_WORLD,
                   KSPSetTolerances(kpipe, 0.0, 0.0, PETSC_DEFAULT, (PetscInt)o->its));
    PetscCallAbort(PETSC_COMM_WORLD, KSPSetUp(kcg));
    PetscCallAbort(PETSC_COMM_WORLD, KSPSetUp(kpipe));

    if (g_rank == 0) {
        printf("\n(1) time per CG iteration, %s (%lld unknowns, process grid %dx%dx%d), %d "
               "iterations from x = 0, rtol = atol = 0\n",
               grid, (long long)pb.nglob, pb.procs[0], pb.procs[1], pb.procs[2], o->its);
        if (!ours_ok)
            printf("  ours: not available (%s)\n", why);
        fflush(stdout);
    }
    /* the answers first (this also warms up both sides), then the interleaved repetitions */
    if (ours_ok) {
        failed = check_iterates(env, &P, &O, kcg, 1, scg, &diff_cg, &res_ours, &res_petsc);
        if (!failed)
            failed = check_iterates(env, &P, &O, kcg, 0, spipe, &diff_pipe, &rp_ours, &rp_petsc);
    }
    if (!ours_ok)
        PetscCallAbort(PETSC_COMM_WORLD, KSPSolve(kcg, P.b, P.x));
    PetscCallAbort(PETSC_COMM_WORLD, KSPSolve(kpipe, P.b, P.x)); /* its warm-up */
    res->reps = 0;
    dcb_cpu_read(&g_b, &c0);
    for (r = 0; r < o->reps && !failed; r++) {
        /* a share of the time limit for each grid: every target gets measured */
        if (r > 0 && time_is_up(o, dim == 2 ? 0.3 : 0.6)) {
            if (g_rank == 0)
                printf("  (time limit: %d of %d repetitions)\n", r, o->reps);
            break;
        }
        dcb_progress(&g_b, "CG %s rep %d/%d", grid, r + 1, o->reps);
        for (k = 0; k < NV1 && !failed; k++) {
            int v = (k + r) % NV1, its = 0;
            double t0, t, wait = 0.0;
            dc_solve_result_t sr;

            if (!ours_ok && (v == V_OURS_CG || v == V_OURS_PIPE))
                continue;
            MPI_Barrier(PETSC_COMM_WORLD);
            t0 = MPI_Wtime();
            if (v == V_OURS_CG || v == V_OURS_PIPE) {
                dc_solver_t *s = v == V_OURS_PIPE ? spipe : scg;
                rc = dc_solver_solve(s, O.b, O.x);
                t = MPI_Wtime() - t0;
                if (rc == DC_SUCCESS)
                    rc = dc_solver_get_result(s, &sr);
                if (any_failed(rc != DC_SUCCESS)) {
                    if (g_rank == 0)
                        fprintf(stderr, "%s: dc_solver_solve: %s\n", label, dc_env_last_error(env));
                    failed = 1;
                    break;
                }
                its = sr.iterations;
                wait = sr.reduce_wait;
            } else {
                KSP ksp = v == V_PETSC_CG ? kcg : kpipe;
                PetscInt pits;
                PetscCallAbort(PETSC_COMM_WORLD, KSPSolve(ksp, P.b, P.x));
                t = MPI_Wtime() - t0;
                PetscCallAbort(PETSC_COMM_WORLD, KSPGetIterationNumber(ksp, &pits));
                its = (int)pits;
            }
            /* PETSc's KSPPIPECG counts one more than max_it: time per iteration it counts */
            if (its < o->its || its > o->its + 1) {
                if (g_rank == 0)
                    fprintf(stderr, "%s: %s ran %d iterations, not %d\n", label, v1_name[v], its,
                            o->its);
                failed = 1;
                break;
            }
            res->t[v][r] = max_over_ranks(t) / its;
            res->wait[v][r] = max_over_ranks(wait) / its;
        }
        if (!failed)
            res->reps = r + 1;
    }
    if (!ours_ok)
        res->reps = -res->reps; /* PETSc's only: nothing for (3) */
    part_disturbed = dcb_span_end(&g_b, &c0) > DCB_DISTURBED_OTHER;
    if (!failed && res->reps != 0) {
        int nr = res->reps < 0 ? -res->reps : res->reps;
        char kase[16];
        snprintf(kase, sizeof(kase), "cg-%dd", dim);
        for (k = 0; k < NV1; k++) {
            if (!ours_ok && (k == V_OURS_CG || k == V_OURS_PIPE))
                continue;
            for (r = 0; r < nr; r++)
                dcb_row(&g_b, v1_csv[k], (double)pb.nglob, r, "seconds", res->t[k][r], "s/it",
                        kase);
            if (k != V_PETSC_CG)
                dcb_ratio_rows(&g_b, v1_csv[k], v1_csv[V_PETSC_CG], (double)pb.nglob, kase,
                               res->t[k], res->t[V_PETSC_CG], nr);
        }
    }
    if (!failed && res->reps != 0 && g_rank == 0) {
        int nr = res->reps < 0 ? -res->reps : res->reps;
        char what[96];
        snprintf(what, sizeof(what), "CG iteration at %s", grid);
        printf("  %-26s %10s %19s %8s %15s %7s  %s\n", "variant", "ms/it", "range [ms/it]", "ratio",
               "ratio range", "target", "verdict");
        for (k = 0; k < NV1; k++) {
            int v = k == 0 ? V_PETSC_CG : k == 1 ? V_OURS_CG : k == 2 ? V_PETSC_PIPE : V_OURS_PIPE;
            double med, lo, hi, q[MAX_REPS], qlo, qhi, qmed;
            if (!ours_ok && (v == V_OURS_CG || v == V_OURS_PIPE)) {
                if (v == V_OURS_CG)
                    not_available(what);
                printf("  %-26s not available%s\n", v1_name[v],
                       v == V_OURS_CG ? ": target MISSED" : "");
                continue;
            }
            med = median(res->t[v], nr);
            for (r = 0; r < nr; r++)
                q[r] = res->t[V_PETSC_CG][r] / res->t[v][r];
            range(res->t[v], nr, &lo, &hi);
            range(q, nr, &qlo, &qhi);
            qmed = median(q, nr);
            if (v == V_OURS_CG)
                printf("  %-26s %10.3f %8.3f - %-8.3f %8.2f %6.2f - %-6.2f %7.2f  %s%s\n",
                       v1_name[v], med * 1e3, lo * 1e3, hi * 1e3, qmed, qlo, qhi, TARGET_CG_IT,
                       verdict(what, qmed, TARGET_CG_IT), part_disturbed ? ", disturbed" : "");
            else
                printf("  %-26s %10.3f %8.3f - %-8.3f %8.2f %6.2f - %-6.2f %7s  %s\n", v1_name[v],
                       med * 1e3, lo * 1e3, hi * 1e3, qmed, qlo, qhi, "",
                       v == V_PETSC_CG ? "(baseline)" : "(informational)");
        }
        printf("  ratio = PETSc KSPCG's time per iteration / the variant's (> 1: faster) in each "
               "repetition, median [min - max] of %d interleaved repetitions%s\n",
               nr, part_disturbed ? "; DISTURBED: other work ran during them" : "");
        if (ours_ok)
            printf("  check after %d iterations, against PETSc's KSPCG: ||x_ours - x_petsc|| / "
                   "||x_petsc|| = %.1e (our CG), %.1e (our pipelined CG); true ||b - A x|| / "
                   "||b||: PETSc %.6e, our CG %.6e, our pipelined CG %.6e\n",
                   o->its, diff_cg, diff_pipe, res_petsc, res_ours, rp_ours);
    }
    if (!failed && prof_ok)
        failed = bench_prof_overhead(env, o, grid, (double)pb.nglob, scg, O.b, O.x);
    if (!failed && ours_ok &&
        (!(diff_cg <= CG_DIFF_TOL) || !(diff_pipe <= PIPE_DIFF_TOL) ||
         !(fabs(res_ours - res_petsc) <= CG_DIFF_TOL * res_petsc + RES_FLOOR) ||
         !(fabs(rp_ours - res_petsc) <= PIPE_DIFF_TOL * res_petsc + RES_FLOOR))) {
        if (g_rank == 0)
            fprintf(stderr,
                    "%s: the two sides' answers differ: %.3e (CG, limit %.0e), %.3e (pipelined, "
                    "limit %.0e), true residuals %.6e (PETSc) vs %.6e (CG), %.6e (pipelined)\n",
                    label, diff_cg, CG_DIFF_TOL, diff_pipe, PIPE_DIFF_TOL, res_petsc, res_ours,
                    rp_ours);
        failed = 1;
    }
    PetscCallAbort(PETSC_COMM_WORLD, KSPDestroy(&kcg));
    PetscCallAbort(PETSC_COMM_WORLD, KSPDestroy(&kpipe));
    dc_solver_destroy(&scg);
    dc_solver_destroy(&spipe);
    ours_destroy(&O);
    PetscCallAbort(PETSC_COMM_WORLD, petsc_destroy(&P));
    return failed;
}

/* (3) from the runs of (1) */
static void report_overlap(const char *grid, const part1_t *res)
{
    double tcg, tpipe, wcg, wpipe, lo, hi, wlo, whi;

    if (res->reps <= 0 || g_rank != 0)
        return;
    tcg = median(res->t[V_OURS_CG], res->reps);
    tpipe = median(res->t[V_OURS_PIPE], res->reps);
    wcg = median(res->wait[V_OURS_CG], res->reps);
    wpipe = median(res->wait[V_OURS_PIPE], res->reps);
    printf("  %s: CG %.3f ms/it, waiting for its 2 blocking reductions %.1f us/it", grid, tcg * 1e3,
           wcg * 1e6);
    range(res->wait[V_OURS_CG], res->reps, &lo, &hi);
    printf(" (%.1f-%.1f)\n", lo * 1e6, hi * 1e6);
    range(res->wait[V_OURS_PIPE], res->reps, &wlo, &whi);
    printf("  %s: pipelined CG %.3f ms/it (%.2fx CG's time), waiting for its 1 overlapped "
           "reduction %.1f us/it (%.1f-%.1f)\n",
           grid, tpipe * 1e3, tpipe / tcg, wpipe * 1e6, wlo * 1e6, whi * 1e6);
    if (wcg > 0.0)
        printf("  %s: hidden share of one reduction's wait: 1 - %.1f / (%.1f / 2) = %.0f %%; "
               "the waits are %.2f %% (CG) and %.2f %% (pipelined) of an iteration\n",
               grid, wpipe * 1e6, wcg * 1e6, 100.0 * (1.0 - wpipe / (0.5 * wcg)), 100.0 * wcg / tcg,
               100.0 * wpipe / tpipe);
}

/* ---------------------------------------------------------------- (2) time to solution */

/* cheapest first: under the time limit, the costly GAMG setup is the one left out */
enum { V_OURS_MG, V_PCMG, V_HYPRE, V_GAMG, NV2 };
static const char *const v2_name[NV2] = {"ours MG-CG (geometric)", "PETSc CG + PCMG (DMDA)",
                                         "PETSc CG + hypre BoomerAMG", "PETSc CG + GAMG"};
static const char *const v2_csv[NV2] = {"dc-mgcg", "petsc-mgcg", "petsc-hypre", "petsc-gamg"};

static int bench_solution(dc_env_t *env, const opts_t *o)
{
    problem_t pb;
    petsc_t P;
    ours_t O;
    char grid[64], lev[16], why[256] = "";
    double setup[NV2][MAX_REPS], solve[NV2][MAX_REPS], relres[NV2], errmax[NV2];
    int its[NV2], done[NV2], levels[NV2], r, k, v, failed = 0, rc, reps = 0, mg_levels = 1;
    int ours_ok = 1;
    dc_gidx_t m;
    const char *const gamg_opts[] = {
        "-ksp_type", "cg", "-ksp_norm_type", "unpreconditioned", "-pc_type", "gamg", NULL};
    const char *const hypre_opts[] = {"-ksp_type",        "cg",        "-ksp_norm_type",
                                      "unpreconditioned", "-pc_type",  "hypre",
                                      "-pc_hypre_type",   "boomeramg", NULL};
    const char *pcmg_opts[] = {"-ksp_type",
                               "cg",
                               "-ksp_norm_type",
                               "unpreconditioned",
                               "-pc_type",
                               "mg",
                               "-pc_mg_levels",
                               lev,
                               "-pc_mg_galerkin",
                               "both",
                               "-mg_levels_ksp_type",
                               "chebyshev",
                               "-mg_levels_pc_type",
                               "jacobi",
                               NULL};

    problem_init(env, &pb, 2, o->nmg);
    grid_text(2, pb.n, grid, sizeof(grid));
    /* PCMG: levels down to a coarsest grid of about 17^2 (n = 2^k + 1 halves exactly) */
    for (m = o->nmg; (m - 1) % 2 == 0 && (m - 1) / 2 + 1 >= 17 && mg_levels < 12; mg_levels++)
        m = (m - 1) / 2 + 1;
    snprintf(lev, sizeof(lev), "%d", mg_levels);
    PetscCallAbort(PETSC_COMM_WORLD, petsc_create(&pb, &P));
    rc = ours_create(env, &pb, &O);
    if (any_failed(rc != DC_SUCCESS) || !same_boxes(&O, &P)) {
        snprintf(why, sizeof(why), "mesh/operator: %s",
                 rc ? dc_env_last_error(env) : "boxes differ from PETSc's DMDA");
        ours_ok = 0;
    }
    if (g_rank == 0) {
        printf("\n(2) time to solution, %s (%lld unknowns, process grid %dx%dx%d), ||b - A x|| <= "
               "%.0e ||b|| (unpreconditioned norm on both sides), x0 = 0; PETSc's matrix assembly "
               "%.3f s (not counted)\n",
               grid, (long long)pb.nglob, pb.procs[0], pb.procs[1], pb.procs[2], RTOL,
               P.assembly_time);
        if (!ours_ok)
            printf("  %s: not available (%s)\n", v2_name[V_OURS_MG], why);
        fflush(stdout);
    }
    memset(done, 0, sizeof(done));
    memset(levels, 0, sizeof(levels));
    for (r = 0; r < o->reps2 && !failed; r++) {
        if (r > 0 && time_is_up(o, 1.0)) {
            if (g_rank == 0)
                printf("  (time limit: %d of %d repetitions)\n", r, o->reps2);
            break;
        }
        for (k = 0; k < NV2 && !failed; k++) {
            double t0, ts, tv;
            v = (k + r) % NV2;
            dcb_progress(&g_b, "MG-CG %s rep %d/%d, %s", grid, r + 1, o->reps2, v2_csv[v]);
            /* ours and the first PETSc variant always run: the targets get measured */
            if (k > 1 && time_is_up(o, 1.0)) {
                if (g_rank == 0)
                    printf("  %s: SKIPPED (the run's time limit is spent)\n", v2_name[v]);
                continue;
            }
            MPI_Barrier(PETSC_COMM_WORLD);
            t0 = MPI_Wtime();
            if (v == V_OURS_MG && !ours_ok) {
                done[v] = -1;
                continue;
            }
            if (v == V_OURS_MG) {
                dc_solver_t *s = NULL;
                dc_solve_result_t sr;
                const double *xa = NULL;
                rc = ours_solver(&O, DC_SOLVER_CG, DC_PC_MG, RTOL, 10000, &s);
                ts = MPI_Wtime() - t0;
                if (any_failed(rc != DC_SUCCESS)) {
                    if (g_rank == 0)
                        printf("  %-28s not available: dc_solver_create: %s\n", v2_name[v],
                               dc_env_last_error(env));
                    done[v] = -1;
                    continue;
                }
                MPI_Barrier(PETSC_COMM_WORLD);
                t0 = MPI_Wtime();
                rc = dc_solver_solve(s, O.b, O.x);
                tv = MPI_Wtime() - t0;
                if (rc == DC_SUCCESS)
                    rc = dc_solver_get_result(s, &sr);
                if (rc == DC_SUCCESS)
                    rc = dc_vec_get_array_read(O.x, &xa);
                if (any_failed(rc != DC_SUCCESS)) {
                    if (g_rank == 0)
                        fprintf(stderr, "(2) %s: %s\n", v2_name[v], dc_env_last_error(env));
                    failed = 1;
                } else {
                    its[v] = sr.iterations;
                    levels[v] = sr.mg_levels;
                    PetscCallAbort(PETSC_COMM_WORLD,
                                   petsc_check(&P, NULL, xa, &relres[v], &errmax[v]));
                    if (sr.reason <= 0)
                        relres[v] = INFINITY;
                }
                if (xa != NULL)
                    dc_vec_restore_array_read(O.x, &xa);
                dc_solver_destroy(&s);
            } else {
                KSP ksp;
                PC pc;
                PetscInt pits;
                KSPConvergedReason reason;
                const char *const *opts = v == V_GAMG    ? gamg_opts
                                          : v == V_HYPRE ? hypre_opts
                                                         : (const char *const *)pcmg_opts;
                const char *prefix = v == V_GAMG ? "gamg_" : v == V_HYPRE ? "hypre_" : "pcmg_";
                PetscCallAbort(PETSC_COMM_WORLD, petsc_ksp(&P, prefix, opts, &ksp));
                if (v == V_PCMG) { /* the DMDA gives the grid hierarchy; the matrix is ours */
                    PetscCallAbort(PETSC_COMM_WORLD, KSPSetDM(ksp, P.da));
                    PetscCallAbort(PETSC_COMM_WORLD, KSPSetDMActive(ksp, PETSC_FALSE));
                }
                PetscCallAbort(PETSC_COMM_WORLD,
                               KSPSetTolerances(ksp, RTOL, 0.0, PETSC_DEFAULT, 10000));
                /* the clock started before KSPCreate: setup = create + KSPSetUp (PCSetUp) */
                PetscCallAbort(PETSC_COMM_WORLD, KSPSetUp(ksp));
                ts = MPI_Wtime() - t0;
                MPI_Barrier(PETSC_COMM_WORLD);
                t0 = MPI_Wtime();
                PetscCallAbort(PETSC_COMM_WORLD, KSPSolve(ksp, P.b, P.x));
                tv = MPI_Wtime() - t0;
                PetscCallAbort(PETSC_COMM_WORLD, KSPGetIterationNumber(ksp, &pits));
                PetscCallAbort(PETSC_COMM_WORLD, KSPGetConvergedReason(ksp, &reason));
                PetscCallAbort(PETSC_COMM_WORLD, KSPGetPC(ksp, &pc));
                if (v == V_PCMG) {
                    PetscInt nl;
                    PetscCallAbort(PETSC_COMM_WORLD, PCMGGetLevels(pc, &nl));
                    levels[v] = (int)nl;
                }
                its[v] = (int)pits;
                PetscCallAbort(PETSC_COMM_WORLD,
                               petsc_check(&P, P.x, NULL, &relres[v], &errmax[v]));
                if (reason <= 0)
                    relres[v] = INFINITY;
                PetscCallAbort(PETSC_COMM_WORLD, KSPDestroy(&ksp));
            }
            if (failed)
                break;
            setup[v][done[v]] = max_over_ranks(ts);
            solve[v][done[v]] = max_over_ranks(tv);
            done[v]++;
            if (!(relres[v] <= TRUE_RES_SLACK * RTOL)) {
                if (g_rank == 0)
                    fprintf(stderr,
                            "(2) %s: not solved: true ||b - A x|| / ||b|| = %.3e after %d "
                            "iterations\n",
                            v2_name[v], relres[v], its[v]);
                failed = 1;
            }
        }
        reps = r + 1;
    }
    if (!failed) {
        /* CSV: setup, solve and their sum per repetition; our total against each PETSc one */
        double tot[NV2][MAX_REPS];
        for (v = 0; v < NV2; v++)
            for (r = 0; r < done[v]; r++) {
                tot[v][r] = setup[v][r] + solve[v][r];
                dcb_row(&g_b, v2_csv[v], (double)pb.nglob, r, "seconds", tot[v][r], "s", "mgcg");
                dcb_row(&g_b, v2_csv[v], (double)pb.nglob, r, "setup_seconds", setup[v][r], "s",
                        "mgcg");
                dcb_row(&g_b, v2_csv[v], (double)pb.nglob, r, "solve_seconds", solve[v][r], "s",
                        "mgcg");
            }
        for (v = 1; v < NV2; v++) {
            int n = done[V_OURS_MG] < done[v] ? done[V_OURS_MG] : done[v];
            if (n > 0)
                dcb_ratio_rows(&g_b, v2_csv[V_OURS_MG], v2_csv[v], (double)pb.nglob, "mgcg",
                               tot[V_OURS_MG], tot[v], n);
        }
    }
    if (!failed && g_rank == 0) {
        double best_total = INFINITY, best_solve = INFINITY, emin = INFINITY;
        int bt = -1, bs = -1;
        printf("  %-28s %9s %9s %9s %6s %7s %13s %11s  %s\n", "variant", "setup[s]", "solve[s]",
               "total[s]", "its", "levels", "true rel.res", "max error",
               "setup range / solve "
               "range [s]");
        for (v = 0; v < NV2; v++) {
            double s, t, slo, shi, tlo, thi;
            if (done[v] <= 0) {
                if (v == V_OURS_MG)
                    printf("  %-28s not available\n", v2_name[v]);
                continue;
            }
            s = median(setup[v], done[v]);
            t = median(solve[v], done[v]);
            range(setup[v], done[v], &slo, &shi);
            range(solve[v], done[v], &tlo, &thi);
            snprintf(lev, sizeof(lev), levels[v] ? "%d" : "-", levels[v]);
            printf("  %-28s %9.3f %9.3f %9.3f %6d %7s %13.2e %11.3e  %.3f-%.3f / %.3f-%.3f\n",
                   v2_name[v], s, t, s + t, its[v], lev, relres[v], errmax[v], slo, shi, tlo, thi);
            emin = errmax[v] < emin ? errmax[v] : emin;
            if (v != V_OURS_MG && s + t < best_total)
                best_total = s + t, bt = v;
            if (v != V_OURS_MG && t < best_solve)
                best_solve = t, bs = v;
        }
        printf("  median of %d repetition(s) per variant, interleaved (order rotates); max error "
               "= max |x - u| against the manufactured solution\n",
               reps);
        for (v = 0; v < NV2; v++)
            if (done[v] > 0 && errmax[v] > ERR_AGREE_FACTOR * emin) {
                fprintf(stderr, "(2) %s: max error %.3e, more than %.2f x the smallest %.3e\n",
                        v2_name[v], errmax[v], ERR_AGREE_FACTOR, emin);
                failed = 1;
            }
        if (done[V_OURS_MG] > 0 && bt >= 0) {
            double s = median(setup[V_OURS_MG], done[V_OURS_MG]),
                   t = median(solve[V_OURS_MG], done[V_OURS_MG]);
            char what[96];
            snprintf(what, sizeof(what), "MG-CG total at %s vs %s", grid, v2_name[bt]);
            printf("  total (setup + solve): ours %.3f s, best PETSc (%s) %.3f s: ratio %.2f, "
                   "target %.2f: %s\n",
                   s + t, v2_name[bt], best_total, best_total / (s + t), TARGET_MG_TOTAL,
                   verdict(what, best_total / (s + t), TARGET_MG_TOTAL));
            snprintf(what, sizeof(what), "MG-CG solve at %s vs %s", grid, v2_name[bs]);
            printf("  solve alone: ours %.3f s, best PETSc (%s) %.3f s: ratio %.2f, target %.2f: "
                   "%s\n",
                   t, v2_name[bs], best_solve, best_solve / t, TARGET_MG_SOLVE,
                   verdict(what, best_solve / t, TARGET_MG_SOLVE));
        } else if (bt >= 0) {
            not_available("MG-CG total");
            not_available("MG-CG solve");
            printf("  total and solve-alone targets: MISSED (our MG preconditioner is not "
                   "available)\n");
        }
    }
    failed = any_failed(failed);
    ours_destroy(&O);
    PetscCallAbort(PETSC_COMM_WORLD, petsc_destroy(&P));
    return failed;
}

/* ---------------------------------------------------------------- options, preamble, main */

static void usage(void)
{
    if (g_rank == 0)
        printf("usage: bench_solve [--quick] [--reps N] [--reps2 N] [--its N] [--n2 N] [--n3 N]\n"
               "                   [--nmg N] [--time-limit SECONDS]\n"
               "  --quick         small grids (500^2, 64^3, 257^2), for a check in seconds\n"
               "  --reps N        (1): interleaved repetitions (default 7)\n"
               "  --reps2 N       (2): repetitions of each variant (default 1)\n"
               "  --its N         (1): CG iterations per timed solve (default 50)\n"
               "  --n2, --n3 N    (1): grids n2^2 (default 2000) and n3^3 (default 128)\n"
               "  --nmg N         (2): grid N^2, N = 2^k + 1 (default 2049)\n"
               "  --time-limit S  (default 120) (1) starts no repetition after 30 %% (2-D) and "
               "60 %% (3-D)\n"
               "                  of S seconds, (2) no variant after S (each target is measured "
               "once at least)\n"
               "  --csv PATH      the CSV rows to PATH (default $DC_BENCH_OUT/bench_solve.csv)\n");
}

static int parse_args(int argc, char **argv, opts_t *o)
{
    int i;

    memset(o, 0, sizeof(*o));
    o->reps = 7; /* 3 gave the 3-D ratio a spread of +-6 % over 3 runs */
    o->reps2 = 1;
    o->its = 50; /* 7 x 50 iterations cost what 3 x 100 did */
    o->time_limit = 120.0;
    o->n2 = 2000;
    o->n3 = 128;
    o->nmg = 2049;
    for (i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--quick")) {
            o->quick = 1;
            o->n2 = 500;
            o->n3 = 64;
            o->nmg = 257;
        }
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--quick"))
            continue;
        if (!strcmp(a, "--help") || !strcmp(a, "-h"))
            return 1;
        if (i + 1 >= argc)
            return -1;
        if (!strcmp(a, "--reps"))
            o->reps = atoi(argv[++i]);
        else if (!strcmp(a, "--reps2"))
            o->reps2 = atoi(argv[++i]);
        else if (!strcmp(a, "--its"))
            o->its = atoi(argv[++i]);
        else if (!strcmp(a, "--n2"))
            o->n2 = atoll(argv[++i]);
        else if (!strcmp(a, "--n3"))
            o->n3 = atoll(argv[++i]);
        else if (!strcmp(a, "--nmg"))
            o->nmg = atoll(argv[++i]);
        else if (!strcmp(a, "--time-limit"))
            o->time_limit = atof(argv[++i]);
        else if (!strcmp(a, "--csv"))
            o->csv = argv[++i];
        else
            return -1;
    }
    if (o->reps < 1 || o->reps > MAX_REPS || o->reps2 < 1 || o->reps2 > MAX_REPS || o->its < 1 ||
        o->n2 < 2 || o->n3 < 2 || o->nmg < 3 || !(o->time_limit >= 0))
        return -1;
    return 0;
}

static void print_preamble(const opts_t *o)
{
    char pv[256] = "";

    PetscGetVersion(pv, sizeof(pv));
    dcb_print_start(&g_b);
    if (g_rank != 0)
        return;
    printf("against %s\n", pv);
#ifdef PETSC_USE_DEBUG
    printf("PETSc build: debugging (PETSC_USE_DEBUG): its figures are not PETSc's best\n");
#else
    printf("PETSc build: optimised (no PETSC_USE_DEBUG)\n");
#endif
    printf("method: interleaved repetitions (order rotates), barrier before each timing, time = "
           "max over ranks, medians with min-max ranges; ratio = PETSc's time / ours (> 1: we "
           "are faster); time limit %.0f s%s\n",
           o->time_limit, o->quick ? "; --quick: small grids, not the issue's sizes" : "");
    printf("problem: -Laplace(u) = f, Dirichlet, u = prod x_d (1 - x_d) exp(x_d); ours: dc_mesh + "
           "dc_mesh_op_create_stencil (matrix-free); PETSc: DMDA + DMCreateMatrix (AIJ) + KSP\n");
    printf("targets: (1) CG time per iteration >= %.1fx PETSc KSPCG; (2) MG-CG total >= %.1fx "
           "and solve alone >= %.1fx the best PETSc variant; (4) our CG with profiling on <= "
           "%.2fx its time with profiling off (2-D grid)\n",
           TARGET_CG_IT, TARGET_MG_TOTAL, TARGET_MG_SOLVE, TARGET_PROF);
    fflush(stdout);
}

int main(int argc, char **argv)
{
    dc_env_t *env = NULL;
    dc_env_params_t p;
    opts_t o;
    part1_t r2, r3;
    char g2[32], g3[32];
    int rc, pr;

    MPI_Init(&argc, &argv);
    g_t_start = MPI_Wtime();
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    pr = parse_args(argc, argv, &o);
    if (pr != 0) {
        if (pr < 0 && g_rank == 0)
            fprintf(stderr, "bench_solve: bad arguments\n");
        usage();
        MPI_Finalize();
        return pr < 0 ? 2 : 0;
    }
    /* PETSc on the MPI already initialised; its options come from this program only */
    PetscCallAbort(MPI_COMM_WORLD, PetscInitializeNoArguments());

    /* the hot path as users get it: no debug checks, no profiling, plain sums. Created with
     * profiling on (its report to /dev/null) and switched off at once: the profiled variant of
     * (1) switches it on for its own solves, so on and off time the same solver on the same
     * vectors (off is then the one predictable branch per hook, as in an env created off) */
    memset(&p, 0, sizeof(p));
    p.field_mask = DC_ENV_PARAM_DEBUG | DC_ENV_PARAM_PROFILE | DC_ENV_PARAM_REPRO;
    p.debug = 0;
    p.profile = 1;
    p.repro = DC_REPRO_OFF;
    if (g_rank == 0)
        setenv("DC_PROFILE_FILE", "/dev/null", 1); /* rank 0 reads the options */
    rc = dc_env_create(MPI_COMM_WORLD, &p, &env);
    if (g_rank == 0)
        unsetenv("DC_PROFILE_FILE");
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] dc_env_create: %s: %s\n", g_rank, dc_strerror(rc),
                dc_env_last_error(NULL));
        PetscFinalize();
        MPI_Finalize();
        return 1;
    }
    g_prof_ok = dc_prof_set_enabled(env, 0) == DC_SUCCESS;
    if (dcb_init(&g_b, "bench_solve", MPI_COMM_WORLD, env, o.csv) != 0)
        g_failed = 1;
    print_preamble(&o);
    memset(&r2, 0, sizeof(r2));
    memset(&r3, 0, sizeof(r3));
    if (!g_failed)
        g_failed = bench_iterations(env, &o, 2, o.n2, &r2);
    if (!g_failed)
        g_failed = bench_iterations(env, &o, 3, o.n3, &r3);
    if (!g_failed)
        g_failed = bench_solution(env, &o);
    if (!g_failed && g_rank == 0 && (r2.reps > 0 || r3.reps > 0)) {
        printf("\n(3) pipelined CG vs CG, %d ranks, from the runs of (1): reduce_wait of "
               "dc_solve_result_t per iteration, max over ranks, medians (a wait is the "
               "reduction's latency plus the time the last rank arrives late: imbalance and "
               "descheduling on a busy machine count too)\n",
               g_size);
        snprintf(g2, sizeof(g2), "%lld^2", (long long)o.n2);
        snprintf(g3, sizeof(g3), "%lld^3", (long long)o.n3);
        report_overlap(g2, &r2);
        report_overlap(g3, &r3);
    }
    dcb_finish(&g_b);
    if (g_rank == 0) {
        if (g_failed)
            printf("bench_solve: FAILED (a call failed or an answer was wrong; see stderr)\n");
        else if (g_missed == 0)
            printf("bench_solve: all %d targets met%s\n", g_targets, dcb_verdict_note(&g_b));
        else
            printf("bench_solve: %d of %d targets met; missed: %s%s\n", g_targets - g_missed,
                   g_targets, g_missed_text, dcb_verdict_note(&g_b));
    }
    dcb_free(&g_b);
    dc_env_destroy(&env);
    PetscFinalize();
    MPI_Finalize();
    return g_failed ? 1 : 0;
}
