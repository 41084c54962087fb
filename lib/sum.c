/*
 * Global sums of distributed arrays: the one front door of every distributed sum, dot and norm
 * (dci_sum_collective: mode, checks, error buffer, debug agreement, profiling), used by dc_sum,
 * dc_asum, dc_dot, dc_nrm2 and by the vector module. Plain mode: OpenBLAS (or Blue's scaled sums
 * for the norm) locally and one MPI_SUM of a few doubles; reproducible modes: the exact accumulator
 * of repro.c merged by one MPI_SUM over its integer digits. A bad argument on any rank travels as
 * an extra word in the same reduction, so every rank fails without a hang and without an extra
 * agreement.
 */
#include "dc_impl.h"
#include "repro.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

/* ---------------------------------------------------------------- global sums */

/*
 * Blue's algorithm for the plain 2-norm (as in LAPACK 3.10's dnrm2): terms are summed in three
 * accumulators, scaled by fixed powers of two, so that neither huge nor tiny entries overflow
 * or underflow. The scales are fixed, so per-rank accumulators add with one MPI_SUM.
 */
#define BLUE_TSML 0x1p-511 /* below: scaled up by SSML */
#define BLUE_TBIG 0x1p486  /* above: scaled down by SBIG */
#define BLUE_SSML 0x1p537
#define BLUE_SBIG 0x1p-538

static void blue_sums(const double *x, size_t n, double s[3])
{
    double big = 0.0, med = 0.0, sml = 0.0;
    size_t i;

    for (i = 0; i < n; i++) {
        double a = fabs(x[i]);
        if (a > BLUE_TBIG) {
            a *= BLUE_SBIG;
            big += a * a;
        } else if (a < BLUE_TSML) {
            a *= BLUE_SSML;
            sml += a * a;
        } else {
            med += a * a; /* also NaN, which then propagates */
        }
    }
    s[0] = big;
    s[1] = med;
    s[2] = sml;
}

static double blue_combine(double big, double med, double sml)
{
    if (big > 0.0) {
        /* the small terms cannot matter next to a big one */
        if (med > 0.0 || isnan(med))
            big += (med * BLUE_SBIG) * BLUE_SBIG;
        return sqrt(big) / BLUE_SBIG;
    }
    if (sml > 0.0) {
        if (med > 0.0 || isnan(med)) {
            double ymed = sqrt(med), ysml = sqrt(sml) / BLUE_SSML;
            double ymin = ysml > ymed ? ymed : ysml, ymax = ysml > ymed ? ysml : ymed;
            double r = ymin / ymax;
            return ymax * sqrt(1.0 + r * r);
        }
        return sqrt(sml) / BLUE_SSML;
    }
    return sqrt(med);
}

/* OpenBLAS takes int lengths: longer arrays go in pieces. */
static double plain_local(int kind, const double *x, const double *y, size_t n)
{
    double s = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    size_t i = 0;

    if (kind == DCI_RACC_SUM) {
        /* four chains: no BLAS routine sums, and one chain would be latency-bound */
        for (; i + 4 <= n; i += 4) {
            s += x[i];
            s1 += x[i + 1];
            s2 += x[i + 2];
            s3 += x[i + 3];
        }
        for (; i < n; i++)
            s += x[i];
        return (s + s1) + (s2 + s3);
    }
    while (n > 0) {
        int m = n > INT_MAX ? INT_MAX : (int)n;
        s += kind == DCI_RACC_DOT ? cblas_ddot(m, x, 1, y, 1) : cblas_dasum(m, x, 1);
        x += m;
        if (y != NULL)
            y += m;
        n -= (size_t)m;
    }
    return s;
}

static int peer_failed(dc_env_t *env)
{
    return DC_ERR(env, DC_ERR_ARG,
                  "another rank passed invalid arguments to this collective "
                  "sum/dot/norm (see that rank's message)");
}

