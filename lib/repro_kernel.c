/*
 * Vector kernel of the reproducible-summation engine, compiled once per instruction set
 * (-DDCI_KSUFFIX=generic|avx2|avx512). Per block, pass A finds the largest term and checks ranges,
 * pass B deposits every term exactly into a few floating-point "folds" placed by pass A's result;
 * both run in one pass under a plan guessed from the previous block. All variants are exact.
 */
#include <string.h>

#include "repro.h"
#include "repro_kernel.h"

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

#if defined(__FAST_MATH__) || (defined(__FINITE_MATH_ONLY__) && __FINITE_MATH_ONLY__)
#error "repro_kernel.c relies on IEEE arithmetic: compile it without -ffast-math"
#endif

#ifndef DCI_KSUFFIX
#define DCI_KSUFFIX generic
#endif
#define RK_CAT2(a, b) a##b
#define RK_CAT(a, b)  RK_CAT2(a, b)
#define RK_ENTRY      RK_CAT(dci_rk_run_, DCI_KSUFFIX)

/* Lanes per vector; the generic variant uses 16-byte vectors (SSE2, NEON) and no FMA. */
#if defined(__AVX512F__)
#define RK_W 8
#elif defined(__AVX2__) && defined(__FMA__)
#define RK_W 4
#else
#define RK_W 2
#endif
#define RK_U    2 /* independent fold sets, to hide the add latency */
#define RK_STEP (RK_W * RK_U)

typedef double vd __attribute__((vector_size(8 * RK_W)));
typedef int64_t vi __attribute__((vector_size(8 * RK_W)));

#define RK_ABS  INT64_MAX
#define RK_SIGN INT64_MIN
#define RK_INF  ((int64_t)0x7ff0000000000000)
#define RK_MANT (((int64_t)1 << 52) - 1)
#define RK_HALF ((int64_t)1 << 51)

/*
 * A fold anchored at 2^b starts at 1.5*2^(b+52) and takes terms below 2^(b+RK_D). One of its
 * RK_W*RK_U accumulators receives at most 2*DCI_RK_BLOCK/(RK_W*RK_U) = 2^(50-RK_D) terms, so it
 * moves by less than 2^(b+51) and keeps its binade (ulp 2^b). Folds are spaced RK_D bits apart;
 * their anchors need not lie on the digit grid since their integers are deposited exactly.
 */
#if RK_W == 8
#define RK_D 43
#elif RK_W == 4
#define RK_D 42
#else
#define RK_D 41
#endif
/*
 * Fold sets. The rounded terms h go through the h folds, anchored at b0 - j*RK_D; in exact mode
 * the exact rests l (|l| <= 2^-53 |h| < 2^(b0+RK_D-53)) go through folds of their own, anchored
 * at b0 - 53 - j*RK_D, so no fold is updated twice per term. Narrow: 2 h folds (and 2 l
 * folds), enough for the terms within about 2^-(2*RK_D-52) of the block's largest. Wide: 4
 * (and 4), for blocks of wider range; a block runs wide after narrow left something over,
 * until narrow would do.
 */
#define RK_NH       2
#define RK_NH_WIDE  4
#define RK_NL_OFF   53 /* the l folds sit 53 bits below the h folds */
#define RK_NF_MAX   4
#define RK_B_MAX    970     /* highest anchor: 1.5*2^(b+52) must stay finite */
#define RK_B_MIN    (-1074) /* lowest anchor: b + 52 >= -1022 keeps the folds normal */
#define RK_PROD_MIN (-960)  /* products below 2^-960 lose their exact error term */
/* Products of at least 2^-967 have an exact error term (their lsb is >= 2^-1074). */
#define RK_PROD_SAFE ((int64_t)(-967 + 1023) << 52)
#define RK_SQ_MIN    (-480) /* SUMSQ: scaled |x| below 2^-480 would square inexactly */

_Static_assert(((int64_t)2 * DCI_RK_BLOCK / (RK_W * RK_U) << RK_D) <= (int64_t)1 << 50,
               "a fold could leave its binade within a block");

/*
 * Keep a product out of reach of contraction: without this a compiler allowed to contract
 * (GCC's default in GNU mode) may fuse x*y into the following fold addition.
 */
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define RK_OPAQUE(v) __asm__("" : "+v"(v))
#elif defined(__GNUC__) && defined(__aarch64__)
#define RK_OPAQUE(v) __asm__("" : "+w"(v))
#else
#define RK_OPAQUE(v) ((void)0)
#endif

