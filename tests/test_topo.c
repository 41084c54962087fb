/*
 * Tests of placement (dc_env_get_placement, dc_env_view): node grouping; plans on synthetic and
 * XML machines (compact, spread over packages and NUMA nodes, none, oversubscribed, machines
 * without cores) against a reference computed here from the machine's shape; and what was
 * APPLIED on the real machine (hwloc_get_cpubind, openblas_get_num_threads) with unbound ranks,
 * ranks the "launcher" bound, nested envs, and the restoration at destroy. Bad input last.
 */
#include "dc_test.h"

#include <cblas.h>
#include <hwloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAXPU 1024

/* A set of PUs (OS indexes) as flags: the reference side never uses the library's format. */
typedef struct {
    char pu[MAXPU];
} puset_t;

static hwloc_topology_t real_topo; /* the machine we run on, loaded by the test itself */
static MPI_Comm node_comm = MPI_COMM_NULL;
static int node_rank, node_size;

/* ---------------------------------------------------------------- PU sets */

static void ps_clear(puset_t *s)
{
    memset(s->pu, 0, sizeof(s->pu));
}

static int ps_count(const puset_t *s)
{
    int i, n = 0;

    for (i = 0; i < MAXPU; i++)
        n += s->pu[i] != 0;
    return n;
}

static int ps_same(const puset_t *a, const puset_t *b)
{
    return memcmp(a->pu, b->pu, sizeof(a->pu)) == 0;
}

static int ps_intersects(const puset_t *a, const puset_t *b)
{
    int i;

    for (i = 0; i < MAXPU; i++)
        if (a->pu[i] && b->pu[i])
            return 1;
    return 0;
}

/* 1 if every PU of b is in a */
static int ps_includes(const puset_t *a, const puset_t *b)
{
    int i;

    for (i = 0; i < MAXPU; i++)
        if (b->pu[i] && !a->pu[i])
            return 0;
    return 1;
}

static void ps_add_range(puset_t *s, int first, int count)
{
    int i;

    for (i = first; i < first + count && i < MAXPU; i++)
        s->pu[i] = 1;
}

/* Parse a PU list like "0-3,8,10-11"; -1 if malformed. */
static int ps_parse(const char *txt, puset_t *s)
{
    const char *p = txt;

    ps_clear(s);
    while (*p != '\0') {
        char *end;
        long a = strtol(p, &end, 10), b;
        if (end == p || a < 0 || a >= MAXPU)
            return -1;
        b = a;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1 || b < a || b >= MAXPU)
                return -1;
            p = end;
        }
        ps_add_range(s, (int)a, (int)(b - a + 1));
        if (*p == ',')
            p++;
        else if (*p != '\0')
            return -1;
    }
    return 0;
}

static void ps_from_bitmap(hwloc_const_bitmap_t b, puset_t *s)
{
    int i;

    ps_clear(s);
    for (i = 0; i < MAXPU; i++)
        s->pu[i] = hwloc_bitmap_isset(b, (unsigned)i) ? 1 : 0;
}

static void ps_print(const puset_t *s, char *buf, size_t len)
{
    int i, n = 0;

    buf[0] = '\0';
    for (i = 0; i < MAXPU && (size_t)n + 8 < len; i++)
        if (s->pu[i])
            n += snprintf(buf + n, len - (size_t)n, "%s%d", n ? "," : "", i);
}

/* Share total items among parts, remainders to the first parts: part j's [first, +count). */
static void ref_share(int total, int parts, int j, int *first, int *count)
{
    int k = total / parts, rem = total % parts;

    *count = k + (j < rem);
    *first = j * k + (j < rem ? j : rem);
}

/* ---------------------------------------------------------------- expectations */

typedef struct {
    puset_t set;
    int ncores, npus, threads, node_cores, numa, bound, applied;
    dc_placement_verdict_t verdict;
} expect_t;

static const char *vname(int v)
{
    static const char *const n[] = {"ok", "unbound", "overlap", "oversubscribed"};
    return v >= 0 && v < 4 ? n[v] : "?";
}

