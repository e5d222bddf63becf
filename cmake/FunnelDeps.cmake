# Third-party dependencies, all from Debian 12 packages (scripts/install-deps.sh installs them).
set(Boost_NO_WARN_NEW_VERSIONS ON)
find_package(Boost 1.81 EXACT REQUIRED)
find_package(Threads REQUIRED)
find_package(OpenSSL 3 REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(tomlplusplus REQUIRED)

# Asio as used by Funnel: standalone-style Boost.Asio, header-only, no deprecated names.
add_library(funnel_asio INTERFACE)
target_link_libraries(funnel_asio INTERFACE Boost::headers Threads::Threads)
target_compile_definitions(funnel_asio INTERFACE BOOST_ASIO_NO_DEPRECATED BOOST_ASIO_NO_TS_EXECUTORS)

if(FUNNEL_BUILD_TESTS AND NOT FUNNEL_FUZZ)
  find_package(GTest REQUIRED)
endif()
if(FUNNEL_BUILD_BENCH AND NOT FUNNEL_FUZZ)
  find_package(benchmark REQUIRED)
endif()
