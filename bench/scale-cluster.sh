#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run from traps
# Scale run on a Redis Cluster (not part of CI): three primaries on this machine, two Payara Micro instances in
# REDIS_MODE=cluster, signed-in sessions seeded in the product's own format up to each total. At each total it measures
# Redis bytes per session, the per-user operations of a real user, and /metrics and GET /api/admin/stats under a
# monitoring load while the expiry sweep announces a batch of expiring sessions; it records the slowest Redis commands
# (SLOWLOG), INFO commandstats / errorstats and the keys without a TTL. Writes the section "scale-cluster.sh" of
# docs/performance.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" && cd "$ROOT"
BENCH_NAME=scale-cluster

usage() {
  cat <<'EOF'
Usage: bench/scale-cluster.sh [options]
Starts a Redis Cluster of three primaries (redis-server processes on free ports of 127.0.0.1, no persistence, no
replicas, created with redis-cli --cluster create) and two Payara Micro instances of the product (REDIS_MODE=cluster,
same SESSION_SECRETS, shipped defaults). For each total in --steps it
  1. seeds signed-in sessions straight into the cluster (BenchTool scale-gen, one redis-cli --pipe per primary, in
     chunks of --chunk-users users), 10 per user, in the product's own format (keys, cookies, account and its session
     index, user directory, expiry index, counts); their deadlines are 8 h away, so none expires during the run;
  2. reports Redis bytes per session (growth of the sum of used_memory over the primaries while seeding / sessions);
  3. times GET /api/me/sessions and the admin's revoke-all for a real user with 10 sessions (BenchTool scale-probe,
     after an uncounted warm-up run);
  4. seeds --expiring more sessions whose deadlines fall --expire-in seconds later, then runs a monitoring load
     (every second GET /metrics on each instance and GET /api/admin/stats; after 30 s of uncounted warm-up) until the
     instances' expiry sweeps have announced all of them (their log line "Expiry sweep: announced N expired
     session(s) in M ms"); the latencies are reported for the whole phase and for the requests that overlapped a sweep.
SLOWLOG (slowlog-log-slower-than 10000 us and slowlog-max-len 1024 on every primary, set before anything is seeded)
is read and reset after each phase (seeding, probe, expiring batch, monitoring), so seeding and measuring are reported
apart; INFO commandstats and errorstats likewise (CONFIG RESETSTAT after each phase).
Only 127.0.0.1 is contacted; everything started is stopped on exit. Raw output: target/bench/scale-cluster-<time>/.

Duration (2 shared cores): about 6 minutes for --steps 100000 (two Payara boots, then ~5 minutes per total, most
of it waiting for the sweeps, plus up to --quiet-wait), about 11 minutes for --steps 100000,1000000 (900,000 sessions
seeded in ~16 s); the default (100000,10000000) about 20-30 minutes, of which ~3-10 seeding 10,000,000 sessions.
Memory: ~4.6 GB of Redis (458 B per session at 1,000,000) and 2 x 512 MiB of Payara heap at 10,000,000 sessions.

Options (defaults in brackets):
  --steps LIST       comma-separated session totals to measure at, growing [100000,10000000]
  --per-user N       sessions per seeded user [10]
  --chunk-users N    users per seeding call (bounds the seeder's memory) [100000]
  --expiring N       sessions of the expiring batch seeded at each step [50000]
  --expire-in A-B    the batch's deadlines are spread over A to B seconds after it is seeded [60-120]
  --list-n N         timed GET /api/me/sessions per step [200]
  --rounds N         revoke-all rounds per step (10 sign-ins, then one timed revoke; first 2 not counted) [22]
  --max-load L       before timing the probe, wait until the 1-minute load average is below L ... [2.0]
  --quiet-wait S     ... for at most S seconds (0: do not wait) [180]
  --user-agent UA    User-Agent stored in the seeded sessions [a 97-character desktop Chrome one]
  --no-build         use the existing target/redsession.war and target/classes
  --no-doc           do not write docs/performance.md
  --doc FILE         write the section into FILE instead of docs/performance.md
Needs redis-server and redis-cli 7 (cluster-port), curl, jq, awk, mkfifo, unzip and a JDK 21+.
EOF
}

STEPS=100000,10000000 PER_USER=10 CHUNK=100000 EXPIRING=50000 EXPIRE_IN=60-120 LIST_N=200 ROUNDS=22
MAX_LOAD=2.0 QUIET_WAIT=180 BUILD=1 DOC=1 DOC_FILE=docs/performance.md
UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
ARGS=("$@")
while (($#)); do
  case "$1" in
    --steps) STEPS="$2"; shift ;;
    --per-user) PER_USER="$2"; shift ;;
    --chunk-users) CHUNK="$2"; shift ;;
    --expiring) EXPIRING="$2"; shift ;;
    --expire-in) EXPIRE_IN="$2"; shift ;;
    --list-n) LIST_N="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --max-load) MAX_LOAD="$2"; shift ;;
    --quiet-wait) QUIET_WAIT="$2"; shift ;;
    --user-agent) UA="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --no-doc) DOC=0 ;;
    --doc) DOC_FILE="$2"; shift ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
[[ "$EXPIRE_IN" =~ ^([0-9]+)-([0-9]+)$ ]] && ((BASH_REMATCH[1] < BASH_REMATCH[2])) ||
  { echo "--expire-in must be A-B seconds, A < B" >&2; exit 2; }
