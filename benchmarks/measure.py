"""Timing and memory of child processes, and the table the benchmarks print.

Every figure comes from a separate process, so that one measurement's imports,
caches and heap cannot flatter the next, and so that peak memory is the
kernel's ``ru_maxrss`` of exactly that process (read with ``os.wait4``).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SRC = REPO / "src"


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every measured process: the checkout's ``src`` first, whatever is installed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(SRC), env.get("PYTHONPATH"))))
    env.setdefault("PYTHONHASHSEED", "0")
    # An installed package runs from its compiled bytecode (pip writes it at install, and a
    # checkout installed in place writes it on the first run); without it every start would
    # compile slmbib's sources again, a cost no user pays.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.update(extra or {})
    return env


def slmbib_command() -> list[str]:
    """How a user starts slmbib: its console script when installed beside this Python."""
    script = Path(sys.executable).parent / "slmbib"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from slmbib.cli import main; sys.exit(main())"]


@dataclass
class Run:
    seconds: float
    max_rss: int  # bytes
    returncode: int
    stdout: str
    stderr: str

    def check(self, what: str) -> Run:
        if self.returncode != 0:
            tail = "\n".join(self.stderr.strip().splitlines()[-5:])
            raise RuntimeError(f"{what} failed with exit status {self.returncode}:\n{tail}")
        return self


def run(command: Sequence[str], env: Mapping[str, str] | None = None, cwd: Path | None = None) -> Run:
    """Run ``command`` once: wall time, peak resident memory and its output."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(list(command), stdout=out, stderr=err, env=env or child_env(), cwd=cwd)
        # wait4 gives this child's own rusage; RUSAGE_CHILDREN would mix in every earlier child.
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(
            seconds=seconds,
            max_rss=usage.ru_maxrss * 1024,  # Linux reports KiB
            returncode=process.returncode,
            stdout=out.read().decode("utf-8", "replace"),
            stderr=err.read().decode("utf-8", "replace"),
        )


def interleaved(commands: Sequence[Sequence[str]], runs: int, warmup: int = 1) -> list[float]:
    """Median wall time of each command over ``runs`` rounds, after ``warmup`` untimed ones.

    Each round runs every command once, in turn: a figure of tens of milliseconds
    moves as much with a minute's change in the machine's load as with what it
    measures, and in turn every command meets the same load.  Spawning a process
    costs each command the same, so the ratios hold.
    """
    times: list[list[float]] = [[] for _ in commands]
    for round_number in range(warmup + runs):
        for command, seen in zip(commands, times, strict=True):
            took = run(command).check(" ".join(command)).seconds
            if round_number >= warmup:
                seen.append(took)
    return [statistics.median(seen) for seen in times]


@dataclass
class Row:
    """One line of the table: slmbib's figure, the baseline's, and what they should satisfy."""

    benchmark: str
    slmbib: str
    baseline: str = ""
    ratio: float | None = None
    target: str = ""
    ok: bool | None = None


def seconds(value: float) -> str:
    if value < 1:
        return f"{value * 1000:.0f} ms"
    return f"{value:.2f} s" if value < 100 else f"{value:.0f} s"


def mebibytes(value: int) -> str:
    return f"{value / 2**20:.0f} MiB"


def format_table(rows: Sequence[Row]) -> str:
    """A Markdown table, readable in a terminal and pasted as is into the README."""
    header = ("benchmark", "slmbib", "baseline", "ratio", "target", "met")
    cells = [header] + [
        (
            row.benchmark,
            row.slmbib,
            row.baseline,
            "" if row.ratio is None else f"{row.ratio:.{2 if row.ratio >= 0.1 else 3}f}x",
            row.target,
            "" if row.ok is None else ("yes" if row.ok else "**no**"),
        )
        for row in rows
    ]
    widths = [max(len(line[column]) for line in cells) for column in range(len(header))]

    def line(values: Sequence[str]) -> str:
        return (
            "| " + " | ".join(value.ljust(width) for value, width in zip(values, widths, strict=True)) + " |"
        )

    rule = "|" + "|".join("-" * (width + 2) for width in widths) + "|"
    return "\n".join([line(cells[0]), rule, *(line(values) for values in cells[1:])])
