/*
 * Internal interface of the reproducible-summation engine (lib/repro.c, lib/repro_kernel.c).
 * A dci_racc_t is an exact long accumulator: integer digits on a fixed global grid of
 * 2^(DCI_RACC_W*i - DCI_RACC_OFFSET). Whatever the order or partition of the deposits, the
 * accumulated value is the exact sum, so its rounding to double is bitwise reproducible.
 */
#ifndef DC_REPRO_H
#define DC_REPRO_H

#include <stddef.h>
#include <stdint.h>

#define DCI_RACC_W      40   /* bits per digit / fold width */
#define DCI_RACC_OFFSET 2200 /* digit i has weight 2^(40*i - 2200) */
#define DCI_RACC_NDIG   112  /* covers 2^-2200 .. 2^2280: squares of any double */

/* What the engine accumulates from its input arrays. */
typedef enum {
    DCI_RACC_SUM = 0, /* sum x[i]            */
    DCI_RACC_ASUM,    /* sum |x[i]|          */
    DCI_RACC_DOT,     /* sum x[i]*y[i]       */
    DCI_RACC_SUMSQ    /* sum x[i]^2, never overflows or underflows (for nrm2) */
} dci_racc_kind_t;

/*
 * The accumulator. Layout is fixed so that ranks can merge with MPI_SUM over int64 after
 * dci_racc_normalize(): d[] then holds digits in [0, 2^40) except the top one (signed), and the
 * three counters count NaN, +Inf and -Inf inputs.
 */
typedef struct dci_racc {
    int64_t d[DCI_RACC_NDIG];
    int64_t nnan, npinf, nninf;
    int64_t pending; /* deposits since the last normalisation; not merged */
} dci_racc_t;

/* Number of int64 words from &acc->d[0] that take part in a merge (d[] and the 3 counters). */
#define DCI_RACC_NWORDS (DCI_RACC_NDIG + 3)

void dci_racc_init(dci_racc_t *acc);
/*
 * Deposit n terms. exact = 0: each product/square is first rounded to double (fl(x*y)), then
 * summed exactly ("binned" mode: reproducible, error <= u*sum|x*y| + final rounding).
 * exact = 1: products are split exactly (FMA/Dekker), so the result is the correctly rounded
 * dot/sum of squares. For SUM and ASUM both modes are exact. y is used by DOT only.
 */
void dci_racc_add(dci_racc_t *acc, dci_racc_kind_t kind, int exact, const double *x,
                  const double *y, size_t n);
void dci_racc_add_double(dci_racc_t *acc, double v);           /* one exact deposit */
void dci_racc_normalize(dci_racc_t *acc);                      /* carry-propagate digits */
void dci_racc_merge(dci_racc_t *acc, const dci_racc_t *other); /* exact acc += other */
double dci_racc_to_double(const dci_racc_t *acc);              /* correctly rounded */
/* sqrt of the accumulated (nonnegative) value, correctly rounded: no overflow or underflow of
 * the square sum, subnormal and overflowing roots rounded as IEEE does */
double dci_racc_sqrt(const dci_racc_t *acc);

#endif
