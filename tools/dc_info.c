/*
 * dc_info: prints the libdcompute version, the options table (name, type, default, current
 * value, help: the docs of the DC_* variables come from the code) and where the ranks of this
 * run sit on the machine. Runs alone (a singleton MPI process) or under mpirun.
 * --version prints one line (version, MPI, BLAS); --parsable prints key:value lines for scripts,
 * as `ompi_info --parsable` does.
 */
#include <dcompute.h>

#include "dc_config.h"
#include "repro_kernel.h" /* to name the summation kernel the library's dispatcher picks */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DCI_MPI_LIBVER_MAX 16384

#if DC_HAVE_CKPT
#include <hdf5.h>
#endif

#ifdef HAVE_OPENBLAS_GET_NUM_THREADS
int openblas_get_num_threads(void);
char *openblas_get_config(void);
int openblas_get_parallel(void);
#endif

#ifndef DC_INFO_BLAS_LIBS
#define DC_INFO_BLAS_LIBS ""
#endif
#ifndef DC_INFO_SCALAPACK_LIBS
#define DC_INFO_SCALAPACK_LIBS ""
#endif

/* The optional modules this library was built with. */
static void print_modules(void)
{
#if DC_HAVE_CKPT
    printf("Checkpoints (dc_ckpt.h): yes, parallel HDF5 for this MPI\n\n");
#else
    printf("Checkpoints (dc_ckpt.h): no, built without parallel HDF5 for its MPI (dc_ckpt_* "
           "return DC_ERR_NOTSUP; configure's summary says what was missing)\n\n");
#endif
}

static void usage(FILE *f)
{
    fprintf(f, "usage: dc_info [-c] [--version] [--parsable] [-h]\n"
               "  (no option)  version, options with their current values, and the placement of\n"
               "               the ranks of this run (collective: run it alone or under mpirun)\n"
               "  -c           version and the options table with defaults and help (no MPI)\n"
               "  --version    one line: version, the MPI the library is built for, the BLAS\n"
               "  --parsable   key:value lines (version, build and runtime MPI, BLAS, ScaLAPACK,\n"
               "               checkpoints, kernels, options in effect, placement of every rank;\n"
               "               collective, printed by rank 0)\n"
               "  -h           this help\n"
               "The DC_* variables in the table configure the run; DC_TOPOLOGY=\"package:2 core:4 "
               "pu:2\"\nshows the placement that would be planned on that machine.\n");
}

/* The MPI this process runs (MPI_Get_library_version, callable before MPI_Init): its name
 * (openmpi, mpich, mpi), version and first line. */
static void runtime_mpi(char *name, size_t nname, char *ver, size_t nver, char *line, size_t nline)
{
    /* room for any MPI's text: the library may run under another MPI than the one of its
     * mpi.h (MPICH's MPI_MAX_LIBRARY_VERSION_STRING is 8192, Open MPI's 256) */
    static char lib[DCI_MPI_LIBVER_MAX];
    const char *p;
    int len = 0;
    size_t n = 0;

    lib[0] = '\0';
    MPI_Get_library_version(lib, &len);
    lib[sizeof(lib) - 1] = '\0';
    snprintf(line, nline, "%.*s", (int)strcspn(lib, "\n"), lib);
    snprintf(name, nname, "mpi");
    ver[0] = '\0';
    if ((p = strstr(lib, "Open MPI v")) != NULL) {
        snprintf(name, nname, "openmpi");
        p += strlen("Open MPI v");
    } else if ((p = strstr(lib, "MPICH Version:")) != NULL) {
        snprintf(name, nname, "mpich");
        p += strlen("MPICH Version:");
        p += strspn(p, " \t");
    }
    if (p != NULL) {
        n = strcspn(p, ", \t\n");
        snprintf(ver, nver, "%.*s", (int)n, p);
    }
}

/* The BLAS: name, version, threading ("pthread", "openmp", "serial") and the full config. */
static void blas_info(char *name, size_t nname, char *ver, size_t nver, const char **par,
                      char *config, size_t nconfig)
{
    snprintf(name, nname, "unknown");
    ver[0] = '\0';
    *par = "unknown";
    snprintf(config, nconfig, "%s", DC_INFO_BLAS_LIBS);
#ifdef HAVE_OPENBLAS_GET_NUM_THREADS
    {
        const char *c = openblas_get_config();
        snprintf(name, nname, "OpenBLAS");
        if (c != NULL) {
            snprintf(config, nconfig, "%s", c);
            if (!strncmp(c, "OpenBLAS ", 9))
                snprintf(ver, nver, "%.*s", (int)strcspn(c + 9, " "), c + 9);
        }
        switch (openblas_get_parallel()) {
        case 0: *par = "serial"; break;
        case 1: *par = "pthread"; break;
        case 2: *par = "openmp"; break;
        default: break;
        }
    }
#endif
}

