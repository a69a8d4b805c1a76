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
STARTED="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
# Compile with the profile, then run JMH from private copies of the classes: others may rebuild or clean target/
# while the benchmarks run (the Maven goal exec:exec@jmh does the same in one step, reading target/ directly).
WORK="${OUT%.txt}"
mkdir -p "$WORK"
blog "compiling (./mvnw -B -q -Pjmh test-compile dependency:build-classpath)"
./mvnw -B -q -Pjmh test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$WORK/cp.txt" 2>&1 \
  | { grep -v '^WARNING' || true; } >&2
cp -r target/classes "$WORK/classes" && cp -r target/test-classes "$WORK/test-classes"
[[ -f "$WORK/test-classes/META-INF/BenchmarkList" ]] || bdie "no JMH BenchmarkList in target/test-classes (was target/ cleaned meanwhile? run again)"
blog "running JMH ($ARGS), output $OUT"
# shellcheck disable=SC2086 # ARGS are JMH's words
"$JAVA_HOME/bin/java" -cp "$WORK/test-classes:$WORK/classes:$(cat "$WORK/cp.txt")" org.openjdk.jmh.Main $ARGS 2>&1 \
  | tee "$OUT" >&2
grep -q '^Benchmark ' "$OUT" || bdie "no JMH result table in $OUT"
grep -q 'ClassNotFoundException\|<failure>' "$OUT" && bdie "some benchmarks failed: see $OUT"
SECTION="$(mktemp)"
{
  echo "_Written by \`bench/jmh.sh\` on $STARTED: $(nproc) cores, $QUIET_NOTE before the start, load $(load1) at the end;"
  echo "$("$JAVA_HOME/bin/java" -version 2>&1 | head -n 1)._"
  echo
  echo "Command: \`bench/jmh.sh${*:+ $*}\`: JMH with \`$ARGS\` on the classes built by \`./mvnw -B -Pjmh test-compile\`"
  echo "(the same as \`./mvnw -B -Pjmh test-compile exec:exec@jmh -Djmh.args=\"$ARGS\"\`)."
  echo
  echo '```'
  sed -n '/^Benchmark /,$p' "$OUT"
  echo '```'
} >"$SECTION"
replace_section "$ROOT/docs/performance.md" jmh.sh "$SECTION"
rm -f "$SECTION"
blog "wrote docs/performance.md (section jmh.sh)"