/* Compare what the library reports with the reference; prints both on a mismatch. */
static void check_placement(const char *label, const dc_placement_t *p, const expect_t *e)
{
    puset_t got;
    int parsed = ps_parse(p->cpuset, &got) == 0;
    int ok = parsed && ps_same(&got, &e->set) && p->ncores == e->ncores && p->npus == e->npus &&
             p->blas_threads == e->threads && p->node_cores == e->node_cores &&
             p->numa_node == e->numa && p->bound == e->bound && p->applied == e->applied &&
             p->verdict == e->verdict;

    CU_ASSERT(parsed);
    CU_ASSERT(parsed && ps_same(&got, &e->set));
    CU_ASSERT_EQUAL(p->ncores, e->ncores);
    CU_ASSERT_EQUAL(p->npus, e->npus);
    CU_ASSERT_EQUAL(p->blas_threads, e->threads);
    CU_ASSERT_EQUAL(p->node_cores, e->node_cores);
    CU_ASSERT_EQUAL(p->numa_node, e->numa);
    CU_ASSERT_EQUAL(p->bound, e->bound);
    CU_ASSERT_EQUAL(p->applied, e->applied);
    CU_ASSERT_EQUAL(p->verdict, e->verdict);
    if (!ok) {
        char exp[256];
        ps_print(&e->set, exp, sizeof(exp));
        fprintf(stderr,
                "[rank %d] %s: got cpuset %s cores %d pus %d threads %d node_cores %d numa %d "
                "bound %d applied %d %s; expected %s cores %d pus %d threads %d node_cores %d "
                "numa %d bound %d applied %d %s\n",
                dct_rank, label, p->cpuset, p->ncores, p->npus, p->blas_threads, p->node_cores,
                p->numa_node, p->bound, p->applied, vname(p->verdict), exp, e->ncores, e->npus,
                e->threads, e->node_cores, e->numa, e->bound, e->applied, vname(e->verdict));
    }
}

/* ---------------------------------------------------------------- synthetic reference */

/*
 * A synthetic machine as the reference sees it: ndom spread domains (packages or NUMA nodes)
 * of cpd cores of ppc PUs each; PU OS indexes run in that order. numa_dom: each domain is a
 * NUMA node (else the machine has one NUMA node, 0). cores = 0: no Core objects (PUs bind).
 */
typedef struct {
    const char *desc;
    int ndom, cpd, ppc, numa_dom;
} shape_t;

/* clang-format off */
static const shape_t shapes[] = {
    {"package:2 core:4 pu:2", 2, 4, 2, 0},
    {"package:2 core:3 pu:1", 2, 3, 1, 0},
    {"numa:4 core:2 pu:1", 4, 2, 1, 1},
    {"core:2 pu:2", 1, 2, 2, 0},
    {"core:1 pu:1", 1, 1, 1, 0},
    {"pu:3", 1, 3, 1, 0}, /* no cores: each PU is a unit */
};
/* clang-format on */
#define NSHAPES ((int)(sizeof(shapes) / sizeof(shapes[0])))

static void add_cores(const shape_t *sh, puset_t *s, int first_core, int ncores)
{
    ps_add_range(s, first_core * sh->ppc, ncores * sh->ppc);
}

static void ref_synthetic(const shape_t *sh, dc_bind_t policy, int user_threads, int r, int p,
                          expect_t *e)
{
    int n = sh->ndom * sh->cpd, first, count, d, doms = 0, last_dom = -1;

    memset(e, 0, sizeof(*e));
    e->node_cores = n;
    if (p > n) {
        add_cores(sh, &e->set, 0, n);
        e->threads = 1;
        e->verdict = DC_PLACEMENT_OVERSUBSCRIBED;
    } else if (policy == DC_BIND_NONE) {
        add_cores(sh, &e->set, 0, n);
        e->threads = n / p;
        e->verdict = DC_PLACEMENT_UNBOUND;
    } else if (policy == DC_BIND_SPREAD && sh->ndom > 1 && p < sh->ndom) {
        for (d = r; d < sh->ndom; d += p)
            add_cores(sh, &e->set, d * sh->cpd, sh->cpd);
        e->verdict = DC_PLACEMENT_OK;
    } else if (policy == DC_BIND_SPREAD && sh->ndom > 1 &&
               (p + sh->ndom - 1) / sh->ndom <= sh->cpd) {
        int dom = r % sh->ndom, j = r / sh->ndom;
        int in_dom = p / sh->ndom + (dom < p % sh->ndom);
        ref_share(sh->cpd, in_dom, j, &first, &count);
        add_cores(sh, &e->set, dom * sh->cpd + first, count);
        e->verdict = DC_PLACEMENT_OK;
    } else {
        ref_share(n, p, r, &first, &count);
        add_cores(sh, &e->set, first, count);
        e->verdict = DC_PLACEMENT_OK;
    }
    e->npus = ps_count(&e->set);
    e->ncores = e->npus / sh->ppc;
    if (e->verdict == DC_PLACEMENT_OK)
        e->threads = e->ncores;
    if (user_threads > 0)
        e->threads = user_threads;
    e->bound = e->ncores < n;
    e->applied = 0;
    /* NUMA node: the domain if the set lies in one, with NUMA domains */
    for (d = 0; d < sh->ndom; d++) {
        puset_t dom;
        ps_clear(&dom);
        add_cores(sh, &dom, d * sh->cpd, sh->cpd);
        if (ps_intersects(&dom, &e->set)) {
            doms++;
            last_dom = d;
        }
    }
    e->numa = sh->numa_dom ? (doms == 1 ? last_dom : -1) : 0;
}

