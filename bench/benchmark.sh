#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run from traps
# Side-by-side benchmark: this product (sessions in Redis) against a baseline WAR with the same endpoints on Payara's
# in-memory container HttpSession, one after the other on this machine, with the same JVM and Payara Micro options.
# Writes its results between the benchmark.sh markers of docs/performance.md and the chart docs/perf-benchmark.svg.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" && cd "$ROOT"
BENCH_NAME=benchmark

usage() {
  cat <<'EOF'
Usage: bench/benchmark.sh [options]
Measures GET /api/me and POST /api/counter at fixed concurrency over signed-in sessions, for the product
(target/redsession.war, its own redis-server on a free port) and for the baseline (bench/baseline, Payara's
in-memory HttpSession), one at a time, and writes docs/performance.md (section "benchmark") and
docs/perf-benchmark.svg. Needs: a JDK 21+, redis-server/redis-cli, wrk, curl. Only 127.0.0.1 is contacted.

Options (defaults in brackets):
  --sessions N       signed-in sessions, one per user [1000]
  --connections N    concurrent wrk connections [32]
  --threads N        wrk threads [2]
  --duration S       measured seconds per endpoint [20]
  --warmup S         warm-up seconds per endpoint (both endpoints are warmed up first), not measured [30]
  --iterations N     PBKDF2 iterations of the seeded accounts' stored hashes (product: written into Redis, the
                     server keeps its default; baseline: its SECURITY_PASSWORD_HASH_ITERATIONS) [10000]
  --burst N          sign-in burst (product): N simultaneous sign-ins of one account (created through the API at
                     the server's default hashing cost), wave after wave, while wrk drives GET /api/me; 0 = skip [50]
  --burst-seconds S  how long the burst lasts (and wrk measures GET /api/me during it) [15]
  --war FILE         the product WAR to measure [target/redsession.war]
  --max-load L       wait until the 1-minute load average is below L before measuring [2.0]
  --wait-quiet S     ... but at most S seconds per system, then measure anyway (and say so) [600]
  --only NAME        product or baseline only (for debugging; the document is not written)
  --no-build         use the existing target/redsession.war and bench/baseline/target/baseline.war
  --no-doc           do not write docs/ (results stay in target/bench/<run>/)
  --profile          record a JFR CPU profile of Payara during each measured run (a few % overhead); the
                     inclusive top methods go to target/bench/<run>/<system>/wrk-<endpoint>-profile.txt
EOF
}

SESSIONS=1000 CONNECTIONS=32 THREADS=2 DURATION=20 WARMUP=30 ITERATIONS=10000 MAX_LOAD=2.0 WAIT_QUIET=600
BURST=50 BURST_SECONDS=15 WAR=target/redsession.war
ONLY="" BUILD=1 DOC=1 PROFILE=0
ARGS=("$@")
while (($#)); do
  case "$1" in
    --sessions) SESSIONS="$2"; shift ;;
    --connections) CONNECTIONS="$2"; shift ;;
    --threads) THREADS="$2"; shift ;;
    --duration) DURATION="$2"; shift ;;
    --warmup) WARMUP="$2"; shift ;;
    --iterations) ITERATIONS="$2"; shift ;;
    --burst) BURST="$2"; shift ;;
    --burst-seconds) BURST_SECONDS="$2"; shift ;;
    --war) WAR="$2"; shift ;;
    --max-load) MAX_LOAD="$2"; shift ;;
    --wait-quiet) WAIT_QUIET="$2"; shift ;;
    --only) ONLY="$2"; DOC=0; shift ;;
    --no-build) BUILD=0 ;;
    --no-doc) DOC=0 ;;
    --profile) PROFILE=1 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
for tool in redis-server redis-cli wrk curl awk; do
  command -v "$tool" >/dev/null || bdie "$tool is needed (Debian: apt-get install -y redis-server wrk curl)"
done
find_jdk
trap bench_cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM

STARTED="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
RUN="$ROOT/target/bench/run-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$RUN"
blog "run folder $RUN, JAVA_HOME=$JAVA_HOME"

if ((BUILD)); then
  blog "building the product (./mvnw -B -q -DskipTests package) and the baseline (./mvnw -f bench/baseline/pom.xml -B -q package)"
  ./mvnw -B -q -DskipTests package
  ./mvnw -f bench/baseline/pom.xml -B -q package
fi
[[ -f "$WAR" && -f target/payara-micro.jar && -f bench/baseline/target/baseline.war ]] \
  || bdie "WARs missing: run without --no-build"
# Own copies: others may rebuild target/ while we measure.
cp "$WAR" "$RUN/redsession.war"
cp bench/baseline/target/baseline.war "$RUN/baseline.war"
cp target/payara-micro.jar "$RUN/payara-micro.jar"
prepare_tool

ADMIN_PW="Root-Pw-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
USER_PW="Load-Pw-$(head -c 9 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
SECRETS="$(head -c 48 /dev/urandom | base64 -w 0 | tr '+/' '-_' | tr -d '=')"
export APP_BOOTSTRAP_ADMIN_USERNAME=admin APP_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PW"
export SESSION_SECRETS="$SECRETS"
declare -A R # results: R[system.key]

jget() { sed -n "s/.*\"$1\":\([^,}]*\).*/\1/p" "$2"; } # a number from a one-line JSON file

cmdstats() { # "command calls" lines of INFO commandstats
  redis-cli -p "$REDIS_PORT" INFO commandstats | tr -d '\r' | awk -F'[:,=]' '/^cmdstat_/ { sub("cmdstat_", "", $1); print $1, $3 }'
}

