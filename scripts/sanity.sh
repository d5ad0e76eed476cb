#!/usr/bin/env bash
# ansible-test sanity for the pinned ansible-core, on this checkout as the collection
# ai_navigator.fleet (the link scripts/setup.sh makes under .ansible/collections), on the venv's
# Python, without containers. Ignore entries, each with its reason: tests/sanity/ignore-<core>.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=$PWD/.venv/bin
link=$PWD/.ansible/collections/ansible_collections/ai_navigator/fleet
[[ -x $venv/ansible-test && -e $link ]] || { echo "sanity: run scripts/setup.sh first (the venv and $link)" >&2; exit 1; }

# ansible-test bootstraps pip into each test's venv with a get-pip script it downloads from
# Ansible's CI file host, unreachable here. A script in its cache is used instead: ours installs
# pip from the interpreter's own ensurepip, then the version ansible-test asks for from the index.
ansible_test=$("$venv/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')
pip_version=$(sed -n "s/^ *pip='\([0-9.]*\)',\$/\1/p" "$ansible_test/_internal/python_requirements.py")
[[ -n $pip_version ]] || { echo "sanity: cannot tell which pip ansible-test bootstraps" >&2; exit 1; }
cache=$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py
if ! cmp -s scripts/ansible_test_get_pip.py "$cache"; then
  mkdir -p "$(dirname "$cache")"
  cp scripts/ansible_test_get_pip.py "$cache"
fi

python=$("$venv/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
export PATH=$venv:$PATH ANSIBLE_TEST_CONTENT_ROOT=$link
# Not applicable: pslint (no PowerShell). pep8 and pylint hold
# the collection's own Python (plugins/, roles/) to Ansible's rules; the service, the scenario
# and controller tests and the benches have ruff (make lint).
ansible-test sanity --color no --python "$python" --skip-test pslint \
  --skip-test pep8 --skip-test pylint
ansible-test sanity --color no --python "$python" --test pep8 --test pylint plugins/ roles/