/* ---------------------------------------------------------------- the real machine */

static void real_binding(puset_t *s)
{
    hwloc_bitmap_t b = hwloc_bitmap_alloc();

    ps_clear(s);
    if (b != NULL && hwloc_get_cpubind(real_topo, b, HWLOC_CPUBIND_PROCESS) == 0)
        ps_from_bitmap(b, s);
    else
        CU_FAIL("hwloc_get_cpubind failed in the test");
    hwloc_bitmap_free(b);
}

static void real_bind(const puset_t *s)
{
    hwloc_bitmap_t b = hwloc_bitmap_alloc();
    int i;

    for (i = 0; b != NULL && i < MAXPU; i++)
        if (s->pu[i])
            hwloc_bitmap_set(b, (unsigned)i);
    CU_ASSERT(b != NULL && hwloc_set_cpubind(real_topo, b, HWLOC_CPUBIND_PROCESS) == 0);
    hwloc_bitmap_free(b);
}

static hwloc_obj_type_t real_unit(void)
{
    return hwloc_get_nbobjs_by_type(real_topo, HWLOC_OBJ_CORE) > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU;
}

static int real_nunits(void)
{
    return hwloc_get_nbobjs_by_type(real_topo, real_unit());
}

static void real_unit_pus(int u, puset_t *s)
{
    hwloc_obj_t o = hwloc_get_obj_by_type(real_topo, real_unit(), (unsigned)u);
    int i;

    for (i = 0; o != NULL && i < MAXPU; i++)
        if (hwloc_bitmap_isset(o->cpuset, (unsigned)i))
            s->pu[i] = 1;
}

static void real_machine(puset_t *s)
{
    ps_clear(s);
    ps_from_bitmap(hwloc_get_root_obj(real_topo)->cpuset, s);
}

static int real_units_touching(const puset_t *s)
{
    int u, n = 0;

    for (u = 0; u < real_nunits(); u++) {
        puset_t us;
        ps_clear(&us);
        real_unit_pus(u, &us);
        n += ps_intersects(&us, s);
    }
    return n;
}

static int real_numa(const puset_t *s)
{
    hwloc_obj_t o = NULL;
    int n = 0, found = -1;

    while ((o = hwloc_get_next_obj_by_type(real_topo, HWLOC_OBJ_NUMANODE, o)) != NULL) {
        puset_t ns;
        ps_from_bitmap(o->cpuset, &ns);
        if (ps_intersects(&ns, s)) {
            n++;
            found = (int)o->os_index;
        }
    }
    return n == 1 ? found : -1;
}

/*
 * Reference on the real machine for ranks of 'comm' on this node (nrank of nsize), given the
 * bindings all of them had before (gathered here). Policies auto/compact/none.
 */
