#!/usr/bin/env bash
# shellcheck disable=SC2317 # functions run from traps
# Scale run (not part of CI): fills Redis with signed-in sessions in the product's own format (keys and cookies made
# with the product's SessionIds), then measures, with the app, GET /api/me/sessions and revoke-all for a user with 10
# sessions at each total, plus Redis memory. Writes the section "scale.sh" of docs/performance.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" && cd "$ROOT"
BENCH_NAME=scale

usage() {
  cat <<'EOF'
Usage: bench/scale.sh [options]
Starts its own redis-server (free port, no persistence) and the product on Payara Micro (free port), seeds sessions
straight into Redis (10 per user by default) up to each total in --steps, and at each total measures
GET /api/me/sessions and the admin's revoke-all (DELETE /api/admin/users/{u}/sessions) for one real user with 10
sessions, Redis memory and key counts. Only 127.0.0.1 is contacted. Takes about 5-10 minutes for 1,000,000.

Options (defaults in brackets):
  --steps LIST       comma-separated session totals to measure at [100000,1000000]
  --per-user N       sessions per seeded user [10]
  --list-n N         timed GET /api/me/sessions per step [200]
  --rounds N         revoke-all rounds per step (10 sign-ins, then one timed revoke; first 2 not counted) [22]
  --user-agent UA   User-Agent stored in the seeded sessions [a 97-character desktop Chrome one]
  --no-build         use the existing target/redsession.war and target/classes
  --no-doc           do not write docs/performance.md
EOF
}

STEPS=100000,1000000 PER_USER=10 LIST_N=200 ROUNDS=22 BUILD=1 DOC=1
UA="Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
ARGS=("$@")
while (($#)); do
  case "$1" in
    --steps) STEPS="$2"; shift ;;
    --per-user) PER_USER="$2"; shift ;;
    --list-n) LIST_N="$2"; shift ;;
    --rounds) ROUNDS="$2"; shift ;;
    --user-agent) UA="$2"; shift ;;
    --no-build) BUILD=0 ;;
    --no-doc) DOC=0 ;;
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

STARTED="$(date -u '+%Y-%m-%d %H:%M:%S UTC')" T0=$SECONDS
RUN="$ROOT/target/bench/scale-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$RUN"
if ((BUILD)); then blog "building (./mvnw -B -q -DskipTests package)"; ./mvnw -B -q -DskipTests package; fi
[[ -f target/redsession.war && -f target/payara-micro.jar ]] || bdie "target/redsession.war missing: run without --no-build"
cp target/redsession.war "$RUN/redsession.war"; cp target/payara-micro.jar "$RUN/payara-micro.jar"
prepare_tool

ADMIN_PW="Root-Pw-$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
PROBE_PW="Probe-Pw-$(head -c 9 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
SECRETS="$(head -c 48 /dev/urandom | base64 -w 0 | tr '+/' '-_' | tr -d '=')"
IDLE_MS=1800000 ABS_MS=28800000 # the defaults PT30M / PT8H, which the app runs with here
export APP_BOOTSTRAP_ADMIN_USERNAME=admin APP_BOOTSTRAP_ADMIN_PASSWORD="$ADMIN_PW" SESSION_SECRETS="$SECRETS"
export SECURITY_PASSWORD_HASH_ITERATIONS=10000 SESSION_IDLE_TIMEOUT=PT30M SESSION_ABSOLUTE_TIMEOUT=PT8H

boot_redis "$RUN/redis"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
boot_payara product "$RUN/redsession.war" "$RUN/product" /health/ready 200
bench_tool users "$BASE" admin "$ADMIN_PW" scale-probe- 1 "$PROBE_PW" 1
PROBE=scale-probe-00000

rcli() { redis-cli -p "$REDIS_PORT" "$@"; }
info_field() { rcli INFO "$1" | tr -d '\r' | sed -n "s/^$2:\(.*\)$/\1/p"; }
MEM0="$(info_field memory used_memory)"
RESULTS="$RUN/results.tsv"
printf 'sessions\tusers\tseed_s\tkeys\texpires\tused_memory\tper_session\tcheck\tprobe\n' >"$RESULTS"

