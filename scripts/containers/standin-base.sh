#!/usr/bin/env bash
# Stand-ins for the base images this machine cannot pull (no container registry is reachable):
# a Debian 12 minbase with python3 and python3-venv, imported under the names the Dockerfiles
# use in FROM, so the Dockerfiles stay exactly what a user with a registry builds.
#
#   scripts/containers/standin-base.sh ENGINE [ENGINE ARGS...]
#   e.g. scripts/containers/standin-base.sh docker -H unix:///run/x/docker.sock
#        scripts/containers/standin-base.sh podman --root /tmp/x/storage
#
# The root filesystem is built once with debootstrap and cached outside the repository; it is
# rebuilt only when its recipe (suite, packages, mirror) changes. Importing takes a few seconds.
# Note: the real python:3.11-slim has its python at /usr/local/bin/python3, this stand-in at
# /usr/bin/python3 (Debian's 3.11); the Dockerfile only calls `python3` from PATH.
set -euo pipefail

(( $# )) || { echo "usage: $0 ENGINE [ENGINE ARGS...]" >&2; exit 2; }

CACHE=${AI_NAVIGATOR_STANDIN_CACHE:-/var/cache/ai-navigator-containers}
SUITE=bookworm
MIRROR=http://deb.debian.org/debian
PACKAGES=python3,python3-venv,ca-certificates
TAGS=(python:3.11-slim debian:bookworm-slim)

# The official images' apt sources (deb822, with updates and security), so a Dockerfile that
# installs Debian packages gets the same versions from the stand-in as from the real image.
write_sources() {
  rm -f "$1/etc/apt/sources.list"
  cat >"$1/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${MIRROR%/debian}/debian-security
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
}

recipe=$(printf '%s|%s|%s' "$SUITE" "$PACKAGES" "$MIRROR" | sha256sum | cut -c1-12)
root=$CACHE/$SUITE-$recipe
if [[ ! -f $root/.complete ]]; then
  echo "standin-base: debootstrap $SUITE with $PACKAGES into $root (about a minute)" >&2
  rm -rf "$root" "$root.tmp"; mkdir -p "$CACHE"
  debootstrap --variant=minbase --include="$PACKAGES" "$SUITE" "$root.tmp" "$MIRROR" \
    >"$CACHE/debootstrap.log" 2>&1 || { echo "standin-base: debootstrap failed, see $CACHE/debootstrap.log" >&2; exit 1; }
  write_sources "$root.tmp"
  chroot "$root.tmp" apt-get clean
  rm -rf "$root.tmp"/var/lib/apt/lists/* "$root.tmp"/var/cache/apt/*.bin
  : >"$root.tmp/etc/machine-id"
  touch "$root.tmp/.complete"
  mv "$root.tmp" "$root"
fi

for tag in "${TAGS[@]}"; do
  # A fixed mtime makes each import the same layer, so repeated imports reuse the engine's cache.
  tar --exclude=./.complete --mtime=@0 --sort=name --numeric-owner -C "$root" -c . \
    | "$@" import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' - "$tag" >/dev/null
  echo "standin-base: $tag" >&2
done
