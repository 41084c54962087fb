/*
 * Reproducible summation engine, scalar part: exact deposits into the long accumulator, carry
 * normalisation, merge, correctly rounded conversion, and the dispatch of arrays to the vector
 * kernel chosen once for this CPU (repro_kernel.c, which works in blocks). Blocks the kernel
 * declines (non-finite, extreme ranges) are deposited here term by term, exactly.
 */
#include "dc_config.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

#include "repro.h"
#include "repro_kernel.h"

#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "repro.c needs IEEE NaN and infinity handling: compile it without -ffast-math"
#endif

__extension__ typedef unsigned __int128 u128;

#define DIG_MASK (((int64_t)1 << DCI_RACC_W) - 1)
/*
 * acc->pending bounds, in units of 2^40, how much any digit may have grown since the last
 * normalisation. Below 2^22 units every digit stays below 2^62 + 2^40: no int64 overflow.
 */
#define PENDING_MAX ((int64_t)1 << 22)

static void reserve(dci_racc_t *acc, int64_t units)
{
    if (acc->pending > PENDING_MAX - units)
        dci_racc_normalize(acc);
    acc->pending += units;
}

/*
 * Exact deposit of (-1)^neg * m * 2^e. Every nonzero value the engine deposits has e >= -2200
 * (nothing below 2^-2148 exists: squares of subnormals) and stays below 2^2280, so the three
 * digits touched lie inside d[].
 */
static void deposit(dci_racc_t *acc, int neg, uint64_t m, int e)
{
    int p, i;
    u128 w;
    int64_t d0, d1, d2;

    if (m == 0)
        return;
    p = e + DCI_RACC_OFFSET;
    i = p / DCI_RACC_W;
    w = (u128)m << (p % DCI_RACC_W);
    d0 = (int64_t)(w & DIG_MASK);
    d1 = (int64_t)((w >> DCI_RACC_W) & DIG_MASK);
    d2 = (int64_t)(w >> (2 * DCI_RACC_W));
    reserve(acc, 1);
    if (neg) {
        d0 = -d0;
        d1 = -d1;
        d2 = -d2;
    }
    acc->d[i] += d0;
    acc->d[i + 1] += d1;
    if (d2 != 0 && i + 2 < DCI_RACC_NDIG)
        acc->d[i + 2] += d2;
}

/* Split a finite double into sign, integer mantissa and exponent: |v| = m * 2^e. */
static int split(double v, uint64_t *m, int *e)
{
    uint64_t b;
    int be;

    memcpy(&b, &v, sizeof(b));
    be = (int)((b >> 52) & 0x7ff);
    *m = b & (((uint64_t)1 << 52) - 1);
    if (be != 0) {
        *m |= (uint64_t)1 << 52;
        *e = be - 1075;
    } else {
        *e = -1074;
    }
    return (int)(b >> 63);
}

static int bitlen128(u128 w)
{
    uint64_t hi = (uint64_t)(w >> 64), lo = (uint64_t)w;

    if (hi != 0)
        return 128 - __builtin_clzll(hi);
    return lo != 0 ? 64 - __builtin_clzll(lo) : 0;
}

/* Exact product of two finite doubles: up to 106 bits, deposited as two 64-bit pieces. */
static void deposit_product(dci_racc_t *acc, double x, double y)
{
    uint64_t mx, my;
    int ex, ey, neg = split(x, &mx, &ex) ^ split(y, &my, &ey);
    u128 p = (u128)mx * my;

    deposit(acc, neg, (uint64_t)p, ex + ey);
    deposit(acc, neg, (uint64_t)(p >> 64), ex + ey + 64);
}

/* x^2 rounded to 53 bits (to nearest, ties to even) with an unbounded exponent, as fl(x*x) is
 * when it neither overflows nor underflows: the binned SUMSQ term. */
static void deposit_square_rounded(dci_racc_t *acc, double x)
{
    uint64_t m;
    int e, len;
    u128 p;

    split(x, &m, &e);
    p = (u128)m * m;
    e *= 2;
    len = bitlen128(p);
    if (len > 53) {
        int sh = len - 53;
        u128 rem = p & (((u128)1 << sh) - 1), half = (u128)1 << (sh - 1);

        p >>= sh;
        if (rem > half || (rem == half && (p & 1)))
            p++;
        e += sh;
    }
    deposit(acc, 0, (uint64_t)p, e);
}

