#!/usr/bin/env bash
# A private Docker engine (Debian's docker.io) for the tests and `make containers`: its own
# data root, exec root, socket and pidfile under STATE_DIR, so it never meets another engine.
#
#   scripts/containers/dockerd.sh start STATE_DIR   # prints the DOCKER_HOST to use
#   scripts/containers/dockerd.sh stop STATE_DIR    # stops it by its pid; removes its mounts and bridge
#
# --iptables=false: otherwise dockerd sets the FORWARD policy to DROP and the lab bridges stop
# routing. Containers still reach each other on a compose network (one bridge) and the host reaches
# them at their addresses; published ports work through docker-proxy (the userland proxy) on 127.0.0.1.
# --bridge=none: no default docker0 (plain `docker run` gets no network unless asked for one).
# The bridge name prefix is per state dir so two engines never share a device name.
set -euo pipefail

cmd=${1:-}; state=${2:-}
[[ $cmd =~ ^(start|stop)$ && -n $state ]] || { echo "usage: $0 start|stop STATE_DIR" >&2; exit 2; }
state=$(realpath -m "$state")
sock=$state/docker.sock
pidfile=$state/dockerd.pid

stop() {
  if [[ -f $pidfile ]]; then
    pid=$(cat "$pidfile")
    if kill -0 "$pid" 2>/dev/null; then
      # Containers first (their own stop signals and grace), then the engine.
      docker -H "unix://$sock" ps -q | xargs -r docker -H "unix://$sock" rm -f >/dev/null 2>&1 || true
      docker -H "unix://$sock" network prune -f >/dev/null 2>&1 || true
      kill "$pid"
      for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && { echo "dockerd.sh: dockerd $pid did not stop; killing it" >&2; kill -9 "$pid"; }
    fi
    rm -f "$pidfile"
  fi
  # What a killed engine leaves behind: mounts under its roots (deepest first).
  awk -v s="$state/" 'index($2, s) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r -n1 umount -l
  return 0
}

start() {
  mkdir -p "$state/data" "$state/exec"
  # containerd takes letters and digits joined by single . _ or -: a mkdtemp name may end in "__".
  namespace=ai-navigator-$(basename "$state" | tr -c 'A-Za-z0-9\n' x)
  stop
  # containerd is started by dockerd itself (a child under exec-root), so it stops with it.
  dockerd --data-root "$state/data" --exec-root "$state/exec" -H "unix://$sock" \
    --pidfile "$pidfile" --iptables=false --ip-masq=false --bridge=none \
    --containerd-namespace "$namespace" --containerd-plugins-namespace "$namespace-plugins" \
    >"$state/dockerd.log" 2>&1 &
  for _ in $(seq 300); do
    docker -H "unix://$sock" version >/dev/null 2>&1 && { echo "unix://$sock"; return; }
    sleep 0.1
  done
  echo "dockerd.sh: engine did not start, see $state/dockerd.log" >&2
  tail -5 "$state/dockerd.log" >&2
  exit 1
}

"$cmd"
