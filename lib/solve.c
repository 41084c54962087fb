/*
 * Krylov solvers for symmetric positive definite operators: preconditioned CG (two reductions
 * per iteration: p'Ap, then r'r and r'z together) and pipelined CG (Ghysels & Vanroose 2014, the
 * preconditioned variant as in PETSc's KSPPIPECG: one non-blocking reduction per iteration,
 * overlapped with the preconditioner and the operator). Vector updates of an iteration are fused
 * into one pass over memory that also computes the next reduction's local dots. In reproducible
 * mode every dot is an exact accumulator (repro.h) merged across ranks in the same single
 * reduction, so the iteration count and the solution do not depend on the rank count. A local
 * failure (a callback's error) travels as a flag in the next reduction: all ranks stop together.
 */
#include "mesh_impl.h"
#include "op_impl.h"
#include "repro.h"
#include "vec_impl.h"

#include <cblas.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#define RED_MAX  4    /* dots in one reduction */
#define CHUNK    1024 /* fused loops in repro mode: deposit the dots of a chunk while it is hot */
#define HIST_MIN 64

/* One reduction of up to RED_MAX dots, plain or reproducible, blocking or not. */
typedef struct red {
    dc_repro_t mode; /* OFF, BINNED or EXACT */
    int k;           /* dots in the reduction under way */
    double loc[RED_MAX];
    double val[RED_MAX];
    double buf[RED_MAX + 1]; /* plain: the dots and the error flag */
    dci_racc_t acc[RED_MAX];
    int64_t w[RED_MAX * DCI_RACC_NWORDS + 1]; /* repro: the digits and the error flag */
    MPI_Request req;
    double wait;   /* seconds blocked in reductions during the current solve */
    dc_env_t *env; /* the solver's: the kernels count their flops (dc_events.h) */
} red_t;

enum { V_R, V_Z, V_P, V_Q, V_U, V_W, V_M, V_N, V_S, V_COUNT };

struct dc_solver {
    dci_obj_t hdr;
    dc_op_t *op; /* counted reference */
    dc_solver_params_t prm;
    dc_repro_t mode; /* resolved */
    size_t n;        /* local length */
    double *dinv;    /* Jacobi: 1 / diag(A) */
    dci_mg_t *mg;
    dc_vec_t *vec[V_COUNT]; /* work vectors (NULL where unused) */
    double *hist;
    int hist_cap, hist_n;
    dc_solve_result_t res;
    red_t red;
    /* monitor (dc_solver_set_monitor) */
    dc_solver_monitor_fn mon;
    void *mon_ctx;
    int mon_every;
    /* The state of iteration st_it (op_impl.h): the running solve's while its monitor runs
     * (running = 1, x_cur its x), or one loaded from a checkpoint (resume = 1, its iterate in
     * xres) that the next solve continues from. The other vectors are the work vectors. */
    int running, resume;
    dc_vec_t *x_cur, *xres;
    int st_it, st_reason;
    double st_bnorm, st_rnorm0, st_scal[DCI_SST_NSCAL];
};

/* ---------------------------------------------------------------- reductions */

static void red_start(red_t *rd, int k)
{
    int i;

    rd->k = k;
    for (i = 0; i < k; i++) {
        rd->loc[i] = 0.0;
        if (rd->mode != DC_REPRO_OFF)
            dci_racc_init(&rd->acc[i]);
    }
}

/* Deposit sum x.*y (y NULL: sum x.^2) of m entries into dot i (repro mode). */
static inline void red_dep(red_t *rd, int i, const double *x, const double *y, size_t m)
{
    dci_racc_add(&rd->acc[i], y == NULL ? DCI_RACC_SUMSQ : DCI_RACC_DOT, rd->mode == DC_REPRO_EXACT,
                 x, y, m);
}

/* Dot i of one chunk of a fused loop: its plain partial sum s (DC_REPRO_OFF), else the exact
 * deposit of x.*y (y NULL: x.^2) over the chunk's m entries. */
static inline void red_chunk(red_t *rd, int i, double s, const double *x, const double *y, size_t m)
{
    if (rd->mode == DC_REPRO_OFF)
        rd->loc[i] += s;
    else
        red_dep(rd, i, x, y, m);
}

/* Dot i of whole arrays, in the reduction's mode. */
static void red_dot(red_t *rd, int i, const double *x, const double *y, size_t n)
{
    dci_prof_flops(rd->env, 2.0 * (double)n);
    if (rd->mode != DC_REPRO_OFF) {
        red_dep(rd, i, x, y, n);
        return;
    }
    while (n > 0) {
        int m = n > INT_MAX ? INT_MAX : (int)n;
        rd->loc[i] += cblas_ddot(m, x, 1, y != NULL ? y : x, 1);
        x += m;
        if (y != NULL)
            y += m;
        n -= (size_t)m;
    }
}

/* Start the reduction of the k dots (and this rank's error flag): blocking unless nb. */
static int red_post(dc_env_t *env, red_t *rd, int err, int nb)
{
    int mrc, i, cnt;
    void *buf;
    MPI_Datatype type;
    double t0;

    if (rd->mode == DC_REPRO_OFF) {
        for (i = 0; i < rd->k; i++)
            rd->buf[i] = rd->loc[i];
        rd->buf[rd->k] = err != 0;
        buf = rd->buf;
        cnt = rd->k + 1;
        type = MPI_DOUBLE;
    } else {
        for (i = 0; i < rd->k; i++) {
            dci_racc_normalize(&rd->acc[i]);
            memcpy(&rd->w[i * DCI_RACC_NWORDS], rd->acc[i].d, sizeof(int64_t) * DCI_RACC_NWORDS);
        }
        rd->w[rd->k * DCI_RACC_NWORDS] = err != 0;
        buf = rd->w;
        cnt = rd->k * DCI_RACC_NWORDS + 1;
        type = MPI_INT64_T;
    }
    if (nb) {
        mrc = MPI_Iallreduce(MPI_IN_PLACE, buf, cnt, type, MPI_SUM, env->comm, &rd->req);
        if (mrc != MPI_SUCCESS)
            return DC_ERR_MPI_RC(env, mrc, "MPI_Iallreduce");
        /* dc_events.h: counted when posted, the wait timed in red_finish */
        dci_prof_coll(env, (size_t)cnt * 8, (size_t)cnt * 8);
        return DC_SUCCESS;
    }
    t0 = dci_wtime();
    mrc = dci_allreduce(env, MPI_IN_PLACE, buf, cnt, type, MPI_SUM); /* counts itself */
    rd->wait += dci_wtime() - t0;
    rd->req = MPI_REQUEST_NULL;
    return mrc;
}

/* Complete the reduction (waiting for a non-blocking one) and unpack the k values; *gerr_p:
 * some rank flagged an error. */