cmd_delta() { # cmd_delta BEFORE AFTER: "command delta" lines, biggest first, without our own INFO calls
  awk 'NR == FNR { b[$1] = $2; next } $1 != "info" && $2 - b[$1] > 0 { print $1, $2 - b[$1] }' "$1" "$2" | sort -k2,2nr
}

product_counter_sum() { # sum of a:counter over all sessions, read from Redis
  bench_tool redis-keys "$SECRETS" rs: "$1" | awk '{ print "HGET", $1, "a:counter" }' \
    | redis-cli -p "$REDIS_PORT" | awk '{ sub(/^i:/, ""); s += $1 } END { printf "%d 0\n", s }'
}

counter_sum() { # counter_sum SYSTEM SESSIONS_FILE -> "sum failed"
  if [[ "$1" == product ]]; then product_counter_sum "$2"; else bench_tool counters-http "$BASE" "$2"; fi
}

ticks() { [[ -n "$1" && -r "/proc/$1/stat" ]] && awk '{ print $14 + $15 }' "/proc/$1/stat" || echo 0; } # CPU ticks of a pid
machine_ticks() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat; }                 # busy ticks, all cores

warm_up() { # warm_up SYSTEM LABEL METHOD PATH: the same load, not measured (JIT, pools, caches)
  blog "$1 $3 $4: warm-up ${WARMUP}s"
  WRK_SESSIONS="$RUN/$1/sessions.tsv" WRK_METHOD="$3" WRK_PATH="$4" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s -s bench/wrk/sessions.lua "$BASE" >"$RUN/$1/wrk-$2-warmup.txt" 2>&1
}

# run_wrk SYSTEM LABEL METHOD PATH: the measured run; results in R[SYSTEM.LABEL.*]
run_wrk() {
  local sys="$1" label="$2" method="$3" path="$4" out="$RUN/$1/wrk-$2" sums0 sums1
  [[ "$label" == counter ]] && { sums0="$(counter_sum "$sys" "$RUN/$sys/sessions.tsv")"; R[$sys.counter.sum0]="${sums0% *}"; }
  [[ "$sys" == product ]] && cmdstats >"$out-cmd-before.txt"
  R[$sys.$label.load]="$(load1)"
  blog "$sys $method $path: measuring ${DURATION}s at $CONNECTIONS connections (load ${R[$sys.$label.load]})"
  if ((PROFILE)); then
    "$JAVA_HOME/bin/jcmd" "$PAYARA_PID" JFR.start name="$label" settings=profile duration="${DURATION}s" filename="$out.jfr" >/dev/null
  fi
  local p0 r0 m0 t0 p1 r1 m1 t1 TIMEFORMAT='%U %S'
  p0="$(ticks "$PAYARA_PID")"; r0="$(ticks "${REDIS_PID:-}")"; m0="$(machine_ticks)"; t0="$EPOCHREALTIME"
  { time WRK_SESSIONS="$RUN/$sys/sessions.tsv" WRK_METHOD="$method" WRK_PATH="$path" \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s --latency -s bench/wrk/sessions.lua "$BASE" >"$out.txt" 2>&1; } 2>"$out-wrk-cpu.txt"
  p1="$(ticks "$PAYARA_PID")"; r1="$(ticks "${REDIS_PID:-}")"; m1="$(machine_ticks)"; t1="$EPOCHREALTIME"
  if [[ "$sys" == product ]]; then
    cmdstats >"$out-cmd-after.txt"
    cmd_delta "$out-cmd-before.txt" "$out-cmd-after.txt" >"$out-cmd-delta.txt"
  fi
  grep '^WRKRESULT ' "$out.txt" | sed 's/^WRKRESULT //' >"$out.json" || bdie "wrk printed no result: $out.txt"
  local k
  for k in requests rps sent ok non2xx s401 s403 s5xx p50_us p90_us p99_us max_us connect_errors read_errors write_errors timeouts; do
    R[$sys.$label.$k]="$(jget "$k" "$out.json")"
  done
  if [[ "$sys" == product ]]; then
    R[$sys.$label.rt]="$(awk '$1 ~ /^(evalsha|evalsha_ro|eval|eval_ro|fcall|fcall_ro)$/ { s += $2 } END { print s + 0 }' "$out-cmd-delta.txt")"
    R[$sys.$label.all]="$(awk '{ s += $2 } END { print s + 0 }' "$out-cmd-delta.txt")"
  fi
  # CPU per request sent (µs) of Payara, redis-server and wrk, and what the rest of the machine used meanwhile.
  local hz sent w
  hz="$(getconf CLK_TCK)"; sent="${R[$sys.$label.sent]}"; w="$(awk '{ print $1 + $2 }' "$out-wrk-cpu.txt")"
  R[$sys.$label.cpu_payara]="$(awk -v t=$((p1 - p0)) -v hz="$hz" -v n="$sent" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }')"
  R[$sys.$label.cpu_redis]="$(awk -v t=$((r1 - r0)) -v hz="$hz" -v n="$sent" 'BEGIN { printf "%.0f", t * 1e6 / hz / n }')"
  R[$sys.$label.cpu_wrk]="$(awk -v s="$w" -v n="$sent" 'BEGIN { printf "%.0f", s * 1e6 / n }')"
  R[$sys.$label.cpu_machine]="$(awk -v t=$((m1 - m0)) -v hz="$hz" -v c="$(nproc)" -v d="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" 'BEGIN { printf "%.0f", 100 * t / hz / c / d }')"
  R[$sys.$label.cpu_others]="$(awk -v t=$((m1 - m0 - (p1 - p0) - (r1 - r0))) -v w="$w" -v hz="$hz" -v c="$(nproc)" -v d="$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" \
    'BEGIN { o = 100 * (t / hz - w) / c / d; printf "%.0f", o < 0 ? 0 : o }')"
  if ((PROFILE)); then
    local i
    for ((i = 0; i < 30; i++)); do [[ -s "$out.jfr" ]] && break; sleep 1; done
    "$JAVA_HOME/bin/jfr" print --stack-depth 256 --events jdk.ExecutionSample "$out.jfr" | awk -f bench/jfr-inclusive.awk >"$out-profile.txt" || true
  fi
  if [[ "$label" == counter ]]; then
    sums1="$(counter_sum "$sys" "$RUN/$sys/sessions.tsv")"
    R[$sys.counter.sum1]="${sums1% *}"
    R[$sys.counter.readfail]="${sums1#* }"
  fi
}

