# Parallel HDF5 and zlib detection for the checkpoint module (lib/ckpt.c).

# DC_HDF5(MPI_IMPL)
# Looks for a parallel HDF5 built for the MPI of $CC (MPI_IMPL: openmpi, mpich, other) and for
# zlib (crc32, crc32_combine). --with-hdf5=PATH takes PATH/include and PATH/lib; otherwise
# pkg-config module hdf5-MPI_IMPL (Debian: libhdf5-openmpi-dev, libhdf5-mpich-dev), then hdf5.
# The HDF5 must define H5_HAVE_PARALLEL, its <mpi.h> must be the one of $CC, and a program
# linked with it must load only $CC's libmpi (checked with ldd when available): an HDF5 built
# for another MPI loads a second libmpi, which crashes in the first collective.
# Sets dc_have_ckpt (yes/no), dc_ckpt_why (what was found, or why not), HDF5_CFLAGS,
# HDF5_LIBS, ZLIB_CFLAGS, ZLIB_LIBS, H5DUMP (h5dump for the tests, may be empty),
# AC_SUBST DC_HAVE_CKPT (0/1: the macro of the installed dc_version.h) and
# AM_CONDITIONAL DC_HAVE_CKPT.
AC_DEFUN([DC_HDF5], [
  AC_ARG_WITH([hdf5],
    [AS_HELP_STRING([--with-hdf5@<:@=yes|no|PATH@:>@],
      [parallel HDF5 for checkpoints, built for the same MPI (default: pkg-config hdf5-<mpi> if usable; PATH: its prefix; yes: required)])],
    [], [with_hdf5=check])
  dc_have_ckpt=no
  dc_ckpt_why="--without-hdf5"
  dc_hdf5_pkg=
  AS_CASE([$1], [openmpi|mpich], [dc_hdf5_pkg=hdf5-$1], [dc_hdf5_pkg=hdf5])
  AS_CASE([$with_hdf5],
    [no], [],
    [check|yes], [
      PKG_CHECK_MODULES([HDF5], [$dc_hdf5_pkg], [dc_have_ckpt=yes], [
        AS_IF([test "x$dc_hdf5_pkg" != xhdf5],
          [PKG_CHECK_MODULES([HDF5], [hdf5], [dc_have_ckpt=yes; dc_hdf5_pkg=hdf5],
            [dc_ckpt_why="no pkg-config module $dc_hdf5_pkg (Debian: apt-get install libhdf5-$1-dev)"])],
          [dc_ckpt_why="no pkg-config module hdf5"])])],
    [HDF5_CFLAGS="-I$with_hdf5/include"
     HDF5_LIBS="-L$with_hdf5/lib -lhdf5"
     dc_hdf5_pkg="$with_hdf5"
     dc_have_ckpt=yes])
  AS_IF([test "x$dc_have_ckpt" = xyes], [
    dc_save_CPPFLAGS=$CPPFLAGS; dc_save_LIBS=$LIBS
    CPPFLAGS="$HDF5_CFLAGS $CPPFLAGS"; LIBS="$HDF5_LIBS $LIBS"
    AC_MSG_CHECKING([whether $dc_hdf5_pkg is a parallel HDF5])
    AC_COMPILE_IFELSE([AC_LANG_PROGRAM([[#include <hdf5.h>
#if !defined(H5_HAVE_PARALLEL) || !H5_HAVE_PARALLEL
#error serial HDF5
#endif]], [[hid_t p = H5Pcreate(H5P_FILE_ACCESS); (void)p;]])],
      [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no])
       dc_have_ckpt=no
       dc_ckpt_why="$dc_hdf5_pkg is not a parallel HDF5 (no H5_HAVE_PARALLEL, or <hdf5.h> not found with '$HDF5_CFLAGS')"])
    AS_IF([test "x$dc_have_ckpt" = xyes], [
      AC_MSG_CHECKING([the MPI of <mpi.h> with the HDF5 flags])
      DC_MPI_IMPL([dc_hdf5_mpi])
      AC_MSG_RESULT([$dc_hdf5_mpi])
      AS_IF([test "x$dc_hdf5_mpi" != "x$1"],
        [dc_have_ckpt=no
         dc_ckpt_why="'$HDF5_CFLAGS' makes <mpi.h> $dc_hdf5_mpi, $CC is $1: HDF5 built for another MPI"])])
    AS_IF([test "x$dc_have_ckpt" = xyes], [
      AC_MSG_CHECKING([whether $CC links parallel HDF5 programs])
      AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <hdf5.h>]],
          [[hid_t p = H5Pcreate(H5P_FILE_ACCESS);
            H5Pset_fapl_mpio(p, MPI_COMM_WORLD, MPI_INFO_NULL);]])],
        [AC_MSG_RESULT([yes])
         # The libmpi every MPI loads: Open MPI libmpi.so.N, MPICH libmpich.so.N (or libmpi.so.12).
         dc_hdf5_mpilibs=
         AS_IF([command -v ldd >/dev/null 2>&1],
           [dc_hdf5_mpilibs=`ldd conftest$EXEEXT 2>/dev/null | sed -n 's/^[[ 	]]*\(libmpi[[a-z_]]*\.so[[.0-9]]*\) .*/\1/p' | sort -u | tr '\n' ' '`])
         AC_MSG_CHECKING([the MPI libraries a program with HDF5 loads])
         AC_MSG_RESULT([${dc_hdf5_mpilibs:-(ldd not available)}])
         dc_hdf5_nmpi=`echo $dc_hdf5_mpilibs | wc -w`
         AS_IF([test "$dc_hdf5_nmpi" -gt 1],
           [dc_have_ckpt=no
            dc_ckpt_why="a program linked with '$HDF5_LIBS' loads several MPI libraries ($dc_hdf5_mpilibs): HDF5 built for another MPI"])],
        [AC_MSG_RESULT([no])
         dc_have_ckpt=no
         dc_ckpt_why="$CC cannot link H5Pset_fapl_mpio with '$HDF5_LIBS'"])])
    CPPFLAGS=$dc_save_CPPFLAGS; LIBS=$dc_save_LIBS
  ])
  # zlib: the CRC-32 of every object (crc32, crc32_combine)
  AS_IF([test "x$dc_have_ckpt" = xyes], [
    PKG_CHECK_MODULES([ZLIB], [zlib], [], [ZLIB_CFLAGS=; ZLIB_LIBS=-lz])
    dc_save_CPPFLAGS=$CPPFLAGS; dc_save_LIBS=$LIBS
    CPPFLAGS="$ZLIB_CFLAGS $CPPFLAGS"; LIBS="$ZLIB_LIBS $LIBS"
    AC_MSG_CHECKING([for crc32_combine in zlib])
    AC_LINK_IFELSE([AC_LANG_PROGRAM([[#include <zlib.h>]],
        [[return (int)crc32_combine(crc32(0L, Z_NULL, 0), 0, 0);]])],
      [AC_MSG_RESULT([yes])],
      [AC_MSG_RESULT([no])
       dc_have_ckpt=no
       dc_ckpt_why="zlib (crc32_combine) not found (Debian: apt-get install zlib1g-dev)"])
    CPPFLAGS=$dc_save_CPPFLAGS; LIBS=$dc_save_LIBS
  ])
  AS_IF([test "x$dc_have_ckpt" = xyes], [
    dc_ckpt_why="HDF5 `$PKG_CONFIG --modversion $dc_hdf5_pkg 2>/dev/null || echo $dc_hdf5_pkg` for $1, zlib"
    DC_HAVE_CKPT=1
  ], [
    HDF5_CFLAGS=; HDF5_LIBS=; ZLIB_CFLAGS=; ZLIB_LIBS=
    DC_HAVE_CKPT=0
    AS_IF([test "x$with_hdf5" != xcheck && test "x$with_hdf5" != xno],
      [AC_MSG_ERROR([--with-hdf5: parallel HDF5 not usable: $dc_ckpt_why])])
    AS_IF([test "x$with_hdf5" != xno],
      [AC_MSG_NOTICE([checkpoint module not built (dc_ckpt_* return DC_ERR_NOTSUP): $dc_ckpt_why])])
  ])
  # h5dump: the tests check that a checkpoint reads without libdcompute
  AC_PATH_PROGS([H5DUMP], [h5dump], [])
  AC_SUBST([HDF5_CFLAGS])
  AC_SUBST([HDF5_LIBS])
  AC_SUBST([ZLIB_CFLAGS])
  AC_SUBST([ZLIB_LIBS])
  AC_SUBST([DC_HAVE_CKPT])
  AM_CONDITIONAL([DC_HAVE_CKPT], [test "x$dc_have_ckpt" = xyes])
])
