#!/usr/bin/env python3
"""Build a release's wheelhouse on the controller, once, for the app hosts' Python and CPU.

The wheelhouse holds the service's own wheel and every pinned dependency from
requirements.lock, as binary wheels for the target interpreter, so hosts install with
`pip --no-index` (no internet on the hosts; every host gets identical versions).

Hashes: requirements.lock carries PyPI's sha256 of every file of every pinned release, and
`pip download --require-hashes` refuses a download that matches none. The wheelhouse gets
INSTALL (the lock plus the service's own wheel with its sha256), which hosts install with
`--require-hashes`, so a wheel changed after the build (on the controller, in transit, on the
host) is refused.

Prints one JSON object: {"release", "version", "path", "checksum", "changed"}; path holds the wheels and
wheelhouse.tar, the same wheels in one file for pushing.
The release id defaults to <version>-<hash of the source>, so a changed source is a new
release and an unchanged one is the same release (idempotent deploys).
"""

from __future__ import annotations

import argparse
import fnmatch
import hashlib
import json
import pathlib
import shutil
import subprocess
import sys
import tarfile
import tempfile

import tomllib

ARCHIVE = "wheelhouse.tar"
INSTALL = "requirements.txt"
HASHED = ("pyproject.toml", "requirements.lock", "src")
NOT_SOURCE = ("build", ".venv", "*.egg-info", "__pycache__", "*.pyc", ".pytest_cache")
IGNORED = shutil.ignore_patterns(*NOT_SOURCE)


def source_digest(source: pathlib.Path) -> str:
    digest = hashlib.sha256()
    for top in HASHED:
        for path in sorted((source / top).rglob("*") if (source / top).is_dir() else [source / top]):
            relative = path.relative_to(source)
            if path.is_file() and not any(fnmatch.fnmatch(part, pattern)
                                          for part in relative.parts for pattern in NOT_SOURCE):
                digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:10]


def install_requirements(lock: str, own_wheel: pathlib.Path) -> str:
    """What hosts install with --require-hashes: every hashed pin of the lock, then the service's
    own wheel (built here, so no index knows its hash) pinned to its version and sha256."""
    name, version = own_wheel.name.split("-")[:2]
    digest = hashlib.sha256(own_wheel.read_bytes()).hexdigest()
    return f"{lock.rstrip()}\n{name}=={version} \\\n    --hash=sha256:{digest}\n"


def build(source: pathlib.Path, target: pathlib.Path, python: str, machine: str) -> None:
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    with tempfile.TemporaryDirectory() as clean:
        # Build from a clean copy: a stale build/ in the source would leak into the wheel.
        clean_source = shutil.copytree(source, pathlib.Path(clean) / "src", ignore=IGNORED)
        subprocess.run([*pip, "wheel", "--no-deps", "--wheel-dir", str(tmp), str(clean_source)], check=True)
    (own_wheel,) = tmp.glob("*.whl")
    platforms = [f"manylinux_2_{n}_{machine}" for n in (36, 34, 31, 28, 17, 12, 5)] + [f"linux_{machine}"]
    subprocess.run(
        [*pip, "download", "--dest", str(tmp), "--only-binary=:all:", "--no-deps", "--require-hashes",
         "--python-version", python, "--implementation", "cp",
         *[arg for platform in platforms for arg in ("--platform", platform)],
         "-r", str(source / "requirements.lock")],
        check=True,
    )
    (tmp / INSTALL).write_text(install_requirements((source / "requirements.lock").read_text(), own_wheel))
    # One file to push (one round trip per host instead of one per wheel).
    with tarfile.open(tmp / ARCHIVE, "w") as archive:
        for path in sorted(tmp.iterdir()):
            if path.name != ARCHIVE:
                archive.add(path, arcname=path.name)
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", required=True, type=pathlib.Path, help="the service's source (app/)")
    parser.add_argument("--cache", required=True, type=pathlib.Path, help="controller-side wheelhouse cache")
    parser.add_argument("--python", required=True, help="target Python as MAJOR.MINOR")
    parser.add_argument("--machine", required=True, help="target CPU, e.g. x86_64 or aarch64")
    parser.add_argument("--release", default="", help="release id; default <version>-<source hash>")
    args = parser.parse_args()

    source = args.source.resolve()
    version = tomllib.loads((source / "pyproject.toml").read_text())["project"]["version"]
    release = args.release or f"{version}-{source_digest(source)}"
    target = args.cache / release / f"cp{args.python.replace('.', '')}-{args.machine}"
    changed = not (target / ARCHIVE).is_file()  # the archive is written last
    if changed:
        build(source, target, args.python, args.machine)
    # The archive's SHA-1: the role compares it with the copy on each host in one read (module host_state).
    sha1 = hashlib.sha1((target / ARCHIVE).read_bytes()).hexdigest()
    json.dump({"release": release, "version": version, "path": str(target), "checksum": sha1, "changed": changed},
              sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
