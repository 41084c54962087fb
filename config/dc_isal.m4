# ISA-L's CRC-32 for the checkpoint module (optional).

# DC_ISAL
# With the checkpoint module (dc_have_ckpt = yes), looks for ISA-L (pkg-config libisal; Debian:
# libisal-dev) and its crc32_gzip_refl: the CRC-32 of gzip and zlib (same polynomial,
# reflection, initial value and final xor, so the same checksums in the files), computed with
# carry-less multiplication, about 6x zlib's crc32 here. lib/ckpt.c uses it instead of zlib's
# crc32 when found; configure checks that both give the same value. --without-isal leaves it
# out, --with-isal requires it.
# Sets dc_have_isal (yes/no), ISAL_CFLAGS, ISAL_LIBS and AC_DEFINE DC_HAVE_ISAL.
AC_DEFUN([DC_ISAL], [
  AC_ARG_WITH([isal],
    [AS_HELP_STRING([--with-isal@<:@=yes|no@:>@],
      [ISA-L (libisal) for the checkpoints' CRC-32 (default: when found)])],
    [], [with_isal=check])
  dc_have_isal=no
  AS_IF([test "x$with_isal" != xno && test "x$dc_have_ckpt" = xyes], [
    PKG_CHECK_MODULES([ISAL], [libisal], [], [ISAL_CFLAGS=; ISAL_LIBS=-lisal])
    dc_save_CPPFLAGS=$CPPFLAGS; dc_save_LIBS=$LIBS
    CPPFLAGS="$ISAL_CFLAGS $ZLIB_CFLAGS $CPPFLAGS"; LIBS="$ISAL_LIBS $ZLIB_LIBS $LIBS"
    AC_MSG_CHECKING([for crc32_gzip_refl in ISA-L, equal to zlib's crc32])
    AC_RUN_IFELSE([AC_LANG_PROGRAM([[#include <isa-l/crc.h>
#include <zlib.h>]], [[
      static unsigned char b[100003];
      unsigned long i;
      for (i = 0; i < sizeof(b); i++)
          b[i] = (unsigned char)(i * 2654435761u >> 13);
      return crc32_gzip_refl(0, b, sizeof(b)) != (uint32_t)crc32(0L, b, (uInt)sizeof(b)) ||
             crc32_gzip_refl(crc32_gzip_refl(0, b, 7), b + 7, 1000) !=
                 (uint32_t)crc32(0L, b, 1007);]])],
      [dc_have_isal=yes], [], [dc_have_isal=yes])
    AC_MSG_RESULT([$dc_have_isal])
    CPPFLAGS=$dc_save_CPPFLAGS; LIBS=$dc_save_LIBS
  ])
  AS_IF([test "x$dc_have_isal" = xyes], [
    AC_DEFINE([DC_HAVE_ISAL], [1], [Define to 1 when ISA-L's crc32_gzip_refl replaces zlib's crc32.])
  ], [
    ISAL_CFLAGS=; ISAL_LIBS=
    AS_IF([test "x$with_isal" = xyes],
      [AC_MSG_ERROR([--with-isal: ISA-L with crc32_gzip_refl not usable (Debian: apt-get install libisal-dev), or no checkpoint module])])
  ])
  AC_SUBST([ISAL_CFLAGS])
  AC_SUBST([ISAL_LIBS])
])
