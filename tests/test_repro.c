/*
 * Tests of the global sums (dc_sum, dc_asum, dc_dot, dc_nrm2 and the vector reductions on
 * layouts): the reproducible modes give the same bits for every partition of a fixed global
 * data set (every simulated rank count 1..6 and split, mapped onto the real ranks), equal to an
 * exact reference computed here with a test-local integer superaccumulator; the plain mode
 * does differ across those partitions. Also NaN/Inf, huge and tiny entries for nrm2, empty
 * ranks, and bad arguments on one rank (the error travels with the reduction: no hang).
 */
#include "dc_test.h"
#include "dc_config.h"
#include "repro.h"
#include "repro_kernel.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__extension__ typedef unsigned __int128 u128;

/* ---------------------------------------------------------------- exact reference */

/*
 * Test-local exact accumulator, independent of the library's: signed 32-bit digits in int64,
 * digit k weighs 2^(32k - XA_OFF), which covers products of any two doubles (2^-2148 ..
 * 2^2048) with room for carries. NaN and infinities are counted apart, as IEEE would combine them.
 */
#define XA_DIG 160
#define XA_OFF 2400

typedef struct {
    int64_t d[XA_DIG];
    long pend;
    int nan, pinf, ninf;
} xa_t;

static void xa_init(xa_t *a)
{
    memset(a, 0, sizeof(*a));
}

static void xa_norm(xa_t *a)
{
    int64_t c = 0;
    int k;

    for (k = 0; k < XA_DIG - 1; k++) {
        int64_t v = a->d[k] + c;
        int64_t lo = v & 0xffffffffLL;
        c = (v - lo) / 4294967296LL;
        a->d[k] = lo;
    }
    a->d[XA_DIG - 1] += c;
    a->pend = 0;
}

/* (-1)^neg * m * 2^e, m < 2^128 */
static void xa_add_m(xa_t *a, int neg, u128 m, int e)
{
    int p = e + XA_OFF, k = p / 32, s = p % 32, j;

    if (++a->pend > (1L << 24))
        xa_norm(a);
    for (j = 0; m != 0; j++) {
        uint64_t v = (uint64_t)(m & 0xffffffffu) << s;
        int64_t lo = (int64_t)(v & 0xffffffffu), hi = (int64_t)(v >> 32);
        m >>= 32;
        a->d[k + j] += neg ? -lo : lo;
        a->d[k + j + 1] += neg ? -hi : hi;
    }
}

/* finite v = (-1)^neg * m * 2^e */
static int split_d(double v, uint64_t *m, int *e)
{
    uint64_t b;
    int be;

    memcpy(&b, &v, sizeof(b));
    be = (int)((b >> 52) & 0x7ff);
    *m = b & ((1ULL << 52) - 1);
    if (be != 0) {
        *m |= 1ULL << 52;
        *e = be - 1075;
    } else {
        *e = -1074;
    }
    return (int)(b >> 63);
}

static void xa_add(xa_t *a, double v)
{
    uint64_t m;
    int e, neg;

    if (isnan(v)) {
        a->nan++;
        return;
    }
    if (isinf(v)) {
        if (v > 0)
            a->pinf++;
        else
            a->ninf++;
        return;
    }
    neg = split_d(v, &m, &e);
    xa_add_m(a, neg, m, e);
}

/* the exact product x*y */
static void xa_add_prod(xa_t *a, double x, double y)
{
    uint64_t mx, my;
    int ex, ey, neg;

    if (!isfinite(x) || !isfinite(y)) {
        xa_add(a, x * y); /* Inf*0 = NaN, Inf*y = +-Inf, as IEEE */
        return;
    }
    neg = split_d(x, &mx, &ex) ^ split_d(y, &my, &ey);
    xa_add_m(a, neg, (u128)mx * my, ex + ey);
}

static int bitlen(u128 w)
{
    int n = 0;

    while (w != 0) {
        w >>= 1;
        n++;
    }
    return n;
}

/* The exact value rounded to the nearest double, ties to even (subnormals, overflow too). */
static double xa_round(const xa_t *in)
{
    xa_t a = *in;
    int neg = 0, k, j, sticky = 0, e0, top, lsb, sh;
    u128 w = 0;
    uint64_t q;
    double r;

    if (a.nan || (a.pinf && a.ninf))
        return NAN;
    if (a.pinf)
        return INFINITY;
    if (a.ninf)
        return -INFINITY;
    xa_norm(&a);
    if (a.d[XA_DIG - 1] < 0) {
        neg = 1;
        for (k = 0; k < XA_DIG; k++)
            a.d[k] = -a.d[k];
        xa_norm(&a);
    }
    for (k = XA_DIG - 1; k >= 0 && a.d[k] == 0; k--)
        ;
    if (k < 0)
        return 0.0;
    for (j = k; j >= k - 2; j--)
        w = (w << 32) | (u128)(j >= 0 ? (uint64_t)a.d[j] : 0);
    for (j = 0; j < k - 2; j++)
        sticky |= a.d[j] != 0;
    e0 = 32 * (k - 2) - XA_OFF; /* weight of w's bit 0 */
    top = e0 + bitlen(w) - 1;
    lsb = top - 52 < -1074 ? -1074 : top - 52;
    sh = lsb - e0; /* > 0: w has at least 65 bits */
    if (sh >= 128) {
        q = 0;
    } else {
        u128 rem = w & (((u128)1 << sh) - 1), half = (u128)1 << (sh - 1);
        q = (uint64_t)(w >> sh);
        if (rem > half || (rem == half && (sticky || (q & 1))))
            q++;
    }
    r = ldexp((double)q, lsb);
    return neg ? -r : r;
}

/* sign of a - b */
static int xa_cmp(const xa_t *a, const xa_t *b)
{
    xa_t c = *a;
    int k;

    for (k = 0; k < XA_DIG; k++)
        c.d[k] -= b->d[k];
    xa_norm(&c);
    if (c.d[XA_DIG - 1] < 0)
        return -1;
    for (k = 0; k < XA_DIG; k++)
        if (c.d[k] != 0)
            return 1;
    return 0;
}

/* sign of |s - u| - |s - v| for exact s and doubles u, v: is u at least as close as v? */
static int xa_closer_cmp(const xa_t *s, double u, double v)
{
    xa_t du = *s, dv = *s;
    int k;

    xa_add(&du, -u);
    xa_add(&dv, -v);
    xa_norm(&du);
    xa_norm(&dv);
    if (du.d[XA_DIG - 1] < 0)
        for (k = 0; k < XA_DIG; k++)
            du.d[k] = -du.d[k];
    if (dv.d[XA_DIG - 1] < 0)
        for (k = 0; k < XA_DIG; k++)
            dv.d[k] = -dv.d[k];
    return xa_cmp(&du, &dv);
}