void dci_racc_init(dci_racc_t *acc)
{
    memset(acc, 0, sizeof(*acc));
}

void dci_racc_add_double(dci_racc_t *acc, double v)
{
    uint64_t m;
    int e, neg = split(v, &m, &e);

    if (e == 2047 - 1075) { /* exponent field all ones: infinity or NaN */
        if (m != ((uint64_t)1 << 52))
            acc->nnan++;
        else if (neg)
            acc->nninf++;
        else
            acc->npinf++;
        return;
    }
    deposit(acc, neg, m, e);
}

void dci_racc_add_scaled(dci_racc_t *acc, double v, int dshift)
{
    uint64_t m;
    int e, neg = split(v, &m, &e);

    deposit(acc, neg, m, e + DCI_RACC_W * dshift);
}

void dci_racc_add_int(dci_racc_t *acc, int64_t v, int e)
{
    deposit(acc, v < 0, v < 0 ? -(uint64_t)v : (uint64_t)v, e);
}

void dci_racc_normalize(dci_racc_t *acc)
{
    int64_t c = 0;
    int i, lo = 0, hi = DCI_RACC_NDIG - 2;

    /* the carry chain is the cost: run it only over the digits in use */
    while (lo <= hi && acc->d[lo] == 0)
        lo++;
    while (hi >= lo && acc->d[hi] == 0)
        hi--;
    for (i = lo; i <= hi; i++) {
        int64_t v = acc->d[i] + c;

        acc->d[i] = v & DIG_MASK;
        c = v >> DCI_RACC_W; /* arithmetic shift (GCC, Clang): floor(v / 2^40) */
    }
    /* above hi every digit but the top is zero */
    for (; i < DCI_RACC_NDIG - 1 && c != 0; i++) {
        if (c == -1) {
            for (; i < DCI_RACC_NDIG - 1; i++)
                acc->d[i] = DIG_MASK;
            break;
        }
        acc->d[i] = c & DIG_MASK;
        c >>= DCI_RACC_W;
    }
    acc->d[DCI_RACC_NDIG - 1] += c;
    acc->pending = 0;
}

void dci_racc_merge(dci_racc_t *acc, const dci_racc_t *other)
{
    dci_racc_t t = *other;
    int i;

    dci_racc_normalize(&t);
    reserve(acc, 2);
    for (i = 0; i < DCI_RACC_NDIG; i++)
        acc->d[i] += t.d[i];
    acc->nnan += t.nnan;
    acc->npinf += t.npinf;
    acc->nninf += t.nninf;
}

/*
 * Round the accumulated value to 53 bits, to nearest even: value = (-1)^neg * q * 2^t with
 * q <= 2^53. With clamp, t >= -1074 as for a double (subnormals, underflow to zero); without,
 * the exponent is unbounded. Returns 0 if the value is exactly zero.
 */
static int round53(const dci_racc_t *acc, int clamp, uint64_t *q_p, int *t_p, int *neg_p)
{
    dci_racc_t a = *acc;
    int k, lo, j, t, sh, sticky = 0, neg = 0;
    u128 w;
    uint64_t q;

    dci_racc_normalize(&a);
    if (a.d[DCI_RACC_NDIG - 1] < 0) {
        /* magnitude without a carry chain: -V = (W - d_lo) W^lo + sum (W - 1 - d_i) W^i
         * + (-d_top - 1) W^top, lo the lowest nonzero digit, W = 2^40 */
        neg = 1;
        for (lo = 0; a.d[lo] == 0; lo++)
            ;
        if (lo < DCI_RACC_NDIG - 1) {
            a.d[lo] = DIG_MASK + 1 - a.d[lo];
            for (k = lo + 1; k < DCI_RACC_NDIG - 1; k++)
                a.d[k] = DIG_MASK - a.d[k];
            a.d[DCI_RACC_NDIG - 1] = -a.d[DCI_RACC_NDIG - 1] - 1;
        } else {
            a.d[lo] = -a.d[lo];
        }
    }
    for (k = DCI_RACC_NDIG - 1; k >= 0 && a.d[k] == 0; k--)
        ;
    if (k < 0)
        return 0;
    /* at least 65 significant bits (or every digit), the rest only matters as sticky */
    w = (u128)a.d[k];
    for (lo = k; lo > 0 && (w >> 64) == 0; lo--)
        w = (w << DCI_RACC_W) | (u128)a.d[lo - 1];
    for (j = 0; j < lo; j++)
        sticky |= a.d[j] != 0;
    t = DCI_RACC_W * lo - DCI_RACC_OFFSET + bitlen128(w) - 53;
    if (clamp && t < -1074)
        t = -1074;
    sh = t - (DCI_RACC_W * lo - DCI_RACC_OFFSET);
    if (sh <= 0) {
        q = (uint64_t)(w << -sh); /* fewer than 54 bits in all: exact */
    } else if (sh >= 128) {
        q = 0; /* below half the smallest subnormal */
    } else {
        u128 rem = w & (((u128)1 << sh) - 1), half = (u128)1 << (sh - 1);

        q = (uint64_t)(w >> sh);
        if (rem > half || (rem == half && (sticky || (q & 1))))
            q++;
    }
    *q_p = q;
    *t_p = t;
    *neg_p = neg;
    return 1;
}

