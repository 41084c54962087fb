/*
 * DC_TRACE: a timeline of every public operation (outermost and nested) and every user region,
 * per rank, in a ring buffer of DC_TRACE_EVENTS fixed-size records allocated once at
 * dc_env_create (the oldest are overwritten and counted). Clocks are aligned to rank 0 by a
 * ping-pong at create and again at write time, interpolated linearly in between. Writing merges
 * the ranks on rank 0 one rank and one bounded chunk at a time into one Chrome trace-event JSON
 * file, each event encoded with jansson and streamed, so no rank ever holds more than its own
 * ring and one chunk.
 */
#include "trace.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if DC_HAVE_JANSSON
#include <jansson.h>
#endif

#if DC_HAVE_JANSSON
/* Names of the public operations, from the same list as the profiler's. */
static const char *const trace_op_names[DCI_EV_COUNT] = {
#define DCI_EVENT(id, name) [DCI_EV_##id] = name,
#include "dc_events.h"
#undef DCI_EVENT
};
#endif

#define TRACE_NAMES       128  /* distinct region names per env */
#define TRACE_NAME_LEN    64   /* bytes per region name, with its NUL */
#define TRACE_CHUNK       1024 /* events per message when merging (48 KiB) */
#define TRACE_SYNC_ROUNDS 8    /* ping-pong round trips per rank and measurement */
#define TRACE_TAG         7    /* every message on the trace's own communicator */

enum { TRACE_OP = 0, TRACE_REGION = 1 };

/* One recorded event: 48 bytes (the figure DC_TRACE_EVENTS's help and docs/trace.md give). */
typedef struct trace_ev {
    double t0, t1;           /* local dci_wtime() at begin and end */
    uint64_t sbytes, rbytes; /* bytes the operation itself passed to MPI (not nested ones) */
    uint64_t seq;            /* 0-based order of recording (at the event's end) on this rank */
    uint32_t name;           /* < DCI_EV_COUNT: an operation; else region name - DCI_EV_COUNT */
    uint16_t depth;          /* operations open around it when it began */
    uint16_t kind;           /* TRACE_OP or TRACE_REGION */
} trace_ev_t;

/* One event as sent to rank 0: times aligned to rank 0's clock, in microseconds. */
typedef struct trace_wire {
    double ts, dur;
    uint64_t sbytes, rbytes, seq;
    uint32_t name;
    uint16_t depth, kind;
} trace_wire_t;

/* One open operation (the stack mirrors the profiler's). */
typedef struct trace_open {
    double t0;
    uint64_t sbytes, rbytes;
    int ev;
} trace_open_t;

/* A clock measurement: offset (this rank's clock minus rank 0's) at local time t, error bound. */
typedef struct trace_clock {
    double t, offset, err;
} trace_clock_t;

struct dci_trace {
    MPI_Comm comm;    /* private duplicate: the ping-pong and the merge never meet other traffic */
    trace_ev_t *ring; /* [cap] */
    uint64_t cap;     /* DC_TRACE_EVENTS */
    uint64_t total;   /* events recorded; the ring holds the last min(total, cap) */
    trace_open_t open[DCI_PROF_STACK];
    int nopen;         /* may exceed DCI_PROF_STACK: deeper operations are not recorded */
    uint64_t too_deep; /* operations not recorded because nesting exceeded the stack */
    char (*names)[TRACE_NAME_LEN];     /* [TRACE_NAMES] region names */
    const char *name_key[TRACE_NAMES]; /* the pointer each name was last recorded from */
    int nnames;
    trace_clock_t c0, c1;                 /* at create, at the last write */
    trace_wire_t *chunk;                  /* [TRACE_CHUNK] */
    char (*rnames)[TRACE_NAME_LEN];       /* rank 0: another rank's region names while merging */
    double skew_off, skew_drift, skew_t0; /* test hook DC_TEST_TRACE_CLOCK (trace_clock) */
};