#define RK_INLINE static inline __attribute__((always_inline))
/* The fold arrays must live in registers: their loops have constant bounds and are unrolled. */
#if defined(__clang__)
#define RK_UNROLL _Pragma("unroll")
#elif defined(__GNUC__)
#define RK_UNROLL _Pragma("GCC unroll 16")
#else
#define RK_UNROLL
#endif

RK_INLINE vd rk_ld(const double *p)
{
    vd v;

    memcpy(&v, p, sizeof(v));
    return v;
}

RK_INLINE void rk_st(double *p, vd v)
{
    memcpy(p, &v, sizeof(v));
}

RK_INLINE vd rk_splat(double c)
{
    vd v = {0};
    int i;

    for (i = 0; i < RK_W; i++)
        v[i] = c;
    return v;
}

RK_INLINE vi rk_splati(int64_t c)
{
    vi v = {0};
    int i;

    for (i = 0; i < RK_W; i++)
        v[i] = c;
    return v;
}

RK_INLINE vi rk_max(vi a, vi b)
{
#if RK_W == 8
    return (vi)_mm512_max_epi64((__m512i)a, (__m512i)b);
#elif RK_W == 4
    return (vi)_mm256_blendv_pd((__m256d)b, (__m256d)a,
                                (__m256d)_mm256_cmpgt_epi64((__m256i)a, (__m256i)b));
#else
    vi gt = (vi)(a > b);

    return (a & gt) | (b & ~gt);
#endif
}

#if RK_W != 8
RK_INLINE vi rk_min(vi a, vi b)
{
#if RK_W == 4
    return (vi)_mm256_blendv_pd((__m256d)a, (__m256d)b,
                                (__m256d)_mm256_cmpgt_epi64((__m256i)a, (__m256i)b));
#else
    vi gt = (vi)(a > b);

    return (b & gt) | (a & ~gt);
#endif
}
#endif

/* The exact error a*b - p of p = fl(a*b), for products that neither overflow nor underflow. */
RK_INLINE vd rk_prod_err(vd a, vd b, vd p)
{
#if RK_W == 8
    return (vd)_mm512_fmsub_pd((__m512d)a, (__m512d)b, (__m512d)p);
#elif RK_W == 4
    return (vd)_mm256_fmsub_pd((__m256d)a, (__m256d)b, (__m256d)p);
#else
    /* Dekker's TwoProduct with Veltkamp's split: needs |a|, |b| < 2^995 (checked in pass A) */
    vd c = rk_splat(134217729.0);
    vd t, ah, al, bh, bl, hh, hl, lh, ll;

    t = c * a;
    RK_OPAQUE(t);
    ah = t - (t - a);
    al = a - ah;
    t = c * b;
    RK_OPAQUE(t);
    bh = t - (t - b);
    bl = b - bh;
    hh = ah * bh;
    RK_OPAQUE(hh);
    lh = al * bh;
    RK_OPAQUE(lh);
    hl = ah * bl;
    RK_OPAQUE(hl);
    ll = al * bl;
    RK_OPAQUE(ll);
    return ll - (((p - hh) - lh) - hl);
#endif
}

/* a - b, computed as a*1 - b on the FMA units where there are some (one rounding: same bits) */
RK_INLINE vd rk_sub1(vd a, vd b)
{
#if RK_W == 8
    return (vd)_mm512_fmsub_pd((__m512d)a, (__m512d)rk_splat(1.0), (__m512d)b);
#elif RK_W == 4
    return (vd)_mm256_fmsub_pd((__m256d)a, (__m256d)rk_splat(1.0), (__m256d)b);
#else
    return a - b;
#endif
}

/*
 * Exact Fast2Sum of r into fold s (|s| >= 2^9 |r| by construction): s takes r rounded to the
 * fold's ulp, r keeps the exact rest. Ties need no care since the rest is kept. The last
 * subtraction goes to the FMA units, which pass B otherwise leaves idle.
 */
#define RK_FOLD(s, r)                                                                              \
    do {                                                                                           \
        vd q_ = (s) + (r);                                                                         \
        vd t_ = q_ - (s);                                                                          \
        (r) = rk_sub1((r), t_);                                                                    \
        (s) = q_;                                                                                  \
    } while (0)

