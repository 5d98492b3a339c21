# Shared helpers for the scripts: free ports, waiting, the emulator, clean-up by PID.
# Each started component is registered with its name and log (`started`), so a wait can say at
# once which one died and show the end of its log, and `stop_all` can stop every one of them.
PIDS=()
NAMES=()
LOGS=()
PORTS=()

free_port() {
  .venv/bin/python - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

# Where cargo puts the binaries: CARGO_TARGET_DIR, a build.target-dir setting or ./target.
target_dir() {
  cargo metadata --format-version 1 --no-deps |
    .venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

started() { # pid, what, log file, [port]
  PIDS+=("$1")
  NAMES+=("$2")
  LOGS+=("$3")
  [ -z "${4:-}" ] || PORTS+=("$4")
}

# Fails, saying which component stopped and showing the end of its log, if one did.
check_alive() {
  local i
  for i in "${!PIDS[@]}"; do
    if ! kill -0 "${PIDS[$i]}" 2>/dev/null; then
      local status=0
      wait "${PIDS[$i]}" 2>/dev/null || status=$?
      echo "error: ${NAMES[$i]} stopped (exit status $status); the last lines of ${LOGS[$i]}:" >&2
      tail -n 30 "${LOGS[$i]}" >&2 || true
      return 1
    fi
  done
}

wait_for() { # url, seconds, what
  local url=$1 seconds=$2 what=$3
  for _ in $(seq 1 $((seconds * 5))); do
    if curl -fsS --max-time 2 -o /dev/null "$url" 2>/dev/null; then return 0; fi
    check_alive || { echo "error: $what did not come up at $url" >&2; return 1; }
    sleep 0.2
  done
  echo "error: $what did not come up at $url within ${seconds}s" >&2
  return 1
}

start_emulator() { # port, log file
  setsid .venv/bin/python scripts/emulator.py -H 127.0.0.1 -p "$1" >"$2" 2>&1 &
  started $! "the AWS emulator" "$2" "$1"
  wait_for "http://127.0.0.1:$1/moto-api/data.json" 30 "the AWS emulator"
}

port_in_use() { # port
  ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}

# Stops everything started here. Runs once, to the end: further INT/TERM (make forwards the
# signal the shell already got, a group kill sends one to each process) are ignored meanwhile,
# and it returns only when the processes are gone and their ports are free.
stop_all() {
  trap '' INT TERM HUP
  local pid port
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    # Stop the process and anything it started (its process group when it leads one).
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
  for _ in $(seq 1 300); do
    local left=""
    for pid in "${PIDS[@]:-}"; do
      [ -n "$pid" ] || continue
      if kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; then left=1; fi
    done
    [ -z "$left" ] && break
    sleep 0.1
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    if kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null; then
      echo "warning: process group $pid did not stop within 30 s; killing it" >&2
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
  # Their listening sockets close as they exit; wait a moment for the ports to show free.
  for port in "${PORTS[@]:-}"; do
    for _ in $(seq 1 50); do
      [ -n "$port" ] && port_in_use "$port" || break
      sleep 0.1
    done
  done
}

# The INT/TERM trap of a script that starts components: exit (the EXIT trap runs `stop_all`),
# ignoring any further signal from then on, so a second one cannot cut the stopping short.
exit_on_signal() {
  trap '' INT TERM HUP
  exit 130
}

export_emulator_env() { # port
  export AWS_ENDPOINT_URL="http://127.0.0.1:$1"
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
}