double dci_racc_to_double(const dci_racc_t *acc)
{
    uint64_t q, b;
    int t, neg;
    double v;

    if (acc->nnan > 0 || (acc->npinf > 0 && acc->nninf > 0))
        return NAN;
    if (acc->npinf > 0)
        return INFINITY;
    if (acc->nninf > 0)
        return -INFINITY;
    if (!round53(acc, 1, &q, &t, &neg))
        return 0.0;
    /* q * 2^t with q in [2^52, 2^53] (or less at t = -1074): the carry of q = 2^53 into the
     * exponent field, subnormals and overflow to infinity all come out of one addition */
    if (t > 971)
        b = (uint64_t)0x7ff << 52;
    else
        b = ((uint64_t)(t + 1074) << 52) + q;
    b |= (uint64_t)neg << 63;
    memcpy(&v, &b, sizeof(v));
    return v;
}

/* Sign of V - (M * 2^e)^2 for the accumulated value V (normalised copy) and M < 2^55. */
static int cmp_square(const dci_racc_t *acc, uint64_t m, int e)
{
    dci_racc_t a = *acc;
    u128 p = (u128)m * m;
    int k;

    deposit(&a, 1, (uint64_t)p, 2 * e);
    deposit(&a, 1, (uint64_t)(p >> 64), 2 * e + 64);
    dci_racc_normalize(&a);
    if (a.d[DCI_RACC_NDIG - 1] < 0)
        return -1;
    for (k = 0; k < DCI_RACC_NDIG; k++)
        if (a.d[k] != 0)
            return 1;
    return 0;
}

/*
 * A double-precision result candidate q * 2^t on the double grid: q in [2^52, 2^53) and
 * t >= -1074, or t = -1074 and q < 2^52 (subnormal or zero); t may exceed the double range.
 */
static void grid_next(uint64_t *q, int *t)
{
    if (++*q == (uint64_t)1 << 53) {
        *q = (uint64_t)1 << 52;
        ++*t;
    }
}

static void grid_prev(uint64_t *q, int *t)
{
    if (*q == (uint64_t)1 << 52 && *t > -1074) {
        *q = ((uint64_t)1 << 53) - 1;
        --*t;
    } else {
        --*q;
    }
}

/*
 * Correctly rounded sqrt of the exact accumulated value V >= 0. A candidate within a few ulps
 * comes from the square root of V rounded to 53 bits (two roundings); then the midpoints
 * between the candidate and its neighbours are squared exactly (at most 110 bits) and compared
 * with V in the accumulator, and the candidate moves until V lies between the squares of its
 * two midpoints (a tie, V equal to a midpoint's square, goes to the even neighbour). The
 * exponent is unbounded until the end: no overflow or underflow of V or of the squares, and
 * subnormal results are rounded on their own grid.
 */
