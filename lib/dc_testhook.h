/*
 * Test hooks of lib/mem.c and lib/mg.c: exported from the shared library for the test suite only
 * (tests include this file from the source tree). Not part of the API, not installed, may change.
 */
#ifndef DC_TESTHOOK_H
#define DC_TESTHOOK_H

#include <dcompute.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Re-arm failure injection (what DC_TEST_FAIL_ALLOC=N@R sets at start): from now on, the n-th
 * allocation of the library fails with DC_ERR_NOMEM on the process of rank 'rank' in
 * MPI_COMM_WORLD (-1: on every process); n = 0 disables. Resets the count and the fired flag.
 */
DC_API void dci_test_fail_alloc(long n, int rank);
/* 1 once the armed failure has happened in this process. */
DC_API int dci_test_fail_alloc_fired(void);
/* Number of the library's allocations not yet freed in this process (leak checks). */
DC_API long dci_test_alloc_live(void);

/*
 * Multigrid transfers: build the hierarchy DC_PC_MG builds for op with prm (every field
 * resolved) and set *nlev_p to its number of levels and, for 0 <= l < levels, *active_p to the
 * number of ranks that own points of level l. With in != NULL and l + 1 < levels, also apply
 * the interpolation from level l + 1 to level l (dir 0) or the restriction from l to l + 1
 * (dir 1) through the distributed code: in and out are whole arrays in natural order, the same
 * on every rank. Collective. Returns what dci_mg_create returns, or DC_ERR_MPI.
 */
DC_API int dci_test_mg_transfer(dc_op_t *op, const dc_solver_params_t *prm, int l, int dir,
                                const double *in, double *out, int *nlev_p, int *active_p);

#ifdef __cplusplus
}
#endif

#endif /* DC_TESTHOOK_H */
