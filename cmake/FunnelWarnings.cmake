# Compile options for Funnel's own targets: strict warnings, sanitizers when asked.
add_library(funnel_options INTERFACE)
target_compile_options(funnel_options INTERFACE -Wall -Wextra -Werror -Wno-unused-parameter)
# GCC 12 reports false -Wrestrict warnings for std::string concatenation at -O2/-O3
# (GCC bug 105329); they would fail release builds on correct code.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  target_compile_options(funnel_options INTERFACE -Wno-restrict)
endif()
target_compile_definitions(funnel_options INTERFACE $<$<CONFIG:Release>:NDEBUG>
                           SPDLOG_ACTIVE_LEVEL=$<IF:$<CONFIG:Release>,SPDLOG_LEVEL_DEBUG,SPDLOG_LEVEL_TRACE>)
if(FUNNEL_SANITIZE)
  string(REPLACE ";" "," _san "${FUNNEL_SANITIZE}")
  target_compile_options(funnel_options INTERFACE -fsanitize=${_san} -fno-omit-frame-pointer
                                                  -fno-sanitize-recover=all)
  target_link_options(funnel_options INTERFACE -fsanitize=${_san})
endif()
if(FUNNEL_FUZZ)
  target_compile_options(funnel_options INTERFACE -fsanitize=fuzzer-no-link,address,undefined)
  target_link_options(funnel_options INTERFACE -fsanitize=address,undefined)
endif()

# funnel_module(NAME SOURCES ... DEPS ...): one static library per src/ folder.
function(funnel_module name)
  cmake_parse_arguments(M "" "" "SOURCES;DEPS" ${ARGN})
  add_library(funnel_${name} STATIC ${M_SOURCES})
  target_include_directories(funnel_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(funnel_${name} PUBLIC funnel_options ${M_DEPS})
endfunction()