/* DC_REPRO_OFF: the local BLAS result and the error flag in one allreduce of doubles. */
static int global_sum_plain(dc_env_t *env, int kind, const double *x, const double *y, size_t n,
                            int err, double *result_p)
{
    double in[4], out[4];
    int rc, nw;

    if (kind == DCI_RACC_SUMSQ) {
        blue_sums(x, err ? 0 : n, in);
        in[3] = err;
        nw = 4;
    } else {
        in[0] = err ? 0.0 : plain_local(kind, x, y, n);
        in[1] = err;
        nw = 2;
    }
    rc = dci_allreduce(env, in, out, nw, MPI_DOUBLE, MPI_SUM);
    if (rc != DC_SUCCESS)
        return rc;
    if (out[nw - 1] != 0.0)
        return err ? DC_ERR_ARG : peer_failed(env);
    *result_p = kind == DCI_RACC_SUMSQ ? blue_combine(out[0], out[1], out[2]) : out[0];
    return DC_SUCCESS;
}

/*
 * DC_REPRO_BINNED/EXACT: exact per-rank accumulation, then one MPI_SUM over the normalised
 * integer digits (exact, so associative and commutative: the same bits for any rank count,
 * partition or reduction tree), then the correctly rounded conversion. Digits below 2^40 per
 * rank add without overflow up to 2^22 ranks.
 */
static int global_sum_repro(dc_env_t *env, int kind, int exact, const double *x, const double *y,
                            size_t n, int err, double *result_p)
{
    dci_racc_t acc;
    int64_t w[DCI_RACC_NWORDS + 1];
    int rc;

    dci_racc_init(&acc);
    if (!err && n > 0)
        dci_racc_add(&acc, (dci_racc_kind_t)kind, exact, x, y, n);
    dci_racc_normalize(&acc);
    memcpy(w, acc.d, sizeof(int64_t) * DCI_RACC_NWORDS);
    w[DCI_RACC_NWORDS] = err;
    rc = dci_allreduce(env, MPI_IN_PLACE, w, DCI_RACC_NWORDS + 1, MPI_INT64_T, MPI_SUM);
    if (rc != DC_SUCCESS)
        return rc;
    if (w[DCI_RACC_NWORDS] != 0)
        return err ? DC_ERR_ARG : peer_failed(env);
    memcpy(acc.d, w, sizeof(int64_t) * DCI_RACC_NWORDS);
    acc.pending = 0;
    dci_racc_normalize(&acc);
    *result_p = kind == DCI_RACC_SUMSQ ? dci_racc_sqrt(&acc) : dci_racc_to_double(&acc);
    return DC_SUCCESS;
}

int dci_repro_mode_valid(int mode, int allow_default)
{
    return (allow_default && mode == DC_REPRO_DEFAULT) ||
           (mode >= DC_REPRO_OFF && mode <= DC_REPRO_EXACT);
}

/*
 * For kind DCI_RACC_SUMSQ the result is the 2-norm (the square root of the sum of squares,
 * which itself may overflow). A rank with local_err, or with arguments that would crash here,
 * contributes nothing but the flag, and every rank returns DC_ERR_ARG: no rank hangs. mode is
 * resolved (DC_REPRO_DEFAULT: the env's) and checked by the caller, dci_sum_collective.
 */
static int global_sum(dc_env_t *env, int kind, const double *x, const double *y, size_t n,
                      dc_repro_t mode, int local_err, double *result_p)
{
    int err = local_err != 0;

    if (kind < DCI_RACC_SUM || kind > DCI_RACC_SUMSQ) {
        if (!err)
            DC_ERR(env, DC_ERR_INTERNAL, "kind %d is not a dci_racc_kind_t", kind);
        err = 1;
        kind = DCI_RACC_SUM;
    }
    if (!err && n > 0 && (x == NULL || (kind == DCI_RACC_DOT && y == NULL))) {
        DC_ERR(env, DC_ERR_ARG, "NULL array with n = %zu", n);
        err = 1;
    }
    if (mode == DC_REPRO_OFF)
        return global_sum_plain(env, kind, x, y, n, err, result_p);
    return global_sum_repro(env, kind, mode == DC_REPRO_EXACT, x, y, n, err, result_p);
}

