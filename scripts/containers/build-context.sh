#!/usr/bin/env bash
# Fill the image's build context with the release wheelhouse: app/build/wheelhouse/ gets the
# service's wheel, every wheel pinned in app/requirements.lock, and requirements.txt (the hashed
# lock plus the service's own wheel and its hash) that the image installs with --require-hashes.
# It is the same wheelhouse the app role pushes to hosts (roles/app/files/wheelhouse.py): one
# release, every path. Built on the host because pip inside a build container cannot verify TLS
# here (and an air-gapped builder has no index at all). Prints the release id.
#
#   scripts/containers/build-context.sh            # then: docker build -t ai-navigator:1.0.0 app
set -euo pipefail
cd "$(dirname "$0")/../.."

# The image's Python (python:3.11-slim) and this machine's CPU.
PYTHON_VERSION=3.11
python=python3; [[ -x .venv/bin/python ]] && python=.venv/bin/python
built=$("$python" roles/app/files/wheelhouse.py --source app \
  --cache "${AI_NAVIGATOR_WHEELHOUSE_CACHE:-$HOME/.cache/ai-navigator/wheelhouse}" \
  --python "$PYTHON_VERSION" --machine "$(uname -m)")
path=$("$python" -c 'import json, sys; print(json.load(sys.stdin)["path"])' <<<"$built")
rm -rf app/build/wheelhouse
mkdir -p app/build/wheelhouse
cp "$path"/*.whl "$path"/requirements.txt app/build/wheelhouse/
"$python" -c 'import json, sys; print(json.load(sys.stdin)["release"])' <<<"$built"
