/*
 * The DC_TRACE timeline (lib/trace.c), private to the library: set up at dc_env_create, fed by
 * the profiler's slow path (lib/prof.c) and written at dc_env_destroy or dc_prof_trace_write.
 * Everything here is reached only when env->prof.trace is non-NULL.
 */
#ifndef DC_TRACE_IMPL_H
#define DC_TRACE_IMPL_H

#include "dc_impl.h"

typedef struct dci_trace dci_trace_t;

/* Collective (inside dc_env_create, before its agreement): with DC_TRACE set, check that the
 * path can be written (rank 0), allocate the ring buffer and measure the clock offsets to rank
 * 0. Without DC_TRACE: nothing, DC_SUCCESS. The caller agrees on the outcome. */
int dci_trace_init(dc_env_t *env);
/* Local: free what dci_trace_init allocated (NULL-safe on env->prof.trace). */
void dci_trace_free(dc_env_t *env);
/* Collective: write the trace to DC_TRACE at dc_env_destroy (agreed code). */
int dci_trace_write_at_destroy(dc_env_t *env);
/* The profiler's begin/end of a public operation (ev: dci_event_t), outermost or nested. */
void dci_trace_op_begin(dc_env_t *env, int ev);
void dci_trace_op_end(dc_env_t *env, int ev);

#endif /* DC_TRACE_IMPL_H */