/* Block statistics from pass A (int64 bit patterns of non-negative doubles order like values). */
typedef struct {
    int64_t mt;     /* max |term| (SUMSQ: max |x|) */
    int64_t wx, wy; /* min over nonzero |x|, |y|, as (bits - 1) ^ sign; INT64_MAX: none */
    int64_t ax, ay; /* max |x|, |y| (generic exact DOT only) */
    int64_t wp;     /* exact DOT: min |fl(x*y)| including zeros */
} rk_stat_t;

/* Where pass B deposits. */
typedef struct {
    int b0;       /* anchor exponent of fold 0, in the scaled frame */
    int shift;    /* SUMSQ: digit shift of the scaled frame */
    int wide_ok;  /* the wide set's lowest fold stays normal */
    double scale; /* SUMSQ: x is scaled by 2^(-20 shift), so x^2 by 2^(-40 shift) */
} rk_plan_t;

enum { RK_GO, RK_ZERO, RK_SLOW };

static int64_t rk_hmax(vi v)
{
    int64_t m = v[0];
    int i;

    for (i = 1; i < RK_W; i++)
        m = v[i] > m ? v[i] : m;
    return m;
}

static int64_t rk_hmin(vi v)
{
    int64_t m = v[0];
    int i;

    for (i = 1; i < RK_W; i++)
        m = v[i] < m ? v[i] : m;
    return m;
}

static double rk_bits2d(int64_t b)
{
    double d;

    memcpy(&d, &b, sizeof(d));
    return d;
}

static int64_t rk_d2bits(double d)
{
    int64_t b;

    memcpy(&b, &d, sizeof(b));
    return b;
}

/* floor(log2(v)) of a positive finite double given by its bits. */
static int rk_exp(int64_t b)
{
    int be = (int)(b >> 52);

    if (be > 0)
        return be - 1023;
    return 63 - __builtin_clzll((unsigned long long)b) - 1074;
}

/* 2^e as a double, for -1074 <= e <= 1023. */
static double rk_pow2(int e)
{
    if (e >= -1022)
        return rk_bits2d((int64_t)(e + 1023) << 52);
    return rk_bits2d((int64_t)1 << (e + 1074));
}

/* A fold's start value 1.5*2^(b+52): its ulp is 2^b. */
static double rk_anchor(int b)
{
    return rk_bits2d(((int64_t)(b + 52 + 1023) << 52) | RK_HALF);
}

/* Anchor of the lowest fold of a set. */
static int rk_lowest(int b0, int exact, int wide)
{
    int nf = wide ? RK_NH_WIDE : RK_NH;

    return b0 - (exact ? RK_NL_OFF : 0) - (nf - 1) * RK_D;
}

static int rk_plan(const rk_stat_t *st, dci_racc_kind_t kind, int exact, rk_plan_t *pl)
{
    int64_t mt = st->mt;
    int e, k;

    if (mt >= RK_INF)
        return RK_SLOW;
    pl->shift = 0;
    pl->scale = 1.0;
    if (kind == DCI_RACC_DOT && exact) {
        if (st->wx != INT64_MAX && st->wy != INT64_MAX) {
            double mx = rk_bits2d((st->wx ^ RK_SIGN) + 1);
            double my = rk_bits2d((st->wy ^ RK_SIGN) + 1);

            if (mx * my < rk_pow2(RK_PROD_MIN))
                return RK_SLOW;
        }
#if RK_W == 2
        if (st->ax >= ((int64_t)(995 + 1023) << 52) || st->ay >= ((int64_t)(995 + 1023) << 52))
            return RK_SLOW;
#endif
    }
    if (mt == 0)
        return RK_ZERO;
    if (kind == DCI_RACC_SUMSQ) {
        double xs;
        int te;

        /* scale so that the largest |x| lands in [1, 2^20): squares in [1, 2^40) */
        e = rk_exp(mt);
        k = e >= 0 ? e / 20 : -((19 - e) / 20);
        if (k < -51)
            k = -51;
        te = RK_SQ_MIN + 20 * k;
        if (te >= -1074 && (st->wx ^ RK_SIGN) + 1 < rk_d2bits(rk_pow2(te)))
            return RK_SLOW;
        pl->shift = k;
        pl->scale = rk_pow2(-20 * k);
        xs = rk_bits2d(mt) * pl->scale;
        mt = rk_d2bits(xs * xs);
    }
    /* the largest term is below 2^(e+1) = 2^(b0+RK_D) */
    e = rk_exp(mt);
    pl->b0 = e + 1 - RK_D;
    if (pl->b0 > RK_B_MAX || rk_lowest(pl->b0, exact, 0) < RK_B_MIN)
        return RK_SLOW;
    pl->wide_ok = rk_lowest(pl->b0, exact, 1) >= RK_B_MIN;
    return RK_GO;
}