CHROME_UA="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"

# whatif LABEL KEYNAME [FIELD=VALUE...]: copies the hash of $key (the sample session) with fields changed (an empty
# value drops the field) to a scratch key named like KEYNAME but in "rs:w:", prints its MEMORY USAGE, deletes it.
whatif() {
  local label="$1" name="rs:w:${2#rs:s:}" f v kv
  local -A fields=()
  local -a args=()
  shift 2
  while IFS=$'\t' read -r f v; do fields[$f]="$v"; done < <(redis-cli -p "$REDIS_PORT" --raw HGETALL "$key" | paste - -)
  for kv in "$@"; do f="${kv%%=*}"; v="${kv#*=}"; if [[ -z "$v" ]]; then unset "fields[$f]"; else fields[$f]="$v"; fi; done
  for f in "${!fields[@]}"; do args+=("$f" "${fields[$f]}"); done
  redis-cli -p "$REDIS_PORT" HSET "$name" "${args[@]}" >/dev/null
  printf '  %-60s %4s B (%s)\n' "$label" "$(redis-cli -p "$REDIS_PORT" MEMORY USAGE "$name" SAMPLES 0)" \
    "$(redis-cli -p "$REDIS_PORT" OBJECT ENCODING "$name")"
  redis-cli -p "$REDIS_PORT" DEL "$name" >/dev/null
}

tracked_keys() { # keys Redis tracks for the near caches' invalidations (CLIENT TRACKING)
  redis-cli -p "$REDIS_PORT" INFO stats | tr -d '\r' | awk -F: '$1 == "tracking_total_keys" { print $2 + 0 }'
}

session_anatomy() { # what one signed-in session costs in Redis (product)
  local key user tag index
  key="$(head -n 1 "$RUN/product/sessions.tsv" >"$RUN/product/one.tsv" && bench_tool redis-keys "$SECRETS" rs: "$RUN/product/one.tsv")"
  user="$(redis-cli -p "$REDIS_PORT" HGET "$key" '#u')"
  tag="${key#*\{}"; tag="${tag%%\}*}"
  index="rs:a:{$tag}$user" # the account: its fields s:<handle> are the user's session index
  {
    echo "session key: $key"
    echo "HGETALL (field = value, bytes of name+value):"
    redis-cli -p "$REDIS_PORT" --raw HGETALL "$key" | paste - - | awk -F'\t' '{ printf "  %-4s = %-70s %4d\n", $1, substr($2, 1, 70), length($1) + length($2); t += length($1) + length($2) }
          END { printf "  field names + values: %d bytes\n", t }'
    echo "OBJECT ENCODING: $(redis-cli -p "$REDIS_PORT" OBJECT ENCODING "$key"), PTTL: $(redis-cli -p "$REDIS_PORT" PTTL "$key") ms"
    echo "MEMORY USAGE session hash: $(redis-cli -p "$REDIS_PORT" MEMORY USAGE "$key" SAMPLES 0) bytes (key name ${#key} chars)"
    echo "account (holds the index): $index, $(redis-cli -p "$REDIS_PORT" HKEYS "$index" | grep -c '^s:') index entries of $(redis-cli -p "$REDIS_PORT" HLEN "$index") fields, encoding $(redis-cli -p "$REDIS_PORT" OBJECT ENCODING "$index")"
    echo "MEMORY USAGE account hash: $(redis-cli -p "$REDIS_PORT" MEMORY USAGE "$index" SAMPLES 0) bytes (key name ${#index} chars)"
    echo
    echo "What-if: MEMORY USAGE of a scratch copy of this session hash (key of the same length, deleted right after):"
    whatif "as stored" "$key"
    whatif "#ua = a 111-character desktop Chrome User-Agent" "$key" "#ua=$CHROME_UA"
    whatif "#ua = that User-Agent cut to 64 bytes" "$key" "#ua=${CHROME_UA:0:64}"
    whatif "without #a (last access derived from #e)" "$key" "#a="
  } >"$RUN/product/anatomy.txt"
  R[product.mem.hash]="$(redis-cli -p "$REDIS_PORT" MEMORY USAGE "$key" SAMPLES 0)"
  R[product.mem.index]="$(redis-cli -p "$REDIS_PORT" MEMORY USAGE "$index" SAMPLES 0)"
}

