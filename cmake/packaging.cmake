# cmake/packaging.cmake — Debian packages built with CPack, one per component:
#
#   cchc-agent      (component agent)      for each agency: cchc-agent, its
#                   systemd unit, /etc/cchc/agent.ini (conffile), the guide.
#   cchc-collector  (component collector)  for the province (Sở Nội vụ):
#                   cchc-collector, cchcctl, its systemd unit,
#                   /etc/cchc/collector.ini (conffile), /usr/share/cchc/
#                   (criteria/default.ini, units/*.csv), the guides.
#
# Included at the end of the top-level CMakeLists.txt, after every target
# exists.  The targets' own install() rules carry no COMPONENT (they land in
# "Unspecified", used by a plain `cmake --install`); the rules here repeat
# them per component and CPACK_COMPONENTS_ALL packages only ours.
#
#   cmake --build build -j2 && cd build && cpack          # -> build/*.deb
#   cpack --config build/CPackConfig.cmake -B /tmp/out    # elsewhere
#
# Files that other parts of the tree provide (units, example configurations,
# guides) are picked up only if they exist, so the tree stays configurable.
# tests/packaging/ builds the packages and checks them.

set(_cchc_top ${CMAKE_CURRENT_LIST_DIR}/..)
cmake_path(NORMAL_PATH _cchc_top)

set(CCHC_PACKAGE_CONTACT "cchc maintainers <root@localhost>"
    CACHE STRING "Maintainer field of the Debian packages")

# ------------------------------------------------------------------ agent
if(TARGET cchc-agent)
  install(TARGETS cchc-agent RUNTIME DESTINATION bin COMPONENT agent)
endif()
if(EXISTS ${_cchc_top}/deploy/systemd/cchc-agent.service)
  install(FILES ${_cchc_top}/deploy/systemd/cchc-agent.service
          DESTINATION lib/systemd/system COMPONENT agent)
endif()
if(EXISTS ${_cchc_top}/deploy/agent.example.ini)
  install(FILES ${_cchc_top}/deploy/agent.example.ini
          DESTINATION /etc/cchc RENAME agent.ini COMPONENT agent)
endif()
foreach(_doc README.md docs/agent-guide.vi.md)
  if(EXISTS ${_cchc_top}/${_doc})
    install(FILES ${_cchc_top}/${_doc} DESTINATION share/doc/cchc-agent COMPONENT agent)
  endif()
endforeach()
if(EXISTS ${_cchc_top}/deploy/agent.example.ini)
  install(FILES ${_cchc_top}/deploy/agent.example.ini
          DESTINATION share/doc/cchc-agent/examples COMPONENT agent)
endif()

# -------------------------------------------------------------- collector
foreach(_target cchc-collector cchcctl)
  if(TARGET ${_target})
    install(TARGETS ${_target} RUNTIME DESTINATION bin COMPONENT collector)
  endif()
endforeach()
if(EXISTS ${_cchc_top}/deploy/systemd/cchc-collector.service)
  install(FILES ${_cchc_top}/deploy/systemd/cchc-collector.service
          DESTINATION lib/systemd/system COMPONENT collector)
endif()
if(EXISTS ${_cchc_top}/deploy/collector.example.ini)
  install(FILES ${_cchc_top}/deploy/collector.example.ini
          DESTINATION /etc/cchc RENAME collector.ini COMPONENT collector)
  install(FILES ${_cchc_top}/deploy/collector.example.ini
          DESTINATION share/doc/cchc-collector/examples COMPONENT collector)
endif()
if(EXISTS ${_cchc_top}/data/criteria/default.ini)
  install(FILES ${_cchc_top}/data/criteria/default.ini
          DESTINATION share/cchc/criteria COMPONENT collector)
