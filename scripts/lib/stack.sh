# Sourced after setup.sh: starts and stops the local stack's processes. Every process started here is
# recorded by PID (as its own process group) and stopped by stop_stack, never by name or port.
STACK_PIDS=()

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# Prints the command holding a port, when the system can tell.
port_owner() {
  command -v ss >/dev/null 2>&1 || return 0
  ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*"\).*/\1/p' | head -1
}

# Fails with one clear message listing every busy port; kills nothing.
require_free_ports() {
  local busy=() port
  for port in "$@"; do
    if port_in_use "$port"; then busy+=("$port$(o=$(port_owner "$port"); [ -n "$o" ] && echo " (held by $o)")"); fi
  done
  if [ ${#busy[@]} -gt 0 ]; then
    printf '\033[31m[model-factory] port(s) already in use: %s\033[0m\n' "${busy[*]}" >&2
    printf '[model-factory] Stop whatever holds them (or a portal already running) and run this again; nothing was started or stopped.\n' >&2
    return 1
  fi
}

# free_ports N: N distinct free ports on 127.0.0.1. All are held while the others are chosen: two separate picks
# can get the same port back from the kernel (it happened: MLflow and moto were given one port).
free_ports() {
  python3 -c 'import socket, sys
held = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in held: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in held))' "$1"
}

# start_process NAME LOGFILE CMD...: runs CMD in its own process group, output to LOGFILE.
start_process() {
  local name=$1 logfile=$2; shift 2
  mkdir -p "$(dirname "$logfile")"
  setsid "$@" >"$logfile" 2>&1 &
  STACK_PIDS+=("$!")
  log "started $name (pid $!, log ${logfile#"$ROOT"/})"
}

# wait_for_http NAME URL SECONDS PID: waits until URL answers; fails early if the process died.
wait_for_http() {
  local name=$1 url=$2 seconds=$3 pid=$4 logfile=${5:-} i
  for ((i = 0; i < seconds * 4; i++)); do
    curl -sf -o /dev/null "$url" && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      [ -n "$logfile" ] && tail -n 20 "$logfile" >&2
      die "$name exited before answering at $url"
    fi
    sleep 0.25
  done
  die "$name did not answer at $url within ${seconds}s"
}

# uvicorn closes an idle keep-alive connection after 5 s, Node's fetch after 4 s: under load the two race
# and a request goes out on a socket the server is closing ("other side closed"). The servers wait longer.
export UVICORN_TIMEOUT_KEEP_ALIVE=75

start_mlflow() { # PORT STORE_DIR [MLFLOW_COMMAND]
  local port=$1 dir=$2 mlflow=${3:-mlflow}
  mkdir -p "$dir/artifacts"
  start_process "MLflow :$port" "$dir/mlflow.log" \
    "$mlflow" server --host 127.0.0.1 --port "$port" --workers 1 \
    --backend-store-uri "sqlite:///$dir/mlflow.db" \
    --artifacts-destination "$dir/artifacts"
  wait_for_http MLflow "http://127.0.0.1:$port/health" 90 "${STACK_PIDS[-1]}" "$dir/mlflow.log"
}

# MLflow 2.16 (its registry has stages) from .venv-mlflow2/ (setup.sh: ensure_mlflow2_venv), with an empty store.
start_mlflow2() { # PORT STORE_DIR
  start_mlflow "$1" "$2" "$ROOT/.venv-mlflow2/bin/mlflow"
}

# moto's server with the dev/emulator extension: pipeline executions run the pipeline's @step code.
start_moto() { # PORT LOG_DIR
  start_process "SageMaker emulator (moto + pipelines) :$1" "$2/moto.log" \
    python "$ROOT/dev/emulator/serve.py" -H 127.0.0.1 -p "$1" --jobs-dir "$2/emulator-jobs"
  wait_for_http moto "http://127.0.0.1:$1/moto-api/" 30 "${STACK_PIDS[-1]}" "$2/moto.log"
}

start_model_server() { # PORT MLFLOW_URL MODEL_URI LOG_DIR
  MLFLOW_TRACKING_URI=$2 start_process "demo model endpoint :$1" "$4/model-server.log" \
    mlflow models serve -m "$3" -h 127.0.0.1 -p "$1" --env-manager local --workers 1
  wait_for_http "model server" "http://127.0.0.1:$1/ping" 120 "${STACK_PIDS[-1]}" "$4/model-server.log"
}

seed_demo_data() { # MLFLOW_URL SAGEMAKER_ENDPOINT LOG_DIR
  log "seeding demo data: the template's demo-model project trains, registers and deploys (MLflow, emulator)"
  python -W ignore "$ROOT/dev/seed/seed.py" --mlflow-url "$1" --sagemaker-endpoint "$2" \
    --project-dir "$3/demo-model-project" >"$3/seed.log" 2>&1 ||
    { tail -n 30 "$3/seed.log" >&2; die "seeding failed (log: $3/seed.log)"; }
}

# Stops one process started by start_process (its whole process group), leaving the rest of the stack running.
stop_process() {
  local pid=$1 remaining=()
  kill -TERM -- "-$pid" 2>/dev/null || true
  for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -KILL -- "-$pid" 2>/dev/null || true
  for p in "${STACK_PIDS[@]}"; do [ "$p" = "$pid" ] || remaining+=("$p"); done
  STACK_PIDS=("${remaining[@]}")
}

stop_stack() {
  local pid
  for pid in "${STACK_PIDS[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${STACK_PIDS[@]}"; do
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -KILL -- "-$pid" 2>/dev/null || true
  done
  STACK_PIDS=()
}
