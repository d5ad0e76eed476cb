#!/usr/bin/env bash
# One-time set-up of this machine as a controller and lab host: Debian packages, the Python
# venv with pinned tools, and the lab image. Safe to run again; it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

[[ $(id -u) -eq 0 ]] || { echo "setup: run as root (the lab needs namespaces, mounts and nspawn)" >&2; exit 1; }

APT_PACKAGES=(debootstrap systemd-container apt-cacher-ng iproute2 openssh-client make wrk shellcheck
              docker.io)  # docker.io: the container tests run their own dockerd (scripts/containers/dockerd.sh)
# podman kube play smoke-runs the Kubernetes manifests (runc: crun rejects this machine's cgroups;
# catatonit: the pod's infra container; slirp4netns: pod networking without bridges or firewall rules).
APT_PACKAGES+=(podman runc catatonit slirp4netns)
# promtool (Debian's prometheus; its service is not started here) checks and unit-tests the alerting rules.
APT_PACKAGES+=(prometheus)
missing=()
for p in "${APT_PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if (( ${#missing[@]} )); then
  echo "setup: installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [[ ! -x .venv/bin/ansible-playbook ]] || ! cmp -s requirements-dev.txt .venv/.requirements-dev.txt; then
  echo "setup: building .venv from requirements-dev.txt"
  python3 -m venv .venv
  .venv/bin/pip install -q -r requirements-dev.txt -r app/requirements-test.txt -e ./app
  cp requirements-dev.txt .venv/.requirements-dev.txt
fi

# sslyze (the TLS scan of the molecule tests) conflicts with the controller tools' cryptography
# pin, so it gets its own venv.
if [[ ! -x .venv-sslyze/bin/sslyze ]] || ! cmp -s requirements-sslyze.txt .venv-sslyze/.requirements-sslyze.txt; then
  echo "setup: building .venv-sslyze from requirements-sslyze.txt"
  python3 -m venv .venv-sslyze
  .venv-sslyze/bin/pip install -q -r requirements-sslyze.txt
  cp requirements-sslyze.txt .venv-sslyze/.requirements-sslyze.txt
fi

# This checkout is the collection ai_navigator.fleet: make FQCN role and playbook names
# resolve to it (ansible.cfg points collections_path here).
# ansible-lint or Molecule run before set-up may have left a real directory (an installed copy)
# where the link goes: replace it, or `ln` fails ("cannot overwrite directory").
link=.ansible/collections/ansible_collections/ai_navigator/fleet
mkdir -p "$(dirname "$link")"
[[ -L $link || ! -e $link ]] || rm -rf "$link"
ln -sfn ../../../.. "$link"

# The lab's images, one per Debian release hosts can run (bookworm, trixie), each built once.
scripts/lab.sh image >/dev/null
echo "setup: ready"
