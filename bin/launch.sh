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

# deployment_failure LOG: prints why the deployment failed (the configuration error line, else Payara's line), if it did
deployment_failure() {
  local cause
  cause="$(grep -o "Invalid configuration: property '[^']*' ([^)]*): [^]\"]*" "$1" 2>/dev/null | head -n 1)"
  [[ -z "$cause" ]] && cause="$(grep -m 1 -o "Exception while loading the app.*" "$1" 2>/dev/null | cut -c1-300)"
  [[ -n "$cause" ]] && printf '%s\n' "$cause"
}