endif()
file(GLOB _cchc_unit_csvs ${_cchc_top}/data/units/*.csv)
if(_cchc_unit_csvs)
  install(FILES ${_cchc_unit_csvs} DESTINATION share/cchc/units COMPONENT collector)
endif()
foreach(_doc README.md docs/operator-guide.vi.md docs/upgrade-backup.md
             docs/collector.md docs/criteria.md proto/PROTOCOL.md)
  if(EXISTS ${_cchc_top}/${_doc})
    install(FILES ${_cchc_top}/${_doc} DESTINATION share/doc/cchc-collector
            COMPONENT collector)
  endif()
endforeach()

# ------------------------------------------------- maintainer scripts
# The units run with DynamicUser= and StateDirectory=, so no system user or
# folder has to be created.  The scripts only tell systemd about a new or
# changed unit, restart a running daemon after an upgrade (new binary), and
# stop it on removal.  A new install does not enable or start anything: the
# operator writes the configuration and the keys first.  Purge keeps
# /var/lib (the database and keys are the province's records).
set(_cchc_debian_dir ${CMAKE_BINARY_DIR}/cpack-debian)
foreach(_comp agent collector)
  set(_unit cchc-${_comp}.service)
  set(_dir ${_cchc_debian_dir}/${_comp})
  file(MAKE_DIRECTORY ${_dir})
  file(CONFIGURE OUTPUT ${_dir}/postinst @ONLY CONTENT [=[#!/bin/sh
# postinst of cchc-@_comp@: reload systemd; after an upgrade, restart the
# service if it was running.
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload || true
    if [ -n "$2" ]; then
        systemctl try-restart @_unit@ || true
    fi
fi
exit 0
]=])
  file(CONFIGURE OUTPUT ${_dir}/prerm @ONLY CONTENT [=[#!/bin/sh
# prerm of cchc-@_comp@: stop the service when the package is removed
# (an upgrade restarts it from the new postinst instead).
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
    systemctl stop @_unit@ || true
fi
exit 0
]=])
  file(CONFIGURE OUTPUT ${_dir}/postrm @ONLY CONTENT [=[#!/bin/sh
# postrm of cchc-@_comp@: forget the removed unit.  Data under /var/lib is
# kept, even on purge.
set -e
if [ "$1" = remove ] || [ "$1" = purge ]; then
    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload || true
    fi
fi
exit 0
]=])
  file(CHMOD ${_dir}/postinst ${_dir}/prerm ${_dir}/postrm
       PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE
                   WORLD_READ WORLD_EXECUTE)
  # Configuration under /etc is a conffile: dpkg keeps local edits on upgrade.
  set(_conffiles "")
  if(EXISTS ${_cchc_top}/deploy/${_comp}.example.ini)
    string(APPEND _conffiles "/etc/cchc/${_comp}.ini\n")
  endif()
  file(CONFIGURE OUTPUT ${_dir}/conffiles CONTENT "${_conffiles}")
  string(TOUPPER ${_comp} _COMP)
  set(_extra ${_dir}/postinst ${_dir}/prerm ${_dir}/postrm)
  if(_conffiles)
    list(APPEND _extra ${_dir}/conffiles)
  endif()
  set(CPACK_DEBIAN_${_COMP}_PACKAGE_CONTROL_EXTRA ${_extra})
endforeach()

# ------------------------------------------------------------------ CPack
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME cchc)
set(CPACK_PACKAGE_VENDOR "cchc")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "${CCHC_PACKAGE_CONTACT}")
# No CPACK_PACKAGE_DESCRIPTION_SUMMARY: CPackDeb would put it before each
# component's own summary line below.
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_STRIP_FILES ON)
set(CPACK_COMPONENTS_ALL agent collector)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME cchc-agent)
set(CPACK_DEBIAN_AGENT_PACKAGE_SECTION admin)
set(CPACK_COMPONENT_AGENT_DISPLAY_NAME "cchc agent")
set(CPACK_DEBIAN_AGENT_DESCRIPTION
"CCHC reporting agent for an agency
cchc-agent runs at each agency (department, district or commune People's
Committee) of a province. It reads the agency's administrative-reform
figures from local sources (commands, SQLite exports, CSV drop folders or
figures typed in by hand), keeps them in a durable outbox and sends them,
signed with Ed25519, over ZeroMQ to the province's collector, exactly once.")

set(CPACK_DEBIAN_COLLECTOR_PACKAGE_NAME cchc-collector)
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_SECTION admin)
set(CPACK_COMPONENT_COLLECTOR_DISPLAY_NAME "cchc collector")
set(CPACK_DEBIAN_COLLECTOR_DESCRIPTION
"CCHC reporting collector and admin tool for a province
cchc-collector runs at the province's Department of Home Affairs. It
verifies the signed reports of enrolled agency agents, stores them exactly
once in SQLite, and rolls them up into the periods of Decree 09/2019 to
score and rank agencies against the province's criteria. cchcctl is the
operator's tool: keys, units, agent enrolment, audit, counters.")

include(CPack)
