/*
 * Memory: every internal allocation goes through here, so that tests can make the N-th one
 * fail, on every rank or on one (DC_TEST_FAIL_ALLOC=N[@R], as Lua's ltests.c), and exercise
 * every error path; and the borrow rules of the arrays that vectors and matrices lend out
 * (get_array / restore_array).
 */
#include "dc_impl.h"
#include "dc_testhook.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/*
 * Failure injection. DC_TEST_FAIL_ALLOC=N fails the N-th allocation of the process;
 * DC_TEST_FAIL_ALLOC=N@R only on the process of rank R in MPI_COMM_WORLD (the others count and
 * go on), so that one rank fails alone. The variable is read at the first allocation; the test
 * hooks below re-arm it between runs in one process. Only armed counting costs anything.
 */
static atomic_long dci_alloc_count; /* allocations since armed */
static atomic_long dci_alloc_live;  /* allocated and not yet freed (leak checks in tests) */
static atomic_int dci_fail_fired;   /* the armed failure happened */
static long dci_fail_at = -1;       /* -1: variable not read yet; 0: never fail */
static int dci_fail_rank = -1;      /* -1: any rank */

static int world_rank(void)
{
    int init = 0, fin = 0, r = -1;

    if (MPI_Initialized(&init) != MPI_SUCCESS || !init)
        return -1;
    if (MPI_Finalized(&fin) != MPI_SUCCESS || fin)
        return -1;
    if (MPI_Comm_rank(MPI_COMM_WORLD, &r) != MPI_SUCCESS)
        return -1;
    return r;
}

static void read_variable(void)
{
    const char *s = getenv("DC_TEST_FAIL_ALLOC"), *at;

    dci_fail_at = (s != NULL) ? atol(s) : 0;
    if (dci_fail_at < 0)
        dci_fail_at = 0;
    at = s != NULL ? strchr(s, '@') : NULL;
    dci_fail_rank = at != NULL ? atoi(at + 1) : -1;
}

static int should_fail(void)
{
    long n;

    if (DCI_UNLIKELY(dci_fail_at < 0))
        read_variable();
    if (DCI_LIKELY(dci_fail_at == 0))
        return 0;
    n = atomic_fetch_add(&dci_alloc_count, 1) + 1;
    if (n != dci_fail_at)
        return 0;
    /* a rank was named: fail only there (before MPI_Init the rank is unknown: never) */
    if (dci_fail_rank >= 0 && world_rank() != dci_fail_rank)
        return 0;
    atomic_store(&dci_fail_fired, 1);
    return 1;
}

void dci_test_fail_alloc(long n, int rank)
{
    dci_fail_at = n > 0 ? n : 0;
    dci_fail_rank = rank;
    atomic_store(&dci_alloc_count, 0);
    atomic_store(&dci_fail_fired, 0);
}

int dci_test_fail_alloc_fired(void)
{
    return atomic_load(&dci_fail_fired);
}

long dci_test_alloc_live(void)
{
    return atomic_load(&dci_alloc_live);
}

int dci_malloc(dc_env_t *env, size_t size, void **ptr_p)
{
    void *p;

    p = should_fail() ? NULL : malloc(size ? size : 1);
    if (p == NULL)
        return DC_ERR(env, DC_ERR_NOMEM, "cannot allocate %zu bytes", size);
    atomic_fetch_add_explicit(&dci_alloc_live, 1, memory_order_relaxed);
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
    atomic_fetch_add_explicit(&dci_alloc_live, 1, memory_order_relaxed);
    *ptr_p = p;
    return DC_SUCCESS;
}

int dci_malloc_aligned(dc_env_t *env, size_t size, void **ptr_p)
{
    void *p = NULL;

    if (should_fail() || posix_memalign(&p, 64, size ? size : 64) != 0)
        return DC_ERR(env, DC_ERR_NOMEM, "cannot allocate %zu bytes (aligned)", size);
    atomic_fetch_add_explicit(&dci_alloc_live, 1, memory_order_relaxed);
    *ptr_p = p;
    return DC_SUCCESS;
}

void dci_free(void *ptr)
{
    if (ptr != NULL)
        atomic_fetch_sub_explicit(&dci_alloc_live, 1, memory_order_relaxed);
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
