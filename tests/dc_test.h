/*
 * Common test harness: MPI + CUnit. Each tests/test_<module>.c defines dct_register(), which
 * adds its CUnit suite(s). Rank 0 prints CUnit's report; other ranks run silently and print
 * their failures tagged with the rank; the failure count is summed over ranks, so a failure on
 * any rank makes every rank exit non-zero.
 *
 * Rules: never CU_ASSERT_FATAL or return between collectives; record
 * and carry on, or use DCT_ASSERT_ALL (collective) for conditions that must hold everywhere.
 */
#ifndef DC_TEST_H
#define DC_TEST_H

#include <CUnit/CUnit.h>
#include <dcompute.h>
#include <stdint.h>

extern int dct_rank, dct_size;
extern MPI_Comm dct_comm; /* a duplicate of MPI_COMM_WORLD for the tests' own messages */

/* Defined by each test file: register its suites. */
void dct_register(void);

/* 1 if cond holds on every rank (collective). */
int dct_all(int cond);
/* Collective assertion: fails on every rank if cond fails on any. */
#define DCT_ASSERT_ALL(cond) CU_ASSERT(dct_all(!!(cond)))

/* Env on MPI_COMM_WORLD with default options (collective); NULL (and a failure) on error. */
dc_env_t *dct_env_create(void);
/* Same with params. */
dc_env_t *dct_env_create_params(const dc_env_params_t *params);

/* Deterministic pseudo-random double in [-1, 1) from (seed, i): same on every rank. */
double dct_rand(uint64_t seed, uint64_t i);

/* Matrix entry (i, j) = dct_rand(*(const uint64_t *)seed_p, i * 1009 + j): a dc_mat fill
 * callback whose serial reference the tests compute with the same call. */
double dct_mat_entry(dc_gidx_t i, dc_gidx_t j, void *seed_p);

/* Near-square process grid for P ranks: the largest divisor q <= sqrt(P) gives (P / q) x q. */
void dct_near_square(int p, int *nprow_p, int *npcol_p);

/* Bitwise equality of doubles (NaN == NaN with the same payload). */
int dct_same_bits(double a, double b);

/*
 * One step of an allocation-failure sweep (collective): *rc_p = fn(ctx) with the n-th
 * allocation of rank r failing (dci_test_fail_alloc of lib/dc_testhook.h). *fired_p: 1 on every
 * rank when that allocation was reached on some rank. Returns 1 when every rank returned the
 * same code and it is DC_ERR_NOMEM after a failure, DC_SUCCESS without one; else 0 (this rank's
 * view: combine with dct_all).
 */
int dct_fail_alloc_step(long n, int r, int (*fn)(void *ctx), void *ctx, int *rc_p, int *fired_p);

#endif