/*
 * The trace's view of this rank's clock. The test hook DC_TEST_TRACE_CLOCK="OFFSET,DRIFT"
 * (seconds, seconds per second) makes rank r's clock read t + r*OFFSET + r*DRIFT*(t - t_init),
 * as on nodes whose clocks differ and drift, so that the tests can check the alignment on one
 * machine, where all ranks share one clock. Not for production use.
 */
static inline double trace_clock(const dci_trace_t *tr, double t)
{
    return t + tr->skew_off + tr->skew_drift * (t - tr->skew_t0);
}

/* ---------------------------------------------------------------- recording */

static void trace_push(dci_trace_t *tr, double t0, double t1, uint64_t sb, uint64_t rb,
                       uint32_t name, int depth, int kind)
{
    trace_ev_t *e = &tr->ring[tr->total % tr->cap];

    e->t0 = t0;
    e->t1 = t1;
    e->sbytes = sb;
    e->rbytes = rb;
    e->seq = tr->total;
    e->name = name;
    e->depth = (uint16_t)(depth < 0 ? 0 : depth > 0xffff ? 0xffff : depth);
    e->kind = (uint16_t)kind;
    tr->total++;
}

void dci_trace_op_begin(dc_env_t *env, int ev)
{
    dci_trace_t *tr = env->prof.trace;
    trace_open_t *o;

    if (tr->nopen < DCI_PROF_STACK) {
        o = &tr->open[tr->nopen];
        o->ev = ev;
        o->sbytes = env->prof.ev[ev].sbytes;
        o->rbytes = env->prof.ev[ev].rbytes;
        o->t0 = trace_clock(tr, dci_wtime());
    } else {
        tr->too_deep++;
    }
    tr->nopen++;
}

void dci_trace_op_end(dc_env_t *env, int ev)
{
    dci_trace_t *tr = env->prof.trace;
    double t1 = trace_clock(tr, dci_wtime());
    const trace_open_t *o;
    uint64_t sb, rb;
    int i;

    if (tr->nopen > DCI_PROF_STACK) {
        tr->nopen--;
        return;
    }
    /* Normally the innermost open operation is ev; an end whose begin was missed (tracing
     * switched on in between, a reset) closes down to the matching one, or is ignored. */
    for (i = tr->nopen - 1; i >= 0 && tr->open[i].ev != ev; i--)
        ;
    if (i < 0)
        return;
    o = &tr->open[i];
    sb = env->prof.ev[ev].sbytes;
    rb = env->prof.ev[ev].rbytes;
    /* dc_prof_reset inside the operation (a callback) restarts the counters */
    sb = sb >= o->sbytes ? sb - o->sbytes : sb;
    rb = rb >= o->rbytes ? rb - o->rbytes : rb;
    trace_push(tr, o->t0, t1, sb, rb, (uint32_t)ev, i, TRACE_OP);
    tr->nopen = i;
}

/* The index of a region name, interned on first use (bytes outside printable ASCII become
 * '?', so the JSON stays valid UTF-8); -1 when the table is full. */
static int trace_intern(dci_trace_t *tr, const char *name)
{
    char buf[TRACE_NAME_LEN];
    size_t i;
    int k;

    for (k = 0; k < tr->nnames; k++)
        if (tr->name_key[k] == name)
            return k;
    for (i = 0; i + 1 < sizeof(buf) && name[i] != '\0'; i++)
        buf[i] = (name[i] >= 0x20 && name[i] < 0x7f) ? name[i] : '?';
    buf[i] = '\0';
    for (k = 0; k < tr->nnames; k++) {
        if (strcmp(tr->names[k], buf) == 0) {
            tr->name_key[k] = name;
            return k;
        }
    }
    if (tr->nnames >= TRACE_NAMES)
        return -1;
    memcpy(tr->names[tr->nnames], buf, i + 1);
    tr->name_key[tr->nnames] = name;
    return tr->nnames++;
}

