/*
 * Tests of a solver's state in a checkpoint (dc_ckpt_write_solver / dc_ckpt_read_solver) on a
 * 2-D Poisson problem (5-point stencil operator on a dc_mesh, random right-hand side): a solve
 * on all ranks stopped by its monitor after writing a checkpoint, continued on fewer ranks
 * (P -> P - 1 -> 1, each stop writing the next checkpoint), ends with the iteration count,
 * residual history and solution bits of an uninterrupted solve on one rank computed here
 * (reproducible mode; plain mode: same count, solution close). Bad input: the same code on
 * every rank. Without the checkpoint module (DC_HAVE_CKPT 0) the suite only checks that the
 * functions say DC_ERR_NOTSUP.
 */
#include "dc_test.h"
#include "dc_testhook.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NX   31
#define NY   27
#define NN   ((int64_t)NX * NY)
#define STOP DC_ERR_NOTSUP /* what the monitor returns to stop a solve after its checkpoint */

/* One env's problem: mesh, operator, b, x and a solver. */
typedef struct prob {
    dc_env_t *env;
    dc_mesh_t *mesh;
    dc_op_t *op;
    dc_vec_t *b, *x;
    dc_solver_t *s;
} prob_t;

/* Build it on comm (every rank of comm); the solver's reproducibility is the env's. */
static int prob_create(MPI_Comm comm, dc_repro_t mode, int type, int pc, int nx, int ny,
                       const double *bnat, prob_t *p)
{
    dc_gidx_t n[2] = {nx, ny};
    double h[2] = {1.0, 1.0};
    dc_stencil_t st;
    dc_solver_params_t sp;
    int rc;

    memset(p, 0, sizeof(*p));
    memset(&sp, 0, sizeof(sp));
    sp.field_mask = DC_SOLVER_PARAM_TYPE | DC_SOLVER_PARAM_PC | DC_SOLVER_PARAM_RTOL |
                    DC_SOLVER_PARAM_ATOL | DC_SOLVER_PARAM_MG;
    sp.type = (dc_solver_type_t)type;
    sp.pc = (dc_pc_type_t)pc;
    sp.rtol = 1e-10;
    sp.atol = 0.0;
    sp.mg_coarse_size = 20; /* three levels */
    rc = dc_env_create(comm, NULL, &p->env);
    if (rc == DC_SUCCESS)
        rc = dc_env_set_repro(p->env, mode);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create(p->env, 2, n, 1, 1, NULL, &p->mesh);
    if (rc == DC_SUCCESS)
        rc = dc_stencil_laplacian(2, 5, h, 0.0, &st);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_op_create_stencil(p->mesh, &st, &p->op);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(p->mesh, &p->b);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_create_global(p->mesh, &p->x);
    if (rc == DC_SUCCESS)
        rc = dc_mesh_scatter_natural(p->mesh, 0, bnat, p->b);
    if (rc == DC_SUCCESS)
        rc = dc_solver_create(p->op, &sp, &p->s);
    /* x starts as garbage: a continued solve must overwrite it with the stored iterate */
    if (rc == DC_SUCCESS)
        rc = dc_vec_set_all(p->x, 1e30);
    return rc;
}

static void prob_destroy(prob_t *p)
{
    dc_solver_destroy(&p->s);
    dc_vec_destroy(&p->x);
    dc_vec_destroy(&p->b);
    dc_op_destroy(&p->op);
    dc_mesh_destroy(&p->mesh);
    dc_env_destroy(&p->env);
}

static double *rand_nat(int64_t n, uint64_t seed)
{
    double *v = malloc((size_t)n * sizeof(double));
    int64_t i;

    for (i = 0; i < n; i++)
        v[i] = dct_rand(seed, (uint64_t)i);
    return v;
}

#if DC_HAVE_CKPT

static const char *const type_name[] = {"CG", "PIPECG"};
static const char *const pc_name[] = {"none", "Jacobi", "MG"};

