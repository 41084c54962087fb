/*
 * Private declarations shared by the library's files: the object header, the env and layout
 * structures, error/check macros, allocation, options, agreement and profiling hooks.
 * Never installed. Internal cross-file functions are prefixed dci_.
 */
#ifndef DC_IMPL_H
#define DC_IMPL_H

#include "dc_config.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <mpi.h>

#include <dcompute.h>

#define DCI_LIKELY(x)   __builtin_expect(!!(x), 1)
#define DCI_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---------------------------------------------------------------- object header */

enum {
    DCI_CLASS_ENV = 0x44430001,
    DCI_CLASS_LAYOUT = 0x44430002,
    DCI_CLASS_VEC = 0x44430003,
    DCI_CLASS_GRID = 0x44430004,
    DCI_CLASS_REQUEST = 0x44430005,
    DCI_CLASS_SCHED = 0x44430010,
    DCI_CLASS_MAT = 0x44430020,
    DCI_CLASS_MESH = 0x44430030,
    DCI_CLASS_OP = 0x44430031,
    DCI_CLASS_SOLVER = 0x44430032,
    DCI_CLASS_CKPT = 0x44430040,
    DCI_CLASS_DEAD = 0x0dead0dc
};

/* Object header (lib/obj.c): the user's reference is separate from the internal ones. */
typedef struct dci_obj {
    uint32_t magic; /* DCI_CLASS_*; DCI_CLASS_DEAD once freed */
    int refcnt;     /* internal references, plus 1 while user_ref */
    int user_ref;   /* 1 until the user's destroy: only then may a destroy drop a reference */
    int lent;       /* a getter lent the object out after that (dc_vec_get_layout & co) */
    dc_env_t *env;  /* env the object lives on (the env itself for an env) */
    void (*free_fn)(struct dci_obj *); /* frees the object when refcnt drops to 0 */
} dci_obj_t;

/* ---------------------------------------------------------------- options */

/* Parsed option values; filled from params, then DC_* variables (rank 0, broadcast), then
 * defaults, by dci_options_load(). Plain data so that it can be broadcast as bytes. */
typedef struct dci_opts {
    int bind;         /* dc_bind_t */
    int blas_threads; /* 0 = auto */
    int repro;        /* dc_repro_t */
    int debug;
    int profile;   /* 0 off, 1 text, 2 json (dc_prof_format_t + 1) */
    int allreduce; /* dc_allreduce_algo_t */
    int verbose;
    double timeout;          /* DC_TIMEOUT: hang watchdog, seconds; 0 = off */
    int timeout_abort;       /* DC_TIMEOUT_ABORT: MPI_Abort after the diagnosis */
    char topology[1024];     /* "" = discover */
    char profile_file[1024]; /* DC_PROFILE=fmt:path or DC_PROFILE_FILE; "" = stderr */
    int profile_sync;        /* DC_PROFILE_SYNC: barrier at collective entry timed as wait */
    char trace[1024];        /* DC_TRACE: path of the Chrome trace; "" = off */
    int trace_events;        /* DC_TRACE_EVENTS: ring buffer capacity per rank */
    int warn_unknown;        /* DC_WARN_UNKNOWN: warn about unknown DC_* variables (rank 0) */
} dci_opts_t;

/* ---------------------------------------------------------------- profiling */

/* One id per public operation, generated from lib/dc_events.h (names: lib/prof.c). */
typedef enum {
#define DCI_EVENT(id, name) DCI_EV_##id,
#include "dc_events.h"
#undef DCI_EVENT
    DCI_EV_COUNT
} dci_event_t;

/* One event's counters on this rank (the fields of dc_prof_stats_t). */
typedef struct dci_prof_ev {
    uint64_t calls;
    double time, comm, wait; /* wait: measured at the sampled entries only (dci_prof_ev_est) */
    uint64_t centries;       /* library collectives entered inside this operation */
    uint64_t csampled;       /* of which with the timed barrier (DC_PROFILE_SYNC) */
    uint64_t sbytes, rbytes, smsgs, rmsgs;
    double flops;
    uint64_t mem; /* bytes of memory touched (dci_prof_end's argument; dc_prof_get_event) */
} dci_prof_ev_t;