/* ---------------------------------------------------------------- pass A */

/*
 * Minimum over the nonzero |x| of (bits - 1): zero maps to the largest value and drops out.
 * AVX-512 compares unsigned directly; elsewhere the sign bit is flipped for a signed compare.
 */
#if RK_W == 8
#define RK_MINNZ_INIT    ((int64_t)-1)
#define RK_MINNZ(w, a)   ((vi)_mm512_min_epu64((__m512i)(w), (__m512i)((a)-1)))
#define RK_MINNZ_FLIP(w) ((w) ^ RK_SIGN)
#else
#define RK_MINNZ_INIT    INT64_MAX
#define RK_MINNZ(w, a)   rk_min((w), ((a)-1) ^ RK_SIGN)
#define RK_MINNZ_FLIP(w) (w)
#endif

/* Signed minimum (of non-negative bit patterns here). */
#if RK_W == 8
#define RK_MIN(a, b) ((vi)_mm512_min_epi64((__m512i)(a), (__m512i)(b)))
#else
#define RK_MIN(a, b) rk_min((a), (b))
#endif

typedef struct {
    vi m, wx, wy, ax, ay, wp;
} rk_pa_t;

RK_INLINE void rk_a_init(rk_pa_t *s)
{
    s->m = s->ax = s->ay = rk_splati(0);
    s->wx = s->wy = rk_splati(RK_MINNZ_INIT);
    s->wp = rk_splati(INT64_MAX);
}

/*
 * One step (RK_STEP elements) of pass A. An exact DOT only tracks min |fl(x*y)| (one operation):
 * when that is below RK_PROD_SAFE (zeros included), the block is scanned again with careful set,
 * for the minima over the nonzero |x| and |y| that rk_plan then checks.
 */
RK_INLINE void rk_a_step(rk_pa_t *s, const double *x, const double *y, dci_racc_kind_t kind,
                         int exact, int careful)
{
    vd xv = rk_ld(x), xv2 = rk_ld(x + RK_W);

    if (kind != DCI_RACC_DOT) {
        vi a = (vi)xv & RK_ABS, a2 = (vi)xv2 & RK_ABS;

        s->m = rk_max(s->m, rk_max(a, a2));
        if (kind == DCI_RACC_SUMSQ)
            s->wx = RK_MINNZ(RK_MINNZ(s->wx, a), a2);
    } else {
        vd yv = rk_ld(y), yv2 = rk_ld(y + RK_W);
        vd p = xv * yv, p2 = xv2 * yv2;

        vi ap = (vi)p & RK_ABS, ap2 = (vi)p2 & RK_ABS;

        s->m = rk_max(s->m, rk_max(ap, ap2));
        if (exact && !careful)
            s->wp = RK_MIN(s->wp, RK_MIN(ap, ap2));
        if (exact && careful) {
            vi a = (vi)xv & RK_ABS, b = (vi)yv & RK_ABS;
            vi a2 = (vi)xv2 & RK_ABS, b2 = (vi)yv2 & RK_ABS;

            s->wx = RK_MINNZ(RK_MINNZ(s->wx, a), a2);
            s->wy = RK_MINNZ(RK_MINNZ(s->wy, b), b2);
        }
#if RK_W == 2
        if (exact) {
            s->ax = rk_max(s->ax, rk_max((vi)xv & RK_ABS, (vi)xv2 & RK_ABS));
            s->ay = rk_max(s->ay, rk_max((vi)yv & RK_ABS, (vi)yv2 & RK_ABS));
        }
#endif
    }
}

RK_INLINE void rk_a_finish(const rk_pa_t *s, rk_stat_t *st)
{
    vi wx = RK_MINNZ_FLIP(s->wx), wy = RK_MINNZ_FLIP(s->wy);

    st->mt = rk_hmax(s->m);
    st->wx = rk_hmin(wx);
    st->wy = rk_hmin(wy);
    st->ax = rk_hmax(s->ax);
    st->ay = rk_hmax(s->ay);
    st->wp = rk_hmin(s->wp);
}

/* ---------------------------------------------------------------- pass B */

