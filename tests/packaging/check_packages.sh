#!/usr/bin/env bash
# check_packages.sh — builds the Debian packages of a build tree with cpack
# into a scratch folder and checks them without installing anything:
#
#   - exactly the two packages cchc-agent_<version>_<arch>.deb and
#     cchc-collector_<version>_<arch>.deb are produced;
#   - control fields: name, version, architecture, maintainer, section,
#     description; Depends lists shared-library packages (no -dev package),
#     each one installed here; the configuration the unit's ExecStart names
#     (--config) is shipped under /etc, mode 0640, and is a conffile; maintainer scripts
#     parse (sh -n); postinst, run against logging stand-ins, creates the
#     unit's User= and gives its ConfigurationDirectory= to the service's
#     group;
#   - `dpkg-deb -c` lists every expected file, and nothing of the other
#     package;
#   - `dpkg -x` into a scratch root: every shipped binary runs with --version
#     (exit 0, prints the version) and finds all its libraries; the shipped
#     configuration loads in the shipped binary (cchc-collector
#     --print-config, cchc-agent check), the collector starts with it and
#     stops on SIGTERM, the shipped unit lists import with cchcctl;
#   - `systemd-analyze verify` on the shipped unit files, copied with the
#     /usr paths of their Exec*= lines pointed into the scratch root (the
#     rest is the real content); a warning about the unit fails the check
#     too.
#
# Then it proves it can fail: the same checks must reject altered copies of
# the collector package (unit or cchcctl removed, ExecStart pointing outside
# the package, a misspelt unit key, an unknown configuration key, the
# configuration world-readable, a unit
# list row with an unknown parent, the criteria file the configuration names
# removed).
#
#   check_packages.sh BUILD_DIR VERSION [SCRATCH_DIR]
set -uo pipefail

build=${1:?usage: check_packages.sh BUILD_DIR VERSION [SCRATCH_DIR]}
version=${2:?usage: check_packages.sh BUILD_DIR VERSION [SCRATCH_DIR]}
scratch=${3:-$build/tests/packaging/scratch}
arch=$(dpkg --print-architecture)
failures=0

fail () { echo "FAIL: $*"; failures=$((failures + 1)); }
note () { echo "  $*"; }

[ -f "$build/CPackConfig.cmake" ] || {
  echo "FAIL: $build/CPackConfig.cmake missing: is include(cmake/packaging.cmake) at the end of CMakeLists.txt?"
  exit 1
}
rm -rf "$scratch"
mkdir -p "$scratch/out"

# ------------------------------------------------------------- build them
echo "== cpack"
if ! cpack --config "$build/CPackConfig.cmake" -B "$scratch/out" >"$scratch/cpack.log" 2>&1; then
  cat "$scratch/cpack.log"
  echo "FAIL: cpack"
  exit 1
fi
grep -E 'package: .* generated' "$scratch/cpack.log" | sed 's/^/  /'