#define DCI_PROF_STACK 32 /* open public operations tracked for attribution */

struct dci_prof_regions; /* lib/prof.c: user regions (dc_prof_region_begin/end) */
struct dci_trace;        /* lib/trace.c: the DC_TRACE ring buffer */

typedef struct dci_prof {
    int on;   /* profiling or tracing: the hooks take the slow path */
    int sync; /* DC_PROFILE_SYNC: time a barrier at 1 of every 'sync' collective
               * entries per operation as wait (1: every one; 0: none) */
    uint64_t sync_seq[DCI_EV_COUNT + 1]; /* collective entries per innermost operation (last:
                                          * outside every operation) while on; never reset, so that
                                          * all ranks pick the same entries for the barrier */
    MPI_Comm sync_comm;      /* private duplicate for that barrier; MPI_COMM_NULL when off */
    double t0[DCI_EV_COUNT]; /* start of the open interval; nesting is not counted twice */
    int depth[DCI_EV_COUNT];
    dci_prof_ev_t ev[DCI_EV_COUNT]; /* totals over all regions */
    int stack[DCI_PROF_STACK];      /* open events, innermost last: counts go to the innermost */
    int nstack;
    double comm, wait;                /* this rank's totals over all events */
    uint64_t *peer_sent, *peer_recv;  /* [env size] point-to-point bytes; NULL until on */
    struct dci_prof_regions *regions; /* NULL until the first region */
    struct dci_trace *trace;          /* NULL unless DC_TRACE */
    double t_create;                  /* dci_wtime() at dc_env_create */
    double t_zero;   /* start of the counted period: create, dc_prof_reset or first switch-on */
    double lib_t0;   /* entry into the outermost open operation */
    double lib_time; /* time inside outermost library operations (compute = it - comm - wait) */
    int late;        /* switched on after dc_env_create without the wait barrier */
    int rskip;       /* regions opened while off before any region existed (ignored) */
    FILE *report;    /* rank 0: the DC_PROFILE file, opened at dc_env_create; NULL: stderr */
} dci_prof_t;

/* ---------------------------------------------------------------- env */

struct dci_topo; /* lib/topo.c */
struct dci_wd;   /* lib/watchdog.c */

#define DCI_ERRBUF       640
#define DCI_MAX_USER_OPS 64

struct dc_env {
    dci_obj_t hdr;
    MPI_Comm comm; /* private duplicate, MPI_ERRORS_RETURN */
    int rank, size;
    MPI_Comm node_comm;   /* ranks of this env on this node (MPI_COMM_TYPE_SHARED) */
    MPI_Comm leader_comm; /* node-local rank 0 of every node; MPI_COMM_NULL elsewhere */
    int initialized_mpi;  /* this env called MPI_Init_thread */
    dci_opts_t opts;
    struct dci_topo *topo;
    dc_placement_t place;
    dci_prof_t prof;
    MPI_Datatype loc_type[4];         /* MPI types of the *_LOC pairs */
    MPI_Op minloc_op, maxloc_op;      /* on the *_LOC types */
    MPI_Op user_op[DCI_MAX_USER_OPS]; /* MPI_OP_NULL when free */
    struct dci_wd *wd;                /* hang watchdog; NULL when off (DC_TIMEOUT=0) */
    char errbuf[DCI_ERRBUF];
};

/* ---------------------------------------------------------------- layout */

struct dc_layout {
    dci_obj_t hdr;
    dc_layout_kind_t kind;
    dc_gidx_t n;     /* global size */
    dc_gidx_t block; /* block-cyclic block size (1 for cyclic) */
    int nranks;
    size_t nlocal;      /* this rank's count */
    dc_gidx_t *offsets; /* contiguous kinds: nranks + 1 prefix offsets; NULL otherwise */
};

/*
 * Index maps of a layout, owned by lib/layout.c; the modules built on layouts (vectors, GEMV)
 * call these instead of writing the formulas again. No handle checks (the caller holds the
 * layout), no range checks: r in [0, nranks), i below rank r's count, g in [0, n).
 */
