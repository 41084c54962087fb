/*
 * quadrature: recursive adaptive Simpson integration as a task tree with work stealing. Each
 * task is an interval: if Simpson's rule on its halves agrees with the whole, it contributes
 * its value; otherwise it spawns its two halves (and contributes nothing). The peaks of the
 * integrand make some subtrees much deeper than others, so idle ranks steal the oldest pending
 * intervals. The values are combined in the depth-first order of the tree, so the result has
 * the same bits whoever ran which interval; rank 0 checks it against a serial recursion in that
 * order and against the exact integral.
 * Run: mpirun -np 2 ./quadrature [schedule] [tolerance]
 */
#include <dcompute.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define NINIT    16 /* initial intervals of [0, 1] */
#define MAXDEPTH 40

typedef struct {
    double a, b, fa, fm, fb, whole, tol;
    int depth;
} interval_t;

/* Two sharp peaks and a square-root singularity at 0. */
static double f(double x)
{
    return 1.0 / (1e-4 + (x - 0.3) * (x - 0.3)) + 0.5 / (1e-5 + (x - 0.77) * (x - 0.77)) + sqrt(x);
}

static double exact(void)
{
    /* integral of 1/(e + (x-c)^2) is atan((x-c)/sqrt(e))/sqrt(e) */
    double e1 = 1e-4, e2 = 1e-5;
    return (atan(0.7 / sqrt(e1)) - atan(-0.3 / sqrt(e1))) / sqrt(e1) +
           0.5 * (atan(0.23 / sqrt(e2)) - atan(-0.77 / sqrt(e2))) / sqrt(e2) + 2.0 / 3.0;
}

static interval_t make(double a, double b, double fa, double fb, double tol, int depth)
{
    interval_t t;
    double m = 0.5 * (a + b);

    t.a = a;
    t.b = b;
    t.fa = fa;
    t.fb = fb;
    t.fm = f(m);
    t.whole = (b - a) / 6.0 * (fa + 4.0 * t.fm + fb);
    t.tol = tol;
    t.depth = depth;
    return t;
}

/* The step of the recursion: 1 and the value if the interval is done, else 0 and its halves. */
static int step(const interval_t *t, double *value, interval_t *left, interval_t *right)
{
    double m = 0.5 * (t->a + t->b);
    *left = make(t->a, m, t->fa, t->fm, 0.5 * t->tol, t->depth + 1);
    *right = make(m, t->b, t->fm, t->fb, 0.5 * t->tol, t->depth + 1);
    {
        double two = left->whole + right->whole, d = two - t->whole;
        if (fabs(d) <= 15.0 * t->tol || t->depth >= MAXDEPTH) {
            *value = two + d / 15.0;
            return 1;
        }
    }
    return 0;
}

static int task(dc_sched_task_t *tc, const void *p, void *value, void *ctx)
{
    interval_t left, right;
    int rc;

    (void)ctx;
    if (step(p, value, &left, &right))
        return 0;
    rc = dc_sched_task_spawn(tc, &left);
    if (rc == DC_SUCCESS)
        rc = dc_sched_task_spawn(tc, &right);
    if (rc == DC_SUCCESS)
        rc = dc_sched_task_set_empty(tc);
    return rc;
}

/* Serial reference: the values in the same depth-first order. */
static void serial(const interval_t *t, double **v, size_t *n, size_t *cap)
{
    interval_t left, right;
    double val;

    if (step(t, &val, &left, &right)) {
        if (*n == *cap) {
            *cap = *cap ? 2 * *cap : 1024;
            *v = realloc(*v, *cap * sizeof(double));
        }
        (*v)[(*n)++] = val;
        return;
    }
    serial(&left, v, n, cap);
    serial(&right, v, n, cap);
}

static double tree(const double *v, size_t lo, size_t size, size_t nb)
{
    if (size == 1)
        return v[lo];
    if (lo + size / 2 >= nb)
        return tree(v, lo, size / 2, nb);
    return tree(v, lo, size / 2, nb) + tree(v, lo + size / 2, size / 2, nb);
}

int main(int argc, char **argv)
{
    dc_env_t *env = NULL;
    dc_sched_t *sched = NULL;
    dc_sched_kind_t kind = DC_SCHED_STEAL;
    interval_t init[NINIT];
    double tol = 1e-9, res = 0.0;
    int rank, size, rc, bad = 0, i;

    if (dc_env_create(MPI_COMM_WORLD, NULL, &env) != DC_SUCCESS) {
        fprintf(stderr, "quadrature: dc_env_create: %s\n", dc_env_last_error(NULL));
        return 1;
    }
    dc_env_get_rank(env, &rank, &size);
    if (argc > 1 && dc_sched_kind_from_name(argv[1], &kind) != DC_SUCCESS) {
        if (rank == 0)
            fprintf(stderr, "quadrature: %s\n", dc_env_last_error(NULL));
        dc_env_destroy(&env);
        return 2;
    }
    if (argc > 2)
        tol = atof(argv[2]);
    for (i = 0; i < NINIT; i++) {
        double a = (double)i / NINIT, b = (double)(i + 1) / NINIT;
        init[i] = make(a, b, f(a), f(b), tol / NINIT, 0);
    }
    rc = dc_sched_create(env, &sched);
    if (rc == DC_SUCCESS)
        rc = dc_sched_set_kind(sched, kind);
    if (rc == DC_SUCCESS)
        rc = dc_sched_setup(sched);
    if (rc == DC_SUCCESS)
        rc = dc_sched_run_tasks(sched, NINIT, init, sizeof(interval_t), task, NULL, &res);
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "quadrature: %s: %s\n", dc_strerror(rc), dc_env_last_error(env));
        bad = 1;
    } else if (rank == 0) {
        double *v = NULL, ref;
        size_t n = 0, cap = 0, p2 = 1;
        for (i = 0; i < NINIT; i++)
            serial(&init[i], &v, &n, &cap);
        while (p2 < n)
            p2 *= 2;
        ref = tree(v, 0, p2, n);
        free(v);
        bad = ref != res || fabs(res - exact()) > 1e3 * tol * fabs(exact());
        printf("quadrature: schedule %s, %d ranks, %zu converged intervals\n",
               dc_sched_kind_name(kind), size, n);
        printf("  integral = %.17g (exact %.17g, error %.2e)\n", res, exact(), fabs(res - exact()));
        printf("  %s\n", ref == res ? "identical to the serial recursion, bit for bit"
                                    : "WRONG: differs from the serial recursion");
    }
    if (rc == DC_SUCCESS)
        dc_sched_view(sched, stdout);
    MPI_Bcast(&bad, 1, MPI_INT, 0, MPI_COMM_WORLD);
    dc_sched_destroy(&sched);
    dc_env_destroy(&env);
    return bad ? 1 : 0;
}
