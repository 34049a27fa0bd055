#!/usr/bin/env bash
# The service as an operator gets it, from the build folder $1 (under a minute, nothing installed
# on this machine):
#  - the .deb that cpack makes of it: control fields, Depends against the libraries the binary
#    really links, contents (expected-paths.txt), maintainer scripts (run against stand-ins for
#    adduser, systemctl...), the binary extracted from it running on the system's libraries and
#    serving the console extracted beside it, the systemd unit (sandboxing, limits,
#    `systemd-analyze verify` and `security`) and the environment file (every setting of
#    `reportd --help` there, commented out);
#  - `cmake --install` of the service to another prefix: the unit names that prefix;
#  - the Dockerfile, statically (no Docker daemon needed): what it copies exists, its stages
#    exist, and the .deb it installs is the one cpack names.
set -euo pipefail
build=$(cd "${1:?usage: tests/packaging/deb.sh BUILD_DIR}" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
fail() {
  echo "package-test: FAIL: $*" >&2
  failures=$((failures + 1))
}
# has FILE LINE: FILE has a line that is exactly LINE.
has() { grep -qxF -- "$2" "$1"; }

# The shutdown grace period the unit's TimeoutStopSec must exceed (milliseconds).
grace_ms=$(sed -n 's/.*milliseconds grace{\([0-9]*\)}.*/\1/p' "$root/src/net/runtime.hpp")

# --- The .deb ----------------------------------------------------------------------------------
if ! cpack --config "$build/CPackConfig.cmake" -B "$work/out" >"$work/cpack.log" 2>&1; then
  cat "$work/cpack.log" >&2
  echo "package-test: FAIL: cpack" >&2
  exit 1
fi
debs=("$work"/out/reportd_*.deb)
[ "${#debs[@]}" -eq 1 ] && [ -f "${debs[0]}" ] || {
  echo "package-test: FAIL: cpack made no single reportd_*.deb: ${debs[*]}" >&2
  exit 1
}
deb=${debs[0]}
field() { dpkg-deb --field "$deb" "$1"; }

[ "$(field Package)" = reportd ] || fail "Package is '$(field Package)'"
project_version=$(sed -n 's/^project(reportd VERSION \([0-9.]*\) .*/\1/p' "$root/CMakeLists.txt")
[ -n "$project_version" ] && [ "$(field Version)" = "$project_version" ] ||
  fail "Version '$(field Version)' is not project()'s '$project_version'"
[ "$(field Architecture)" = "$(dpkg --print-architecture)" ] ||
  fail "Architecture '$(field Architecture)'"
[[ "$(field Maintainer)" == *@* ]] || fail "Maintainer '$(field Maintainer)'"
[ -n "$(field Description)" ] || fail "no Description"

# Depends: well-formed entries, each package once, and the package of every library the binary
# links (its NEEDED entries, resolved as the loader does) among them.
depends=$(field Depends)
echo "package-test: Depends: $depends"
mapfile -t entries < <(tr ',' '\n' <<<"$depends" | sed 's/^ *//; s/ *$//')
declare -A depended=()
for entry in "${entries[@]}"; do
  [[ "$entry" =~ ^([a-z0-9][a-z0-9.+-]+)(\ \((>=|=|<=|>>|<<)\ [^\ ()]+\))?$ ]] ||
    fail "Depends entry '$entry' is not 'name' or 'name (op version)'"
  name=${entry%% *}
  [ -z "${depended[$name]:-}" ] || fail "Depends lists $name twice"
  depended[$name]=1
done
for name in libc6 libstdc++6 adduser tzdata; do
  [ -n "${depended[$name]:-}" ] || fail "Depends lacks $name"
done

dpkg-deb -x "$deb" "$work/root"
binary=$work/root/usr/bin/reportd
ldd "$binary" >"$work/ldd" || fail "ldd on the packaged binary"
! grep -q 'not found' "$work/ldd" || fail "libraries not found: $(grep 'not found' "$work/ldd")"
mapfile -t needed < <(readelf -d "$binary" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
[ "${#needed[@]}" -ge 5 ] || fail "the binary links only ${#needed[@]} libraries?"
for soname in "${needed[@]}"; do
  path=$(awk -v so="$soname" '$1 == so && $3 ~ /^\// { print $3 }' "$work/ldd")
  [ -n "$path" ] || { fail "$soname: no path in ldd's output"; continue; }
  # dpkg records /usr/lib or /lib (Debian 12 merges them); ask for both spellings.
  owner=$(dpkg -S "$(realpath "$path")" 2>/dev/null || dpkg -S "${path#/usr}" 2>/dev/null ||
    dpkg -S "/usr$path" 2>/dev/null || true)
  package=${owner%%:*}
  [ -n "$package" ] || { fail "$soname ($path): no Debian package owns it"; continue; }
  # dpkg-shlibdeps may name a virtual package that the owner provides (libspdlog1.10-fmt9).
  satisfied=""
  for name in "$package" $(dpkg-query -W -f='${Provides}' "$package" | tr ',' ' ' |
    sed 's/([^)]*)//g'); do
    [ -n "${depended[$name]:-}" ] && satisfied=$name
  done
  [ -n "$satisfied" ] || fail "$soname comes from $package, which Depends lacks"
done
# The binary is stripped: debug information stays in the build folder.
! readelf -S "$binary" | grep -q '\.debug_info' || fail "the packaged binary is not stripped"

# Contents: every expected path, nothing of the library's development files, owned by root.
dpkg-deb --contents "$deb" >"$work/contents"
awk '{ sub(/^\.\//, "", $6); print $6 }' "$work/contents" | sed 's:/$::' >"$work/paths"
while read -r expected; do
  case "$expected" in '' | '#'*) continue ;; esac
  has "$work/paths" "$expected" || fail "the .deb lacks $expected"
done <"$here/expected-paths.txt"
! grep -E '^usr/include|\.a$|/cmake/' "$work/paths" ||
  fail "the .deb has the library's development files (component dev)"
! awk '$2 != "root/root"' "$work/contents" | grep -q . || fail "files not owned by root/root"
grep -q '^-rwxr-xr-x .* \./usr/bin/reportd$' "$work/contents" || fail "usr/bin/reportd mode"
# The environment file holds secrets; postinst gives it the group reportd.
grep -q '^-rw-r----- .* \./etc/reportd/reportd.env$' "$work/contents" ||
  fail "etc/reportd/reportd.env is not mode 0640"

# Control files: the environment file is a conffile (an edited one survives upgrades), and the
# maintainer scripts are executable shell.
dpkg-deb --control "$deb" "$work/control"
[ "$(cat "$work/control/conffiles")" = /etc/reportd/reportd.env ] ||
  fail "conffiles: '$(cat "$work/control/conffiles" 2>/dev/null)'"
for script in postinst prerm postrm; do
  [ -x "$work/control/$script" ] && sh -n "$work/control/$script" || fail "$script"
done

# postinst against stand-ins that record their calls: the first configure creates the system
# user and its state folder and gives the environment file its group; a later one (the user
# exists) creates no user.
mkdir -p "$work/stubs"
for command in adduser chgrp chmod install systemctl; do
  printf '#!/bin/sh\necho "%s $*" >>"%s/calls"\n' "$command" "$work" >"$work/stubs/$command"
done
printf '#!/bin/sh\n[ -e "%s/user-exists" ]\n' "$work" >"$work/stubs/getent"
printf '#!/bin/sh\nexit 1\n' >"$work/stubs/dpkg-statoverride" # no override
chmod +x "$work/stubs"/*
PATH="$work/stubs:$PATH" sh -e "$work/control/postinst" configure "" ||
  fail "postinst configure exited $?"
grep -q '^adduser .*--system.* reportd$' "$work/calls" || fail "postinst created no system user"
has "$work/calls" "chgrp reportd /etc/reportd/reportd.env" || fail "postinst: no chgrp"
has "$work/calls" "chmod 0640 /etc/reportd/reportd.env" || fail "postinst: no chmod"
state_folder="install -d -o reportd -g reportd -m 0700 /var/lib/reportd"
[ -d /var/lib/reportd ] || has "$work/calls" "$state_folder" || fail "postinst: no /var/lib/reportd"
touch "$work/user-exists"
: >"$work/calls"
PATH="$work/stubs:$PATH" sh -e "$work/control/postinst" configure "0.1" ||
  fail "postinst upgrade exited $?"
! grep -q '^adduser' "$work/calls" || fail "postinst created the existing user again"

# The extracted binary runs on the system's libraries, and serves, as under systemd from its
# state folder with the default settings, the staff console installed beside it.
"$binary" --help >"$work/help" 2>&1 || fail "reportd --help exited $?: $(cat "$work/help")"
grep -q 'serve' "$work/help" || fail "reportd --help does not mention serve"
port=$(/usr/bin/python3 -c \
  'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$work/state"
(cd "$work/state" && HOST=127.0.0.1 PORT=$port IO_THREADS=1 WORKER_THREADS=2 exec "$binary" serve) \
  >"$work/serve.log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break
  sleep 0.1
done
console=$work/root/usr/share/reportd/console
curl -sf "http://127.0.0.1:$port/" >"$work/index.html" || fail "the packaged reportd: GET / failed"
cmp -s "$work/index.html" "$console/index.html" || fail "GET / is not the packaged console"
grep -qF "$console" "$work/serve.log" || fail "the packaged reportd does not use $console"
kill -TERM "$pid"
wait "$pid" || fail "the packaged reportd exited $? on SIGTERM: $(tail -5 "$work/serve.log")"
pid=""
[ -f "$work/state/data/reportd.db" ] || fail "no SQLite database in the working folder's data/"

# --- The unit ----------------------------------------------------------------------------------
unit=$work/root/lib/systemd/system/reportd.service
for line in \
  "ExecStart=/usr/bin/reportd serve" "EnvironmentFile=-/etc/reportd/reportd.env" \
  "User=reportd" "StateDirectory=reportd" "WorkingDirectory=/var/lib/reportd" \
  "Restart=on-failure" \
  "NoNewPrivileges=yes" "ProtectSystem=strict" "ProtectHome=yes" "PrivateTmp=yes" \
  "PrivateDevices=yes" "ProtectKernelTunables=yes" "ProtectKernelModules=yes" \
  "ProtectKernelLogs=yes" "ProtectControlGroups=yes" \
  "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX" "RestrictNamespaces=yes" \
  "LockPersonality=yes" "MemoryDenyWriteExecute=yes" "SystemCallFilter=@system-service" \
  "CapabilityBoundingSet=" "WantedBy=multi-user.target"; do
  has "$unit" "$line" || fail "the unit lacks '$line'"
done
! grep -qE '@[A-Z_]+@' "$unit" || fail "the unit has an unreplaced @PLACEHOLDER@"
nofile=$(sed -n 's/^LimitNOFILE=\([0-9:]*\)$/\1/p' "$unit")
[ -n "$nofile" ] && [ "${nofile##*:}" -ge 20000 ] || fail "LimitNOFILE '$nofile' (at least 20000)"
stop_seconds=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$unit")
[ -n "$grace_ms" ] || fail "no shutdown grace in src/net/runtime.hpp (update this test)"
[ -n "$stop_seconds" ] && [ $((stop_seconds * 1000)) -gt $((${grace_ms:-0} * 2)) ] ||
  fail "TimeoutStopSec '$stop_seconds' is not well above the grace of ${grace_ms}ms"
# systemd checks the unit offline (it needs no running systemd). `verify` wants ExecStart's
# binary to exist, so it reads a copy that names the extracted one.
if command -v systemd-analyze >/dev/null; then
  sed "s|^ExecStart=/usr/bin/reportd|ExecStart=$binary|" "$unit" >"$work/reportd.service"
  systemd-analyze verify "$work/reportd.service" >"$work/verify" 2>&1 ||
    fail "systemd-analyze verify: $(cat "$work/verify")"
  # Exposure 0 (locked down) to 100 (none); the unit scores 15 ("OK"); 20 catches lost options.
  systemd-analyze security --offline=yes --threshold=20 "$work/reportd.service" \
    >"$work/security" 2>&1 || fail "systemd-analyze security: $(tail -1 "$work/security")"
else
  echo "package-test: systemd-analyze not installed: the unit is not verified by systemd"
fi

# --- The environment file ----------------------------------------------------------------------
env_file=$work/root/etc/reportd/reportd.env
! grep -vE '^(#.*)?$' "$env_file" || fail "the environment file sets something (all commented)"
mapfile -t settings < <(grep -o '(Env:[A-Z0-9_]*)' "$work/help" | sed 's/(Env:\(.*\))/\1/' |
  sort -u)
[ "${#settings[@]}" -ge 10 ] || fail "reportd --help names only ${#settings[@]} variables"
for name in "${settings[@]}" JWT_SECRET; do
  grep -q "^#$name=" "$env_file" || fail "the environment file does not mention #$name="
done
grep -q 'openssl rand' "$env_file" ||
  fail "the environment file does not say how to make JWT_SECRET"

# --- cmake --install of the service to another prefix ------------------------------------------
prefix=$work/local
cmake --install "$build" --prefix "$prefix" --component reportd >/dev/null
local_unit=$prefix/lib/systemd/system/reportd.service
has "$local_unit" "ExecStart=$prefix/bin/reportd serve" || fail "cmake --install: ExecStart"
has "$local_unit" "EnvironmentFile=-$prefix/etc/reportd/reportd.env" ||
  fail "cmake --install: EnvironmentFile"
[ -x "$prefix/bin/reportd" ] && [ -f "$prefix/etc/reportd/reportd.env" ] ||
  fail "cmake --install: binary or environment file missing"
[ ! -e "$prefix/include" ] || fail "cmake --install --component reportd installed headers"

# --- The Dockerfile, statically ----------------------------------------------------------------
dockerfile=$root/Dockerfile
# Instructions as single lines (continuations joined).
sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$dockerfile" | grep -vE '^\s*(#|$)' >"$work/docker"
mapfile -t stages < <(sed -n 's/^FROM .* AS \([a-z0-9_-]*\)$/\1/p' "$work/docker")
grep -q '^FROM debian:12 AS ' "$work/docker" || fail "Dockerfile: no debian:12 builder stage"
[ "$(grep '^FROM ' "$work/docker" | tail -1)" = "FROM debian:12-slim" ] ||
  fail "Dockerfile: the last stage is not debian:12-slim"
while read -r _ args; do
  read -r -a words <<<"$args"
  from=""
  sources=()
  for word in "${words[@]}"; do
    case "$word" in
      --from=*) from=${word#--from=} ;;
      --*) ;;
      *) sources+=("$word") ;;
    esac
  done
  unset 'sources[-1]' # the destination
  if [ -n "$from" ]; then
    printf '%s\n' "${stages[@]}" | grep -qxF "$from" || fail "Dockerfile: no stage '$from'"
  else
    for source in "${sources[@]}"; do
      [ "$source" = . ] || [ -e "$root/$source" ] || fail "Dockerfile copies missing $source"
    done
  fi
done < <(grep '^COPY ' "$work/docker")
# The runtime stage installs the .deb under the name cpack gives it, from the folder `make deb`
# writes to.
grep -q '^deb:' "$root/Makefile" && grep -q -- '-B $(BUILD_DIR)/package' "$root/Makefile" ||
  fail "Makefile: no deb target writing to \$(BUILD_DIR)/package"
pattern=$(sed -n 's|^COPY --from=[a-z]* /src/build/package/\([^ /]*\) /tmp/package/$|\1|p' \
  "$work/docker")
[ -n "$pattern" ] || fail "Dockerfile: does not copy the .deb from build/package/ of the builder"
# shellcheck disable=SC2053 # the Dockerfile's glob, matched against cpack's name
[[ "$(basename "$deb")" == $pattern ]] ||
  fail "Dockerfile copies '$pattern', cpack makes $(basename "$deb")"
grep '^RUN .*apt-get install ' "$work/docker" | grep -qF " /tmp/package/$pattern " ||
  fail "Dockerfile: the runtime stage does not apt-get install /tmp/package/$pattern"
for line in "EXPOSE 3000" "VOLUME /var/lib/reportd" "USER reportd" 'ENTRYPOINT ["reportd"]'; do
  has "$work/docker" "$line" || fail "Dockerfile lacks '$line'"
done
grep -q '^HEALTHCHECK .*/healthz' "$work/docker" || fail "Dockerfile: no HEALTHCHECK on /healthz"
for ignored in node_modules build data; do
  has "$root/.dockerignore" "$ignored" || fail ".dockerignore does not exclude $ignored"
done

if [ "$failures" -gt 0 ]; then
  echo "package-test: $failures failure(s)" >&2
  exit 1
fi
echo "package-test: $(basename "$deb") ($(du -h "$deb" | cut -f1)): fields, Depends, contents," \
  "maintainer scripts, binary, unit, environment file; cmake --install; Dockerfile: all good"
