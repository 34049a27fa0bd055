#!/usr/bin/env bash
# The library as a user gets it: installs base/net/engineio/socketio from the build folder $1
# into a temporary prefix (the install component `dev` alone, so that it is complete by itself),
# builds examples/protocol-echo on its own against that package (find_package(reportd),
# reportd::socketio), starts it and checks that it answers an Engine.IO handshake and a
# Socket.IO CONNECT.
set -euo pipefail
build=$(cd "${1:?usage: tests/consumer/run.sh BUILD_DIR}" && pwd)
root=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

cmake --install "$build" --prefix "$work/prefix" --component dev >/dev/null
launcher=()
command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
cmake -S "$root/examples/protocol-echo" -B "$work/build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_PREFIX_PATH="$work/prefix" "${launcher[@]}" >/dev/null
nice -n 5 cmake --build "$work/build" >/dev/null

port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PORT=$port IO_THREADS=1 "$work/build/protocol-echo" >"$work/server.log" 2>&1 &
pid=$!
url="http://127.0.0.1:$port/socket.io/?EIO=4&transport=polling"
for _ in $(seq 1 100); do
  open=$(curl -sf "$url" || true)
  [ -n "$open" ] && break
  sleep 0.1
done
sid=$(printf '%s' "$open" | sed -n 's/^0{"sid":"\([^"]*\)".*/\1/p')
if [ -z "$sid" ]; then
  echo "consumer: no Engine.IO handshake from the installed-package build: '$open'" >&2
  cat "$work/server.log" >&2
  exit 1
fi
curl -sf -X POST --data-binary '40' -H 'Content-Type: text/plain' "$url&sid=$sid" >/dev/null
reply=$(curl -sf "$url&sid=$sid")
case "$reply" in
  40{\"sid\":*) echo "consumer: protocol-echo built against the installed package answers ($reply)" ;;
  *) echo "consumer: unexpected answer to CONNECT: '$reply'" >&2; exit 1 ;;
esac