/* r is the correctly rounded or a neighbouring double of sqrt(s): lo^2 < s < hi^2. */
static int nrm2_faithful(const xa_t *s, double r)
{
    xa_t lo, hi, zero;

    xa_init(&zero);
    if (r == 0.0)
        return xa_cmp(s, &zero) == 0;
    xa_init(&lo);
    xa_init(&hi);
    xa_add_prod(&lo, nextafter(r, 0.0), nextafter(r, 0.0));
    xa_add_prod(&hi, nextafter(r, INFINITY), nextafter(r, INFINITY));
    return xa_cmp(s, &lo) > 0 && xa_cmp(s, &hi) < 0;
}

/*
 * Exact square of the midpoint (a + b) / 2 of two non-negative finite doubles a <= b, or of
 * (DBL_MAX + 2^1024) / 2 when b is +Inf (the threshold above which a result rounds to Inf).
 */
static void xa_add_mid_square(xa_t *s, int neg, double a, double b)
{
    uint64_t ma, mb;
    int ea, eb, e;
    u128 m;

    split_d(a, &ma, &ea);
    if (isinf(b)) {
        mb = 1ULL << 53;
        eb = 971;
    } else {
        split_d(b, &mb, &eb);
    }
    e = ea < eb ? ea : eb;
    m = ((u128)ma << (ea - e)) + ((u128)mb << (eb - e)); /* neighbours: at most 55 bits */
    xa_add_m(s, neg, m * m, 2 * e - 2);
}

/* sign of s - ((a + b) / 2)^2 */
static int xa_cmp_mid_square(const xa_t *s, double a, double b)
{
    xa_t d = *s, zero;

    xa_init(&zero);
    xa_add_mid_square(&d, 1, a, b);
    return xa_cmp(&d, &zero);
}

/* r is sqrt(s) correctly rounded (to nearest, ties to even; subnormals, overflow to Inf). */
static int nrm2_correct(const xa_t *s, double r)
{
    uint64_t b;
    int lo, hi;

    if (isnan(r) || r < 0.0 || (r == 0.0 && signbit(r)))
        return 0;
    memcpy(&b, &r, sizeof(b));
    if (isinf(r))
        return xa_cmp_mid_square(s, DBL_MAX, INFINITY) >= 0;
    /* s between the squares of the midpoints below and above r, a tie only if r is even */
    lo = r == 0.0 ? 1 : xa_cmp_mid_square(s, nextafter(r, 0.0), r);
    hi = xa_cmp_mid_square(s, r, nextafter(r, INFINITY));
    if (lo < 0 || hi > 0)
        return 0;
    return (lo > 0 && hi < 0) || (b & 1) == 0;
}

/* ---------------------------------------------------------------- data sets */

static double urand(uint64_t seed, uint64_t i)
{
    return (dct_rand(seed, i) + 1.0) * 0.5;
}

enum { F_SUM = 0, F_ASUM, F_DOT, F_NRM2, NF };
static const char *const f_names[] = {"sum", "asum", "dot", "nrm2"};

typedef struct {
    const char *name;
    size_t n;
    double *x, *y;     /* y only for dot */
    int plain_differs; /* the plain result must change with the partition (1 << F_*) */
    int finite;
    /* references */
    double exact[NF]; /* correctly rounded; nrm2: NAN until the first run */
    double binned[NF];
    xa_t sx[NF];    /* exact sums, for the accuracy checks */
    double rec[NF]; /* recursive summation in global order */
    double abs_sum; /* sum |x_i y_i| (approx.) for the dot bound */
    /* results of the first partition, for nrm2 in the repro modes */
    double first[NF][3];
    int have_first[NF][3];
    /* distinct plain results seen */
    double plain[NF][64];
    int nplain[NF];
} dataset_t;

static void shuffle_pairs(uint64_t seed, double *x, double *y, size_t n)
{
    size_t i;

    for (i = n; i > 1; i--) {
        size_t j = (size_t)(urand(seed, i) * (double)i), k = i - 1;
        double t;
        if (j >= i)
            j = i - 1;
        t = x[k], x[k] = x[j], x[j] = t;
        if (y != NULL)
            t = y[k], y[k] = y[j], y[j] = t;
    }
}

/*
 * Cancellation with a sum known by construction: pairs +a, -a over 2^-500 .. 2^500, small
 * integers with sum T > 0, half an ulp of T and a tiny sticky term: the exact sum is just
 * above the midpoint T + ulp(T)/2, so the correctly rounded sum is nextafter(T, +Inf).
 */
static double make_cancel(double *x, size_t n, uint64_t seed)
{
    size_t npairs = (n - 2) * 3 / 8, i, k = 0;
    int64_t t = 0;
    double tt, h;

    for (i = 0; i < npairs; i++) {
        double a = dct_rand(seed, i) * ldexp(1.0, (int)(urand(seed + 1, i) * 1000.0) - 500);
        x[k++] = a;
        x[k++] = -a;
    }
    while (k < n - 2) {
        int64_t v = (int64_t)(dct_rand(seed + 2, k) * 1000.0);
        if (k == n - 3 && t + v <= 0)
            v = 1 - t; /* keep T > 0 */
        x[k++] = (double)v;
        t += v;
    }
    tt = (double)t;
    h = (nextafter(tt, INFINITY) - tt) * 0.5;
    x[k++] = h;
    x[k++] = h * 0x1p-40;
    shuffle_pairs(seed + 3, x, NULL, n);
    return nextafter(tt, INFINITY);
}

/* Ill-conditioned dot products, Ogita, Rump and Oishi (2005), Algorithm 6.1 (GenDot). */
static void make_gendot(double *x, double *y, size_t n, double cond, uint64_t seed)
{
    size_t n2 = n / 2, i;
    double b = log2(cond);
    xa_t acc;

    for (i = 0; i < n2; i++) {
        int e = (int)lround(urand(seed, i) * b / 2);
        if (i == 0)
            e = (int)lround(b / 2) + 1;
        if (i == n2 - 1)
            e = 0;
        x[i] = dct_rand(seed + 1, i) * ldexp(1.0, e);
        y[i] = dct_rand(seed + 2, i) * ldexp(1.0, e);
    }
    xa_init(&acc);
    for (i = 0; i < n2; i++)
        xa_add_prod(&acc, x[i], y[i]);
    for (i = n2; i < n; i++) {
        int e = (int)lround(b / 2 - (b / 2) * (double)(i - n2) / (double)(n - n2 - 1));
        x[i] = dct_rand(seed + 3, i) * ldexp(1.0, e);
        y[i] = (dct_rand(seed + 4, i) * ldexp(1.0, e) - xa_round(&acc)) / x[i];
        xa_add_prod(&acc, x[i], y[i]);
    }
    shuffle_pairs(seed + 5, x, y, n);
}

