# Under a cross build (cmake/toolchain-debian-cross.cmake) the shell tests cannot start the
# target's cmz themselves: without binfmt_misc (containers) the kernel cannot run a foreign
# program. They get as CMZ_BIN a host script that runs it under qemu-user
# (cmake/qemu-wrapper.sh.in), with an uncmz link beside it as beside the real program.
# Included by tests/CMakeLists.txt; sets CMZ_TEST_BIN to what the tests run as cmz.
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  set(CMZ_TEST_BIN $<TARGET_FILE:cmz_cli>)
  return()
endif()

# Where the cmz_cli target (OUTPUT_NAME cmz) lands; a generator expression would need
# file(GENERATE ... FILE_PERMISSIONS), which CMake 3.25 crashes on.
set(cmz_program ${PROJECT_BINARY_DIR}/cmz)
set(CMZ_TEST_BIN ${CMAKE_CURRENT_BINARY_DIR}/qemu-bin/cmz)
configure_file(${CMAKE_CURRENT_LIST_DIR}/qemu-wrapper.sh.in ${CMZ_TEST_BIN} @ONLY
               FILE_PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                                WORLD_READ WORLD_EXECUTE)
file(CREATE_LINK cmz ${CMAKE_CURRENT_BINARY_DIR}/qemu-bin/uncmz SYMBOLIC)