EXP_FROM_S="${BASH_REMATCH[1]}" EXP_TO_S="${BASH_REMATCH[2]}"
for n in "$PER_USER" "$CHUNK" "$EXPIRING" "$LIST_N" "$ROUNDS" "$QUIET_WAIT"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "not a number: $n" >&2; exit 2; }
done
((PER_USER > 0 && CHUNK > 0 && ROUNDS > 2)) || { echo "--per-user and --chunk-users must be > 0, --rounds > 2" >&2; exit 2; }
((EXPIRING % PER_USER == 0)) || { echo "--expiring must be a multiple of --per-user" >&2; exit 2; }
IFS=, read -ra STEP_LIST <<<"$STEPS"
prev=0
for total in "${STEP_LIST[@]}"; do
  [[ "$total" =~ ^[0-9]+$ ]] && ((total > prev && total % PER_USER == 0)) ||
    { echo "--steps must be growing multiples of --per-user: $STEPS" >&2; exit 2; }
  prev=$total
done
[[ "$DOC_FILE" == /* ]] || DOC_FILE="$ROOT/$DOC_FILE"

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
for tool in redis-server redis-cli curl jq awk mkfifo unzip sha1sum; do command -v "$tool" >/dev/null || bdie "$tool is needed"; done
find_jdk
trap bench_cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM

STARTED="$(date -u '+%Y-%m-%d %H:%M:%S UTC')" T0=$SECONDS
RUN="$ROOT/target/bench/scale-cluster-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$RUN/redis" "$RUN/seed"
blog "run folder $RUN"
if ((BUILD)); then blog "building (./mvnw -B -q -DskipTests package)"; ./mvnw -B -q -DskipTests package; fi
[[ -f target/redsession.war && -f target/payara-micro.jar ]] || bdie "target/redsession.war missing: run without --no-build"
cp target/redsession.war "$RUN/redsession.war"; cp target/payara-micro.jar "$RUN/payara-micro.jar"
prepare_tool
# SHA-1 -> name of the product's Lua scripts (as in the WAR), to name the EVALSHAs of the slowlog.
mkdir -p "$RUN/lua" && unzip -q -o -j "$RUN/redsession.war" 'WEB-INF/classes/org/redsession/session/redis/*.lua' -d "$RUN/lua"
for f in "$RUN"/lua/*.lua; do printf '%s\t%s\n' "$(sha1sum <"$f" | cut -c1-40)" "$(basename "$f")"; done |
  jq -R -s 'split("\n") | map(select(length > 0) | split("\t") | {(.[0]): .[1]}) | add // {}' >"$RUN/redis/scripts.json"

# ---- the cluster ------------------------------------------------------------------------------------------------
NODE_PORT=() NODE_PID=()
for i in 0 1 2; do
  boot_redis_cluster_node "$RUN/redis/node$i"
  NODE_PORT+=("$REDIS_PORT") NODE_PID+=("$REDIS_PID")
done
blog "cluster nodes on ports ${NODE_PORT[*]}: redis-cli --cluster create"
redis-cli --cluster create "127.0.0.1:${NODE_PORT[0]}" "127.0.0.1:${NODE_PORT[1]}" "127.0.0.1:${NODE_PORT[2]}" \
  --cluster-replicas 0 --cluster-yes >"$RUN/redis/cluster-create.txt" 2>&1 ||
  bdie "redis-cli --cluster create failed: see $RUN/redis/cluster-create.txt"
nodecli() { redis-cli -p "${NODE_PORT[$1]}" "${@:2}"; } # nodecli I ARGS...: redis-cli on primary I
deadline=$((SECONDS + 60))
for i in 0 1 2; do
  until nodecli "$i" CLUSTER INFO | tr -d '\r' | grep -q '^cluster_state:ok' &&
    nodecli "$i" CLUSTER INFO | tr -d '\r' | grep -q '^cluster_known_nodes:3'; do
    ((SECONDS < deadline)) || bdie "node ${NODE_PORT[$i]} did not report cluster_state:ok with 3 nodes within 60 s"
    sleep 0.5
  done
done
# Slot ranges of the primaries, from the cluster itself: BenchTool writes each command to the FIFO of the node that
# owns its key's slot (BENCH_SLOTS), one redis-cli --pipe per node reads it.
nodecli 0 CLUSTER NODES | tr -d '\r' >"$RUN/redis/cluster-nodes.txt"
SLOTS_SPEC=""
for i in 0 1 2; do
  mkfifo "$RUN/seed/node$i.fifo"
  ranges="$(awk -v p="127.0.0.1:${NODE_PORT[$i]}@" 'index($2, p) == 1 { for (f = 9; f <= NF; f++) printf "%s ", $f }' \
    "$RUN/redis/cluster-nodes.txt")"
  read -ra r <<<"$ranges"
  ((${#r[@]} == 1)) && [[ "${r[0]}" =~ ^[0-9]+-[0-9]+$ ]] ||
    bdie "node ${NODE_PORT[$i]} does not own exactly one slot range: '$ranges' (see $RUN/redis/cluster-nodes.txt)"
  SLOTS_SPEC+="${SLOTS_SPEC:+,}${r[0]}:$RUN/seed/node$i.fifo"
done
blog "slots: $SLOTS_SPEC"
for i in 0 1 2; do
  nodecli "$i" CONFIG SET slowlog-log-slower-than 10000 >/dev/null
  nodecli "$i" CONFIG SET slowlog-max-len 1024 >/dev/null
  nodecli "$i" SLOWLOG RESET >/dev/null
done

# pipe_cluster LABEL COMMAND...: runs the BenchTool command with BENCH_SLOTS, one redis-cli --pipe per primary reading
# its FIFO; fails unless every pipe reports "errors: 0".
pipe_cluster() {
  local label="$1" i pids=() ok=1
  shift
  for i in 0 1 2; do
    redis-cli -p "${NODE_PORT[$i]}" --pipe <"$RUN/seed/node$i.fifo" >"$RUN/seed/$label-node$i.txt" 2>&1 &
    pids+=("$!"); BENCH_PIDS+=("$!:redis-cli --pipe")
  done
  BENCH_SLOTS="$SLOTS_SPEC" "$JAVA_HOME/bin/java" -cp "$RUN/tool:$RUN/classes" BenchTool "$@" || ok=0
  if ((!ok)); then
    for i in 0 1 2; do stop_pid "${pids[$i]}" "redis-cli --pipe" 5; forget_pid "${pids[$i]}"; done
    bdie "BenchTool $1 failed ($label)"
  fi
  for i in 0 1 2; do
    wait "${pids[$i]}" || ok=0
    forget_pid "${pids[$i]}"
    grep -q 'errors: 0,' "$RUN/seed/$label-node$i.txt" || ok=0
  done
  ((ok)) || bdie "redis-cli --pipe reported errors ($label): $(tail -n 1 "$RUN"/seed/"$label"-node*.txt | tr '\n' ' ')"
}

sum_info() { # sum_info SECTION FIELD: the field summed over the three primaries
  local i t=0 v
  for i in 0 1 2; do
    v="$(nodecli "$i" INFO "$1" | tr -d '\r' | sed -n "s/^$2:\([0-9]*\).*/\1/p")"
    t=$((t + ${v:-0}))
  done
  echo "$t"
}
per_node_mib() { local i; for i in 0 1 2; do nodecli "$i" INFO memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)/\1/p'; done |
  awk '{ printf "%s%.0f", (NR > 1 ? " / " : ""), $1 / 1048576 } END { print " MiB" }'; }
