# MPI detection helpers for configure.ac.

# DC_MPI_IMPL(VAR)
# Sets VAR to the MPI implementation whose <mpi.h> the current language's compiler sees:
# openmpi, mpich, other (an <mpi.h> of neither), or none (no <mpi.h> at all).
AC_DEFUN([DC_MPI_IMPL], [
  AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <mpi.h>]], [])],
    [AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <mpi.h>
#ifndef OPEN_MPI
#error no
#endif]], [])], [$1=openmpi],
      [AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <mpi.h>
#ifndef MPICH
#error no
#endif]], [])], [$1=mpich], [$1=other])])],
    [$1=none])
])

# DC_MPI_CXX_FROM_CC(DEFAULT)
# When CXX is not set: the C++ wrapper of CC's MPI, named as CC with mpicc replaced by mpicxx
# (mpicc.mpich -> mpicxx.mpich, /opt/mpi/bin/mpicc -> /opt/mpi/bin/mpicxx), else DEFAULT
# searched in PATH. A C++ compiler of another MPI would link a second libmpi into the program.
AC_DEFUN([DC_MPI_CXX_FROM_CC], [
  AS_IF([test -z "$CXX"], [
    dc_cc_prog=`echo "$CC" | sed 's/^ *//; s/ .*//'`
    dc_cc_rest=`echo "$CC" | sed 's/^ *//; s/^[[^ ]]*//'`
    dc_cxx_prog=
    AS_CASE([`basename "$dc_cc_prog"`],
      [*mpicc*], [dc_cxx_prog=`echo "$dc_cc_prog" | sed 's/mpicc\([[^\/]]*\)$/mpicxx\1/'`])
    AS_IF([test -n "$dc_cxx_prog"], [
      AS_CASE([$dc_cxx_prog],
        [*/*], [AS_IF([test -x "$dc_cxx_prog"], [CXX="$dc_cxx_prog$dc_cc_rest"])],
        [AC_PATH_PROG([DC_MPICXX], [$dc_cxx_prog])
         AS_IF([test -n "$DC_MPICXX"], [CXX="$DC_MPICXX$dc_cc_rest"])])])
    AS_IF([test -z "$CXX"], [
      AC_PATH_PROG([DC_MPICXX_DEFAULT], [$1])
      AS_IF([test -n "$DC_MPICXX_DEFAULT"], [CXX=$DC_MPICXX_DEFAULT])])
  ])
])
