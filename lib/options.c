/*
 * Options: one declarative table of the DC_* environment variables (name, type, default, help,
 * target field). Rank 0 reads the environment and broadcasts the parsed values, because
 * launchers do not always forward the environment and all ranks must agree. Precedence:
 * dc_env_params_t (field_mask), then the variable, then the default.
 */
#include "dc_impl.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { OPT_INT, OPT_BOOL, OPT_ENUM, OPT_STRING, OPT_SECONDS, OPT_PROFILE } opt_type_t;

typedef struct {
    const char *name;
    opt_type_t type;
    const char *defval;
    const char *const *choices; /* OPT_ENUM: NULL-terminated, index = value */
    size_t offset;              /* into dci_opts_t */
    size_t size;                /* OPT_STRING: buffer size */
    const char *help;
} opt_desc_t;

static const char *const bind_names[] = {"auto", "compact", "spread", "none", NULL};
static const char *const repro_names[] = {"off", "binned", "exact", NULL};
static const char *const allreduce_names[] = {"flat", "node", NULL};

#define OFF(f) offsetof(dci_opts_t, f)
#define SZ(f)  sizeof(((dci_opts_t *)0)->f)

static const opt_desc_t opt_table[] = {
    {"DC_BIND", OPT_ENUM, "auto", bind_names, OFF(bind), 0,
     "binding of unbound ranks: auto keeps the launcher's binding, else binds compact when "
     "ranks <= cores; compact, spread (over packages/NUMA), none"},
    {"DC_BLAS_THREADS", OPT_INT, "0", NULL, OFF(blas_threads), 0,
     "OpenBLAS threads per rank; 0 = the cores of the rank's CPU set, so that ranks x threads "
     "never exceed a node's cores"},
    {"DC_REPRO", OPT_ENUM, "off", repro_names, OFF(repro), 0,
     "default reproducibility of sums, dots and norms: off, binned (same bits for any rank "
     "count), exact (same bits, correctly rounded)"},
    {"DC_DEBUG", OPT_BOOL, DC_HAVE_DEBUG ? "1" : "0", NULL, OFF(debug), 0,
     "check that arguments of hot-path collectives match on all ranks (one extra allreduce)"},
    /* before DC_PROFILE, whose ":path" replaces it */
    {"DC_PROFILE_FILE", OPT_STRING, "", NULL, OFF(profile_file), SZ(profile_file),
     "file for the run report instead of stderr (DC_PROFILE=text:path says the same)"},
    {"DC_PROFILE", OPT_PROFILE, "0", NULL, OFF(profile), 0,
     "write the run report at dc_env_destroy (rank 0): text|json[:path] (1 = text, 0 or empty "
     "= off); without a path to stderr. A path that cannot be opened fails dc_env_create"},
    {"DC_PROFILE_SYNC", OPT_INT, "64", NULL, OFF(profile_sync), 0,
     "with DC_PROFILE: time a barrier at 1 of every N library collective entries per "
     "operation as waiting (the load-imbalance signal), estimated for the others; 1 = at "
     "every entry (exact, costs a barrier per collective), 0 = no barrier, wait not measured"},
    {"DC_TRACE", OPT_STRING, "", NULL, OFF(trace), SZ(trace),
     "write a Chrome trace-event timeline (Perfetto, chrome://tracing) of every library "
     "operation and user region per rank to this file at dc_env_destroy"},
    {"DC_TRACE_EVENTS", OPT_INT, "100000", NULL, OFF(trace_events), 0,
     "trace ring buffer capacity in events per rank (48 bytes each); the oldest are dropped "
     "and counted beyond it"},
    {"DC_ALLREDUCE", OPT_ENUM, "flat", allreduce_names, OFF(allreduce), 0,
     "allreduce algorithm: flat (one MPI_Allreduce) or node (reduce in node, allreduce over "
     "node leaders, broadcast in node)"},
    {"DC_TOPOLOGY", OPT_STRING, "", NULL, OFF(topology), SZ(topology),
     "replace the discovered machine: an hwloc synthetic description (\"package:2 core:4 "
     "pu:2\") or the path of an hwloc XML file"},
    {"DC_VERBOSE", OPT_INT, "0", NULL, OFF(verbose), 0, "diagnostics on stderr (0 = silent)"},
    {"DC_TIMEOUT", OPT_SECONDS, "0", NULL, OFF(timeout), 0,
     "hang watchdog: a library collective that waits longer than this many seconds for ranks "
     "that have not entered it names them (rank, node, pid, last library collective) on "
     "stderr and returns DC_ERR_TIMEOUT; 0 = off"},
    {"DC_TIMEOUT_ABORT", OPT_BOOL, "0", NULL, OFF(timeout_abort), 0,
     "with DC_TIMEOUT: MPI_Abort the job after the diagnosis instead of returning "
     "DC_ERR_TIMEOUT"},
    {"DC_WARN_UNKNOWN", OPT_BOOL, "1", NULL, OFF(warn_unknown), 0,
     "warn once on rank 0's stderr about a DC_* environment variable that is no option (a "
     "typo such as DC_PROFIL), naming the closest option; 0 = silent"},
};