mstat() { awk -v k="$1" 'p == k { print; exit } { p = $0 }' "$RUN/product/memory-stats-$2.txt"; } # MEMORY STATS field
used_memory() { redis-cli -p "$REDIS_PORT" INFO memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)$/\1/p'; }

# burst: N simultaneous sign-ins, wave after wave for BURST_SECONDS, while wrk drives GET /api/me as in the measured run
burst() {
  local out="$RUN/product/burst"
  blog "product: sign-in burst ($BURST at once, ${BURST_SECONDS}s) during GET /api/me at $CONNECTIONS connections (load $(load1))"
  R[product.burst.load]="$(load1)"
  WRK_SESSIONS="$RUN/product/sessions.tsv" WRK_METHOD=GET WRK_PATH=/api/me \
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${BURST_SECONDS}s" --timeout 10s --latency -s bench/wrk/sessions.lua "$BASE" \
    >"$out-wrk.txt" 2>&1 &
  local wrk_pid=$!
  bench_tool burst "$BASE" admin "$ADMIN_PW" burst-user "Burst-Pw-$SECRETS" "$BURST" "$BURST_SECONDS" >"$out.json" \
    || bdie "the burst failed: see $out.json"
  wait "$wrk_pid"
  grep '^WRKRESULT ' "$out-wrk.txt" | sed 's/^WRKRESULT //' >"$out-wrk.json" || bdie "wrk printed no result: $out-wrk.txt"
  local k
  for k in rps non2xx s5xx p50_us p99_us max_us; do R[product.burst.me_$k]="$(jget "$k" "$out-wrk.json")"; done
  R[product.burst.signins]="$(jget signins "$out.json")"
  R[product.burst.waves]="$(jget waves "$out.json")"
  R[product.burst.left]="$(jget sessionsLeft "$out.json")"
  R[product.burst.outcomes]="$(sed -n 's/.*"outcomes":{\([^}]*\)}.*/\1/p' "$out.json")"
  R[product.burst.ok]="$(sed -n 's/.*"200":\([0-9]*\).*/\1/p' "$out.json")"
  R[product.burst.p50]="$(sed -n 's/.*"latency":{[^}]*"p50":\([0-9.]*\).*/\1/p' "$out.json")"
  R[product.burst.p99]="$(sed -n 's/.*"latency":{[^}]*"p99":\([0-9.]*\).*/\1/p' "$out.json")"
  R[product.burst.max]="$(sed -n 's/.*"latency":{[^}]*"max":\([0-9.]*\).*/\1/p' "$out.json")"
}

measure() { # measure SYSTEM
  local sys="$1" war m0 m1 k0 k1
  mkdir -p "$RUN/$sys"
  ((PROFILE)) && export JAVA_OPTS="${JAVA_OPTS:-} -XX:+UnlockDiagnosticVMOptions -XX:+DebugNonSafepoints"
  if [[ "$sys" == product ]]; then
    boot_redis "$RUN/product/redis"
    export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
    war="$RUN/redsession.war"
    # The product runs its defaults; only the seeded accounts' stored hashes are cheaper (see --iterations).
    unset SECURITY_PASSWORD_HASH_ITERATIONS
  else
    war="$RUN/baseline.war"
    export SECURITY_PASSWORD_HASH_ITERATIONS="$ITERATIONS"
  fi
  boot_payara "$sys" "$war" "$RUN/$sys" /api/me 401
  R[$sys.command]="$PAYARA_COMMAND"
  [[ "$sys" == product ]] && wait_http "$BASE/health/ready" 200 60
  blog "$sys ready at $BASE; creating $SESSIONS users"
  if [[ "$sys" == product ]]; then
    bench_tool accounts-gen rs: bench-user- "$SESSIONS" "$USER_PW" "$ITERATIONS" | redis-cli -p "$REDIS_PORT" --pipe >/dev/null
  else
    bench_tool users "$BASE" admin "$ADMIN_PW" bench-user- "$SESSIONS" "$USER_PW" 8
  fi
  if [[ "$sys" == product ]]; then
    m0="$(used_memory)"; k0="$(redis-cli -p "$REDIS_PORT" DBSIZE)"
    redis-cli -p "$REDIS_PORT" --raw MEMORY STATS >"$RUN/product/memory-stats-before.txt"
  fi
  blog "$sys: signing in $SESSIONS sessions"
  bench_tool signin "$BASE" bench-user- "$SESSIONS" 1 "$USER_PW" "$RUN/$sys/sessions.tsv" 8
  if [[ "$sys" == product ]]; then
    m1="$(used_memory)"; k1="$(redis-cli -p "$REDIS_PORT" DBSIZE)"
    redis-cli -p "$REDIS_PORT" --raw MEMORY STATS >"$RUN/product/memory-stats-after.txt"
    for k in dataset.bytes overhead.hashtable.main overhead.hashtable.expires clients.normal lua.caches; do
      R[product.mem.$k]=$(($(mstat "$k" after) - $(mstat "$k" before)))
    done
    R[product.mem.before]="$m0"; R[product.mem.after]="$m1"; R[product.mem.keys]="$((k1 - k0))"
    R[product.mem.per]="$(((m1 - m0) / SESSIONS))"
    R[product.mem.tracked]="$(tracked_keys)"
    session_anatomy
  fi
  wait_quiet "$MAX_LOAD" "$WAIT_QUIET"
  R[$sys.quiet]="$QUIET_NOTE"
  warm_up "$sys" me GET /api/me
  warm_up "$sys" counter POST /api/counter
  run_wrk "$sys" me GET /api/me
  run_wrk "$sys" counter POST /api/counter
  [[ "$sys" == product ]] && ((BURST > 0)) && burst
  stop_pid "$PAYARA_PID" "Payara Micro ($sys)" 30; forget_pid "$PAYARA_PID"
  if [[ "$sys" == product ]]; then stop_pid "$REDIS_PID" redis-server 15; forget_pid "$REDIS_PID"; REDIS_PID=""; fi
}

