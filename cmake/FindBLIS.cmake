# FindBLIS: the BLIS library and blis.h.
# Debian installs them under a threading-model directory, e.g.
#   /usr/include/<multiarch>/blis-openmp/blis.h
#   /usr/lib/<multiarch>/blis-openmp/libblis.so  (and libblis.so.4 on the linker path)
# so we search those suffixes for every threading model and let BLIS_ROOT or
# the cache variables BLIS_INCLUDE_DIR / BLIS_LIBRARY override.
# Defines BLIS::BLIS, BLIS_FOUND, BLIS_INCLUDE_DIR, BLIS_LIBRARY.
set(_blis_suffixes blis blis-openmp blis-pthread blis-serial)
if(CMAKE_LIBRARY_ARCHITECTURE)
  foreach(_m openmp pthread serial)
    list(APPEND _blis_suffixes ${CMAKE_LIBRARY_ARCHITECTURE}/blis-${_m})
  endforeach()
endif()
find_path(BLIS_INCLUDE_DIR blis.h
  HINTS ${BLIS_ROOT} ENV BLIS_ROOT
  PATH_SUFFIXES include ${_blis_suffixes})
find_library(BLIS_LIBRARY NAMES blis
  HINTS ${BLIS_ROOT} ENV BLIS_ROOT
  PATH_SUFFIXES lib ${_blis_suffixes})
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(BLIS REQUIRED_VARS BLIS_LIBRARY BLIS_INCLUDE_DIR)
if(BLIS_FOUND AND NOT TARGET BLIS::BLIS)
  add_library(BLIS::BLIS UNKNOWN IMPORTED)
  set_target_properties(BLIS::BLIS PROPERTIES
    IMPORTED_LOCATION "${BLIS_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${BLIS_INCLUDE_DIR}")
endif()
mark_as_advanced(BLIS_INCLUDE_DIR BLIS_LIBRARY)
