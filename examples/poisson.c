/*
 * poisson: -Laplace(u) = f on the unit square (2-D) or cube (3-D), u = 0 on the boundary, with
 * the manufactured solution u = prod_d e^(x_d) sin(pi x_d), solved on a structured mesh
 * (dc_mesh) with the 5- or 7-point stencil, by CG, pipelined CG and multigrid-preconditioned
 * CG (dc_solver). The grids are vertex-centred: n points per dimension at x_i = (i + 1) h,
 * h = 1 / (n + 1), and each grid halves the spacing of the one before (n -> 2 n + 1).
 *
 * Checks, on every rank count: every solve converges, its true residual ||b - A x|| is within
 * 100 times the tolerance (pipelined CG's recurrence drifts from the true residual more than
 * CG's), and the discretisation error max |x - u| falls by a factor in [3.5, 4.5] each time h
 * halves (second order). Exit status 1 otherwise. The table also shows MG-CG's iteration count
 * staying the same as the grid grows (the coarsest grid is kept small, --mg-coarse), while CG's
 * doubles with each halving of h.
 *
 * Each solve ends with one line "solve dim=D n=N solver=S reason=R its=K rnorm=... tres=...
 * err=... xnorm=..." holding the iteration count and, as exact hexadecimal floats, the final
 * residual norm of the recurrence, the true residual norm, the error's max-norm and the
 * solution's 2-norm. With DC_REPRO=binned (or exact) these lines are the same, bit for bit,
 * at 1, 2, 3 or 4 ranks (tests/poisson-repro.sh compares them); with DC_REPRO=off they
 * usually differ in the last bits.
 *
 * Pipelined CG's recurrences drift from the true residual faster than CG's; the solver restarts
 * them from the true residual when they claim convergence or break down, so it reaches rtol
 * 1e-10 on finer grids too, at the cost of more iterations than CG (2-D, 2 ranks: n = 255, 983
 * against CG's 848; n = 511, 2747 against 1707).
 *
 * Why not u = sin(pi x) sin(pi y): on this grid it is an eigenvector of the discrete operator,
 * so CG converges in one iteration and the solvers would show nothing. The factor e^(x+y)
 * keeps u smooth and zero on the boundary but mixes all the discrete modes.
 *
 * The run ends with one line "final solves=S its=T xnorm=... xsum=..." (S solves, T iterations
 * in all, the last solution's 2-norm and sum as %a), for drivers that compare whole runs.
 *
 * Checkpoint and restart (--ckpt-dir DIR --ckpt-every K): every K iterations of a solve, its
 * monitor (dc_solver_set_monitor) writes a checkpoint into DIR (dc_ckpt; the last 2 are kept):
 * the solver's state (dc_ckpt_write_solver), which solve of the sequence is running, and the
 * results of the solves already done. Started again with the same options and a DIR that holds
 * a checkpoint, on any rank count, the example reads the newest one (and prints "poisson:
 * resumed at N rank(s) from the checkpoint of step S in DIR (solve I)"), prints the table rows
 * of the solves done from it, and continues the running solve from its iteration
 * (dc_ckpt_read_solver). With DC_REPRO=binned or exact the "solve" and "final" lines are then
 * the same bits as those of a run that was never interrupted. Remove DIR to start afresh.
 *
 * Run: mpirun -np 4 ./poisson [--dim 2|3] [--n N] [--grids K] [--solver cg|pipecg|mgcg|all]
 *                             [--rtol R] [--mg-coarse N] [--quick]
 *                             [--ckpt-dir DIR [--ckpt-every K]]
 */
#include <dcompute.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GRIDS   8
#define RATIO_LO    3.5
#define RATIO_HI    4.5
#define TRES_FACTOR 100.0               /* true residual allowed above the recurrence's tolerance */
#define CKPT_KEEP   2                   /* checkpoints kept in --ckpt-dir */
#define MAX_SOLVES  (2 * MAX_GRIDS * 3) /* dimensions x grids x solver kinds */

