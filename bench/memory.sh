#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run from traps
# Redis memory per signed-in session (not part of CI): the growth of used_memory over real sign-ins through the API,
# with one session per user and with ten per user. Writes target/bench/memory-<time>/results.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" && cd "$ROOT"
BENCH_NAME=memory

usage() {
  cat <<'EOF'
Usage: bench/memory.sh [options]
Starts its own redis-server (free port, no persistence) and the product on Payara Micro (free port, defaults), seeds
accounts straight into Redis (bench/BenchTool.java accounts-gen), then for each round signs USERS new users in once
each (curl, one after the other, with a desktop browser's User-Agent) and reports the growth of Redis' used_memory (less the memory of client connections) per
session (all keys a sign-in adds: session, index entry in the account, expiry-index entry, counts), then signs the
same users in 9 more times each and reports the growth per session at ten per user. Before each reading it waits 5 s,
so that Redis has released the idle connections' query buffers, and it also reports the growth of MEMORY STATS'
dataset (keys and values) and of the main and expires hash tables (8 bytes per slot plus an entry per key). Note that with few keys the figure jumps whenever
Redis doubles its main and expires hash tables (8 bytes per slot, allocated at once when the key count passes a power
of two): use more users (--users 1000) for a figure closer to large data sets. Only 127.0.0.1 is contacted. About
2 minutes per 100 users and round.

Options (defaults in brackets):
  --users N        users per round [100]
  --rounds N       rounds, each with its own users [3]
  --user-agent UA  User-Agent of the sign-ins [a 111-character desktop Chrome one; the session keeps 64 bytes]
  --no-build       use the existing target/redsession.war
EOF
}

USERS=100 ROUNDS=3 BUILD=1
UA="Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
while (($#)); do
  case "$1" in
    --users) USERS="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --user-agent) UA="$2"; shift ;;
    --no-build) BUILD=0 ;;
    -h | --help) usage; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done

# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
for tool in redis-server redis-cli curl awk; do command -v "$tool" >/dev/null || bdie "$tool is needed"; done
find_jdk
trap bench_cleanup EXIT; trap 'exit 130' INT; trap 'exit 143' TERM

RUN="$ROOT/target/bench/memory-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$RUN"
if ((BUILD)); then blog "building (./mvnw -B -q -DskipTests package)"; ./mvnw -B -q -DskipTests package; fi
cp target/redsession.war "$RUN/redsession.war"; cp target/payara-micro.jar "$RUN/payara-micro.jar"
prepare_tool

PASSWORD="Memory-Pw-$(head -c 9 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
export SESSION_SECRETS="$(head -c 48 /dev/urandom | base64 -w 0 | tr '+/' '-_' | tr -d '=')"
boot_redis "$RUN/redis"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
boot_payara product "$RUN/redsession.war" "$RUN/product" /health/ready 200

# used_memory without the memory of client connections (mem_clients_normal): the app's connection pool opens
# connections as load needs them, and each costs Redis some kilobytes that are not session data.
used_memory() {
  redis-cli -p "$REDIS_PORT" INFO memory | tr -d '\r' | awk -F: '$1 == "used_memory" { u = $2 } $1 == "mem_clients_normal" { c = $2 } END { print u - c }'
}
# MEMORY STATS as "name value" lines (the db.0 block flattened), for the breakdown of a growth.
memory_stats() {
  redis-cli -p "$REDIS_PORT" MEMORY STATS | awk '$0 == "db.0" { next } k == "" { k = $0; next } { print k, $0; k = "" }' |
    awk '$1 == "dataset.bytes" || $1 == "overhead.hashtable.main" || $1 == "overhead.hashtable.expires" || $1 == "keys.count" || $1 == "lua.caches" { print }
      $1 == "dataset.bytes" { d = $2 } $1 == "overhead.hashtable.main" { m = $2 } $1 == "overhead.hashtable.expires" { e = $2 }
      END { print "keyspace.total", d + m + e }'
}
breakdown() { # breakdown BEFORE AFTER N: per-session growth of each MEMORY STATS figure
  join <(sort "$1") <(sort "$2") | awk -v n="$3" '{ printf "%s %+.0f B/session; ", $1, ($3 - $2) / n }'
}
sign_in() { # sign_in USER: one sign-in through the API; fails on anything but 200
  local code
  code="$(curl -s -o /dev/null -w '%{http_code}' -A "$UA" -H 'Content-Type: application/json' \
    -d "{\"username\":\"$1\",\"password\":\"$PASSWORD\"}" "$BASE/api/auth/login")"
  [[ "$code" == 200 ]] || bdie "sign-in of $1 answered $code"
}
settle() { sleep 5; }
sign_in_all() { for u in "$@"; do sign_in "$u"; done; } # one after the other, as a stream of real users would

# Accounts with a cheap stored hash (the server checks a stored hash at the cost it carries), one prefix per round.
for ((r = 0; r < ROUNDS; r++)); do
  bench_tool accounts-gen rs: "mem$r-" "$USERS" "$PASSWORD" 1000 | redis-cli -p "$REDIS_PORT" --pipe >/dev/null
done
sign_in "mem0-00000" # warms up the scripts, connections and the first expiry-index keys; not measured
settle

{
  echo "Redis $(redis-server --version | cut -d' ' -f3 | cut -d= -f2); the product with its defaults; User-Agent (${#UA} chars): $UA"
  printf 'round\tusers\tone_per_user_B\tten_per_user_B\tkeys_after\n'
} >"$RUN/results.txt"
for ((r = 0; r < ROUNDS; r++)); do
  names=()
  for ((i = 0; i < USERS; i++)); do
    u="$(printf 'mem%d-%05d' "$r" "$i")"
    [[ "$u" == mem0-00000 ]] || names+=("$u")
  done
  n1=${#names[@]}
  m0="$(used_memory)"; memory_stats >"$RUN/stats-$r-0.txt"
  sign_in_all "${names[@]}"
  settle; m1="$(used_memory)"; memory_stats >"$RUN/stats-$r-1.txt"
  for ((k = 1; k < 10; k++)); do
    sign_in_all $(for ((i = 0; i < USERS; i++)); do printf 'mem%d-%05d\n' "$r" "$i"; done)
  done
  settle; m2="$(used_memory)"; memory_stats >"$RUN/stats-$r-2.txt"
  one=$(((m1 - m0) / n1)); ten=$(((m2 - m0) / (n1 + 9 * USERS)))
  blog "round $r: $one B per session at one per user, $ten B per session at ten per user"
  echo "round $r, one per user: $(breakdown "$RUN/stats-$r-0.txt" "$RUN/stats-$r-1.txt" "$n1")" >>"$RUN/breakdown.txt"
  echo "round $r, ten per user: $(breakdown "$RUN/stats-$r-0.txt" "$RUN/stats-$r-2.txt" "$((n1 + 9 * USERS))")" >>"$RUN/breakdown.txt"
  printf '%d\t%d\t%d\t%d\t%s\n' "$r" "$USERS" "$one" "$ten" "$(redis-cli -p "$REDIS_PORT" DBSIZE)" >>"$RUN/results.txt"
done
cat "$RUN/results.txt" "$RUN/breakdown.txt"
blog "raw results in $RUN/results.txt"
