#!/usr/bin/env bash
# `make up` starts what cargo built and stops without leaving anything behind.
#
# Start: with CARGO_TARGET_DIR set (a shared target folder), it runs the binaries from there;
# when a component dies during start-up, it says which at once and shows the end of its log.
#
# Stop: `make up` runs in its own process group on free
# ports and is stopped twice: with SIGINT to the group (Ctrl-C in a terminal) and with SIGTERM
# to the group (make forwards it, so the script gets two), each repeated while it stops. Afterwards no process that `make up`
# started may be alive (found by a marker in their environment and as descendants seen before
# the stop) and its ports must be free by the time `make up` itself has exited.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
mkdir -p .local
set -m # each background job gets its own process group, with SIGINT not ignored

descendants() { # pid: it and every process below it
  ps -e -o pid=,ppid= | awk -v root="$1" '
    { parent[$1] = $2 }
    END {
      found[root] = 1; changed = 1
      while (changed) { changed = 0
        for (p in parent) if (!(p in found) && (parent[p] in found)) { found[p] = 1; changed = 1 } }
      for (p in found) print p
    }'
}

marked() { # marker: processes whose environment carries it
  grep -l -a -F "CLOSELOOP_STOP_MARKER=$1" /proc/[0-9]*/environ 2>/dev/null |
    sed 's|/proc/\([0-9]*\)/environ|\1|' || true
}

alive() { # pid: running, not a zombie waiting to be reaped
  local state
  state=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [ -n "$state" ] && [ "${state:0:1}" != Z ]
}

stop_once() { # signal, [CARGO_TARGET_DIR to build into and run from]
  local signal=$1 target=${2:-} marker="stop-$RANDOM$RANDOM"
  local emulator api lambda log=".local/stop-test-$signal.log"
  emulator=$(free_port) api=$(free_port) lambda=$(free_port)
  # As from a terminal: SIGINT and SIGTERM at their defaults, whatever this script inherited
  # (a shell started in the background ignores SIGINT, and an ignored signal cannot be trapped).
  env ${target:+CARGO_TARGET_DIR=$target} CLOSELOOP_STOP_MARKER=$marker EMULATOR_PORT=$emulator API_PORT=$api LAMBDA_PORT=$lambda \
    DEV_ADMIN_TOKEN=$marker .venv/bin/python -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM):
    signal.signal(s, signal.SIG_DFL)
os.execvp(sys.argv[1], sys.argv[1:])' make up >"$log" 2>&1 &
  local group=$!
  for _ in $(seq 1 900); do
    grep -q '^Ready' "$log" && break
    alive "$group" || { echo "up test: make up exited before Ready" >&2; cat "$log" >&2; return 1; }
    sleep 1
  done
  grep -q '^Ready' "$log" || { echo "up test: make up did not become ready" >&2; cat "$log" >&2; kill -TERM -- "-$group"; return 1; }
  # One request through the runner to every function process cargo lambda has started.
  curl -sS -o /dev/null -H "Authorization: Bearer $marker" "http://127.0.0.1:$api/surveys"
  if [ -n "$target" ]; then
    local runner="" pid
    for pid in $(marked "$marker"); do
      case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in */closeloop-local) runner=$(readlink "/proc/$pid/exe") ;; esac
    done
    case "$runner" in
      "$target"/*) echo "up test: with CARGO_TARGET_DIR=$target, make up runs $runner" ;;
      *) echo "up test: with CARGO_TARGET_DIR=$target, make up runs the runner from ${runner:-nowhere}" >&2
         kill -TERM -- "-$group"; return 1 ;;
    esac
  fi
  local before
  before=$( (descendants "$group"; marked "$marker") | sort -u | tr '\n' ' ')
  [ -n "$(marked "$marker")" ] || { echo "up test: no process carries the marker; the check would be blind" >&2; return 1; }
  kill "-$signal" -- "-$group"
  # Then the impatient repeats (Ctrl-C pressed again, a supervisor's second TERM) while it stops.
  for _ in 1 2 3 4 5; do
    sleep 0.1
    kill "-$signal" -- "-$group" 2>/dev/null || break
  done
  # `make up` returns only when it has stopped everything: check the moment it is gone.
  # (90 s: it takes seconds on an idle machine, longer while other builds load it.)
  for _ in $(seq 1 1800); do
    alive "$group" || break
    sleep 0.05
  done
  alive "$group" && { echo "up test: make up still running 90 s after SIG$signal" >&2; tail -n 20 "$log" >&2; return 1; }
  local left="" ports=""
  for pid in $( (echo $before; marked "$marker") | tr ' ' '\n' | sort -u); do
    alive "$pid" && left="$left $pid"
  done
  for port in $emulator $api $lambda; do
    port_in_use "$port" && ports="$ports $port"
  done
  if [ -n "$left$ports" ]; then
    echo "up test: after SIG$signal to make up's group, still alive:${left:- none}; ports still bound:${ports:- none}" >&2
    [ -z "$left" ] || ps -o pid,pgid,args -p "$(echo $left | tr ' ' ',')" >&2 || true
    for pid in $left; do kill -KILL "$pid" 2>/dev/null || true; done
    tail -n 20 "$log" >&2
    return 1
  fi
  wait "$group" 2>/dev/null || true
  echo "up test: SIG$signal to make up's group stopped every process ($(echo $before | wc -w) of them) and freed ports $emulator $api $lambda"
}

# A component that dies during start-up: the runner cannot bind its port (another program has
# it). `make up` must say so at once, naming the runner and quoting its log, not wait 120 s.
dies_at_start() {
  local emulator api lambda log=.local/up-test-dies.log holder
  emulator=$(free_port) api=$(free_port) lambda=$(free_port)
  .venv/bin/python -c "import socket, time
s = socket.socket(); s.bind(('127.0.0.1', $api)); s.listen(); time.sleep(600)" &
  holder=$!
  local started_at=$SECONDS status=0
  EMULATOR_PORT=$emulator API_PORT=$api LAMBDA_PORT=$lambda DEV_ADMIN_TOKEN=dies-$RANDOM \
    timeout 100 make up >"$log" 2>&1 || status=$?
  local took=$((SECONDS - started_at))
  kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null || true
  if [ "$status" = 0 ] || [ "$status" = 124 ] || [ "$took" -gt 60 ]; then
    echo "up test: with the API port taken, make up exited with $status after ${took}s" >&2
    cat "$log" >&2
    return 1
  fi
  grep -q '^error: the local runner stopped' "$log" && grep -q 'last lines of .local/runner.log' "$log" || {
    echo "up test: make up did not name the runner that died and show its log" >&2; cat "$log" >&2; return 1; }
  echo "up test: a runner that dies at start-up is reported after ${took}s with its log"
}

relocated="$(target_dir)/../.local/relocated-target"
relocated=$(cd "$(dirname "$relocated")" && pwd)/relocated-target
rm -rf "$relocated"
# A copy of the build by hard links, so the relocated folder is up to date without a rebuild.
cp -al "$(target_dir)" "$relocated"
trap 'rm -rf "$relocated"' EXIT
dies_at_start
stop_once INT "$relocated"
stop_once TERM