keyspace() { # "keys expires" summed over the primaries
  local i
  for i in 0 1 2; do nodecli "$i" INFO keyspace | tr -d '\r' | sed -n 's/^db0:keys=\([0-9]*\),expires=\([0-9]*\).*/\1 \2/p'; done |
    awk '{ k += $1; e += $2 } END { print k + 0, e + 0 }'
}

# slowlog_take PHASE: SLOWLOG GET of every primary into redis/slowlog-PHASE-node<i>.json, then SLOWLOG RESET.
slowlog_take() {
  local i
  for i in 0 1 2; do
    nodecli "$i" --json SLOWLOG GET 1024 >"$RUN/redis/slowlog-$1-node$i.json"
    nodecli "$i" SLOWLOG RESET >/dev/null
  done
}
# slowlog_summary PHASE...: "none over 10 ms", or how many entries, the slowest (scripts named by their SHA-1) and the
# entries by command, over the SLOWLOGs taken in those phases.
slowlog_summary() {
  local p files=()
  for p; do files+=("$RUN/redis/slowlog-$p-node0.json" "$RUN/redis/slowlog-$p-node1.json" "$RUN/redis/slowlog-$p-node2.json"); done
  jq -r -s --argjson ports "[${NODE_PORT[0]},${NODE_PORT[1]},${NODE_PORT[2]}]" --slurpfile names "$RUN/redis/scripts.json" '
    def ms: . / 100 | round / 10;
    def named: if (.[0] | ascii_upcase | startswith("EVALSHA")) and ($names[0][.[1]] != null)
      then [.[0], $names[0][.[1]]] + .[2:] else . end;
    def cmdname: (.[0] | ascii_upcase) as $c | if ($c | startswith("EVAL")) then "\($c) \(.[1])" else $c end;
    [to_entries[] | (.key % 3) as $n | .value[]
      | {port: $ports[$n], us: .[2], name: (.[3] | named | cmdname), cmd: (.[3] | named | join(" ") | .[0:90])}] as $all
    | (if any(.[]; length >= 1024) then "at least " else "" end) as $capped
    | if ($all | length) == 0 then "none over 10 ms"
      else ($all | max_by(.us)) as $m
        | "\($capped)\($all | length) over 10 ms, slowest \($m.us | ms) ms: `\($m.cmd)` (node \($m.port)); by command: "
          + ([$all | group_by(.name)[] | {name: .[0].name, n: length, max: (map(.us) | max)}] | sort_by(-.n)
             | map("\(.name) \(.n) (max \(.max | ms) ms)")
             | join(", "))
      end' "${files[@]}"
}

# stats_take PHASE: INFO commandstats and errorstats of every primary into redis/, summed over the nodes into
# redis/commandstats-PHASE.tsv (command, calls, usec, failed) and redis/errorstats-PHASE.txt; then CONFIG RESETSTAT.
stats_take() {
  local i
  for i in 0 1 2; do
    nodecli "$i" INFO commandstats | tr -d '\r' >"$RUN/redis/commandstats-$1-node$i.txt"
    nodecli "$i" INFO errorstats | tr -d '\r' >"$RUN/redis/errorstats-$1-node$i.txt"
    nodecli "$i" CONFIG RESETSTAT >/dev/null
  done
  awk -F'[:,=]' '/^cmdstat_/ { c = substr($1, 9); calls[c] += $3; usec[c] += $5; failed[c] += $11 }
    END { for (c in calls) printf "%s\t%d\t%d\t%d\n", c, calls[c], usec[c], failed[c] }' \
    "$RUN"/redis/commandstats-"$1"-node*.txt | sort -t$'\t' -k3,3nr >"$RUN/redis/commandstats-$1.tsv"
  awk -F'[:=]' '/^errorstat_/ { n[substr($1, 11)] += $3 } END { for (e in n) printf "%s%s=%d", (k++ ? " " : ""), e, n[e] }' \
    "$RUN"/redis/errorstats-"$1"-node*.txt >"$RUN/redis/errorstats-$1.txt"
}

