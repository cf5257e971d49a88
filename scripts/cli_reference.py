"""Write the README's command reference from the commands' own ``--help``.

``python scripts/cli_reference.py`` rewrites the part of README.md between the
reference markers; ``--check`` exits 1 when it is out of date (the test suite
runs that), so the documentation cannot drift from the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.testing import CliRunner

from slmbib.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
BEGIN = "<!-- cli-reference:begin -->"
END = "<!-- cli-reference:end -->"
WIDTH = 100


def _help(args: list[str]) -> str:
    result = CliRunner().invoke(main, [*args, "--help"], prog_name="slmbib", terminal_width=WIDTH)
    if result.exit_code != 0:
        raise SystemExit(f"slmbib {' '.join(args)} --help failed: {result.output}")
    return result.output.rstrip() + "\n"


def reference() -> str:
    parts = [BEGIN, "", "### `slmbib`", "", "```", _help([]).rstrip(), "```"]
    assert isinstance(main, click.Group)
    for name in sorted(main.commands):
        parts += ["", f"### `slmbib {name}`", "", "```", _help([name]).rstrip(), "```"]
    parts += ["", END]
    return "\n".join(parts)


def updated(text: str) -> str:
    start, end = text.index(BEGIN), text.index(END) + len(END)
    return text[:start] + reference() + text[end:]


def run(check: bool) -> int:
    text = README.read_text(encoding="utf-8")
    new = updated(text)
    if new == text:
        return 0
    if check:
        print("README.md's command reference is out of date: run python scripts/cli_reference.py")
        return 1
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(run(check="--check" in sys.argv[1:]))
