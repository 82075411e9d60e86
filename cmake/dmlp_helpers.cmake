# The one place that says how dmlp's libraries, tests and benchmarks are declared.
#
# dmlp_add_library(NAME SOURCES ... [LINK ...])     a static library of the project; a library
#     named dmlp_X is also dmlp::X, the name it has in the installed package (cmake/dmlp_install.cmake)
# dmlp_add_test(NAME SOURCES ... [LINK ...] [LABELS ...] [TIMEOUT s])
#     a GoogleTest executable in build/bin/tests, registered with ctest (label "default" when
#     none is given; "long" and "soak" tests are left out of the default suite)
# dmlp_add_test(NAME SCRIPT file.sh [LABELS ...] [TIMEOUT s])
#     the same for a bash script (run from the build directory)
#     Every test gets DMLP_BIN_DIR (build/bin) and DMLP_SOURCE_DIR in its environment.
# dmlp_add_bench(NAME SOURCES ... [LINK ...])      a benchmark executable in build/bin/bench

set(DMLP_WARNINGS -Wall -Wextra -Wno-unused-parameter)

function(dmlp_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
                                            $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/generated>
                                            $<INSTALL_INTERFACE:include/dmlp>)
  string(REGEX REPLACE "^dmlp_" "" export_name ${name})
  set_target_properties(${name} PROPERTIES EXPORT_NAME ${export_name})
  add_library(dmlp::${export_name} ALIAS ${name})
  set_property(GLOBAL APPEND PROPERTY DMLP_LIBRARIES ${name})
  target_compile_options(${name} PRIVATE ${DMLP_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_LINK})
endfunction()

function(dmlp_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT;SCRIPT" "SOURCES;LINK;LABELS" ${ARGN})
  if(NOT ARG_LABELS)
    set(ARG_LABELS default)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  if(ARG_SCRIPT)
    add_test(NAME ${name} COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/${ARG_SCRIPT}
             WORKING_DIRECTORY ${CMAKE_BINARY_DIR})
  else()
    add_executable(${name} ${ARG_SOURCES})
    target_compile_options(${name} PRIVATE ${DMLP_WARNINGS})
    target_link_libraries(${name} PRIVATE ${ARG_LINK} GTest::gtest GTest::gmock GTest::gtest_main)
    set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin/tests)
    add_test(NAME ${name} COMMAND ${name} --gtest_color=no)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
                       ENVIRONMENT "DMLP_BIN_DIR=${CMAKE_BINARY_DIR}/bin;DMLP_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
endfunction()

function(dmlp_add_bench name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${DMLP_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_LINK})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin/bench)
endfunction()
