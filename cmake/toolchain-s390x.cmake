# Big-endian, 64-bit: IBM Z (s390x). Usage: scripts/cross-test s390x
set(CMAKE_SYSTEM_PROCESSOR s390x)
set(CMZ_CROSS_TRIPLET s390x-linux-gnu)
set(CMZ_CROSS_QEMU qemu-s390x)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-debian-cross.cmake)