static int red_finish(dc_env_t *env, red_t *rd, int *gerr_p)
{
    int i;

    if (rd->req != MPI_REQUEST_NULL) {
        double t0 = dci_wtime(), tp = dci_prof_mpi_begin(env);
        int mrc = MPI_Wait(&rd->req, MPI_STATUS_IGNORE);
        dci_prof_mpi_end(env, tp);
        rd->wait += dci_wtime() - t0;
        if (mrc != MPI_SUCCESS)
            return DC_ERR_MPI_RC(env, mrc, "MPI_Wait");
    }
    if (rd->mode == DC_REPRO_OFF) {
        for (i = 0; i < rd->k; i++)
            rd->val[i] = rd->buf[i];
        *gerr_p = rd->buf[rd->k] != 0.0;
        return DC_SUCCESS;
    }
    for (i = 0; i < rd->k; i++) {
        memcpy(rd->acc[i].d, &rd->w[i * DCI_RACC_NWORDS], sizeof(int64_t) * DCI_RACC_NWORDS);
        rd->acc[i].pending = 0;
        dci_racc_normalize(&rd->acc[i]);
        rd->val[i] = dci_racc_to_double(&rd->acc[i]);
    }
    *gerr_p = rd->w[rd->k * DCI_RACC_NWORDS] != 0;
    return DC_SUCCESS;
}

/* Blocking reduction of the dots started with red_start and deposited. */
static int red_all(dc_env_t *env, red_t *rd, int err, int *gerr_p)
{
    int rc = red_post(env, rd, err, 0);

    if (rc != DC_SUCCESS)
        return rc;
    return red_finish(env, rd, gerr_p);
}

/* ---------------------------------------------------------------- parameters */

static void params_default(dc_solver_params_t *p)
{
    memset(p, 0, sizeof(*p));
    p->type = DC_SOLVER_CG;
    p->pc = DC_PC_NONE;
    p->rtol = 1e-8;
    p->atol = 1e-50;
    p->max_it = 10000;
    p->guess_nonzero = 0;
    p->repro = DC_REPRO_DEFAULT;
    p->mg_levels = 0;
    p->mg_coarse_size = 4096;
    p->mg_smoother = DC_MG_CHEBYSHEV;
    p->mg_smooth_steps = 2;
    p->mg_jacobi_weight = 0.0;
    p->mg_agglomerate = 4096;
}

#define PARAM_ALL                                                                                  \
    (DC_SOLVER_PARAM_TYPE | DC_SOLVER_PARAM_PC | DC_SOLVER_PARAM_RTOL | DC_SOLVER_PARAM_ATOL |     \
     DC_SOLVER_PARAM_MAX_IT | DC_SOLVER_PARAM_GUESS | DC_SOLVER_PARAM_REPRO |                      \
     DC_SOLVER_PARAM_PC_SHELL | DC_SOLVER_PARAM_MG)

