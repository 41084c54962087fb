/*
 * Shim over the BLAS library's thread control. OpenBLAS's openblas_set_num_threads is not capped
 * by the affinity mask, so placement computes the count itself and sets it here. Other CBLAS
 * builds have no portable control: the count is reported as 1 set / unknown.
 */
#include "dc_impl.h"

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads(int num_threads);
#endif
#ifdef HAVE_OPENBLAS_GET_NUM_THREADS
int openblas_get_num_threads(void);
#endif

int dci_blas_get_threads(void)
{
#ifdef HAVE_OPENBLAS_GET_NUM_THREADS
    return openblas_get_num_threads();
#else
    return 1;
#endif
}

void dci_blas_set_threads(int n)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(n < 1 ? 1 : n);
#else
    (void)n;
#endif
}