void dci_trace_record(dc_env_t *env, const char *name, double t0, double t1, uint64_t sbytes,
                      uint64_t rbytes)
{
    dci_trace_t *tr = env->prof.trace;
    int k;

    if (tr == NULL || name == NULL)
        return;
    k = trace_intern(tr, name);
    if (k < 0) {
        tr->too_deep++; /* counted with the events that could not be recorded */
        return;
    }
    trace_push(tr, trace_clock(tr, t0), trace_clock(tr, t1), sbytes, rbytes,
               (uint32_t)(DCI_EV_COUNT + k),
               tr->nopen < DCI_PROF_STACK ? tr->nopen : DCI_PROF_STACK, TRACE_REGION);
}

/* ---------------------------------------------------------------- free */

static void trace_destroy(dci_trace_t *tr)
{
    if (tr == NULL)
        return;
    if (tr->comm != MPI_COMM_NULL)
        MPI_Comm_free(&tr->comm);
    dci_free(tr->ring);
    dci_free(tr->names);
    dci_free(tr->chunk);
    dci_free(tr->rnames);
    dci_free(tr);
}

void dci_trace_free(dc_env_t *env)
{
    trace_destroy(env->prof.trace);
    env->prof.trace = NULL;
}

#if DC_HAVE_JANSSON
/* ---------------------------------------------------------------- clocks */

/*
 * Offset of each rank's clock to rank 0's: rank 0 sends its time, the other rank answers with
 * its own, rank 0 takes the midpoint of the round trip; of TRACE_SYNC_ROUNDS round trips the
 * one with the smallest round-trip time wins, and half of that is the error bound (the reply
 * was read somewhere inside the round trip). Rank 0 then tells the rank its offset, the bound
 * and the rank's own time of the winning reply. Ranks are measured one after the other.
 */
static int trace_sync(dc_env_t *env, dci_trace_t *tr, trace_clock_t *c)
{
    double res[3], ts, te, tr_, best;
    int r, k, rc = DC_SUCCESS;

    if (env->rank == 0) {
        c->t = trace_clock(tr, dci_wtime());
        c->offset = 0.0;
        c->err = 0.0;
        for (r = 1; r < env->size; r++) {
            best = -1.0;
            res[0] = res[1] = res[2] = 0.0;
            for (k = 0; k < TRACE_SYNC_ROUNDS; k++) {
                ts = trace_clock(tr, dci_wtime());
                DC_CHECK_MPI_GOTO(env, MPI_Send(&ts, 1, MPI_DOUBLE, r, TRACE_TAG, tr->comm), out);
                DC_CHECK_MPI_GOTO(
                    env, MPI_Recv(&tr_, 1, MPI_DOUBLE, r, TRACE_TAG, tr->comm, MPI_STATUS_IGNORE),
                    out);
                te = trace_clock(tr, dci_wtime());
                if (best < 0.0 || te - ts < best) {
                    best = te - ts;
                    res[0] = tr_ - 0.5 * (ts + te);
                    res[1] = 0.5 * best;
                    res[2] = tr_;
                }
            }
            DC_CHECK_MPI_GOTO(env, MPI_Send(res, 3, MPI_DOUBLE, r, TRACE_TAG, tr->comm), out);
        }
    } else {
        for (k = 0; k < TRACE_SYNC_ROUNDS; k++) {
            DC_CHECK_MPI_GOTO(
                env, MPI_Recv(&ts, 1, MPI_DOUBLE, 0, TRACE_TAG, tr->comm, MPI_STATUS_IGNORE), out);
            tr_ = trace_clock(tr, dci_wtime());
            DC_CHECK_MPI_GOTO(env, MPI_Send(&tr_, 1, MPI_DOUBLE, 0, TRACE_TAG, tr->comm), out);
        }
        DC_CHECK_MPI_GOTO(
            env, MPI_Recv(res, 3, MPI_DOUBLE, 0, TRACE_TAG, tr->comm, MPI_STATUS_IGNORE), out);
        c->offset = res[0];
        c->err = res[1];
        c->t = res[2];
    }
out:
    return rc;
}

/* Local time t on rank 0's clock: the offset interpolated linearly between the measurements
 * at create and at the last write (drift), held constant outside them. */
