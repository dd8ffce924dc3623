# SPDX-License-Identifier: Apache-2.0
# The README's SMMU parameter table is `smmu-sim --list-parameters`, between the lines
# <!-- parameters:begin --> and <!-- parameters:end -->.
#   cmake -DSMMU_SIM=<smmu-sim> -DREADME=<README.md> -P readme_parameters.cmake
# fails (listing how to fix it) when the README's table differs; with -DUPDATE=ON it
# writes the generated table into the README instead (the update-readme-parameters target).
set(ENV{SYSTEMC_DISABLE_COPYRIGHT_MESSAGE} 1)
execute_process(COMMAND ${SMMU_SIM} --list-parameters OUTPUT_VARIABLE generated RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${SMMU_SIM} --list-parameters failed (${rc})")
endif()

set(begin_marker "<!-- parameters:begin -->\n")
set(end_marker "<!-- parameters:end -->")
file(READ ${README} readme)
string(FIND "${readme}" "${begin_marker}" begin)
string(FIND "${readme}" "${end_marker}" end)
if(begin EQUAL -1 OR end EQUAL -1 OR end LESS begin)
  message(FATAL_ERROR "${README}: no '<!-- parameters:begin -->' line followed by '<!-- parameters:end -->'")
endif()
string(LENGTH "${begin_marker}" marker_length)
math(EXPR body_start "${begin} + ${marker_length}")
math(EXPR body_length "${end} - ${body_start}")
string(SUBSTRING "${readme}" ${body_start} ${body_length} current)

if(current STREQUAL generated)
  return()
endif()
if(UPDATE)
  string(SUBSTRING "${readme}" 0 ${body_start} head)
  string(SUBSTRING "${readme}" ${end} -1 tail)
  file(WRITE ${README} "${head}${generated}${tail}")
  message(STATUS "${README}: parameter table updated")
else()
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/parameters.generated.md "${generated}")
  message(FATAL_ERROR "${README}: the parameter table between the parameters markers is not "
                      "what smmu-sim --list-parameters prints (${CMAKE_CURRENT_BINARY_DIR}/"
                      "parameters.generated.md); regenerate it: cmake --build <build> --target "
                      "update-readme-parameters")
endif()
