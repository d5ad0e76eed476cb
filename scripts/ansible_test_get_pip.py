"""Stand-in for the get-pip.py that ansible-test's venv bootstrap downloads from Ansible's CI file
host (unreachable here): pip from the interpreter's own ensurepip (offline), then the packages
ansible-test asks for (e.g. pip==24.2) through it, from the configured package index.

ansible-test runs it in a fresh venv as ``python get_pip_X_Y.py [pip options] PACKAGES
[--no-setuptools] [--no-wheel]``; scripts/sanity.sh places it in ansible-test's cache.
"""

from __future__ import annotations

import subprocess
import sys


def main() -> None:
    # get-pip.py's own switches: ensurepip's pip is the only thing this script installs by itself.
    arguments = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    # In a child: ensurepip clears pip's configuration (index, certificates) in its own process.
    subprocess.run([sys.executable, "-m", "ensurepip", "--upgrade"], check=True)
    if any(not a.startswith("-") for a in arguments):
        subprocess.run([sys.executable, "-m", "pip", "install", *arguments], check=True)


if __name__ == "__main__":
    main()