typedef struct {
    const char *name;
    dc_solver_type_t type;
    dc_pc_type_t pc;
} solver_kind_t;

static const solver_kind_t kinds[] = {
    {"cg", DC_SOLVER_CG, DC_PC_NONE},
    {"pipecg", DC_SOLVER_PIPECG, DC_PC_NONE},
    {"mgcg", DC_SOLVER_CG, DC_PC_MG},
};
#define NKINDS ((int)(sizeof(kinds) / sizeof(kinds[0])))

typedef struct {
    int dim;
    dc_gidx_t n;
} problem_t;

typedef struct {
    int ok; /* the solve ran (no library error) */
    dc_solve_result_t res;
    double tres;         /* ||b - A x|| computed again from x */
    double err;          /* max |x - u| over the grid points */
    double xnorm;        /* ||x||_2 */
    double xsum;         /* sum of the entries of x */
    double setup, solve; /* seconds, slowest rank */
    int procs[3];
} outcome_t;

/* An outcome as the doubles a checkpoint stores (every int fits a double exactly). */
#define OUTCOME_NVAL 16
static void outcome_pack(const outcome_t *o, double *v)
{
    const double a[OUTCOME_NVAL] = {
        o->ok,        o->res.reason, o->res.iterations, o->res.mg_levels,
        o->res.rnorm, o->res.rnorm0, o->res.bnorm,      o->tres,
        o->err,       o->xnorm,      o->xsum,           o->setup,
        o->solve,     o->procs[0],   o->procs[1],       o->procs[2]};
    memcpy(v, a, sizeof(a));
}

static void outcome_unpack(const double *v, outcome_t *o)
{
    int d;

    memset(o, 0, sizeof(*o));
    o->ok = (int)v[0];
    o->res.reason = (dc_solve_reason_t)v[1];
    o->res.iterations = (int)v[2];
    o->res.mg_levels = (int)v[3];
    o->res.rnorm = v[4];
    o->res.rnorm0 = v[5];
    o->res.bnorm = v[6];
    o->tres = v[7];
    o->err = v[8];
    o->xnorm = v[9];
    o->xsum = v[10];
    o->setup = v[11];
    o->solve = v[12];
    for (d = 0; d < 3; d++)
        o->procs[d] = (int)v[13 + d];
}

/*
 * Checkpoints of a run (--ckpt-dir): the sequence of solves is numbered 0, 1, ... in the order
 * they run; a checkpoint holds the number of the running solve ("poisson/solve"), the outcomes
 * of those before it ("poisson/done"), the options that define the sequence ("poisson/args":
 * a restart with other ones is refused) and the running solver's state ("solver").
 */
typedef struct {
    dc_ckpt_t *ckpt;            /* NULL: no checkpoints */
    int every;                  /* iterations between checkpoints */
    int64_t step;               /* step of the newest checkpoint (-1: none) */
    const char *args;           /* the options, as text */
    int seq;                    /* number of the solve running */
    int resume;                 /* 1: the checkpoint open for reading holds solve seq's state */
    outcome_t done[MAX_SOLVES]; /* outcomes of solves 0 .. seq - 1 */
    double vals[MAX_SOLVES * OUTCOME_NVAL]; /* the same as stored */
} run_t;

