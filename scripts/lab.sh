#!/usr/bin/env bash
# The lab: a fleet of real systemd hosts on this machine, for Molecule and `make demo`.
#
# Each host is a systemd-nspawn container (systemd as PID 1, sshd) booted from a cached
# debootstrapped Debian image (12 bookworm by default, 13 trixie on request) through an overlay,
# in its own network namespace, with a veth on the lab's bridge. Hosts reach Debian packages
# through apt-cacher-ng on the controller and nothing else. See ../README.md ("The lab") for how to use it by hand.
#
#   lab.sh create NAME HOST...   boot hosts (lbN -> group ai_navigator_lb, appN -> ai_navigator_app),
#                                clearing whatever a killed run of lab NAME left; prints the inventory path.
#                                HOST:RELEASE picks the host's Debian release (app2:trixie); default bookworm
#   lab.sh destroy NAME|--all    remove hosts, mounts, namespaces, links and bridge; idempotent
#   lab.sh stop NAME HOST        power a host off (as a machine shut down)
#   lab.sh start NAME HOST       boot it again, same disk
#   lab.sh image [RELEASE...]    build the cached images (default: every release) if their recipe changed
#   lab.sh status                list labs and hosts
set -euo pipefail

LAB_ROOT=${LAB_ROOT:-/var/lib/ai-navigator-lab}
IMAGE_CACHE=${LAB_IMAGE_CACHE:-/var/cache/ai-navigator-lab}
# Seconds a host may take from boot to SSH and systemd running (a 9-host lab on a busy 2-core
# machine took more than 120 s).
BOOT_TIMEOUT=${LAB_BOOT_TIMEOUT:-300}
[[ $BOOT_TIMEOUT =~ ^[1-9][0-9]*$ ]] || { printf 'lab: error: LAB_BOOT_TIMEOUT=%s is not a number of seconds\n' "$BOOT_TIMEOUT" >&2; exit 1; }
# The controller's lab-services address (apt-cacher-ng), on loopback so every lab reaches it
# through its gateway without the controller forwarding anything.
SERVICES_ADDR=10.231.0.1
APT_PROXY_PORT=3142
DEBIAN_MIRROR=http://deb.debian.org/debian
# The Debian releases a host can run (HOST:RELEASE at create); the first is the default.
SUITES=(bookworm trixie)
# python3-apt: Ansible's apt module needs it; procps/iproute2: tests inspect processes and links.
IMAGE_PACKAGES=systemd,systemd-sysv,dbus,openssh-server,python3,python3-apt,iproute2,procps
SSH_KEY=$LAB_ROOT/id_ed25519
SSH_OPTS=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR
          -o ConnectTimeout=2 -o BatchMode=yes -i "$SSH_KEY")

