# wasm/: the browser app (Dear ImGui on GLFW + WebGL2, compiled by em++) and the static page it ships in.
# Targets: studio (studio.js + studio.wasm) and web (assembles P2P_WEB_DIR: page, app, ONNX Runtime Web files).

set(IMGUI_DIR ${CMAKE_SOURCE_DIR}/third_party/imgui)
if(NOT EXISTS ${IMGUI_DIR}/imgui.cpp)
  message(WARNING "Dear ImGui sources missing in ${IMGUI_DIR} (run scripts/setup): the browser app is not built")
  return()
endif()

# Dear ImGui 1.86, core and the GLFW + OpenGL3 backends, unmodified.
add_library(imgui STATIC
  ${IMGUI_DIR}/imgui.cpp ${IMGUI_DIR}/imgui_draw.cpp ${IMGUI_DIR}/imgui_tables.cpp ${IMGUI_DIR}/imgui_widgets.cpp
  ${IMGUI_DIR}/backends/imgui_impl_glfw.cpp ${IMGUI_DIR}/backends/imgui_impl_opengl3.cpp)
target_include_directories(imgui SYSTEM PUBLIC ${IMGUI_DIR} ${IMGUI_DIR}/backends)
# WebGL2 is OpenGL ES 3; no imgui.ini in the browser is set at run time (io.IniFilename = nullptr).
# imconfig.h (all comments by default) is not among the files scripts/setup copies.
target_compile_definitions(imgui PUBLIC IMGUI_IMPL_OPENGL_ES3 IMGUI_DISABLE_OBSOLETE_FUNCTIONS IMGUI_DISABLE_INCLUDE_IMCONFIG_H)
target_compile_options(imgui PRIVATE -fno-exceptions)

file(GLOB P2P_WASM_SOURCES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/wasm/*.cpp)
add_executable(studio ${P2P_WASM_SOURCES})
target_link_libraries(studio p2p_shared imgui)
target_compile_options(studio PRIVATE -fno-exceptions -Wall -Wextra)
set(P2P_STUDIO_EXPORTS
  _main _malloc _free
  _studio_index_loaded _studio_index_failed
  _studio_weights_limit _studio_bundle_progress _studio_bundle_loaded _studio_bundle_failed
  _studio_session_ready _studio_run_done _studio_run_failed _studio_style_run_done _studio_style_run_failed
  _studio_file_loaded _studio_example_loaded _studio_resize _studio_pointer
  _studio_state_json _studio_input_pixels _studio_output_pixels _studio_onnx_bytes _studio_request_run
  _studio_style_pixels _studio_style_stats _studio_style_rerun)
list(JOIN P2P_STUDIO_EXPORTS "," P2P_STUDIO_EXPORTS_CSV)
target_link_options(studio PRIVATE
  -sUSE_GLFW=3 -sMIN_WEBGL_VERSION=2 -sMAX_WEBGL_VERSION=2 -sFULL_ES3=1
  -sALLOW_MEMORY_GROWTH=1 -sMAXIMUM_MEMORY=2GB -sDISABLE_EXCEPTION_CATCHING=1
  -sMODULARIZE=1 -sEXPORT_NAME=createStudio -sENVIRONMENT=web
  "-sEXPORTED_FUNCTIONS=${P2P_STUDIO_EXPORTS_CSV}"
  "-sEXPORTED_RUNTIME_METHODS=UTF8ToString,stringToUTF8,lengthBytesUTF8")
set_target_properties(studio PROPERTIES SUFFIX ".js")

# build/web: the static site. Relative URLs only, so it works from any sub-path of any host.
set(P2P_WEB_DIR ${CMAKE_SOURCE_DIR}/build/web CACHE PATH "where the static page is assembled")
set(ORT_DIST ${CMAKE_SOURCE_DIR}/node_modules/onnxruntime-web/dist)
# Only what the page loads: the WebGPU build (its wasm also runs the CPU provider) and the smaller
# CPU-only build, picked at run time by web/bridge.js.
set(ORT_FILES ort.webgpu.min.mjs ort-wasm-simd-threaded.asyncify.mjs ort-wasm-simd-threaded.asyncify.wasm
              ort.wasm.min.mjs ort-wasm-simd-threaded.mjs ort-wasm-simd-threaded.wasm)
file(GLOB P2P_WEB_FILES CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/web/*.*)
# web/models (index.json, one folder per bundle: model.json + weights) and web/examples are mirrored afresh on every
# build (a custom target always runs), so a re-exported or removed bundle shows at once.
file(GLOB_RECURSE P2P_WEB_MODELS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/web/models/* ${CMAKE_SOURCE_DIR}/web/examples/*)
set(ORT_PATHS)
foreach(f ${ORT_FILES})
  list(APPEND ORT_PATHS ${ORT_DIST}/${f})
endforeach()
add_custom_target(web ALL
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${P2P_WEB_DIR}/models ${P2P_WEB_DIR}/examples
  COMMAND ${CMAKE_COMMAND} -E make_directory ${P2P_WEB_DIR}/ort ${P2P_WEB_DIR}/models ${P2P_WEB_DIR}/licenses
  COMMAND ${CMAKE_COMMAND} -E copy ${CMAKE_SOURCE_DIR}/LICENSE ${P2P_WEB_DIR}/licenses/pix2pix-studio.txt
  COMMAND ${CMAKE_COMMAND} -E copy ${IMGUI_DIR}/LICENSE.txt ${P2P_WEB_DIR}/licenses/imgui.txt
  COMMAND ${CMAKE_COMMAND} -E copy ${P2P_WEB_FILES} ${P2P_WEB_DIR}/
  COMMAND ${CMAKE_COMMAND} -E copy_directory ${CMAKE_SOURCE_DIR}/web/models ${P2P_WEB_DIR}/models
  COMMAND ${CMAKE_COMMAND} -E copy_directory ${CMAKE_SOURCE_DIR}/web/examples ${P2P_WEB_DIR}/examples
  COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:studio> $<TARGET_FILE_DIR:studio>/studio.wasm ${P2P_WEB_DIR}/
  COMMAND ${CMAKE_COMMAND} -E copy ${ORT_PATHS} ${P2P_WEB_DIR}/ort/
  DEPENDS studio ${P2P_WEB_FILES} ${P2P_WEB_MODELS}
  COMMENT "Assembling the static page in ${P2P_WEB_DIR}")

# Test tool for tests/browser: untrained bundles and the page's ONNX bytes, from the same shared/
# code, run under node.
add_executable(make_bundle ${CMAKE_SOURCE_DIR}/tests/browser/make_bundle.cpp)
target_link_libraries(make_bundle p2p_shared)
target_link_options(make_bundle PRIVATE -sNODERAWFS=1 -sALLOW_MEMORY_GROWTH=1 -sEXIT_RUNTIME=1 -sENVIRONMENT=node)
set_target_properties(make_bundle PROPERTIES SUFFIX ".js")