/* The solver's monitor: every K iterations, one checkpoint of the running solve. */
static int ckpt_monitor(dc_solver_t *solver, int it, double rnorm, void *ctx)
{
    run_t *run = ctx;
    int64_t seq = run->seq;
    int rc, i;

    (void)rnorm;
    if (it == 0) /* nothing to save yet */
        return DC_SUCCESS;
    for (i = 0; i < run->seq; i++)
        outcome_pack(&run->done[i], run->vals + i * OUTCOME_NVAL);
    rc = dc_ckpt_write_begin(run->ckpt, run->step + 1);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_blob(run->ckpt, "poisson/args", run->args, strlen(run->args));
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_data(run->ckpt, "poisson/solve", DC_TYPE_INT64, 1, &seq);
    if (rc == DC_SUCCESS && run->seq > 0)
        rc = dc_ckpt_write_data(run->ckpt, "poisson/done", DC_TYPE_DOUBLE,
                                (size_t)run->seq * OUTCOME_NVAL, run->vals);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_solver(run->ckpt, "solver", solver);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_end(run->ckpt); /* atomic: the step is now the newest */
    if (rc == DC_SUCCESS)
        run->step++;
    return rc;
}

/* Open the checkpoint directory; if it holds a checkpoint, read what the run needs from the
 * newest one and leave it open for the running solve's state (run->resume). */
static int ckpt_open(dc_env_t *env, const char *dir, run_t *run)
{
    dc_ckpt_params_t cp;
    int64_t seq = 0;
    size_t len = 0;
    char args[512] = "";
    int rc, i;

    memset(&cp, 0, sizeof(cp));
    cp.field_mask = DC_CKPT_PARAM_KEEP;
    cp.keep = CKPT_KEEP;
    rc = dc_ckpt_create(env, dir, &cp, &run->ckpt);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_latest(run->ckpt, &run->step);
    if (rc != DC_SUCCESS || run->step < 0)
        return rc; /* error, or nothing to resume from */
    rc = dc_ckpt_read_begin(run->ckpt, run->step, NULL);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_blob(run->ckpt, "poisson/args", args, sizeof(args) - 1, &len);
    if (rc == DC_SUCCESS && (len != strlen(run->args) || memcmp(args, run->args, len) != 0))
        return DC_ERR_ARG; /* another sequence of solves: main says so */
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_read_data(run->ckpt, "poisson/solve", DC_TYPE_INT64, 1, &seq);
    if (rc == DC_SUCCESS && !(seq >= 0 && seq < MAX_SOLVES))
        rc = DC_ERR_CORRUPT;
    if (rc == DC_SUCCESS && seq > 0)
        rc = dc_ckpt_read_data(run->ckpt, "poisson/done", DC_TYPE_DOUBLE,
                               (size_t)seq * OUTCOME_NVAL, run->vals);
    for (i = 0; rc == DC_SUCCESS && i < seq; i++)
        outcome_unpack(run->vals + i * OUTCOME_NVAL, &run->done[i]);
    run->seq = (int)seq;
    run->resume = rc == DC_SUCCESS;
    return rc;
}

/* g(t) = e^t sin(pi t) and its second derivative */
static double g(double t)
{
    return exp(t) * sin(M_PI * t);
}

static double g2(double t)
{
    return exp(t) * ((1.0 - M_PI * M_PI) * sin(M_PI * t) + 2.0 * M_PI * cos(M_PI * t));
}

static double coord(const problem_t *p, dc_gidx_t i)
{
    return (double)(i + 1) / (double)(p->n + 1);
}

static void exact_fn(const dc_gidx_t ijk[3], double *v, void *ctx)
{
    const problem_t *p = ctx;
    double u = 1.0;
    int d;

    for (d = 0; d < p->dim; d++)
        u *= g(coord(p, ijk[d]));
    v[0] = u;
}

/* f = -Laplace(u) = -sum_d g''(x_d) prod_{e != d} g(x_e) */
static void rhs_fn(const dc_gidx_t ijk[3], double *v, void *ctx)
{
    const problem_t *p = ctx;
    double f = 0.0;
    int d, e;

    for (d = 0; d < p->dim; d++) {
        double t = g2(coord(p, ijk[d]));
        for (e = 0; e < p->dim; e++)
            if (e != d)
                t *= g(coord(p, ijk[e]));
        f -= t;
    }
    v[0] = f;
}

