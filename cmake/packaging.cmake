# cmake/packaging.cmake — Debian packages built with CPack, one per component:
#
#   cchc-agent      (component agent)      for each agency: cchc-agent, its
#                   systemd unit, its configuration (the file the unit's
#                   --config names, by default /etc/cchc-agent/agent.ini,
#                   a conffile), the guide.
#   cchc-collector  (component collector)  for the province (Sở Nội vụ):
#                   cchc-collector, cchcctl, its systemd unit,
#                   /etc/cchc/collector.ini and /etc/cchc/criteria.ini
#                   (conffiles), /usr/share/cchc/ (criteria/default.ini,
#                   units/*.csv), the guides.
#
# Included at the end of the top-level CMakeLists.txt, after every target
# exists.  The targets' own install() rules carry no COMPONENT (they land in
# "Unspecified", used by a plain `cmake --install`); the rules here repeat
# them per component and CPACK_COMPONENTS_ALL packages only ours.
#
#   cmake --build build -j2 && cd build && cpack          # -> build/*.deb
#   cpack --config build/CPackConfig.cmake -B /tmp/out    # elsewhere
#
# The configuration files go to absolute /etc paths, which no --prefix
# moves: they are EXCLUDE_FROM_ALL, so only component installs (cpack, or
# `cmake --install ... --component X`) write them, never a plain
# `cmake --install build --prefix DIR` (examples are in share/doc/*/examples).
#
# Files that other parts of the tree provide (units, example configurations,
# guides) are picked up only if they exist, so the tree stays configurable.
# tests/packaging/ builds the packages and checks them.

set(_cchc_top ${CMAKE_CURRENT_LIST_DIR}/..)
cmake_path(NORMAL_PATH _cchc_top)

set(CCHC_PACKAGE_CONTACT "cchc maintainers <root@localhost>"
    CACHE STRING "Maintainer field of the Debian packages")

# ------------------------------------------------------ the systemd units
# deploy/systemd/*.service are written for a hand install under /usr/local;
# the packaged copy has /usr/local/bin -> /usr/bin and the documentation
# path -> /usr/share/doc/<package>.  From each unit we also learn what the
# package must provide: the configuration file its ExecStart names with
# --config (installed there from deploy/<comp>.example.ini, a conffile), and
# the system user of User= (created by postinst unless DynamicUser=).
#
#   s_cchc_unit(COMP DEFAULT_CONF) sets, in the caller's scope:
#     _unit_file     the rewritten unit in the build tree, or "" if none
#     _conf_path     absolute path of the configuration file (DEFAULT_CONF
#                    when the unit names none)
#     _user _group   User=/Group= ("" when DynamicUser= or no User=)
#     _state_dir     first name of StateDirectory= ("" if none)
#     _state_mode    StateDirectoryMode= (default 0700 here, tighter than
#                    systemd's 0755: systemd applies the unit's own at start)
#     _conf_dir      first name of ConfigurationDirectory= ("" if none)
#     _conf_mode     ConfigurationDirectoryMode= (systemd's default 0755)
function(s_cchc_unit comp default_conf)
  set(_src ${_cchc_top}/deploy/systemd/cchc-${comp}.service)
  set(_unit_file "" PARENT_SCOPE)
  set(_conf_path ${default_conf} PARENT_SCOPE)
  set(_user "" PARENT_SCOPE)
  set(_group "" PARENT_SCOPE)
  set(_state_dir "" PARENT_SCOPE)
  set(_state_mode 0700 PARENT_SCOPE)
  set(_conf_dir "" PARENT_SCOPE)
  set(_conf_mode 0755 PARENT_SCOPE)
  if(NOT EXISTS ${_src})
    return()
  endif()
  set_property(DIRECTORY ${CMAKE_SOURCE_DIR} APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${_src})
  file(READ ${_src} _text)
  string(REPLACE "/usr/local/bin/" "/usr/bin/" _text "${_text}")
  string(REPLACE "/usr/local/share/doc/cchc/" "/usr/share/doc/cchc-${comp}/" _text "${_text}")
  string(REPLACE "/usr/local/share/cchc/" "/usr/share/cchc/" _text "${_text}")
  set(_out ${CMAKE_BINARY_DIR}/cpack-debian/${comp}/cchc-${comp}.service)
  file(CONFIGURE OUTPUT ${_out} CONTENT "${_text}")
  set(_unit_file ${_out} PARENT_SCOPE)
  if(_text MATCHES "\nExecStart=[^\n]*--config[ =]([^ \n]+)")
    set(_conf_path ${CMAKE_MATCH_1} PARENT_SCOPE)
  endif()
  if(NOT _text MATCHES "\nDynamicUser=(yes|true|on|1)")
    if(_text MATCHES "\nUser=([^ \n]+)")
      set(_user ${CMAKE_MATCH_1} PARENT_SCOPE)
      set(_g ${CMAKE_MATCH_1})
      if(_text MATCHES "\nGroup=([^ \n]+)")
        set(_g ${CMAKE_MATCH_1})
      endif()
      set(_group ${_g} PARENT_SCOPE)
    endif()
  endif()
  if(_text MATCHES "\nStateDirectory=([^ \n]+)")
    set(_state_dir ${CMAKE_MATCH_1} PARENT_SCOPE)
  endif()
  if(_text MATCHES "\nStateDirectoryMode=([0-7]+)")
    set(_state_mode ${CMAKE_MATCH_1} PARENT_SCOPE)
  endif()
  if(_text MATCHES "\nConfigurationDirectory=([^ \n]+)")
    set(_conf_dir ${CMAKE_MATCH_1} PARENT_SCOPE)
  endif()
  if(_text MATCHES "\nConfigurationDirectoryMode=([0-7]+)")
    set(_conf_mode ${CMAKE_MATCH_1} PARENT_SCOPE)
  endif()