/* A fresh directory for checkpoints (rank 0 makes it, every rank gets its name). */
static void dir_make(char *dir, size_t size)
{
    snprintf(dir, size, "tckpt_solver.XXXXXX");
    if (dct_rank == 0 && mkdtemp(dir) == NULL)
        CU_FAIL("mkdtemp");
    MPI_Bcast(dir, (int)size, MPI_CHAR, 0, dct_comm);
}

static void dir_remove(const char *dir)
{
    DIR *d;
    struct dirent *e;
    char path[512];

    MPI_Barrier(dct_comm);
    if (dct_rank != 0 || (d = opendir(dir)) == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

/* The monitor: notes the iterations it sees; at stop_it writes checkpoint step stop_it with the
 * solver's state under "solver" and stops the solve. */
typedef struct cmon {
    dc_ckpt_t *ckpt;
    int stop_it, first_it, wrc;
} cmon_t;

static int cmon_fn(dc_solver_t *s, int it, double rnorm, void *ctx)
{
    cmon_t *c = ctx;
    int rc;

    (void)rnorm;
    if (c->first_it < 0)
        c->first_it = it;
    if (it != c->stop_it)
        return DC_SUCCESS;
    rc = dc_ckpt_write_begin(c->ckpt, it);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_solver(c->ckpt, "solver", s);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_write_end(c->ckpt);
    c->wrc = rc;
    return rc == DC_SUCCESS ? STOP : rc;
}

/* The uninterrupted reference on one rank (rank 0, MPI_COMM_SELF), sent to every rank: its
 * iteration count, reason, history (its + 1 values) and x in natural order. */
typedef struct ref {
    int its, reason, ok;
    double hist[4096];
    double x[NN];
} ref_t;

static void reference(dc_repro_t mode, int type, int pc, const double *bnat, ref_t *r)
{
    memset(r, 0, sizeof(*r));
    if (dct_rank == 0) {
        prob_t p;
        dc_solve_result_t res;
        const double *h = NULL;
        int hn = 0, rc = prob_create(MPI_COMM_SELF, mode, type, pc, NX, NY, bnat, &p);
        if (rc == DC_SUCCESS)
            rc = dc_solver_solve(p.s, p.b, p.x);
        if (rc == DC_SUCCESS)
            rc = dc_solver_get_result(p.s, &res);
        if (rc == DC_SUCCESS)
            rc = dc_solver_get_history(p.s, &h, &hn);
        if (rc == DC_SUCCESS)
            rc = dc_mesh_gather_natural(p.mesh, p.x, 0, r->x);
        r->ok = rc == DC_SUCCESS && res.reason > 0 && hn == res.iterations + 1 && hn <= 4096;
        if (r->ok) {
            r->its = res.iterations;
            r->reason = res.reason;
            memcpy(r->hist, h, (size_t)hn * sizeof(double));
        }
        prob_destroy(&p);
    }
    MPI_Bcast(r, (int)sizeof(*r), MPI_BYTE, 0, dct_comm);
}

/* One leg on the first np ranks: read the newest checkpoint in dir (if rd), solve with the
 * monitor every 'every' (stopping at stop_it, -1: never); on rank 0 of the leg, x and the
 * result. Ranks outside the leg do nothing. Returns 1 if all went as expected on this rank. */
static int leg(int np, dc_repro_t mode, int type, int pc, const double *bnat, const char *dir,
               int rd, int every, int stop_it, int expect_first, double *xnat,
               dc_solve_result_t *res, const double **hist_p, double *hist_copy)
{
    MPI_Comm comm = MPI_COMM_NULL;
    prob_t p;
    cmon_t c;
    int ok = 1, rc, hn = 0;

    MPI_Comm_split(dct_comm, dct_rank < np ? 0 : MPI_UNDEFINED, dct_rank, &comm);
    if (comm == MPI_COMM_NULL)
        return 1;
    memset(&c, 0, sizeof(c));
    c.stop_it = stop_it;
    c.first_it = -1;
    rc = prob_create(comm, mode, type, pc, NX, NY, bnat, &p);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_create(p.env, dir, NULL, &c.ckpt);
    if (rc == DC_SUCCESS && rd) {
        int64_t step = -1;
        rc = dc_ckpt_read_begin(c.ckpt, DC_CKPT_LATEST, &step);
        if (rc == DC_SUCCESS)
            rc = dc_ckpt_read_solver(c.ckpt, "solver", p.s);
        if (rc == DC_SUCCESS)
            rc = dc_ckpt_read_end(c.ckpt);
        ok &= step == expect_first - every;
    }
    if (rc == DC_SUCCESS)
        rc = dc_solver_set_monitor(p.s, every, cmon_fn, &c);
    if (rc == DC_SUCCESS) {
        rc = dc_solver_solve(p.s, p.b, p.x);
        if (stop_it >= 0) { /* stopped by the monitor, after its checkpoint */
            ok &= rc == STOP && c.wrc == DC_SUCCESS;
            rc = rc == STOP ? DC_SUCCESS : rc;
        }
    }
    /* a continued solve goes on after the stored iteration: its monitor starts there */
    ok &= c.first_it == expect_first;
    if (rc == DC_SUCCESS)
        rc = dc_solver_get_result(p.s, res);
    if (rc == DC_SUCCESS && hist_p != NULL) {
        rc = dc_solver_get_history(p.s, hist_p, &hn);
        if (rc == DC_SUCCESS && hn <= 4096)
            memcpy(hist_copy, *hist_p, (size_t)hn * sizeof(double));
        ok &= hn == res->iterations + 1;
    }
    if (rc == DC_SUCCESS && xnat != NULL)
        rc = dc_mesh_gather_natural(p.mesh, p.x, 0, xnat);
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "[rank %d] leg np %d: %s: %s\n", dct_rank, np, dc_strerror(rc),
                dc_env_last_error(p.env));
        ok = 0;
    }
    dc_ckpt_destroy(&c.ckpt);
    prob_destroy(&p);
    MPI_Comm_free(&comm);
    return ok;
}