/* Resolve the fields params sets and check them (a message and DC_ERR_ARG when out of range). */
static int params_resolve(dc_env_t *env, const dc_solver_params_t *in, dc_solver_params_t *p)
{
    uint64_t m;

    params_default(p);
    if (in == NULL)
        goto resolved;
    m = in->field_mask;
    if (m & ~(uint64_t)PARAM_ALL)
        return DC_ERR(env, DC_ERR_ARG, "params->field_mask has unknown bits 0x%llx",
                      (unsigned long long)(m & ~(uint64_t)PARAM_ALL));
    if (m & DC_SOLVER_PARAM_TYPE)
        p->type = in->type;
    if (m & DC_SOLVER_PARAM_PC)
        p->pc = in->pc;
    if (m & DC_SOLVER_PARAM_RTOL)
        p->rtol = in->rtol;
    if (m & DC_SOLVER_PARAM_ATOL)
        p->atol = in->atol;
    if (m & DC_SOLVER_PARAM_MAX_IT)
        p->max_it = in->max_it;
    if (m & DC_SOLVER_PARAM_GUESS)
        p->guess_nonzero = in->guess_nonzero;
    if (m & DC_SOLVER_PARAM_REPRO)
        p->repro = in->repro;
    if (m & DC_SOLVER_PARAM_PC_SHELL) {
        p->pc_apply = in->pc_apply;
        p->pc_ctx = in->pc_ctx;
    }
    if (m & DC_SOLVER_PARAM_MG) {
        p->mg_levels = in->mg_levels;
        if (in->mg_coarse_size != 0) /* 0: the default, as for mg_levels and the weight */
            p->mg_coarse_size = in->mg_coarse_size;
        p->mg_smoother = in->mg_smoother;
        if (in->mg_smooth_steps != 0)
            p->mg_smooth_steps = in->mg_smooth_steps;
        p->mg_jacobi_weight = in->mg_jacobi_weight;
        p->mg_agglomerate = in->mg_agglomerate;
    }
resolved:
    p->field_mask = PARAM_ALL;
    if (p->type != DC_SOLVER_CG && p->type != DC_SOLVER_PIPECG)
        return DC_ERR(env, DC_ERR_ARG, "params->type %d is not DC_SOLVER_CG or _PIPECG",
                      (int)p->type);
    if ((int)p->pc < DC_PC_NONE || (int)p->pc > DC_PC_SHELL)
        return DC_ERR(env, DC_ERR_ARG, "params->pc %d is not a dc_pc_type_t", (int)p->pc);
    if (!(p->rtol >= 0.0 && p->rtol < 1.0))
        return DC_ERR(env, DC_ERR_ARG, "params->rtol %g is not in [0, 1)", p->rtol);
    if (!(p->atol >= 0.0 && p->atol <= DBL_MAX))
        return DC_ERR(env, DC_ERR_ARG, "params->atol %g is not finite and >= 0", p->atol);
    if (p->max_it < 0)
        return DC_ERR(env, DC_ERR_ARG, "params->max_it %d is negative", p->max_it);
    if (p->guess_nonzero != 0 && p->guess_nonzero != 1)
        return DC_ERR(env, DC_ERR_ARG, "params->guess_nonzero %d is not 0 or 1", p->guess_nonzero);
    if (!dci_repro_mode_valid(p->repro, 1))
        return DC_ERR(env, DC_ERR_ARG, "params->repro %d is not a dc_repro_t", (int)p->repro);
    if (p->pc == DC_PC_SHELL && p->pc_apply == NULL)
        return DC_ERR(env, DC_ERR_ARG, "DC_PC_SHELL without params->pc_apply");
    if (p->mg_levels < 0)
        return DC_ERR(env, DC_ERR_ARG, "params->mg_levels %d is negative", p->mg_levels);
    if (p->mg_coarse_size < 1)
        return DC_ERR(env, DC_ERR_ARG, "params->mg_coarse_size %d is negative", p->mg_coarse_size);
    if (p->mg_smoother != DC_MG_CHEBYSHEV && p->mg_smoother != DC_MG_JACOBI)
        return DC_ERR(env, DC_ERR_ARG, "params->mg_smoother %d is not a dc_mg_smoother_t",
                      (int)p->mg_smoother);
    if (p->mg_smooth_steps < 1)
        return DC_ERR(env, DC_ERR_ARG, "params->mg_smooth_steps %d is negative",
                      p->mg_smooth_steps);
    if (!(p->mg_jacobi_weight >= 0.0 && p->mg_jacobi_weight <= 1.0))
        return DC_ERR(env, DC_ERR_ARG, "params->mg_jacobi_weight %g is not in [0, 1]",
                      p->mg_jacobi_weight);
    if (p->mg_agglomerate < 0)
        return DC_ERR(env, DC_ERR_ARG, "params->mg_agglomerate %d is negative", p->mg_agglomerate);
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- lifecycle */

static void solver_free(dc_solver_t *s)
{
    int i;

    if (s == NULL)
        return;
    for (i = 0; i < V_COUNT; i++)
        dc_vec_destroy(&s->vec[i]);
    dc_vec_destroy(&s->xres);
    dci_mg_destroy(s->mg);
    dci_free(s->dinv);
    dci_free(s->hist);
    if (s->op != NULL)
        dci_obj_unref(&s->op->hdr);
    s->hdr.magic = DCI_CLASS_DEAD;
    dci_free(s);
}

static void solver_free_obj(dci_obj_t *hdr)
{
    solver_free((dc_solver_t *)hdr);
}

/* Which work vectors a method needs (the others alias: z = r, u = r, m = w, q = s without a
 * preconditioner). */
static int needs_vec(const dc_solver_params_t *p, int v)
{
    int pc = p->pc != DC_PC_NONE;

    if (p->type == DC_SOLVER_CG)
        return v == V_R || v == V_P || v == V_Q || (v == V_Z && pc);
    switch (v) {
    case V_R:
    case V_W:
    case V_N:
    case V_Z:
    case V_P:
    case V_S: return 1;
    case V_U:
    case V_M:
    case V_Q: return pc;
    default: return 0;
    }
}

/* Jacobi: the diagonal, inverted once. Collective (the diagonal); local failures are agreed by
 * the caller. */
static int jacobi_setup(dc_solver_t *s)
{
    dc_env_t *env = s->hdr.env;
    dc_vec_t *d = s->vec[V_R]; /* scratch: every method has r */
    size_t i;
    int rc;

    rc = dc_op_get_diagonal(s->op, d);
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        return rc;
    rc = dci_malloc_aligned(env, (s->n > 0 ? s->n : 1) * sizeof(double), (void **)&s->dinv);
    if (rc != DC_SUCCESS)
        return rc;
    for (i = 0; i < s->n; i++) {
        double v = d->data[i];
        if (!(v > 0.0 && v <= DBL_MAX))
            return DC_ERR(env, DC_ERR_ARG,
                          "DC_PC_JACOBI: diagonal entry %g (local index %zu) is not positive "
                          "and finite: the operator is not symmetric positive definite",
                          v, i);
        s->dinv[i] = 1.0 / v;
    }
    return DC_SUCCESS;
}

int dc_solver_create(dc_op_t *op, const dc_solver_params_t *params, dc_solver_t **solver_p)
{
    dc_env_t *env;
    dc_solver_t *s = NULL;
    dc_solver_params_t p;
    dci_arg_t a[16];
    int rc = DC_SUCCESS, na = 0, i;
    double t0 = dci_wtime();

    DC_VALIDATE(op, DCI_CLASS_OP);
    env = op->hdr.env;
    dci_prof_begin(env, DCI_EV_SOLVER_CREATE);
    params_default(&p);
    DC_REQUIRE_GOTO(env, solver_p != NULL, DC_ERR_ARG, agree, "solver_p is NULL");
    DC_CHECK_GOTO(params_resolve(env, params, &p), agree);
    if (p.repro == DC_REPRO_DEFAULT)
        p.repro = (dc_repro_t)env->opts.repro;
    DC_CHECK_GOTO(dci_calloc(env, 1, sizeof(*s), (void **)&s), agree);
    dci_obj_init(&s->hdr, DCI_CLASS_SOLVER, env, solver_free_obj);
    s->prm = p;
    s->mode = p.repro;
    s->red.mode = p.repro;
    s->red.req = MPI_REQUEST_NULL;
    s->red.env = env;
    s->n = op->layout->nlocal;
    s->op = op;
    dci_obj_ref(&op->hdr);
    DC_CHECK_GOTO(dci_malloc(env, HIST_MIN * sizeof(double), (void **)&s->hist), agree);
    s->hist_cap = HIST_MIN;
agree:
    /* every setting that decides what the ranks do together must match */
    a[na++] = dci_arg_int("params->type", p.type, DC_ERR_ARG);
    a[na++] = dci_arg_int("params->pc", p.pc, DC_ERR_ARG);
    a[na++] = dci_arg_dbl("params->rtol", p.rtol);
    a[na++] = dci_arg_dbl("params->atol", p.atol);
    a[na++] = dci_arg_int("params->max_it", p.max_it, DC_ERR_ARG);
    a[na++] = dci_arg_int("params->guess_nonzero", p.guess_nonzero, DC_ERR_ARG);
    a[na++] = dci_arg_int("params->repro", p.repro, DC_ERR_ARG);
    a[na++] = dci_arg_int("params->pc_apply != NULL", p.pc_apply != NULL, DC_ERR_ARG);
    a[na++] = dci_arg_int("params->mg_levels", p.mg_levels, DC_ERR_ARG);
    a[na++] = dci_arg_int("params->mg_coarse_size", p.mg_coarse_size, DC_ERR_ARG);
    a[na++] = dci_arg_int("params->mg_smoother", p.mg_smoother, DC_ERR_ARG);
    a[na++] = dci_arg_int("params->mg_smooth_steps", p.mg_smooth_steps, DC_ERR_ARG);
    a[na++] = dci_arg_dbl("params->mg_jacobi_weight", p.mg_jacobi_weight);
    a[na++] = dci_arg_int("params->mg_agglomerate", p.mg_agglomerate, DC_ERR_ARG);
    rc = dci_agree_args(env, rc, a, na, __func__);
    if (rc != DC_SUCCESS)
        goto out;
    /* from here on every rank takes the same path: each step below is agreed */
    for (i = 0; i < V_COUNT; i++)
        if (needs_vec(&p, i))
            DC_CHECK_GOTO(dci_vec_create_ev(op->layout, DCI_EV_SOLVER_CREATE, &s->vec[i]), out);
    if (p.pc == DC_PC_JACOBI)
        DC_CHECK_GOTO(dci_agree(env, jacobi_setup(s)), out);
    if (p.pc == DC_PC_MG) {
        /* the weighted-Jacobi default depends on the mesh's dimension */
        if (s->prm.mg_jacobi_weight == 0.0 && op->mesh != NULL)
            s->prm.mg_jacobi_weight = op->mesh->info.dim == 3 ? 6.0 / 7.0 : 2.0 / 3.0;
        DC_CHECK_GOTO(dci_mg_create(op, &s->prm, s->mode, &s->mg), out);
        s->res.mg_levels = dci_mg_levels(s->mg);
    }
out:
    if (rc != DC_SUCCESS) {
        solver_free(s);
        s = NULL;
    } else {
        s->res.setup_time = dci_wtime() - t0;
        *solver_p = s;
    }
    dci_prof_end(env, DCI_EV_SOLVER_CREATE, 0);
    return rc;
}

int dc_solver_destroy(dc_solver_t **solver_p)
{
    dc_solver_t *s;

    if (solver_p == NULL || *solver_p == NULL)
        return DC_SUCCESS;
    DC_VALIDATE_OWNED(*solver_p, DCI_CLASS_SOLVER);
    s = *solver_p;
    *solver_p = NULL;
    dci_obj_release(&s->hdr, "solver_p", __func__);
    return DC_SUCCESS;
}

int dc_solver_get_result(const dc_solver_t *solver, dc_solve_result_t *result_p)
{
    DC_VALIDATE(solver, DCI_CLASS_SOLVER);
    DC_REQUIRE(solver->hdr.env, result_p != NULL, DC_ERR_ARG, "result_p is NULL");
    *result_p = solver->res;
    return DC_SUCCESS;
}

int dc_solver_get_history(const dc_solver_t *solver, const double **rnorms_p, int *n_p)
{
    DC_VALIDATE(solver, DCI_CLASS_SOLVER);
    DC_REQUIRE(solver->hdr.env, rnorms_p != NULL, DC_ERR_ARG, "rnorms_p is NULL");
    DC_REQUIRE(solver->hdr.env, n_p != NULL, DC_ERR_ARG, "n_p is NULL");
    *rnorms_p = solver->hist;
    *n_p = solver->hist_n;
    return DC_SUCCESS;
}

int dc_solver_set_monitor(dc_solver_t *solver, int every, dc_solver_monitor_fn fn, void *ctx)
{
    DC_VALIDATE(solver, DCI_CLASS_SOLVER);
    DC_REQUIRE(solver->hdr.env, fn == NULL || every >= 1, DC_ERR_ARG,
               "every = %d: the monitor's period must be >= 1", every);
    solver->mon = fn;
    solver->mon_ctx = fn != NULL ? ctx : NULL;
    solver->mon_every = fn != NULL ? every : 0;
    return DC_SUCCESS;
}

const char *dc_solve_reason_string(int reason)
{
    switch (reason) {
    case DC_SOLVE_ITERATING: return "iterating (not solved yet)";
    case DC_SOLVE_CONVERGED_RTOL: return "converged: rtol";
    case DC_SOLVE_CONVERGED_ATOL: return "converged: atol";
    case DC_SOLVE_DIVERGED_MAXIT: return "diverged: max_it";
    case DC_SOLVE_DIVERGED_BREAKDOWN: return "diverged: breakdown";
    case DC_SOLVE_DIVERGED_NAN: return "diverged: NaN or Inf";
    default: return "unknown reason";
    }
}

/* ---------------------------------------------------------------- solve helpers */

/* Room for need values in the history, keeping the first hist_n. Local. */
static int hist_reserve(dc_solver_t *s, int need)
{
    double *h = NULL;
    int cap = s->hist_cap, rc;

    if (need <= cap)
        return DC_SUCCESS;
    while (cap < need)
        cap = cap > INT_MAX / 2 ? INT_MAX : cap * 2;
    rc = dci_malloc(s->hdr.env, (size_t)cap * sizeof(double), (void **)&h);
    if (rc != DC_SUCCESS)
        return rc;
    memcpy(h, s->hist, (size_t)s->hist_n * sizeof(double));
    dci_free(s->hist);
    s->hist = h;
    s->hist_cap = cap;
    return DC_SUCCESS;
}

/* Record ||r_k|| (local: a failed growth is remembered and reported after the next
 * reduction, so the ranks stay together). */
static int hist_push(dc_solver_t *s, double rnorm)
{
    int rc = hist_reserve(s, s->hist_n + 1);

    if (rc != DC_SUCCESS)
        return rc;
    s->hist[s->hist_n++] = rnorm;
    return DC_SUCCESS;
}

static int op_apply(dc_solver_t *s, const dc_vec_t *x, dc_vec_t *y)
{
    dc_env_t *env = s->hdr.env;
    int rc;

    dci_prof_begin(env, DCI_EV_OP_APPLY);
    rc = s->op->ops->apply(s->op, x, y);
    dci_prof_end(env, DCI_EV_OP_APPLY, rc == DC_SUCCESS ? 2 * y->nlocal * sizeof(double) : 0);
    return rc;
}

/* z = M^-1 r for the shell and MG preconditioners, and Jacobi where it is not fused. */
static int pc_apply(dc_solver_t *s, const dc_vec_t *r, dc_vec_t *z)
{
    size_t i;
    int crc;

    switch (s->prm.pc) {
    case DC_PC_JACOBI:
        for (i = 0; i < s->n; i++)
            z->data[i] = s->dinv[i] * r->data[i];
        dci_prof_flops(s->hdr.env, (double)s->n);
        return DC_SUCCESS;
    case DC_PC_MG: return dci_mg_apply(s->mg, r, z);
    case DC_PC_SHELL:
        crc = s->prm.pc_apply(r, z, s->prm.pc_ctx);
        if (crc == DC_SUCCESS)
            return DC_SUCCESS;
        return DC_ERR(s->hdr.env, crc < 0 && crc >= DCI_ERR_MIN ? crc : DC_ERR_ARG,
                      "the preconditioner's pc_apply callback returned %d", crc);
    default: return DC_SUCCESS;
    }
}

static int is_finite(double v)
{
    return v - v == 0.0;
}

/* Stop test on ||r_k||: a reason, or DC_SOLVE_ITERATING. */
static dc_solve_reason_t conv_test(const dc_solver_t *s, double rnorm, double tol, int k)
{
    if (!is_finite(rnorm))
        return DC_SOLVE_DIVERGED_NAN;
    if (rnorm <= tol)
        return rnorm <= s->prm.atol ? DC_SOLVE_CONVERGED_ATOL : DC_SOLVE_CONVERGED_RTOL;
    if (k >= s->prm.max_it)
        return DC_SOLVE_DIVERGED_MAXIT;
    return DC_SOLVE_ITERATING;
}

/* r = b - q (q = A x) with the dots r'r. Fused. */
static void resid_dots(red_t *rd, size_t n, const double *restrict b, const double *restrict q,
                       double *restrict r)
{
    size_t c, i;

    dci_prof_flops(rd->env, 3.0 * (double)n); /* b - q and its square */

    for (c = 0; c < n; c += CHUNK) {
        size_t m = n - c < CHUNK ? n - c : CHUNK;
        const double *bc = b + c, *qc = q + c;
        double *rc = r + c, s0 = 0.0;
        for (i = 0; i < m; i++) {
            double v = bc[i] - qc[i];
            rc[i] = v;
            s0 += v * v;
        }
        red_chunk(rd, 0, s0, rc, NULL, m);
    }
}

/* ---------------------------------------------------------------- iteration state */

/* The state's vectors: the iterate x, then the method's recurrence vectors (op_impl.h), with the
 * names a checkpoint stores them under. Returns their number. */
static int state_vecs(const dc_solver_t *s, dc_vec_t *x, const char **name, dc_vec_t **vec)
{
    static const char *const vn[V_COUNT] = {"r", "z", "p", "q", "u", "w", "m", "n", "s"};
    static const int cg[] = {V_R, V_P, V_Z};
    static const int pipe[] = {V_R, V_W, V_N, V_Z, V_P, V_S, V_U, V_M, V_Q};
    int pcon = s->prm.pc != DC_PC_NONE, cnt, i, k = 0;
    const int *list;

    if (s->prm.type == DC_SOLVER_CG) {
        list = cg;
        cnt = pcon ? 3 : 2; /* without a preconditioner z is r */
    } else {
        list = pipe;
        cnt = pcon ? 9 : 6; /* without one u is r, m is w and q is s */
    }
    name[k] = "x";
    vec[k++] = x;
    for (i = 0; i < cnt; i++) {
        name[k] = vn[list[i]];
        vec[k++] = s->vec[list[i]];
    }
    return k;
}

void dci_solver_state_describe(const dc_solver_t *s, dci_solver_state_t *st)
{
    memset(st, 0, sizeof(*st));
    st->env = s->hdr.env;
    st->type = s->prm.type;
    st->pc = s->prm.pc;
    st->mode = s->mode;
    st->n = s->op->layout->n;
    st->mesh = s->op->mesh;
    st->nscal = s->prm.type == DC_SOLVER_CG ? 3 : 4;
    st->nvec = state_vecs(s, NULL, st->vname, st->vec);
}

int dci_solver_state_get(const dc_solver_t *s, dci_solver_state_t *st)
{
    dci_solver_state_describe(s, st);
    if (!s->running)
        return DC_ERR(s->hdr.env, DC_ERR_STATE,
                      "no solve is running on this solver (a solver's state is stored from its "
                      "monitor, dc_solver_set_monitor)");
    st->nvec = state_vecs(s, s->x_cur, st->vname, st->vec);
    st->it = s->st_it;
    st->reason = s->st_reason;
    st->bnorm = s->res.bnorm;
    st->rnorm0 = s->res.rnorm0;
    memcpy(st->scal, s->st_scal, sizeof(st->scal));
    st->hist = s->hist;
    return DC_SUCCESS;
}

int dci_solver_state_load_begin(dc_solver_t *s, int it, dci_solver_state_t *st)
{
    dc_env_t *env = s->hdr.env;
    int rc = DC_SUCCESS;

    dci_solver_state_describe(s, st);
    DC_REQUIRE_GOTO(env, !s->running, DC_ERR_STATE, out,
                    "a state cannot be loaded into a solver from its own monitor");
    DC_REQUIRE_GOTO(env, it >= 0 && it < INT_MAX, DC_ERR_ARG, out, "iteration %d out of range", it);
    s->resume = 0;
    s->hist_n = 0; /* the last solve's history goes: the loaded one takes its place */
    DC_CHECK_GOTO(hist_reserve(s, it + 1), out);
out:
    rc = dci_agree(env, rc);
    if (rc == DC_SUCCESS && s->xres == NULL)
        rc = dc_vec_create(s->op->layout, &s->xres); /* collective, agreed */
    if (rc != DC_SUCCESS)
        return rc;
    st->nvec = state_vecs(s, s->xres, st->vname, st->vec);
    st->it = it;
    st->hist = s->hist;
    return DC_SUCCESS;
}

void dci_solver_state_load_end(dc_solver_t *s, const dci_solver_state_t *st)
{
    s->st_it = st->it;
    s->st_reason = st->reason;
    s->st_bnorm = st->bnorm;
    s->st_rnorm0 = st->rnorm0;
    memcpy(s->st_scal, st->scal, sizeof(s->st_scal));
    s->hist_n = st->it + 1;
    s->resume = 1;
}

/* Whether the monitor is due at iteration k. */
static int monitor_due(const dc_solver_t *s, int k)
{
    return s->mon != NULL && k % s->mon_every == 0;
}

/*
 * Call the monitor at iteration k (the state in s->st_scal, x current). A local failure still
 * pending (lrc) is agreed first, so that every rank enters a monitor that communicates or none
 * does; the monitor's code is agreed after. Returns the agreed code.
 */
static int monitor_call(dc_solver_t *s, dc_vec_t *x, int k, double rnorm, dc_solve_reason_t reason,
                        int lrc)
{
    dc_env_t *env = s->hdr.env;
    int rc, mrc;

    rc = dci_agree(env, lrc);
    if (rc != DC_SUCCESS)
        return rc;
    s->st_it = k;
    s->st_reason = reason;
    s->x_cur = x;
    s->res.iterations = k;
    s->res.reason = DC_SOLVE_ITERATING;
    s->running = 1;
    mrc = s->mon(s, k, rnorm, s->mon_ctx);
    s->running = 0;
    s->x_cur = NULL;
    if (mrc != DC_SUCCESS)
        mrc = DC_ERR(env, mrc < 0 && mrc >= DCI_ERR_MIN ? mrc : DC_ERR_ARG,
                     "the monitor returned %d (%s) at iteration %d: the solve stops", mrc,
                     dc_strerror(mrc), k);
    return dci_agree(env, mrc);
}

/* ---------------------------------------------------------------- CG */

/* The first pass of CG's update: r -= a q and then, by preconditioner: none: dot 0 = r'r;
 * Jacobi: z = dinv r, dot 0 = r'r, dot 1 = r'z; other: dot 0 = r'r (r'z after M). */
static void cg_update_r(red_t *rd, size_t n, double a, double *restrict r, const double *restrict q,
                        double *restrict z, const double *restrict dinv)
{
    size_t c, i;

    dci_prof_flops(rd->env, (dinv != NULL ? 7.0 : 4.0) * (double)n);

    for (c = 0; c < n; c += CHUNK) {
        size_t m = n - c < CHUNK ? n - c : CHUNK;
        double *rc = r + c;
        const double *qc = q + c;
        double s0 = 0.0, s1 = 0.0;
        if (dinv != NULL) {
            double *zc = z + c;
            const double *dc = dinv + c;
            for (i = 0; i < m; i++) {
                double rv = rc[i] - a * qc[i], zv = dc[i] * rv;
                rc[i] = rv;
                zc[i] = zv;
                s0 += rv * rv;
                s1 += rv * zv;
            }
            red_chunk(rd, 0, s0, rc, NULL, m);
            red_chunk(rd, 1, s1, rc, zc, m);
        } else {
            for (i = 0; i < m; i++) {
                double rv = rc[i] - a * qc[i];
                rc[i] = rv;
                s0 += rv * rv;
            }
            red_chunk(rd, 0, s0, rc, NULL, m);
        }
    }
}

/* The second pass, once beta is known: x += a p with the old p, then p = z + beta p (p is
 * read once for both). */
static void cg_update_xp(dc_env_t *env, size_t n, double a, double beta, double *restrict x,
                         const double *restrict z, double *restrict p)
{
    size_t i;

    dci_prof_flops(env, 4.0 * (double)n);

    for (i = 0; i < n; i++) {
        double pv = p[i];
        x[i] += a * pv;
        p[i] = z[i] + beta * pv;
    }
}

/* p = z + beta p, when x is already current (after the monitor) */
static void cg_update_p(dc_env_t *env, size_t n, double beta, const double *restrict z,
                        double *restrict p)
{
    size_t i;

    dci_prof_flops(env, 2.0 * (double)n);

    for (i = 0; i < n; i++)
        p[i] = z[i] + beta * p[i];
}

/* x += a p (the last step's x update when the iteration stops) */
static void axpy(dc_env_t *env, size_t n, double a, const double *restrict p, double *restrict x)
{
    size_t i;

    dci_prof_flops(env, 2.0 * (double)n);

    for (i = 0; i < n; i++)
        x[i] += a * p[i];
}

/*
 * Preconditioned CG. Two reductions per iteration: p'Ap (fused with the operator when it offers
 * apply_dot and the mode is plain), then r'r and r'z together, their local parts computed in
 * the pass that updates r (and z for Jacobi). The x update waits for the next pass over p
 * (x += a p; p = z + beta p), so that p is read once for both: per iteration the operator plus
 * two passes over memory. Returns a library code; the reason goes to s->res.
 */
static int cg_solve(dc_solver_t *s, const dc_vec_t *b, dc_vec_t *x, double tol)
{
    dc_env_t *env = s->hdr.env;
    red_t *rd = &s->red;
    size_t n = s->n;
    int pcon = s->prm.pc != DC_PC_NONE, jac = s->prm.pc == DC_PC_JACOBI;
    dc_vec_t *r = s->vec[V_R], *p = s->vec[V_P], *q = s->vec[V_Q];
    dc_vec_t *z = pcon ? s->vec[V_Z] : r;
    int lrc = DC_SUCCESS, rc, gerr = 0, k = 0, use_ad, xlag = 0;
    double rr, rz, rzold = 1.0, pap, alpha = 0.0, beta, rnorm;
    dc_solve_reason_t reason = DC_SOLVE_ITERATING;

    use_ad = s->op->ops->apply_dot != NULL && s->mode == DC_REPRO_OFF;
    if (s->resume) {
        /* a loaded state: iteration st_it decided, x current (the vectors are loaded) */
        k = s->st_it;
        reason = (dc_solve_reason_t)s->st_reason;
        rz = s->st_scal[0];
        rzold = s->st_scal[1];
        rnorm = s->st_scal[2];
        s->res.rnorm = rnorm;
        memcpy(x->data, s->xres->data, n * sizeof(double));
        goto iterate;
    }
    /* r0 = b - A x0, z0 = M r0; reduction: r'r, r'z */
    red_start(rd, pcon ? 2 : 1);
    if (s->prm.guess_nonzero) {
        lrc = op_apply(s, x, q);
        resid_dots(rd, n, b->data, q->data, r->data);
    } else {
        memset(x->data, 0, n * sizeof(double));
        memcpy(r->data, b->data, n * sizeof(double));
        red_dot(rd, 0, r->data, NULL, n);
    }
    if (pcon) {
        rc = pc_apply(s, r, z);
        if (lrc == DC_SUCCESS)
            lrc = rc;
        red_dot(rd, 1, r->data, z->data, n);
    }
    DC_CHECK(red_all(env, rd, lrc, &gerr));
    if (gerr)
        return dci_agree(env, lrc); /* the failing rank's code and message */
    rr = rd->val[0];
    rz = pcon ? rd->val[1] : rr;
    rnorm = sqrt(rr);
    s->res.rnorm0 = rnorm;
    for (;;) {
        s->res.rnorm = rnorm;
        if (lrc == DC_SUCCESS)
            lrc = hist_push(s, rnorm);
        reason = conv_test(s, rnorm, tol, k);
        if (reason == DC_SOLVE_ITERATING && !is_finite(rz))
            reason = DC_SOLVE_DIVERGED_NAN;
        else if (reason == DC_SOLVE_ITERATING && rz <= 0.0)
            reason = DC_SOLVE_DIVERGED_BREAKDOWN;
        if (monitor_due(s, k)) {
            /* the monitor sees the state of iteration k: x too (the x update then leaves the
             * next pass, with the same arithmetic, so the bits do not change) */
            if (xlag)
                axpy(env, n, alpha, p->data, x->data);
            xlag = 0;
            s->st_scal[0] = rz;
            s->st_scal[1] = rzold;
            s->st_scal[2] = rnorm;
            DC_CHECK(monitor_call(s, x, k, rnorm, reason, lrc));
        }
    iterate:
        if (reason != DC_SOLVE_ITERATING) {
            if (xlag)
                axpy(env, n, alpha, p->data, x->data); /* the last step's x */
            break;
        }
        if (k == 0) {
            memcpy(p->data, z->data, n * sizeof(double));
        } else {
            beta = rz / rzold;
            if (xlag)
                cg_update_xp(env, n, alpha, beta, x->data, z->data, p->data);
            else
                cg_update_p(env, n, beta, z->data, p->data);
        }
        /* q = A p, p'q */
        red_start(rd, 1);
        if (use_ad) {
            rc = s->op->ops->apply_dot(s->op, p, q, &rd->loc[0]);
        } else {
            rc = op_apply(s, p, q);
            red_dot(rd, 0, p->data, q->data, n);
        }
        if (lrc == DC_SUCCESS)
            lrc = rc;
        DC_CHECK(red_all(env, rd, lrc, &gerr));
        if (gerr)
            return dci_agree(env, lrc);
        pap = rd->val[0];
        if (!is_finite(pap) || pap <= 0.0) {
            reason = is_finite(pap) ? DC_SOLVE_DIVERGED_BREAKDOWN : DC_SOLVE_DIVERGED_NAN;
            break;
        }
        alpha = rz / pap;
        xlag = 1; /* x += alpha p waits for the next pass over p */
        /* r -= a q, z = M r, r'r, r'z */
        red_start(rd, pcon ? 2 : 1);
        cg_update_r(rd, n, alpha, r->data, q->data, jac ? z->data : NULL, jac ? s->dinv : NULL);
        if (pcon && !jac) {
            rc = pc_apply(s, r, z);
            if (lrc == DC_SUCCESS)
                lrc = rc;
            red_dot(rd, 1, r->data, z->data, n);
        }
        DC_CHECK(red_all(env, rd, lrc, &gerr));
        if (gerr)
            return dci_agree(env, lrc);
        k++;
        rr = rd->val[0];
        rzold = rz;
        rz = pcon ? rd->val[1] : rr;
        rnorm = sqrt(rr);
    }
    s->res.reason = reason;
    s->res.iterations = k;
    /* a failed history growth after the last reduction surfaces here, agreed */
    return dci_agree(env, lrc);
}

/* ---------------------------------------------------------------- pipelined CG */

/*
 * The fused update of pipelined CG, one pass:
 *   z = n + b z, q = m + b q, p = u + b p, s = w + b s,
 *   x += a p, u -= a q, w -= a z, r -= a s,
 * and the next reduction's dots: 0: r'r, 1: w'u, 2: r'u. Without a preconditioner u = r,
 * m = w and q = s (the caller passes them so; the aliased updates are skipped) and there are
 * two dots (r'u = r'r).
 */
static void pipe_update(red_t *rd, size_t nn, double a, double b, double *restrict x,
                        double *restrict r, double *u, double *restrict w, double *m,
                        const double *restrict n, double *restrict z, double *q, double *restrict p,
                        double *restrict s, const double *restrict dinv)
{
    size_t c, i;
    int pcon = u != r;

    /* 8 updates of 2, the dots 2 each (3 or 2 of them), Jacobi's m 1 */
    dci_prof_flops(rd->env, (pcon ? 22.0 + (dinv != NULL) : 16.0) * (double)nn);

    for (c = 0; c < nn; c += CHUNK) {
        size_t mm = nn - c < CHUNK ? nn - c : CHUNK;
        double s0 = 0.0, s1 = 0.0, s2 = 0.0;
        double *xc = x + c, *rc = r + c, *wc = w + c, *zc = z + c, *pc = p + c, *sc = s + c;
        const double *nc = n + c;
        if (pcon) {
            double *restrict uc = u + c, *restrict qc = q + c, *restrict mc = m + c;
            const double *restrict dc = dinv != NULL ? dinv + c : NULL;
            for (i = 0; i < mm; i++) {
                double zv = nc[i] + b * zc[i], qv = mc[i] + b * qc[i];
                double pv = uc[i] + b * pc[i], sv = wc[i] + b * sc[i];
                double uv = uc[i] - a * qv, wv = wc[i] - a * zv, rv = rc[i] - a * sv;
                zc[i] = zv;
                qc[i] = qv;
                pc[i] = pv;
                sc[i] = sv;
                xc[i] += a * pv;
                uc[i] = uv;
                wc[i] = wv;
                rc[i] = rv;
                if (dc != NULL)
                    mc[i] = dc[i] * wv; /* Jacobi: the next m = B w, in this pass */
                s0 += rv * rv;
                s1 += wv * uv;
                s2 += rv * uv;
            }
            red_chunk(rd, 0, s0, rc, NULL, mm);
            red_chunk(rd, 1, s1, wc, uc, mm);
            red_chunk(rd, 2, s2, rc, uc, mm);
        } else {
            for (i = 0; i < mm; i++) {
                double zv = nc[i] + b * zc[i], pv = rc[i] + b * pc[i], sv = wc[i] + b * sc[i];
                double wv = wc[i] - a * zv, rv = rc[i] - a * sv;
                zc[i] = zv;
                pc[i] = pv;
                sc[i] = sv;
                xc[i] += a * pv;
                wc[i] = wv;
                rc[i] = rv;
                s0 += rv * rv;
                s1 += wv * rv;
            }
            red_chunk(rd, 0, s0, rc, NULL, mm);
            red_chunk(rd, 1, s1, wc, rc, mm);
        }
    }
}

/*
 * Pipelined CG (Ghysels & Vanroose, Algorithm 'PIPECG' with a preconditioner B, as PETSc's
 * KSPPIPECG): per iteration one MPI_Iallreduce of r'r, w'u = delta and r'u = gamma, started
 * after the fused update and completed after m = B w and n = A m (Jacobi's m = D^-1 w is
 * formed in the update pass itself, so only the operator overlaps the reduction then).
 */
static int pipecg_solve(dc_solver_t *s, const dc_vec_t *b, dc_vec_t *x, double tol)
{
    dc_env_t *env = s->hdr.env;
    red_t *rd = &s->red;
    size_t nn = s->n;
    int pcon = s->prm.pc != DC_PC_NONE, nd = pcon ? 3 : 2, jac = s->prm.pc == DC_PC_JACOBI;
    dc_vec_t *r = s->vec[V_R], *w = s->vec[V_W], *n = s->vec[V_N], *z = s->vec[V_Z];
    dc_vec_t *p = s->vec[V_P], *sv = s->vec[V_S];
    dc_vec_t *u = pcon ? s->vec[V_U] : r, *m = pcon ? s->vec[V_M] : w;
    dc_vec_t *q = pcon ? s->vec[V_Q] : sv;
    int lrc = DC_SUCCESS, rc, gerr = 0, k = 0, ks, flag, again = 0, replace = 0;
    double rr, gamma, delta, gamma_old = 0.0, alpha = 0.0, beta = 0.0, denom, rnorm;
    dc_solve_reason_t reason = DC_SOLVE_ITERATING;

    if (s->resume) {
        /* a loaded state: iteration st_it decided (the vectors are loaded); the start it came
         * from only matters through k > ks, true from here on */
        k = ks = s->st_it;
        reason = (dc_solve_reason_t)s->st_reason;
        alpha = s->st_scal[0];
        beta = s->st_scal[1];
        gamma = s->st_scal[2];
        rnorm = s->st_scal[3];
        s->res.rnorm = rnorm;
        memcpy(x->data, s->xres->data, nn * sizeof(double));
        goto update;
    }
    /*
     * (Re)start: r = b - A x, u = B r, w = A u. The recurrences drift from the true residual
     * faster than CG's, so when they claim convergence, or a breakdown after the first step
     * since the last start, the iteration restarts from the true residual (same k; its norm
     * replaces the recurrence's in the history): it stops on the true residual, and a breakdown
     * is reported only when the true residual gives it at once.
     */
    for (;;) {
        red_start(rd, nd);
        if (s->prm.guess_nonzero || again) {
            rc = op_apply(s, x, n);
            if (lrc == DC_SUCCESS)
                lrc = rc;
            resid_dots(rd, nn, b->data, n->data, r->data);
        } else {
            memset(x->data, 0, nn * sizeof(double));
            memcpy(r->data, b->data, nn * sizeof(double));
            red_dot(rd, 0, r->data, NULL, nn);
        }
        replace = again;
        again = 0;
        if (pcon) {
            rc = pc_apply(s, r, u);
            if (lrc == DC_SUCCESS)
                lrc = rc;
        }
        rc = op_apply(s, u, w);
        if (lrc == DC_SUCCESS)
            lrc = rc;
        red_dot(rd, 1, w->data, u->data, nn);
        if (pcon)
            red_dot(rd, 2, r->data, u->data, nn);
        /* the first update (beta = 0) must not meet old contents: 0 * Inf is NaN */
        memset(z->data, 0, nn * sizeof(double));
        memset(p->data, 0, nn * sizeof(double));
        memset(sv->data, 0, nn * sizeof(double));
        if (pcon)
            memset(q->data, 0, nn * sizeof(double));
        ks = k;
        for (;;) {
            /* the reduction of this iteration's dots overlaps m = B w and n = A m */
            DC_CHECK(red_post(env, rd, lrc, 1));
            if (pcon && !(jac && k > ks)) { /* Jacobi's m after a start is the update's */
                rc = pc_apply(s, w, m);
                if (lrc == DC_SUCCESS)
                    lrc = rc;
                MPI_Test(&rd->req, &flag, MPI_STATUS_IGNORE); /* progress */
            }
            rc = op_apply(s, m, n);
            if (lrc == DC_SUCCESS)
                lrc = rc;
            DC_CHECK(red_finish(env, rd, &gerr));
            if (gerr)
                return dci_agree(env, lrc); /* the failing rank's code and message */
            rr = rd->val[0];
            delta = rd->val[1];
            gamma = pcon ? rd->val[2] : rr;
            rnorm = sqrt(rr);
            if (k == 0)
                s->res.rnorm0 = rnorm;
            s->res.rnorm = rnorm;
            if (replace)
                s->hist_n--;
            replace = 0;
            if (lrc == DC_SUCCESS)
                lrc = hist_push(s, rnorm);
            reason = conv_test(s, rnorm, tol, k);
            if (reason > 0 && k > ks) {
                again = 1; /* check on the true residual */
                break;
            }
            if (reason == DC_SOLVE_ITERATING) {
                if (!is_finite(gamma) || !is_finite(delta)) {
                    reason = DC_SOLVE_DIVERGED_NAN;
                } else if (gamma <= 0.0) {
                    reason = DC_SOLVE_DIVERGED_BREAKDOWN;
                } else {
                    if (k == ks) {
                        beta = 0.0;
                        denom = delta;
                    } else {
                        beta = gamma / gamma_old;
                        denom = delta - beta / alpha * gamma; /* p'Ap */
                    }
                    if (!is_finite(denom))
                        reason = DC_SOLVE_DIVERGED_NAN;
                    else if (denom <= 0.0)
                        reason = DC_SOLVE_DIVERGED_BREAKDOWN;
                    else
                        alpha = gamma / denom;
                }
                if (reason == DC_SOLVE_DIVERGED_BREAKDOWN && k > ks) {
                    again = 1; /* perhaps the recurrences' drift: see from the true residual */
                    break;
                }
            }
            if (monitor_due(s, k)) {
                s->st_scal[0] = alpha;
                s->st_scal[1] = beta;
                s->st_scal[2] = gamma;
                s->st_scal[3] = rnorm;
                DC_CHECK(monitor_call(s, x, k, rnorm, reason, lrc));
            }
        update:
            if (reason != DC_SOLVE_ITERATING)
                break;
            red_start(rd, nd);
            pipe_update(rd, nn, alpha, beta, x->data, r->data, u->data, w->data, m->data, n->data,
                        z->data, q->data, p->data, sv->data, jac ? s->dinv : NULL);
            gamma_old = gamma;
            k++;
        }
        if (!again)
            break;
    }
    s->res.reason = reason;
    s->res.iterations = k;
    /* a failed history growth after the last reduction surfaces here, agreed */
    return dci_agree(env, lrc);
}

/* ---------------------------------------------------------------- solve */

static int check_vec(const dc_solver_t *s, const dc_vec_t *v, int write, const char *name)
{
    dc_env_t *env = s->hdr.env;
    const dc_layout_t *l = s->op->layout;

    if (v->hdr.env != env)
        return DC_ERR(env, DC_ERR_ARG, "%s lives on another env than the solver", name);
    if (v->layout != l && !dci_layout_congruent(v->layout, l))
        return DC_ERR(env, DC_ERR_ARG,
                      "%s is not on the operator's layout (global size %lld, local %zu; the "
                      "operator's: %lld, %zu)",
                      name, (long long)v->layout->n, v->nlocal, (long long)l->n, l->nlocal);
    return dci_vec_check_access(v, write, name, "dc_solver_solve");
}

int dc_solver_solve(dc_solver_t *solver, const dc_vec_t *b, dc_vec_t *x)
{
    dc_solver_t *s = solver;
    dc_env_t *env;
    int rc = DC_SUCCESS, gerr = 0;
    double t0 = dci_wtime(), bnorm, tol;

    DC_VALIDATE(solver, DCI_CLASS_SOLVER);
    DC_VALIDATE(b, DCI_CLASS_VEC);
    DC_VALIDATE(x, DCI_CLASS_VEC);
    env = s->hdr.env;
    /* the monitor runs on every rank: refused on every rank, the running solve untouched */
    DC_REQUIRE(env, !s->running, DC_ERR_STATE,
               "dc_solver_solve called from the solver's own monitor");
    dci_prof_begin(env, DCI_EV_SOLVER_SOLVE);
    s->res.reason = DC_SOLVE_ITERATING;
    s->res.iterations = 0;
    s->res.rnorm = s->res.rnorm0 = s->res.bnorm = 0.0;
    s->res.reduce_wait = 0.0;
    s->res.solve_time = 0.0;
    if (!s->resume)
        s->hist_n = 0;
    s->red.wait = 0.0;
    DC_CHECK_GOTO(check_vec(s, b, 0, "b"), agree);
    DC_CHECK_GOTO(check_vec(s, x, 1, "x"), agree);
    DC_REQUIRE_GOTO(env, (const void *)b != (const void *)x, DC_ERR_ARG, agree,
                    "b and x are the same vector");
agree:
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    /* ||b||: b = 0 has the solution x = 0 */
    red_start(&s->red, 1);
    red_dot(&s->red, 0, b->data, NULL, s->n);
    DC_CHECK_GOTO(red_all(env, &s->red, 0, &gerr), out);
    bnorm = sqrt(s->red.val[0]);
    if (s->resume) {
        /* a loaded state goes on with its own ||b|| (the same bits in reproducible mode; within
         * rounding of other sums otherwise): another b is an error */
        double tolb = s->mode == DC_REPRO_OFF ? 1e-10 * s->st_bnorm : 0.0;
        if (!(fabs(bnorm - s->st_bnorm) <= tolb))
            rc = DC_ERR(env, DC_ERR_ARG,
                        "b is not the right-hand side of the loaded solver state (||b|| = %a, "
                        "stored %a)",
                        bnorm, s->st_bnorm);
        DC_CHECK_GOTO(dci_agree(env, rc), out);
        bnorm = s->st_bnorm;
        s->res.rnorm0 = s->st_rnorm0;
    }
    s->res.bnorm = bnorm;
    if (bnorm == 0.0) {
        memset(x->data, 0, s->n * sizeof(double));
        s->hist[0] = 0.0;
        s->hist_n = 1;
        s->res.reason = DC_SOLVE_CONVERGED_ATOL;
        goto out;
    }
    tol = s->prm.rtol * bnorm;
    if (tol < s->prm.atol)
        tol = s->prm.atol;
    if (s->prm.type == DC_SOLVER_CG)
        rc = cg_solve(s, b, x, tol);
    else
        rc = pipecg_solve(s, b, x, tol);
out:
    if (s->resume && rc != DC_SUCCESS)
        s->hist_n = 0; /* the loaded history goes with the state */
    s->resume = 0;
    s->res.reduce_wait = s->red.wait;
    s->res.solve_time = dci_wtime() - t0;
    dci_prof_end(env, DCI_EV_SOLVER_SOLVE, 0);
    return rc;
}