/*
 * Fold registers: RK_U independent sets (vector u of a step goes to set u), each with the h
 * folds and, in exact mode, the l folds. Unused folds keep their anchor and add nothing.
 */
typedef struct {
    vd h[RK_U][RK_NF_MAX];
    vd l[RK_U][RK_NF_MAX];
    vd sc;
    vi orr; /* leftovers below the last fold */
    vi orn; /* wide set: what narrow would have left over */
} rk_pb_t;

RK_INLINE void rk_b_init(rk_pb_t *f, const rk_plan_t *pl, int exact, int wide)
{
    int u, j, nf = wide ? RK_NH_WIDE : RK_NH;

    RK_UNROLL

    for (j = 0; j < RK_NF_MAX; j++) {
        vd ah = rk_splat(rk_anchor(j < nf ? pl->b0 - j * RK_D : pl->b0));
        vd al = rk_splat(rk_anchor(exact && j < nf ? pl->b0 - RK_NL_OFF - j * RK_D : pl->b0));

        RK_UNROLL

        for (u = 0; u < RK_U; u++) {
            f->h[u][j] = ah;
            f->l[u][j] = al;
        }
    }
    f->sc = rk_splat(pl->scale);
    f->orr = f->orn = rk_splati(0);
}

/* The term(s) of one vector of elements: h, and in exact mode the exact rest l. */
RK_INLINE void rk_terms(const double *x, const double *y, vd sc, dci_racc_kind_t kind, int exact,
                        vd *h, vd *l)
{
    vd xv = rk_ld(x);

    if (kind == DCI_RACC_SUM) {
        *h = xv;
    } else if (kind == DCI_RACC_ASUM) {
        *h = (vd)((vi)xv & RK_ABS);
    } else if (kind == DCI_RACC_DOT) {
        vd yv = rk_ld(y);
        vd p = xv * yv;

        RK_OPAQUE(p);
        *h = p;
        if (exact)
            *l = rk_prod_err(xv, yv, p);
    } else {
        vd xs = xv * sc;
        vd p = xs * xs;

        RK_OPAQUE(p);
        *h = p;
        if (exact)
            *l = rk_prod_err(xs, xs, p);
    }
}

/*
 * One step (RK_STEP elements) of pass B. The OR of what is left tells whether some term reached
 * below the last fold; with store, the leftovers are written to rh, rl.
 */
RK_INLINE void rk_b_step(rk_pb_t *f, const double *x, const double *y, dci_racc_kind_t kind,
                         int exact, int wide, int store, double *rh, double *rl)
{
    vd h[RK_U], l[RK_U];
    vi o = rk_splati(0);
    int u, j;

    RK_UNROLL

    for (u = 0; u < RK_U; u++) {
        l[u] = f->sc;
        rk_terms(x + u * RK_W, y + u * RK_W, f->sc, kind, exact, &h[u], &l[u]);
    }
    RK_UNROLL
    for (j = 0; j < RK_NH; j++)
        RK_UNROLL
    for (u = 0; u < RK_U; u++) {
        RK_FOLD(f->h[u][j], h[u]);
        if (exact)
            RK_FOLD(f->l[u][j], l[u]);
    }
    RK_UNROLL
    for (u = 0; u < RK_U; u++)
        o |= exact ? (vi)h[u] | (vi)l[u] : (vi)h[u];
    if (wide) {
        f->orn |= o;
        o = rk_splati(0);
        RK_UNROLL
        for (j = RK_NH; j < RK_NH_WIDE; j++)
            RK_UNROLL
        for (u = 0; u < RK_U; u++) {
            RK_FOLD(f->h[u][j], h[u]);
            if (exact)
                RK_FOLD(f->l[u][j], l[u]);
        }
        RK_UNROLL
        for (u = 0; u < RK_U; u++)
            o |= exact ? (vi)h[u] | (vi)l[u] : (vi)h[u];
    }
    f->orr |= o;
    if (store) {
        RK_UNROLL
        for (u = 0; u < RK_U; u++) {
            rk_st(rh + u * RK_W, h[u]);
            if (exact)
                rk_st(rl + u * RK_W, l[u]);
        }
    }
}

static int64_t rk_hor(vi v)
{
    int64_t o = 0;
    int k;

    for (k = 0; k < RK_W; k++)
        o |= v[k];
    return o & RK_ABS;
}

/*
 * Integer value of each fold (in units of its ulp), summed over the sets: a fold in
 * [2^(b+52), 2^(b+53)) holds 2^51 plus its integer in the mantissa field.
 */