seeded_users=0
IFS=, read -ra STEP_LIST <<<"$STEPS"
for total in "${STEP_LIST[@]}"; do
  users=$((total / PER_USER))
  ((users > seeded_users)) || bdie "--steps must grow"
  blog "seeding users $seeded_users..$((users - 1)) ($(((users - seeded_users) * PER_USER)) sessions) into Redis"
  t=$SECONDS
  bench_tool scale-gen "$SECRETS" rs: "$seeded_users" "$users" "$PER_USER" "$(date +%s%3N)" "$IDLE_MS" "$ABS_MS" \
    "$RUN/sample-cookies-$total.txt" "$UA" | rcli --pipe >"$RUN/pipe-$total.txt" 2>&1
  grep -q 'errors: 0,' "$RUN/pipe-$total.txt" || bdie "redis-cli --pipe reported errors: $(cat "$RUN/pipe-$total.txt")"
  seed_s=$((SECONDS - t)); seeded_users=$users
  keys="$(rcli DBSIZE)"; expires="$(info_field keyspace db0 | sed 's/.*expires=\([0-9]*\).*/\1/')"
  mem="$(info_field memory used_memory)"
  per=$(((mem - MEM0) / total))
  check="$(bench_tool check "$BASE" "$RUN/sample-cookies-$total.txt")" # seeded cookies are accepted by the app
  blog "$total sessions: $keys keys ($expires with a TTL), used_memory $mem (+$per B/session), seeded cookies accepted: $check"
  LOADS+=("$total: $(load1)")
  blog "timing GET /api/me/sessions x$LIST_N and $ROUNDS revoke-all rounds for $PROBE (10 sessions); load $(load1)"
  probe="$(bench_tool scale-probe "$BASE" admin "$ADMIN_PW" "$PROBE" "$PROBE_PW" "$LIST_N" "$ROUNDS")"
  blog "$probe"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$total" "$users" "$seed_s" "$keys" "$expires" "$mem" "$per" "$check" \
    "$probe" >>"$RESULTS"
done

# Expiry facts from a sample of the seeded data.
SAMPLE_KEY="$(rcli --scan --pattern 'rs:s:*' | grep -v ':gone$' | head -n 1 || true)"
SAMPLE_USER="$(rcli HGET "$SAMPLE_KEY" '#u')"; SAMPLE_TAG="${SAMPLE_KEY#*\{}"; SAMPLE_TAG="${SAMPLE_TAG%%\}*}"
SAMPLE_INDEX="rs:a:{$SAMPLE_TAG}$SAMPLE_USER" # the account: its fields s:<handle> are the user's session index
{
  echo "session hash  $SAMPLE_KEY: PTTL $(rcli PTTL "$SAMPLE_KEY") ms, MEMORY USAGE $(rcli MEMORY USAGE "$SAMPLE_KEY" SAMPLES 0) B, $(rcli HLEN "$SAMPLE_KEY") fields"
  echo "account+index $SAMPLE_INDEX: PTTL $(rcli PTTL "$SAMPLE_INDEX") ms, $(rcli HKEYS "$SAMPLE_INDEX" | grep -c '^s:') indexed sessions, MEMORY USAGE $(rcli MEMORY USAGE "$SAMPLE_INDEX" SAMPLES 0) B"
  echo "keys without a TTL: $(($(rcli DBSIZE) - $(info_field keyspace db0 | sed 's/.*expires=\([0-9]*\).*/\1/'))) (accounts and the 16 directory shards, which are data)"
  echo "INFO keyspace: $(info_field keyspace db0)"
  echo "commands that would grow with the number of users (none expected: the sweep reads due buckets of the expiry index):"
  rcli INFO commandstats | tr -d '\r' | grep -E '^cmdstat_(smembers|keys|scan|zcount|zremrangebyscore):' | sed 's/^/  /' || echo "  none"
  echo "  users: $(for k in $(seq 0 15); do rcli ZCARD "rs:d:{d$k}"; done | awk '{ s += $1 } END { print s }') names in the directory"
  echo "left by the probe's sign-ins and revocations: $(rcli --scan --pattern 'rs:s:*:gone' | wc -l) tombstones (PTTL of one: $(k=$(rcli --scan --pattern 'rs:s:*:gone' | head -n 1 || true); [[ -n "$k" ]] && rcli PTTL "$k" || echo -) ms), revocation markers $(rcli --scan --pattern 'rs:u:*nb' | tr '\n' ' ')(PTTL $(k=$(rcli --scan --pattern 'rs:u:*nb' | head -n 1 || true); [[ -n "$k" ]] && rcli PTTL "$k" || echo -) ms)"
} >"$RUN/expiry.txt"
cat "$RUN/expiry.txt" >&2
ELAPSED=$((SECONDS - T0))
blog "done in ${ELAPSED}s; results $RESULTS"
bench_cleanup
((DOC)) || exit 0

