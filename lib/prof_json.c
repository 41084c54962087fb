/*
 * The run report as JSON (docs/profile-schema.json, "version" 1), written with jansson on rank
 * 0 from the data of lib/prof_collect.c. Without jansson at configure time the JSON format is
 * not supported (DC_ERR_NOTSUP); the text report still is.
 */
#include "dc_impl.h"
#include "prof_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#if DC_HAVE_JANSSON
#include <jansson.h>

/* Builders that remember a failed allocation in *bad instead of checking every call. */
static void set(json_t *o, const char *key, json_t *v, int *bad)
{
    if (o == NULL || v == NULL || json_object_set_new(o, key, v) != 0)
        *bad = 1;
}

static void push(json_t *a, json_t *v, int *bad)
{
    if (a == NULL || v == NULL || json_array_append_new(a, v) != 0)
        *bad = 1;
}

static json_t *u64(uint64_t v)
{
    return json_integer((json_int_t)v);
}

static json_t *mmm(double mn, double avg, double mx, int max_rank, int *bad)
{
    json_t *o = json_object();

    set(o, "min", json_real(mn), bad);
    set(o, "avg", json_real(avg), bad);
    set(o, "max", json_real(mx), bad);
    if (max_rank >= 0)
        set(o, "max_rank", json_integer(max_rank), bad);
    return o;
}

static json_t *ops_array(const dci_opsum_t *ops, double wall_sum, int *bad)
{
    json_t *a = json_array();
    int e;

    for (e = 0; e < DCI_EV_COUNT; e++) {
        const dci_opsum_t *s = &ops[e];
        json_t *o;
        if (s->calls == 0)
            continue;
        o = json_object();
        set(o, "name", json_string(dci_prof_event_name(e)), bad);
        set(o, "calls", u64(s->calls), bad);
        set(o, "percent", json_real(wall_sum > 0.0 ? 100.0 * s->tsum / wall_sum : 0.0), bad);
        set(o, "time", mmm(s->tmin, s->tavg, s->tmax, s->tmax_rank, bad), bad);
        set(o, "imbalance", json_real(s->tavg > 0.0 ? s->tmax / s->tavg : 1.0), bad);
        set(o, "comm_seconds", mmm(s->cmin, s->cavg, s->cmax, -1, bad), bad);
        set(o, "wait_seconds", mmm(s->wmin, s->wavg, s->wmax, -1, bad), bad);
        set(o, "bytes_sent", u64(s->sbytes), bad);
        set(o, "bytes_recv", u64(s->rbytes), bad);
        set(o, "msgs_sent", u64(s->smsgs), bad);
        set(o, "msgs_recv", u64(s->rmsgs), bad);
        set(o, "flops", json_real(s->flops), bad);
        if (s->flops > 0.0 && s->tmax > 0.0)
            set(o, "gflops_per_s", json_real(s->flops / s->tmax * 1e-9), bad);
        push(a, o, bad);
    }
    return a;
}

static json_t *u64_matrix(const uint64_t *m, int n, int *bad)
{
    json_t *a = json_array();
    int i, j;

    for (i = 0; i < n; i++) {
        json_t *row = json_array();
        for (j = 0; j < n; j++)
            push(row, u64(m[(size_t)i * n + j]), bad);
        push(a, row, bad);
    }
    return a;
}

