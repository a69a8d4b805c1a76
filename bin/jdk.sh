# Sourced by bin/run, bin/topology and bin/test: find_jdk exports JAVA_HOME as a JDK 21+ (Payara Micro 7 needs Java 21+):
# $JAVA_HOME if it is one, else the first one under /usr/lib/jvm.

java_major() { # major version of the JDK at $1, or nothing
  "$1/bin/java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1
}

find_jdk() {
  local candidate major
  for candidate in ${JAVA_HOME:+"$JAVA_HOME"} /usr/lib/jvm/*; do
    [[ -x "$candidate/bin/java" ]] || continue
    major="$(java_major "$candidate")"
    if [[ -n "$major" ]] && ((major >= 21)); then export JAVA_HOME="$candidate"; return; fi
    [[ "$candidate" == "${JAVA_HOME:-}" ]] && echo "[jdk] JAVA_HOME is Java ${major:-?}; Payara Micro 7 needs 21+" >&2 && JAVA_HOME=""
  done
  echo "[jdk] ERROR: no JDK 21 or newer found: set JAVA_HOME to one (Payara Micro 7 needs Java 21+)" >&2
  exit 1
}