jnum() { sed -n "s/.*\"$2\":{[^}]*\"$3\":\([0-9.]*\).*/\1/p" <<<"$1"; }
SECTION="$RUN/section.md"
{
  cat <<EOF
_Written by \`bench/scale.sh\` on $STARTED in ${ELAPSED} s (build included): $(nproc) cores, load average before each
probe: ${LOADS[*]} (the machine was shared with other work; the probe's requests are sequential).
Redis $(redis-server --version | cut -d' ' -f3 | cut -d= -f2), no persistence; the app on Payara Micro with the default
timeouts (idle PT30M, absolute PT8H)._

Command: \`bench/scale.sh${ARGS[*]:+ ${ARGS[*]}}\`

Sessions are written straight into Redis (\`redis-cli --pipe\`) exactly as a sign-in writes them: the session hash
(\`#c #a #u #r #ip #ua #e\`, with the ${#UA}-character User-Agent \`$UA\`) with its TTL, the user's account holding
its index (fields \`s:<handle>\` → deadline), the directory entry, the expiry-index entry and the counts; ids, keys and cookies come from the product's own \`SessionIds\`
(\`bench/BenchTool.java scale-gen\`). A sample of the seeded cookies is sent to \`GET /api/me\` to show that the app
accepts them. The probe user is real: it signs in 10 times through the API before each measurement.

| total sessions | users | seeding (s) | Redis keys | keys with TTL | used_memory | per session | seeded cookies accepted | \`GET /api/me/sessions\` p50 / p99 (ms) | revoke-all p50 / max (ms) |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
EOF
  tail -n +2 "$RESULTS" | while IFS=$'\t' read -r total users seed keys expires mem per check probe; do
    printf '| %s | %s | %s | %s | %s | %s MiB | %s B | %s of %s | %s / %s (n=%s) | %s / %s (n=%s) |\n' "$total" "$users" "$seed" "$keys" "$expires" \
      "$(awk -v m="$mem" 'BEGIN { printf "%.1f", m / 1048576 }')" "$per" "${check% *}" "${check#* }" \
      "$(jnum "$probe" list p50)" "$(jnum "$probe" list p99)" "$(jnum "$probe" list n)" \
      "$(jnum "$probe" revokeAll p50)" "$(jnum "$probe" revokeAll max)" "$(jnum "$probe" revokeAll n)"
  done
  cat <<EOF

Latencies are measured by the client (\`java.net.http\`, sequential requests on 127.0.0.1), so they include HTTP
and the JAX-RS stack, not only Redis. Revoke-all is the admin's \`DELETE /api/admin/users/$PROBE/sessions\` on a user with
10 live sessions (10 fresh sign-ins before each timed call).

Expiry of the seeded data (at the end of the run):

\`\`\`
$(cat "$RUN/expiry.txt")
\`\`\`

<details><summary>Raw results</summary>

\`\`\`
$(cat "$RESULTS")
\`\`\`
</details>
EOF
} >"$SECTION"
replace_section "$ROOT/docs/performance.md" scale.sh "$SECTION"
blog "wrote docs/performance.md (section scale.sh)"
