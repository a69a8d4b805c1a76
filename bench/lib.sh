# shellcheck shell=bash
# Shared by bench/benchmark.sh, bench/scale.sh and bench/scale-cluster.sh (sourced): processes, ports, Payara Micro
# and redis-server launched the way bin/run launches them, only on 127.0.0.1 and on free ports. Every process started
# here is recorded and stopped by bench_cleanup (installed as the EXIT trap by the caller).

BENCH_PIDS=()

blog() { printf '[%s] %s\n' "$BENCH_NAME" "$*" >&2; }
bdie() { blog "ERROR: $*"; exit 1; }

# shellcheck source=bin/jdk.sh
source "$ROOT/bin/jdk.sh" # find_jdk, java_major

free_port() { # a port nobody listens on at 127.0.0.1 (random in 20000-59999)
  local p i
  for ((i = 0; i < 200; i++)); do
    p=$((20000 + RANDOM % 40000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  bdie "no free port found"
}

stop_pid() { # stop_pid PID NAME SECONDS: TERM, then KILL after the grace period
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  blog "stopping $2 (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < $3 * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

bench_cleanup() {
  trap - EXIT INT TERM; trap '' PIPE; set +e
  local entry
  for entry in "${BENCH_PIDS[@]}"; do stop_pid "${entry%%:*}" "${entry#*:}" 30; done
  BENCH_PIDS=()
  return 0
}

forget_pid() { # forget_pid PID: drop it from the cleanup list (after stopping it ourselves)
  local entry kept=()
  for entry in "${BENCH_PIDS[@]}"; do [[ "${entry%%:*}" == "$1" ]] || kept+=("$entry"); done
  BENCH_PIDS=("${kept[@]}")
}

# boot_redis DIR: a redis-server of our own on a free port of 127.0.0.1, no persistence; sets REDIS_PORT and REDIS_PID.
# Tries up to 3 ports (another process may take the chosen one before redis-server binds it).
boot_redis() {
  local dir="$1" attempt deadline
  mkdir -p "$dir"
  for attempt in 1 2 3; do
    REDIS_PORT="$(free_port)"
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize no --save "" --appendonly no \
      --dir "$dir" --logfile "$dir/redis.log" & REDIS_PID=$!
    BENCH_PIDS+=("$REDIS_PID:redis-server")
    deadline=$((SECONDS + 15))
    until [[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; do
      kill -0 "$REDIS_PID" 2>/dev/null || break
      ((SECONDS < deadline)) || bdie "redis-server did not answer within 15 s; see $dir/redis.log"
      sleep 0.2
    done
    kill -0 "$REDIS_PID" 2>/dev/null && return 0
    forget_pid "$REDIS_PID"; blog "redis-server could not start on port $REDIS_PORT: trying another port"
  done
  bdie "redis-server did not start in 3 attempts; see $dir/redis.log"
}

# boot_redis_cluster_node DIR: like boot_redis, a redis-server in cluster mode (cluster-enabled yes, nodes.conf in DIR,
# cluster-node-timeout 15 s so heavy seeding on a busy machine does not mark a node as failing); its cluster bus on a
# free port of its own (the default, port + 10000, may be taken or beyond 65535). Sets REDIS_PORT and REDIS_PID.
boot_redis_cluster_node() {
  local dir="$1" attempt deadline bus
  mkdir -p "$dir"
  for attempt in 1 2 3; do
    REDIS_PORT="$(free_port)"; bus="$(free_port)"
    [[ "$bus" != "$REDIS_PORT" ]] || continue
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --daemonize no --save "" --appendonly no \
      --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" --cluster-port "$bus" --cluster-node-timeout 15000 \
      --dir "$dir" --logfile "$dir/redis.log" & REDIS_PID=$!
    BENCH_PIDS+=("$REDIS_PID:redis-server (cluster node)")
    deadline=$((SECONDS + 15))
    until [[ "$(redis-cli -p "$REDIS_PORT" ping 2>/dev/null)" == PONG ]]; do
      kill -0 "$REDIS_PID" 2>/dev/null || break
      ((SECONDS < deadline)) || bdie "redis-server did not answer within 15 s; see $dir/redis.log"
      sleep 0.2
    done
    kill -0 "$REDIS_PID" 2>/dev/null && return 0
    forget_pid "$REDIS_PID"; rm -f "$dir/nodes.conf"
    blog "redis-server could not start on ports $REDIS_PORT/$bus: trying others"
  done
  bdie "redis-server (cluster node) did not start in 3 attempts; see $dir/redis.log"
}

# start_payara NAME WAR PORT ROOTDIR: Payara Micro through payara-config/payara-micro.sh, the command line of bin/run
# and the Docker image (the shipped configuration; JAVA_OPTS and HTTP_THREADS are honoured as there); the environment
# of the caller (REDIS_URL, SESSION_SECRETS, ...) is inherited. Sets PAYARA_PID and PAYARA_COMMAND (its command line).
start_payara() {
  local name="$1" war="$2" port="$3" dir="$4"
  mkdir -p "$dir"
  PORT="$port" "$ROOT/payara-config/payara-micro.sh" "$RUN/payara-micro.jar" "$war" --rootdir "$dir/root" \
    >"$dir/payara.log" 2>&1 & PAYARA_PID=$!
  PAYARA_LOG="$dir/payara.log"
  BENCH_PIDS+=("$PAYARA_PID:Payara Micro ($name)")
  local i
  for ((i = 0; i < 50; i++)); do grep -q '^\[payara-micro.sh\] ' "$PAYARA_LOG" 2>/dev/null && break; sleep 0.1; done
  # shellcheck disable=SC2034 # for the caller's report
  PAYARA_COMMAND="$(sed -n 's/^\[payara-micro.sh\] //p' "$PAYARA_LOG" | head -n 1)"
  blog "Payara Micro ($name) pid $PAYARA_PID on port $port, log $dir/payara.log"
}

# wait_http URL STATUS SECONDS: until GET URL answers STATUS (Payara must stay alive). Returns 1 when Payara's HTTP
# listener did not start (its port was taken between free_port and the bind), so the caller can try another port.
wait_http() {
  local deadline=$((SECONDS + $3)) code
  until code="$(curl -s -o /dev/null -m 5 -w '%{http_code}' "$1" || true)" && [[ "$code" == "$2" ]]; do
    kill -0 "$PAYARA_PID" 2>/dev/null || bdie "Payara Micro exited before it was ready (see its payara.log)"
    grep -q "Exception while loading the app" "$PAYARA_LOG" 2>/dev/null && bdie "deployment failed: see $PAYARA_LOG"
    grep -q "GrizzlyProxy is NULL\|Address already in use" "$PAYARA_LOG" 2>/dev/null && return 1
    ((SECONDS < deadline)) || bdie "no $2 from $1 after $3 s (last: $code)"
    sleep 1
  done
}

# boot_payara NAME WAR DIR PATH STATUS: Payara Micro on a free port, until GET PATH answers STATUS; sets PORT and
# BASE. Tries up to 3 ports: on this shared machine another process may take the chosen port before Payara binds it.
boot_payara() {
  local attempt
  for attempt in 1 2 3; do
    PORT="$(free_port)"; BASE="http://127.0.0.1:$PORT"
    start_payara "$1" "$2" "$PORT" "$3"
    wait_http "$BASE$4" "$5" 400 && return 0
    blog "Payara Micro's HTTP listener did not start on port $PORT (taken meanwhile?): trying another port"
    stop_pid "$PAYARA_PID" "Payara Micro ($1)" 30; forget_pid "$PAYARA_PID"
    mv "$3/payara.log" "$3/payara-attempt-$attempt.log"; rm -rf "$3/root"
  done
  bdie "Payara Micro's HTTP listener did not start in 3 attempts (see $3/payara-attempt-*.log)"
}

load1() { cut -d' ' -f1 /proc/loadavg; }

# wait_quiet MAX SECONDS: waits until the 1-minute load average is below MAX, at most SECONDS; sets QUIET_NOTE.
wait_quiet() {
  local max="$1" deadline=$((SECONDS + $2)) l
  while :; do
    l="$(load1)"
    if awk -v l="$l" -v m="$max" 'BEGIN { exit !(l < m) }'; then QUIET_NOTE="load $l (below $max)"; return; fi
    if ((SECONDS >= deadline)); then
      QUIET_NOTE="load $l: NOT below $max after waiting $2 s, measured anyway"
      blog "WARNING: $QUIET_NOTE"
      return
    fi
    blog "load average $l >= $max: waiting (up to $((deadline - SECONDS)) s more)"
    sleep 15
  done
}

bench_tool() { "$JAVA_HOME/bin/java" -cp "$RUN/tool:$RUN/classes" BenchTool "$@"; }

prepare_tool() { # copies the product's classes (the WAR build may be redone by others meanwhile) and compiles BenchTool
  rm -rf "$RUN/classes" "$RUN/tool" && mkdir -p "$RUN/tool"
  cp -r "$ROOT/target/classes" "$RUN/classes"
  "$JAVA_HOME/bin/javac" -d "$RUN/tool" -cp "$RUN/classes" "$ROOT/bench/BenchTool.java"
}

# replace_section FILE NAME CONTENT_FILE: puts CONTENT_FILE between "<!-- BEGIN NAME -->" and "<!-- END NAME -->"
# in FILE (appended at the end when the markers are missing).
replace_section() {
  local file="$1" name="$2" content="$3" tmp
  tmp="$(mktemp)"
  if [[ -f "$file" ]] && grep -qF "<!-- BEGIN $name -->" "$file"; then
    awk -v b="<!-- BEGIN $name -->" -v e="<!-- END $name -->" -v c="$content" '
      $0 == b { print; while ((getline line < c) > 0) print line; skip = 1; next }
      $0 == e { skip = 0 }
      !skip { print }' "$file" >"$tmp"
  else
    { [[ -f "$file" ]] && cat "$file"; printf '\n<!-- BEGIN %s -->\n' "$name"; cat "$content"; printf '<!-- END %s -->\n' "$name"; } >"$tmp"
  fi
  mv "$tmp" "$file"
}