# What no command of a bounded-cost design should do: walk the keyspace or a whole big collection.
WALKERS='keys|scan|smembers|sscan|hscan|zscan|sort|sort_ro|flushall|flushdb|randomkey'
walkers_of() { # walkers_of PHASE...: "none" or "cmd=calls ..." of those commands in the commandstats of the phases
  local p files=()
  for p; do files+=("$RUN/redis/commandstats-$p.tsv"); done
  awk -F'\t' -v re="^($WALKERS)\$" '$1 ~ re { n[$1] += $2 }
    END { for (c in n) if (n[c] > 0) printf "%s%s=%d", (k++ ? " " : ""), c, n[c]; if (!k) printf "none" }' "${files[@]}"
}
top_of() { # top_of PHASE N: the N commands with the most time in Redis: "cmd calls, us per call"
  head -n "$2" "$RUN/redis/commandstats-$1.tsv" |
    awk -F'\t' '{ printf "%s%s %d calls %.1f us/call", (NR > 1 ? "; " : ""), $1, $2, ($2 ? $3 / $2 : 0) }'
}
errors_of() { # errors_of PHASE...: error replies by phase ("phase: NAME=n ..."), or none
  local p e out=""
  for p; do
    e="$(cat "$RUN/redis/errorstats-$p.txt")"
    [[ -n "$e" ]] && out+="${out:+; }${p%-*}: $e"
  done
  echo "${out:-none}"
}

# ---- the application ----------------------------------------------------------------------------------------------
ADMIN_PW="Root-Pw-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
PROBE_PW="Probe-Pw-$(head -c 9 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
SECRETS="$(head -c 48 /dev/urandom | base64 -w 0 | tr '+/' '-_' | tr -d '=')"
IDLE_MS=1800000 ABS_MS=28800000 # the defaults PT30M / PT8H, which the app runs with here
export APP_BOOTSTRAP_ADMIN_USERNAME=admin APP_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PW" SESSION_SECRETS="$SECRETS"
export REDIS_MODE=cluster REDIS_URL="redis://127.0.0.1:${NODE_PORT[0]}"
# The demo listener's line per ended session (off by default) is how this run checks that each expiry is announced
# once; it makes the sweeps slower, not faster.
export APP_DEMO_LOG_SESSION_EVENTS=true
export REDIS_NODES="127.0.0.1:${NODE_PORT[0]},127.0.0.1:${NODE_PORT[1]},127.0.0.1:${NODE_PORT[2]}"
boot_payara a "$RUN/redsession.war" "$RUN/app-a" /health/ready 200
BASE_A="$BASE" LOG_A="$PAYARA_LOG" CMD_A="$PAYARA_COMMAND"
boot_payara b "$RUN/redsession.war" "$RUN/app-b" /health/ready 200
BASE_B="$BASE" LOG_B="$PAYARA_LOG"
# The probe user's account is seeded with a stored hash of 10,000 PBKDF2 iterations (the hash carries its count), so
# its 220 sign-ins per step are cheap while the server keeps its default for anything it hashes.
pipe_cluster probe-account accounts-gen rs: scale-probe- 1 "$PROBE_PW" 10000
PROBE=scale-probe-00000

RESULTS="$RUN/results.tsv"
printf '%s\t' sessions users seed_s seed_bytes per_session used_memory per_node keys no_ttl check load_probe probe \
  exp_seeded exp_announced destroyed_lines duplicates sweeps load_monitor monitor monitor_windows slow_seed slow_seed_exp \
  slow_measure walkers top_monitor >"$RESULTS"