log() { printf 'lab: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

image_dir() {
  local suite=$1 recipe
  recipe=$(printf '%s|%s|%s' "$suite" "$IMAGE_PACKAGES" "$DEBIAN_MIRROR" | sha256sum | cut -c1-12)
  printf '%s/images/%s-%s' "$IMAGE_CACHE" "$suite" "$recipe"
}

build_image() {
  local suite=$1 dir lock; dir=$(image_dir "$suite")
  [[ -f $dir/.complete ]] && { printf '%s\n' "$dir"; return; }
  mkdir -p "$(dirname "$dir")"
  exec {lock}>"$dir.lock"; flock "$lock"  # two labs created at once build it once
  [[ -f $dir/.complete ]] && { printf '%s\n' "$dir"; return; }
  log "building image $dir (debootstrap, about a minute)"
  rm -rf "$dir" "$dir.tmp"
  # Through apt-cacher-ng, as the hosts' packages: a rebuild fetches nothing twice.
  start_apt_proxy >&2
  http_proxy=http://$SERVICES_ADDR:$APT_PROXY_PORT \
    debootstrap --variant=minbase --include="$IMAGE_PACKAGES" "$suite" "$dir.tmp" "$DEBIAN_MIRROR" \
    >"$IMAGE_CACHE/debootstrap-$suite.log" 2>&1 || die "debootstrap failed: see $IMAGE_CACHE/debootstrap-$suite.log"
  # Hosts get their identity at create time; the image carries none.
  : >"$dir.tmp/etc/machine-id"
  rm -f "$dir.tmp"/etc/ssh/ssh_host_*
  chroot "$dir.tmp" apt-get clean
  touch "$dir.tmp/.complete"
  mv "$dir.tmp" "$dir"
  printf '%s\n' "$dir"
}

release_known() { [[ " ${SUITES[*]} " == *" $1 "* ]] || die "release '$1': use one of ${SUITES[*]}"; }
# HOST[:RELEASE] -> the host's name, its release
spec_host() { printf '%s' "${1%%:*}"; }
spec_release() { if [[ $1 == *:* ]]; then printf '%s' "${1#*:}"; else printf '%s' "${SUITES[0]}"; fi; }

# A lab's subnet index: stable for its name, recorded at create, checked against other labs.
subnet_index() {
  local name=$1 idx
  idx=$(( $(printf '%s' "$name" | cksum | cut -d' ' -f1) % 240 + 10 ))
  printf '%s' "$idx"
}

host_octet() {
  case $1 in
    lb[1-9]) printf '%s' $((10 + ${1#lb})) ;;
    app[1-9]|app[1-7][0-9]) printf '%s' $((20 + ${1#app})) ;;
    *) die "host name '$1': use lb1..lb9 or app1..app79" ;;
  esac
}

# Pipes into `grep -q` fail under pipefail when grep quits early (SIGPIPE): match captured output.
proxy_listening() { [[ $(ss -ltnH "sport = :$APT_PROXY_PORT") == *"$SERVICES_ADDR:"* ]]; }

start_apt_proxy() {
  [[ $(ip -o addr show dev lo) == *" $SERVICES_ADDR/"* ]] || ip addr add "$SERVICES_ADDR/32" dev lo
  # Without this file apt-cacher-ng remaps Debian requests to a public mirror list.
  grep -qx "$DEBIAN_MIRROR/" /etc/apt-cacher-ng/backends_debian 2>/dev/null \
    || printf '%s/\n' "$DEBIAN_MIRROR" >/etc/apt-cacher-ng/backends_debian
  if ! proxy_listening; then
    pkill -x apt-cacher-ng 2>/dev/null || true
    install -d -o apt-cacher-ng /run/apt-cacher-ng /var/cache/apt-cacher-ng /var/log/apt-cacher-ng
    /usr/sbin/apt-cacher-ng -c /etc/apt-cacher-ng BindAddress="$SERVICES_ADDR" Port="$APT_PROXY_PORT" \
      pidfile=/run/apt-cacher-ng/pid SocketPath=/run/apt-cacher-ng/socket ForeGround=0
    for _ in $(seq 50); do
      proxy_listening && return; sleep 0.1
    done
    die "apt-cacher-ng did not start"
  fi
}

ssh_key() {
  [[ -f $SSH_KEY ]] || { mkdir -p "$LAB_ROOT"; ssh-keygen -q -t ed25519 -N '' -C ai-navigator-lab -f "$SSH_KEY"; }
}

# Writes the host's identity into its overlay: hostname, machine id, SSH, apt proxy.
personalize() {
  local root=$1 host=$2
  printf '%s\n' "$host" >"$root/etc/hostname"
  printf '127.0.0.1 localhost\n127.0.1.1 %s\n' "$host" >"$root/etc/hosts"
  [[ -s $root/etc/machine-id ]] || tr -d '-' </proc/sys/kernel/random/uuid >"$root/etc/machine-id"
  install -d -m 700 "$root/root/.ssh"
  install -m 600 "$SSH_KEY.pub" "$root/root/.ssh/authorized_keys"
  [[ -f $root/etc/ssh/ssh_host_ed25519_key ]] || ssh-keygen -q -t ed25519 -N '' -f "$root/etc/ssh/ssh_host_ed25519_key"
  printf 'Acquire::http::Proxy "http://%s:%s";\n' "$SERVICES_ADDR" "$APT_PROXY_PORT" \
    >"$root/etc/apt/apt.conf.d/01lab-proxy"
}

# The cgroup hierarchies nspawn uses on this (hybrid) host; the lab's hosts live under these.
LAB_CGROUP_ROOTS=(/sys/fs/cgroup/unified /sys/fs/cgroup/systemd)
lab_cgroup() { printf 'ai-navigator-lab/%s' "$1"; }

boot_host() {
  local lab=$1 host=$2 dir=$LAB_ROOT/$1/$2 ns cg
  ns=$(cat "$dir/netns") cg=$(lab_cgroup "$lab")/$host
  mountpoint -q "$dir/root" || mount -t overlay overlay \
    -o "lowerdir=$(cat "$dir/image"),upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
  # No systemd on the controller: --register=no --keep-unit; CAP_NET_ADMIN for keepalived's VIP.
  # nspawn puts the host's systemd in a "payload" cgroup beside its own: started from the
  # controller's root cgroup, every host of every lab would share /payload/system.slice/<unit>,
  # and a host's systemd could not kill what is left of a unit (it reads PID 0 for the other
  # hosts' processes and gives up: "Failed to kill control group ... Input/output error"), so
  # e.g. nginx workers outlived a killed master. Started from a cgroup of its own, each host
  # gets its own tree, as on a real machine.
  (
    for m in "${LAB_CGROUP_ROOTS[@]}"; do
      [[ -w $m/cgroup.procs ]] && mkdir -p "$m/$cg" && echo "$BASHPID" >"$m/$cg/cgroup.procs"
    done
    exec setsid systemd-nspawn --quiet --boot --register=no --keep-unit -D "$dir/root" \
      --machine="$lab-$host" --hostname="$host" --network-namespace-path="/run/netns/$ns" \
      --capability=CAP_NET_ADMIN
  ) >"$dir/console.log" 2>&1 </dev/null &
  echo $! >"$dir/nspawn.pid"
}

wait_ssh() {  # a busy machine boots several hosts slowly: allow BOOT_TIMEOUT
  local addr=$1 state deadline=$((SECONDS + BOOT_TIMEOUT))
  while ((SECONDS < deadline)); do
    # is-system-running exits non-zero for "degraded" too: a booted host with a failed unit
    # (e.g. a unit that lost a cgroup race on a busy machine, 219/CGROUP) is up; say which.
    state=$(ssh "${SSH_OPTS[@]}" "root@$addr" systemctl is-system-running --wait 2>/dev/null) || true
    case $state in
      running) return 0 ;;
      degraded)
        log "$addr: systemd says degraded: $(ssh "${SSH_OPTS[@]}" "root@$addr" systemctl --failed --no-legend --plain 2>/dev/null | cut -d' ' -f1 | xargs)"
        return 0 ;;
    esac
    sleep 0.2
  done
  die "$addr: no SSH after $BOOT_TIMEOUT s (LAB_BOOT_TIMEOUT)"
}

container_init() { pgrep -P "$(cat "$1/nspawn.pid" 2>/dev/null || echo 0)" 2>/dev/null | head -1 || true; }

halt_host() {  # $1 host dir, $2 signal for the container's init: RTMIN+4 = poweroff, KILL = now
  local dir=$1 sig=$2 init pid
  pid=$(cat "$dir/nspawn.pid" 2>/dev/null || true)
  [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null || return 0
  init=$(container_init "$dir")
  [[ -n $init ]] && kill -s "$sig" "$init" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  init=$(container_init "$dir"); [[ -n $init ]] && kill -KILL "$init" 2>/dev/null
  kill -KILL "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
}

destroy_lab() {
  local lab=$1 dir=$LAB_ROOT/$1 idx h m
  idx=$(subnet_index "$lab")
  if [[ -d $dir ]]; then
    for h in "$dir"/*/; do [[ -f $h/nspawn.pid ]] && halt_host "$h" KILL; done
    # nspawn processes of a run whose pid files were lost
    pkill -KILL -f "systemd-nspawn .* -D $dir/" 2>/dev/null || true
    while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(findmnt -rn -o TARGET | grep "^$dir/" | sort -r)
  fi
  for m in $(ip netns list | awk -v p="anl$idx-" 'index($1, p) == 1 {print $1}'); do ip netns del "$m"; done
  for m in $(ip -o link show | awk -F': ' -v p="anl$idx-" 'index($2, p) == 1 {sub(/@.*/, "", $2); print $2}'); do
    ip link del "$m" 2>/dev/null || true
  done
  ip link del "anlbr$idx" 2>/dev/null || true
  for m in "${LAB_CGROUP_ROOTS[@]}"; do
    [[ -d $m/$(lab_cgroup "$lab") ]] && find "$m/$(lab_cgroup "$lab")" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -rf "$dir"
}

write_inventory() {
  local lab=$1 idx=$2; shift 2
  local inv=$LAB_ROOT/$lab/hosts.yml h group
  {
    printf '# Written by scripts/lab.sh for lab "%s"; destroyed with it.\n' "$lab"
    printf 'all:\n  vars:\n'
    printf '    ansible_user: root\n    ansible_ssh_private_key_file: %s\n' "$SSH_KEY"
    printf '    ansible_ssh_common_args: "-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR"\n'
    printf '    ansible_python_interpreter: /usr/bin/python3\n'
    printf '    lab_name: %s\n    lab_subnet: 10.231.%s.0/24\n    lab_vip: 10.231.%s.200\n' "$lab" "$idx" "$idx"
    # Each lab its own CA and LB certificates: two labs with an lb1 must not reissue each other's.
    printf '    ai_navigator_nginx_tls_generated_dir: %s/tls\n' "$LAB_ROOT/$lab"
    printf '  children:\n'
    for group in lb app; do
      printf '    ai_navigator_%s:\n      hosts:\n' "$group"
      for h in "$@"; do
        [[ $h == "$group"[0-9]* ]] && printf '        %s:\n          ansible_host: 10.231.%s.%s\n' "$h" "$idx" "$(host_octet "$h")"
      done
    done
  } >"$inv"
  printf '%s\n' "$inv"
}

create_lab() {
  local lab=$1; shift
  [[ $lab =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "lab name '$lab': lowercase letters and digits, at most 10"
  (( $# > 0 )) || die "no hosts given"
  local idx image h dir ns addr other spec specs=("$@") hosts=()
  idx=$(subnet_index "$lab")
  for other in "$LAB_ROOT"/*/subnet; do
    [[ -f $other && $(cat "$other") == "$idx" && $other != "$LAB_ROOT/$lab/subnet" ]] \
      && die "lab $(basename "$(dirname "$other")") already uses subnet 10.231.$idx.0/24"
  done
  for spec in "${specs[@]}"; do
    hosts+=("$(spec_host "$spec")"); host_octet "${hosts[-1]}" >/dev/null; release_known "$(spec_release "$spec")"
  done
  set -- "${hosts[@]}"  # from here on: host names
  destroy_lab "$lab"
  ssh_key
  start_apt_proxy
  mkdir -p "$LAB_ROOT/$lab"; echo "$idx" >"$LAB_ROOT/$lab/subnet"
  ip link add "anlbr$idx" type bridge
  ip addr add "10.231.$idx.1/24" dev "anlbr$idx"
  ip link set "anlbr$idx" up
  for spec in "${specs[@]}"; do
    h=$(spec_host "$spec") image=$(build_image "$(spec_release "$spec")")
    dir=$LAB_ROOT/$lab/$h ns=anl$idx-$h addr=10.231.$idx.$(host_octet "$h")
    mkdir -p "$dir"/{upper,work,root}
    echo "$image" >"$dir/image"; echo "$ns" >"$dir/netns"; echo "$addr" >"$dir/address"
    ip netns add "$ns"
    ip link add "$ns" type veth peer name eth0 netns "$ns"
    ip link set "$ns" master "anlbr$idx" up
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "10.231.$idx.1"
    mount -t overlay overlay -o "lowerdir=$image,upperdir=$dir/upper,workdir=$dir/work" "$dir/root"
    personalize "$dir/root" "$h"
    boot_host "$lab" "$h"
  done
  for h in "$@"; do wait_ssh "$(cat "$LAB_ROOT/$lab/$h/address")"; done
  write_inventory "$lab" "$idx" "$@"
}

cmd=${1:-}; shift || true
case $cmd in
  image) for s in "${@:-${SUITES[@]}}"; do release_known "$s"; build_image "$s"; done ;;
  create) [[ $# -ge 1 ]] || die "usage: lab.sh create NAME HOST..."; create_lab "$@" ;;
  destroy)
    [[ $# -eq 1 ]] || die "usage: lab.sh destroy NAME|--all"
    if [[ $1 == --all ]]; then
      for d in "$LAB_ROOT"/*/; do [[ -f $d/subnet ]] && destroy_lab "$(basename "$d")"; done
    else destroy_lab "$1"; fi ;;
  stop) [[ $# -eq 2 ]] || die "usage: lab.sh stop NAME HOST"; halt_host "$LAB_ROOT/$1/$2" RTMIN+4 ;;
  start)
    [[ $# -eq 2 ]] || die "usage: lab.sh start NAME HOST"
    boot_host "$1" "$2"; wait_ssh "$(cat "$LAB_ROOT/$1/$2/address")" ;;
  status)
    for d in "$LAB_ROOT"/*/; do
      [[ -f $d/subnet ]] || continue
      printf '%s (10.231.%s.0/24, inventory %s/hosts.yml)\n' "$(basename "$d")" "$(cat "$d/subnet")" "${d%/}"
      for h in "$d"*/; do
        [[ -f $h/address ]] || continue
        pid=$(cat "$h/nspawn.pid" 2>/dev/null || true)
        state=stopped; [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null && state=running
        printf '  %-6s %-14s %-8s %s\n' "$(basename "$h")" "$(cat "$h/address")" "$state" "$(basename "$(cat "$h/image")" | cut -d- -f1)"
      done
    done ;;
  *) sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