/* Largest DC_TIMEOUT accepted (about 11.6 days): beyond it a typo is likelier than intent. */
#define OPT_SECONDS_MAX 1e6

#define NOPTS (sizeof(opt_table) / sizeof(opt_table[0]))

/* Parse text into the field; returns 0 or -1 with a reason in why. */
static int opt_parse(const opt_desc_t *d, const char *text, dci_opts_t *o, const char **why)
{
    char *field = (char *)o + d->offset;
    char *end;
    long v;
    int i;

    switch (d->type) {
    case OPT_INT:
        errno = 0;
        v = strtol(text, &end, 10);
        if (errno != 0 || end == text || *end != '\0' || v < 0 || v > 1000000) {
            *why = "expected an integer in [0, 1000000]";
            return -1;
        }
        *(int *)field = (int)v;
        return 0;
    case OPT_BOOL:
        if (!strcmp(text, "1") || !strcasecmp(text, "yes") || !strcasecmp(text, "on") ||
            !strcasecmp(text, "true")) {
            *(int *)field = 1;
            return 0;
        }
        if (!strcmp(text, "0") || !strcasecmp(text, "no") || !strcasecmp(text, "off") ||
            !strcasecmp(text, "false") || text[0] == '\0') {
            *(int *)field = 0;
            return 0;
        }
        *why = "expected 0/1, yes/no, on/off";
        return -1;
    case OPT_ENUM:
        for (i = 0; d->choices[i] != NULL; i++) {
            if (!strcasecmp(text, d->choices[i])) {
                *(int *)field = i;
                return 0;
            }
        }
        *why = NULL; /* the caller lists the allowed values */
        return -1;
    case OPT_SECONDS: {
        double t;
        if (text[0] == '\0') { /* DC_TIMEOUT= (set but empty): off, as for the booleans */
            *(double *)field = 0.0;
            return 0;
        }
        errno = 0;
        t = strtod(text, &end);
        if (errno != 0 || end == text || *end != '\0' || !isfinite(t) || t < 0.0 ||
            t > OPT_SECONDS_MAX) {
            *why = "expected a number of seconds in [0, 1e6] (0 = off)";
            return -1;
        }
        *(double *)field = t;
        return 0;
    }
    case OPT_PROFILE: {
        static const char *const fmt[] = {"text", "json"};
        const char *colon = strchr(text, ':');
        size_t n = colon != NULL ? (size_t)(colon - text) : strlen(text);
        for (i = 0; i < 2; i++) {
            if (n == strlen(fmt[i]) && strncasecmp(text, fmt[i], n) == 0)
                break;
        }
        if (colon == NULL && i == 2) {
            if (!strcmp(text, "1") || !strcasecmp(text, "on") || !strcasecmp(text, "yes") ||
                !strcasecmp(text, "true"))
                i = 0;
            else if (!strcmp(text, "0") || !strcasecmp(text, "off") || !strcasecmp(text, "no") ||
                     !strcasecmp(text, "false") || text[0] == '\0')
                i = -1;
        }
        if (i == 2 || (colon != NULL && colon[1] == '\0')) {
            *why = "expected one of 0, 1, text, json, text:PATH, json:PATH (0 or empty: off)";
            return -1;
        }
        if (colon != NULL) {
            if (strlen(colon + 1) >= sizeof(o->profile_file)) {
                *why = "path too long";
                return -1;
            }
            strcpy(o->profile_file, colon + 1);
        }
        *(int *)field = i + 1; /* 0 off, 1 text, 2 json */
        return 0;
    }
    case OPT_STRING:
        if (strlen(text) >= d->size) {
            *why = "too long";
            return -1;
        }
        strcpy(field, text);
        return 0;
    }
    *why = "bad option type";
    return -1;
}

