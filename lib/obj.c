/*
 * The object header every handle starts with: class magic, reference count, the user's
 * reference, and the env. An object is created holding one reference, the user's. Other
 * objects take internal references (a vector holds its layout, every object its env); the
 * user's destroy gives up the user's reference once: the handle is then released and every
 * public call rejects it with DC_ERR_ARG, even while internal references keep the memory alive,
 * and a second destroy through a saved copy fails without touching the count. The memory goes
 * when the last reference does (the class's free function, given at init).
 *
 * Getters that return a handle the caller does not own (dc_vec_get_layout, dc_layout_get_env,
 * dc_mat_get_env) lend it: a lent object is usable again, for as long as its lender lives,
 * but a destroy through it still fails, since the user's reference is gone.
 *
 * A handle whose memory is already freed cannot be told from garbage; these flags are what
 * makes a handle that is still alive for others' use safe to pass by mistake.
 */
#include "dc_impl.h"

void dci_obj_init(dci_obj_t *hdr, uint32_t cls, dc_env_t *env, void (*free_fn)(dci_obj_t *))
{
    hdr->magic = cls;
    hdr->refcnt = 1; /* the user's */
    hdr->user_ref = 1;
    hdr->lent = 0;
    hdr->env = env;
    hdr->free_fn = free_fn;
}

void dci_obj_ref(dci_obj_t *hdr)
{
    hdr->refcnt++;
}

void dci_obj_unref(dci_obj_t *hdr)
{
    if (hdr != NULL && --hdr->refcnt == 0 && hdr->free_fn != NULL)
        hdr->free_fn(hdr);
}

int dci_obj_check(const void *obj, uint32_t cls, const char *name, const char *func,
                  const char *file, int line)
{
    const dci_obj_t *hdr = obj;

    if (obj == NULL)
        return dci_error_set(NULL, DC_ERR_ARG, func, file, line, "%s is NULL", name);
    if (hdr->magic != cls)
        return dci_error_set(NULL, DC_ERR_ARG, func, file, line,
                             "%s is not a valid handle (destroyed?)", name);
    if (!hdr->user_ref && !hdr->lent)
        return dci_error_set(NULL, DC_ERR_ARG, func, file, line,
                             "%s was destroyed (the handle is released; the object lives on only "
                             "for the objects built on it)",
                             name);
    return DC_SUCCESS;
}

int dci_obj_release(dci_obj_t *hdr, const char *name, const char *func)
{
    if (!hdr->user_ref)
        return dci_error_set(NULL, DC_ERR_ARG, func, __FILE__, __LINE__,
                             "%s was destroyed before (a handle lent by a getter is not the "
                             "caller's to destroy)",
                             name);
    hdr->user_ref = 0;
    hdr->lent = 0;
    dci_obj_unref(hdr);
    return DC_SUCCESS;
}

void dci_obj_lend(const dci_obj_t *hdr)
{
    ((dci_obj_t *)hdr)->lent = 1;
}

dc_env_t *dci_env_ref(dc_env_t *env)
{
    dci_obj_ref(&env->hdr);
    return env;
}

void dci_env_unref(dc_env_t *env)
{
    if (env != NULL)
        dci_obj_unref(&env->hdr);
}

dc_layout_t *dci_layout_ref(dc_layout_t *layout)
{
    dci_obj_ref(&layout->hdr);
    return layout;
}

void dci_layout_unref(dc_layout_t *layout)
{
    if (layout != NULL)
        dci_obj_unref(&layout->hdr);
}