endfunction()

# ------------------------------------------------------------------ agent
s_cchc_unit(agent /etc/cchc-agent/agent.ini)
set(_agent_conf ${_conf_path})
set(_agent_user ${_user})
set(_agent_group ${_group})
set(_agent_state ${_state_dir})
set(_agent_state_mode ${_state_mode})
set(_agent_cfg_dir ${_conf_dir})
set(_agent_cfg_mode ${_conf_mode})
if(TARGET cchc-agent)
  install(TARGETS cchc-agent RUNTIME DESTINATION bin COMPONENT agent)
endif()
if(_unit_file)
  install(FILES ${_unit_file} DESTINATION lib/systemd/system COMPONENT agent)
endif()
set(_agent_conffiles "")
if(EXISTS ${_cchc_top}/deploy/agent.example.ini)
  cmake_path(GET _agent_conf PARENT_PATH _dir)
  cmake_path(GET _agent_conf FILENAME _name)
  install(FILES ${_cchc_top}/deploy/agent.example.ini
          DESTINATION ${_dir} RENAME ${_name}
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT agent
          EXCLUDE_FROM_ALL)
  install(FILES ${_cchc_top}/deploy/agent.example.ini
          DESTINATION share/doc/cchc-agent/examples COMPONENT agent)
  list(APPEND _agent_conffiles ${_agent_conf})
endif()
foreach(_doc README.md docs/agent-guide.vi.md docs/agent.md)
  if(EXISTS ${_cchc_top}/${_doc})
    install(FILES ${_cchc_top}/${_doc} DESTINATION share/doc/cchc-agent COMPONENT agent)
  endif()
endforeach()

# -------------------------------------------------------------- collector
s_cchc_unit(collector /etc/cchc/collector.ini)
set(_collector_conf ${_conf_path})
set(_collector_user ${_user})
set(_collector_group ${_group})
set(_collector_state ${_state_dir})
set(_collector_state_mode ${_state_mode})
set(_collector_cfg_dir ${_conf_dir})
set(_collector_cfg_mode ${_conf_mode})
foreach(_target cchc-collector cchcctl)
  if(TARGET ${_target})
    install(TARGETS ${_target} RUNTIME DESTINATION bin COMPONENT collector)
  endif()
endforeach()
if(_unit_file)
  install(FILES ${_unit_file} DESTINATION lib/systemd/system COMPONENT collector)
endif()
set(_collector_conffiles "")
cmake_path(GET _collector_conf PARENT_PATH _collector_conf_dir)
# collector.ini may hold http.token: 0640 root:cchc (postinst gives the group),
# never world-readable, not even between unpacking and postinst.
if(EXISTS ${_cchc_top}/deploy/collector.example.ini)
  cmake_path(GET _collector_conf FILENAME _name)
  install(FILES ${_cchc_top}/deploy/collector.example.ini
          DESTINATION ${_collector_conf_dir} RENAME ${_name}
          PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ COMPONENT collector
          EXCLUDE_FROM_ALL)
  install(FILES ${_cchc_top}/deploy/collector.example.ini
          DESTINATION share/doc/cchc-collector/examples COMPONENT collector)
  list(APPEND _collector_conffiles ${_collector_conf})
endif()
if(EXISTS ${_cchc_top}/data/criteria/default.ini)
  # The shipped catalogue, for reference, and the province's working copy
  # beside collector.ini (a conffile: the province edits it every year).
  install(FILES ${_cchc_top}/data/criteria/default.ini
          DESTINATION share/cchc/criteria COMPONENT collector)
  install(FILES ${_cchc_top}/data/criteria/default.ini
          DESTINATION ${_collector_conf_dir} RENAME criteria.ini COMPONENT collector
          EXCLUDE_FROM_ALL)
  list(APPEND _collector_conffiles ${_collector_conf_dir}/criteria.ini)