static void ref_real(dc_bind_t policy, int user_threads, MPI_Comm ncomm, const puset_t *before,
                     expect_t *e)
{
    puset_t *all, machine;
    int nrank, nsize, n = real_nunits(), i, j, any_bound = 0, overlap = 0, share_n = 0;

    MPI_Comm_rank(ncomm, &nrank);
    MPI_Comm_size(ncomm, &nsize);
    all = calloc((size_t)nsize, sizeof(*all));
    memset(e, 0, sizeof(*e));
    real_machine(&machine);
    if (all == NULL) {
        CU_FAIL("out of memory in the test");
        return;
    }
    MPI_Allgather(before, (int)sizeof(*before), MPI_BYTE, all, (int)sizeof(*before), MPI_BYTE,
                  ncomm);
    for (i = 0; i < nsize; i++) {
        any_bound |= !ps_includes(&all[i], &machine);
        share_n += ps_intersects(&all[i], &all[nrank]);
        for (j = i + 1; j < nsize; j++)
            overlap |= ps_intersects(&all[i], &all[j]);
    }
    e->node_cores = n;
    if (nsize > n) {
        e->set = all[nrank];
        e->threads = 1;
        e->verdict = DC_PLACEMENT_OVERSUBSCRIBED;
    } else if (any_bound || policy == DC_BIND_NONE) {
        e->set = all[nrank];
        if (!any_bound) {
            e->verdict = DC_PLACEMENT_UNBOUND;
            e->threads = n / nsize;
        } else if (overlap) {
            e->verdict = DC_PLACEMENT_OVERLAP;
            e->threads = real_units_touching(&all[nrank]) / share_n;
        } else {
            e->verdict = DC_PLACEMENT_OK;
            e->threads = real_units_touching(&all[nrank]);
        }
    } else {
        int first, count, u;
        ref_share(n, nsize, nrank, &first, &count);
        ps_clear(&e->set);
        for (u = first; u < first + count; u++)
            real_unit_pus(u, &e->set);
        e->verdict = DC_PLACEMENT_OK;
        e->threads = count;
    }
    if (e->threads < 1)
        e->threads = 1;
    if (user_threads > 0)
        e->threads = user_threads;
    e->ncores = real_units_touching(&e->set);
    e->npus = ps_count(&e->set);
    e->numa = real_numa(&e->set);
    e->bound = !ps_includes(&e->set, &machine);
    e->applied = !ps_same(&e->set, &all[nrank]);
    free(all);
}

/* ---------------------------------------------------------------- suite set-up */

static int suite_init(void)
{
    int ok, all = 0;

    /* Every rank enters the collectives and all agree, so that no rank skips the suite. */
    ok = hwloc_topology_init(&real_topo) == 0 && hwloc_topology_load(real_topo) == 0 &&
         hwloc_bitmap_last(hwloc_topology_get_complete_cpuset(real_topo)) < MAXPU;
    MPI_Comm_split_type(dct_comm, MPI_COMM_TYPE_SHARED, dct_rank, MPI_INFO_NULL, &node_comm);
    MPI_Comm_rank(node_comm, &node_rank);
    MPI_Comm_size(node_comm, &node_size);
    MPI_Allreduce(&ok, &all, 1, MPI_INT, MPI_LAND, dct_comm);
    return all ? 0 : 1;
}

static int suite_clean(void)
{
    MPI_Comm_free(&node_comm);
    hwloc_topology_destroy(real_topo);
    return 0;
}

static dc_env_t *env_with(dc_bind_t bind, int threads, const char *topology)
{
    dc_env_params_t prm;

    memset(&prm, 0, sizeof(prm));
    prm.field_mask = DC_ENV_PARAM_BIND | DC_ENV_PARAM_TOPOLOGY | DC_ENV_PARAM_BLAS_THREADS;
    prm.bind = bind;
    prm.blas_threads = threads;
    prm.topology = topology;
    return dct_env_create_params(&prm);
}

static void placement_of(dc_env_t *env, dc_placement_t *p)
{
    memset(p, 0, sizeof(*p));
    p->verdict = (dc_placement_verdict_t)-1;
    if (env != NULL)
        CU_ASSERT_EQUAL(dc_env_get_placement(env, p), DC_SUCCESS);
}

/* ---------------------------------------------------------------- tests */

