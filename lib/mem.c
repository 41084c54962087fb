/*
 * Allocation: every internal allocation goes through here, so that tests can make the N-th one
 * fail (DC_TEST_FAIL_ALLOC=N, as Lua's ltests.c) and exercise every error path.
 */
#include "dc_impl.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_long dci_alloc_count;
static long dci_fail_at = -1; /* -1: not read yet; 0: never fail */

static int should_fail(void)
{
    long n;

    if (DCI_UNLIKELY(dci_fail_at < 0)) {
        const char *s = getenv("DC_TEST_FAIL_ALLOC");
        dci_fail_at = (s != NULL) ? atol(s) : 0;
        if (dci_fail_at < 0)
            dci_fail_at = 0;
    }
    if (DCI_LIKELY(dci_fail_at == 0))
        return 0;
    n = atomic_fetch_add(&dci_alloc_count, 1) + 1;
    return n == dci_fail_at;
}

int dci_malloc(dc_env_t *env, size_t size, void **ptr_p)
{
    void *p;

    p = should_fail() ? NULL : malloc(size ? size : 1);
    if (p == NULL)
        return DC_ERR(env, DC_ERR_NOMEM, "cannot allocate %zu bytes", size);
    *ptr_p = p;
    return DC_SUCCESS;
}

int dci_calloc(dc_env_t *env, size_t n, size_t size, void **ptr_p)
{
    void *p;

    if (size != 0 && n > SIZE_MAX / size)
        return DC_ERR(env, DC_ERR_NOMEM, "allocation of %zu x %zu bytes overflows", n, size);
    p = should_fail() ? NULL : calloc(n ? n : 1, size ? size : 1);
    if (p == NULL)
        return DC_ERR(env, DC_ERR_NOMEM, "cannot allocate %zu x %zu bytes", n, size);
    *ptr_p = p;
    return DC_SUCCESS;
}

int dci_malloc_aligned(dc_env_t *env, size_t size, void **ptr_p)
{
    void *p = NULL;

    if (should_fail() || posix_memalign(&p, 64, size ? size : 64) != 0)
        return DC_ERR(env, DC_ERR_NOMEM, "cannot allocate %zu bytes (aligned)", size);
    *ptr_p = p;
    return DC_SUCCESS;
}

void dci_free(void *ptr)
{
    free(ptr);
}