static double max_over_ranks(double v)
{
    MPI_Allreduce(MPI_IN_PLACE, &v, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return v;
}

/* One solve of problem p with solver kind k; library errors are printed and leave out->ok 0.
 * With checkpoints, the solve continues from the open checkpoint's state if it holds one
 * (run->resume), and checkpoints itself every run->every iterations. */
static int solve_one(dc_env_t *env, const problem_t *p, const solver_kind_t *k, double rtol,
                     int mg_coarse, run_t *run, outcome_t *out)
{
    dc_mesh_t *mesh = NULL;
    dc_op_t *op = NULL;
    dc_solver_t *solver = NULL;
    dc_vec_t *b = NULL, *x = NULL, *u = NULL, *r = NULL;
    dc_stencil_t st;
    dc_solver_params_t sp;
    dc_mesh_info_t info;
    dc_gidx_t n[3] = {p->n, p->n, p->n};
    double h[3], emax = 0.0, emin = 0.0;
    int rc, rc0, rank, d;

    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    memset(out, 0, sizeof(*out));
    for (d = 0; d < 3; d++)
        h[d] = 1.0 / (double)(p->n + 1);
    memset(&sp, 0, sizeof(sp));
    sp.field_mask =
        DC_SOLVER_PARAM_TYPE | DC_SOLVER_PARAM_PC | DC_SOLVER_PARAM_RTOL | DC_SOLVER_PARAM_MAX_IT;
    sp.type = k->type;
    sp.pc = k->pc;
    sp.rtol = rtol;
    sp.max_it = 20000;
    if (k->pc == DC_PC_MG) {
        /* the library's defaults, except a small coarsest grid: more levels, so the iteration
         * counts show that they do not grow with the grid */
        sp.field_mask |= DC_SOLVER_PARAM_MG;
        sp.mg_levels = 0;
        sp.mg_coarse_size = mg_coarse;
        sp.mg_smoother = DC_MG_CHEBYSHEV;
        sp.mg_smooth_steps = 2;
        sp.mg_jacobi_weight = 0.0;
        sp.mg_agglomerate = 4096;
    }

    rc = dc_mesh_create(env, p->dim, n, 1, 1, NULL, &mesh);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_get_info(mesh, &info);
    if (rc == DC_SUCCESS)
        rc = dc_stencil_laplacian(p->dim, 2 * p->dim + 1, h, 0.0, &st);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_op_create_stencil(mesh, &st, &op);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(mesh, &b);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(mesh, &x);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(mesh, &u);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(mesh, &r);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_fill(mesh, b, rhs_fn, (void *)p);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_fill(mesh, u, exact_fn, (void *)p);
    if (rc == DC_SUCCESS)
        rc = dc_solver_create(op, &sp, &solver);
    if (rc == DC_SUCCESS && run->resume) {
        /* continue from the checkpoint: x and the iteration come from it */
        rc = dc_ckpt_read_solver(run->ckpt, "solver", solver);
        if (rc == DC_SUCCESS)
            rc = dc_ckpt_read_end(run->ckpt);
        run->resume = 0;
    }
    if (rc == DC_SUCCESS && run->ckpt != NULL)
        rc = dc_solver_set_monitor(solver, run->every, ckpt_monitor, run);
    if (rc == DC_SUCCESS)
        rc = dc_solver_solve(solver, b, x);
    if (rc == DC_SUCCESS)
        rc = dc_solver_get_result(solver, &out->res);
    /* true residual r = b - A x */
    if (rc == DC_SUCCESS)
        rc = dc_op_apply(op, x, r);
    if (rc == DC_SUCCESS)
        rc = dc_vec_axpby(r, 1.0, b, -1.0);
    if (rc == DC_SUCCESS)
        rc = dc_vec_nrm2(r, &out->tres);
    if (rc == DC_SUCCESS)
        rc = dc_vec_nrm2(x, &out->xnorm);
    if (rc == DC_SUCCESS)
        rc = dc_vec_sum(x, &out->xsum);
    /* error: u = x - u; max and min are exact, so the max-norm has no rounding of its own */
    if (rc == DC_SUCCESS)
        rc = dc_vec_axpby(u, 1.0, x, -1.0);
    if (rc == DC_SUCCESS)
        rc = dc_vec_max(u, &emax, NULL);
    if (rc == DC_SUCCESS)
        rc = dc_vec_min(u, &emin, NULL);
    /* errors: rank 0's message, or the failing ranks' when rank 0 did not fail */
    rc0 = rc;
    MPI_Bcast(&rc0, 1, MPI_INT, 0, MPI_COMM_WORLD);
    if (rc == DC_SUCCESS) {
        out->ok = 1;
        out->err = fmax(emax, -emin);
        out->setup = max_over_ranks(out->res.setup_time);
        out->solve = max_over_ranks(out->res.solve_time);
        for (d = 0; d < 3; d++)
            out->procs[d] = info.procs[d];
    } else if (rank == 0 || rc0 == DC_SUCCESS) {
        fprintf(stderr, "poisson: [rank %d] %d-D n=%lld %s: %s: %s\n", rank, p->dim,
                (long long)p->n, k->name, dc_strerror(rc), dc_env_last_error(env));
    }
    dc_vec_destroy(&r);
    dc_vec_destroy(&u);
    dc_vec_destroy(&x);
    dc_vec_destroy(&b);
    dc_solver_destroy(&solver);
    dc_op_destroy(&op);
    dc_mesh_destroy(&mesh);
    return rc;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: poisson [--dim 2|3] [--n N] [--grids K] [--solver cg|pipecg|mgcg|all]"
               " [--rtol R] [--mg-coarse N] [--quick] [--ckpt-dir DIR [--ckpt-every K]]\n"
               "  --dim     2 or 3 (default: both)\n"
               "  --n       points per dimension of the coarsest grid (default 31 in 2-D,"
               " 7 in 3-D;\n"
               "            --quick: 15 and 7); each further grid has 2 n + 1\n"
               "  --grids   number of grids, each with half the spacing (default 3, --quick 3)\n"
               "  --solver  cg, pipecg (pipelined CG), mgcg (multigrid-preconditioned CG)"
               " or all (default)\n"
               "  --rtol    relative residual tolerance (default 1e-10)\n"
               "  --mg-coarse  MG: most points of the coarsest grid, solved directly (default"
               " 64)\n"
               "  --ckpt-dir   checkpoint every K iterations into DIR; continue from the newest"
               " checkpoint\n"
               "               there if there is one (on any rank count)\n"
               "  --ckpt-every K (default 50)\n");
}

