#!/usr/bin/env python3
"""Run `molecule test -s SCENARIO`, pass its output through, and print how long each step took.

  scripts/molecule_timed.py default
"""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
import time

# "default ➜ converge: Executing" on a terminal, "[default > converge] Executing" otherwise
STEP = re.compile(r"(?:➜ (\w+):|\[\w+ > (\w+)\]) (Executing|Executed)")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def main() -> int:
    scenario = sys.argv[1]
    molecule = pathlib.Path(sys.executable).parent / "molecule"
    began = time.monotonic()
    steps: list[tuple[str, float]] = []
    started: dict[str, float] = {}
    with subprocess.Popen([molecule, "test", "-s", scenario], stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, bufsize=1) as proc:
        for line in proc.stdout:
            sys.stdout.write(line)
            match = STEP.search(ANSI.sub("", line))
            if not match:
                continue
            step = match.group(1) or match.group(2)
            if match.group(3) == "Executing":
                started[step] = time.monotonic()
            elif step in started:
                steps.append((step, time.monotonic() - started.pop(step)))
    total = time.monotonic() - began
    print(f"\nmolecule test -s {scenario}: " + ", ".join(f"{name} {sec:.0f}s" for name, sec in steps)
          + f"; total {total:.0f}s; exit {proc.returncode}", flush=True)
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