int dci_sum_collective(dc_env_t *env, const char *fn, dci_event_t ev, int kind, const double *x,
                       const double *y, size_t n, int64_t gsize, dc_repro_t mode, int local_rc,
                       double *result_p)
{
    int rc = local_rc, grc;
    double res = 0.0;
    char saved[DCI_ERRBUF];

    dci_prof_begin(env, ev);     /* first: the profiler's wait at entry belongs to ev */
    grc = dci_wd_enter(env, fn); /* hang watchdog: one branch when off */
    if (DCI_UNLIKELY(grc != DC_SUCCESS)) {
        dci_prof_end(env, ev, 0);
        return grc;
    }
    if (rc == DC_SUCCESS && result_p == NULL)
        rc = dci_error_set(env, DC_ERR_ARG, fn, __FILE__, __LINE__, "result_p is NULL");
    if (rc == DC_SUCCESS && !dci_repro_mode_valid(mode, 1))
        rc = dci_error_set(env, DC_ERR_ARG, fn, __FILE__, __LINE__,
                           "mode %d is not DC_REPRO_DEFAULT, _OFF, _BINNED or _EXACT", (int)mode);
    if (!dci_repro_mode_valid(mode, 0))
        mode = (dc_repro_t)env->opts.repro; /* the default, or a bad mode that still reduces
                                               in the others' shape */
    if (env->opts.debug) {
        /* the operation, mode and global size must match, or ranks would reduce different
         * things */
        int64_t v[3];
        int crc;
        v[0] = kind;
        v[1] = mode;
        v[2] = gsize;
        crc = dci_check_same_at(env, DC_ERR_ARG, v, 3,
                                "the operation (sum, asum, dot or nrm2), the reproducibility "
                                "mode or the global size",
                                fn);
        if (crc != DC_SUCCESS) {
            rc = crc;
            goto out;
        }
    }
    if (rc != DC_SUCCESS)
        memcpy(saved, env->errbuf, sizeof(saved));
    grc = global_sum(env, kind, x, y, rc == DC_SUCCESS ? n : 0, mode, rc != DC_SUCCESS, &res);
    if (rc != DC_SUCCESS)
        memcpy(env->errbuf, saved, sizeof(saved)); /* keep this rank's own cause, not the echo */
    else
        rc = grc;
    if (rc == DC_SUCCESS) {
        *result_p = res;
        /* the local part's flops (dc_events.h): 2n for a dot or a norm, n - 1 for a sum */
        dci_prof_flops(env, kind == DCI_RACC_DOT || kind == DCI_RACC_SUMSQ ? 2.0 * (double)n
                            : n > 0                                        ? (double)(n - 1)
                                                                           : 0.0);
    }
out:
    dci_prof_end(env, ev, rc == DC_SUCCESS ? (y != NULL ? 2 : 1) * n * sizeof(double) : 0);
    return rc;
}

/* Body of dc_sum & co: local checks travel with the reduction, never an early return. */
static int sum_public(dc_env_t *env, const char *fn, dci_event_t ev, int kind, const double *x,
                      const double *y, size_t n, dc_repro_t mode, double *result_p)
{
    int rc = DC_SUCCESS;

    if (n > 0 && x == NULL)
        rc = dci_error_set(env, DC_ERR_ARG, fn, __FILE__, __LINE__, "x is NULL with n = %zu", n);
    else if (n > 0 && kind == DCI_RACC_DOT && y == NULL)
        rc = dci_error_set(env, DC_ERR_ARG, fn, __FILE__, __LINE__, "y is NULL with n = %zu", n);
    /* the local lengths may differ: no global size to compare */
    return dci_sum_collective(env, fn, ev, kind, x, y, n, 0, mode, rc, result_p);
}

int dc_sum(dc_env_t *env, const double *x, size_t n, dc_repro_t mode, double *result_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return sum_public(env, __func__, DCI_EV_SUM, DCI_RACC_SUM, x, NULL, n, mode, result_p);
}

int dc_asum(dc_env_t *env, const double *x, size_t n, dc_repro_t mode, double *result_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return sum_public(env, __func__, DCI_EV_ASUM, DCI_RACC_ASUM, x, NULL, n, mode, result_p);
}

int dc_dot(dc_env_t *env, const double *x, const double *y, size_t n, dc_repro_t mode,
           double *result_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return sum_public(env, __func__, DCI_EV_DOT, DCI_RACC_DOT, x, y, n, mode, result_p);
}

int dc_nrm2(dc_env_t *env, const double *x, size_t n, dc_repro_t mode, double *result_p)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    return sum_public(env, __func__, DCI_EV_NRM2, DCI_RACC_SUMSQ, x, NULL, n, mode, result_p);
}