/* Exact references of a data set (nrm2: the exact sum of squares only). */
static void ds_refs(dataset_t *d)
{
    size_t i;
    int f;

    for (f = 0; f < NF; f++) {
        xa_t b;
        double rec = 0.0;
        xa_init(&d->sx[f]);
        xa_init(&b);
        for (i = 0; i < d->n; i++) {
            volatile double p; /* one rounding, never fused */
            switch (f) {
            case F_SUM:
                p = d->x[i];
                xa_add(&d->sx[f], d->x[i]);
                break;
            case F_ASUM:
                p = fabs(d->x[i]);
                xa_add(&d->sx[f], fabs(d->x[i]));
                break;
            case F_DOT:
                p = d->y ? d->x[i] * d->y[i] : 0.0;
                if (d->y)
                    xa_add_prod(&d->sx[f], d->x[i], d->y[i]);
                break;
            default:
                p = d->x[i] * d->x[i];
                xa_add_prod(&d->sx[f], d->x[i], d->x[i]);
                break;
            }
            xa_add(&b, p);
            rec += p;
        }
        d->exact[f] = xa_round(&d->sx[f]);
        d->binned[f] = f == F_NRM2 ? NAN : xa_round(&b);
        d->rec[f] = rec;
        d->nplain[f] = 0;
        d->have_first[f][0] = d->have_first[f][1] = d->have_first[f][2] = 0;
    }
    d->abs_sum = 0.0;
    for (i = 0; d->y != NULL && i < d->n; i++)
        d->abs_sum += fabs(d->x[i] * d->y[i]);
    d->finite = 1;
    for (i = 0; i < d->n; i++)
        d->finite &= isfinite(d->x[i]) && (d->y == NULL || isfinite(d->y[i]));
}

#define NDS 12
static dataset_t dsets[NDS];
static int nds;
static double cancel_expect;

static dataset_t *ds_new(const char *name, size_t n, int with_y)
{
    dataset_t *d = &dsets[nds++];

    memset(d, 0, sizeof(*d));
    d->name = name;
    d->n = n;
    d->x = calloc(n + 1, sizeof(double));
    d->y = with_y ? calloc(n + 1, sizeof(double)) : NULL;
    return d;
}

static int suite_init(void)
{
    dataset_t *d;
    size_t i;

    nds = 0;
    d = ds_new("cancel", 1602, 0);
    cancel_expect = make_cancel(d->x, d->n, 101);
    d->plain_differs = 1 << F_SUM;

    d = ds_new("gendot 1e40", 1000, 1);
    make_gendot(d->x, d->y, d->n, 1e40, 202);
    d->plain_differs = 1 << F_DOT;

    d = ds_new("short mantissas", 777, 1); /* products exact: binned = exact */
    for (i = 0; i < d->n; i++) {
        d->x[i] = ldexp(floor(dct_rand(301, i) * 0x1p26), (int)(urand(302, i) * 60) - 56);
        d->y[i] = ldexp(floor(dct_rand(303, i) * 0x1p26), (int)(urand(304, i) * 60) - 56);
    }

    d = ds_new("random", 4099, 1); /* crosses the engine's 1024-term blocks */
    for (i = 0; i < d->n; i++) {
        d->x[i] = dct_rand(401, i) * ldexp(1.0, (int)(urand(402, i) * 20) - 10);
        d->y[i] = dct_rand(403, i);
    }

    d = ds_new("huge", 300, 0);
    for (i = 0; i < d->n; i++)
        d->x[i] = 1e300 * dct_rand(501, i) + (i % 7 == 0 ? 1e306 * (i % 2 ? 1 : -1) : 0.0);

    d = ds_new("tiny", 300, 0);
    for (i = 0; i < d->n; i++)
        d->x[i] = 1e-300 * dct_rand(601, i) + (i % 5 == 0 ? 4.9e-324 * (double)i : 0.0);

    d = ds_new("huge and tiny", 400, 0);
    for (i = 0; i < d->n; i++)
        d->x[i] = i % 2 ? 1e300 * dct_rand(701, i) : 1e-300 * dct_rand(702, i);

    d = ds_new("NaN", 500, 1);
    for (i = 0; i < d->n; i++) {
        d->x[i] = dct_rand(801, i);
        d->y[i] = dct_rand(802, i);
    }
    d->x[333] = NAN;

    d = ds_new("+Inf", 500, 1);
    for (i = 0; i < d->n; i++) {
        d->x[i] = dct_rand(901, i);
        d->y[i] = fabs(dct_rand(902, i)) + 0.5;
    }
    d->x[17] = INFINITY;

    d = ds_new("+Inf and -Inf", 500, 1);
    for (i = 0; i < d->n; i++) {
        d->x[i] = dct_rand(1001, i);
        d->y[i] = 1.0;
    }
    d->x[5] = INFINITY;
    d->x[450] = -INFINITY;

    d = ds_new("Inf times 0", 500, 1);
    for (i = 0; i < d->n; i++) {
        d->x[i] = dct_rand(1101, i);
        d->y[i] = dct_rand(1102, i);
    }
    d->x[250] = INFINITY;
    d->y[250] = 0.0;

    for (i = 0; i < (size_t)nds; i++) {
        if (dsets[i].x == NULL)
            return 1;
        ds_refs(&dsets[i]);
    }
    return 0;
}

static int suite_clean(void)
{
    int i;

    for (i = 0; i < nds; i++) {
        free(dsets[i].x);
        free(dsets[i].y);
    }
    nds = 0;
    return 0;
}

/* ---------------------------------------------------------------- partitions */

enum { S_BLOCK = 0, S_CYCLIC, S_WEIGHTED, S_RANDOM, S_RANDOM_SHUFFLED, S_LAST_ONLY, NSPLIT };
static const char *const split_names[] = {
    "block", "cyclic", "weighted", "random cuts", "random cuts, shuffled", "all on the last"};

/* piece[g] for the simulated rank count pp */
static void split_assign(size_t n, int pp, int s, uint64_t seed, int *piece)
{
    size_t g;
    int j;

    switch (s) {
    case S_BLOCK:
        for (g = 0, j = 0; j < pp; j++) {
            size_t cnt = n / (size_t)pp + ((size_t)j < n % (size_t)pp), c;
            for (c = 0; c < cnt; c++)
                piece[g++] = j;
        }
        break;
    case S_CYCLIC:
        for (g = 0; g < n; g++)
            piece[g] = (int)(g % (size_t)pp);
        break;
    case S_WEIGHTED: { /* weights 1, 2, ..., pp */
        size_t tot = (size_t)pp * ((size_t)pp + 1) / 2, cum = 0, lo = 0;
        for (j = 0; j < pp; j++) {
            size_t hi;
            cum += (size_t)j + 1;
            hi = n * cum / tot;
            for (g = lo; g < hi; g++)
                piece[g] = j;
            lo = hi;
        }
        break;
    }
    case S_RANDOM:
    case S_RANDOM_SHUFFLED: { /* pp - 1 random cuts, equal cuts give empty pieces */
        size_t cuts[8];
        int a, b;
        for (a = 0; a < pp - 1; a++)
            cuts[a] = (size_t)(urand(seed, (uint64_t)a) * (double)(n + 1));
        for (a = 1; a < pp - 1; a++)
            for (b = a; b > 0 && cuts[b - 1] > cuts[b]; b--) {
                size_t t = cuts[b];
                cuts[b] = cuts[b - 1];
                cuts[b - 1] = t;
            }
        for (g = 0, j = 0; g < n; g++) {
            while (j < pp - 1 && g >= cuts[j])
                j++;
            piece[g] = j;
        }
        break;
    }
    default:
        for (g = 0; g < n; g++)
            piece[g] = pp - 1;
        break;
    }
}

