#!/usr/bin/env python3
"""Role variable tables in README.md, generated from each role's meta/argument_specs.yml.

  scripts/role_docs.py          rewrite the section between the markers
  scripts/role_docs.py --check  exit 1 if README.md is out of date (a test runs this)
"""

from __future__ import annotations

import pathlib
import re
import sys

import yaml

REPO = pathlib.Path(__file__).resolve().parents[1]
BEGIN, END = "<!-- BEGIN ROLE VARIABLES (scripts/role_docs.py) -->", "<!-- END ROLE VARIABLES -->"


def cell(text: object) -> str:
    text = re.sub(r"[CI]\(([^)]*)\)", r"`\1`", str(text))
    return text.replace("|", "\\|").replace("\n", " ")


def render() -> str:
    parts = []
    for role in sorted(p for p in (REPO / "roles").iterdir() if (p / "meta" / "argument_specs.yml").is_file()):
        spec = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]["main"]
        parts.append(f"#### `ai_navigator.fleet.{role.name}`: {spec['short_description']}\n")
        parts.append("| variable | type | default | description |\n|---|---|---|---|")
        for name, option in spec["options"].items():
            default = option.get("default")
            shown = ("(required)" if option.get("required")
                     else f"`{yaml.safe_dump(default, default_flow_style=True).strip().removesuffix('...').strip()}`")
            parts.append(f"| `{name}` | {option['type']} | {cell(shown)} | {cell(option['description'])} |")
        parts.append("")
    return "\n".join(parts)


def main() -> int:
    readme = REPO / "README.md"
    text = readme.read_text()
    before, rest = text.split(BEGIN, 1)
    _, after = rest.split(END, 1)
    updated = f"{before}{BEGIN}\n{render()}\n{END}{after}"
    if "--check" in sys.argv:
        if updated != text:
            print("README.md role variables are out of date: run scripts/role_docs.py", file=sys.stderr)
            return 1
        return 0
    readme.write_text(updated)
    return 0


if __name__ == "__main__":
    sys.exit(main())
