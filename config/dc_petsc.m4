# PETSc detection for configure.ac (only bench/bench_solve uses PETSc).

# DC_PETSC(MPI_IMPL)
# Looks for PETSc through pkg-config (module PETSc, >= 3.18) unless --without-petsc, and uses it
# only when it is built for the same MPI as $CC (MPI_IMPL: openmpi, mpich, ...): a PETSc built
# for another MPI links that MPI's libmpi into the program (Debian's PETSc links Open MPI's
# libmpi.so.40), which then crashes in its first collective. PETSc's own <petscsys.h> refuses
# to compile with another implementation's <mpi.h>; that check and the MPI named by
# petscconf.h decide. Sets dc_have_petsc (yes/no), dc_petsc_why (the reason when no),
# PETSC_CFLAGS, PETSC_LIBS, AM_CONDITIONAL DC_HAVE_PETSC.
AC_DEFUN([DC_PETSC], [
  AC_ARG_WITH([petsc],
    [AS_HELP_STRING([--with-petsc@<:@=yes|no@:>@],
      [PETSc >= 3.18 (pkg-config PETSc, same MPI) for the comparison bench/bench_solve (default: if usable; yes: required)])],
    [], [with_petsc=check])
  dc_have_petsc=no
  dc_petsc_why="--without-petsc"
  AS_IF([test "x$with_petsc" != xno], [
    PKG_CHECK_MODULES([PETSC], [PETSc >= 3.18], [dc_have_petsc=yes],
      [dc_have_petsc=no
       dc_petsc_why="no pkg-config module PETSc >= 3.18 (Debian: apt-get install petsc-dev)"])
  ])
  AS_IF([test "x$dc_have_petsc" = xyes], [
    dc_save_CPPFLAGS=$CPPFLAGS
    CPPFLAGS="$PETSC_CFLAGS $CPPFLAGS"
    AC_MSG_CHECKING([the MPI PETSc is built for])
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <petscconf.h>
#ifndef PETSC_HAVE_OMPI_MAJOR_VERSION
#error no
#endif]], [])], [dc_petsc_mpi=openmpi],
      [AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <petscconf.h>
#ifndef PETSC_HAVE_MPICH_NUMVERSION
#error no
#endif]], [])], [dc_petsc_mpi=mpich], [dc_petsc_mpi=other])])
    AC_MSG_RESULT([$dc_petsc_mpi])
    AC_MSG_CHECKING([whether $CC compiles PETSc programs])
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <petscksp.h>]], [[KSP ksp; (void)ksp;]])],
      [dc_petsc_cc=yes], [dc_petsc_cc=no])
    AC_MSG_RESULT([$dc_petsc_cc])
    CPPFLAGS=$dc_save_CPPFLAGS
    AS_IF([test "x$dc_petsc_mpi" != xother && test "x$dc_petsc_mpi" != "x$1"],
      [dc_have_petsc=no
       dc_petsc_why="PETSc is built for $dc_petsc_mpi, $CC is $1: a program would load two MPI libraries"],
      [test "x$dc_petsc_cc" = xno],
      [dc_have_petsc=no
       dc_petsc_why="$CC cannot compile <petscksp.h> with '$PETSC_CFLAGS' (PETSc built for another MPI?)"])
  ])
  AS_IF([test "x$dc_have_petsc" = xyes], [
    dc_save_LIBS=$LIBS; dc_save_CPPFLAGS=$CPPFLAGS
    LIBS="$PETSC_LIBS $LIBS"; CPPFLAGS="$PETSC_CFLAGS $CPPFLAGS"
    AC_MSG_CHECKING([whether $CC links PETSc programs])
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <petscksp.h>]], [[KSP ksp; KSPCreate(PETSC_COMM_WORLD, &ksp);]])],
      [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no])
       dc_have_petsc=no
       dc_petsc_why="$CC cannot link '$PETSC_LIBS'"])
    LIBS=$dc_save_LIBS; CPPFLAGS=$dc_save_CPPFLAGS
  ])
  AS_IF([test "x$dc_have_petsc" = xyes], [
    dc_petsc_why="PETSc `$PKG_CONFIG --modversion PETSc`, $dc_petsc_mpi"
  ], [
    PETSC_CFLAGS=; PETSC_LIBS=
    AS_IF([test "x$with_petsc" = xyes],
      [AC_MSG_ERROR([--with-petsc: PETSc not usable: $dc_petsc_why])])
    AS_IF([test "x$with_petsc" != xno],
      [AC_MSG_NOTICE([PETSc not used, bench/bench_solve is not built: $dc_petsc_why])])
  ])
  AC_SUBST([PETSC_CFLAGS])
  AC_SUBST([PETSC_LIBS])
  AM_CONDITIONAL([DC_HAVE_PETSC], [test "x$dc_have_petsc" = xyes])
])