static const char *kernel_name(void)
{
    dci_rk_run_fn *k = dci_rk_best();

    if (k == dci_rk_run_generic)
        return "generic";
#ifdef DC_HAVE_X86_KERNELS
    if (k == dci_rk_run_avx2)
        return "avx2";
    if (k == dci_rk_run_avx512)
        return "avx512";
#endif
    return "unknown";
}

/* One line of --version. */
static int print_version(void)
{
    char rname[16], rver[64], rline[256], bname[32], bver[32], bconf[256];
    const char *par;

    runtime_mpi(rname, sizeof(rname), rver, sizeof(rver), rline, sizeof(rline));
    blas_info(bname, sizeof(bname), bver, sizeof(bver), &par, bconf, sizeof(bconf));
    printf("libdcompute %s (libdcompute-%s, built for %s %s; running %s; BLAS %s%s%s, %s)\n",
           DC_VERSION_STRING, DC_MPI_NAME, DC_MPI_DISPLAY_NAME, DC_MPI_VERSION_STRING, rline, bname,
           bver[0] ? " " : "", bver, par);
    return 0;
}

/* The options in effect, from the table dc_options_view prints ("NAME type default "d" ...
 * current "v""): one option:NAME:value line each. */
static int print_options(dc_env_t *env)
{
    char *buf = NULL, *line, *save = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    int rc;

    if (f == NULL)
        return DC_ERR_NOMEM;
    rc = dc_options_view(env, f);
    fclose(f);
    if (rc != DC_SUCCESS) {
        free(buf);
        return rc;
    }
    for (line = strtok_r(buf, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        const char *cur = strstr(line, " current \"");
        size_t n;

        if (strncmp(line, "DC_", 3) != 0 || cur == NULL)
            continue;
        n = strcspn(line, " ");
        cur += strlen(" current \"");
        printf("option:%.*s:%.*s\n", (int)n, line, (int)strcspn(cur, "\""), cur);
    }
    free(buf);
    return DC_SUCCESS;
}

/* Every rank's placement, gathered to rank 0. */
static int print_placement(dc_env_t *env, int rank, int size)
{
    dc_placement_t pl, *all = NULL;
    MPI_Comm comm;
    int rc, i;

    memset(&pl, 0, sizeof(pl));
    rc = dc_env_get_placement(env, &pl);
    if (rc == DC_SUCCESS)
        rc = dc_env_get_comm(env, &comm);
    if (rc != DC_SUCCESS)
        return rc;
    if (rank == 0 && (all = malloc(sizeof(*all) * (size_t)size)) == NULL)
        return DC_ERR_NOMEM; /* the others wait in MPI_Gather: dc_info then exits, mpirun ends */
    MPI_Gather(&pl, (int)sizeof(pl), MPI_BYTE, all, (int)sizeof(pl), MPI_BYTE, 0, comm);
    if (rank == 0) {
        printf("placement:nodes:%d\n", all[0].nnodes);
        for (i = 0; i < size; i++) {
            const dc_placement_t *p = &all[i];
            printf("placement:rank:%d:node:%s\n", i, p->node_name);
            printf("placement:rank:%d:node_id:%d\n", i, p->node_id);
            printf("placement:rank:%d:cpus:%s\n", i, p->cpuset);
            printf("placement:rank:%d:cores:%d\n", i, p->ncores);
            printf("placement:rank:%d:bound:%d\n", i, p->bound);
            printf("placement:rank:%d:blas_threads:%d\n", i, p->blas_threads);
            printf("placement:rank:%d:verdict:%s\n", i, dc_placement_verdict_name(p->verdict));
        }
    }
    free(all);
    return DC_SUCCESS;
}

/* --parsable: everything as key:value lines, printed by rank 0. */
static int print_parsable(dc_env_t *env, int rank, int size)
{
    char rname[16], rver[64], rline[256], bname[32], bver[32], bconf[256];
    const char *par;
    int rc = DC_SUCCESS, rcp;

    if (rank == 0) {
        runtime_mpi(rname, sizeof(rname), rver, sizeof(rver), rline, sizeof(rline));
        blas_info(bname, sizeof(bname), bver, sizeof(bver), &par, bconf, sizeof(bconf));
        printf("version:%s\n", DC_VERSION_STRING);
        printf("version:api:%d.%d.%d\n", DC_VERSION_MAJOR, DC_VERSION_MINOR, DC_VERSION_PATCH);
        printf("library:libdcompute-%s\n", DC_MPI_NAME);
        printf("build:mpi:%s\n", DC_MPI_NAME);
        printf("build:mpi_name:%s\n", DC_MPI_DISPLAY_NAME);
        printf("build:mpi_version:%s\n", DC_MPI_VERSION_STRING);
        printf("build:debug:%d\n", DC_HAVE_DEBUG);
        printf("runtime:mpi:%s\n", rname);
        printf("runtime:mpi_version:%s\n", rver);
        printf("runtime:mpi_library:%s\n", rline);
        printf("runtime:ranks:%d\n", size);
        printf("blas:name:%s\n", bname);
        printf("blas:version:%s\n", bver);
        printf("blas:threading:%s\n", par);
        printf("blas:config:%s\n", bconf);
        printf("blas:libs:%s\n", DC_INFO_BLAS_LIBS);
        printf("scalapack:pdgemm_library:libdcompute_scalapack-%s\n", DC_MPI_NAME);
        printf("scalapack:reference:%s\n",
               DC_INFO_SCALAPACK_LIBS[0] ? DC_INFO_SCALAPACK_LIBS : "none");
        printf("ckpt:enabled:%d\n", DC_HAVE_CKPT);
#if DC_HAVE_CKPT
        printf("ckpt:hdf5_version:%s\n", H5_VERSION);
#else
        printf("ckpt:hdf5_version:none\n");
#endif
#ifdef DC_HAVE_X86_KERNELS
        printf("repro:kernels:generic,avx2,avx512\n");
#else
        printf("repro:kernels:generic\n");
#endif
        printf("repro:kernel:%s\n", kernel_name());
        rc = print_options(env);
        fflush(stdout);
    }
    rcp = print_placement(env, rank, size);
    fflush(stdout);
    return rc != DC_SUCCESS ? rc : rcp;
}

int main(int argc, char **argv)
{
    dc_env_t *env = NULL;
    int i, options_only = 0, parsable = 0, rank = 0, size = 1, rc;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-c")) {
            options_only = 1;
        } else if (!strcmp(argv[i], "--parsable")) {
            parsable = 1;
        } else if (!strcmp(argv[i], "--version") || !strcmp(argv[i], "-V")) {
            return print_version();
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "%s: unknown argument '%s'\n", argv[0], argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (options_only) {
        printf("libdcompute %s\n\nOptions (environment variables):\n", DC_VERSION_STRING);
        return dc_options_view(NULL, stdout) == DC_SUCCESS ? 0 : 1;
    }

    /* dc_env_create initialises MPI when needed; the last dc_env_destroy finalises it. */
    rc = dc_env_create(MPI_COMM_WORLD, NULL, &env);
    if (rc != DC_SUCCESS) {
        fprintf(stderr, "dc_info: dc_env_create: %s: %s\n", dc_strerror(rc),
                dc_env_last_error(NULL));
        return 1;
    }
    dc_env_get_rank(env, &rank, &size);
    if (parsable) {
        rc = print_parsable(env, rank, size);
    } else {
        if (rank == 0) {
            printf("libdcompute %s (libdcompute-%s, built for %s %s)\n\nOptions (environment "
                   "variables):\n",
                   DC_VERSION_STRING, DC_MPI_NAME, DC_MPI_DISPLAY_NAME, DC_MPI_VERSION_STRING);
            rc = dc_options_view(env, stdout);
            printf("\n");
            print_modules();
            fflush(stdout);
        }
        if (rc == DC_SUCCESS)
            rc = dc_env_view(env, stdout);
    }
    if (rc != DC_SUCCESS)
        fprintf(stderr, "dc_info: %s: %s\n", dc_strerror(rc), dc_env_last_error(env));
    fflush(stdout);
    dc_env_destroy(&env);
    return rc == DC_SUCCESS ? 0 : 1;
}
