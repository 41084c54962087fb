/*
 * Private interface of the scheduler (lib/sched*.c): the dc_sched object, the state of one run,
 * the schedule implementations behind a small ops table, the node-shared memory they use, and
 * the canonical combination of partial values. Never installed.
 */
#ifndef DC_SCHED_IMPL_H
#define DC_SCHED_IMPL_H

#include "dc_impl.h"

#include <stdatomic.h>

enum { DCI_SCHED_CREATED = 0, DCI_SCHED_SETUP = 1 };

/* Keys of tree nodes: level in the top 6 bits, node index (start / 2^level) below. */
#define DCI_KEY_SHIFT       58
#define DCI_KEY(level, idx) (((uint64_t)(level) << DCI_KEY_SHIFT) | (uint64_t)(idx))
#define DCI_KEY_LEVEL(k)    ((int)((k) >> DCI_KEY_SHIFT))
#define DCI_KEY_INDEX(k)    ((int64_t)((k) & ((UINT64_C(1) << DCI_KEY_SHIFT) - 1)))
#define DCI_MAX_LEAVES      (INT64_C(1) << 57)
#define DCI_STACK_MAX       130 /* 2 entries per level at most, plus the one being pushed */

typedef struct dc_sched dc_sched_t;
typedef struct dci_run dci_run_t;

/* ---------------------------------------------------------------- node-shared memory */

/* A spinlock in shared memory: test-and-test-and-set, yielding the CPU while it waits, because
 * ranks are often oversubscribed (more ranks than cores) and the holder may be descheduled. */
typedef struct {
    atomic_int v;
} dci_spin_t;
void dci_spin_lock(dci_spin_t *l);
int dci_spin_trylock(dci_spin_t *l);
void dci_spin_unlock(dci_spin_t *l);
/* Back off in a wait loop: pause a little, then yield. */
void dci_sched_relax(int *spins);
/* In wait loops with a global counter: let MPI progress one-sided operations targeting this
 * rank (some MPIs progress them only inside MPI calls). */
void dci_sched_progress(dc_sched_t *s);

/* The node's share of the index space (in the node leader's segment). Two copies used
 * alternately by consecutive runs, so that a run can reset the next one's copy while slow ranks
 * still read the current one (a fast rank may enter run k+1 before a slow one left run k). */
typedef struct {
    _Alignas(64) atomic_llong next; /* next leaf to hand out */
    atomic_llong end;               /* end of the node's current range (several nodes only) */
    atomic_int dry;                 /* the global counter is exhausted (several nodes only) */
    dci_spin_t lock;                /* refills (several nodes only) */
    atomic_llong outstanding;       /* tasks queued or running on the node (task lists) */
    char pad_[24];
} dci_pool_t;

/* Per-rank stealable state (in the rank's own segment). */
typedef struct {
    _Alignas(64) dci_spin_t lock;
    int64_t epoch;       /* run the contents belong to; thieves skip other runs */
    int64_t lo, hi;      /* DC_SCHED_STEAL: leaves not taken yet */
    int64_t top, bottom; /* deque of spawned tasks: slots [top, bottom) (modulo capacity) */
    /* read without the lock by thieves choosing a victim: */
    atomic_llong range_hint; /* hi - lo */
    atomic_llong dq_hint;    /* bottom - top */
} dci_rank_shm_t;

typedef struct {
    dci_pool_t pool[2];
} dci_node_shm_t;

/* Deque slot header; the task's bytes follow. */
typedef struct {
    int64_t parent;  /* id of the parent task */
    int64_t ordinal; /* position among its parent's children */
} dci_slot_hdr_t;

/* ---------------------------------------------------------------- canonical combination */

/* A stack of tree nodes whose values are combined as soon as two siblings meet. */
typedef struct {
    int depth;
    int64_t end; /* one past the last leaf pushed: -1 when empty */
    uint64_t key[DCI_STACK_MAX];
    unsigned char *vals; /* DCI_STACK_MAX * vsize */
} dci_stack_t;

/* A growable array of (key, value) records: the partial values a rank produced. */
typedef struct {
    size_t n, cap;
    size_t rsize; /* 8 + vsize rounded up to 8 */
    unsigned char *data;
} dci_recs_t;

/* ---------------------------------------------------------------- implementations */