/*
 * Interrupted and continued on fewer ranks: P ranks solve until iteration 2E (E about a sixth
 * of the reference count), where the monitor writes a checkpoint and stops the solve; P - 1
 * ranks (1 when P = 1) read it and go on to 4E, where the next checkpoint is written; one rank
 * reads that one and finishes. Each continued solve's monitor starts at the next multiple of
 * E after the stored iteration (so it did not start over). In reproducible mode the end is the
 * reference's iteration count, reason, every history value and every bit of x; in plain mode
 * the count is the reference's and x within 1e-8 of it.
 */
static void resume_case(dc_repro_t mode, int type, int pc, const double *bnat)
{
    ref_t *r = malloc(sizeof(*r));
    double *x = malloc((size_t)NN * sizeof(double)), *hist = malloc(4096 * sizeof(double));
    const double *h = NULL;
    dc_solve_result_t res;
    char dir[64];
    int ok, e, np2 = dct_size > 1 ? dct_size - 1 : 1;
    int64_t i;

    memset(&res, 0, sizeof(res));
    reference(mode, type, pc, bnat, r);
    DCT_ASSERT_ALL(r->ok && r->its >= 6);
    e = r->its / 6 > 0 ? r->its / 6 : 1;
    dir_make(dir, sizeof(dir));
    ok = leg(dct_size, mode, type, pc, bnat, dir, 0, e, 2 * e, 0, NULL, &res, NULL, NULL);
    ok &= leg(np2, mode, type, pc, bnat, dir, 1, e, 4 * e, 3 * e, NULL, &res, NULL, NULL);
    ok &= leg(1, mode, type, pc, bnat, dir, 1, e, -1, 5 * e, x, &res, &h, hist);
    if (dct_rank == 0) {
        int same = res.iterations == r->its && res.reason == r->reason;
        double d = 0.0, s = 0.0;
        for (i = 0; same && mode != DC_REPRO_OFF && i <= r->its; i++)
            same = dct_same_bits(hist[i], r->hist[i]);
        for (i = 0; i < NN; i++) {
            if (mode != DC_REPRO_OFF)
                same &= dct_same_bits(x[i], r->x[i]);
            d = fmax(d, fabs(x[i] - r->x[i]));
            s = fmax(s, fabs(r->x[i]));
        }
        same &= d <= 1e-8 * s;
        if (!same)
            fprintf(stderr, "resume %s pc %s mode %d: its %d (reference %d), max |x - ref| %g\n",
                    type_name[type], pc_name[pc], (int)mode, res.iterations, r->its, d);
        ok &= same;
    }
    if (!ok)
        fprintf(stderr, "[rank %d] resume %s pc %s mode %d failed\n", dct_rank, type_name[type],
                pc_name[pc], (int)mode);
    DCT_ASSERT_ALL(ok);
    dir_remove(dir);
    free(r);
    free(x);
    free(hist);
}

