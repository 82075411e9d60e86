# What `cmake --install build --prefix P` puts under P, so that another CMake project can
# `find_package(dmlp)` and link dmlp's libraries as dmlp::<name> (see apps/examples/):
#   P/bin/                  dmlp, dmlp-node
#   P/include/dmlp/         the headers of every exported library, under the paths the project
#                           includes them by ("runtime/supervisor.hpp"), and the generated
#                           Cap'n Proto headers ("messages/tensor_bundle.capnp.h")
#   P/lib/                  the static libraries
#   P/lib/cmake/dmlp/       dmlpConfig.cmake, its version file, the exported targets, FindCAF
# Exported are the libraries declared (dmlp_add_library) under messages/, runtime/, actors/ and
# apps/jobs/, the public API; the CLI's, demos' and tests' own libraries stay in the build tree.
# Included at the end of the top-level CMakeLists.txt, when every library is declared.
include(CMakePackageConfigHelpers)

set(dmlp_cmake_install_dir lib/cmake/dmlp)
set(dmlp_public_dirs messages runtime actors apps/jobs)

# True when `target` links `dependency`, directly or through other dmlp libraries.
function(dmlp_links target dependency out)
  get_target_property(links ${target} LINK_LIBRARIES)
  set(result FALSE)
  foreach(lib IN LISTS links)
    if(lib STREQUAL dependency)
      set(result TRUE)
    elseif(TARGET ${lib} AND lib MATCHES "^dmlp_")
      dmlp_links(${lib} ${dependency} nested)
      if(nested)
        set(result TRUE)
      endif()
    endif()
    if(result)
      break()
    endif()
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

get_property(dmlp_all_libraries GLOBAL PROPERTY DMLP_LIBRARIES)
set(dmlp_exported_libraries)
set(dmlp_header_dirs)
set(DMLP_COMPONENTS)
set(DMLP_TORCH_COMPONENTS)
set(DMLP_HTTP_COMPONENTS)
foreach(lib IN LISTS dmlp_all_libraries)
  get_target_property(dir ${lib} SOURCE_DIR)
  file(RELATIVE_PATH rel ${PROJECT_SOURCE_DIR} ${dir})
  set(public FALSE)
  foreach(public_dir IN LISTS dmlp_public_dirs)
    if(rel STREQUAL public_dir OR rel MATCHES "^${public_dir}/")
      set(public TRUE)
    endif()
  endforeach()
  if(NOT public)
    continue()
  endif()
  list(APPEND dmlp_exported_libraries ${lib})
  list(APPEND dmlp_header_dirs ${rel})
  get_target_property(component ${lib} EXPORT_NAME)
  list(APPEND DMLP_COMPONENTS ${component})
  dmlp_links(${lib} torch uses_torch)
  if(uses_torch)
    list(APPEND DMLP_TORCH_COMPONENTS ${component})
  endif()
  dmlp_links(${lib} PkgConfig::HTTPLIB uses_http)
  if(uses_http)
    list(APPEND DMLP_HTTP_COMPONENTS ${component})
  endif()
endforeach()

install(TARGETS ${dmlp_exported_libraries} EXPORT dmlpTargets ARCHIVE DESTINATION lib)
foreach(rel IN LISTS dmlp_header_dirs)
  install(DIRECTORY ${PROJECT_SOURCE_DIR}/${rel}/ DESTINATION include/dmlp/${rel}
          FILES_MATCHING PATTERN "*.hpp" PATTERN "fuzz" EXCLUDE)
endforeach()
install(DIRECTORY ${PROJECT_SOURCE_DIR}/messages/ ${PROJECT_BINARY_DIR}/messages/
        DESTINATION include/dmlp/messages
        FILES_MATCHING PATTERN "*.capnp" PATTERN "*.capnp.h" PATTERN "CMakeFiles" EXCLUDE)
foreach(program dmlp dmlp-node)
  if(TARGET ${program})
    install(TARGETS ${program} RUNTIME DESTINATION bin)
  endif()
endforeach()

install(EXPORT dmlpTargets NAMESPACE dmlp:: DESTINATION ${dmlp_cmake_install_dir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/dmlpConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/dmlpConfig.cmake
                              INSTALL_DESTINATION ${dmlp_cmake_install_dir})
# 0.x: a minor version may change the API.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dmlpConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dmlpConfig.cmake ${PROJECT_BINARY_DIR}/dmlpConfigVersion.cmake
              ${PROJECT_SOURCE_DIR}/cmake/FindCAF.cmake
        DESTINATION ${dmlp_cmake_install_dir})
