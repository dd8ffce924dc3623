# SPDX-License-Identifier: Apache-2.0
# The house's rules, checked on the sources:
#  - rtl_model includes neither driver/ nor platform/; driver/ includes neither
#    platform/ nor SystemC;
#  - a platform room includes only itself and the rooms before it in ROOMS (the order of
#    CMakeLists.txt's SMMU_PLATFORM_ROOMS, each room's library linking the ones before);
#  - every source under platform/ is in a room;
#  - README.md's Layout table has a line for each room, each rtl_model folder and each
#    top-level folder.
#   cmake -DSOURCE_DIR=<repo> "-DROOMS=config;scenario;..." -P layout_dependencies.cmake
cmake_minimum_required(VERSION 3.16)
set(problems "")

function(check_includes files pattern what)
  foreach(f ${files})
    file(STRINGS ${f} lines REGEX "^[ \t]*#[ \t]*include")
    foreach(line ${lines})
      if(line MATCHES "${pattern}")
        file(RELATIVE_PATH rel ${SOURCE_DIR} ${f})
        string(STRIP "${line}" line)
        set(problems "${problems}\n  ${rel}: ${line} (${what})" PARENT_SCOPE)
      endif()
    endforeach()
  endforeach()
endfunction()

file(GLOB_RECURSE rtl_sources ${SOURCE_DIR}/rtl_model/*.h ${SOURCE_DIR}/rtl_model/*.cpp)
check_includes("${rtl_sources}" "[\"<](driver|platform)/" "the model includes no driver or platform code")
file(GLOB_RECURSE driver_sources ${SOURCE_DIR}/driver/*.h ${SOURCE_DIR}/driver/*.cpp)
check_includes("${driver_sources}" "[\"<]platform/|<systemc|<tlm" "the driver is plain C++")

file(GLOB loose ${SOURCE_DIR}/platform/*.h ${SOURCE_DIR}/platform/*.cpp)
foreach(f ${loose})
  file(RELATIVE_PATH rel ${SOURCE_DIR} ${f})
  set(problems "${problems}\n  ${rel}: not in a room (platform/<room>/)")
endforeach()
file(GLOB room_dirs LIST_DIRECTORIES true ${SOURCE_DIR}/platform/*)
foreach(d ${room_dirs})
  get_filename_component(room ${d} NAME)
  if(IS_DIRECTORY ${d} AND NOT room IN_LIST ROOMS)
    set(problems "${problems}\n  platform/${room}: a room CMakeLists.txt's SMMU_PLATFORM_ROOMS does not list")
  endif()
endforeach()

# The rooms a room may not include: itself and those before it are allowed.
set(later ${ROOMS})
foreach(room ${ROOMS})
  list(REMOVE_ITEM later ${room})
  if(later)
    string(REPLACE ";" "|" later_alt "${later}")
    file(GLOB room_sources ${SOURCE_DIR}/platform/${room}/*.h ${SOURCE_DIR}/platform/${room}/*.cpp)
    check_includes("${room_sources}" "[\"<]platform/(${later_alt})/"
                   "platform/${room} may include only rooms before it: ${ROOMS}")
  endif()
endforeach()

file(READ ${SOURCE_DIR}/README.md readme)
set(folders "")
foreach(room ${ROOMS})
  list(APPEND folders platform/${room})
endforeach()
file(GLOB model_dirs LIST_DIRECTORIES true ${SOURCE_DIR}/rtl_model/*)
file(GLOB top_dirs LIST_DIRECTORIES true ${SOURCE_DIR}/*)
foreach(d ${model_dirs} ${top_dirs})
  file(RELATIVE_PATH rel ${SOURCE_DIR} ${d})
  # build trees are anyone's (build, build-asan, ...); platform and rtl_model have their rooms
  if(IS_DIRECTORY ${d} AND NOT rel MATCHES "^(build|\\.|platform$|rtl_model$)")
    list(APPEND folders ${rel})
  endif()
endforeach()
foreach(folder ${folders})
  string(FIND "${readme}" "\n| `${folder}` |" at)
  if(at EQUAL -1)
    set(problems "${problems}\n  README.md: no Layout line \"| `${folder}` | ... |\"")
  endif()
endforeach()

if(problems)
  message(FATAL_ERROR "the layout rules are broken:${problems}")
endif()
list(LENGTH folders n)
message(STATUS "layout: ${n} folders, includes point one way")