static json_t *build(dc_env_t *env, const dci_prof_report_t *rep, int *bad)
{
    json_t *root = json_object(), *lib = json_object(), *run = json_object();
    json_t *opts = json_object(), *place = json_array(), *ranks = json_array();
    json_t *cm = json_object(), *nodes = json_object(), *names = json_array();
    json_t *regs = json_array();
    char val[1100];
    int i, j, n = dci_options_count();

    set(root, "schema", json_string("dcompute-profile"), bad);
    set(root, "version", json_integer(1), bad);
    set(lib, "version", json_string(DC_VERSION_STRING), bad);
    set(lib, "mpi", json_string(dci_prof_mpi_name()), bad);
    set(lib, "mpi_library", json_string(rep->mpi_library), bad);
    set(lib, "blas", json_string(dci_prof_blas_name()), bad);
    set(root, "library", lib, bad);

    set(run, "ranks", json_integer(rep->size), bad);
    set(run, "nodes", json_integer(rep->nnodes), bad);
    set(run, "wall_seconds", json_real(rep->wall), bad);
    set(run, "repro",
        json_string(env->opts.repro == DC_REPRO_EXACT    ? "exact"
                    : env->opts.repro == DC_REPRO_BINNED ? "binned"
                                                         : "off"),
        bad);
    set(run, "blas_threads", json_integer(rep->place[0].blas_threads), bad);
    set(run, "oversubscribed", json_boolean(rep->oversubscribed), bad);
    set(run, "wait_measured", json_boolean(rep->wait_measured), bad);
    set(run, "wait_sampling", json_integer(rep->wait_sampling), bad);
    for (i = 0; i < n; i++) {
        const char *name = dci_options_get(&env->opts, i, val, sizeof(val));
        set(opts, name, json_string(val), bad);
    }
    set(run, "options", opts, bad);
    set(root, "run", run, bad);

    for (i = 0; i < rep->size; i++) {
        const dc_placement_t *p = &rep->place[i];
        json_t *o = json_object();
        set(o, "rank", json_integer(i), bad);
        set(o, "node", json_string(p->node_name), bad);
        set(o, "node_id", json_integer(p->node_id), bad);
        set(o, "cpus", json_string(p->cpuset), bad);
        set(o, "blas_threads", json_integer(p->blas_threads), bad);
        set(o, "bound", json_boolean(p->bound), bad);
        push(place, o, bad);
    }
    set(root, "placement", place, bad);
    set(root, "operations", ops_array(rep->ops, rep->wall_sum, bad), bad);

    for (i = 0; i < rep->size; i++) {
        const dci_rank_sum_t *r = &rep->ranks[i];
        json_t *o = json_object();
        set(o, "rank", json_integer(i), bad);
        set(o, "node", json_string(rep->place[i].node_name), bad);
        set(o, "wall", json_real(r->wall), bad);
        set(o, "compute", json_real(r->compute), bad);
        set(o, "comm", json_real(r->comm), bad);
        set(o, "wait", json_real(r->wait), bad);
        set(o, "outside", json_real(r->outside), bad);
        set(o, "bytes_sent", u64(r->sent), bad);
        set(o, "bytes_recv", u64(r->recv), bad);
        push(ranks, o, bad);
    }
    set(root, "ranks", ranks, bad);

    set(cm, "unit", json_string("bytes"), bad);
    set(cm, "what", json_string("point-to-point bytes, row = sender, column = receiver"), bad);
    set(cm, "ranks", u64_matrix(rep->matrix, rep->size, bad), bad);
    for (i = 0; i < rep->nnodes; i++)
        push(names, json_string(rep->node_names[i]), bad);
    set(nodes, "names", names, bad);
    set(nodes, "bytes", u64_matrix(rep->node_matrix, rep->nnodes, bad), bad);
    set(cm, "nodes", nodes, bad);
    set(root, "comm_matrix", cm, bad);

    for (i = 0; i < rep->nreg; i++) {
        const dci_region_sum_t *g = &rep->reg[i];
        json_t *o = json_object(), *have = json_array();
        set(o, "name", json_string(g->name), bad);
        set(o, "path", json_string(g->path), bad);
        set(o, "depth", json_integer(g->depth), bad);
        set(o, "calls", u64(g->calls), bad);
        set(o, "time", mmm(g->tmin, g->tavg, g->tmax, g->tmax_rank, bad), bad);
        for (j = 0; j < rep->size; j++)
            if (g->have[j])
                push(have, json_integer(j), bad);
        set(o, "ranks", have, bad);
        set(o, "operations", ops_array(g->ops, rep->wall_sum, bad), bad);
        push(regs, o, bad);
    }
    set(root, "regions", regs, bad);
    return root;
}

int dci_prof_write_json(dc_env_t *env, const dci_prof_report_t *rep, FILE *f)
{
    int bad = 0, rc = DC_SUCCESS;
    json_t *root = build(env, rep, &bad);

    if (bad || root == NULL)
        rc = DC_ERR(env, DC_ERR_NOMEM, "building the JSON run report failed (out of memory)");
    else if (json_dumpf(root, f, JSON_INDENT(1) | JSON_REAL_PRECISION(9)) != 0 ||
             fputc('\n', f) == EOF || fflush(f) != 0 || ferror(f))
        rc = DC_ERR(env, DC_ERR_IO, "writing the JSON run report failed: %s", strerror(errno));
    json_decref(root);
    return rc;
}

#else /* !DC_HAVE_JANSSON */

int dci_prof_write_json(dc_env_t *env, const dci_prof_report_t *rep, FILE *f)
{
    (void)rep;
    (void)f;
    return DC_ERR(env, DC_ERR_NOTSUP,
                  "the JSON run report needs jansson: this libdcompute was configured without "
                  "it (Debian: apt-get install libjansson-dev, then configure again); "
                  "DC_PROFILE=text works");
}

#endif
