# collector/http/http.cmake — the dashboard: HTTP server, JSON API, exports and the
# embedded web assets.  Included once (include_guard) from
# collector/CMakeLists.txt, or from tests/dashboard until that line exists.
#
#   cchc_web    web/* embedded as C arrays (web/embed.cmake at build time)
#   cchc_http   collector/http/http.c (libmicrohttpd), api.c (JSON, jansson),
#               export.c (CSV, XLSX with libxlsxwriter); sits on cchc_rollup
#               (collector/figures/rollup.c, report.c) and cchc_criteria
#
# If the cchc-collector target exists when this file is included, it is
# linked with cchc_http.
include_guard(GLOBAL)

set(_cchc_root ${CMAKE_CURRENT_LIST_DIR}/../..)
file(GLOB _cchc_web_files CONFIGURE_DEPENDS
     ${_cchc_root}/web/*.html ${_cchc_root}/web/*.css
     ${_cchc_root}/web/*.js ${_cchc_root}/web/*.svg)
set(_cchc_web_c ${CMAKE_BINARY_DIR}/web/cchc_web_assets.c)
add_custom_command(OUTPUT ${_cchc_web_c}
  COMMAND ${CMAKE_COMMAND} -DSRC=${_cchc_root}/web -DOUT=${_cchc_web_c}
          -P ${_cchc_root}/web/embed.cmake
  DEPENDS ${_cchc_web_files} ${_cchc_root}/web/embed.cmake
  COMMENT "Embedding the dashboard (web/)" VERBATIM)
add_library(cchc_web STATIC ${_cchc_root}/web/assets.c ${_cchc_web_c})

add_library(cchc_http STATIC ${_cchc_root}/collector/http/http.c
            ${_cchc_root}/collector/http/api.c ${_cchc_root}/collector/http/cache.c
            ${_cchc_root}/collector/http/views.c ${_cchc_root}/collector/http/handlers.c
            ${_cchc_root}/collector/present/export.c)
target_link_libraries(cchc_http PUBLIC cchc_web cchc_present cchc_rollup cchc_criteria
                      cchc_common PkgConfig::MHD PkgConfig::JANSSON
                      PkgConfig::XLSX PkgConfig::SQLITE PkgConfig::SODIUM
                      Threads::Threads m)

if(TARGET cchc-collector)
  target_link_libraries(cchc-collector PRIVATE cchc_http)
endif()