int main(int argc, char **argv)
{
    static const char *const repro_names[] = {"off", "binned", "exact"};
    dc_env_t *env = NULL;
    dc_repro_t repro = DC_REPRO_OFF;
    int rank = 0, size = 1, dims[2] = {2, 3}, ndims = 2, quick = 0, ngrids = 3, bad = 0;
    int kind_sel = -1, stop = 0, mg_coarse = 64, ckpt_every = 50, i, di, gi, ki, seq = 0;
    int resume_from = 0;
    long long n_arg = 0, its_all = 0;
    double rtol = 1e-10;
    const char *ckpt_dir = NULL;
    char lines[MAX_GRIDS * NKINDS][256], args[256];
    int nlines = 0;
    static run_t run; /* large: not on the stack */

    MPI_Init(&argc, &argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);

    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int used = 1;
        if (!strcmp(a, "--quick")) {
            quick = 1;
            used = 0;
        } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            if (rank == 0)
                usage(stdout);
            MPI_Finalize();
            return 0;
        } else if (!v) {
            bad = 2;
        } else if (!strcmp(a, "--dim")) {
            dims[0] = atoi(v);
            ndims = 1;
            bad = dims[0] != 2 && dims[0] != 3 ? 2 : bad;
        } else if (!strcmp(a, "--n")) {
            n_arg = atoll(v);
            bad = n_arg < 1 ? 2 : bad;
        } else if (!strcmp(a, "--grids")) {
            ngrids = atoi(v);
            bad = ngrids < 1 || ngrids > MAX_GRIDS ? 2 : bad;
        } else if (!strcmp(a, "--solver")) {
            kind_sel = -2;
            for (ki = 0; ki < NKINDS; ki++)
                if (!strcmp(v, kinds[ki].name))
                    kind_sel = ki;
            if (!strcmp(v, "all"))
                kind_sel = -1;
            bad = kind_sel == -2 ? 2 : bad;
        } else if (!strcmp(a, "--mg-coarse")) {
            mg_coarse = atoi(v);
            bad = mg_coarse < 1 ? 2 : bad;
        } else if (!strcmp(a, "--rtol")) {
            rtol = atof(v);
            bad = !(rtol > 0.0 && rtol < 1.0) ? 2 : bad;
        } else if (!strcmp(a, "--ckpt-dir")) {
            ckpt_dir = v;
        } else if (!strcmp(a, "--ckpt-every")) {
            ckpt_every = atoi(v);
            bad = ckpt_every < 1 ? 2 : bad;
        } else {
            bad = 2;
        }
        if (bad) {
            if (rank == 0) {
                fprintf(stderr, "poisson: bad argument '%s%s%s'\n", a, v ? " " : "", v ? v : "");
                usage(stderr);
            }
            MPI_Finalize();
            return 2;
        }
        i += used;
    }

    if (dc_env_create(MPI_COMM_WORLD, NULL, &env) != DC_SUCCESS) {
        fprintf(stderr, "poisson: dc_env_create: %s\n", dc_env_last_error(NULL));
        MPI_Finalize();
        return 1;
    }
    dc_env_get_repro(env, &repro);
    if (rank == 0)
        printf("poisson: -Laplace(u) = f, u = prod_d e^x_d sin(pi x_d), u = 0 on the boundary;"
               " %d rank(s), DC_REPRO %s, rtol %g\n",
               size, repro_names[repro], rtol);

    /* checkpoints: the options that define the sequence of solves must be those of the run
     * that wrote them */
    snprintf(args, sizeof(args),
             "dims=%d,%d n=%lld grids=%d solver=%d rtol=%a mg-coarse=%d quick=%d", dims[0],
             ndims > 1 ? dims[1] : 0, n_arg, ngrids, kind_sel, rtol, mg_coarse, quick);
    run.every = ckpt_every;
    run.step = -1;
    run.args = args;
    if (ckpt_dir != NULL) {
        int rc = ckpt_open(env, ckpt_dir, &run);
        if (rc != DC_SUCCESS) {
            if (rank == 0)
                fprintf(stderr, "poisson: checkpoints in %s: %s: %s\n", ckpt_dir, dc_strerror(rc),
                        rc == DC_ERR_ARG && run.step >= 0 ? "written by a run with other options"
                                                          : dc_env_last_error(env));
            dc_ckpt_destroy(&run.ckpt);
            dc_env_destroy(&env);
            MPI_Finalize();
            return 1;
        }
        resume_from = run.seq;
        if (rank == 0 && run.resume)
            printf("poisson: resumed at %d rank(s) from the checkpoint of step %lld in %s (solve "
                   "%d)\n",
                   size, (long long)run.step, ckpt_dir, run.seq);
    }

    for (di = 0; di < ndims && !stop; di++) {
        int dim = dims[di];
        dc_gidx_t n0 = n_arg ? (dc_gidx_t)n_arg : (dim == 2 ? (quick ? 15 : 31) : 7);
        double err[NKINDS][MAX_GRIDS];
        problem_t p;

        p.dim = dim;
        nlines = 0;
        if (rank == 0)
            printf("\n%d-D, %d-point stencil\n  %-6s %-7s %-7s %5s %6s %11s %11s %10s %6s %8s "
                   "%8s  %s\n",
                   dim, 2 * dim + 1, "n", "h", "solver", "its", "levels", "||r||/||b||",
                   "true resid", "max error", "ratio", "setup s", "solve s", "procs");
        for (gi = 0, p.n = n0; gi < ngrids; gi++, p.n = 2 * p.n + 1) {
            for (ki = 0; ki < NKINDS; ki++) {
                const solver_kind_t *k = &kinds[ki];
                outcome_t o;
                double ratio = 0.0;
                char ratio_s[16] = "-";

                if (stop || (kind_sel >= 0 && ki != kind_sel))
                    continue;
                if (seq < resume_from) {
                    o = run.done[seq]; /* done before the checkpoint */
                } else {
                    run.seq = seq;
                    if (solve_one(env, &p, k, rtol, mg_coarse, &run, &o) != DC_SUCCESS) {
                        /* after a failed collective the env may only be destroyed */
                        bad = stop = 1;
                        continue;
                    }
                    run.done[seq] = o;
                }
                seq++;
                its_all += o.res.iterations;
                err[ki][gi] = o.err;
                if (gi > 0) {
                    ratio = err[ki][gi - 1] / o.err;
                    snprintf(ratio_s, sizeof(ratio_s), "%.3f", ratio);
                }
                if (rank == 0) {
                    const char *why = "";
                    char procs[32];
                    snprintf(procs, sizeof(procs), dim == 2 ? "%dx%d" : "%dx%dx%d", o.procs[0],
                             o.procs[1], o.procs[2]);
                    printf("  %-6lld 1/%-5lld %-7s %5d %6d %11.3e %11.3e %10.3e %6s %8.3f %8.3f"
                           "  %s\n",
                           (long long)p.n, (long long)(p.n + 1), k->name, o.res.iterations,
                           o.res.mg_levels, o.res.rnorm / o.res.bnorm, o.tres / o.res.bnorm, o.err,
                           ratio_s, o.setup, o.solve, procs);
                    if (o.res.reason <= 0)
                        why = "did not converge";
                    else if (!(o.tres <= TRES_FACTOR * fmax(rtol * o.res.bnorm, 1e-50)))
                        why = "true residual far above the tolerance";
                    else if (gi > 0 && !(ratio >= RATIO_LO && ratio <= RATIO_HI))
                        why = "error ratio not in [3.5, 4.5]: not second order";
                    if (*why) {
                        printf("  FAILED: %s (%s)\n", why, dc_solve_reason_string(o.res.reason));
                        bad = 1;
                    }
                    snprintf(lines[nlines++], sizeof(lines[0]),
                             "solve dim=%d n=%lld solver=%s reason=%d its=%d rnorm=%a tres=%a "
                             "err=%a xnorm=%a xsum=%a",
                             dim, (long long)p.n, k->name, (int)o.res.reason, o.res.iterations,
                             o.res.rnorm, o.tres, o.err, o.xnorm, o.xsum);
                }
            }
        }
        if (rank == 0) {
            printf("  (max error = max |x - u| at the grid points; ratio = error of the grid"
                   " before / this one, expected ~4)\n");
            for (i = 0; i < nlines; i++)
                printf("%s\n", lines[i]);
        }
    }

    MPI_Allreduce(MPI_IN_PLACE, &bad, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (rank == 0 && seq > 0)
        printf("final solves=%d its=%lld xnorm=%a xsum=%a\n", seq, its_all, run.done[seq - 1].xnorm,
               run.done[seq - 1].xsum);
    if (rank == 0)
        printf("poisson: %s\n", bad ? "FAILED" : "ok");
    if (run.resume)
        dc_ckpt_read_end(run.ckpt);
    dc_ckpt_destroy(&run.ckpt);
    dc_env_destroy(&env);
    MPI_Finalize();
    return bad ? 1 : 0;
}