echo errors >>"$RESULTS"
LOADS=()
seeded_users=0 seeded_bytes=0 exp_users_total=0 k=0
for total in "${STEP_LIST[@]}"; do
  k=$((k + 1))
  STEP="$RUN/step-$total"
  mkdir -p "$STEP"
  users=$((total / PER_USER))
  # -- 1. seed (deadlines at the absolute timeout, 8 h: nothing of the bulk expires during the run) -----------------
  blog "seeding users $seeded_users..$((users - 1)) ($(((users - seeded_users) * PER_USER)) sessions), $CHUNK users per call"
  t=$SECONDS mem_before="$(sum_info memory used_memory)"
  for ((from = seeded_users; from < users; from += CHUNK)); do
    to=$((from + CHUNK < users ? from + CHUNK : users))
    pipe_cluster "seed-$from" scale-gen "$SECRETS" rs: "$from" "$to" "$PER_USER" "$(date +%s%3N)" "$ABS_MS" "$ABS_MS" \
      "$RUN/seed/sample-$from.txt" "$UA"
    last_sample="$RUN/seed/sample-$from.txt"
    ((to % (10 * CHUNK) == 0 || to == users)) && blog "  ... $((to * PER_USER)) sessions ($((SECONDS - t)) s)"
  done
  seed_s=$((SECONDS - t))
  mem="$(sum_info memory used_memory)"
  seeded_bytes=$((seeded_bytes + mem - mem_before)) seeded_users=$users
  per=$((seeded_bytes / total))
  slowlog_take "seed-$total"; stats_take "seed-$total"
  slow_seed="$(slowlog_summary "seed-$total")"
  IFS=' ' read -r keys expires <<<"$(keyspace)"
  check_a="$(bench_tool check "$BASE_A" "$last_sample")" check_b="$(bench_tool check "$BASE_B" "$last_sample")"
  blog "$total sessions in ${seed_s}s: used_memory $mem (+$per B/session seeded), $keys keys, $((keys - expires)) without TTL;" \
    "seeded cookies accepted: a $check_a, b $check_b"
  blog "slowlog while seeding: $slow_seed"

  # -- 2. per-user operations of a real user --------------------------------------------------------------------
  ((QUIET_WAIT > 0)) && wait_quiet "$MAX_LOAD" "$QUIET_WAIT"
  load_probe="$(load1)"
  blog "timing GET /api/me/sessions x$LIST_N and $ROUNDS revoke-all rounds for $PROBE on instance a; load $load_probe"
  bench_tool scale-probe "$BASE_A" admin "$ADMIN_PW" "$PROBE" "$PROBE_PW" 100 4 >"$STEP/probe-warmup.json" # not counted
  probe="$(bench_tool scale-probe "$BASE_A" admin "$ADMIN_PW" "$PROBE" "$PROBE_PW" "$LIST_N" "$ROUNDS")"
  blog "$probe"
  slowlog_take "probe-$total"; stats_take "probe-$total"

  # -- 3. an expiring batch, then a monitoring load while the sweeps announce it ----------------------------------
  blog "warming up /metrics and the admin stats: the monitoring load for 30 s, not counted"
  bench_tool monitor-load "$STEP/no-stop-file" 30 "$STEP/monitor-warmup.tsv" admin "$ADMIN_PW" "$BASE_A" "$BASE_B" \
    >"$STEP/monitor-warmup.json"
  exp_users=$((EXPIRING / PER_USER))
  blog "seeding the expiring batch: $EXPIRING sessions of $exp_users users scale-exp$k-*, deadlines ${EXP_FROM_S}-${EXP_TO_S} s later"
  off_a="$(stat -c %s "$LOG_A")" off_b="$(stat -c %s "$LOG_B")"
  pipe_cluster "expiring-$total" expiring-gen "$SECRETS" rs: "scale-exp$k-" 0 "$exp_users" "$PER_USER" "$(date +%s%3N)" \
    $((EXP_FROM_S * 1000)) $((EXP_TO_S * 1000)) "$IDLE_MS" "$ABS_MS" "$UA"
  t_exp=$SECONDS
  exp_users_total=$((exp_users_total + exp_users))
  slowlog_take "seedexp-$total"; stats_take "seedexp-$total"
  slow_seed_exp="$(slowlog_summary "seedexp-$total")"
  new_logs() { tail -c +$((off_a + 1)) "$LOG_A" | sed 's/^/a /'; tail -c +$((off_b + 1)) "$LOG_B" | sed 's/^/b /'; }
  sweep_lines() { # "instance timeMillis announced ms" for each sweep log line since the batch was seeded
    new_logs | awk '{ inst = $1 }
      /timeMillis: [0-9]/ { match($0, /timeMillis: [0-9]+/); t[inst] = substr($0, RSTART + 12, RLENGTH - 12) }
      /Expiry sweep: announced [0-9]+ expired/ { match($0, /announced [0-9]+ expired session\(s\) in [0-9]+ ms/)
        split(substr($0, RSTART, RLENGTH), w, " "); print inst, t[inst], w[2], w[6] }'
  }
  rm -f "$STEP/monitor.stop"
  "$JAVA_HOME/bin/java" -cp "$RUN/tool:$RUN/classes" BenchTool monitor-load "$STEP/monitor.stop" 1800 "$STEP/monitor.tsv" \
    admin "$ADMIN_PW" "$BASE_A" "$BASE_B" >"$STEP/monitor-summary.json" 2>"$STEP/monitor.err" &
  MON=$!; BENCH_PIDS+=("$MON:monitor-load")
  blog "monitoring load started (GET /metrics on a and b, GET /api/admin/stats, every second) until the sweeps announced the batch"
  # Each instance sweeps every session.sweep-interval (1 min) the buckets that ended 2 s before: the last session is
  # announced at most ~1.5 min after the last deadline.
  wait_until=$((t_exp + EXP_TO_S + 30 + 2 + 60 + 60)) announced=0 load_sum=0 load_n=0
  while ((SECONDS < wait_until)); do
    sleep 5
    load_sum="$(awk -v a="$load_sum" -v b="$(load1)" 'BEGIN { print a + b }')" load_n=$((load_n + 1))
    kill -0 "$MON" 2>/dev/null || bdie "the monitoring load stopped early: see $STEP/monitor.err"
    announced="$(sweep_lines | awk '{ n += $3 } END { print n + 0 }')"
    ((announced >= EXPIRING)) && break
  done
  ((announced >= EXPIRING)) || blog "WARNING: only $announced of $EXPIRING expiring sessions announced before the time limit"
  blog "sweeps announced $announced; 10 s more of load"
  sleep 10
  touch "$STEP/monitor.stop"
  wait "$MON" || bdie "monitor-load failed: see $STEP/monitor.err"
  forget_pid "$MON"
  slowlog_take "monitor-$total"; stats_take "monitor-$total"
  load_monitor="$(awk -v s="$load_sum" -v n="$load_n" 'BEGIN { printf "%.2f", n ? s / n : 0 }')"
  sweep_lines >"$STEP/sweeps.txt"
  awk '$3 > 0 { print $2 - $4, $2 }' "$STEP/sweeps.txt" >"$STEP/sweep-windows.txt"
  bench_tool window-stats "$STEP/monitor.tsv" "$STEP/sweep-windows.txt" >"$STEP/monitor-windows.json"
  new_logs | grep -o 'sessionDestroyed [0-9a-f]*' | sort >"$STEP/destroyed.txt" || true
  destroyed="$(wc -l <"$STEP/destroyed.txt")" duplicates="$(uniq -d "$STEP/destroyed.txt" | wc -l)"
  new_logs | grep -E 'SEVERE|WARNING|CROSSSLOT|MOVED|ASK |Exception' >"$STEP/app-problems.txt" || true
  sweeps="$(awk '$3 > 0 { printf "%s%s: %d in %d ms", (n++ ? "; " : ""), $1, $3, $4 }' "$STEP/sweeps.txt")"
  slow_measure="$(slowlog_summary "probe-$total" "monitor-$total")"
  walkers="$(walkers_of "probe-$total" "monitor-$total")" top="$(top_of "monitor-$total" 6)"
  errors="$(errors_of "seed-$total" "probe-$total" "seedexp-$total" "monitor-$total")"
  blog "sweeps: ${sweeps:-none}; destroyed log lines $destroyed ($duplicates duplicated); load $load_monitor;" \
    "problems in the instances' logs: $(wc -l <"$STEP/app-problems.txt") lines ($STEP/app-problems.txt)"
  blog "monitor: $(cat "$STEP/monitor-summary.json")"
  blog "slowlog while measuring (probe, monitoring, sweeps): $slow_measure; keyspace walkers: $walkers; error replies: $errors"
  IFS=' ' read -r keys expires <<<"$(keyspace)"
  LOADS+=("$total: probe $load_probe, monitor $load_monitor")
  printf '%s\t' "$total" "$users" "$seed_s" "$seeded_bytes" "$per" "$(sum_info memory used_memory)" "$(per_node_mib)" \
    "$keys" "$((keys - expires))" "a ${check_a/ //}, b ${check_b/ //}" "$load_probe" "$probe" "$EXPIRING" "$announced" \
    "$destroyed" "$duplicates" "${sweeps:-none}" "$load_monitor" "$(cat "$STEP/monitor-summary.json")" \
    "$(cat "$STEP/monitor-windows.json")" "$slow_seed" "$slow_seed_exp" "$slow_measure" "$walkers" "$top" >>"$RESULTS"
  printf '%s\n' "$errors" >>"$RESULTS"
