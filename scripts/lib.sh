# Shared helpers for the scripts: free ports, waiting, the emulator, clean-up by PID.
PIDS=()

free_port() {
  .venv/bin/python - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

wait_for() { # url, seconds, what
  local url=$1 seconds=$2 what=$3
  for _ in $(seq 1 $((seconds * 5))); do
    if curl -fsS -o /dev/null "$url" 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  echo "error: $what did not come up at $url within ${seconds}s" >&2
  return 1
}

start_emulator() { # port, log file
  setsid .venv/bin/python scripts/emulator.py -H 127.0.0.1 -p "$1" >"$2" 2>&1 &
  PIDS+=($!)
  wait_for "http://127.0.0.1:$1/moto-api/data.json" 30 "the AWS emulator"
}

stop_all() {
  local pid
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] || continue
    # Stop the process and anything it started (its process group when it leads one).
    kill -- "-$pid" 2>/dev/null || kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]:-}"; do
    [ -n "$pid" ] && wait "$pid" 2>/dev/null || true
  done
}

export_emulator_env() { # port
  export AWS_ENDPOINT_URL="http://127.0.0.1:$1"
  export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
  export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
}
