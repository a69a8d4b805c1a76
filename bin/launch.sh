# Sourced by bin/run and bin/topology: the helpers both use to start and stop their processes. They call the
# sourcing script's log().

stop_pid() { # stop_pid PID NAME SECONDS: TERM, then KILL after the grace period
  local pid="$1" i
  kill -0 "$pid" 2>/dev/null || return 0
  log "stopping $2"
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < $3 * 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

local_secret() { # prints target/$1, first creating it (mode 600) from $2 random bytes, base64url
  [[ -s "target/$1" ]] || (umask 077; head -c "$2" /dev/urandom | base64 -w 0 | tr '+/' '-_' | tr -d '=' >"target/$1")
  cat "target/$1"
}

# deployment_failure LOG: prints why the deployment failed (the configuration error line, else Payara's line), if it did.
# Both are looked for in one reading of the log: Payara writes the cause and then its own line within a millisecond,
# and two separate reads could fall on either side of the cause (seen once in CI: the generic line was printed).
deployment_failure() {
  local text cause
  text="$(cat "$1" 2>/dev/null)" || return 1
  cause="$(grep -o "Invalid configuration: property '[^']*' ([^)]*): [^]\"]*" <<<"$text" | head -n 1)"
  [[ -z "$cause" ]] && cause="$(grep -m 1 -o "Exception while loading the app.*" <<<"$text" | cut -c1-300)"
  [[ -n "$cause" ]] && printf '%s\n' "$cause"
}
