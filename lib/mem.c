/*
 * Memory: every internal allocation goes through here, so that tests can make the N-th one
 * fail (DC_TEST_FAIL_ALLOC=N, as Lua's ltests.c) and exercise every error path; and the borrow
 * rules of the arrays that vectors and matrices lend out (get_array / restore_array).
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

/* ---------------------------------------------------------------- borrowed arrays */

int dci_borrow_check_read(dc_env_t *env, const dci_borrow_t *b, const char *obj, const char *name,
                          const char *func)
{
    if (DCI_UNLIKELY(b->rw))
        return dci_error_set(env, DC_ERR_STATE, func, __FILE__, __LINE__,
                             "%s is borrowed by dc_%s_get_array (restore it first)", name, obj);
    return DC_SUCCESS;
}

int dci_borrow_check_write(dc_env_t *env, const dci_borrow_t *b, const char *obj, const char *name,
                           const char *func)
{
    if (DCI_UNLIKELY(b->rw || b->nread > 0))
        return dci_error_set(env, DC_ERR_STATE, func, __FILE__, __LINE__,
                             "%s is borrowed (dc_%s_get_array%s; restore it first)", name, obj,
                             b->rw ? "" : "_read");
    return DC_SUCCESS;
}

int dci_borrow_get(dc_env_t *env, dci_borrow_t *b, int rw, const char *obj, const char *name,
                   const char *func)
{
    int rc = rw ? dci_borrow_check_write(env, b, obj, name, func)
                : dci_borrow_check_read(env, b, obj, name, func);

    if (rc != DC_SUCCESS)
        return rc;
    if (rw)
        b->rw = 1;
    else
        b->nread++;
    return DC_SUCCESS;
}

int dci_borrow_restore(dc_env_t *env, dci_borrow_t *b, int rw, const void *given, const void *data,
                       const char *obj, const char *name, const char *func)
{
    const char *suffix = rw ? "" : "_read";

    if (rw ? !b->rw : b->nread <= 0)
        return dci_error_set(env, DC_ERR_STATE, func, __FILE__, __LINE__,
                             "%s has no outstanding dc_%s_get_array%s", name, obj, suffix);
    if (given != data)
        return dci_error_set(env, DC_ERR_STATE, func, __FILE__, __LINE__,
                             "*array_p is not the array that dc_%s_get_array%s returned", obj,
                             suffix);
    if (rw)
        b->rw = 0;
    else
        b->nread--;
    return DC_SUCCESS;
}