/* Global index of rank r's local entry i; increases with i for every kind. */
static inline dc_gidx_t dci_layout_l2g(const dc_layout_t *l, int r, size_t i)
{
    dc_gidx_t b;

    if (l->offsets != NULL)
        return l->offsets[r] + (dc_gidx_t)i;
    b = l->block;
    return (((dc_gidx_t)i / b) * l->nranks + r) * b + (dc_gidx_t)i % b;
}
/* Number of entries rank r owns. */
size_t dci_layout_count(const dc_layout_t *l, int r);
/* Owner and local index of global index g. */
void dci_layout_locate(const dc_layout_t *l, dc_gidx_t g, int *rank_p, size_t *lidx_p);
/* 1 if every rank owns the same global indices, in the same order, under a and b. */
int dci_layout_congruent(const dc_layout_t *a, const dc_layout_t *b);
/* dc_layout_create_explicit under the caller's profiling event ev (a module that builds its own
 * layouts, e.g. dc_mesh_create, so that its call is the one counted). */
int dci_layout_create_explicit_ev(dc_env_t *env, dci_event_t ev, size_t nlocal,
                                  dc_layout_t **layout_p);
/* Per-rank counts and displacements as ints for MPI (nranks each); DC_ERR_SIZE (message in
 * env) when the global size exceeds INT_MAX. */
int dci_layout_counts(dc_env_t *env, const dc_layout_t *l, int *counts, int *displs);

/* ---------------------------------------------------------------- errors */

/* Keep the last message of an env that is going away (a failed dc_env_create) for
 * dc_env_last_error(NULL): unchanged if it names func, else prefixed with "func: " (not
 * wrapped in a second "func (file:line): code:"). */
void dci_error_keep(const dc_env_t *env, const char *func);
/* Record a message in env (may be NULL) and return code. */
int dci_error_set(dc_env_t *env, int code, const char *func, const char *file, int line,
                  const char *fmt, ...) __attribute__((format(printf, 6, 7)));
/* Record an MPI failure (its MPI_Error_string) and return DC_ERR_MPI. */
int dci_error_mpi(dc_env_t *env, int mpirc, const char *func, const char *file, int line,
                  const char *what);

#define DC_ERR(env, code, ...)                                                                     \
    dci_error_set((env), (code), __func__, __FILE__, __LINE__, __VA_ARGS__)
/* DC_ERR_MPI with MPI's own message: 'mpirc' is what the MPI call returned, 'what' names it. */
#define DC_ERR_MPI_RC(env, mpirc, what)                                                            \
    dci_error_mpi((env), (mpirc), __func__, __FILE__, __LINE__, (what))

/* Return at once: only while the function holds nothing. */
#define DC_REQUIRE(env, cond, code, ...)                                                           \
    do {                                                                                           \
        if (DCI_UNLIKELY(!(cond)))                                                                 \
            return DC_ERR((env), (code), __VA_ARGS__);                                             \
    } while (0)
#define DC_REQUIRE_GOTO(env, cond, code, label, ...)                                               \
    do {                                                                                           \
        if (DCI_UNLIKELY(!(cond))) {                                                               \
            rc = DC_ERR((env), (code), __VA_ARGS__);                                               \
            goto label;                                                                            \
        }                                                                                          \
    } while (0)
#define DC_CHECK(expr)                                                                             \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (DCI_UNLIKELY(rc_ != DC_SUCCESS))                                                       \
            return rc_;                                                                            \
    } while (0)
#define DC_CHECK_GOTO(expr, label)                                                                 \
    do {                                                                                           \
        rc = (expr);                                                                               \
        if (DCI_UNLIKELY(rc != DC_SUCCESS))                                                        \
            goto label;                                                                            \
    } while (0)