agent_deb=$scratch/out/cchc-agent_${version}_${arch}.deb
collector_deb=$scratch/out/cchc-collector_${version}_${arch}.deb
debs=$(cd "$scratch/out" && ls -1 ./*.deb 2>/dev/null | sed 's#^\./##' | sort | tr '\n' ' ')
[ "$debs" = "cchc-agent_${version}_${arch}.deb cchc-collector_${version}_${arch}.deb " ] \
  || fail "expected exactly the two packages for $version/$arch, got: ${debs:-none}"

# Expected content, per package: "path" (file) or "path/" (folder, non-empty).
expect_agent=(
  ./usr/bin/cchc-agent
  ./usr/lib/systemd/system/cchc-agent.service
  ./usr/share/doc/cchc-agent/README.md
  ./usr/share/doc/cchc-agent/agent-guide.vi.md
)
expect_collector=(
  ./usr/bin/cchc-collector
  ./usr/bin/cchcctl
  ./usr/lib/systemd/system/cchc-collector.service
  ./usr/share/cchc/criteria/default.ini
  ./usr/share/cchc/units/
  ./usr/share/doc/cchc-collector/README.md
  ./usr/share/doc/cchc-collector/operator-guide.vi.md
)
binaries_agent=(cchc-agent)
binaries_collector=(cchc-collector cchcctl)

# check_unit ROOT UNIT_FILE — systemd-analyze verify on a copy whose /usr
# paths in Exec*= lines point into ROOT.  0 ok, 1 failed.
check_unit () {
  local root=$1 unit=$2 name tmp out rc
  name=$(basename "$unit")
  tmp=$(mktemp -d "$scratch/unit.XXXXXX")
  sed -E "s#^(-?Exec[A-Za-z]*=[-@:+!]*)/usr/#\\1$root/usr/#" "$unit" >"$tmp/$name"
  grep -qE '^ExecStart=' "$tmp/$name" || { echo "    $name: no ExecStart="; return 1; }
  out=$(cd "$tmp" && SYSTEMD_LOG_LEVEL=notice systemd-analyze verify --man=no "./$name" 2>&1)
  rc=$?
  # Unknown keys and sections are only warnings for systemd-analyze: count
  # any line about our unit as a failure.
  if [ $rc -ne 0 ] || printf '%s\n' "$out" | grep -q "$name"; then
    printf '%s\n' "$out" | sed 's/^/    /'
    return 1
  fi
  return 0
}

# check_collector_conf ROOT CONF — the packaged collector loads the packaged
# configuration; the criteria file it names is in the package; and it
# starts with them (only the address and the state folder replaced by
# scratch ones), listens, and stops cleanly on SIGTERM.
check_collector_conf () {
  local root=$1 conf=$2 out criteria state pid rc i
  local bin=$root/usr/bin/cchc-collector
  if ! out=$(timeout 120 "$bin" --config "$root$conf" --print-config 2>&1); then
    printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /'
    echo "  cchc-collector: $conf does not load (--print-config)"; return 1
  fi
  criteria=$(printf '%s\n' "$out" | sed -nE 's/^criteria = (.*)$/\1/p')
  if [ -n "$criteria" ]; then
    case $criteria in
      /*) [ -f "$root$criteria" ] \
            || { echo "  cchc-collector: criteria $criteria (named in $conf) is not in the package"; return 1; } ;;
      *)  echo "  cchc-collector: criteria path '$criteria' in $conf is relative"; return 1 ;;
    esac
    criteria=$root$criteria
  fi
  state=$(mktemp -d "$scratch/state.XXXXXX")
  "$bin" --config "$root$conf" --set collector.bind='tcp://127.0.0.1:*' \
         --set collector.state_dir="$state" --set collector.criteria="$criteria" \
         >"$state/log" 2>&1 &
  pid=$!
  for i in $(seq 100); do
    grep -q 'listening on' "$state/log" && break
    kill -0 $pid 2>/dev/null || break
    sleep 0.1
  done
  if ! grep -q 'listening on' "$state/log"; then
    kill -KILL $pid 2>/dev/null; wait $pid 2>/dev/null
    sed 's/^/    /' "$state/log" | tail -n 5
    echo "  cchc-collector: does not start with $conf"; return 1
  fi
  kill -TERM $pid
  for i in $(seq 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $pid 2>/dev/null; then
    kill -KILL $pid; wait $pid 2>/dev/null
    echo "  cchc-collector: does not stop on SIGTERM"; return 1
  fi
  wait $pid; rc=$?
  [ $rc -eq 0 ] || { echo "  cchc-collector: exit $rc after SIGTERM"; return 1; }
  note "cchc-collector starts with $conf${criteria:+ and ${criteria#$root}}, stops on SIGTERM"
  return 0
}

# check_agent_conf ROOT CONF — `cchc-agent check` accepts the packaged
# configuration once the two things only a site has are given: its key
# (made here with the packaged binary) and the collector's public key.
check_agent_conf () {
  local root=$1 conf=$2 out rc hex keys
  local bin=$root/usr/bin/cchc-agent
  keys=$(mktemp -d "$scratch/keys.XXXXXX")
  timeout 120 "$bin" keygen --out "$keys/agent.key" >/dev/null 2>&1 \
    || { echo "  cchc-agent: keygen failed"; return 1; }
  timeout 120 "$bin" keygen --out "$keys/collector.key" >/dev/null 2>&1 \
    || { echo "  cchc-agent: keygen failed"; return 1; }
  out=$(timeout 120 "$bin" check --config "$root$conf" \
          --set agent.key_file="$keys/agent.key" \
          --set collector.public_key="$keys/collector.key.pub" 2>&1)
  rc=$?
  if [ $rc -ne 0 ]; then
    printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /'
    echo "  cchc-agent: 'cchc-agent check' rejects $conf"; return 1
  fi
  note "cchc-agent check accepts $conf"
  return 0
}

# check_package DEB NAME — every check on one package file.  Prints what
# is wrong; returns the number of failures.
check_package () {
  local deb=$1 pkg=$2 n=0 root field value f line dep
  local -n expect=expect_${pkg#cchc-}
  local -n bins=binaries_${pkg#cchc-}
  root=$(mktemp -d "$scratch/root-$pkg.XXXXXX")

  [ -f "$deb" ] || { echo "  $pkg: $deb missing"; return 1; }
  dpkg-deb -I "$deb" >"$root.info" 2>&1 || { echo "  $pkg: dpkg-deb -I failed"; return 1; }
  dpkg-deb -c "$deb" >"$root.list" 2>&1 || { echo "  $pkg: dpkg-deb -c failed"; return 1; }

  # control fields
  for field in Package Version Architecture Maintainer Section Description Depends; do
    value=$(dpkg-deb -f "$deb" "$field" 2>/dev/null | head -n1)
    [ -n "$value" ] || { echo "  $pkg: control field $field is empty"; n=$((n + 1)); }
  done
  [ "$(dpkg-deb -f "$deb" Package)" = "$pkg" ] || { echo "  $pkg: Package is not $pkg"; n=$((n + 1)); }
  [ "$(dpkg-deb -f "$deb" Version)" = "$version" ] || { echo "  $pkg: Version is not $version"; n=$((n + 1)); }
  [ "$(dpkg-deb -f "$deb" Architecture)" = "$arch" ] || { echo "  $pkg: Architecture is not $arch"; n=$((n + 1)); }
  # Depends: shared libraries found by dpkg-shlibdeps, every one installed
  # here, none a development package; libc6, libzmq5 and libsodium23 at least.
  local depends
  depends=$(dpkg-deb -f "$deb" Depends)
  note "Depends of $pkg: $depends"
  for dep in libc6 libzmq5 libsodium23 libsqlite3-0; do
    printf '%s' "$depends" | grep -qE "(^|, )$dep( |,|$)" \
      || { echo "  $pkg: Depends lacks $dep"; n=$((n + 1)); }
  done
  while IFS= read -r dep; do
    dep=${dep%% *}
    [ -n "$dep" ] || continue
    case $dep in *-dev) echo "  $pkg: depends on development package $dep"; n=$((n + 1)); continue;; esac
    dpkg-query -W -f '${Status}' "$dep" 2>/dev/null | grep -q 'install ok installed' \
      || { echo "  $pkg: dependency $dep is not an installed package"; n=$((n + 1)); }
  done < <(printf '%s\n' "$depends" | tr ',' '\n' | sed -E 's/^ +//; s/ *\|.*//')

  # extract
  dpkg -x "$deb" "$root" || { echo "  $pkg: dpkg -x failed"; return $((n + 1)); }
  mkdir -p "$root.control"
  dpkg-deb -e "$deb" "$root.control"
  local unit=$root/usr/lib/systemd/system/$pkg.service conf="" user=""
  [ -f "$unit" ] || unit=$root/lib/systemd/system/$pkg.service

  # The configuration the unit starts the daemon with is in the package,
  # under /etc, and a conffile.
  if [ -f "$unit" ]; then
    conf=$(sed -nE 's/^ExecStart=.*--config[ =]([^ ]+).*/\1/p' "$unit" | head -n1)
    user=$(sed -nE 's/^User=([^ ]+).*/\1/p' "$unit" | head -n1)
    grep -qiE '^DynamicUser=(yes|true|on|1)' "$unit" && user=""
  fi
  if [ -z "$conf" ]; then
    echo "  $pkg: the unit's ExecStart names no --config file"; n=$((n + 1))
  else
    case $conf in /etc/*) ;; *) echo "  $pkg: configuration $conf is not under /etc"; n=$((n + 1));; esac
    grep -qE "^-.* \.$conf$" "$root.list" \
      || { echo "  $pkg: the unit's configuration $conf is missing"; n=$((n + 1)); }
    grep -qx "$conf" "$root.control/conffiles" 2>/dev/null \
      || { echo "  $pkg: conffiles does not list $conf"; n=$((n + 1)); }
    # it may hold a secret (http.token): never readable by others
    grep -qE "^-rw-r----- .* \.$conf$" "$root.list" \
      || { echo "  $pkg: the unit's configuration $conf is not mode 0640"; n=$((n + 1)); }
  fi
  # Every conffile is shipped under /etc.
  if [ -f "$root.control/conffiles" ]; then
    while IFS= read -r f; do
      [ -n "$f" ] || continue
      case $f in /etc/*) ;; *) echo "  $pkg: conffile $f not under /etc"; n=$((n + 1));; esac
      [ -f "$root$f" ] || { echo "  $pkg: conffile $f is not in the package"; n=$((n + 1)); }
    done <"$root.control/conffiles"
  fi

  # Maintainer scripts parse; postinst creates the unit's User= (run with
  # logging stand-ins for the commands it may use, and nothing else on its
  # PATH, so that it cannot change this machine).
  for f in postinst prerm postrm; do
    [ -f "$root.control/$f" ] || continue
    sh -n "$root.control/$f" || { echo "  $pkg: $f does not parse"; n=$((n + 1)); }
    [ -x "$root.control/$f" ] || { echo "  $pkg: $f is not executable"; n=$((n + 1)); }
  done
  if [ -n "$user" ]; then
    local shims=$root.shims
    mkdir -p "$shims"
    for f in getent groupadd useradd install systemctl chown chgrp chmod; do
      printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n[ %s != getent ]\n' \
        "$f" "$shims" "$f" >"$shims/$f"
      chmod +x "$shims/$f"
    done
    if ! PATH=$shims /bin/sh "$root.control/postinst" configure "" >"$shims/out" 2>&1; then
      cat "$shims/out"; echo "  $pkg: postinst configure failed"; n=$((n + 1))
    elif ! grep -qE "^useradd .*--system.* $user$" "$shims/calls" 2>/dev/null; then
      echo "  $pkg: postinst does not create the unit's user $user"; n=$((n + 1))
    else
      note "postinst creates the system user $user"
    fi
    # A ConfigurationDirectory= is root's: the service reads it through its
    # group, which postinst must give it.
    local cfgdir group
    cfgdir=$(sed -nE 's/^ConfigurationDirectory=([^ ]+).*/\1/p' "$unit" | head -n1)
    group=$(sed -nE 's/^Group=([^ ]+).*/\1/p' "$unit" | head -n1)
    if [ -n "$cfgdir" ]; then
      if grep -qE "^install -d .*-g ${group:-$user} .*/etc/$cfgdir$" "$shims/calls" 2>/dev/null; then
        note "postinst gives /etc/$cfgdir to group ${group:-$user}"
      else
        echo "  $pkg: postinst does not make /etc/$cfgdir readable by ${group:-$user}"; n=$((n + 1))
      fi
    fi
  fi

  # contents
  for f in "${expect[@]}"; do
    if [ "${f: -1}" = / ]; then
      grep -qE " ${f}[^/]+$" "$root.list" || { echo "  $pkg: nothing under $f"; n=$((n + 1)); }
    else
      grep -qE "^-.* $f$" "$root.list" || { echo "  $pkg: $f is missing"; n=$((n + 1)); }
    fi
  done
  local other
  if [ "$pkg" = cchc-agent ]; then other="cchc-collector|cchcctl"; else other="cchc-agent"; fi
  if grep -E "(/usr/bin/|/system/)($other)" "$root.list"; then
    echo "  $pkg: holds files of the other package"; n=$((n + 1))
  fi
  if awk '$2 != "root/root"' "$root.list" | grep .; then
    echo "  $pkg: entries not owned by root/root"; n=$((n + 1))
  fi

  # run the binaries
  for f in "${bins[@]}"; do
    local bin=$root/usr/bin/$f out rc
    [ -x "$bin" ] || { echo "  $pkg: $f not executable after dpkg -x"; n=$((n + 1)); continue; }
    if ldd "$bin" | grep -q 'not found'; then
      ldd "$bin" | grep 'not found' | sed 's/^/    /'
      echo "  $pkg: $f has unresolved libraries"; n=$((n + 1))
    fi
    out=$(timeout 120 "$bin" --version 2>&1); rc=$?
    if [ $rc -ne 0 ] || ! printf '%s' "$out" | grep -qF "$version"; then
      echo "  $pkg: '$f --version' exit $rc, printed '$out'"; n=$((n + 1))
    else
      note "$f --version: $out"
    fi
  done

  # The shipped configuration works with the shipped binaries.
  if [ "$pkg" = cchc-collector ] && [ -n "$conf" ] && [ -f "$root$conf" ]; then
    check_collector_conf "$root" "$conf" || n=$((n + 1))
  fi
  # The shipped unit lists load with the shipped admin tool.
  if [ "$pkg" = cchc-collector ] && [ -x "$root/usr/bin/cchcctl" ]; then
    local csvs=("$root"/usr/share/cchc/units/*.csv) db
    db=$(mktemp -d "$scratch/units.XXXXXX")
    if [ -f "${csvs[0]}" ] \
       && out=$(timeout 300 "$root/usr/bin/cchcctl" --state "$db" units import "${csvs[@]}" 2>&1); then
      note "cchcctl units import of the shipped lists: $out"
    else
      printf '%s\n' "$out" | tail -n 5 | sed 's/^/    /'
      echo "  $pkg: the shipped unit lists do not import with the shipped cchcctl"; n=$((n + 1))
    fi
  fi
  if [ "$pkg" = cchc-agent ] && [ -n "$conf" ] && [ -f "$root$conf" ]; then
    check_agent_conf "$root" "$conf" || n=$((n + 1))
  fi

  # the units
  for f in "$root"/usr/lib/systemd/system/*.service "$root"/lib/systemd/system/*.service; do
    [ -f "$f" ] || continue
    # Documentation=file:// links should point into the package (a dangling
    # one is harmless to systemd: reported, not failed).
    local doc
    for doc in $(sed -nE 's/^Documentation=//p' "$f"); do
      case $doc in
        file://*) [ -f "$root${doc#file://}" ] \
                    || note "warning: $(basename "$f") Documentation=$doc is not in the package" ;;
      esac
    done
    if check_unit "$root" "$f"; then
      note "systemd-analyze verify $(basename "$f"): ok"
    else
      echo "  $pkg: systemd-analyze verify $(basename "$f") failed"; n=$((n + 1))
    fi
  done
  [ "$n" -eq 0 ]
}

echo "== cchc-agent"
check_package "$agent_deb" cchc-agent || fail "cchc-agent package"
echo "== cchc-collector"
check_package "$collector_deb" cchc-collector || fail "cchc-collector package"

# ------------------------------------------------ the checks can fail
# mutant NAME DEB PKG SHELL-COMMAND: unpack DEB, run the command inside the
# unpacked tree, repack, and expect check_package to reject the result.
mutant () {
  local name=$1 deb=$2 pkg=$3 cmd=$4 tree=$scratch/mutant-$1
  rm -rf "$tree"; mkdir -p "$tree"
  dpkg-deb -R "$deb" "$tree/pkg" || { fail "mutant $name: cannot unpack"; return; }
  (cd "$tree/pkg" && eval "$cmd") || { fail "mutant $name: cannot apply"; return; }
  (cd "$tree/pkg" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' \
     | xargs -0 -r md5sum >DEBIAN/md5sums)
  dpkg-deb --root-owner-group -b "$tree/pkg" "$tree/$name.deb" >/dev/null \
    || { fail "mutant $name: cannot repack"; return; }
  rm -rf "$tree/pkg"
  if check_package "$tree/$name.deb" "$pkg" >"$tree/$name.log" 2>&1; then
    fail "mutant $name passed the checks"
  else
    note "$name: rejected ($(grep -E '^  cchc-[a-z]+: ' "$tree/$name.log" | head -n1 | sed 's/^ *//'))"
  fi
}

echo "== negative checks (each must be rejected)"
if [ -f "$collector_deb" ]; then
  mutant no-unit "$collector_deb" cchc-collector \
    'rm usr/lib/systemd/system/cchc-collector.service'
  mutant no-cchcctl "$collector_deb" cchc-collector 'rm usr/bin/cchcctl'
  mutant exec-elsewhere "$collector_deb" cchc-collector \
    "sed -i -E 's#^ExecStart=/usr/bin/#ExecStart=/usr/local/bin/#' usr/lib/systemd/system/cchc-collector.service"
  mutant bad-unit-key "$collector_deb" cchc-collector \
    "sed -i 's/^Restart=/Restrat=/' usr/lib/systemd/system/cchc-collector.service"
  mutant bad-config "$collector_deb" cchc-collector \
    "printf 'bogus_key = 1\\n' >>etc/cchc/collector.ini"
  mutant config-world-readable "$collector_deb" cchc-collector \
    'chmod 0644 etc/cchc/collector.ini'
  mutant bad-units "$collector_deb" cchc-collector \
    'for f in usr/share/cchc/units/*.csv; do printf "X1,Bad,Xã,xa,NOPARENT\\n" >>"$f"; break; done'
  mutant no-criteria "$collector_deb" cchc-collector \
    "rm etc/cchc/criteria.ini; sed -i '/criteria.ini/d' DEBIAN/conffiles"
fi

if [ $failures -ne 0 ]; then
  echo "== $failures failure(s); scratch kept in $scratch"
  exit 1
fi
rm -rf "$scratch"
echo "== packages ok"
exit 0