RK_INLINE void rk_b_finish(const rk_pb_t *f, int64_t *fh, int64_t *fl)
{
    int j, k, u;

    RK_UNROLL

    for (j = 0; j < RK_NF_MAX; j++) {
        vi vh = rk_splati(0), vl = rk_splati(0);

        RK_UNROLL

        for (u = 0; u < RK_U; u++) {
            vh += ((vi)f->h[u][j] & RK_MANT) - RK_HALF;
            vl += ((vi)f->l[u][j] & RK_MANT) - RK_HALF;
        }
        fh[j] = fl[j] = 0;
        RK_UNROLL
        for (k = 0; k < RK_W; k++) {
            fh[j] += vh[k];
            fl[j] += vl[k];
        }
    }
}

/*
 * Software prefetch distance (elements), 0: none. On Zen 4 at 2^24 elements, 2 processes, the
 * hardware prefetchers alone were faster: prefetching one block ahead cost the exact dot
 * 29-43 % and the binned one 10-17 % (an earlier measurement on Zen 5 had found +5 % for the
 * exact dot). Build with -DRK_PF_DIST=1024 to try it on another machine.
 */
#ifndef RK_PF_DIST
#define RK_PF_DIST 0
#endif

RK_INLINE void rk_prefetch(const double *p)
{
    __builtin_prefetch(p, 0, 3);
#if RK_STEP >= 16
    __builtin_prefetch(p + 8, 0, 3);
#endif
}

/* ---------------------------------------------------------------- the block pipeline */

/* Block k of the input: the last one, if short, is read from a zero-padded copy. */
typedef struct {
    const double *x, *y;   /* what the passes read */
    size_t n;              /* padded length, a multiple of RK_STEP */
    const double *rx, *ry; /* the caller's data */
    size_t rn;
} rk_blk_t;

static rk_blk_t rk_blk(const double *x, const double *y, size_t n, size_t k, const double *xp,
                       const double *yp)
{
    rk_blk_t b;
    size_t off = k * DCI_RK_BLOCK;

    b.rx = x + off;
    b.ry = y + off;
    b.rn = n - off < DCI_RK_BLOCK ? n - off : DCI_RK_BLOCK;
    b.x = b.rx;
    b.y = b.ry;
    b.n = b.rn;
    if (b.rn % RK_STEP != 0) {
        b.x = xp;
        b.y = yp;
        b.n = (b.rn + RK_STEP - 1) / RK_STEP * RK_STEP;
    }
    return b;
}

/* Pass A and pass B together over one block (the speculative single pass). */
RK_INLINE void rk_ab_loop(rk_pb_t *f, rk_pa_t *sa, const rk_blk_t *cur, const double *pfx,
                          const double *pfy, size_t pfn, dci_racc_kind_t kind, int exact, int wide)
{
    size_t i;

    for (i = 0; i < cur->n; i += RK_STEP) {
        if (RK_PF_DIST > 0 && i < pfn) {
            rk_prefetch(pfx + i);
            if (kind == DCI_RACC_DOT)
                rk_prefetch(pfy + i);
        }
        rk_a_step(sa, cur->x + i, cur->y + i, kind, exact, 0);
        rk_b_step(f, cur->x + i, cur->y + i, kind, exact, wide, 0, NULL, NULL);
    }
}

/*
 * Exact DOT: if some product is zero or below RK_PROD_SAFE, scan the block (in L1 now) for the
 * minima over the nonzero |x| and |y|, which tell rk_plan whether every error term is exact.
 */
RK_INLINE void rk_a_careful(rk_stat_t *st, const rk_blk_t *cur, dci_racc_kind_t kind, int exact)
{
    rk_pa_t sa;
    size_t i;

    if (kind != DCI_RACC_DOT || !exact || st->wp >= RK_PROD_SAFE)
        return;
    rk_a_init(&sa);
    for (i = 0; i < cur->n; i += RK_STEP)
        rk_a_step(&sa, cur->x + i, cur->y + i, kind, exact, 1);
    {
        vi wx = RK_MINNZ_FLIP(sa.wx), wy = RK_MINNZ_FLIP(sa.wy);

        st->wx = rk_hmin(wx);
        st->wy = rk_hmin(wy);
    }
}