typedef struct {
    size_t n;
    double *x, *y;
} local_t;

/* This real rank's part: pieces j with j % size == rank, piece by piece (optionally shuffled). */
static void build_local(const dataset_t *d, const int *piece, int pp, int shuffle, uint64_t seed,
                        local_t *l)
{
    size_t g;
    int j;

    l->n = 0;
    for (j = dct_rank; j < pp; j += dct_size)
        for (g = 0; g < d->n; g++)
            if (piece[g] == j) {
                l->x[l->n] = d->x[g];
                if (d->y)
                    l->y[l->n] = d->y[g];
                l->n++;
            }
    if (shuffle)
        shuffle_pairs(seed + (uint64_t)dct_rank, l->x, d->y ? l->y : NULL, l->n);
}

static int call_f(dc_env_t *env, int f, const double *x, const double *y, size_t n, dc_repro_t mode,
                  double *r)
{
    switch (f) {
    case F_SUM: return dc_sum(env, x, n, mode, r);
    case F_ASUM: return dc_asum(env, x, n, mode, r);
    case F_DOT: return dc_dot(env, x, y, n, mode, r);
    default: return dc_nrm2(env, x, n, mode, r);
    }
}

static const dc_repro_t modes[3] = {DC_REPRO_OFF, DC_REPRO_BINNED, DC_REPRO_EXACT};

/*
 * Check one result of a reproducible mode against the references; first results of nrm2 are
 * kept as the bits every later partition must repeat. Returns 1 if right.
 */
static int check_repro(dataset_t *d, int f, int mi, double r)
{
    double want;

    if (f == F_NRM2) {
        if (!d->have_first[f][mi]) {
            d->have_first[f][mi] = 1;
            d->first[f][mi] = r;
        }
        want = d->first[f][mi];
    } else {
        want = mi == 2 ? d->exact[f] : d->binned[f];
    }
    return dct_same_bits(r, want);
}

static void note_plain(dataset_t *d, int f, double r)
{
    int k;

    for (k = 0; k < d->nplain[f]; k++)
        if (dct_same_bits(d->plain[f][k], r))
            return;
    if (d->nplain[f] < 64)
        d->plain[f][d->nplain[f]++] = r;
}

/*
 * Every data set x function x mode over every simulated partition. Returns the number of
 * wrong results on this rank (each rank does the same calls: no collective is skipped).
 */
static int run_partitions(dc_env_t *env, int pmax, int splits_mask)
{
    size_t nmax = 0;
    int di, pp, s, f, mi, bad = 0;
    int *piece;
    local_t l;

    for (di = 0; di < nds; di++)
        if (dsets[di].n > nmax)
            nmax = dsets[di].n;
    piece = malloc(sizeof(int) * (nmax + 1));
    l.x = malloc(sizeof(double) * (nmax + 1));
    l.y = malloc(sizeof(double) * (nmax + 1));
    if (!piece || !l.x || !l.y) {
        free(piece), free(l.x), free(l.y);
        return 1000000; /* every rank allocates the same: all stop here together */
    }
    for (pp = 1; pp <= pmax; pp++)
        for (s = 0; s < NSPLIT; s++) {
            uint64_t seed = 7000 + (uint64_t)pp * 10 + (uint64_t)s;
            if (!(splits_mask & (1 << s)))
                continue;
            for (di = 0; di < nds; di++) {
                dataset_t *d = &dsets[di];
                split_assign(d->n, pp, s, seed, piece);
                build_local(d, piece, pp, s == S_RANDOM_SHUFFLED, seed, &l);
                for (f = 0; f < NF; f++) {
                    if (f == F_DOT && d->y == NULL)
                        continue;
                    for (mi = 0; mi < 3; mi++) {
                        double r = -12345.0;
                        int rc = call_f(env, f, l.x, l.y, l.n, modes[mi], &r), ok;
                        if (mi == 0) {
                            ok = rc == DC_SUCCESS;
                            note_plain(d, f, r);
                        } else {
                            ok = rc == DC_SUCCESS && check_repro(d, f, mi, r);
                        }
                        if (!ok && bad < 10)
                            fprintf(stderr,
                                    "[rank %d] %s of \"%s\", mode %d, P'=%d %s (n local "
                                    "%zu): rc %d, %.17g (%a), wanted %a\n",
                                    dct_rank, f_names[f], d->name, (int)modes[mi], pp,
                                    split_names[s], l.n, rc, r, r,
                                    mi == 2 ? d->exact[f] : d->binned[f]);
                        bad += !ok;
                    }
                }
            }
        }
    free(piece), free(l.x), free(l.y);
    return bad;
}

/* ---------------------------------------------------------------- tests */

/* The test's own reference is right where the answer is known by construction. */
static void test_reference_self_check(void)
{
    dataset_t *c = &dsets[0], *g = &dsets[1];
    double cond;

    CU_ASSERT(dct_same_bits(c->exact[F_SUM], cancel_expect));
    /* the plain sum in global order is far off: the data is hard */
    CU_ASSERT(c->rec[F_SUM] != cancel_expect);
    /* GenDot really is ill-conditioned: condition 2 sum|x y| / |x.y| beyond 1e20 */
    cond = 2.0 * g->abs_sum / fabs(g->exact[F_DOT]);
    CU_ASSERT(cond > 1e20);
    /* a few exact roundings */
    {
        xa_t a;
        xa_init(&a);
        xa_add(&a, 1.0);
        xa_add(&a, 0x1p-53); /* tie: to even */
        CU_ASSERT(xa_round(&a) == 1.0);
        xa_add(&a, 0x1p-200); /* above the tie */
        CU_ASSERT(xa_round(&a) == nextafter(1.0, 2.0));
        xa_init(&a);
        xa_add_prod(&a, 0x1p-1074, 0.5); /* half the smallest subnormal: tie to 0 */
        CU_ASSERT(xa_round(&a) == 0.0);
        xa_add_prod(&a, 0x1p-1074, 0x1p-1074);
        CU_ASSERT(xa_round(&a) == 0x1p-1074);
        xa_init(&a);
        xa_add_prod(&a, 0x1p1000, 0x1p1000);
        xa_add_prod(&a, -0x1p1000, 0x1p1000);
        xa_add(&a, -3.5);
        CU_ASSERT(xa_round(&a) == -3.5);
    }
}