static double trace_align(const dci_trace_t *tr, double t)
{
    double off = tr->c0.offset, span = tr->c1.t - tr->c0.t;

    if (span > 0.0) {
        double a = (t - tr->c0.t) / span;
        a = a < 0.0 ? 0.0 : a > 1.0 ? 1.0 : a;
        off = tr->c0.offset + a * (tr->c1.offset - tr->c0.offset);
    }
    return t - off;
}

/* ---------------------------------------------------------------- set up */

/* Rank 0: can path be written? Leaves no file behind that was not there. */
static int trace_check_path(dc_env_t *env, const char *path)
{
    int existed = access(path, F_OK) == 0;
    FILE *f = fopen(path, "a");

    if (f == NULL)
        return DC_ERR(env, DC_ERR_IO, "DC_TRACE: cannot open '%s' for writing: %s", path,
                      strerror(errno));
    fclose(f);
    if (!existed)
        remove(path);
    return DC_SUCCESS;
}

/* The test hook's skew of this rank's clock (see trace_clock). */
static void trace_test_skew(const dc_env_t *env, dci_trace_t *tr)
{
    const char *s = getenv("DC_TEST_TRACE_CLOCK");
    double off = 0.0, drift = 0.0;

    tr->skew_t0 = dci_wtime();
    if (s != NULL && sscanf(s, "%lf,%lf", &off, &drift) >= 1) {
        tr->skew_off = env->rank * off;
        tr->skew_drift = env->rank * drift;
    }
}

int dci_trace_init(dc_env_t *env)
{
    dci_trace_t *tr = NULL;
    MPI_Comm comm = MPI_COMM_NULL;
    int rc = DC_SUCCESS, mrc;

    if (env->opts.trace[0] == '\0')
        return DC_SUCCESS;
    if (env->opts.trace_events < 1)
        return DC_ERR(env, DC_ERR_ARG,
                      "DC_TRACE_EVENTS=%d: the ring buffer needs room for at least 1 event",
                      env->opts.trace_events);
    /* Every rank duplicates and allocates whatever rank 0 found about the path (the options
     * are the same on every rank, so all of them get here); the caller agrees. */
    mrc = MPI_Comm_dup(env->comm, &comm);
    if (mrc != MPI_SUCCESS)
        return DC_ERR_MPI_RC(env, mrc, "MPI_Comm_dup");
    if (env->rank == 0)
        rc = trace_check_path(env, env->opts.trace);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, 1, sizeof(*tr), (void **)&tr);
    if (rc != DC_SUCCESS) {
        MPI_Comm_free(&comm);
        return dci_agree(env, rc);
    }
    tr->comm = comm;
    tr->cap = (uint64_t)env->opts.trace_events;
    trace_test_skew(env, tr);
    rc = dci_calloc(env, (size_t)tr->cap, sizeof(trace_ev_t), (void **)&tr->ring);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, TRACE_NAMES, TRACE_NAME_LEN, (void **)&tr->names);
    if (rc == DC_SUCCESS)
        rc = dci_calloc(env, TRACE_CHUNK, sizeof(trace_wire_t), (void **)&tr->chunk);
    if (rc == DC_SUCCESS && env->rank == 0)
        rc = dci_calloc(env, TRACE_NAMES, TRACE_NAME_LEN, (void **)&tr->rnames);
    /* The clock measurement pairs ranks: agree first, so that nobody waits for a rank that
     * has failed. */
    rc = dci_agree(env, rc);
    if (rc == DC_SUCCESS)
        rc = dci_agree(env, trace_sync(env, tr, &tr->c0));
    if (rc != DC_SUCCESS) {
        trace_destroy(tr);
        return rc;
    }
    tr->c1 = tr->c0;
    env->prof.trace = tr;
    return DC_SUCCESS;
}

/* ---------------------------------------------------------------- writing */

