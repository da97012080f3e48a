# 32-bit, little-endian: ARMv7 with hardware floats (armhf). Usage: scripts/cross-test armhf
set(CMAKE_SYSTEM_PROCESSOR arm)
set(CMZ_CROSS_TRIPLET arm-linux-gnueabihf)
set(CMZ_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/toolchain-debian-cross.cmake)
