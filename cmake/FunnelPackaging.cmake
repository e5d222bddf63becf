# Installation and the Debian package (issue #17, item 5).
#   cmake --install build/release --prefix /tmp/funnel    # bin/, etc/funnel/, share/
#   cd build/release && cpack -G DEB                      # funnel_<version>_<arch>.deb
# Installed into the prefix /usr (what CPack packages), the config goes to /etc/funnel and the
# unit to /lib/systemd/system; under any other prefix both stay inside it (etc/funnel,
# lib/systemd/system), so a trial install never writes outside its prefix.
include(GNUInstallDirs)

install(TARGETS funnel funnel-storm RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# Decided at install time (cmake --install --prefix X, or CPack's /usr), not at configure time.
# file(INSTALL) adds $DESTDIR itself (CPack's staging directory).
install(
  CODE "
  if(CMAKE_INSTALL_PREFIX STREQUAL \"/usr\")
    set(_funnel_etc /etc/funnel)
    set(_funnel_unit /lib/systemd/system)
  else()
    set(_funnel_etc \"\${CMAKE_INSTALL_PREFIX}/etc/funnel\")
    set(_funnel_unit \"\${CMAKE_INSTALL_PREFIX}/lib/systemd/system\")
  endif()
  file(INSTALL DESTINATION \"\${_funnel_etc}\" TYPE FILE
       FILES \"${PROJECT_SOURCE_DIR}/contrib/funnel.toml\")
  file(INSTALL DESTINATION \"\${_funnel_unit}\" TYPE FILE
       FILES \"${PROJECT_SOURCE_DIR}/contrib/funnel.service\")")

install(FILES ${PROJECT_SOURCE_DIR}/README.md ${PROJECT_SOURCE_DIR}/contrib/grafana-dashboard.json
        DESTINATION ${CMAKE_INSTALL_DOCDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/docs/ DESTINATION ${CMAKE_INSTALL_DOCDIR}
        FILES_MATCHING PATTERN "*.md")

# The man page is generated from the binary's own --help, so it cannot go stale.
set(FUNNEL_MAN_PAGE ${CMAKE_CURRENT_BINARY_DIR}/funnel.1)
add_custom_command(
  OUTPUT ${FUNNEL_MAN_PAGE}
  COMMAND ${CMAKE_COMMAND} -DFUNNEL=$<TARGET_FILE:funnel> -DOUT=${FUNNEL_MAN_PAGE} -P
          ${PROJECT_SOURCE_DIR}/cmake/FunnelManPage.cmake
  DEPENDS funnel ${PROJECT_SOURCE_DIR}/cmake/FunnelManPage.cmake
  COMMENT "Generating funnel.1 from funnel --help")
add_custom_target(funnel_man_page ALL DEPENDS ${FUNNEL_MAN_PAGE})
install(FILES ${FUNNEL_MAN_PAGE} DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)

set(CPACK_PACKAGE_NAME funnel)
set(CPACK_PACKAGE_VENDOR "Funnel")
set(CPACK_PACKAGE_CONTACT "Funnel maintainers <funnel@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "Redis-protocol proxy: many client connections over a few pipelined backend links")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
# CMAKE_INSTALL_PREFIX stays /usr while installing into the staging directory (DESTDIR).
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# Runtime dependencies from the binaries' shared libraries (dpkg-shlibdeps), plus the tools the
# maintainer scripts call.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
# The maintainer scripts create the funnel system user; an edited /etc/funnel/funnel.toml is a
# conffile that upgrades keep.
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PROJECT_SOURCE_DIR}/contrib/debian/postinst ${PROJECT_SOURCE_DIR}/contrib/debian/postrm
    ${PROJECT_SOURCE_DIR}/contrib/debian/conffiles)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_GENERATOR DEB)
include(CPack)