/* What rank 0 learns about each rank before merging. */
typedef struct trace_head {
    uint64_t total, kept, dropped, not_recorded;
    double err_us;   /* clock error bound, the larger of the two measurements */
    double first_ts; /* aligned time of the first kept event (us from the origin); -1: none */
    int nnames;
    int pad;
    char node[TRACE_NAME_LEN];
} trace_head_t;

/* Rank 0's output: elements of the traceEvents array, separated by commas. */
typedef struct trace_out {
    FILE *f;
    long n;  /* elements written */
    int bad; /* jansson or stdio failed */
} trace_out_t;

#define TRACE_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Seconds to microseconds, rounded to nanoseconds so that 15 digits print them exactly. */
static double trace_us(double seconds)
{
    return nearbyint(seconds * 1e9) / 1e3;
}

/* One element of traceEvents (v is consumed; NULL: jansson failed). */
static void trace_put(trace_out_t *o, json_t *v)
{
    if (v == NULL || (o->n > 0 && fputs(",\n", o->f) == EOF) ||
        json_dumpf(v, o->f, TRACE_JSON_FLAGS) != 0)
        o->bad = 1;
    json_decref(v);
    o->n++;
}

/* The metadata events of rank r (process name, sort order, thread name). */
static void trace_put_meta(trace_out_t *o, int r, const trace_head_t *h)
{
    char label[TRACE_NAME_LEN + 32];

    snprintf(label, sizeof(label), "rank %d (%s)", r, h->node);
    trace_put(o, json_pack("{s:s,s:s,s:i,s:i,s:{s:s}}", "name", "process_name", "ph", "M", "pid", r,
                           "tid", 0, "args", "name", label));
    trace_put(o, json_pack("{s:s,s:s,s:i,s:i,s:{s:i}}", "name", "process_sort_index", "ph", "M",
                           "pid", r, "tid", 0, "args", "sort_index", r));
    trace_put(o, json_pack("{s:s,s:s,s:i,s:i,s:{s:s}}", "name", "thread_name", "ph", "M", "pid", r,
                           "tid", 0, "args", "name", "libdcompute"));
}

/* One complete event of rank r; region names from that rank's table. */
static void trace_put_event(trace_out_t *o, int r, const trace_wire_t *w,
                            const char (*names)[TRACE_NAME_LEN], int nnames)
{
    const char *name = "?";

    if (w->name < DCI_EV_COUNT)
        name = trace_op_names[w->name];
    else if ((int)(w->name - DCI_EV_COUNT) < nnames)
        name = names[w->name - DCI_EV_COUNT];
    trace_put(o, json_pack("{s:s,s:s,s:s,s:f,s:f,s:i,s:i,s:{s:I,s:I,s:i,s:I}}", "name", name, "cat",
                           w->kind == TRACE_OP ? "op" : "region", "ph", "X", "ts", w->ts, "dur",
                           w->dur, "pid", r, "tid", 0, "args", "bytes_sent", (json_int_t)w->sbytes,
                           "bytes_recv", (json_int_t)w->rbytes, "depth", (int)w->depth, "seq",
                           (json_int_t)w->seq));
}

/* "dropped N events" as an instant event on rank r's track, at its first kept event. */
static void trace_put_dropped(trace_out_t *o, int r, const trace_head_t *h)
{
    char msg[96];

    snprintf(msg, sizeof(msg), "dropped %llu events", (unsigned long long)h->dropped);
    trace_put(o, json_pack("{s:s,s:s,s:s,s:s,s:f,s:i,s:i,s:{s:I,s:I}}", "name", msg, "cat", "trace",
                           "ph", "i", "s", "p", "ts", h->first_ts > 0.0 ? h->first_ts : 0.0, "pid",
                           r, "tid", 0, "args", "dropped", (json_int_t)h->dropped, "kept",
                           (json_int_t)h->kept));
}

