#!/usr/bin/env bash
# Starts Payara Micro with a WAR and the settings of this folder. bin/run, bin/topology, bench/ and the Docker image
# all start Payara through this script, so they all run the same configuration (the tests' launched instances too).
#
# Usage: payara-config/payara-micro.sh PAYARA_MICRO_JAR WAR [more Payara Micro options, e.g. --rootdir DIR]
#
# Environment:
#   JAVA_HOME     the JDK to run (else "java" on the PATH); Payara Micro 7 needs Java 21+
#   PORT          HTTP port (default 8080)
#   JAVA_OPTS     extra JVM options, after those of jvm-options (the later of two options wins, e.g. -Xmx1g)
#   HTTP_THREADS  Payara's HTTP worker threads (default 8 per core, see below); exported, so the application sizes
#                 its Redis connection pool to match (redis.pool-size)
#
# The HTTP thread pool is sized from the cores (nproc, capped by a cgroup v2 CPU quota as in containers): a request
# mostly computes and waits for at most two Redis round trips of well under a millisecond, so 8 threads per core keep
# the cores busy, while more only add context switches and cache misses (measured in docs/performance.md). It is
# fixed (min = max) so a burst finds its threads already started.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

if (($# < 2)); then
  echo "usage: $0 PAYARA_MICRO_JAR WAR [Payara Micro options...]" >&2
  exit 2
fi
jar="$1" war="$2"
shift 2

cores() { # the CPUs this process may use: nproc (affinity), capped by a cgroup v2 CPU quota
  local n quota period
  n="$(nproc 2>/dev/null || echo 1)"
  if [[ -r /sys/fs/cgroup/cpu.max ]] && read -r quota period </sys/fs/cgroup/cpu.max && [[ "$quota" =~ ^[0-9]+$ ]]; then
    quota=$(((quota + period - 1) / period))
    ((quota < n)) && n="$quota"
  fi
  echo $((n < 1 ? 1 : n))
}

words() { # the words of an options file, one per line; '#' starts a comment line
  local line w
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*(#|$) ]] && continue
    read -ra w <<<"$line"
    printf '%s\n' "${w[@]}"
  done <"$1"
}

java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
export HTTP_THREADS="${HTTP_THREADS:-$((8 * $(cores)))}"
[[ "$HTTP_THREADS" =~ ^[1-9][0-9]*$ ]] || { echo "HTTP_THREADS must be a positive number, got '$HTTP_THREADS'" >&2; exit 2; }

mapfile -t jvm < <(words "$here/jvm-options")
mapfile -t micro < <(words "$here/micro-options")
# Java 24+ warns about sun.misc.Unsafe (Payara's shaded Hazelcast); the flag that silences it exists from Java 23 on.
major="$("$java" -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1)"
((${major:-0} >= 24)) && jvm+=(--sun-misc-unsafe-memory-access=allow)
read -ra extra <<<"${JAVA_OPTS:-}"

cmd=("$java" "${jvm[@]}" "${extra[@]}" -jar "$jar" --deploy "$war" --contextroot / --port "${PORT:-8080}"
  "${micro[@]}" --minhttpthreads "$HTTP_THREADS" --maxhttpthreads "$HTTP_THREADS"
  --prebootcommandfile "$here/pre-boot-commands.asadmin" --postdeploycommandfile "$here/post-deploy-commands.asadmin" "$@")
echo "[payara-micro.sh] ${cmd[*]}" >&2
exec "${cmd[@]}"