typedef struct dci_sched_ops {
    const char *name;
    /* Collective, at setup (after the common checks): allocate what the schedule needs. */
    int (*setup)(dc_sched_t *s);
    /* Local, at the start of a run, before the ranks synchronise: reset own shared state. */
    int (*begin)(dc_sched_t *s, dci_run_t *r);
    /* Next leaves [*lo, *hi) for this rank: 1, or 0 when it has no more work. */
    int (*next)(dc_sched_t *s, dci_run_t *r, int64_t *lo, int64_t *hi);
    void (*free)(dc_sched_t *s);
} dci_sched_ops_t;

extern const dci_sched_ops_t dci_sched_static_ops;  /* STATIC, CYCLIC, WEIGHTED */
extern const dci_sched_ops_t dci_sched_dynamic_ops; /* DYNAMIC, GUIDED */
extern const dci_sched_ops_t dci_sched_steal_ops;   /* STEAL */

/* ---------------------------------------------------------------- one run */

struct dci_run {
    int tasks_mode;  /* 0: index space, 1: task list */
    int64_t n;       /* indices (index space) or initial tasks */
    int64_t nleaves; /* blocks, or initial tasks */
    int parity;      /* epoch & 1: which copy of the node pool */
    int64_t epoch;
    dc_sched_fn_t fn;
    dc_sched_task_fn_t task_fn;
    void *ctx;
    const unsigned char *tasks;
    size_t task_size;
    /* schedule state, private to the rank */
    int64_t cur, stop;          /* static: current piece; cyclic: next chunk number */
    int64_t lo_steal, hi_steal; /* steal: first leaf of the own range given at begin */
    uint64_t rng;               /* victim selection */
    /* results */
    dci_stack_t stack;
    dci_recs_t recs;
    int failed;       /* values are no longer combined (a callback or the rank failed) */
    int64_t err_leaf; /* lowest failing leaf (index space) */
    int err_code;     /* its callback's code */
    int internal_rc;  /* a failure of the rank itself (memory, MPI) */
    void *task_state; /* lib/sched_task.c, kept between runs */
    dc_sched_stats_t st;
    double t0;
};

/* ---------------------------------------------------------------- the object */

struct dc_sched {
    dci_obj_t hdr;
    int state;
    MPI_Comm comm; /* private duplicate of env->comm: the run's own messages */
    int rank, size;
    dc_sched_kind_t kind;
    int64_t chunk, grain;
    dc_dtype_t type;
    size_t count, vsize;
    dc_reduce_op_t op;
    int root;
    double weight;
    double *weights; /* DC_SCHED_WEIGHTED: all ranks' weights */
    const dci_sched_ops_t *ops;
    int64_t nruns;

    /* node-shared memory (dynamic, guided, steal, task lists) */
    MPI_Win shm_win;
    dci_node_shm_t *node;  /* the node leader's segment */
    dci_rank_shm_t **peer; /* node_size pointers, peer[node_rank] is this rank's */
    int node_rank, node_size, nnodes;
    int node_prefix;  /* ranks on the nodes before this one (leaders' order) */
    MPI_Win glob_win; /* several nodes: counters on rank 0 of comm */
    int64_t *glob;
    int global; /* 1: the global counter works; 0: each node keeps a static share of the
                   range (one node, or no one-sided MPI across nodes) */
    /* deques of spawned tasks (task lists with DC_SCHED_STEAL), allocated on first use */
    MPI_Win dq_win;
    unsigned char **dq; /* node_size pointers to the slot arrays */
    size_t dq_slot;     /* bytes per slot */
    int64_t dq_cap;

    /* statistics of the last run, all ranks */
    int have_stats;
    dc_sched_stats_t *stats;
    int64_t *xbuf; /* 16 * size: exchanges at the end of a run (allocated at
                      setup, so that no rank can skip a collective for memory) */
    int *ibuf;     /* 2 * size */
    dci_run_t run;
};

/* ---------------------------------------------------------------- lib/sched_combine.c */

int dci_sched_value_setup(dc_sched_t *s); /* check type/op, set vsize */
/* left = op(left, right); right may be overwritten. */
void dci_sched_combine(const dc_sched_t *s, void *left, void *right);
/* Identity of a built-in op in out; 0 for a user op (out unchanged). */
int dci_sched_identity(const dc_sched_t *s, void *out);
int dci_stack_init(dc_sched_t *s, dci_stack_t *st);
void dci_stack_free(dci_stack_t *st);
/* Slot for the value of the leaf about to be pushed. */
static inline void *dci_stack_slot(const dc_sched_t *s, dci_stack_t *st)
{
    return st->vals + (size_t)st->depth * s->vsize;
}
/* Push leaf (its value already in the slot) and merge siblings. */
void dci_stack_push_leaf(const dc_sched_t *s, dci_stack_t *st, int64_t leaf);
/* Finish the tree over everything pushed (positions 0 .. end-1, the top nodes have no right
 * siblings): the root value to out. Returns 0 if the stack is empty, 1 otherwise. */
