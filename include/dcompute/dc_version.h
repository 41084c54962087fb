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

#endif /* DC_VERSION_H */
