# Cross build for a Debian target (scripts/cross-test, docs/BUILDS.md), included by
# toolchain-s390x.cmake and toolchain-armhf.cmake once they set CMZ_CROSS_TRIPLET,
# CMZ_CROSS_QEMU and CMAKE_SYSTEM_PROCESSOR.
#
# The compiler and C library are Debian's cross packages (gcc-TRIPLET, libc6-dev-ARCH-cross,
# under /usr/TRIPLET). The target's other libraries are the Debian -dev packages of that
# architecture unpacked into a private folder, CMZ_SYSROOT (scripts/cross-test fills it), rather
# than installed with dpkg: a multiarch install must match the host's versions exactly and
# would upgrade the host's own libraries to get there.
# Tests run under qemu-user through CMAKE_CROSSCOMPILING_EMULATOR, which ctest puts before every
# test whose command is a built program; the shell tests run cmz through a script that does the
# same (cmake/cross-wrapper.cmake, which reads cmz_target_libs below).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_C_COMPILER ${CMZ_CROSS_TRIPLET}-gcc)
set(CMAKE_LIBRARY_ARCHITECTURE ${CMZ_CROSS_TRIPLET})

if(NOT CMZ_SYSROOT AND DEFINED ENV{CMZ_SYSROOT})
  set(CMZ_SYSROOT "$ENV{CMZ_SYSROOT}" CACHE PATH "Unpacked target -dev packages")
endif()
# try_compile projects read this file again: hand them the sysroot too.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES CMZ_SYSROOT)
if(NOT CMZ_SYSROOT)
  message(FATAL_ERROR "cmz: set CMZ_SYSROOT to the target's unpacked -dev packages "
                      "(scripts/cross-test makes it)")
endif()

set(CMAKE_FIND_ROOT_PATH ${CMZ_SYSROOT})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR}
    "${CMZ_SYSROOT}/usr/lib/${CMZ_CROSS_TRIPLET}/pkgconfig:${CMZ_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} ${CMZ_SYSROOT})

# pkg-config drops -I/usr/include and -L/usr/lib/TRIPLET as system folders, and the linker must
# find the libraries' own dependencies (brotlienc needs brotlicommon) in the sysroot.
set(cmz_target_libs "${CMZ_SYSROOT}/usr/lib/${CMZ_CROSS_TRIPLET}:${CMZ_SYSROOT}/lib/${CMZ_CROSS_TRIPLET}")
set(CMAKE_C_FLAGS_INIT "-isystem ${CMZ_SYSROOT}/usr/include")
foreach(kind EXE SHARED MODULE)
  set(CMAKE_${kind}_LINKER_FLAGS_INIT
      "-L${CMZ_SYSROOT}/usr/lib/${CMZ_CROSS_TRIPLET} -Wl,-rpath-link,${cmz_target_libs}")
endforeach()

set(CMAKE_CROSSCOMPILING_EMULATOR
    ${CMZ_CROSS_QEMU} -L /usr/${CMZ_CROSS_TRIPLET} -E LD_LIBRARY_PATH=${cmz_target_libs})