/* Node name, node-local rank and size, node ids in order of lowest rank, on two comms. */
static void test_node_grouping(void)
{
    char name[MPI_MAX_PROCESSOR_NAME], *names;
    dc_placement_t p;
    dc_env_t *env = dct_env_create();
    int len = 0, i, j, id = -1, nn = 0, first_of_mine = -1;

    memset(name, 0, sizeof(name));
    MPI_Get_processor_name(name, &len);
    names = calloc((size_t)dct_size, sizeof(name));
    MPI_Allgather(name, (int)sizeof(name), MPI_CHAR, names, (int)sizeof(name), MPI_CHAR, dct_comm);
    /* reference: nodes are distinct processor names, numbered by their lowest rank */
    for (i = 0; i < dct_size; i++) {
        int seen = 0;
        for (j = 0; j < i; j++)
            seen |= !strcmp(names + (size_t)i * sizeof(name), names + (size_t)j * sizeof(name));
        if (seen)
            continue;
        if (!strcmp(names + (size_t)i * sizeof(name), name) && first_of_mine < 0) {
            first_of_mine = i;
            id = nn;
        }
        nn++;
    }
    placement_of(env, &p);
    CU_ASSERT_STRING_EQUAL(p.node_name, name);
    CU_ASSERT_EQUAL(p.node_rank, node_rank);
    CU_ASSERT_EQUAL(p.node_size, node_size);
    CU_ASSERT_EQUAL(p.node_id, id);
    CU_ASSERT_EQUAL(p.nnodes, nn);
    dc_env_destroy(&env);
    free(names);

    /* on a communicator in reverse order, node ranks follow the env's ranks */
    {
        MPI_Comm rev, rnode;
        int rrank, nr, ns;
        dc_env_t *e2 = NULL;
        MPI_Comm_split(dct_comm, 0, dct_size - dct_rank, &rev);
        MPI_Comm_rank(rev, &rrank);
        MPI_Comm_split_type(rev, MPI_COMM_TYPE_SHARED, rrank, MPI_INFO_NULL, &rnode);
        MPI_Comm_rank(rnode, &nr);
        MPI_Comm_size(rnode, &ns);
        CU_ASSERT_EQUAL(dc_env_create(rev, NULL, &e2), DC_SUCCESS);
        placement_of(e2, &p);
        CU_ASSERT_EQUAL(p.node_rank, nr);
        CU_ASSERT_EQUAL(p.node_size, ns);
        CU_ASSERT_EQUAL(p.nnodes, nn);
        dc_env_destroy(&e2);
        MPI_Comm_free(&rnode);
        MPI_Comm_free(&rev);
    }
}

/* Every shape x policy on a synthetic machine: the plan, and nothing applied to the process. */
static void test_synthetic_plans(void)
{
    static const dc_bind_t policies[] = {DC_BIND_AUTO, DC_BIND_COMPACT, DC_BIND_SPREAD,
                                         DC_BIND_NONE};
    puset_t before, after;
    int threads_before = openblas_get_num_threads(), s, k;

    real_binding(&before);
    for (s = 0; s < NSHAPES; s++) {
        for (k = 0; k < 4; k++) {
            const shape_t *sh = &shapes[s];
            dc_env_t *env = env_with(policies[k], 0, sh->desc);
            dc_placement_t p;
            expect_t e;
            char label[128];
            int sum = 0;
            placement_of(env, &p);
            ref_synthetic(sh, policies[k], 0, node_rank, node_size, &e);
            snprintf(label, sizeof(label), "\"%s\" policy %d np %d", sh->desc, (int)policies[k],
                     node_size);
            check_placement(label, &p, &e);
            /* ranks x threads never exceed the node's cores when ranks fit */
            MPI_Allreduce(&p.blas_threads, &sum, 1, MPI_INT, MPI_SUM, node_comm);
            if (node_size <= e.node_cores)
                CU_ASSERT(sum <= e.node_cores);
            /* a simulated machine changes nothing in the real process */
            real_binding(&after);
            CU_ASSERT(ps_same(&before, &after));
            CU_ASSERT_EQUAL(openblas_get_num_threads(), threads_before);
            dc_env_destroy(&env);
        }
    }
}

/* DC_BLAS_THREADS overrides the computed count, even when oversubscribed. */
static void test_synthetic_threads_override(void)
{
    int s;

    for (s = 0; s < NSHAPES; s++) {
        dc_env_t *env = env_with(DC_BIND_COMPACT, 3, shapes[s].desc);
        dc_placement_t p;
        expect_t e;
        placement_of(env, &p);
        ref_synthetic(&shapes[s], DC_BIND_COMPACT, 3, node_rank, node_size, &e);
        check_placement("threads override", &p, &e);
        dc_env_destroy(&env);
    }
}

/* DC_TOPOLOGY from the environment (read on rank 0) and from an hwloc XML file. */
static void test_topology_env_and_xml(void)
{
    const shape_t *sh = &shapes[1];
    char path[256];
    int pid = (int)getpid();
    dc_env_t *env;
    dc_placement_t p;
    expect_t e;

    /* environment variable, set on rank 0 only: the options are broadcast */
    if (dct_rank == 0)
        setenv("DC_TOPOLOGY", sh->desc, 1);
    setenv("DC_BIND", "spread", 1);
    env = dct_env_create();
    placement_of(env, &p);
    ref_synthetic(sh, DC_BIND_SPREAD, 0, node_rank, node_size, &e);
    check_placement("DC_TOPOLOGY variable", &p, &e);
    dc_env_destroy(&env);
    unsetenv("DC_TOPOLOGY");
    unsetenv("DC_BIND");

    /* XML: rank 0 exports the synthetic machine, everyone loads the file */
    MPI_Bcast(&pid, 1, MPI_INT, 0, dct_comm);
    snprintf(path, sizeof(path), "test_topo_%d.xml", pid);
    if (dct_rank == 0) {
        hwloc_topology_t t;
        int ok = hwloc_topology_init(&t) == 0 && hwloc_topology_set_synthetic(t, sh->desc) == 0 &&
                 hwloc_topology_load(t) == 0 && hwloc_topology_export_xml(t, path, 0) == 0;
        CU_ASSERT(ok);
        hwloc_topology_destroy(t);
    }
    MPI_Barrier(dct_comm);
    env = env_with(DC_BIND_COMPACT, 0, path);
    placement_of(env, &p);
    ref_synthetic(sh, DC_BIND_COMPACT, 0, node_rank, node_size, &e);
    check_placement("XML file", &p, &e);
    dc_env_destroy(&env);
    MPI_Barrier(dct_comm);
    if (dct_rank == 0)
        unlink(path);
}