static void test_resume_binned(void)
{
    double *bnat = rand_nat(NN, 4242);
    int type, pc;

    for (type = 0; type < 2; type++)
        for (pc = 0; pc < 3; pc++)
            resume_case(DC_REPRO_BINNED, type, pc, bnat);
    free(bnat);
}

static void test_resume_exact_and_plain(void)
{
    double *bnat = rand_nat(NN, 4343);
    int type;

    for (type = 0; type < 2; type++) {
        resume_case(DC_REPRO_EXACT, type, type == 0 ? DC_PC_MG : DC_PC_JACOBI, bnat);
        resume_case(DC_REPRO_OFF, type, type == 0 ? DC_PC_JACOBI : DC_PC_MG, bnat);
    }
    free(bnat);
}

/*
 * Bad input, the same code on every rank: a solver state written with no solve running
 * (DC_ERR_STATE); read into a solver of another type, preconditioner, size or reproducibility
 * mode (DC_ERR_ARG, and the solver then solves from the start as usual); a name that is not in
 * the checkpoint, NULL name or solver (DC_ERR_ARG); a continued solve with another b
 * (DC_ERR_ARG).
 */
static void test_bad_input(void)
{
    double *bnat = rand_nat(NN, 99), *b2 = rand_nat(NN, 98);
    prob_t p, q;
    cmon_t c;
    char dir[64];
    int k, rc;
    dc_solve_result_t res;

    dir_make(dir, sizeof(dir));
    memset(&c, 0, sizeof(c));
    c.stop_it = 4;
    c.first_it = -1;
    rc = prob_create(dct_comm, DC_REPRO_BINNED, DC_SOLVER_CG, DC_PC_NONE, NX, NY, bnat, &p);
    if (rc == DC_SUCCESS)
        rc = dc_ckpt_create(p.env, dir, NULL, &c.ckpt);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    /* no solve running */
    DCT_ASSERT_ALL(dc_ckpt_write_begin(c.ckpt, 1) == DC_SUCCESS);
    DCT_ASSERT_ALL(dc_ckpt_write_solver(c.ckpt, "solver", p.s) == DC_ERR_STATE);
    DCT_ASSERT_ALL(strstr(dc_env_last_error(p.env), "no solve is running") != NULL);
    DCT_ASSERT_ALL(dc_ckpt_write_solver(c.ckpt, NULL, p.s) == DC_ERR_ARG);
    DCT_ASSERT_ALL(dc_ckpt_write_solver(c.ckpt, "solver", NULL) == DC_ERR_ARG);
    DCT_ASSERT_ALL(dc_ckpt_write_end(c.ckpt) == DC_SUCCESS);
    /* a checkpoint of CG, no preconditioner, at iteration 4 */
    DCT_ASSERT_ALL(dc_solver_set_monitor(p.s, 2, cmon_fn, &c) == DC_SUCCESS);
    DCT_ASSERT_ALL(dc_solver_solve(p.s, p.b, p.x) == STOP && c.wrc == DC_SUCCESS);
    DCT_ASSERT_ALL(dc_ckpt_read_begin(c.ckpt, DC_CKPT_LATEST, NULL) == DC_SUCCESS);
    for (k = 0; k < 4; k++) {
        int type = k == 0 ? DC_SOLVER_PIPECG : DC_SOLVER_CG, pc = k == 1 ? DC_PC_JACOBI : 0;
        int nx = k == 2 ? NX - 2 : NX;
        dc_repro_t mode = k == 3 ? DC_REPRO_OFF : DC_REPRO_BINNED;
        double *bq = k == 2 ? b2 : bnat; /* long enough for the smaller grid */
        int ok;
        rc = prob_create(dct_comm, mode, type, pc, nx, NY, bq, &q);
        DCT_ASSERT_ALL(rc == DC_SUCCESS);
        rc = dc_ckpt_read_solver(c.ckpt, "solver", q.s);
        if (rc != DC_ERR_ARG)
            fprintf(stderr, "[rank %d] mismatch case %d: %d\n", dct_rank, k, rc);
        DCT_ASSERT_ALL(rc == DC_ERR_ARG);
        DCT_ASSERT_ALL(strstr(dc_env_last_error(q.env), "this solver is") != NULL);
        /* nothing was installed: the solve starts at iteration 0 and converges */
        memset(&res, 0, sizeof(res));
        ok = dc_solver_solve(q.s, q.b, q.x) == DC_SUCCESS &&
             dc_solver_get_result(q.s, &res) == DC_SUCCESS && res.reason > 0 &&
             res.rnorm0 == res.bnorm;
        DCT_ASSERT_ALL(ok);
        prob_destroy(&q);
    }
    DCT_ASSERT_ALL(dc_ckpt_read_solver(c.ckpt, "nothing", p.s) == DC_ERR_ARG);
    DCT_ASSERT_ALL(dc_ckpt_read_solver(c.ckpt, NULL, p.s) == DC_ERR_ARG);
    DCT_ASSERT_ALL(dc_ckpt_read_solver(c.ckpt, "solver", NULL) == DC_ERR_ARG);
    /* another b: refused; the state is gone after that solve */
    DCT_ASSERT_ALL(dc_ckpt_read_solver(c.ckpt, "solver", p.s) == DC_SUCCESS);
    DCT_ASSERT_ALL(dc_mesh_scatter_natural(p.mesh, 0, b2, p.b) == DC_SUCCESS);
    DCT_ASSERT_ALL(dc_solver_set_monitor(p.s, 0, NULL, NULL) == DC_SUCCESS);
    rc = dc_solver_solve(p.s, p.b, p.x);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG);
    DCT_ASSERT_ALL(strstr(dc_env_last_error(p.env), "right-hand side") != NULL);
    DCT_ASSERT_ALL(dc_solver_solve(p.s, p.b, p.x) == DC_SUCCESS);
    DCT_ASSERT_ALL(dc_ckpt_read_end(c.ckpt) == DC_SUCCESS);
    dc_ckpt_destroy(&c.ckpt);
    prob_destroy(&p);
    dir_remove(dir);
    free(bnat);
    free(b2);
}

