# The one place that says how dmlp's libraries, tests and benchmarks are declared.
#
# dmlp_add_library(NAME SOURCES ... [LINK ...])     a static library of the project
# dmlp_add_test(NAME SOURCES ... [LINK ...] [LABELS ...] [TIMEOUT s])
#     a GoogleTest executable in build/bin/tests, registered with ctest (label "default" when
#     none is given; "long" and "soak" tests are left out of the default suite)
# dmlp_add_bench(NAME SOURCES ... [LINK ...])      a benchmark executable in build/bin/bench

set(DMLP_WARNINGS -Wall -Wextra -Wno-unused-parameter)

function(dmlp_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>
                                            $<BUILD_INTERFACE:${PROJECT_BINARY_DIR}/generated>)
  target_compile_options(${name} PRIVATE ${DMLP_WARNINGS})
  target_link_libraries(${name} PUBLIC ${ARG_LINK})
endfunction()

function(dmlp_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LINK;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${DMLP_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_LINK} GTest::gtest GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin/tests)
  if(NOT ARG_LABELS)
    set(ARG_LABELS default)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  add_test(NAME ${name} COMMAND ${name} --gtest_color=no)
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