/*
 * The real machine: with the bindings the ranks have now (unbound under the test launcher,
 * bound under mpirun --bind-to core), the applied binding and thread count match the
 * reference, the report matches what the process really has, and destroy restores both.
 */
static void real_case(const char *label, dc_bind_t policy, int threads)
{
    puset_t before, now;
    dc_placement_t p;
    dc_env_t *env;
    expect_t e;
    int threads_before = openblas_get_num_threads();

    real_binding(&before);
    ref_real(policy, threads, node_comm, &before, &e);
    env = env_with(policy, threads, "");
    placement_of(env, &p);
    check_placement(label, &p, &e);
    real_binding(&now);
    CU_ASSERT(ps_same(&now, &e.set)); /* applied */
    CU_ASSERT_EQUAL(openblas_get_num_threads(), p.blas_threads);
    CU_ASSERT_EQUAL(openblas_get_num_threads(), e.threads);
    dc_env_destroy(&env);
    real_binding(&now);
    CU_ASSERT(ps_same(&now, &before)); /* restored */
    CU_ASSERT_EQUAL(openblas_get_num_threads(), threads_before);
}

static void test_real_default(void)
{
    real_case("real, auto", DC_BIND_AUTO, 0);
    real_case("real, compact", DC_BIND_COMPACT, 0);
    real_case("real, none", DC_BIND_NONE, 0);
    real_case("real, threads 2", DC_BIND_AUTO, 2);
    real_case("real, threads 1", DC_BIND_AUTO, 1);
}

/*
 * Bindings made before dc_env_create, as a launcher makes them (Open MPI binds to cores at
 * np <= cores even with --oversubscribe): none (then libdcompute binds), one core per rank,
 * all ranks on the first core, and node rank 0 on the first core with the others unbound.
 * The last two overlap when several ranks fit; the last one has ranks whose CPU set is shared
 * by some of the node's ranks only.
 */
static void test_real_launcher_binding(void)
{
    static const char *const names[] = {"launcher: unbound", "launcher: core per rank",
                                        "launcher: all on core 0",
                                        "launcher: rank 0 on core 0, others unbound"};
    puset_t orig, mine;
    int n = real_nunits(), variant;

    real_binding(&orig);
    for (variant = 0; variant < 4; variant++) {
        ps_clear(&mine);
        if (variant == 0 || (variant == 3 && node_rank != 0))
            real_machine(&mine);
        else
            real_unit_pus(variant == 1 ? node_rank % n : 0, &mine);
        real_bind(&mine);
        real_case(names[variant], DC_BIND_AUTO, 0);
        real_case(names[variant], DC_BIND_COMPACT, 0);
        real_case(names[variant], DC_BIND_NONE, 0);
        real_case(names[variant], DC_BIND_AUTO, 1);
        real_bind(&orig);
    }
}