done

# ---- the end state ----------------------------------------------------------------------------------------------
IFS=' ' read -r keys expires <<<"$(keyspace)"
EXPECTED_NO_TTL=$((seeded_users + exp_users_total + 2 + 16))
{
  echo "keys: $keys, with a TTL: $expires, without: $((keys - expires)); expected without: $EXPECTED_NO_TTL" \
    "($seeded_users seeded accounts + $exp_users_total accounts of the expiring batches + admin + $PROBE + 16 directory shards rs:d:{dK})"
  for i in 0 1 2; do
    echo "node ${NODE_PORT[$i]}: $(nodecli "$i" INFO keyspace | tr -d '\r' | grep '^db0'), used_memory $(nodecli "$i" INFO memory | tr -d '\r' | sed -n 's/^used_memory_human://p'), slots $(awk -v p="127.0.0.1:${NODE_PORT[$i]}@" 'index($2, p) == 1 { print $9 }' "$RUN/redis/cluster-nodes.txt")"
  done
  # A sample of random keys: which kinds have no TTL (expected: accounts rs:a: and directory shards rs:d: only).
  for i in 0 1 2; do
    for ((j = 0; j < 300; j++)); do echo RANDOMKEY; done | nodecli "$i" >"$RUN/redis/random-node$i.txt"
    sed 's/^/PTTL /' "$RUN/redis/random-node$i.txt" | nodecli "$i" >"$RUN/redis/random-pttl-node$i.txt"
  done
  cat "$RUN"/redis/random-node{0,1,2}.txt >"$RUN/redis/random.txt"
  cat "$RUN"/redis/random-pttl-node{0,1,2}.txt >"$RUN/redis/random-pttl.txt"
  paste "$RUN/redis/random.txt" "$RUN/redis/random-pttl.txt" | awk -F'\t' '
    { match($1, /^[^:]*:[a-z]+:/); kind = RLENGTH > 0 ? substr($1, 1, RLENGTH) : $1; n++
      if ($2 == -1) { none[kind]++; nn++ } else all[kind]++ }
    END { printf "random sample of %d keys: %d without a TTL", n, nn; for (k in none) printf ", %s* %d", k, none[k]
          printf "; with a TTL:"; for (k in all) printf " %s* %d", k, all[k]; print "" }'
  # What one session costs, from a sample. MEMORY USAGE counts a key's value and name, not the entries Redis keeps per
  # key (main dictionary, expiry dictionary, cluster slot bookkeeping): the difference to the measured bytes per session.
  (
  set +e # a diagnosis: whatever fails here is left out
  for i in 0 1 2; do
    skey="$(grep -m 1 '^rs:s:[^:]*$' "$RUN/redis/random-node$i.txt")"
    [[ -n "$skey" ]] && break
  done
  if [[ -n "$skey" ]]; then
    rc() { redis-cli -c -p "${NODE_PORT[0]}" "$@"; }
    tag="${skey#*\{}" tag="${tag%%\}*}" suser="$(rc HGET "$skey" '#u')" sdeadline="$(rc HGET "$skey" '#e')"
    account="rs:a:{$tag}$suser" bucket=$((sdeadline / 30000))
    list="rs:x:{x$((bucket % 16))}:$bucket"
    b64=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_
    first="${b64%%"${tag:0:1}"*}" directory="rs:d:{d$((${#first} % 16))}"
    s_mu="$(rc MEMORY USAGE "$skey" SAMPLES 0)" a_mu="$(rc MEMORY USAGE "$account" SAMPLES 0)"
    a_idx="$(rc HKEYS "$account" | grep -c '^s:' || true)" l_mu="$(rc MEMORY USAGE "$list" SAMPLES 0)" l_n="$(rc LLEN "$list")"
    d_mu="$(rc MEMORY USAGE "$directory" SAMPLES 0)" d_n="$(rc ZCARD "$directory")"
    echo "one session: hash $skey $s_mu B ($(rc HLEN "$skey") fields, $(rc OBJECT ENCODING "$skey"), #ua $(rc HSTRLEN "$skey" '#ua') B);" \
      "its account $account $a_mu B with $a_idx index entries, encoding $(rc OBJECT ENCODING "$account");" \
      "its expiry list $list $l_mu B for $l_n entries; its directory shard $directory $d_mu B for $d_n names"
    awk -v s="$s_mu" -v a="$a_mu" -v ai="$a_idx" -v l="$l_mu" -v ln="$l_n" -v d="$d_mu" -v dn="$d_n" -v pu="$PER_USER" \
      -v measured="$(tail -n 1 "$RESULTS" | cut -f5)" 'BEGIN {
        a1 = a / (ai > 0 ? ai : pu); l1 = (ln > 0 ? l / ln : 0); d1 = (dn > 0 ? d / dn / pu : 0); t = s + a1 + l1 + d1
        printf "per session: hash %d + account share %.0f + expiry entry %.0f + directory share %.0f = %.0f B of values;", s, a1, l1, d1, t
        printf " measured %d B: %.0f B of per-key overhead for %.1f keys per session\n", measured, measured - t, 1 + 1 / pu }'
  fi
  )
} >"$RUN/end-state.txt"
cat "$RUN/end-state.txt" >&2
ELAPSED=$((SECONDS - T0))
blog "done in ${ELAPSED}s; results $RESULTS"
bench_cleanup
((DOC)) || exit 0