/* dc_ckpt_read_solver for dct_fail_alloc_step */
typedef struct {
    dc_ckpt_t *ckpt;
    dc_solver_t *s;
} read_solver_args_t;

static int read_solver_fn(void *ctx)
{
    read_solver_args_t *a = ctx;
    return dc_ckpt_read_solver(a->ckpt, "solver", a->s);
}

/*
 * Allocation n of dc_ckpt_read_solver failing on rank r, for every n and r until none is left
 * (the history past its first 64 values, the stored iterate's vector, the checkpoint's
 * buffers): DC_ERR_NOMEM on every rank, nothing leaks, nothing is installed (the next solve
 * starts from iteration 0 and converges); without a failure the continued solve ends with the
 * reference's iteration count and bits.
 */
static void test_alloc_failures(void)
{
    double *bnat = rand_nat(NN, 555), *x = malloc((size_t)NN * sizeof(double));
    ref_t *r = malloc(sizeof(*r));
    dc_solve_result_t res0;
    char dir[64];
    long n;
    int any = 1, rk, ok;
    prob_t p;
    cmon_t c;

    memset(&res0, 0, sizeof(res0));
    reference(DC_REPRO_BINNED, DC_SOLVER_CG, DC_PC_NONE, bnat, r);
    DCT_ASSERT_ALL(r->ok && r->its > 80);
    dir_make(dir, sizeof(dir));
    ok = leg(dct_size, DC_REPRO_BINNED, DC_SOLVER_CG, DC_PC_NONE, bnat, dir, 0, 70, 70, 0, NULL,
             &res0, NULL, NULL);
    DCT_ASSERT_ALL(ok);
    for (n = 1; any && ok && n < 500; n++) {
        any = 0;
        for (rk = 0; rk < dct_size && ok; rk++) {
            long live0 = dci_test_alloc_live(), live1;
            int rc, fired;
            read_solver_args_t args;
            dc_solve_result_t res;

            memset(&c, 0, sizeof(c));
            memset(&res, 0, sizeof(res));
            rc = prob_create(dct_comm, DC_REPRO_BINNED, DC_SOLVER_CG, DC_PC_NONE, NX, NY, bnat, &p);
            if (rc == DC_SUCCESS)
                rc = dc_env_set_debug(p.env, 0);
            if (rc == DC_SUCCESS)
                rc = dc_ckpt_create(p.env, dir, NULL, &c.ckpt);
            if (rc == DC_SUCCESS)
                rc = dc_ckpt_read_begin(c.ckpt, DC_CKPT_LATEST, NULL);
            ok = dct_all(rc == DC_SUCCESS);
            args.ckpt = c.ckpt;
            args.s = p.s;
            ok &= dct_fail_alloc_step(n, rk, read_solver_fn, &args, &rc, &fired);
            any |= fired;
            /* continued (no failure) or from the start (failure): the reference either way */
            if (dc_solver_solve(p.s, p.b, p.x) != DC_SUCCESS ||
                dc_solver_get_result(p.s, &res) != DC_SUCCESS ||
                dc_mesh_gather_natural(p.mesh, p.x, 0, x) != DC_SUCCESS)
                ok = 0;
            ok &= res.iterations == r->its;
            if (dct_rank == 0)
                ok &= memcmp(x, r->x, sizeof(r->x)) == 0;
            dc_ckpt_read_end(c.ckpt);
            dc_ckpt_destroy(&c.ckpt);
            prob_destroy(&p);
            live1 = dci_test_alloc_live();
            ok &= live1 == live0;
            ok = dct_all(ok);
            if (!ok && dct_rank == 0)
                fprintf(stderr, "allocation %ld failing on rank %d: rc %d, live %ld/%ld\n", n, rk,
                        rc, live0, live1);
        }
    }
    DCT_ASSERT_ALL(ok && n > 2);
    dir_remove(dir);
    free(bnat);
    free(x);
    free(r);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("ckpt_solver", NULL, NULL);

    CU_add_test(s,
                "binned: CG/PIPECG x none/Jacobi/MG interrupted, continued on P-1 then 1 "
                "rank: same bits as uninterrupted",
                test_resume_binned);
    CU_add_test(s, "exact: same bits; plain: same iteration count, solution close",
                test_resume_exact_and_plain);
    CU_add_test(s, "bad input: no solve running, mismatching solver, other b", test_bad_input);
    CU_add_test(s, "allocation failures in dc_ckpt_read_solver: DC_ERR_NOMEM everywhere, no leak",
                test_alloc_failures);
}

#else /* no checkpoint module */

static void test_notsup(void)
{
    double *bnat = rand_nat(NN, 1);
    prob_t p;

    DCT_ASSERT_ALL(prob_create(dct_comm, DC_REPRO_OFF, 0, 0, NX, NY, bnat, &p) == DC_SUCCESS);
    DCT_ASSERT_ALL(dc_ckpt_write_solver(NULL, "solver", p.s) == DC_ERR_NOTSUP);
    DCT_ASSERT_ALL(dc_ckpt_read_solver(NULL, "solver", p.s) == DC_ERR_NOTSUP);
    prob_destroy(&p);
    free(bnat);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("ckpt_solver", NULL, NULL);

    CU_add_test(s, "built without the checkpoint module: DC_ERR_NOTSUP", test_notsup);
}

#endif
