/*
 * Test hooks of lib/mem.c: exported from the shared library for the test suite only (tests
 * include this file from the source tree). Not part of the API, not installed, may change.
 */
#ifndef DC_TESTHOOK_H
#define DC_TESTHOOK_H

#include <dcompute/dc_version.h>

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

#ifdef __cplusplus
}
#endif

#endif /* DC_TESTHOOK_H */