for sys in product baseline; do
  [[ -z "$ONLY" || "$ONLY" == "$sys" ]] || continue
  measure "$sys"
done

{
  for key in "${!R[@]}"; do printf '%s=%s\n' "$key" "${R[$key]}"; done | sort
} >"$RUN/results.txt"
blog "raw results: $RUN/results.txt"
((DOC)) || { cat "$RUN/results.txt"; exit 0; }

# ---- the document -----------------------------------------------------------------------------------------------

ms() { awk -v u="$1" 'BEGIN { printf "%.2f", u / 1000 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.0f%%", 100 * a / b }'; }
per() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }
verdict() { awk -v ok="$1" 'BEGIN { print (ok ? "**met**" : "**missed**") }'; }

for sys in product baseline; do
  for l in me counter; do
    R[$sys.$l.p50]="$(ms "${R[$sys.$l.p50_us]}")"; R[$sys.$l.p99]="$(ms "${R[$sys.$l.p99_us]}")"
  done
  R[$sys.counter.inc]="$((R[$sys.counter.sum1] - R[$sys.counter.sum0]))"
  # lost: fewer increments in the store than 2xx answers wrk read; "in flight": requests wrk sent but whose answer it
  # did not read before it stopped (the server may still have applied them), so ok <= increase <= sent is correct.
  R[$sys.counter.lost]="$((R[$sys.counter.ok] > R[$sys.counter.inc] ? R[$sys.counter.ok] - R[$sys.counter.inc] : 0))"
  R[$sys.counter.extra]="$((R[$sys.counter.inc] - R[$sys.counter.ok]))"
done

# Per request = per request sent (answered, or in flight when wrk stopped and possibly still served).
ME_RT="$(per "${R[product.me.rt]}" "${R[product.me.sent]}")"; ME_ALL="$(per "${R[product.me.all]}" "${R[product.me.sent]}")"
CO_RT="$(per "${R[product.counter.rt]}" "${R[product.counter.sent]}")"; CO_ALL="$(per "${R[product.counter.all]}" "${R[product.counter.sent]}")"
div() { echo $(($1 / $2)); }
errs() { # errs SYSTEM LABEL: "non2xx (401, 403, 5xx) / socket errors"
  local p="$1.$2"
  echo "${R[$p.non2xx]} (${R[$p.s401]}, ${R[$p.s403]}, ${R[$p.s5xx]}) / $((R[$p.connect_errors] + R[$p.read_errors] + R[$p.write_errors] + R[$p.timeouts]))"
}
check() { awk "BEGIN { exit !($1) }" && echo 1 || echo 0; }

: >"$RUN/profile-section.md"
if ((PROFILE)); then
  {
    echo "<details><summary>JFR CPU profile of Payara (--profile): methods by share of CPU samples containing them, java.* left out</summary>"
    echo
    for sys in product baseline; do for l in me counter; do
      echo "$sys, $l:"; echo; echo '```'
      { grep -v '% java\.\|% jdk\.internal\|sampledThread' "$RUN/$sys/wrk-$l-profile.txt" | head -n 45; } || true
      echo '```'; echo
    done; done
    echo "</details>"
    echo
  } >"$RUN/profile-section.md"
fi
BURST_SECTION="" BURST_TARGETS=""
if [[ -n "${R[product.burst.signins]:-}" ]]; then
  B503="$(awk -v o="${R[product.burst.outcomes]}" 'BEGIN { n = split(o, a, ","); s = 0; for (i = 1; i <= n; i++) if (a[i] ~ /^"503/) { sub(/.*:/, "", a[i]); s += a[i] } print s }')"
  BURST_TARGETS="| sign-in burst: no 503 | ${B503} of ${R[product.burst.signins]} sign-ins answered 503 | $(verdict "$(check "$B503 == 0")") |