# ---- docs/performance.md ------------------------------------------------------------------------------------------
col() { cut -d$'\t' -f"$2" <<<"$1"; }
jnum() { jq -r "$2 // \"-\"" <<<"$1" 2>/dev/null || echo -; }
ms() { awk -v v="$1" 'BEGIN { if (v == "-" || v == "") print "-"; else printf "%.1f", v }'; }
rows() { tail -n +2 "$RESULTS"; }
SECTION="$RUN/section.md"
FIRST="$(rows | head -n 1)" LAST="$(rows | tail -n 1)"
{
  cat <<EOF
_Written by \`bench/scale-cluster.sh\` on $STARTED in ${ELAPSED} s$( ((BUILD)) && echo " (build included)"); raw output in
\`target/bench/$(basename "$RUN")/\`. Machine: $(nproc) cores, $(free -g | awk '/^Mem:/ { print $2 }') GiB RAM, shared with other
work; 1-minute load average before the probe and during the monitoring phase: $(printf '%s; ' "${LOADS[@]}" | sed 's/; $//'). Redis
$(redis-server --version | cut -d' ' -f3 | cut -d= -f2): a cluster of 3 primaries on this machine (no replicas, no persistence,
\`redis-cli --cluster create\`); two Payara Micro instances of the product (\`REDIS_MODE=cluster\`, shipped defaults:
idle PT30M, absolute PT8H, sweep every PT1M), each started by \`payara-config/payara-micro.sh\`:
\`$CMD_A\`._

Command: \`bench/scale-cluster.sh${ARGS[*]:+ ${ARGS[*]}}\`

Sessions are written straight into the cluster exactly as sign-ins store them (\`bench/BenchTool.java scale-gen\`,
$PER_USER per user; ids, keys and cookies from the product's \`SessionIds\`): each command goes to the primary that owns
its key's slot (slot ranges read from \`CLUSTER NODES\`), one \`redis-cli --pipe\` per primary, each reporting "errors: 0".
Their deadlines are the absolute timeout (8 h) away, so none of them expires during the run, and a sample of their
cookies is accepted by both instances. **Bytes per session** = growth of the sum of \`used_memory\` over the 3 primaries
while seeding, divided by the sessions: the session hash, its entry in its user's account (the session index), the
expiry-index entry, a tenth of an account and directory entry, and Redis' per-key and cluster overhead. The **probe**
is a real user with 10 sessions (10 sign-ins through the API): \`GET /api/me/sessions\` ×$LIST_N and $((ROUNDS - 2))
timed revoke-alls (\`DELETE /api/admin/users/$PROBE/sessions\`), sequential, on instance a, after an uncounted warm-up
run. Then a batch of $EXPIRING
sessions ($((EXPIRING / PER_USER)) more users, \`BenchTool expiring-gen\`) is seeded whose deadlines fall ${EXP_FROM_S}-${EXP_TO_S} s later,
and the **monitoring load** runs until the instances' expiry sweeps have announced all of them: every second one
\`GET /metrics\` on each instance and one \`GET /api/admin/stats\` (instances in turn), each request on its own thread
(30 s of it before the batch are not counted: warm-up).
It is reported for the whole phase and for the requests that overlapped a sweep that announced something (window from
the sweep's log line \`Expiry sweep: announced N expired session(s) in M ms\`). Latencies are measured by the client
(\`java.net.http\` on 127.0.0.1), in ms.

| total sessions | users | seeding (s) | used_memory (3 primaries) | per primary | **bytes / session** | keys | keys without TTL | seeded cookies accepted |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
  rows | while IFS= read -r r; do
    printf '| %s | %s | %s | %s MiB | %s | **%s B** | %s | %s | %s |\n' "$(col "$r" 1)" "$(col "$r" 2)" "$(col "$r" 3)" \
      "$(awk -v m="$(col "$r" 6)" 'BEGIN { printf "%.0f", m / 1048576 }')" "$(col "$r" 7)" "$(col "$r" 5)" "$(col "$r" 8)" \
      "$(col "$r" 9)" "$(col "$r" 10)"
  done
  cat <<EOF

| total sessions | load: probe, monitoring | \`GET /api/me/sessions\` p50 / p99 | revoke-all p50 / p99 / max | \`/metrics\` p50 / p99 / max (n) | admin stats p50 / p99 / max (n) | during sweeps: \`/metrics\` max, stats max (n) | failed requests |
|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
  rows | while IFS= read -r r; do
    p="$(col "$r" 12)" m="$(col "$r" 19)" w="$(col "$r" 20)"
    printf '| %s | %s, %s | %s / %s | %s / %s / %s | %s / %s / %s (%s) | %s / %s / %s (%s) | %s, %s (%s, %s) | %s |\n' "$(col "$r" 1)" \
      "$(col "$r" 11)" "$(col "$r" 18)" \
      "$(ms "$(jnum "$p" .list.p50)")" "$(ms "$(jnum "$p" .list.p99)")" \
      "$(ms "$(jnum "$p" .revokeAll.p50)")" "$(ms "$(jnum "$p" .revokeAll.p99)")" "$(ms "$(jnum "$p" .revokeAll.max)")" \
      "$(ms "$(jnum "$m" .metrics.p50)")" "$(ms "$(jnum "$m" .metrics.p99)")" "$(ms "$(jnum "$m" .metrics.max)")" "$(jnum "$m" .metrics.n)" \
      "$(ms "$(jnum "$m" .stats.p50)")" "$(ms "$(jnum "$m" .stats.p99)")" "$(ms "$(jnum "$m" .stats.max)")" "$(jnum "$m" .stats.n)" \
      "$(ms "$(jnum "$w" .during.metrics.max)")" "$(ms "$(jnum "$w" .during.stats.max)")" \
      "$(jnum "$w" .during.metrics.n)" "$(jnum "$w" .during.stats.n)" "$(jq -r '[.errors[]] | add // 0' <<<"$m")"
  done
  cat <<EOF

| total sessions | expiring batch: announced by the sweeps | sweeps that announced (instance: sessions in duration) | listener log lines (duplicates) | KEYS, SCAN, SMEMBERS... while measuring |
|---:|---:|---|---:|---|
EOF
  rows | while IFS= read -r r; do
    printf '| %s | %s of %s | %s | %s (%s) | %s |\n' "$(col "$r" 1)" "$(col "$r" 14)" "$(col "$r" 13)" "$(col "$r" 17)" \
      "$(col "$r" 15)" "$(col "$r" 16)" "$(col "$r" 24)"
  done
  cat <<EOF

Redis SLOWLOG (\`slowlog-log-slower-than 10000\` µs on every primary from the start, read and reset after each phase;
EVALSHA named by the product's script of that SHA-1). An O(1) command (HSET, PEXPIRE, GET, ...) over 10 ms means the
redis-server process did not get a core for that long (load average above the 2 cores), not that the command costs
that much:

EOF
  rows | while IFS= read -r r; do
    printf -- '- **%s sessions.** Seeding (and, at the first total, start-up): %s. Seeding the expiring batch: %s. Measuring (probe, monitoring load, sweeps): %s.\n' \
      "$(col "$r" 1)" "$(col "$r" 21)" "$(col "$r" 22)" "$(col "$r" 23)"
  done
  big="$(col "$LAST" 1)" small="$(col "$FIRST" 1)" pl="$(col "$LAST" 12)" pf="$(col "$FIRST" 12)" ml="$(col "$LAST" 19)"
  sm="$(col "$LAST" 23)" perl="$(col "$LAST" 5)"
  mmax="$(jnum "$ml" .metrics.max)" smax="$(jnum "$ml" .stats.max)"
  ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a != "-" && b > 0) printf "%.2f", a / b; else print "-" }'; }
  verdict() { if [[ "$1" == 1 ]]; then echo "**met**"; else echo "**missed**"; fi; }
  list_r="$(ratio "$(jnum "$pl" .list.p50)" "$(jnum "$pf" .list.p50)")"
  rev_r="$(ratio "$(jnum "$pl" .revokeAll.p50)" "$(jnum "$pf" .revokeAll.p50)")"
  same="$(awk -v a="$list_r" -v b="$rev_r" 'BEGIN { if (a != "-" && b != "-" && a <= 1.25 && b <= 1.25) print 1 }')"
  fast="$(awk -v a="$mmax" -v b="$smax" 'BEGIN { if (a != "-" && b != "-" && a <= 50 && b <= 50) print 1 }')"
  quiet=""; [[ "$sm" == "none over"* ]] && quiet=1
  small_enough=""; ((perl <= 400)) && small_enough=1
  only_one=""; [[ "$big" == "$small" ]] && only_one="; only one total was measured"
  cat <<EOF

Against the targets, at the largest total measured here, **$big** sessions (the targets are stated for 10,000,000):

| target | measured | result |
|---|---|---|
| no Redis command over 10 ms | while measuring: $sm | $(verdict "$quiet") |
| \`/metrics\` and admin stats answer in ≤ 50 ms | slowest of $(jnum "$ml" .metrics.n) \`/metrics\`: $(ms "$mmax") ms (p99 $(ms "$(jnum "$ml" .metrics.p99)")); slowest of $(jnum "$ml" .stats.n) stats: $(ms "$smax") ms (p99 $(ms "$(jnum "$ml" .stats.p99)")) | $(verdict "$fast") |
| per-user operations as fast as at $small | p50 at $big / p50 at $small: list ×$list_r, revoke-all ×$rev_r (up to ×1.25 counts as the same on this shared machine)$only_one | $(verdict "$same") |
| ≤ 400 B per session (stated for one session per user: \`bench/memory.sh\` measures that) | $perl B at $PER_USER per user, each seeded with a last access (\`#a\`), on a cluster (which keeps a slot-to-keys entry per key) | $( ((PER_USER == 1)) && verdict "$small_enough" || echo "reported" ) |

At the end of the run:

\`\`\`
$(cat "$RUN/end-state.txt")
\`\`\`

Redis commands by time spent during each monitoring phase (the sweep's claims and bookkeeping, the gauges behind
\`/metrics\` and the stats, Redisson's \`CLUSTER NODES\` refreshes, this script's INFO calls), summed over the primaries,
and error replies by phase (\`redis/\` in the run folder has every SLOWLOG, commandstats and errorstats; \`NOSCRIPT\` is
the first \`EVALSHA\` of a script on a node, after which Redisson's script cache loads it, so it appears while the
instances first use each script on each primary; \`CROSSSLOT\`, \`MOVED\` or \`ASK\` would be a bug):

EOF
  rows | while IFS= read -r r; do
    printf -- '- %s sessions: %s. Error replies: %s.\n' "$(col "$r" 1)" "$(col "$r" 25)" "$(col "$r" 26)"
  done
  cat <<EOF

<details><summary>Raw results</summary>

\`\`\`
$(cat "$RESULTS")
\`\`\`
</details>
EOF
} >"$SECTION"
if [[ ! -f "$DOC_FILE" ]] || ! grep -qF "<!-- BEGIN scale-cluster.sh -->" "$DOC_FILE"; then
  printf '\n## Scale on a Redis Cluster: 10,000,000 sessions _(generated)_\n' >>"$DOC_FILE"
fi
replace_section "$DOC_FILE" scale-cluster.sh "$SECTION"
blog "wrote $DOC_FILE (section scale-cluster.sh)"
