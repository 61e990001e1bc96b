# One version: include/dlnsgd.h's DLN_VERSION_* macros state it; every other
# place must agree. Arguments: SOURCE_DIR, BUILD_DIR, VERSION (the CMake
# project's), SOVERSION, PYTHON (an interpreter, or empty to skip the Python
# package's own reading).
file(READ ${SOURCE_DIR}/include/dlnsgd.h header)
foreach(part MAJOR MINOR PATCH)
  if(NOT header MATCHES "\n#define DLN_VERSION_${part} +([0-9]+)")
    message(FATAL_ERROR "include/dlnsgd.h: no DLN_VERSION_${part}")
  endif()
  set(${part} ${CMAKE_MATCH_1})
endforeach()
set(want "${MAJOR}.${MINOR}.${PATCH}")
set(failures 0)

function(agree what got)
  if(got STREQUAL want)
    message(STATUS "ok   ${what}: ${got}")
  else()
    message(STATUS "FAIL ${what}: '${got}', the header says ${want}")
    math(EXPR n "${failures} + 1")
    set(failures ${n} PARENT_SCOPE)
  endif()
endfunction()

function(match what file regex)
  file(READ ${file} text)
  if(text MATCHES "${regex}")
    agree("${what}" "${CMAKE_MATCH_1}")
  else()
    agree("${what}" "<no version found in ${file}>")
  endif()
  set(failures ${failures} PARENT_SCOPE)
endfunction()

agree("CMake project(VERSION)" "${VERSION}")
match("pkg-config dlnsgd.pc" ${BUILD_DIR}/dlnsgd.pc "\nVersion: ([0-9.]+)")
match("CMake package dlnsgdConfigVersion.cmake" ${BUILD_DIR}/dlnsgdConfigVersion.cmake
      "PACKAGE_VERSION \"([0-9.]+)\"")
match("Julia bindings/julia/Project.toml" ${SOURCE_DIR}/bindings/julia/Project.toml
      "\nversion = \"([0-9.]+)\"")

# The Fortran raw layer repeats the macros as parameters (bindings/gen writes it):
file(READ ${SOURCE_DIR}/bindings/fortran/dlnsgd_c.f90 f90)
set(f90_version "")
foreach(part MAJOR MINOR PATCH)
  if(f90 MATCHES "DLN_VERSION_${part} = ([0-9]+)")
    list(APPEND f90_version ${CMAKE_MATCH_1})
  endif()
endforeach()
string(REPLACE ";" "." f90_version "${f90_version}")
agree("Fortran bindings/fortran/dlnsgd_c.f90 DLN_VERSION_*" "${f90_version}")

# ABI major: the soname, and what the Python and Julia loaders accept.
set(want ${MAJOR})
agree("soname version (DLN_SOVERSION)" "${SOVERSION}")
match("Python dlnsgd/_lib.py ABI_MAJOR" ${SOURCE_DIR}/bindings/python/dlnsgd/_lib.py
      "\nABI_MAJOR = ([0-9]+)")
match("Python dlnsgd/_lib.py SONAME" ${SOURCE_DIR}/bindings/python/dlnsgd/_lib.py
      "\nSONAME = \"libdlnsgd\\.so\\.([0-9]+)\"")
match("Julia libdlnsgd.jl VERSION_MAJOR" ${SOURCE_DIR}/bindings/julia/src/libdlnsgd.jl
      "\nconst VERSION_MAJOR = Cint\\(([0-9]+)\\)")
set(want "${MAJOR}.${MINOR}.${PATCH}")

if(PYTHON)
  # The package's __version__ in a source tree and the wheel metadata the
  # build backend writes both come from dlnsgd/_version.py reading the header.
  execute_process(COMMAND ${PYTHON} -c
    "import runpy, sys; print(runpy.run_path(sys.argv[1])['__version__'])"
    ${SOURCE_DIR}/bindings/python/dlnsgd/_version.py
    OUTPUT_VARIABLE py OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  agree("Python dlnsgd.__version__ (source tree)" "${py}")
  execute_process(COMMAND ${PYTHON} -c
    "import sys; sys.path.insert(0, sys.argv[1]); import dlnsgd_build_backend as b; print(b.version())"
    ${SOURCE_DIR}/bindings/python/_build_backend
    OUTPUT_VARIABLE py OUTPUT_STRIP_TRAILING_WHITESPACE RESULT_VARIABLE rc)
  agree("Python package metadata (build backend)" "${py}")
endif()

if(failures GREATER 0)
  message(FATAL_ERROR "${failures} place(s) disagree with include/dlnsgd.h")
endif()
