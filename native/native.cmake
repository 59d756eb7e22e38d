# native/: LibTorch translation of the graph, trainers, importers, and the pix2pix program.
find_package(Torch REQUIRED)

file(GLOB P2P_NATIVE_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/native/*.cpp)
list(FILTER P2P_NATIVE_SOURCES EXCLUDE REGEX ".*/main\\.cpp$")
add_library(p2p_native STATIC ${P2P_NATIVE_SOURCES})
# c10d's Gloo backend is declared only under this macro (LibTorch is built with it; libgloo-dev has its headers).
set_source_files_properties(${CMAKE_SOURCE_DIR}/native/distributed.cpp PROPERTIES COMPILE_DEFINITIONS USE_C10D_GLOO)
# Adam's fused loop vectorises only when sqrt need not set errno.
set_source_files_properties(${CMAKE_SOURCE_DIR}/native/adam.cpp PROPERTIES COMPILE_OPTIONS -fno-math-errno)
target_link_libraries(p2p_native PUBLIC p2p_shared ${TORCH_LIBRARIES})
target_compile_options(p2p_native PRIVATE -Wall -Wextra)

set(CMAKE_RUNTIME_OUTPUT_DIRECTORY_NATIVE ${CMAKE_SOURCE_DIR}/build/bin)
add_executable(pix2pix ${CMAKE_SOURCE_DIR}/native/main.cpp)
target_link_libraries(pix2pix p2p_native)
set_target_properties(pix2pix PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_SOURCE_DIR}/build/bin)

if(P2P_TESTS)
  file(GLOB P2P_NATIVE_TESTS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/native/*.cpp)
  # Two test files check written ONNX with the onnx library (Debian's libonnx-dev). A machine without it
  # (the GPU machine: PyTorch's LibTorch only) builds the others; here it is required.
  option(P2P_ONNX_TESTS "Build the native tests that read ONNX with the onnx library" ON)
  if(P2P_ONNX_TESTS)
    find_package(Protobuf REQUIRED)
    find_package(ONNX REQUIRED)
  else()
    list(FILTER P2P_NATIVE_TESTS EXCLUDE REGEX ".*/(cli|onnx_runtime)_test\\.cpp$")
  endif()
  if(P2P_NATIVE_TESTS)
    add_executable(native_tests ${P2P_NATIVE_TESTS})
    target_link_libraries(native_tests p2p_native GTest::gtest_main)
    if(P2P_ONNX_TESTS)
      target_link_libraries(native_tests onnx)
    endif()
    target_compile_definitions(native_tests PRIVATE P2P_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
                               P2P_BIN="${CMAKE_SOURCE_DIR}/build/bin/pix2pix")
    gtest_discover_tests(native_tests DISCOVERY_TIMEOUT 120)
  endif()
endif()