endif()
file(GLOB _cchc_unit_csvs ${_cchc_top}/data/units/*.csv)
if(_cchc_unit_csvs)
  install(FILES ${_cchc_unit_csvs} DESTINATION share/cchc/units COMPONENT collector)
endif()
foreach(_doc README.md docs/operator-guide.vi.md docs/upgrade-backup.md
             docs/collector.md docs/criteria.md docs/api.md proto/PROTOCOL.md)
  if(EXISTS ${_cchc_top}/${_doc})
    install(FILES ${_cchc_top}/${_doc} DESTINATION share/doc/cchc-collector
            COMPONENT collector)
  endif()
endforeach()

# ------------------------------------------------- maintainer scripts
# postinst: create the service's system user (User= in the unit, unless it
# uses DynamicUser=) and its state folder, tell systemd about a new or
# changed unit, and restart a running daemon after an upgrade (new binary).
# prerm stops it on removal.  A new install does not enable or start
# anything: the operator writes the configuration first.  Purge keeps the
# user and /var/lib (the database and keys are the province's records).
set(_cchc_debian_dir ${CMAKE_BINARY_DIR}/cpack-debian)
foreach(_comp agent collector)
  set(_unit cchc-${_comp}.service)
  set(_dir ${_cchc_debian_dir}/${_comp})
  set(_user ${_${_comp}_user})
  set(_group ${_${_comp}_group})
  set(_state ${_${_comp}_state})
  set(_state_mode ${_${_comp}_state_mode})
  set(_cfg_dir ${_${_comp}_cfg_dir})
  set(_cfg_mode ${_${_comp}_cfg_mode})
  file(MAKE_DIRECTORY ${_dir})
  set(_make_user "")
  set(_make_state "")
  set(_make_conf "")
  if(_user)
    if(_state)
      set(_home /var/lib/${_state})
    else()
      set(_home /nonexistent)
    endif()
    string(CONFIGURE [=[
    # The service's system user (User=@_user@ in @_unit@).
    if ! getent group @_group@ >/dev/null; then
        groupadd --system @_group@
    fi
    if ! getent passwd @_user@ >/dev/null; then
        useradd --system --gid @_group@ --home-dir @_home@ --no-create-home \
                --shell /usr/sbin/nologin --comment "cchc @_comp@" @_user@
    fi
]=] _make_user @ONLY)
    if(_state)
      string(CONFIGURE [=[
    if [ ! -d @_home@ ]; then
        install -d -o @_user@ -g @_group@ -m @_state_mode@ @_home@
    fi
]=] _make_state @ONLY)
      string(APPEND _make_user "${_make_state}")
    endif()
    # ConfigurationDirectory= is root's (systemd does not chown it); the
    # service reads it, and its configuration files, through its group.
    if(_cfg_dir)
      set(_cfg_files "")
      foreach(_f ${_${_comp}_conffiles})
        if(_f MATCHES "^/etc/${_cfg_dir}/")
          string(APPEND _cfg_files " ${_f}")
        endif()
      endforeach()
      string(CONFIGURE [=[
    # /etc/@_cfg_dir@ (ConfigurationDirectory=): root's, readable by @_group@.
    install -d -o root -g @_group@ -m @_cfg_mode@ /etc/@_cfg_dir@
    for f in@_cfg_files@; do
        if [ -f "$f" ]; then
            chgrp @_group@ "$f"
            chmod 0640 "$f"
        fi
    done
]=] _make_conf @ONLY)
      string(APPEND _make_user "${_make_conf}")
    endif()
  endif()
  file(CONFIGURE OUTPUT ${_dir}/postinst @ONLY CONTENT [=[#!/bin/sh
# postinst of cchc-@_comp@ (cmake/packaging.cmake).
set -e
if [ "$1" = configure ]; then
@_make_user@    if [ -d /run/systemd/system ]; then
        systemctl daemon-reload || true
        # An upgrade restarts a running service on the new binary.
        if [ -n "$2" ]; then
            systemctl try-restart @_unit@ || true
        fi
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
# postrm of cchc-@_comp@: forget the removed unit.  The user and the data
# under /var/lib are kept, even on purge.
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
  list(JOIN _${_comp}_conffiles "\n" _conffiles)
  file(CONFIGURE OUTPUT ${_dir}/conffiles CONTENT "${_conffiles}\n")
  string(TOUPPER ${_comp} _COMP)
  set(_extra ${_dir}/postinst ${_dir}/prerm ${_dir}/postrm)
  if(_conffiles)
    list(APPEND _extra ${_dir}/conffiles)
  endif()
  set(CPACK_DEBIAN_${_COMP}_PACKAGE_CONTROL_EXTRA ${_extra})
  if(_user)
    # useradd, groupadd
    set(CPACK_DEBIAN_${_COMP}_PACKAGE_DEPENDS passwd)
  endif()
endforeach()
# The collector draws its PDF reports (collector/pdf.c) with a font that has
# Vietnamese (fontconfig finds it; no library links it, so shlibdeps cannot).
set(CPACK_DEBIAN_COLLECTOR_PACKAGE_DEPENDS "${CPACK_DEBIAN_COLLECTOR_PACKAGE_DEPENDS}, fonts-dejavu-core")

# ------------------------------------------------------------------ CPack
# cpack packages what has been built: its "preinstall" step does not rebuild
# the whole tree (build first: cmake --build build).  This keeps the
# packaging test from starting a build of everything in the middle of a
# ctest run.  It also means `make install` no longer builds first.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)
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
