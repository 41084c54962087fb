/*
 * The MPI this process runs and the MPI the application was compiled with must be the one this
 * library was built for (DC_MPI_NAME): a program compiled with MPICH's mpi.h and linked to
 * libdcompute-openmpi (or run with the other MPI's libmpi first in the search order) would pass
 * one MPI's handles to the other and die in its first collective ("Invalid MPI_Op"). Checked
 * first thing in dc_env_create, before any call that takes a handle: MPI_Get_library_version
 * takes only a buffer and may be called before MPI_Init.
 */
#include "dc_impl.h"

#include <stdio.h>
#include <string.h>

#define DCI_MPI_LIBVER_MAX 16384

/* The header's macro (dc_env.h) passes the application's MPI; the library's own entry point
 * is the function of that name. */
#undef dc_env_create

/* Which MPI a MPI_Get_library_version text names: openmpi, mpich or mpi; and its version. */
static const char *mpi_of_text(const char *text, char *ver, size_t nver)
{
    const char *p;
    size_t n = 0;

    ver[0] = '\0';
    if ((p = strstr(text, "Open MPI v")) != NULL) {
        p += strlen("Open MPI v");
        while (p[n] != '\0' && p[n] != ',' && p[n] != ' ' && p[n] != '\n' && n + 1 < nver)
            n++;
        memcpy(ver, p, n);
        ver[n] = '\0';
        return "openmpi";
    }
    if ((p = strstr(text, "MPICH Version:")) != NULL) {
        p += strlen("MPICH Version:");
        while (*p == ' ' || *p == '\t')
            p++;
        while (p[n] != '\0' && p[n] != '\n' && p[n] != ' ' && p[n] != '\t' && n + 1 < nver)
            n++;
        memcpy(ver, p, n);
        ver[n] = '\0';
        return "mpich";
    }
    return "mpi";
}

static const char *display_name(const char *mpi)
{
    if (!strcmp(mpi, "openmpi"))
        return "Open MPI";
    if (!strcmp(mpi, "mpich"))
        return "MPICH";
    return "another MPI";
}

int dci_mpi_runtime(char *name, size_t nname, char *ver, size_t nver, char *text, size_t ntext)
{
    /* room for any MPI's text: the library may run under another MPI than the one of its
     * mpi.h (MPICH's MPI_MAX_LIBRARY_VERSION_STRING is 8192, Open MPI's 256) */
    char lib[DCI_MPI_LIBVER_MAX];
    int len = 0;

    lib[0] = '\0';
    if (MPI_Get_library_version(lib, &len) != MPI_SUCCESS)
        lib[0] = '\0';
    lib[sizeof(lib) - 1] = '\0';
    snprintf(name, nname, "%s", mpi_of_text(lib, ver, nver));
    if (text != NULL && ntext > 0) {
        size_t n = strcspn(lib, "\n");
        snprintf(text, ntext, "%.*s", (int)n, lib);
    }
    return DC_SUCCESS;
}

int dci_mpi_check(const char *app_mpi)
{
    char run[16], ver[64];

    /* Another MPI than Open MPI and MPICH: nothing to compare. */
    if (strcmp(DC_MPI_NAME, "openmpi") != 0 && strcmp(DC_MPI_NAME, "mpich") != 0)
        return DC_SUCCESS;
    dci_mpi_runtime(run, sizeof(run), ver, sizeof(ver), NULL, 0);
    if (strcmp(run, DC_MPI_NAME) != 0)
        return DC_ERR(NULL, DC_ERR_MPI,
                      "libdcompute-%s was built for %s %s but the process runs %s%s%s (link "
                      "-ldcompute-%s / pkg-config dcompute-%s, or run with %s)",
                      DC_MPI_NAME, DC_MPI_DISPLAY_NAME, DC_MPI_VERSION_STRING, display_name(run),
                      ver[0] ? " " : "", ver, run, run, DC_MPI_DISPLAY_NAME);
    if (app_mpi != NULL) {
        size_t n = strcspn(app_mpi, " ");
        char app[16];

        snprintf(app, sizeof(app), "%.*s", (int)n, app_mpi);
        if (strcmp(app, DC_MPI_NAME) != 0)
            return DC_ERR(NULL, DC_ERR_MPI,
                          "libdcompute-%s was built for %s %s but the application was compiled "
                          "with the mpi.h of %s (%s) (link -ldcompute-%s / pkg-config "
                          "dcompute-%s)",
                          DC_MPI_NAME, DC_MPI_DISPLAY_NAME, DC_MPI_VERSION_STRING,
                          display_name(app), app_mpi, app, app);
    }
    return DC_SUCCESS;
}

int dc_env_create_abi(MPI_Comm comm, const dc_env_params_t *params, dc_env_t **env_p,
                      const char *app_mpi)
{
    int rc = dci_mpi_check(app_mpi);

    if (rc != DC_SUCCESS)
        return rc;
    return dc_env_create(comm, params, env_p);
}