/* A second env while the first is alive keeps the first's binding; the last destroy restores. */
static void test_nested_envs(void)
{
    puset_t orig, after_a, now;
    MPI_Comm half, hnode;
    dc_env_t *a, *b = NULL;
    dc_placement_t pa, pb;
    expect_t eb;
    int threads_orig = openblas_get_num_threads(), hrank;

    real_binding(&orig);
    a = env_with(DC_BIND_AUTO, 0, "");
    placement_of(a, &pa);
    real_binding(&after_a);
    MPI_Comm_split(dct_comm, dct_rank % 2, dct_rank, &half);
    MPI_Comm_rank(half, &hrank);
    MPI_Comm_split_type(half, MPI_COMM_TYPE_SHARED, hrank, MPI_INFO_NULL, &hnode);
    ref_real(DC_BIND_AUTO, 0, hnode, &after_a, &eb);
    {
        dc_env_params_t prm;
        memset(&prm, 0, sizeof(prm));
        CU_ASSERT_EQUAL(dc_env_create(half, &prm, &b), DC_SUCCESS);
    }
    placement_of(b, &pb);
    /* a binding made by the first env counts as libdcompute's own */
    if (pa.applied && ps_same(&eb.set, &after_a))
        eb.applied = 1;
    check_placement("nested env", &pb, &eb);
    if (pa.applied && node_size <= real_nunits())
        CU_ASSERT_STRING_EQUAL(pb.cpuset, pa.cpuset);
    dc_env_destroy(&a);
    real_binding(&now);
    CU_ASSERT(ps_same(&now, &eb.set)); /* b still holds the placement */
    dc_env_destroy(&b);
    real_binding(&now);
    CU_ASSERT(ps_same(&now, &orig));
    CU_ASSERT_EQUAL(openblas_get_num_threads(), threads_orig);
    MPI_Comm_free(&hnode);
    MPI_Comm_free(&half);
}

/* dc_env_view: one line per rank that matches each rank's placement, one per node. */
static void test_view(void)
{
    dc_env_t *env = env_with(DC_BIND_SPREAD, 0, shapes[0].desc);
    dc_placement_t p, *all = NULL;
    char line[1024];
    FILE *f = NULL;
    int rows = 0, nodes = 0;

    placement_of(env, &p);
    if (dct_rank == 0) {
        all = calloc((size_t)dct_size, sizeof(*all));
        f = tmpfile();
        CU_ASSERT(f != NULL && all != NULL);
    }
    MPI_Gather(&p, (int)sizeof(p), MPI_BYTE, all, (int)sizeof(p), MPI_BYTE, 0, dct_comm);
    CU_ASSERT_EQUAL(dc_env_view(env, dct_rank == 0 ? f : NULL), DC_SUCCESS);
    if (dct_rank == 0 && f != NULL && all != NULL) {
        rewind(f);
        while (fgets(line, sizeof(line), f) != NULL) {
            int r, lr, cores, pus, threads;
            char node[256], cpuset[256], numa[16], bound[8], applied[8], verdict[32];
            if (sscanf(line, "%d %255s %d %255s %d %d %15s %d %7s %7s %31s", &r, node, &lr, cpuset,
                       &cores, &pus, numa, &threads, bound, applied, verdict) == 11) {
                CU_ASSERT(r == rows && r < dct_size);
                if (r == rows && r < dct_size) {
                    CU_ASSERT_STRING_EQUAL(node, all[r].node_name);
                    CU_ASSERT_EQUAL(lr, all[r].node_rank);
                    CU_ASSERT_STRING_EQUAL(cpuset, all[r].cpuset);
                    CU_ASSERT_EQUAL(cores, all[r].ncores);
                    CU_ASSERT_EQUAL(pus, all[r].npus);
                    CU_ASSERT_EQUAL(threads, all[r].blas_threads);
                    CU_ASSERT_STRING_EQUAL(verdict, vname(all[r].verdict));
                    CU_ASSERT_STRING_EQUAL(dc_placement_verdict_name(all[r].verdict), verdict);
                    CU_ASSERT_STRING_EQUAL(applied, all[r].applied ? "yes" : "no");
                }
                rows++;
            } else if (!strncmp(line, "node ", 5)) {
                nodes++;
            }
        }
        CU_ASSERT_EQUAL(rows, dct_size);
        CU_ASSERT_EQUAL(nodes, p.nnodes);
        /* every verdict's name, and "unknown" outside the enum */
        {
            int v;
            for (v = DC_PLACEMENT_OK; v <= DC_PLACEMENT_OVERSUBSCRIBED; v++)
                CU_ASSERT_STRING_EQUAL(dc_placement_verdict_name((dc_placement_verdict_t)v),
                                       vname(v));
            CU_ASSERT_STRING_EQUAL(dc_placement_verdict_name((dc_placement_verdict_t)4), "unknown");
            CU_ASSERT_STRING_EQUAL(dc_placement_verdict_name((dc_placement_verdict_t)-1),
                                   "unknown");
        }
        fclose(f);
    }
    free(all);
    dc_env_destroy(&env);
}

