"""Start-up: what a user waits for before slmbib does anything, against Python's own start-up.

``slmbib --help`` must stay under twice ``python -c "import click"``: the CLI
imports its heavy dependencies (httpx, bibtexparser, YAML) only inside the
commands that use them.  ``slmbib export survey.bib`` of the committed
``refs/`` is the everyday command, run again with nothing new; it runs on a
copy, after one untimed run that pins the citation keys, so every timed run
does the same work, and must stay within 1.5 times ``import click``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from .measure import REPO, Row, interleaved, seconds, slmbib_command

#: The everyday export, with nothing new, may take this many times Python importing click.
EXPORT_LIMIT = 1.5


def bench_startup(work: Path, runs: int) -> list[Row]:
    refs = work / "startup" / "refs"
    shutil.rmtree(refs.parent, ignore_errors=True)
    shutil.copytree(REPO / "refs", refs)
    count = len(list((refs / "papers").glob("*.yaml")))
    export = [*slmbib_command(), "--quiet", "--refs", str(refs), "export", str(refs.parent / "survey.bib")]
    python = sys.executable
    bare, click, help_time, export_time = interleaved(
        [[python, "-c", "pass"], [python, "-c", "import click"], [*slmbib_command(), "--help"], export], runs
    )

    return [
        Row(
            "start-up: `slmbib --help`",
            seconds(help_time),
            f'`python -c "import click"` {seconds(click)}',
            ratio=help_time / click,
            target="< 2x",
            ok=help_time < 2 * click,
        ),
        Row(
            f"start-up: `slmbib export survey.bib` of refs/ ({count} records)",
            seconds(export_time),
            f'`python -c "import click"` {seconds(click)}',
            ratio=export_time / click,
            target=f"<= {EXPORT_LIMIT:g}x",
            ok=export_time <= EXPORT_LIMIT * click,
        ),
        Row("start-up: `python -c pass`", seconds(bare)),
    ]