#define DC_CHECK_MPI_GOTO(env, expr, label)                                                        \
    do {                                                                                           \
        int mpirc_ = (expr);                                                                       \
        if (DCI_UNLIKELY(mpirc_ != MPI_SUCCESS)) {                                                 \
            rc = dci_error_mpi((env), mpirc_, __func__, __FILE__, __LINE__, #expr);                \
            goto label;                                                                            \
        }                                                                                          \
    } while (0)
#define DC_CHECK_MPI(env, expr)                                                                    \
    do {                                                                                           \
        int mpirc_ = (expr);                                                                       \
        if (DCI_UNLIKELY(mpirc_ != MPI_SUCCESS))                                                   \
            return dci_error_mpi((env), mpirc_, __func__, __FILE__, __LINE__, #expr);              \
    } while (0)

/* The most negative library code: a callback's return value in [DCI_ERR_MIN, 0) is a DC_ERR_*
 * code and passes through; anything else non-zero is reported as DC_ERR_ARG. */
#define DCI_ERR_MIN DC_ERR_TIMEOUT

/* Handle validation: NULL, wrong class or a released handle (destroyed by the user, maybe
 * still alive for other objects, and not lent out again by a getter) fails at once on this rank
 * (no env to agree on). */
#define DCI_OBJ_OK(obj, cls)                                                                       \
    ((obj) != NULL && ((const dci_obj_t *)(obj))->magic == (uint32_t)(cls) &&                      \
     (((const dci_obj_t *)(obj))->user_ref | ((const dci_obj_t *)(obj))->lent))
#define DC_VALIDATE(obj, cls)                                                                      \
    do {                                                                                           \
        if (DCI_UNLIKELY(!DCI_OBJ_OK((obj), (cls))))                                               \
            return dci_obj_check((obj), (uint32_t)(cls), #obj, __func__, __FILE__, __LINE__);      \
    } while (0)

/* A destroy's handle check: DC_VALIDATE, and the caller must still own the handle (a second
 * destroy through a saved copy, or a destroy of a handle lent by a getter: DC_ERR_ARG, nothing
 * touched). */
#define DC_VALIDATE_OWNED(obj, cls)                                                                \
    do {                                                                                           \
        DC_VALIDATE((obj), (cls));                                                                 \
        if (DCI_UNLIKELY(!((const dci_obj_t *)(obj))->user_ref))                                   \
            return dci_obj_release((dci_obj_t *)(obj), #obj, __func__);                            \
    } while (0)

#ifdef DC_DEBUG_BUILD
#define DC_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return DC_ERR(NULL, DC_ERR_INTERNAL, "assertion failed: %s", #cond);                   \
    } while (0)
#else
#define DC_ASSERT(cond) ((void)0)
#endif

/* ---------------------------------------------------------------- agreement (lib/agree.c) */

/*
 * One argument that must match on every rank of a collective: a name for the message, its
 * value (an integer, or a double's bits through dci_arg_dbl) and the code a mismatch returns.
 */
typedef struct dci_arg {
    const char *name;
    int64_t value;
    int code; /* DC_ERR_ARG or DC_ERR_SIZE */
    int is_double;
} dci_arg_t;

#define DCI_MAX_ARGS 64

static inline dci_arg_t dci_arg_int(const char *name, int64_t value, int code)
{
    dci_arg_t a;
    a.name = name;
    a.value = value;
    a.code = code;
    a.is_double = 0;
    return a;
}

/* A double compared by value: -0 equals +0 and every NaN equals every other NaN. */
static inline dci_arg_t dci_arg_dbl(const char *name, double d)
{
    dci_arg_t a;
    if (d != d)
        d = __builtin_nan("");
    else if (d == 0.0)
        d = 0.0;
    a.name = name;
    memcpy(&a.value, &d, sizeof(d));
    a.code = DC_ERR_ARG;
    a.is_double = 1;
    return a;
}

/*
 * Agreement of a collective, in one MPI_Allreduce: every rank passes its local rc and the
 * arguments that must match (nargs <= DCI_MAX_ARGS; none: NULL, 0). All ranks return the same
 * code: the most negative rc of any rank (the lowest failing rank's message is copied to the
 * others, prefixed "on rank R: "); else, when the arguments differ, the code of the first one
 * that differs, with a message that names it, a rank that holds another value and both values
 * (same text on every rank); else DC_SUCCESS. func names the caller in the message.
 */
int dci_agree_args(dc_env_t *env, int rc, const dci_arg_t *args, int nargs, const char *func);
/* Fold v into the running fingerprint h (for a value that stands for many, e.g. a layout). */
uint64_t dci_fp_mix(uint64_t h, uint64_t v);
/* Outcome only (setup-class collectives): dci_agree_args without arguments; the caller's name
 * goes into messages (and the watchdog's entry record). */
int dci_agree_at(dc_env_t *env, int rc, const char *func);
#define dci_agree(env, rc) dci_agree_at((env), (rc), __func__)
/*
 * Consistency of nvals values (<= DCI_MAX_ARGS) named together by 'what': fails on every rank
 * with 'code' unless they are the same on all ranks. Collective (debug-mode checks and setups).
 */
int dci_check_same_at(dc_env_t *env, int code, const int64_t *vals, int nvals, const char *what,
                      const char *func);
#define dci_check_same(env, code, vals, nvals, what)                                               \
    dci_check_same_at((env), (code), (vals), (nvals), (what), __func__)

/* ---------------------------------------------------------------- hang watchdog (watchdog.c) */

/*
 * At the end of dc_env_create (options agreed; rc: this rank's outcome so far). With
 * DC_TIMEOUT > 0, collective on env->comm: agrees on rc, then makes a private duplicate of the
 * communicator for the entry records, exchanges every rank's node name and pid, and sets
 * env->wd only once every rank succeeded. Off: returns rc and leaves env->wd NULL.
 */
int dci_wd_setup(dc_env_t *env, int rc);
void dci_wd_free(dc_env_t *env);
/*
 * The entry step of a library collective (watchdog on): every rank tells every other one that
 * it entered collective number s, named 'name', and waits for theirs, at most DC_TIMEOUT
 * seconds. DC_SUCCESS when all entered the same one; DC_ERR_TIMEOUT (ranks missing: their rank,
 * node, pid and last collective, on stderr and in the env's message; or MPI_Abort with
 * DC_TIMEOUT_ABORT) or DC_ERR_ARG (ranks in different collectives, named on every rank).
 * strict = 0 for the agreements (lib/agree.c): ranks may reach one from different functions by
 * design, so only their kind is compared, the name is for the diagnosis.
 */
int dci_wd_enter_slow(dc_env_t *env, const char *name, int strict);
/* The hook at the start of every library collective: one predictable branch when off. */
/* At every library collective's entry (from dci_wd_enter): counts the entry for the innermost
 * operation and, at 1 of every DC_PROFILE_SYNC entries of that operation (the first included),
 * times a barrier on a private communicator as wait (time from entry to the last rank's
 * arrival). All ranks pick the same entries: they enter the same collectives in the same order
 * inside the same operations. */
void dci_prof_sync_slow(dc_env_t *env);
/* One operation's (or region's) comm and wait with the wait of the entries without a barrier
 * estimated from the sampled ones (their waiting happened inside the collective, so it moves
 * from comm to wait); exact when every entry was sampled. */
void dci_prof_ev_est(const dci_prof_ev_t *e, double *comm_p, double *wait_p);
static inline int dci_wd_enter(dc_env_t *env, const char *name)
{
    if (DCI_UNLIKELY(env->wd != NULL)) {
        int rc = dci_wd_enter_slow(env, name, 1);
        if (rc != DC_SUCCESS)
            return rc;
    }
    if (DCI_UNLIKELY(env->prof.on))
        dci_prof_sync_slow(env); /* profiler: wait at entry (after the watchdog's check) */
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- memory (lib/mem.c) */

/* All allocations go through these; DC_TEST_FAIL_ALLOC=N fails the N-th one (tests). */
int dci_malloc(dc_env_t *env, size_t size, void **ptr_p);
int dci_calloc(dc_env_t *env, size_t n, size_t size, void **ptr_p);
/* Cache-line aligned (64 B) allocation for data arrays. */
int dci_malloc_aligned(dc_env_t *env, size_t size, void **ptr_p);
void dci_free(void *ptr);

/* ---------------------------------------------------------------- borrowed arrays (lib/mem.c) */

/*
 * Borrow state of an object's local array (dc_vec_get_array & co, dc_mat_get_array & co): one
 * read-write borrow or any number of read-only ones. 'obj' names the module in messages ("vec",
 * "mat"), 'name' the argument ("x", "C"). All return DC_ERR_STATE with a message on misuse.
 */
typedef struct dci_borrow {
    int rw;    /* 1 between get_array and restore_array */
    int nread; /* outstanding get_array_read */
} dci_borrow_t;

int dci_borrow_check_read(dc_env_t *env, const dci_borrow_t *b, const char *obj, const char *name,
                          const char *func);
int dci_borrow_check_write(dc_env_t *env, const dci_borrow_t *b, const char *obj, const char *name,
                           const char *func);
/* Start a borrow (rw = 1: read-write) after the checks above. */
int dci_borrow_get(dc_env_t *env, dci_borrow_t *b, int rw, const char *obj, const char *name,
                   const char *func);
/* End a borrow: 'given' must be the array the get returned ('data'). */
int dci_borrow_restore(dc_env_t *env, dci_borrow_t *b, int rw, const void *given, const void *data,
                       const char *obj, const char *name, const char *func);

/* ---------------------------------------------------------------- objects */

/* lib/obj.c. An object starts with one reference, the user's; free_fn (may be NULL for objects
 * nothing else references) frees it when the count drops to 0. */
void dci_obj_init(dci_obj_t *hdr, uint32_t cls, dc_env_t *env, void (*free_fn)(dci_obj_t *));
void dci_obj_ref(dci_obj_t *hdr);
void dci_obj_unref(dci_obj_t *hdr);
/* DC_SUCCESS if obj is a live, unreleased handle of class cls; else DC_ERR_ARG with a message
 * naming it (in the env-less buffer). */
int dci_obj_check(const void *obj, uint32_t cls, const char *name, const char *func,
                  const char *file, int line);
/* The user's destroy, after DC_VALIDATE: DC_ERR_ARG (touching nothing) unless the user still
 * holds its reference; else release the handle and drop that reference (frees the object if
 * nothing else holds it). 'name' names the argument in the message. */
int dci_obj_release(dci_obj_t *hdr, const char *name, const char *func);
/* A getter hands out a borrowed handle (valid while the lender lives): after the user's
 * destroy, this makes the object usable again through it (never destroyable). */
void dci_obj_lend(const dci_obj_t *hdr);
dc_env_t *dci_env_ref(dc_env_t *env); /* objects keep their env alive */
void dci_env_unref(dc_env_t *env);
dc_layout_t *dci_layout_ref(dc_layout_t *layout);
void dci_layout_unref(dc_layout_t *layout);

/* The layout a vector holds (lib/vec.c), without lending it out as dc_vec_get_layout does. */
dc_layout_t *dci_vec_layout(const dc_vec_t *x);
/* The borrow checks of a vector for another module's call (lib/vec.c): reading (write = 0) or
 * writing it is allowed now, else DC_ERR_STATE with a message naming func and name. */
int dci_vec_check_access(const dc_vec_t *x, int write, const char *name, const char *func);

/* ---------------------------------------------------------------- options (lib/options.c) */

/* Collective: rank 0 reads DC_* variables, broadcasts; params override. */
int dci_options_load(dc_env_t *env, MPI_Comm comm, const dc_env_params_t *params);

/* ---------------------------------------------------------------- placement (lib/topo.c) */

/* Collective on env->comm: load topology, group ranks by node, bind, size BLAS threads, fill
 * env->place and env->node_comm/leader_comm. */
int dci_topo_setup(dc_env_t *env);
void dci_topo_free(dc_env_t *env);
/* Print the placement table on rank 0 (collective). */
int dci_topo_view(dc_env_t *env, FILE *f);

/* ---------------------------------------------------------------- BLAS (lib/blas.c) */

int dci_blas_get_threads(void);
void dci_blas_set_threads(int n);

/* ---------------------------------------------------------------- reductions (lib/reduce.c) */

/* Types and operations (pair types, MINLOC/MAXLOC, user ops, identities): lib/dtype.h. */
int dci_dtype_env_setup(dc_env_t *env);
void dci_dtype_env_free(dc_env_t *env);
/* A process-wide keyval (of datatypes when is_type, else of communicators), freed by
 * MPI_Finalize (through an attribute on MPI_COMM_SELF); returns an MPI error code. */
int dci_keyval_free_at_finalize(int *keyval, int is_type);
MPI_Datatype dci_dtype_mpi(const dc_env_t *env, dc_dtype_t type);
/* Allreduce with the env's algorithm choice (flat / node-aware); no checks, no profiling. */
int dci_allreduce(dc_env_t *env, const void *sendbuf, void *recvbuf, int count, MPI_Datatype type,
                  MPI_Op op);
/* ---------------------------------------------------------------- global sums (lib/sum.c) */

/* 1 if mode is DC_REPRO_OFF, _BINNED or _EXACT (or DC_REPRO_DEFAULT when allow_default). */
int dci_repro_mode_valid(int mode, int allow_default);
/*
 * The one front door of every distributed sum, dot and norm (dc_sum & co, dc_vec_dot & co):
 * profiling event ev, mode (DC_REPRO_DEFAULT: the env's; checked), result_p checked, debug-mode
 * agreement on (kind, mode, gsize), then exactly one reduction of the local arrays x (and y for
 * a dot) of n entries. 'kind' is a dci_racc_kind_t (SUMSQ gives the 2-norm). local_rc, the
 * caller's own checks, travels with the reduction: every rank fails without a hang, and a
 * failing rank keeps its own message. fn names the public function in messages. Collective.
 */
int dci_sum_collective(dc_env_t *env, const char *fn, dci_event_t ev, int kind, const double *x,
                       const double *y, size_t n, int64_t gsize, dc_repro_t mode, int local_rc,
                       double *result_p);

/* ---------------------------------------------------------------- profiling (lib/prof.c) */

/*
 * Counting communication where the library calls MPI (no PMPI layer). Every call site that
 * moves data counts it, attributed to the innermost open operation, with these hooks (one
 * branch when off):
 *   double t = dci_prof_mpi_begin(env);          before a blocking MPI call (or a wait)
 *   rc = MPI_Allreduce(...);
 *   dci_prof_mpi_end(env, t);                    adds the elapsed time to comm time
 *   dci_prof_coll(env, sbytes, rbytes);          a collective call: this rank's buffers
 *   dci_prof_send(env, peer, bytes);             a point-to-point message to env rank peer
 *   dci_prof_recv(env, peer, bytes);             ... from env rank peer (-1: unknown)
 *   dci_prof_flops(env, flops);                  floating-point work of a kernel
 * peer is a rank of env->comm: translate ranks of sub-communicators (grid rows, node comm).
 */
double dci_wtime(void);
void dci_prof_begin_slow(dc_env_t *env, dci_event_t ev);
void dci_prof_end_slow(dc_env_t *env, dci_event_t ev, size_t bytes);
void dci_prof_mpi_end_slow(dc_env_t *env, double t0);
void dci_prof_msg_slow(dc_env_t *env, int peer, size_t sbytes, size_t rbytes, int smsgs, int rmsgs);
void dci_prof_flops_slow(dc_env_t *env, double flops);
/* dci_prof_sync_slow: declared above dci_wd_enter, its caller. */
/* Set up / free the profiler's state at dc_env_create / destroy (peer arrays, trace). */
int dci_prof_init(dc_env_t *env);
void dci_prof_fini(dc_env_t *env);
/* The name of an operation in the report (lib/prof.c). */
const char *dci_prof_event_name(int ev);
/* Collective: the run report in the format of DC_PROFILE to its file, opened at create (rank 0),
 * or stderr (lib/report.c). */
int dci_prof_print_at_destroy(dc_env_t *env);
/* Options (lib/options.c): how many, and option i's name with its value in buf. */
int dci_options_count(void);
const char *dci_options_get(const dci_opts_t *o, int i, char *buf, size_t len);

/* Trace (lib/trace.c): one complete event [t0, t1] named name on this rank. */
void dci_trace_record(dc_env_t *env, const char *name, double t0, double t1, uint64_t sbytes,
                      uint64_t rbytes);

static inline void dci_prof_begin(dc_env_t *env, dci_event_t ev)
{
    if (DCI_UNLIKELY(env->prof.on))
        dci_prof_begin_slow(env, ev);
}

static inline void dci_prof_end(dc_env_t *env, dci_event_t ev, size_t bytes)
{
    if (DCI_UNLIKELY(env->prof.on))
        dci_prof_end_slow(env, ev, bytes);
}

static inline double dci_prof_mpi_begin(const dc_env_t *env)
{
    return DCI_UNLIKELY(env->prof.on) ? dci_wtime() : 0.0;
}

static inline void dci_prof_mpi_end(dc_env_t *env, double t0)
{
    if (DCI_UNLIKELY(env->prof.on))
        dci_prof_mpi_end_slow(env, t0);
}

static inline void dci_prof_send(dc_env_t *env, int peer, size_t bytes)
{
    if (DCI_UNLIKELY(env->prof.on))
        dci_prof_msg_slow(env, peer, bytes, 0, 1, 0);
}

static inline void dci_prof_recv(dc_env_t *env, int peer, size_t bytes)
{
    if (DCI_UNLIKELY(env->prof.on))
        dci_prof_msg_slow(env, peer, 0, bytes, 0, 1);
}

static inline void dci_prof_coll(dc_env_t *env, size_t sbytes, size_t rbytes)
{
    if (DCI_UNLIKELY(env->prof.on))
        dci_prof_msg_slow(env, -1, sbytes, rbytes, 1, 1);
}

static inline void dci_prof_flops(dc_env_t *env, double flops)
{
    if (DCI_UNLIKELY(env->prof.on))
        dci_prof_flops_slow(env, flops);
}

/* A collective call's time and this rank's buffers in one hook (t from dci_prof_mpi_begin). */
static inline void dci_prof_coll_end(dc_env_t *env, double t, size_t sbytes, size_t rbytes)
{
    if (DCI_UNLIKELY(env->prof.on)) {
        dci_prof_mpi_end_slow(env, t);
        dci_prof_msg_slow(env, -1, sbytes, rbytes, 1, 1);
    }
}

/*
 * A collective with per-peer counts (alltoallv, gatherv, scatterv, allgatherv): each peer's
 * part counts as a point-to-point message to or from that peer, this rank's own part not.
 * n peers of a communicator whose rank i is env rank ranks[i] (ranks NULL: env->comm itself);
 * scnt/rcnt: elements sent to / received from each (NULL: none), elsize bytes each.
 */
static inline void dci_prof_peers(dc_env_t *env, int n, const int *ranks, const int *scnt,
                                  const int *rcnt, size_t elsize)
{
    int i, r;

    if (DCI_LIKELY(!env->prof.on))
        return;
    for (i = 0; i < n; i++) {
        r = ranks != NULL ? ranks[i] : i;
        if (r == env->rank)
            continue;
        if (scnt != NULL && scnt[i] > 0)
            dci_prof_msg_slow(env, r, (size_t)scnt[i] * elsize, 0, 1, 0);
        if (rcnt != NULL && rcnt[i] > 0)
            dci_prof_msg_slow(env, r, 0, (size_t)rcnt[i] * elsize, 0, 1);
    }
}

/* ---------------------------------------------------------------- logging (lib/log.c) */

/* Prints to stderr only when DC_VERBOSE >= level; the library is silent otherwise. */
void dci_log(const dc_env_t *env, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* lib/mpi_check.c: DC_ERR_MPI (message in the NULL env's buffer) when the MPI this process
 * runs, or app_mpi ("mpich 4.0.2"; NULL: not checked), is not the one the library was built
 * for. Local, no MPI call but MPI_Get_library_version. */
int dci_mpi_check(const char *app_mpi);
/* The MPI this process runs: name (openmpi, mpich, mpi), version and, when text is not NULL, the
 * first line of MPI_Get_library_version. */
int dci_mpi_runtime(char *name, size_t nname, char *ver, size_t nver, char *text, size_t ntext);

#endif /* DC_IMPL_H */