/* Bad topologies and options fail on every rank with the same code and a message. */
static void test_bad_input(void)
{
    dc_env_t *env = NULL;
    dc_env_params_t prm;
    dc_placement_t p;
    char path[256];
    int rc, pid = (int)getpid();

    memset(&prm, 0, sizeof(prm));
    prm.field_mask = DC_ENV_PARAM_TOPOLOGY;
    prm.topology = "package:2 foo:3";
    rc = dc_env_create(MPI_COMM_WORLD, &prm, &env);
    DCT_ASSERT_ALL(rc == DC_ERR_TOPO && env == NULL);
    CU_ASSERT(strlen(dc_env_last_error(NULL)) > 0);
    CU_ASSERT(strstr(dc_env_last_error(NULL), "foo") != NULL);

    /* a directory is not an XML file, nor a synthetic description */
    prm.topology = "/";
    rc = dc_env_create(MPI_COMM_WORLD, &prm, &env);
    DCT_ASSERT_ALL(rc == DC_ERR_TOPO && env == NULL);

    /* an existing file that is not hwloc XML */
    MPI_Bcast(&pid, 1, MPI_INT, 0, dct_comm);
    snprintf(path, sizeof(path), "test_topo_bad_%d.xml", pid);
    if (dct_rank == 0) {
        FILE *f = fopen(path, "w");
        CU_ASSERT(f != NULL);
        if (f != NULL) {
            fputs("<?xml version=\"1.0\"?>\n<not-a-topology>\n", f);
            fclose(f);
        }
    }
    MPI_Barrier(dct_comm);
    prm.topology = path;
    rc = dc_env_create(MPI_COMM_WORLD, &prm, &env);
    DCT_ASSERT_ALL(rc == DC_ERR_TOPO && env == NULL);
    CU_ASSERT(strlen(dc_env_last_error(NULL)) > 0);
    MPI_Barrier(dct_comm);
    if (dct_rank == 0)
        unlink(path);

    /* a topology that differs on one rank */
    prm.topology = dct_rank == dct_size - 1 ? "core:3 pu:1" : "core:4 pu:1";
    rc = dc_env_create(MPI_COMM_WORLD, &prm, &env);
    if (dct_size > 1) {
        DCT_ASSERT_ALL(rc == DC_ERR_ARG && env == NULL);
    } else {
        DCT_ASSERT_ALL(rc == DC_SUCCESS && env != NULL);
    }
    dc_env_destroy(&env);

    /* a binding policy that differs on one rank, and one that is not a policy */
    prm.field_mask = DC_ENV_PARAM_BIND;
    prm.bind = dct_rank == dct_size - 1 ? DC_BIND_SPREAD : DC_BIND_COMPACT;
    rc = dc_env_create(MPI_COMM_WORLD, &prm, &env);
    if (dct_size > 1) {
        DCT_ASSERT_ALL(rc == DC_ERR_ARG && env == NULL);
    }
    dc_env_destroy(&env);
    prm.bind = dct_rank == 0 ? (dc_bind_t)42 : DC_BIND_AUTO;
    rc = dc_env_create(MPI_COMM_WORLD, &prm, &env);
    DCT_ASSERT_ALL(rc == DC_ERR_ARG && env == NULL);
    dc_env_destroy(&env);

    /* NULL handle and output: local, fail at once */
    CU_ASSERT_EQUAL(dc_env_get_placement(NULL, &p), DC_ERR_ARG);
    CU_ASSERT(strlen(dc_env_last_error(NULL)) > 0);
    env = dct_env_create();
    CU_ASSERT_EQUAL(dc_env_get_placement(env, NULL), DC_ERR_ARG);
    CU_ASSERT(env == NULL || strlen(dc_env_last_error(env)) > 0);
    /* NULL on every rank: each fails at once */
    CU_ASSERT_EQUAL(dc_env_view(NULL, stdout), DC_ERR_ARG);
    dc_env_destroy(&env);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("topo", suite_init, suite_clean);

    CU_add_test(s, "node grouping", test_node_grouping);
    CU_add_test(s, "synthetic plans", test_synthetic_plans);
    CU_add_test(s, "synthetic, threads override", test_synthetic_threads_override);
    CU_add_test(s, "DC_TOPOLOGY variable and XML file", test_topology_env_and_xml);
    CU_add_test(s, "real machine: applied binding and threads", test_real_default);
    CU_add_test(s, "real machine: launcher binding kept", test_real_launcher_binding);
    CU_add_test(s, "nested envs", test_nested_envs);
    CU_add_test(s, "view", test_view);
    CU_add_test(s, "bad input", test_bad_input);
}
