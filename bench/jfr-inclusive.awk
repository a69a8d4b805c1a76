# Reads `jfr print --stack-depth 256 --events jdk.ExecutionSample` and prints, for every method, the share of the
# CPU samples whose stack contains it (inclusive time), highest first. Used by bench/benchmark.sh --profile.
/jdk\.ExecutionSample/ { if (n) flush(); n++; delete seen; next }
/^[ \t]+[a-zA-Z_$].*\(.*\)/ { f = $0; sub(/^[ \t]+/, "", f); sub(/\(.*/, "", f); seen[f] = 1 }
function flush(  i) { for (i in seen) c[i]++ }
END {
  flush()
  printf "%d CPU samples\n", n
  for (i in c) printf "%5.1f%% %s\n", 100 * c[i] / n, i | "sort -rn"
}