| sign-in burst: exactly the per-user limit left | ${R[product.burst.left]} live sessions of the burst account (limit: 10, \`session.max-per-user\`) | $(verdict "$(check "${R[product.burst.left]} == 10")") |
| sign-in burst: \`GET /api/me\` p99 ≤ 3× quiet | $(ms "${R[product.burst.me_p99_us]}") ms during the burst, $(ms "${R[product.me.p99_us]}") ms quiet: $(ratio "${R[product.burst.me_p99_us]}" "${R[product.me.p99_us]}")× | $(verdict "$(check "${R[product.burst.me_p99_us]} <= 3 * ${R[product.me.p99_us]}")") |"
  BURST_SECTION="### Sign-in burst _(product)_

While wrk drives \`GET /api/me\` as in the measured run ($CONNECTIONS connections, ${BURST_SECONDS} s), \`BenchTool burst\` sends
waves of $BURST simultaneous sign-ins of one account (created through the API, so hashed at the server's default
210,000 PBKDF2 iterations), each wave as soon as the previous one is answered: ${R[product.burst.waves]} waves,
${R[product.burst.signins]} sign-ins (load average ${R[product.burst.load]} at the start).

| | during the burst | quiet (measured run above) |
|---|---:|---:|
| \`GET /api/me\` requests/s | ${R[product.burst.me_rps]} | ${R[product.me.rps]} |
| \`GET /api/me\` p50 / p99 / max (ms) | $(ms "${R[product.burst.me_p50_us]}") / $(ms "${R[product.burst.me_p99_us]}") / $(ms "${R[product.burst.me_max_us]}") | $(ms "${R[product.me.p50_us]}") / $(ms "${R[product.me.p99_us]}") / $(ms "${R[product.me.max_us]}") |
| \`GET /api/me\` non-2xx answers (5xx) | ${R[product.burst.me_non2xx]} (${R[product.burst.me_s5xx]}) | ${R[product.me.non2xx]} (${R[product.me.s5xx]}) |
| sign-in answers by status and error code | ${R[product.burst.outcomes]} | |
| sign-in latency p50 / p99 / max (ms) | ${R[product.burst.p50]} / ${R[product.burst.p99]} / ${R[product.burst.max]} | |
| live sessions of the burst account afterwards | ${R[product.burst.left]} | |
"
fi
DOCTMP="$RUN/section.md"
{
  cat <<EOF
_Written by \`bench/benchmark.sh\` on $STARTED; raw output in \`target/bench/$(basename "$RUN")/\`._

**Machine:** $(nproc) cores ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -n 1)), $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, $(uname -sr).
Load average before measuring (after seeding): product ${R[product.quiet]}; baseline ${R[baseline.quiet]}. wrk,
Payara Micro and (for the product) redis-server share the same $(nproc) cores. During a run the 1-minute load average
counts our own runnable threads too (Payara has 8 HTTP threads per core), so it rises well above 2 by itself; the row
"machine busy ... of which other processes" (from \`/proc/stat\` minus the CPU time of Payara, redis-server and wrk)
tells how much of the machine other work took while we measured.

**Versions:** Payara Micro $(sed -n 's:.*<payara.version>\(.*\)</payara.version>.*:\1:p' pom.xml), $("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1), $(redis-server --version | cut -d' ' -f1-3), $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2), Redisson $(sed -n 's:.*<redisson.version>\(.*\)</redisson.version>.*:\1:p' pom.xml).

**Setup:** both servers run exactly what \`bin/run\` and the Docker image start (\`payara-config/payara-micro.sh\`, no
benchmark-only settings); the product on its own \`redis-server\` (no persistence: \`--save "" --appendonly no\`), the
baseline (\`bench/baseline\`) on Payara's in-memory \`HttpSession\`. Product: \`${R[product.command]}\`. Baseline:
\`${R[baseline.command]}\`. $SESSIONS users, each signed in once ($SESSIONS sessions) through \`POST /api/auth/login\`; the
product's accounts are written into Redis as \`POST /api/admin/users\` stores them, with a stored PBKDF2 hash of
$ITERATIONS iterations so seeding takes seconds (the server keeps its default of 210,000 for anything it hashes,
e.g. the burst account), the baseline's are created through its API with that iteration count. Then ${WARMUP} s of
warm-up on each endpoint (the JIT needs about a minute of this load), and ${DURATION} s measured per endpoint with
\`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --timeout 10s --latency -s bench/wrk/sessions.lua\`, each request on a random
one of the $SESSIONS cookies (POSTs with that session's \`X-CSRF-Token\`).

Command: \`bench/benchmark.sh${ARGS[*]:+ ${ARGS[*]}}\`

![requests per second and latency, product vs baseline](perf-benchmark.svg)

| | product (Redis) | baseline (in-memory) | product / baseline |
|---|---:|---:|---:|
| \`GET /api/me\` requests/s | ${R[product.me.rps]} | ${R[baseline.me.rps]} | $(pct "${R[product.me.rps]}" "${R[baseline.me.rps]}") |
| \`GET /api/me\` p50 latency (ms) | ${R[product.me.p50]} | ${R[baseline.me.p50]} | $(ratio "${R[product.me.p50_us]}" "${R[baseline.me.p50_us]}")× |
| \`GET /api/me\` p99 latency (ms) | ${R[product.me.p99]} | ${R[baseline.me.p99]} | $(ratio "${R[product.me.p99_us]}" "${R[baseline.me.p99_us]}")× |
| \`POST /api/counter\` requests/s | ${R[product.counter.rps]} | ${R[baseline.counter.rps]} | $(pct "${R[product.counter.rps]}" "${R[baseline.counter.rps]}") |
| \`POST /api/counter\` p50 latency (ms) | ${R[product.counter.p50]} | ${R[baseline.counter.p50]} | $(ratio "${R[product.counter.p50_us]}" "${R[baseline.counter.p50_us]}")× |
| \`POST /api/counter\` p99 latency (ms) | ${R[product.counter.p99]} | ${R[baseline.counter.p99]} | $(ratio "${R[product.counter.p99_us]}" "${R[baseline.counter.p99_us]}")× |
| Redis round trips per \`GET /api/me\` (EVALSHA*/EVAL*) | $ME_RT | – | |
| Redis commands per \`GET /api/me\`, all (incl. inside scripts) | $ME_ALL | – | |
| Redis round trips per \`POST /api/counter\` | $CO_RT | – | |
| Redis commands per \`POST /api/counter\`, all | $CO_ALL | – | |
| counter: 2xx answers read by wrk | ${R[product.counter.ok]} | ${R[baseline.counter.ok]} | |
| counter: increase of the sum of all sessions' counters | ${R[product.counter.inc]} | ${R[baseline.counter.inc]} | |
| counter: requests sent (answered or in flight at the stop) | ${R[product.counter.sent]} | ${R[baseline.counter.sent]} | |
| **lost counter updates** (2xx answers minus increase, if positive) | **${R[product.counter.lost]}** | **${R[baseline.counter.lost]}** | |
| non-2xx answers (401, 403, 5xx) / socket errors: me; counter | $(errs product me); $(errs product counter) | $(errs baseline me); $(errs baseline counter) | |
| load average at the start of the measured runs (me; counter) | ${R[product.me.load]}; ${R[product.counter.load]} | ${R[baseline.me.load]}; ${R[baseline.counter.load]} | |
| CPU per \`GET /api/me\` (µs): Payara / redis-server / wrk | ${R[product.me.cpu_payara]} / ${R[product.me.cpu_redis]} / ${R[product.me.cpu_wrk]} | ${R[baseline.me.cpu_payara]} / – / ${R[baseline.me.cpu_wrk]} | $(ratio "${R[product.me.cpu_payara]}" "${R[baseline.me.cpu_payara]}")× (Payara) |
| CPU per \`POST /api/counter\` (µs): Payara / redis-server / wrk | ${R[product.counter.cpu_payara]} / ${R[product.counter.cpu_redis]} / ${R[product.counter.cpu_wrk]} | ${R[baseline.counter.cpu_payara]} / – / ${R[baseline.counter.cpu_wrk]} | $(ratio "${R[product.counter.cpu_payara]}" "${R[baseline.counter.cpu_payara]}")× (Payara) |
| machine busy during the run; of which other processes (me; counter) | ${R[product.me.cpu_machine]}%, ${R[product.me.cpu_others]}%; ${R[product.counter.cpu_machine]}%, ${R[product.counter.cpu_others]}% | ${R[baseline.me.cpu_machine]}%, ${R[baseline.me.cpu_others]}%; ${R[baseline.counter.cpu_machine]}%, ${R[baseline.counter.cpu_others]}% | |
| Redis memory per signed-in session (all keys) | ${R[product.mem.per]} B | – | |

Redis memory: \`used_memory\` went from ${R[product.mem.before]} to ${R[product.mem.after]} bytes while $SESSIONS sessions
were signed in (the accounts already existed; ${R[product.mem.keys]} keys were added: session hashes and per-user
indexes), i.e. **${R[product.mem.per]} bytes per session**, one session per user; Redis then tracked
${R[product.mem.tracked]:-?} keys for the near caches' invalidations (\`tracking_total_keys\`). \`MEMORY USAGE\` of one session hash:
${R[product.mem.hash]} bytes; of its user's index (one entry): ${R[product.mem.index]} bytes. Where the
\`used_memory\` growth went (\`MEMORY STATS\` deltas, bytes per session): data $(div "${R[product.mem.dataset.bytes]}" "$SESSIONS")
(keys and values as allocated, i.e. with the allocator's size classes, which \`MEMORY USAGE\` does not count), main
hash table $(div "${R[product.mem.overhead.hashtable.main]}" "$SESSIONS"), expires table $(div "${R[product.mem.overhead.hashtable.expires]}" "$SESSIONS"),
client buffers $(div "${R[product.mem.clients.normal]}" "$SESSIONS") (connections of the app's pool that the parallel sign-ins opened or grew).

The lost-update check: wrk counts the 2xx answers it read (a lower bound of the increments the server applied) and the
requests it sent (an upper bound: when wrk stops, up to $CONNECTIONS requests are still in flight and may be applied);
the counters are read back from every session before and after the measured run (product: \`HGET <key> a:counter\` in
Redis, keys computed with the product's \`SessionIds\`; baseline: \`GET /api/session\`). Correct means
answers ≤ increase ≤ sent; "lost" counts answers missing from the stored counters.

### Targets

| target | measured | result |
|---|---|---|
| ≤ 1 Redis command per \`GET /api/me\` | $ME_RT round trips ($ME_ALL incl. commands inside the script) | $(verdict "$(check "$ME_RT <= 1.005")") round trips; $(verdict "$(check "$ME_ALL <= 1.005")") counting script-internal commands |
| ≤ 2 Redis commands per \`POST /api/counter\` | $CO_RT round trips ($CO_ALL incl. commands inside the scripts) | $(verdict "$(check "$CO_RT <= 2.005")") round trips; $(verdict "$(check "$CO_ALL <= 2.005")") counting script-internal commands |
| zero lost updates | ${R[product.counter.lost]} lost (baseline: ${R[baseline.counter.lost]}) | $(verdict "$(check "${R[product.counter.lost]} == 0")") |
| throughput ≥ 60% of baseline, \`GET /api/me\` | $(pct "${R[product.me.rps]}" "${R[baseline.me.rps]}") | $(verdict "$(check "${R[product.me.rps]} >= 0.6 * ${R[baseline.me.rps]}")") |
| throughput ≥ 60% of baseline, \`POST /api/counter\` | $(pct "${R[product.counter.rps]}" "${R[baseline.counter.rps]}") | $(verdict "$(check "${R[product.counter.rps]} >= 0.6 * ${R[baseline.counter.rps]}")") |
| p99 ≤ 2× baseline, \`GET /api/me\` | $(ratio "${R[product.me.p99_us]}" "${R[baseline.me.p99_us]}")× | $(verdict "$(check "${R[product.me.p99_us]} <= 2 * ${R[baseline.me.p99_us]}")") |
| p99 ≤ 2× baseline, \`POST /api/counter\` | $(ratio "${R[product.counter.p99_us]}" "${R[baseline.counter.p99_us]}")× | $(verdict "$(check "${R[product.counter.p99_us]} <= 2 * ${R[baseline.counter.p99_us]}")") |
| ≤ 400 bytes of Redis per signed-in session | ${R[product.mem.per]} B ($(pct "${R[product.mem.per]}" 400) of the budget) | $(verdict "$(check "${R[product.mem.per]} <= 400")") |
$BURST_TARGETS

$BURST_SECTION
<details><summary>Redis commands during the measured runs (INFO commandstats deltas; commands run inside scripts are counted too)</summary>

\`GET /api/me\` (${R[product.me.requests]} requests):

\`\`\`
$(cat "$RUN/product/wrk-me-cmd-delta.txt")
\`\`\`

\`POST /api/counter\` (${R[product.counter.requests]} requests):

\`\`\`
$(cat "$RUN/product/wrk-counter-cmd-delta.txt")
\`\`\`
</details>

<details><summary>One signed-in session in Redis (product)</summary>

\`\`\`
$(cat "$RUN/product/anatomy.txt")
\`\`\`
</details>

$(cat "$RUN/profile-section.md")
<details><summary>wrk output</summary>

\`\`\`
$(for sys in product baseline; do for l in me counter; do echo "== $sys $l"; grep -v '^WRKRESULT' "$RUN/$sys/wrk-$l.txt"; done; done)
\`\`\`
</details>
EOF
} >"$DOCTMP"

# ---- the chart (SVG, drawn here) ------------------------------------------------------------------------------------
awk -v me_p="${R[product.me.rps]}" -v me_b="${R[baseline.me.rps]}" -v co_p="${R[product.counter.rps]}" \
  -v co_b="${R[baseline.counter.rps]}" -v l1p="${R[product.me.p50]}" -v l1b="${R[baseline.me.p50]}" \
  -v l2p="${R[product.me.p99]}" -v l2b="${R[baseline.me.p99]}" -v l3p="${R[product.counter.p50]}" \
  -v l3b="${R[baseline.counter.p50]}" -v l4p="${R[product.counter.p99]}" -v l4b="${R[baseline.counter.p99]}" \
  -v date="$STARTED" -v conns="$CONNECTIONS" -v n="$SESSIONS" '
function bar(x, y0, h, w, color, label) {
  printf "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"/>\n", x, y0 - h, w, h, color
  printf "<text x=\"%.1f\" y=\"%.1f\" font-size=\"11\" text-anchor=\"middle\">%s</text>\n", x + w / 2, y0 - h - 4, label
}
function panel(x0, title, unit, k, labels, pv, bv,   i, max, y0, H, gw, s) {
  y0 = 330; H = 240; max = 0
  for (i = 1; i <= k; i++) { if (pv[i] > max) max = pv[i]; if (bv[i] > max) max = bv[i] }
  if (max <= 0) max = 1
  printf "<text x=\"%d\" y=\"50\" font-size=\"15\" font-weight=\"bold\">%s</text>\n", x0, title
  printf "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", x0, y0, x0 + 400, y0
  gw = 400 / k
  for (i = 1; i <= k; i++) {
    s = x0 + (i - 1) * gw + gw * 0.15
    bar(s, y0, H * pv[i] / max, gw * 0.33, "#c0392b", sprintf(unit, pv[i]))
    bar(s + gw * 0.35, y0, H * bv[i] / max, gw * 0.33, "#7f8c8d", sprintf(unit, bv[i]))
    printf "<text x=\"%.1f\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%s</text>\n", x0 + (i - 0.5) * gw, y0 + 18, labels[i]
  }
}
BEGIN {
  print "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"960\" height=\"420\" font-family=\"sans-serif\">"
  print "<rect width=\"960\" height=\"420\" fill=\"white\"/>"
  printf "<text x=\"20\" y=\"24\" font-size=\"13\">bench/benchmark.sh, %s: %d connections over %d signed-in sessions</text>\n", date, conns, n
  split("GET /api/me|POST /api/counter", L1, "|"); P1[1] = me_p; P1[2] = co_p; B1[1] = me_b; B1[2] = co_b
  panel(30, "requests per second (higher is better)", "%.0f", 2, L1, P1, B1)
  split("me p50|me p99|counter p50|counter p99", L2, "|")
  P2[1] = l1p; P2[2] = l2p; P2[3] = l3p; P2[4] = l4p; B2[1] = l1b; B2[2] = l2b; B2[3] = l3b; B2[4] = l4b
  panel(520, "latency in ms (lower is better)", "%.1f", 4, L2, P2, B2)
  print "<rect x=\"30\" y=\"380\" width=\"14\" height=\"14\" fill=\"#c0392b\"/><text x=\"50\" y=\"392\" font-size=\"12\">product: sessions in Redis</text>"
  print "<rect x=\"250\" y=\"380\" width=\"14\" height=\"14\" fill=\"#7f8c8d\"/><text x=\"270\" y=\"392\" font-size=\"12\">baseline: Payara in-memory HttpSession</text>"
  print "</svg>"
}' >"$ROOT/docs/perf-benchmark.svg"

replace_section "$ROOT/docs/performance.md" benchmark.sh "$DOCTMP"
blog "wrote docs/performance.md (section benchmark.sh) and docs/perf-benchmark.svg"