RK_INLINE void rk_b_loop(rk_pb_t *f, const rk_blk_t *cur, dci_racc_kind_t kind, int exact, int wide,
                         int store, double *rh, double *rl)
{
    size_t i;

    for (i = 0; i < cur->n; i += RK_STEP)
        rk_b_step(f, cur->x + i, cur->y + i, kind, exact, wide, store, rh + i, rl + i);
}

/*
 * Finish a block folded under plan pl with the set *wide: rerun it wide if narrow left
 * something over, keep the leftovers if even wide did, deposit the folds, and choose the set
 * for the next block. Returns the path taken, or -1 (nothing deposited): go slow.
 */
RK_INLINE int rk_settle(dci_racc_t *acc, rk_pb_t *f, const rk_blk_t *cur, const rk_plan_t *pl,
                        dci_racc_kind_t kind, int exact, int *wide, int r, double *rh, double *rl)
{
    int64_t fh[RK_NF_MAX], fl[RK_NF_MAX];
    size_t i;
    int j, nf;

    if (!*wide && rk_hor(f->orr) != 0) {
        if (!pl->wide_ok)
            return -1;
        *wide = 1;
        rk_b_init(f, pl, exact, 1);
        rk_b_loop(f, cur, kind, exact, 1, 0, rh, rl);
        r = DCI_RK_RERUN;
    }
    if (*wide && rk_hor(f->orr) != 0) {
        /* rare: even the wide set left something; redo keeping the leftovers */
        rk_b_init(f, pl, exact, 1);
        rk_b_loop(f, cur, kind, exact, 1, 1, rh, rl);
        for (i = 0; i < cur->n; i++) {
            if (rh[i] != 0)
                dci_racc_add_scaled(acc, rh[i], pl->shift);
            if (exact && rl[i] != 0)
                dci_racc_add_scaled(acc, rl[i], pl->shift);
        }
        r = DCI_RK_LEFTOVER;
    }
    rk_b_finish(f, fh, fl);
    nf = *wide ? RK_NH_WIDE : RK_NH;
    for (j = 0; j < nf; j++) {
        dci_racc_add_int(acc, fh[j], pl->b0 - j * RK_D + DCI_RACC_W * pl->shift);
        if (exact)
            dci_racc_add_int(acc, fl[j], pl->b0 - RK_NL_OFF - j * RK_D + DCI_RACC_W * pl->shift);
    }
    if (*wide && rk_hor(f->orn) == 0)
        *wide = 0;
    return r;
}

/*
 * The plan for the next block, guessed from this block's: one bit of headroom for the next
 * maximum. The guess holds if the next block's own plan fits under it (rk_fits).
 */
static int rk_guess(const rk_plan_t *pl, int exact, rk_plan_t *sp)
{
    *sp = *pl;
    sp->b0 = pl->b0 + 1;
    sp->wide_ok = rk_lowest(sp->b0, exact, 1) >= RK_B_MIN;
    return sp->b0 <= RK_B_MAX;
}

static int rk_fits(const rk_plan_t *pl, const rk_plan_t *sp)
{
    return pl->b0 <= sp->b0 && pl->shift == sp->shift;
}

/*
 * Blocks are folded in one pass under a plan guessed from the previous block, while the same
 * pass computes the block's own statistics; if they show that the guess did not hold, nothing
 * was deposited and the block (now in L1) is folded again under its own plan. Memory thus
 * streams once, in order, as the hardware prefetchers like it.
 */