/* "off, binned, exact": the allowed values of an enum option. */
static void enum_list(const opt_desc_t *d, char *buf, size_t len)
{
    size_t k, used = 0;

    buf[0] = '\0';
    for (k = 0; d->choices[k] != NULL && used < len; k++) {
        int w = snprintf(buf + used, len - used, "%s%s", k ? ", " : "", d->choices[k]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* ---------------------------------------------------------------- unknown DC_* variables */

extern char **environ;

/*
 * DC_* variables that are no options of the library but belong to the project's own scripts,
 * tests, benchmarks and tools (the test runner, the restart driver, the simulated cluster, the
 * build): never warned about. Prefixes end in '_'.
 */
static const char *const known_prefixes[] = {"DC_TEST_", "DC_BENCH_",   "DC_RESTART_", "DC_NETNS_",
                                             "DC_NS_",   "DC_CKPT_FS_", "DC_FAULT_",   NULL};
static const char *const known_names[] = {
    "DC_NP",           "DC_SUITES",       "DC_MPIRUN_ARGS",  "DC_MPIEXEC",    "DC_MPIEXEC_ARGS",
    "DC_MPICC",        "DC_MPI_IMPL",     "DC_JOBS",         "DC_CHECK_JOBS", "DC_CONFIGURE_FLAGS",
    "DC_FORMAT_CHECK", "DC_TOP_BUILDDIR", "DC_PBLAS_TESTER", "DC_PRINT_VAR",  "DC_WARN_CFLAGS",
    "DC_FRESH_DIR",    "DC_RSH_DEBUG",    "DC_RUN_DEFAULTS", "DC_SLOTS",      NULL};

#define OPT_NAME_MAX   64
#define OPT_WARNED_MAX 32

/* Names already warned about in this process: one warning per name, not one per env. */
static char opt_warned[OPT_WARNED_MAX][OPT_NAME_MAX];
static int opt_nwarned;

/* Edit distance (insertions, deletions, substitutions) of two short names. */
static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b), i, j, prev[OPT_NAME_MAX + 1], cur[OPT_NAME_MAX + 1];

    if (la > OPT_NAME_MAX || lb > OPT_NAME_MAX)
        return (size_t)-1;
    for (j = 0; j <= lb; j++)
        prev[j] = j;
    for (i = 1; i <= la; i++) {
        cur[0] = i;
        for (j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            size_t del = prev[j] + 1, ins = cur[j - 1] + 1;
            cur[j] = sub < del ? (sub < ins ? sub : ins) : (del < ins ? del : ins);
        }
        memcpy(prev, cur, (lb + 1) * sizeof(size_t));
    }
    return prev[lb];
}

static int opt_known(const char *name)
{
    size_t i;

    for (i = 0; i < NOPTS; i++)
        if (!strcmp(name, opt_table[i].name))
            return 1;
    for (i = 0; known_names[i] != NULL; i++)
        if (!strcmp(name, known_names[i]))
            return 1;
    for (i = 0; known_prefixes[i] != NULL; i++)
        if (!strncmp(name, known_prefixes[i], strlen(known_prefixes[i])))
            return 1;
    return 0;
}

/*
 * Rank 0, DC_WARN_UNKNOWN on: one line on stderr for each DC_* variable of the environment
 * that is no option and no variable of the project's tools, with the closest option when one
 * is near (at most a third of the name's length away, at least 2), as PETSc reports options
 * nobody used. Once per name and process. The library's one unprompted output: a typo would
 * otherwise silently leave the default in place.
 */
static void warn_unknown(void)
{
    char **e;

    for (e = environ; e != NULL && *e != NULL; e++) {
        char name[OPT_NAME_MAX + 1];
        const char *eq = strchr(*e, '='), *best = NULL;
        size_t len = eq != NULL ? (size_t)(eq - *e) : strlen(*e), i, bd = (size_t)-1, lim;
        int k, seen = 0;

        if (strncmp(*e, "DC_", 3) != 0 || len > OPT_NAME_MAX)
            continue;
        memcpy(name, *e, len);
        name[len] = '\0';
        if (opt_known(name))
            continue;
        for (k = 0; k < opt_nwarned && !seen; k++)
            seen = !strcmp(opt_warned[k], name);
        if (seen)
            continue;
        if (opt_nwarned < OPT_WARNED_MAX)
            strcpy(opt_warned[opt_nwarned++], name);
        for (i = 0; i < NOPTS; i++) {
            size_t dd = edit_distance(name, opt_table[i].name);
            if (dd < bd) {
                bd = dd;
                best = opt_table[i].name;
            }
        }
        lim = len / 3 > 2 ? len / 3 : 2;
        if (best != NULL && bd <= lim)
            fprintf(stderr,
                    "libdcompute: warning: unknown environment variable %s (did you mean %s?); "
                    "DC_WARN_UNKNOWN=0 silences this\n",
                    name, best);
        else
            fprintf(stderr,
                    "libdcompute: warning: unknown environment variable %s (not a libdcompute "
                    "option: tools/dc_info -c lists them); DC_WARN_UNKNOWN=0 silences this\n",
                    name);
    }
}

/* Rank 0 (of comm): defaults, then the environment. */
static int opts_read_env(dc_env_t *env, dci_opts_t *o)
{
    const char *why = NULL;
    char allowed[256];
    size_t i;

    memset(o, 0, sizeof(*o));
    for (i = 0; i < NOPTS; i++) {
        const opt_desc_t *d = &opt_table[i];
        const char *val = getenv(d->name);
        if (opt_parse(d, d->defval, o, &why) != 0)
            return DC_ERR(env, DC_ERR_INTERNAL, "default of %s: %s", d->name,
                          why ? why : "not an allowed value");
        if (val != NULL && opt_parse(d, val, o, &why) != 0) {
            if (why != NULL)
                return DC_ERR(env, DC_ERR_ARG, "environment variable %s=\"%s\": %s", d->name, val,
                              why);
            enum_list(d, allowed, sizeof(allowed));
            return DC_ERR(env, DC_ERR_ARG, "environment variable %s=\"%s\": not one of %s", d->name,
                          val, allowed);
        }
    }
    if (o->warn_unknown)
        warn_unknown();
    return DC_SUCCESS;
}

static int opts_apply_params(dc_env_t *env, dci_opts_t *o, const dc_env_params_t *p)
{
    uint64_t m = p->field_mask;

    if (m & DC_ENV_PARAM_BIND) {
        if ((int)p->bind < DC_BIND_AUTO || p->bind > DC_BIND_NONE)
            return DC_ERR(env, DC_ERR_ARG, "params.bind = %d is not a dc_bind_t", (int)p->bind);
        o->bind = p->bind;
    }
    if (m & DC_ENV_PARAM_BLAS_THREADS) {
        if (p->blas_threads < 0)
            return DC_ERR(env, DC_ERR_ARG, "params.blas_threads = %d < 0", p->blas_threads);
        o->blas_threads = p->blas_threads;
    }
    if (m & DC_ENV_PARAM_REPRO) {
        if (!dci_repro_mode_valid((int)p->repro, 0))
            return DC_ERR(env, DC_ERR_ARG, "params.repro = %d is not a mode", (int)p->repro);
        o->repro = p->repro;
    }
    if (m & DC_ENV_PARAM_DEBUG)
        o->debug = p->debug != 0;
    if (m & DC_ENV_PARAM_PROFILE) {
        if (p->profile < 0 || p->profile > 2)
            return DC_ERR(env, DC_ERR_ARG,
                          "params.profile = %d is not 0 (off), 1 (text) or 2 (json)", p->profile);
        o->profile = p->profile;
    }
    if (m & DC_ENV_PARAM_ALLREDUCE) {
        if ((int)p->allreduce < DC_ALLREDUCE_FLAT || p->allreduce > DC_ALLREDUCE_NODE)
            return DC_ERR(env, DC_ERR_ARG, "params.allreduce = %d is not an algorithm",
                          (int)p->allreduce);
        o->allreduce = p->allreduce;
    }
    if (m & DC_ENV_PARAM_TOPOLOGY) {
        const char *t = p->topology ? p->topology : "";
        if (strlen(t) >= sizeof(o->topology))
            return DC_ERR(env, DC_ERR_ARG, "params.topology is longer than %zu bytes",
                          sizeof(o->topology) - 1);
        strcpy(o->topology, t);
    }
    if (m & DC_ENV_PARAM_TIMEOUT) {
        if (!isfinite(p->timeout) || p->timeout < 0.0 || p->timeout > OPT_SECONDS_MAX)
            return DC_ERR(env, DC_ERR_ARG,
                          "params.timeout = %g is not a number of seconds in [0, 1e6] (0 = off)",
                          p->timeout);
        o->timeout = p->timeout;
        o->timeout_abort = p->timeout_abort != 0;
    }
    return DC_SUCCESS;
}

int dci_options_load(dc_env_t *env, MPI_Comm comm, const dc_env_params_t *params)
{
    int rc = DC_SUCCESS, rc0;
    int rank;

    DC_CHECK_MPI(env, MPI_Comm_rank(comm, &rank));
    if (rank == 0)
        rc = opts_read_env(env, &env->opts);
    /* rank 0's parse result and values travel together; others learn of its failure here. */
    rc0 = rc;
    /* not counted by the profiler: it starts after the options are known */
    DC_CHECK_MPI(env, MPI_Bcast(&rc0, 1, MPI_INT, 0, comm));
    if (rc0 != DC_SUCCESS) {
        if (rank != 0)
            rc = DC_ERR(env, rc0, "invalid DC_* environment variable on rank 0");
        return rc;
    }
    DC_CHECK_MPI(env, MPI_Bcast(&env->opts, (int)sizeof(env->opts), MPI_BYTE, 0, comm));
    /* Params are per rank; a value that differs across ranks is caught by the caller's
     * consistency check after this. */
    if (params != NULL)
        rc = opts_apply_params(env, &env->opts, params);
    return rc;
}

static void opt_value_text(const opt_desc_t *d, const dci_opts_t *o, char *buf, size_t len)
{
    const char *field = (const char *)o + d->offset;

    switch (d->type) {
    case OPT_INT: snprintf(buf, len, "%d", *(const int *)field); break;
    case OPT_BOOL: snprintf(buf, len, "%d", *(const int *)field); break;
    case OPT_ENUM: snprintf(buf, len, "%s", d->choices[*(const int *)field]); break;
    case OPT_STRING: snprintf(buf, len, "%s", field); break;
    case OPT_SECONDS: snprintf(buf, len, "%g", *(const double *)field); break;
    case OPT_PROFILE:
        snprintf(buf, len, "%s",
                 *(const int *)field == 2 ? "json"
                 : *(const int *)field    ? "text"
                                          : "0");
        break;
    }
}

int dci_options_count(void)
{
    return (int)NOPTS;
}

const char *dci_options_get(const dci_opts_t *o, int i, char *buf, size_t len)
{
    opt_value_text(&opt_table[i], o, buf, len);
    return opt_table[i].name;
}

int dc_options_view(const dc_env_t *env, FILE *f)
{
    static const char *const tnames[] = {"int", "bool", "enum", "string", "double", "format"};
    size_t i;

    if (env != NULL && env->hdr.magic != DCI_CLASS_ENV)
        return dci_error_set(NULL, DC_ERR_ARG, __func__, __FILE__, __LINE__,
                             "env is not a valid handle");
    if (f == NULL)
        f = stdout;
    for (i = 0; i < NOPTS; i++) {
        const opt_desc_t *d = &opt_table[i];
        char cur[64];
        fprintf(f, "%-16s %-6s default \"%s\"", d->name, tnames[d->type], d->defval);
        if (d->type == OPT_ENUM) {
            int k;
            fprintf(f, " (");
            for (k = 0; d->choices[k] != NULL; k++)
                fprintf(f, "%s%s", k ? "|" : "", d->choices[k]);
            fprintf(f, ")");
        }
        if (env != NULL) {
            opt_value_text(d, &env->opts, cur, sizeof(cur));
            fprintf(f, " current \"%s\"", cur);
        }
        fprintf(f, "\n    %s\n", d->help);
    }
    return DC_SUCCESS;
}
