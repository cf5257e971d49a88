"""The baseline for large bibliographies: bibtex-tidy, the tool people reach for to deduplicate a .bib.

It is installed by the benchmark itself with npm into the benchmark's own
folder (never globally), at a pinned version so that runs compare alike, and
run as users run it: ``--duplicates --merge`` with its default formatting
(braces, alignment, escaping of special characters).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from .measure import Run, run

VERSION = "1.14.0"


@dataclass
class Tidy:
    command: Path | None
    #: Why the baseline is missing, when it is.
    skipped: str = ""


def install(work: Path) -> Tidy:
    prefix = work / "npm"
    binary = prefix / "node_modules" / ".bin" / "bibtex-tidy"
    manifest = prefix / "node_modules" / "bibtex-tidy" / "package.json"
    if binary.exists() and json.loads(manifest.read_text())["version"] == VERSION:
        return Tidy(binary)
    npm = shutil.which("npm")
    if npm is None:
        return Tidy(None, "npm is not installed")
    prefix.mkdir(parents=True, exist_ok=True)
    try:
        subprocess.run(
            [npm, "install", "--prefix", str(prefix), "--no-audit", "--no-fund", f"bibtex-tidy@{VERSION}"],
            check=True,
            capture_output=True,
            text=True,
            timeout=300,
        )
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr.strip().splitlines() or ["no message"])[-1]
        return Tidy(None, f"npm install bibtex-tidy failed: {last}")
    except subprocess.TimeoutExpired:
        return Tidy(None, "npm install bibtex-tidy timed out (no network?)")
    return Tidy(binary) if binary.exists() else Tidy(None, "npm installed no bibtex-tidy binary")


def deduplicate(tidy: Path, source: Path, output: Path) -> Run:
    return run([str(tidy), str(source), "--duplicates", "--merge", "--output", str(output)]).check(
        "bibtex-tidy"
    )


def count_entries(bib: Path) -> int:
    """Entries in a .bib, not counting ``@string``, ``@preamble`` and ``@comment``."""
    count = 0
    with bib.open(encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("@") and not line[1:].lower().startswith(("string", "preamble", "comment")):
                count += 1
    return count