/* This rank's kept events from the i-th (oldest first), aligned, into the chunk; the count. */
static int trace_fill_chunk(const dci_trace_t *tr, uint64_t i, uint64_t kept, double origin)
{
    uint64_t first = tr->total - kept;
    int n = 0;

    for (; i < kept && n < TRACE_CHUNK; i++, n++) {
        const trace_ev_t *e = &tr->ring[(first + i) % tr->cap];
        trace_wire_t *w = &tr->chunk[n];
        double ts = trace_us(trace_align(tr, e->t0) - origin);
        double te = trace_us(trace_align(tr, e->t1) - origin);

        w->ts = ts;
        w->dur = te > ts ? nearbyint((te - ts) * 1e3) / 1e3 : 0.0;
        w->sbytes = e->sbytes;
        w->rbytes = e->rbytes;
        w->seq = e->seq;
        w->name = e->name;
        w->depth = e->depth;
        w->kind = e->kind;
    }
    return n;
}

/* The otherData object (rank 0). */
static json_t *trace_other(dc_env_t *env, const trace_head_t *heads, uint64_t dropped)
{
    json_t *o = json_object(), *ev = json_array(), *dr = json_array(), *er = json_array();
    json_t *nr = json_array();
    char note[96];
    int r, bad = o == NULL || ev == NULL || dr == NULL || er == NULL || nr == NULL;

    for (r = 0; r < env->size && !bad; r++) {
        bad |= json_array_append_new(ev, json_integer((json_int_t)heads[r].kept));
        bad |= json_array_append_new(dr, json_integer((json_int_t)heads[r].dropped));
        bad |= json_array_append_new(er, json_real(heads[r].err_us));
        bad |= json_array_append_new(nr, json_integer((json_int_t)heads[r].not_recorded));
    }
    if (bad) {
        json_decref(o);
        json_decref(ev);
        json_decref(dr);
        json_decref(er);
        json_decref(nr);
        return NULL;
    }
    snprintf(note, sizeof(note), "dropped %llu events", (unsigned long long)dropped);
    json_object_set_new(o, "schema", json_string("dcompute-trace"));
    json_object_set_new(o, "version", json_integer(1));
    json_object_set_new(o, "library", json_string("libdcompute " DC_VERSION_STRING));
    json_object_set_new(o, "ranks", json_integer(env->size));
    json_object_set_new(o, "capacity_per_rank", json_integer((json_int_t)env->prof.trace->cap));
    json_object_set_new(o, "bytes_per_event", json_integer((json_int_t)sizeof(trace_ev_t)));
    json_object_set_new(o, "events_per_rank", ev);
    json_object_set_new(o, "dropped_events", json_integer((json_int_t)dropped));
    json_object_set_new(o, "dropped_per_rank", dr);
    json_object_set_new(o, "not_recorded_per_rank", nr);
    json_object_set_new(o, "note", json_string(note));
    json_object_set_new(o, "clock_error_us", er);
    json_object_set_new(
        o, "clock_method",
        json_string("offset of each rank's clock to rank 0's by ping-pong (the smallest of 8 "
                    "round trips) at dc_env_create and at write time, interpolated linearly in "
                    "between; error bound per rank: half that round trip"));
    json_object_set_new(o, "time_origin",
                        json_string("ts 0 = the earliest kept event of any rank (or the "
                                    "trace's start), on rank 0's clock"));
    return o;
}

