/*
 * User regions (PETSc's stages): dc_prof_region_begin/end. A region is a name under its parent
 * region; operations called while it is the innermost open one are counted in its own table
 * as well as in the totals (lib/prof.c adds to both). The report matches regions across ranks
 * by their path ("outer/inner", lib/prof_collect.c). All of it is outside the per-operation
 * hot path: begin/end themselves cost one branch when profiling and tracing are off.
 */
#include "dc_impl.h"
#include "prof_impl.h"

#include <stdio.h>
#include <string.h>

void dci_regions_free(dci_prof_t *p)
{
    struct dci_prof_regions *R = p->regions;
    int i;

    if (R == NULL)
        return;
    for (i = 0; i < R->n; i++)
        dci_free(R->r[i]);
    dci_free(R);
    p->regions = NULL;
}

void dci_regions_clear(dci_prof_t *p, double now)
{
    struct dci_prof_regions *R = p->regions;
    int i;

    if (R == NULL)
        return;
    for (i = 0; i < R->n; i++) {
        R->r[i]->calls = 0;
        R->r[i]->time = 0.0;
        R->r[i]->t0 = now; /* an open region counts from the reset on */
        memset(R->r[i]->ev, 0, sizeof(R->r[i]->ev));
    }
}

void dci_region_path(const struct dci_prof_regions *R, int i, char *buf, size_t len)
{
    int chain[DCI_REGION_DEPTH + 1], n = 0, k;
    size_t used = 0;

    buf[0] = '\0';
    for (; i >= 0 && n <= DCI_REGION_DEPTH; i = R->r[i]->parent)
        chain[n++] = i;
    for (k = n - 1; k >= 0; k--) {
        int w =
            snprintf(buf + used, len - used, "%s%s", k == n - 1 ? "" : "/", R->r[chain[k]]->name);
        if (w < 0 || (size_t)w >= len - used)
            return;
        used += (size_t)w;
    }
}

/* The region named name under parent; created if new. Index, or a negative code. */
static int region_find(dc_env_t *env, struct dci_prof_regions *R, int parent, const char *name)
{
    dci_region_t *r = NULL;
    int i, rc;

    for (i = 0; i < R->n; i++)
        if (R->r[i]->parent == parent && strcmp(R->r[i]->name, name) == 0)
            return i;
    if (R->n == DCI_REGION_MAX)
        return DC_ERR(env, DC_ERR_ARG,
                      "region \"%s\": this env already has %d regions (the limit; a name under "
                      "another parent counts again)",
                      name, DCI_REGION_MAX);
    rc = dci_calloc(env, 1, sizeof(*r), (void **)&r);
    if (rc != DC_SUCCESS)
        return rc;
    strcpy(r->name, name);
    r->parent = parent;
    r->depth = parent < 0 ? 0 : R->r[parent]->depth + 1;
    R->r[R->n] = r;
    return R->n++;
}

int dc_prof_region_begin(dc_env_t *env, const char *name)
{
    dci_prof_t *p;
    struct dci_prof_regions *R;
    size_t len;
    int i;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_REQUIRE(env, name != NULL, DC_ERR_ARG, "name is NULL");
    p = &env->prof;
    if (!p->on && p->regions == NULL) {
        p->rskip++; /* off, and no region yet: only remember that one is open */
        return DC_SUCCESS;
    }
    len = strlen(name);
    DC_REQUIRE(env, len > 0 && len < DCI_REGION_NAME, DC_ERR_ARG,
               "region name \"%.80s\" must have 1 to %d characters", name, DCI_REGION_NAME - 1);
    DC_REQUIRE(env, strchr(name, '/') == NULL, DC_ERR_ARG,
               "region name \"%s\" contains '/' (the separator of region paths)", name);
    if (p->regions == NULL)
        DC_CHECK(dci_calloc(env, 1, sizeof(*p->regions), (void **)&p->regions));
    R = p->regions;
    DC_REQUIRE(env, R->nstack < DCI_REGION_DEPTH, DC_ERR_ARG,
               "region \"%s\": %d regions are open already (the limit)", name, DCI_REGION_DEPTH);
    i = region_find(env, R, R->nstack > 0 ? R->stack[R->nstack - 1] : -1, name);
    if (i < 0)
        return i;
    R->stack[R->nstack++] = i;
    R->r[i]->t0 = dci_wtime();
    return DC_SUCCESS;
}

int dc_prof_region_end(dc_env_t *env, const char *name)
{
    dci_prof_t *p;
    struct dci_prof_regions *R;
    dci_region_t *r;
    double t1;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    DC_REQUIRE(env, name != NULL, DC_ERR_ARG, "name is NULL");
    p = &env->prof;
    R = p->regions;
    if (R == NULL || R->nstack == 0) {
        DC_REQUIRE(env, p->rskip > 0, DC_ERR_ARG,
                   "dc_prof_region_end(\"%.80s\"): no region is open", name);
        p->rskip--; /* opened while off */
        return DC_SUCCESS;
    }
    r = R->r[R->stack[R->nstack - 1]];
    DC_REQUIRE(env, strcmp(r->name, name) == 0, DC_ERR_ARG,
               "dc_prof_region_end(\"%.80s\"): the innermost open region is \"%s\"", name, r->name);
    t1 = dci_wtime();
    r->time += t1 - r->t0;
    r->calls++;
    R->nstack--;
    if (p->trace != NULL) /* the region as one complete event of the trace (lib/trace.c) */
        dci_trace_record(env, r->name, r->t0, t1, 0, 0);
    return DC_SUCCESS;
}