int dci_stack_finish(const dc_sched_t *s, dci_stack_t *st, void *out);
/* Move the stack's nodes to the records (before a gap). */
int dci_stack_flush(dc_sched_t *s, dci_stack_t *st, dci_recs_t *recs);
int dci_recs_init(dc_sched_t *s, dci_recs_t *recs);
void dci_recs_free(dci_recs_t *recs);
int dci_recs_append(dc_sched_t *s, dci_recs_t *recs, uint64_t key, const void *val);
/* Collective on s->comm: merge all ranks' records in the canonical tree of nleaves leaves;
 * result on root (or all). Returns a DC code agreed on all ranks. */
int dci_sched_merge(dc_sched_t *s, dci_run_t *r, void *result);

/* ---------------------------------------------------------------- lib/sched_task.c */

/* The task-list run on this rank (loop over initial tasks, spawned tasks, steals). */
int dci_sched_task_loop(dc_sched_t *s, dci_run_t *r);
/* Collective: gather the task records, evaluate in pre-order, result on root/all. */
int dci_sched_task_merge(dc_sched_t *s, dci_run_t *r, void *result);
void dci_sched_task_free(dci_run_t *r);

/* ---------------------------------------------------------------- lib/sched_dynamic.c */

/* Collective on the node: the node-shared window (pool, per-rank state). */
int dci_sched_shm_setup(dc_sched_t *s);
void dci_sched_shm_free(dc_sched_t *s);
/* Take up to 'want' leaves from the node pool (guided: want < 0 means "guided size with
 * minimum -want"); returns the number taken (0: nothing left anywhere). */
int64_t dci_sched_pool_take(dc_sched_t *s, dci_run_t *r, int64_t want, int64_t *lo_p);
/* Local: reset the pool copy of run r (node leader; rank 0 for the global counter). */
int dci_sched_pool_reset(dc_sched_t *s, dci_run_t *r, int64_t start);
/* 1 when the pool has nothing left for this run (no refill possible). */
int dci_sched_pool_empty(dc_sched_t *s, dci_run_t *r);

/* ---------------------------------------------------------------- lib/sched_steal.c */

/* Task lists with stealing: the deque window, push/pop by the owner, steal by thieves. */
int dci_sched_deque_setup(dc_sched_t *s, size_t task_size);
void dci_sched_deque_free(dc_sched_t *s);
/* Owner: push a slot (hdr + task). 0: pushed, 1: full. */
int dci_sched_deque_push(dc_sched_t *s, dci_run_t *r, const dci_slot_hdr_t *h, const void *task);
/* Owner: pop the newest slot into (h, task). 1: got one, 0: empty. */
int dci_sched_deque_pop(dc_sched_t *s, dci_run_t *r, dci_slot_hdr_t *h, void *task);
/* Thief: move up to half of a random victim's oldest slots into the own deque. Returns the
 * number moved. */
int64_t dci_sched_deque_steal(dc_sched_t *s, dci_run_t *r);
/* Own range: take up to 'want' leaves from the front. 1: got [lo, hi). */
int dci_sched_steal_own(dc_sched_t *s, dci_run_t *r, int64_t want, int64_t *lo, int64_t *hi);
/* Steal half of a random victim's range into the own range, or refill it from the pool;
 * then take up to 'want' from it. 1: got [lo, hi); 0: nothing found in one scan. */
int dci_sched_steal_range(dc_sched_t *s, dci_run_t *r, int64_t want, int64_t *lo, int64_t *hi);
/* 1 if no peer of the node shows stealable work (ranges or deques). */
int dci_sched_steal_none_left(dc_sched_t *s, dci_run_t *r);

/* ---------------------------------------------------------------- lib/sched_static.c */

/* Collective: DC_SCHED_WEIGHTED weights (cores, given, or calibrated). */
int dci_sched_weights_setup(dc_sched_t *s);

/* The driver's helpers (lib/sched.c). */
uint64_t dci_sched_rand(uint64_t *state);

#endif /* DC_SCHED_IMPL_H */
