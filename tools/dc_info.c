/*
 * dc_info: prints the libdcompute version, the options table (name, type, default, current
 * value, help: the docs of the DC_* variables come from the code) and where the ranks of this
 * run sit on the machine. Runs alone (a singleton MPI process) or under mpirun.
 */
#include <dcompute.h>

#include <stdio.h>
#include <string.h>

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
    fprintf(f, "usage: dc_info [-c] [-h]\n"
               "  (no option)  version, options with their current values, and the placement of\n"
               "               the ranks of this run (collective: run it alone or under mpirun)\n"
               "  -c           version and the options table with defaults and help (no MPI)\n"
               "  -h           this help\n"
               "The DC_* variables in the table configure the run; DC_TOPOLOGY=\"package:2 core:4 "
               "pu:2\"\nshows the placement that would be planned on that machine.\n");
}

int main(int argc, char **argv)
{
    dc_env_t *env = NULL;
    int i, options_only = 0, rank = 0, rc;

    for (i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-c")) {
            options_only = 1;
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
    dc_env_get_rank(env, &rank, NULL);
    if (rank == 0) {
        printf("libdcompute %s\n\nOptions (environment variables):\n", DC_VERSION_STRING);
        rc = dc_options_view(env, stdout);
        printf("\n");
        print_modules();
        fflush(stdout);
    }
    if (rc == DC_SUCCESS)
        rc = dc_env_view(env, stdout);
    if (rc != DC_SUCCESS)
        fprintf(stderr, "dc_info: %s: %s\n", dc_strerror(rc), dc_env_last_error(env));
    fflush(stdout);
    dc_env_destroy(&env);
    return rc == DC_SUCCESS ? 0 : 1;
}
