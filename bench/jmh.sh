#!/usr/bin/env bash
# JMH micro-benchmarks of the session layer's hot path without Redis (src/jmh/java, Maven profile "jmh"), then their
# result table into docs/performance.md (section "jmh.sh"). Extra arguments go to JMH, e.g. bench/jmh.sh -f 2 -i 5.
# Waits (up to WAIT_QUIET=300 s) for the 1-minute load average to drop below MAX_LOAD=2.0 first.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" && cd "$ROOT"
BENCH_NAME=jmh
# shellcheck source=bench/lib.sh
source "$ROOT/bench/lib.sh"
find_jdk
ARGS="${*:--f 1 -wi 3 -w 1s -i 3 -r 1s}"
OUT="$ROOT/target/bench/jmh-$(date -u +%Y%m%d-%H%M%S).txt"
mkdir -p "$(dirname "$OUT")"
wait_quiet "${MAX_LOAD:-2.0}" "${WAIT_QUIET:-300}" # MAX_LOAD / WAIT_QUIET from the environment
STARTED="$(date -u '+%Y-%m-%d %H:%M:%S UTC')" LOAD0="$(load1)"
blog "running JMH ($ARGS), output $OUT"
./mvnw -B -q -Pjmh test-compile exec:exec@jmh -Djmh.args="$ARGS" 2>&1 | grep -v '^WARNING' | tee "$OUT" >&2
grep -q '^Benchmark ' "$OUT" || bdie "no JMH result table in $OUT"
SECTION="$(mktemp)"
{
  echo "_Written by \`bench/jmh.sh\` on $STARTED: $(nproc) cores, $QUIET_NOTE before the start, load $(load1) at the end;"
  echo "$("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)._"
  echo
  echo "Command: \`./mvnw -B -Pjmh test-compile exec:exec@jmh -Djmh.args=\"$ARGS\"\` (what \`bench/jmh.sh${*:+ $*}\` runs)"
  echo
  echo '```'
  sed -n '/^Benchmark /,$p' "$OUT"
  echo '```'
} >"$SECTION"
replace_section "$ROOT/docs/performance.md" jmh.sh "$SECTION"
rm -f "$SECTION"
blog "wrote docs/performance.md (section jmh.sh)"
