/*
 * Private interface between the reproducible-summation dispatcher (repro.c) and the vector kernel
 * repro_kernel.c, which the build compiles once per instruction set with -DDCI_KSUFFIX=<name>
 * (generic, avx2, avx512) and -ffp-contract=off; DC_HAVE_X86_KERNELS (dc_config.h) tells
 * repro.c that the avx2 and avx512 variants exist.
 */
#ifndef DC_REPRO_KERNEL_H
#define DC_REPRO_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "repro.h"

#define DCI_RK_BLOCK 1024 /* terms per block: the folds cannot leave their binade below this */

/* How a block was deposited (index into the optional paths[] counters). */
enum {
    DCI_RK_FAST = 0,     /* by the narrow fold set */
    DCI_RK_WIDE = 1,     /* by the wide fold set (the previous block needed it) */
    DCI_RK_RERUN = 2,    /* narrow left something over: run again with the wide set */
    DCI_RK_LEFTOVER = 3, /* wide set, plus a few leftovers deposited one by one */
    DCI_RK_SLOW = 4,     /* every term one by one (non-finite, extreme or tiny values) */
    DCI_RK_NPATHS = 5,
    DCI_RK_MISS = 5 /* not a path: the plan guessed from the previous block failed */
};

/*
 * Deposit the n terms of x (and y for DOT; y is not read otherwise) into acc, exactly, in blocks
 * of DCI_RK_BLOCK. exact is 0 or 1 and only matters for DOT and SUMSQ. paths, if not NULL, has
 * DCI_RK_NPATHS + 1 counters: per block, the path it took is counted, and DCI_RK_MISS counts the
 * blocks folded twice. Every variant leaves the same accumulated value.
 */
typedef void dci_rk_run_fn(dci_racc_t *acc, dci_racc_kind_t kind, int exact, const double *x,
                           const double *y, size_t n, size_t *paths);

void dci_rk_run_generic(dci_racc_t *acc, dci_racc_kind_t kind, int exact, const double *x,
                        const double *y, size_t n, size_t *paths);
void dci_rk_run_avx2(dci_racc_t *acc, dci_racc_kind_t kind, int exact, const double *x,
                     const double *y, size_t n, size_t *paths);
void dci_rk_run_avx512(dci_racc_t *acc, dci_racc_kind_t kind, int exact, const double *x,
                       const double *y, size_t n, size_t *paths);

/* The kernel the dispatcher picked for this CPU (resolved once). */
dci_rk_run_fn *dci_rk_best(void);

/* dci_racc_add with a given kernel (tests call every variant through this). */
void dci_racc_add_kernel(dci_racc_t *acc, dci_rk_run_fn *fn, dci_racc_kind_t kind, int exact,
                         const double *x, const double *y, size_t n);

/* Services of repro.c for the kernels. */
/* Exact deposit of every term of a block, one by one (also non-finite ones). */
void dci_racc_slow_block(dci_racc_t *acc, dci_racc_kind_t kind, int exact, const double *x,
                         const double *y, size_t n);
/* Exact deposit of v * 2^(DCI_RACC_W * dshift); v finite. */
void dci_racc_add_scaled(dci_racc_t *acc, double v, int dshift);
/* Exact deposit of v * 2^e (a fold's integer and its anchor); -2200 <= e, |v| * 2^e < 2^2240. */
void dci_racc_add_int(dci_racc_t *acc, int64_t v, int e);

#endif