static void test_partitions(void)
{
    dc_env_t *env = dct_env_create();
    int bad = 0, di, f;

    if (env == NULL)
        return;
    bad = run_partitions(env, 6, (1 << NSPLIT) - 1);
    CU_ASSERT_EQUAL(bad, 0);
    DCT_ASSERT_ALL(bad == 0);

    /* the plain mode does change with the partition on the hard data sets */
    for (di = 0; di < nds; di++)
        for (f = 0; f < NF; f++)
            if (dsets[di].plain_differs & (1 << f)) {
                if (dsets[di].nplain[f] < 2)
                    fprintf(stderr, "[rank %d] plain %s of %s: only %d distinct result(s)\n",
                            dct_rank, f_names[f], dsets[di].name, dsets[di].nplain[f]);
                CU_ASSERT(dsets[di].nplain[f] >= 2);
            }
    dc_env_destroy(&env);
}

/* Accuracy: EXACT correctly rounded (checked bitwise above), BINNED at least as accurate as
 * recursive summation, nrm2 faithful, the plain mode close on well-conditioned data. */
static void test_accuracy(void)
{
    int di;

    for (di = 0; di < nds; di++) {
        dataset_t *d = &dsets[di];
        if (!d->finite)
            continue;
        /* sum and asum: binned is exact, so no recursive summation can be closer */
        if (isfinite(d->rec[F_SUM]))
            CU_ASSERT(xa_closer_cmp(&d->sx[F_SUM], d->binned[F_SUM], d->rec[F_SUM]) <= 0);
        if (isfinite(d->rec[F_ASUM]))
            CU_ASSERT(xa_closer_cmp(&d->sx[F_ASUM], d->binned[F_ASUM], d->rec[F_ASUM]) <= 0);
        CU_ASSERT(dct_same_bits(d->binned[F_SUM], d->exact[F_SUM]));
        if (d->y != NULL) {
            /* binned dot: error <= u sum|x y| + half an ulp of the result */
            long double err = fabsl((long double)d->binned[F_DOT] - (long double)d->exact[F_DOT]);
            double ulp = nextafter(fabs(d->binned[F_DOT]), INFINITY) - fabs(d->binned[F_DOT]);
            CU_ASSERT(err <= 0x1p-53 * d->abs_sum * 1.01 + ulp);
            if (strcmp(d->name, "short mantissas") == 0) {
                /* exact products: binned is the correctly rounded dot */
                CU_ASSERT(dct_same_bits(d->binned[F_DOT], d->exact[F_DOT]));
                CU_ASSERT(xa_closer_cmp(&d->sx[F_DOT], d->binned[F_DOT], d->rec[F_DOT]) <= 0);
            }
        }
        /* nrm2 in the reproducible modes: within one ulp of the exact norm */
        if (d->have_first[F_NRM2][1] && d->have_first[F_NRM2][2]) {
            CU_ASSERT(nrm2_faithful(&d->sx[F_NRM2], d->first[F_NRM2][2]));
            CU_ASSERT(nrm2_faithful(&d->sx[F_NRM2], d->first[F_NRM2][1]));
            if (!nrm2_faithful(&d->sx[F_NRM2], d->first[F_NRM2][2]))
                fprintf(stderr, "nrm2 of %s: %a\n", d->name, d->first[F_NRM2][2]);
        }
    }
}

/* The plain mode: close to the exact value (well-conditioned data), nrm2 without overflow,
 * NaN/Inf propagated. One partition per rank count suffices. */
static void test_plain_mode(void)
{
    dc_env_t *env = dct_env_create();
    int di, f;

    if (env == NULL)
        return;
    for (di = 0; di < nds; di++) {
        dataset_t *d = &dsets[di];
        size_t lo = d->n * (size_t)dct_rank / (size_t)dct_size;
        size_t hi = d->n * ((size_t)dct_rank + 1) / (size_t)dct_size;
        for (f = 0; f < NF; f++) {
            double r = -1.0, ref = d->exact[f];
            int rc;
            if (f == F_DOT && d->y == NULL)
                continue;
            rc = call_f(env, f, d->x + lo, d->y ? d->y + lo : NULL, hi - lo, DC_REPRO_OFF, &r);
            CU_ASSERT_EQUAL(rc, DC_SUCCESS);
            if (f == F_NRM2)
                ref = d->have_first[F_NRM2][2] ? d->first[F_NRM2][2] : NAN;
            if (isnan(ref) || isinf(ref)) {
                CU_ASSERT(isnan(ref) ? isnan(r) : r == ref);
                continue;
            }
            if (strcmp(d->name, "cancel") == 0 || strcmp(d->name, "gendot 1e40") == 0)
                continue; /* no accuracy to expect from a plain sum here */
            /* nrm2 of huge/tiny entries: finite, within a few ulps (Blue's scaling) */
            if (f == F_NRM2 || f == F_ASUM) {
                CU_ASSERT(fabs(r - ref) <= 1e-13 * ref);
            } else if (f == F_DOT) {
                CU_ASSERT(fabs(r - ref) <= 1e-13 * d->abs_sum);
            }
        }
    }
    dc_env_destroy(&env);
}

