# Run last by `cmake --install` (CMakeLists.txt sets CMZ_LIBDIR and CMZ_SONAME first). A program
# linked with `pkg-config --libs cmz` finds libcmz at run time only through the loader's cache,
# which only ldconfig refreshes: root installing into a system prefix gets it refreshed; anyone
# else is told the one command to run. A staged install (DESTDIR: a package build) leaves the
# cache to the package manager.

# out: TRUE when the loader's cache resolves soname to the file installed in dir. Compared by
# real path: on merged-/usr systems the cache names /lib/... for /usr/lib/....
function(cmz_loader_finds ldconfig dir soname out)
  set(${out} FALSE PARENT_SCOPE)
  execute_process(COMMAND "${ldconfig}" -p OUTPUT_VARIABLE cache ERROR_QUIET)
  string(REPLACE "." "\\." soname_re "${soname}")
  string(REGEX MATCHALL "=> [^\n]*/${soname_re}\n" hits "${cache}")
  get_filename_component(installed "${dir}/${soname}" REALPATH)
  foreach(hit IN LISTS hits)
    string(REGEX REPLACE "^=> (.*)\n$" "\\1" path "${hit}")
    get_filename_component(path "${path}" REALPATH)
    if(path STREQUAL installed)
      set(${out} TRUE PARENT_SCOPE)
    endif()
  endforeach()
endfunction()

function(cmz_refresh_loader libdir soname)
  if(NOT "$ENV{DESTDIR}" STREQUAL "")
    return()
  endif()
  get_filename_component(prefix "${CMAKE_INSTALL_PREFIX}" ABSOLUTE)
  get_filename_component(dir "${libdir}" ABSOLUTE BASE_DIR "${prefix}")
  set(export_line "export LD_LIBRARY_PATH=\"${dir}\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}\"")
  # /sbin is not on a user's PATH on Debian.
  find_program(ldconfig_program ldconfig PATHS /sbin /usr/sbin)
  if(NOT prefix MATCHES "^/usr(/local)?$")
    message(NOTICE "cmz: ${dir} is not on the loader's search path; before running a program "
                   "linked with -lcmz: ${export_line}")
    return()
  elseif(NOT ldconfig_program)
    return() # no cache to refresh (musl): the loader searches the system folders itself
  endif()
  execute_process(COMMAND "${ldconfig_program}" RESULT_VARIABLE rc OUTPUT_QUIET ERROR_QUIET)
  if(NOT rc EQUAL 0)
    message(NOTICE "cmz: run `sudo ldconfig` so that programs find ${dir}/${soname}")
    return()
  endif()
  cmz_loader_finds("${ldconfig_program}" "${dir}" "${soname}" found)
  if(found)
    message(STATUS "cmz: ran ldconfig: programs find ${dir}/${soname}")
  else()
    message(NOTICE "cmz: ran ldconfig, but ${dir} is not in /etc/ld.so.conf; before running a "
                   "program linked with -lcmz: ${export_line}")
  endif()
endfunction()

cmz_refresh_loader("${CMZ_LIBDIR}" "${CMZ_SONAME}")
