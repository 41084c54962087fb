/**
 * \file dc_version.h
 * libdcompute version, MPI and feature macros (DC_VERSION_STRING, DC_MPI_NAME, DC_HAVE_CKPT, ...).
 *
 * The library is built once per MPI, and the builds live side by side in one prefix:
 * libdcompute-openmpi / libdcompute-mpich, pkg-config dcompute-openmpi / dcompute-mpich, and
 * the build's macros in <dcompute/openmpi/dc_build.h> / <dcompute/mpich/dc_build.h>. This
 * header includes the one of the MPI whose <mpi.h> the application is compiled with, so that a
 * plain -I<prefix>/include serves both. DC_APP_MPI_NAME names that MPI; dc_env_create checks it
 * against the library the program is linked with.
 */
#ifndef DC_VERSION_H
#define DC_VERSION_H

#include <mpi.h>

#if defined(OPEN_MPI)
/** The MPI of the application's <mpi.h> (here Open MPI); dc_env_create checks it. */
#define DC_APP_MPI_NAME "openmpi"
#if defined(__has_include)
#if !__has_include(<dcompute/openmpi/dc_build.h>)
#error "libdcompute is not installed for Open MPI, the MPI of this <mpi.h> (see README)"
#endif
#endif
#include <dcompute/openmpi/dc_build.h>
#elif defined(MPICH)
/** The MPI of the application's <mpi.h> (here MPICH); dc_env_create checks it. */
#define DC_APP_MPI_NAME "mpich"
#if defined(__has_include)
#if !__has_include(<dcompute/mpich/dc_build.h>)
#error "libdcompute is not installed for MPICH, the MPI of this <mpi.h> (see README)"
#endif
#endif
#include <dcompute/mpich/dc_build.h>
#else
/** The MPI of the application's <mpi.h> (here another MPI); dc_env_create checks it. */
#define DC_APP_MPI_NAME "mpi"
#include <dcompute/mpi/dc_build.h>
#endif

/** Internal: the text of a macro argument. */
#define DCI_STR_(x) #x
/** Internal: the text of a macro argument after its expansion. */
#define DCI_STR(x) DCI_STR_(x)
#if defined(OPEN_MPI)
/** The version of the application's MPI (from its <mpi.h>), e.g. "4.1.4". */
#define DC_APP_MPI_VERSION                                                                         \
    DCI_STR(OMPI_MAJOR_VERSION) "." DCI_STR(OMPI_MINOR_VERSION) "." DCI_STR(OMPI_RELEASE_VERSION)
#elif defined(MPICH_VERSION)
/** The version of the application's MPI (from its <mpi.h>), e.g. "4.0.2". */
#define DC_APP_MPI_VERSION MPICH_VERSION
#else
/** The MPI standard version of the application's <mpi.h>, e.g. "3.1" (another MPI). */
#define DC_APP_MPI_VERSION DCI_STR(MPI_VERSION) "." DCI_STR(MPI_SUBVERSION)
#endif
/** The MPI of the application's <mpi.h> and its version, e.g. "openmpi 4.1.4": what the
 * dc_env_create macro passes to dc_env_create_abi. */
#define DC_APP_MPI DC_APP_MPI_NAME " " DC_APP_MPI_VERSION

#endif /* DC_VERSION_H */
