/*
 * The MPI check at dc_env_create (lib/mpi_check.c): the library built for one MPI refuses an
 * application compiled with the other's <mpi.h>, on every rank, with a message naming both
 * MPIs and the library to link, before any MPI call that takes a handle; the macro passes this
 * program's own MPI, which is accepted. (A process running the other MPI's libmpi:
 * tests/mpi-mismatch.sh; a program of each MPI against the other's installed build: the CI job
 * "consumer".) The expected names come from this program's <mpi.h>, not from the library.
 */
#include "dc_test.h"

#include <stdio.h>
#include <string.h>

/* The other MPI than the one of this program's mpi.h, as the macro would pass it. */
static const char *other_app(void)
{
#if defined(OPEN_MPI)
    return "mpich 4.0.2";
#else
    return "openmpi 4.1.4";
#endif
}

static const char *this_name(void)
{
#if defined(OPEN_MPI)
    return "openmpi";
#elif defined(MPICH)
    return "mpich";
#else
    return "mpi";
#endif
}

static void test_other_header(void)
{
    dc_env_t *env = NULL;
    char want[128];
    const char *msg;
    int rc;

    if (!strcmp(this_name(), "mpi")) {
        /* another MPI: the library checks nothing to compare against */
        return;
    }
    rc = dc_env_create_abi(MPI_COMM_WORLD, NULL, &env, other_app());
    msg = dc_env_last_error(NULL);
    DCT_ASSERT_ALL(rc == DC_ERR_MPI && env == NULL);
    snprintf(want, sizeof(want), "libdcompute-%s was built for ", this_name());
    DCT_ASSERT_ALL(strstr(msg, want) != NULL);
    DCT_ASSERT_ALL(strstr(msg, "compiled with the mpi.h of") != NULL);
    snprintf(want, sizeof(want), "(link -ldcompute-%.*s / pkg-config dcompute-%.*s)",
             (int)strcspn(other_app(), " "), other_app(), (int)strcspn(other_app(), " "),
             other_app());
    DCT_ASSERT_ALL(strstr(msg, want) != NULL);
    if (strstr(msg, want) == NULL)
        fprintf(stderr, "[rank %d] message: %s\n", dct_rank, msg);
    /* the library still works afterwards */
    rc = dc_env_create(MPI_COMM_WORLD, NULL, &env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS && env != NULL);
    dc_env_destroy(&env);
}

static void test_own_header(void)
{
    dc_env_t *env = NULL;
    char app[64];
    int rc, size = 0;

    /* what the macro passes: this program's MPI */
    DCT_ASSERT_ALL(!strncmp(DC_APP_MPI, this_name(), strlen(this_name())));
    DCT_ASSERT_ALL(!strcmp(DC_APP_MPI_NAME, DC_MPI_NAME));
    snprintf(app, sizeof(app), "%s 0.0", this_name());
    rc = dc_env_create_abi(MPI_COMM_WORLD, NULL, &env, app);
    DCT_ASSERT_ALL(rc == DC_SUCCESS && env != NULL);
    if (env != NULL)
        dc_env_get_rank(env, NULL, &size);
    DCT_ASSERT_ALL(size == dct_size);
    dc_env_destroy(&env);
    /* NULL: not checked; the unchecked function itself too */
    rc = dc_env_create_abi(MPI_COMM_WORLD, NULL, &env, NULL);
    DCT_ASSERT_ALL(rc == DC_SUCCESS && env != NULL);
    dc_env_destroy(&env);
    rc = (dc_env_create)(MPI_COMM_WORLD, NULL, &env);
    DCT_ASSERT_ALL(rc == DC_SUCCESS && env != NULL);
    dc_env_destroy(&env);
}

/* The build's macros against this program's <mpi.h>: the version configure recorded is the
 * one of the mpi.h the tests are compiled with (the same MPI). */
static void test_build_macros(void)
{
    char ver[64];

#if defined(OPEN_MPI)
    snprintf(ver, sizeof(ver), "%d.%d.%d", OMPI_MAJOR_VERSION, OMPI_MINOR_VERSION,
             OMPI_RELEASE_VERSION);
#elif defined(MPICH_VERSION)
    snprintf(ver, sizeof(ver), "%s", MPICH_VERSION);
#else
    snprintf(ver, sizeof(ver), "%s", DC_MPI_VERSION_STRING);
#endif
    CU_ASSERT_STRING_EQUAL(DC_MPI_NAME, this_name());
    CU_ASSERT_STRING_EQUAL(DC_MPI_VERSION_STRING, ver);
}

void dct_register(void)
{
    CU_pSuite s = CU_add_suite("mpicheck", NULL, NULL);
    CU_add_test(s, "the other MPI's mpi.h: DC_ERR_MPI everywhere, clear message",
                test_other_header);
    CU_add_test(s, "this MPI's mpi.h, NULL and the plain function: accepted", test_own_header);
    CU_add_test(s, "dc_build.h names the MPI and version of <mpi.h>", test_build_macros);
}