/* Same bits on the node-aware env, with the env's default mode, and all data on one rank. */
static void test_env_modes(void)
{
    dc_env_params_t p;
    dc_env_t *env = NULL;
    dataset_t *g = &dsets[1];
    int rc, bad;
    double r = 0.0;

    memset(&p, 0, sizeof(p));
    p.field_mask = DC_ENV_PARAM_ALLREDUCE | DC_ENV_PARAM_REPRO;
    p.allreduce = DC_ALLREDUCE_NODE;
    p.repro = DC_REPRO_EXACT;
    rc = dc_env_create(MPI_COMM_WORLD, &p, &env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS);
    if (rc != DC_SUCCESS)
        return;
    bad = run_partitions(env, 4, (1 << S_CYCLIC) | (1 << S_RANDOM_SHUFFLED));
    CU_ASSERT_EQUAL(bad, 0);
    /* DC_REPRO_DEFAULT takes the env's mode */
    {
        size_t lo = g->n * (size_t)dct_rank / (size_t)dct_size;
        size_t hi = g->n * ((size_t)dct_rank + 1) / (size_t)dct_size;
        rc = dc_dot(env, g->x + lo, g->y + lo, hi - lo, DC_REPRO_DEFAULT, &r);
        CU_ASSERT_EQUAL(rc, DC_SUCCESS);
        CU_ASSERT(dct_same_bits(r, g->exact[F_DOT]));
        CU_ASSERT_EQUAL(dc_env_set_repro(env, DC_REPRO_BINNED), DC_SUCCESS);
        rc = dc_dot(env, g->x + lo, g->y + lo, hi - lo, DC_REPRO_DEFAULT, &r);
        CU_ASSERT_EQUAL(rc, DC_SUCCESS);
        CU_ASSERT(dct_same_bits(r, g->binned[F_DOT]));
    }
    /* nothing anywhere: zeros */
    {
        int mi, f;
        for (mi = 0; mi < 3; mi++)
            for (f = 0; f < NF; f++) {
                r = -1.0;
                rc = call_f(env, f, NULL, NULL, 0, modes[mi], &r);
                CU_ASSERT_EQUAL(rc, DC_SUCCESS);
                CU_ASSERT(r == 0.0);
            }
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- vectors on layouts */

static double fill_from(dc_gidx_t g, void *ctx)
{
    return ((const double *)ctx)[g];
}

static void test_vec_layouts(void)
{
    dc_env_t *env = dct_env_create();
    int di, li, mi, bad = 0;

    if (env == NULL)
        return;
    for (di = 0; di < 2; di++) { /* the two hard data sets */
        dataset_t *d = &dsets[di];
        for (li = 0; li < 5; li++) {
            dc_layout_t *lay = NULL;
            dc_vec_t *x = NULL, *y = NULL;
            int rc;
            switch (li) {
            case 0: rc = dc_layout_create_block(env, (dc_gidx_t)d->n, &lay); break;
            case 1: rc = dc_layout_create_cyclic(env, (dc_gidx_t)d->n, &lay); break;
            case 2:
                rc = dc_layout_create_weighted(env, (dc_gidx_t)d->n, 1.0 + dct_rank, &lay);
                break;
            case 3: rc = dc_layout_create_block_cyclic(env, (dc_gidx_t)d->n, 5, &lay); break;
            default: /* everything on the last rank */
                rc = dc_layout_create_explicit(env, dct_rank == dct_size - 1 ? d->n : 0, &lay);
                break;
            }
            if (rc == DC_SUCCESS)
                rc = dc_vec_create(lay, &x);
            if (rc == DC_SUCCESS)
                rc = dc_vec_create(lay, &y);
            if (rc == DC_SUCCESS)
                rc = dc_vec_fill(x, fill_from, d->x);
            if (rc == DC_SUCCESS && d->y)
                rc = dc_vec_fill(y, fill_from, d->y);
            CU_ASSERT_EQUAL(rc, DC_SUCCESS);
            if (!dct_all(rc == DC_SUCCESS)) {
                bad++;
            } else {
                for (mi = 1; mi < 3; mi++) {
                    double r = 0.0;
                    if (d->y) {
                        rc = dc_vec_dot_repro(x, y, modes[mi], &r);
                        bad += !(rc == DC_SUCCESS &&
                                 dct_same_bits(r, mi == 2 ? d->exact[F_DOT] : d->binned[F_DOT]));
                    }
                    rc = dc_vec_sum_repro(x, modes[mi], &r);
                    bad += !(rc == DC_SUCCESS && dct_same_bits(r, d->exact[F_SUM]));
                    rc = dc_vec_nrm2_repro(x, modes[mi], &r);
                    bad += !(rc == DC_SUCCESS && d->have_first[F_NRM2][mi] &&
                             dct_same_bits(r, d->first[F_NRM2][mi]));
                }
            }
            dc_vec_destroy(&x);
            dc_vec_destroy(&y);
            dc_layout_destroy(&lay);
        }
    }
    CU_ASSERT_EQUAL(bad, 0);
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- bad input */

static void expect_all(dc_env_t *env, int rc, int want, const char *what)
{
    int ok = rc == want && strlen(dc_env_last_error(env)) > 0;

    if (!ok)
        fprintf(stderr, "[rank %d] %s: rc %d, wanted %d (%s)\n", dct_rank, what, rc, want,
                dc_env_last_error(env));
    DCT_ASSERT_ALL(ok);
}

static void test_bad_input(void)
{
    dc_env_t *env = dct_env_create();
    double x[4] = {1, 2, 3, 4}, r = -1.0;
    int last = dct_rank == dct_size - 1, dbg, mi, f, rc;

    if (env == NULL)
        return;
    /* NULL env on every rank */
    CU_ASSERT_EQUAL(dc_sum(NULL, x, 4, DC_REPRO_EXACT, &r), DC_ERR_ARG);
    CU_ASSERT_EQUAL(dc_dot(NULL, x, x, 4, DC_REPRO_BINNED, &r), DC_ERR_ARG);
    CU_ASSERT(strlen(dc_env_last_error(NULL)) > 0);

    for (dbg = 1; dbg >= 0; dbg--) {
        CU_ASSERT_EQUAL(dc_env_set_debug(env, dbg), DC_SUCCESS);
        for (mi = 0; mi < 3; mi++)
            for (f = 0; f < NF; f++) {
                char what[80];
                snprintf(what, sizeof(what), "%s mode %d debug %d", f_names[f], mi, dbg);
                /* NULL x with n > 0 on the last rank only: everybody fails, nobody hangs */
                r = -1.0;
                rc = call_f(env, f, last ? NULL : x, x, 4, modes[mi], &r);
                expect_all(env, rc, DC_ERR_ARG, what);
                CU_ASSERT(r == -1.0); /* outputs only on success */
                if (!last && dct_size > 1)
                    CU_ASSERT(strstr(dc_env_last_error(env), "another rank") != NULL);
                if (last)
                    CU_ASSERT(strstr(dc_env_last_error(env), "x is NULL") != NULL);
                /* NULL result on one rank */
                rc = call_f(env, f, x, x, 4, modes[mi], last ? NULL : &r);
                expect_all(env, rc, DC_ERR_ARG, what);
                /* and the env works right after */
                rc = call_f(env, f, x, x, 4, modes[mi], &r);
                DCT_ASSERT_ALL(rc == DC_SUCCESS);
            }
        /* y NULL for dot on one rank */
        rc = dc_dot(env, x, last ? NULL : x, 4, DC_REPRO_BINNED, &r);
        expect_all(env, rc, DC_ERR_ARG, "dot y NULL");
        /* a mode that is no mode, on one rank (the others use the env's) */
        rc = dc_sum(env, x, 4, last ? (dc_repro_t)7 : DC_REPRO_DEFAULT, &r);
        expect_all(env, rc, DC_ERR_ARG, "bad mode");
        /* n = 0 with NULL x is fine */
        rc = dc_nrm2(env, NULL, 0, DC_REPRO_EXACT, &r);
        DCT_ASSERT_ALL(rc == DC_SUCCESS && r == 0.0);
    }
    /* debug: a mode or a function that differs across ranks */
    CU_ASSERT_EQUAL(dc_env_set_debug(env, 1), DC_SUCCESS);
    if (dct_size > 1) {
        rc = dc_sum(env, x, 4, last ? DC_REPRO_EXACT : DC_REPRO_OFF, &r);
        expect_all(env, rc, DC_ERR_ARG, "mode mismatch");
        rc = last ? dc_asum(env, x, 4, DC_REPRO_OFF, &r) : dc_sum(env, x, 4, DC_REPRO_OFF, &r);
        expect_all(env, rc, DC_ERR_ARG, "function mismatch");
    }
    rc = dc_sum(env, x, 4, DC_REPRO_EXACT, &r);
    DCT_ASSERT_ALL(rc == DC_SUCCESS && r == 10.0 * dct_size);
    dc_env_destroy(&env);
}

/*
 * nrm2 in EXACT mode is the correctly rounded square root of the exact sum of squares (not the
 * root of the rounded sum, which rounds twice). The case from the issue, then random vectors of
 * 1..40 entries over the whole exponent range (the sum of squares overflowing or underflowing
 * in doubles, subnormal and overflowing norms included), spread cyclically over the ranks, each
 * checked against the test-local exact sum by squaring the neighbouring midpoints exactly.
 */
static void test_nrm2_rounding(void)
{
    enum { NCASE = 3000, NMAX = 40 };
    static const double ex[2] = {0x1.bcd9dbb49673p+0, 0x1.9678f88d73ae2p+0};
    dc_env_t *env = dct_env_create();
    double g[NMAX], loc[NMAX], r = -1.0, r2 = -1.0;
    uint64_t bits;
    int c, bad = 0, rc, nfail_old = 0;

    if (env == NULL)
        return;
    /* the example: one entry on the first rank, one on the last */
    loc[0] = dct_rank == 0 ? ex[0] : ex[1];
    loc[1] = ex[1];
    rc = dc_nrm2(env, loc, dct_size == 1 ? 2 : (dct_rank == 0 || dct_rank == dct_size - 1),
                 DC_REPRO_EXACT, &r);
    memcpy(&bits, &r, sizeof(bits));
    if (rc != DC_SUCCESS || bits != 0x4002d4b44f21cac8ULL)
        fprintf(stderr, "[rank %d] nrm2 of the issue's pair: rc %d, %016llx (%a)\n", dct_rank, rc,
                (unsigned long long)bits, r);
    DCT_ASSERT_ALL(rc == DC_SUCCESS && bits == 0x4002d4b44f21cac8ULL);

    for (c = 0; c < NCASE; c++) {
        uint64_t seed = 91000 + (uint64_t)c;
        int n = 1 + (int)((dct_rand(seed, 1000) + 1.0) * 0.5 * NMAX), i, nl = 0;
        int e0 = (int)(dct_rand(seed, 1001) * 1090.0), spread = c % 4 == 0 ? 1200 : 60;
        xa_t s;

        if (n > NMAX)
            n = NMAX;
        xa_init(&s);
        for (i = 0; i < n; i++) {
            int e = e0 + (int)(dct_rand(seed, 2 * (uint64_t)i + 1) * spread);
            g[i] = ldexp(dct_rand(seed, 2 * (uint64_t)i), e < 1023 ? e : 1023);
            xa_add_prod(&s, g[i], g[i]);
            if (i % dct_size == (c + dct_rank) % dct_size)
                loc[nl++] = g[i];
        }
        r = -1.0;
        rc = dc_nrm2(env, loc, (size_t)nl, DC_REPRO_EXACT, &r);
        if (rc != DC_SUCCESS || !nrm2_correct(&s, r)) {
            if (bad < 5)
                fprintf(stderr,
                        "[rank %d] nrm2 case %d (n %d, 2^%d): rc %d, %a not correctly "
                        "rounded\n",
                        dct_rank, c, n, e0, rc, r);
            bad++;
        }
        /* the root of the rounded sum of squares would fail here (the test can fail) */
        if (isfinite(xa_round(&s)) && xa_round(&s) > 0x1p-1000 &&
            !nrm2_correct(&s, sqrt(xa_round(&s))))
            nfail_old++;
    }
    CU_ASSERT_EQUAL(bad, 0);
    DCT_ASSERT_ALL(bad == 0);
    CU_ASSERT(nfail_old > NCASE / 50);

    /* the vector front end gives the same bits on a block layout */
    {
        dc_layout_t *l = NULL;
        dc_vec_t *v = NULL;

        rc = dc_layout_create_block(env, 2, &l);
        if (rc == DC_SUCCESS)
            rc = dc_vec_create(l, &v);
        if (rc == DC_SUCCESS)
            rc = dc_vec_fill(v, fill_from, (void *)ex);
        if (dct_all(rc == DC_SUCCESS))
            rc = dc_vec_nrm2_repro(v, DC_REPRO_EXACT, &r2);
        DCT_ASSERT_ALL(rc == DC_SUCCESS && dct_same_bits(r2, 0x1.2d4b44f21cac8p+1));
        dc_vec_destroy(&v);
        dc_layout_destroy(&l);
    }
    dc_env_destroy(&env);
}

/* ---------------------------------------------------------------- the kernels themselves */

/*
 * Every summation kernel this CPU can run (generic, AVX2, AVX-512), called directly, for every
 * kind and mode, at lengths around every step, block and prefetch boundary, on data that drives
 * every path (narrow, wide, rerun, leftovers, slow blocks, failed guesses): the accumulated
 * value must equal the test's own exact sum of the same terms, digit for digit.
 */
typedef struct {
    const char *name;
    dci_rk_run_fn *fn;
    int ok; /* the CPU runs it */
} kern_t;

static int kern_list(kern_t *k)
{
    int nk = 0;

    k[nk].name = "generic";
    k[nk].fn = dci_rk_run_generic;
    k[nk++].ok = 1;
#if defined(DC_HAVE_X86_KERNELS) && defined(__GNUC__)
    __builtin_cpu_init();
    k[nk].name = "avx2";
    k[nk].fn = dci_rk_run_avx2;
    k[nk++].ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    k[nk].name = "avx512";
    k[nk].fn = dci_rk_run_avx512;
    k[nk++].ok = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
                 __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
#endif
    return nk;
}

/* x^2 rounded to 53 bits, ties to even, with an unbounded exponent (the binned square) */
static void xa_add_square_rounded(xa_t *a, double x)
{
    uint64_t m;
    int e, len;
    u128 p;

    if (!isfinite(x)) {
        xa_add(a, x * x);
        return;
    }
    split_d(x, &m, &e);
    p = (u128)m * m;
    e *= 2;
    len = bitlen(p);
    if (len > 53) {
        int sh = len - 53;
        u128 rem = p & (((u128)1 << sh) - 1), half = (u128)1 << (sh - 1);
        p >>= sh;
        e += sh;
        if (rem > half || (rem == half && (p & 1)))
            p++;
    }
    xa_add_m(a, 0, p, e);
}

/* The library's accumulator as the test's: digits of 2^(DCI_RACC_W i - DCI_RACC_OFFSET). */
static void xa_from_racc(xa_t *a, const dci_racc_t *acc)
{
    dci_racc_t t = *acc;
    int i;

    dci_racc_normalize(&t);
    xa_init(a);
    for (i = 0; i < DCI_RACC_NDIG; i++)
        if (t.d[i] != 0)
            xa_add_m(a, t.d[i] < 0, (u128)(t.d[i] < 0 ? -(uint64_t)t.d[i] : (uint64_t)t.d[i]),
                     DCI_RACC_W * i - DCI_RACC_OFFSET);
    a->nan = (int)t.nnan;
    a->pinf = (int)t.npinf;
    a->ninf = (int)t.nninf;
}

enum {
    KD_UNIFORM,
    KD_WIDE,
    KD_HUGE_RANGE,
    KD_SPARSE,
    KD_TINY,
    KD_HUGE,
    KD_BLOCKS,
    KD_SPECIAL,
    KD_N
};
static const char *const kd_names[KD_N] = {"uniform", "wide", "huge range", "sparse",
                                           "tiny",    "huge", "blocks",     "special"};

static double kd_value(int t, uint64_t seed, size_t i)
{
    double r = dct_rand(seed, i), u = urand(seed + 1, i);

    switch (t) {
    case KD_UNIFORM: return r;
    case KD_WIDE: return ldexp(r, (int)(u * 80) - 40);
    case KD_HUGE_RANGE: return ldexp(r, (int)(u * 1200) - 600);
    case KD_SPARSE: return u < 0.75 ? 0.0 : ldexp(r, (int)(urand(seed + 2, i) * 100) - 50);
    case KD_TINY: return ldexp(r, -1000 - (int)(u * 74));
    case KD_HUGE: return ldexp(r, 980 + (int)(u * 44));
    case KD_BLOCKS: return ldexp(r, 35 * (int)((i / 1024) % 5) - 70 + (int)(u * 8));
    default:
        if (i % 997 == 13)
            return i % 3 == 0 ? NAN : (i % 3 == 1 ? INFINITY : -INFINITY);
        return r;
    }
}

static void test_kernels(void)
{
    static const size_t lens[] = {1,    2,    3,    4,    5,    7,    8,    9,    15,   16,
                                  17,   31,   32,   33,   63,   64,   65,   1023, 1024, 1025,
                                  2047, 2048, 2049, 3071, 3072, 3073, 5000, 9000};
    enum { NLEN = sizeof(lens) / sizeof(lens[0]), NMAXK = 9000 };
    kern_t ks[3];
    int nk = kern_list(ks), ki, t, li, kind, ex, bad = 0, ncase = 0, nrun = 0;
    double *x = malloc(sizeof(double) * NMAXK), *y = malloc(sizeof(double) * NMAXK);

    if (x == NULL || y == NULL) {
        CU_FAIL("out of memory");
        free(x);
        free(y);
        return;
    }
    for (ki = 0; ki < nk; ki++) {
        size_t paths[DCI_RK_NPATHS + 1] = {0};
        int p;

        if (!ks[ki].ok) {
            if (dct_rank == 0)
                printf("\n  (kernel %s: not supported by this CPU, not tested)", ks[ki].name);
            continue;
        }
        nrun++;
        for (t = 0; t < KD_N; t++)
            for (li = 0; li < NLEN; li++) {
                size_t n = lens[li], i;
                uint64_t seed = 500000 + (uint64_t)(t * 100 + li) * 10;

                if (ncase++ % dct_size != dct_rank) /* the ranks share the cases */
                    continue;
                for (i = 0; i < n; i++) {
                    x[i] = kd_value(t, seed, i);
                    y[i] = kd_value(t == KD_TINY ? KD_UNIFORM : t, seed + 5, i);
                }
                for (kind = DCI_RACC_SUM; kind <= DCI_RACC_SUMSQ; kind++)
                    for (ex = 0; ex < 2; ex++) {
                        dci_racc_t acc;
                        xa_t got, want;
                        const double *yy = kind == DCI_RACC_DOT ? y : x;
                        int exact = ex && (kind == DCI_RACC_DOT || kind == DCI_RACC_SUMSQ);

                        if (ex && !exact)
                            continue;
                        dci_racc_init(&acc);
                        ks[ki].fn(&acc, (dci_racc_kind_t)kind, exact, x, yy, n, paths);
                        xa_from_racc(&got, &acc);
                        xa_init(&want);
                        for (i = 0; i < n; i++) {
                            volatile double pr = x[i] * yy[i]; /* fl(x*y), never fused */
                            switch (kind) {
                            case DCI_RACC_SUM: xa_add(&want, x[i]); break;
                            case DCI_RACC_ASUM: xa_add(&want, fabs(x[i])); break;
                            case DCI_RACC_DOT:
                                if (exact)
                                    xa_add_prod(&want, x[i], y[i]);
                                else
                                    xa_add(&want, pr);
                                break;
                            default:
                                if (exact)
                                    xa_add_prod(&want, x[i], x[i]);
                                else
                                    xa_add_square_rounded(&want, x[i]);
                            }
                        }
                        if (xa_cmp(&got, &want) != 0 || got.nan != want.nan ||
                            got.pinf != want.pinf || got.ninf != want.ninf) {
                            if (bad < 10)
                                fprintf(stderr,
                                        "[rank %d] kernel %s, kind %d, exact %d, %s data, n %zu: "
                                        "%a, wanted %a\n",
                                        dct_rank, ks[ki].name, kind, exact, kd_names[t], n,
                                        xa_round(&got), xa_round(&want));
                            bad++;
                        }
                    }
            }
        /* every path was taken somewhere (over all ranks' cases) */
        for (p = 0; p <= DCI_RK_NPATHS; p++) {
            long mine = (long)paths[p], all = 0;
            MPI_Allreduce(&mine, &all, 1, MPI_LONG, MPI_SUM, dct_comm);
            if (all == 0)
                fprintf(stderr, "[rank %d] kernel %s: path %d never taken\n", dct_rank, ks[ki].name,
                        p);
            CU_ASSERT(all > 0);
        }
    }
    CU_ASSERT(nrun >= 1);
    CU_ASSERT_EQUAL(bad, 0);
    DCT_ASSERT_ALL(bad == 0);
    free(x);
    free(y);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("repro", suite_init, suite_clean);

    CU_add_test(s, "test-local exact reference", test_reference_self_check);
    CU_add_test(s, "same bits for every partition (P' = 1..6)", test_partitions);
    CU_add_test(s, "accuracy of the modes", test_accuracy);
    CU_add_test(s, "plain mode", test_plain_mode);
    CU_add_test(s, "node-aware env, env default mode, empty", test_env_modes);
    CU_add_test(s, "vectors on block/cyclic/weighted layouts", test_vec_layouts);
    CU_add_test(s, "bad input travels with the reduction", test_bad_input);
    CU_add_test(s, "EXACT nrm2 correctly rounded", test_nrm2_rounding);
    CU_add_test(s, "every kernel variant against the exact sum", test_kernels);
}