RK_INLINE void rk_run(dci_racc_t *acc, const double *x, const double *y, size_t n,
                      dci_racc_kind_t kind, int exact, size_t *paths)
{
    double xp[DCI_RK_BLOCK], yp[DCI_RK_BLOCK], rh[DCI_RK_BLOCK], rl[DCI_RK_BLOCK];
    size_t nblk = (n + DCI_RK_BLOCK - 1) / DCI_RK_BLOCK, k, i, tail = n % DCI_RK_BLOCK;
    rk_plan_t pl = {0}, sp = {0};
    int have = 0, wide = 0;

    if (n == 0)
        return;
    if (kind != DCI_RACC_DOT)
        y = x;
    if (tail % RK_STEP != 0) {
        /* zero padding: a zero term changes no fold */
        size_t np = (tail + RK_STEP - 1) / RK_STEP * RK_STEP;

        memcpy(xp, x + (n - tail), tail * sizeof(double));
        memset(xp + tail, 0, (np - tail) * sizeof(double));
        memcpy(yp, y + (n - tail), tail * sizeof(double));
        memset(yp + tail, 0, (np - tail) * sizeof(double));
    }
    for (k = 0; k < nblk; k++) {
        rk_blk_t cur = rk_blk(x, y, n, k, xp, yp);
        size_t pfo = (k * DCI_RK_BLOCK) + RK_PF_DIST;
        const double *pfx = pfo < n ? x + pfo : x, *pfy = pfo < n ? y + pfo : y;
        size_t pfn = pfo < n ? n - pfo : 0;
        rk_stat_t st;
        rk_pa_t sa;
        rk_pb_t f;
        int plan, r = -1;

        rk_a_init(&sa);
        if (have) {
            rk_b_init(&f, &sp, exact, wide);
            if (wide)
                rk_ab_loop(&f, &sa, &cur, pfx, pfy, pfn, kind, exact, 1);
            else
                rk_ab_loop(&f, &sa, &cur, pfx, pfy, pfn, kind, exact, 0);
            rk_a_finish(&sa, &st);
            rk_a_careful(&st, &cur, kind, exact);
            plan = rk_plan(&st, kind, exact, &pl);
            if (plan == RK_GO && rk_fits(&pl, &sp))
                r = rk_settle(acc, &f, &cur, &sp, kind, exact, &wide,
                              wide ? DCI_RK_WIDE : DCI_RK_FAST, rh, rl);
            else if (paths != NULL)
                paths[DCI_RK_MISS]++;
        } else {
            for (i = 0; i < cur.n; i += RK_STEP)
                rk_a_step(&sa, cur.x + i, cur.y + i, kind, exact, 0);
            rk_a_finish(&sa, &st);
            rk_a_careful(&st, &cur, kind, exact);
            plan = rk_plan(&st, kind, exact, &pl);
        }
        if (r < 0 && plan == RK_GO) {
            /* no usable guess: fold the block (in L1 now) under its own plan */
            if (!pl.wide_ok)
                wide = 0;
            rk_b_init(&f, &pl, exact, wide);
            if (wide)
                rk_b_loop(&f, &cur, kind, exact, 1, 0, rh, rl);
            else
                rk_b_loop(&f, &cur, kind, exact, 0, 0, rh, rl);
            r = rk_settle(acc, &f, &cur, &pl, kind, exact, &wide, wide ? DCI_RK_WIDE : DCI_RK_FAST,
                          rh, rl);
        }
        if (r < 0) {
            r = DCI_RK_FAST;
            if (plan != RK_ZERO) {
                dci_racc_slow_block(acc, kind, exact, cur.rx, cur.ry, cur.rn);
                r = DCI_RK_SLOW;
            }
        }
        if (paths != NULL)
            paths[r]++;
        have = plan == RK_GO && rk_guess(&pl, exact, &sp);
        if (have && !sp.wide_ok)
            wide = 0;
    }
}

#define RK_INSTANCE(name, kind, exact)                                                             \
    static __attribute__((noinline)) void name(dci_racc_t *acc, const double *x, const double *y,  \
                                               size_t n, size_t *paths)                            \
    {                                                                                              \
        rk_run(acc, x, y, n, kind, exact, paths);                                                  \
    }

RK_INSTANCE(rk_sum, DCI_RACC_SUM, 0)
RK_INSTANCE(rk_asum, DCI_RACC_ASUM, 0)
RK_INSTANCE(rk_dot, DCI_RACC_DOT, 0)
RK_INSTANCE(rk_dot_exact, DCI_RACC_DOT, 1)
RK_INSTANCE(rk_sumsq, DCI_RACC_SUMSQ, 0)
RK_INSTANCE(rk_sumsq_exact, DCI_RACC_SUMSQ, 1)

void RK_ENTRY(dci_racc_t *acc, dci_racc_kind_t kind, int exact, const double *x, const double *y,
              size_t n, size_t *paths)
{
    switch (kind) {
    case DCI_RACC_SUM: rk_sum(acc, x, y, n, paths); break;
    case DCI_RACC_ASUM: rk_asum(acc, x, y, n, paths); break;
    case DCI_RACC_DOT:
        if (exact)
            rk_dot_exact(acc, x, y, n, paths);
        else
            rk_dot(acc, x, y, n, paths);
        break;
    case DCI_RACC_SUMSQ:
        if (exact)
            rk_sumsq_exact(acc, x, y, n, paths);
        else
            rk_sumsq(acc, x, y, n, paths);
        break;
    }
}