/* Rank 0: write the file, receiving the other ranks' events one rank and chunk at a time. */
static int trace_merge(dc_env_t *env, FILE *f, trace_head_t *heads, double origin, const char *path)
{
    dci_trace_t *tr = env->prof.trace;
    trace_out_t o = {f, 0, 0};
    uint64_t dropped = 0;
    int r, rc = DC_SUCCESS;

    o.bad |= fputs("{\"traceEvents\":[\n", f) == EOF;
    for (r = 0; r < env->size; r++) {
        heads[r].node[TRACE_NAME_LEN - 1] = '\0';
        dropped += heads[r].dropped;
        trace_put_meta(&o, r, &heads[r]);
    }
    for (r = 0; r < env->size; r++) {
        const char(*names)[TRACE_NAME_LEN] = (const char(*)[TRACE_NAME_LEN])tr->names;
        uint64_t i = 0;
        if (r > 0) {
            int go = 1;
            /* one rank at a time: it sends only when asked */
            DC_CHECK_MPI_GOTO(env, MPI_Send(&go, 1, MPI_INT, r, TRACE_TAG, tr->comm), out);
            DC_CHECK_MPI_GOTO(env,
                              MPI_Recv(tr->rnames, TRACE_NAMES * TRACE_NAME_LEN, MPI_CHAR, r,
                                       TRACE_TAG, tr->comm, MPI_STATUS_IGNORE),
                              out);
            names = (const char(*)[TRACE_NAME_LEN])tr->rnames;
        }
        while (i < heads[r].kept) {
            int n, j;
            if (r == 0) {
                n = trace_fill_chunk(tr, i, heads[0].kept, origin);
            } else {
                n = (int)(heads[r].kept - i < TRACE_CHUNK ? heads[r].kept - i : TRACE_CHUNK);
                DC_CHECK_MPI_GOTO(env,
                                  MPI_Recv(tr->chunk, n * (int)sizeof(trace_wire_t), MPI_BYTE, r,
                                           TRACE_TAG, tr->comm, MPI_STATUS_IGNORE),
                                  out);
            }
            for (j = 0; j < n; j++)
                trace_put_event(&o, r, &tr->chunk[j], names, heads[r].nnames);
            i += (uint64_t)n;
        }
        if (heads[r].dropped > 0)
            trace_put_dropped(&o, r, &heads[r]);
    }
    o.bad |= fputs("\n],\n\"displayTimeUnit\":\"ms\",\n\"otherData\":", f) == EOF;
    {
        json_t *other = trace_other(env, heads, dropped);
        o.bad |= other == NULL || json_dumpf(other, f, TRACE_JSON_FLAGS) != 0;
        json_decref(other);
    }
    o.bad |= fputs("}\n", f) == EOF;
    if (o.bad)
        rc = DC_ERR(env, DC_ERR_IO, "writing the trace file '%s' failed", path);
    else if (dropped > 0)
        fprintf(stderr,
                "libdcompute: trace %s: dropped %llu events (the oldest; DC_TRACE_EVENTS=%llu "
                "per rank)\n",
                path, (unsigned long long)dropped, (unsigned long long)tr->cap);
out:
    return rc;
}

/* Not rank 0: send this rank's region names and events when rank 0 asks. */
static int trace_send(dc_env_t *env, uint64_t kept, double origin)
{
    dci_trace_t *tr = env->prof.trace;
    uint64_t i = 0;
    int go, rc = DC_SUCCESS;

    DC_CHECK_MPI_GOTO(env, MPI_Recv(&go, 1, MPI_INT, 0, TRACE_TAG, tr->comm, MPI_STATUS_IGNORE),
                      out);
    DC_CHECK_MPI_GOTO(
        env, MPI_Send(tr->names, TRACE_NAMES * TRACE_NAME_LEN, MPI_CHAR, 0, TRACE_TAG, tr->comm),
        out);
    while (i < kept) {
        int n = trace_fill_chunk(tr, i, kept, origin);
        DC_CHECK_MPI_GOTO(
            env,
            MPI_Send(tr->chunk, n * (int)sizeof(trace_wire_t), MPI_BYTE, 0, TRACE_TAG, tr->comm),
            out);
        i += (uint64_t)n;
    }
out:
    return rc;
}