double dci_racc_sqrt(const dci_racc_t *acc)
{
    dci_racc_t a;
    uint64_t q, b, sb;
    int t, neg, iter;
    double sq;

    if (acc->nnan > 0 || acc->nninf > 0)
        return NAN;
    if (acc->npinf > 0)
        return INFINITY;
    a = *acc;
    dci_racc_normalize(&a);
    if (!round53(&a, 0, &q, &t, &neg))
        return 0.0;
    if (neg)
        return NAN;
    /* sqrt(q * 2^t) = sqrt(q') * 2^(t'/2) with t' even; q' <= 2^54 is exact in a double and
     * its rounded root lies in [2^26, 2^27] */
    if (t % 2 != 0) {
        q <<= 1;
        t -= 1;
    }
    sq = sqrt((double)q);
    memcpy(&sb, &sq, sizeof(sb));
    t = t / 2 + (int)((sb >> 52) & 0x7ff) - 1075;
    q = (sb & (((uint64_t)1 << 52) - 1)) | ((uint64_t)1 << 52);
    if (t < -1074) {
        q = -1074 - t < 64 ? q >> (-1074 - t) : 0;
        t = -1074;
    }
    for (iter = 0; iter < 16; iter++) {
        int c = cmp_square(&a, 2 * q + 1, t - 1); /* the midpoint above */

        if (c > 0 || (c == 0 && (q & 1))) {
            grid_next(&q, &t);
            continue;
        }
        if (q == 0)
            break;
        if (q == (uint64_t)1 << 52 && t > -1074)
            c = cmp_square(&a, ((uint64_t)1 << 54) - 1, t - 2); /* the midpoint below */
        else
            c = cmp_square(&a, 2 * q - 1, t - 1);
        if (c < 0 || (c == 0 && (q & 1))) {
            grid_prev(&q, &t);
            continue;
        }
        break;
    }
    if (t > 971)
        return INFINITY;
    b = ((uint64_t)(t + 1074) << 52) + q;
    memcpy(&sq, &b, sizeof(sq));
    return sq;
}

/* ---------------------------------------------------------------- blocks and dispatch */

/* Exact deposit of every term of a block, one by one. */
void dci_racc_slow_block(dci_racc_t *acc, dci_racc_kind_t kind, int exact, const double *x,
                         const double *y, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        switch (kind) {
        case DCI_RACC_SUM: dci_racc_add_double(acc, x[i]); break;
        case DCI_RACC_ASUM: dci_racc_add_double(acc, fabs(x[i])); break;
        case DCI_RACC_DOT:
            if (exact && isfinite(x[i]) && isfinite(y[i]))
                deposit_product(acc, x[i], y[i]);
            else
                dci_racc_add_double(acc, x[i] * y[i]);
            break;
        case DCI_RACC_SUMSQ:
            if (!isfinite(x[i]))
                dci_racc_add_double(acc, x[i] * x[i]);
            else if (exact)
                deposit_product(acc, x[i], x[i]);
            else
                deposit_square_rounded(acc, x[i]);
            break;
        }
    }
}

static dci_rk_run_fn *pick_kernel(void)
{
#if defined(DC_HAVE_X86_KERNELS) && defined(__GNUC__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma"))
        return dci_rk_run_avx512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return dci_rk_run_avx2;
#endif
    return dci_rk_run_generic;
}

dci_rk_run_fn *dci_rk_best(void)
{
    /* every thread computes the same pointer, so a relaxed race is harmless */
    static dci_rk_run_fn *_Atomic best;
    dci_rk_run_fn *fn = atomic_load_explicit(&best, memory_order_relaxed);

    if (fn == NULL) {
        fn = pick_kernel();
        atomic_store_explicit(&best, fn, memory_order_relaxed);
    }
    return fn;
}

void dci_racc_add_kernel(dci_racc_t *acc, dci_rk_run_fn *fn, dci_racc_kind_t kind, int exact,
                         const double *x, const double *y, size_t n)
{
    exact = exact != 0 && (kind == DCI_RACC_DOT || kind == DCI_RACC_SUMSQ);
    if (kind != DCI_RACC_DOT)
        y = x;
    if (n > 0 && kind >= DCI_RACC_SUM && kind <= DCI_RACC_SUMSQ)
        fn(acc, kind, exact, x, y, n, NULL);
}

void dci_racc_add(dci_racc_t *acc, dci_racc_kind_t kind, int exact, const double *x,
                  const double *y, size_t n)
{
    dci_racc_add_kernel(acc, dci_rk_best(), kind, exact, x, y, n);
}