/* The collective write. Every rank returns the same code. */
static int trace_write(dc_env_t *env, const char *path)
{
    dci_trace_t *tr = env->prof.trace;
    trace_head_t me, *heads = NULL;
    uint64_t kept;
    double first, origin, start;
    FILE *f = NULL;
    int rc;

    /* The clocks again, for the drift; then this rank's summary. */
    rc = dci_agree(env, trace_sync(env, tr, &tr->c1));
    if (rc != DC_SUCCESS)
        return rc;
    kept = tr->total < tr->cap ? tr->total : tr->cap;
    memset(&me, 0, sizeof(me));
    me.total = tr->total;
    me.kept = kept;
    me.dropped = tr->total - kept;
    me.not_recorded = tr->too_deep;
    me.err_us = 1e6 * (tr->c0.err > tr->c1.err ? tr->c0.err : tr->c1.err);
    me.nnames = tr->nnames;
    memcpy(me.node, env->place.node_name, strnlen(env->place.node_name, sizeof(me.node) - 1));
    start = trace_align(tr, tr->c0.t);
    first = kept > 0 ? trace_align(tr, tr->ring[(tr->total - kept) % tr->cap].t0) : start;
    origin = first < start ? first : start;
    /* the origin: every rank's ts is >= 0 */
    if (MPI_Allreduce(MPI_IN_PLACE, &origin, 1, MPI_DOUBLE, MPI_MIN, tr->comm) != MPI_SUCCESS)
        rc = DC_ERR(env, DC_ERR_MPI, "MPI_Allreduce of the trace's time origin failed");
    me.first_ts = kept > 0 ? trace_us(first - origin) : -1.0;
    if (rc == DC_SUCCESS && env->rank == 0)
        rc = dci_malloc(env, (size_t)env->size * sizeof(*heads), (void **)&heads);
    if (rc == DC_SUCCESS && env->rank == 0) {
        f = fopen(path, "w");
        if (f == NULL)
            rc = DC_ERR(env, DC_ERR_IO, "cannot open the trace file '%s' for writing: %s", path,
                        strerror(errno));
    }
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        goto out;
    DC_CHECK_MPI_GOTO(
        env,
        MPI_Gather(&me, (int)sizeof(me), MPI_BYTE, heads, (int)sizeof(me), MPI_BYTE, 0, tr->comm),
        out);
    if (env->rank == 0) {
        rc = trace_merge(env, f, heads, origin, path);
        if (fclose(f) != 0 && rc == DC_SUCCESS)
            rc = DC_ERR(env, DC_ERR_IO, "closing the trace file '%s' failed: %s", path,
                        strerror(errno));
        f = NULL;
    } else {
        rc = trace_send(env, kept, origin);
    }
out:
    if (f != NULL)
        fclose(f);
    dci_free(heads);
    return dci_agree(env, rc);
}

int dci_trace_write_at_destroy(dc_env_t *env)
{
    if (env->prof.trace == NULL)
        return DC_SUCCESS;
    return trace_write(env, env->opts.trace);
}

int dc_prof_trace_write(dc_env_t *env, const char *path)
{
    int rc = DC_SUCCESS;

    DC_VALIDATE(env, DCI_CLASS_ENV);
    if (path == NULL)
        rc = DC_ERR(env, DC_ERR_ARG, "path is NULL");
    else if (env->prof.trace == NULL)
        rc = DC_ERR(env, DC_ERR_ARG, "tracing is off: set DC_TRACE=path before dc_env_create");
    rc = dci_agree(env, rc);
    if (rc != DC_SUCCESS)
        return rc;
    return trace_write(env, path);
}

#else /* no jansson: tracing is not supported */

#define TRACE_NO_JANSSON                                                                           \
    "traces are written with jansson, and libdcompute was built without it (Debian: apt-get "      \
    "install libjansson-dev, then configure and build again)"

int dci_trace_init(dc_env_t *env)
{
    if (env->opts.trace[0] == '\0')
        return DC_SUCCESS;
    return DC_ERR(env, DC_ERR_NOTSUP, "DC_TRACE=%s: " TRACE_NO_JANSSON, env->opts.trace);
}

int dci_trace_write_at_destroy(dc_env_t *env)
{
    (void)env;
    return DC_SUCCESS;
}

int dc_prof_trace_write(dc_env_t *env, const char *path)
{
    DC_VALIDATE(env, DCI_CLASS_ENV);
    (void)path;
    return dci_agree(env, DC_ERR(env, DC_ERR_NOTSUP, "%s", TRACE_NO_JANSSON));
}
#endif
