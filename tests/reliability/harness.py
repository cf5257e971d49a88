"""Running slmbib as a separate process, killing it, and looking at what it left behind.

The reliability tests drive the real command line in a child process, because
only a real process can be SIGKILLed halfway or hold a lock against another.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from slmbib.store import TEMPORARY_SUFFIX, load_records

from ..workspace import CACHES

#: The command line as a child process: the installed package, or src/ through PYTHONPATH.
SLMBIB = [sys.executable, "-c", "from slmbib.cli import main; main(prog_name='slmbib')"]


@dataclass(frozen=True)
class Finished:
    returncode: int
    stdout: str
    stderr: str


def slmbib_process(refs: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*SLMBIB, "--refs", str(refs), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )


def run_slmbib(refs: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> Finished:
    process = slmbib_process(refs, *args, env=env)
    stdout, stderr = process.communicate(timeout=timeout)
    return Finished(process.returncode, stdout, stderr)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` by relative path: hidden ones too, the lock and the caches aside.

    The caches beside refs/ (parsed records, the last export's inputs) are not data: they
    hold the files' times and inodes, which differ from run to run, and are ignored whenever
    they do not match.
    """
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != ".lock" and path.relative_to(folder) not in CACHES
    }


def leftovers(folder: Path) -> list[str]:
    """Temporary files of an interrupted atomic write."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob(f".*{TEMPORARY_SUFFIX}"))


def written_since(folder: Path, before: dict[str, int]) -> int:
    """How many files under ``folder`` were replaced, created or deleted since ``before`` (inodes)."""
    now = inodes(folder)
    changed = sum(1 for name, inode in now.items() if before.get(name) != inode)
    return changed + sum(1 for name in before if name not in now)


def inodes(folder: Path) -> dict[str, int]:
    if not folder.is_dir():
        return {}
    with os.scandir(folder) as entries:
        return {entry.name: entry.inode() for entry in entries if entry.name.endswith(".yaml")}


def kill_when(process: subprocess.Popen[str], ready: Callable[[], bool], limit: float = 60) -> bool:
    """SIGKILL ``process`` as soon as ``ready()`` holds; False if it ended first."""
    deadline = time.monotonic() + limit
    while process.poll() is None:
        if ready() or time.monotonic() > deadline:
            process.send_signal(signal.SIGKILL)
            process.communicate()
            return True
        time.sleep(0.0002)
    process.communicate()
    return False


def assert_loads_cleanly(refs: Path) -> None:
    """What every crash must leave: each record file parses, and only records look like records."""
    records = load_records(refs)
    papers = {path.stem for path in (refs / "papers").glob("*.yaml")} if (refs / "papers").is_dir() else set()
    assert set(records) == papers


def bulk_list(rows: int, *extra_rows: str) -> str:
    """A paper list of ``rows`` made-up arXiv papers: enough files to write for a kill to land among them."""
    lines = [f"| Bulk-{n} | [Paper](https://arxiv.org/abs/2501.{10000 + n}) | 2025 |" for n in range(rows)]
    table = ["| Model | Paper | Year |", "|---|---|---|", *lines, *extra_rows]
    return "# Bulk\n\n## More papers\n\n" + "\n".join(table) + "\n"


@dataclass(frozen=True)
class Scenario:
    """A command run on copies of one project folder, and what it leaves there when nobody kills it."""

    start: Path
    #: The command's arguments after ``--refs``, for the copy of the project at the given path.
    command: Callable[[Path], list[str]]
    expected: dict[str, bytes]
    took: float
    writes: int
    env: dict[str, str] | None = None


def uninterrupted(start: Path, workdir: Path, command: Callable[[Path], list[str]], **env: str) -> Scenario:
    project = Path(shutil.copytree(start, workdir / "uninterrupted"))
    before = inodes(project / "refs" / "papers")
    began = time.monotonic()
    result = run_slmbib(project / "refs", *command(project), env=env)
    took = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    writes = written_since(project / "refs" / "papers", before)
    return Scenario(start, command, snapshot(project), took, writes, env)


@dataclass
class Killed:
    """What the kills of one loop hit."""

    #: Runs after which the project was neither as it started nor as an uninterrupted run leaves it.
    partial: int = 0
    #: Runs after which a temporary file of an atomic write was left behind.
    temporaries: int = 0


def kill_at_random_points(
    scenario: Scenario,
    workdir: Path,
    runs: int,
    after_kill: Callable[[Path], None],
    output_temporary: str = "",
) -> Killed:
    """Run the scenario's command ``runs`` times, SIGKILL it at a random point, check, then rerun it.

    Kills come a third each at a random time, after a random number of record
    files were written, and (with ``output_temporary``, a file name prefix) as
    soon as the temporary file of the command's output appears.  After each
    kill ``after_kill(project)`` checks what is left; the rerun must then leave
    exactly what an uninterrupted run leaves, with no temporary file.
    """
    killed = Killed()
    initial = snapshot(scenario.start)
    for run in range(runs):
        rng = random.Random(run)
        project = Path(shutil.copytree(scenario.start, workdir / f"run{run}"))
        before = inodes(project / "refs" / "papers")
        process = slmbib_process(project / "refs", *scenario.command(project), env=scenario.env)
        kill_when(process, _trigger(run, rng, scenario, project, before, output_temporary))

        assert_loads_cleanly(project / "refs")
        after_kill(project)
        state = snapshot(project)
        killed.partial += state not in (initial, scenario.expected)
        killed.temporaries += bool(leftovers(project))
        rerun = run_slmbib(project / "refs", *scenario.command(project), env=scenario.env)
        assert rerun.returncode == 0, f"run {run}: {rerun.stderr}"
        assert leftovers(project) == [], f"run {run}"
        assert snapshot(project) == scenario.expected, (
            f"run {run}: the rerun differs from an uninterrupted run"
        )
    return killed


def _trigger(
    run: int,
    rng: random.Random,
    scenario: Scenario,
    project: Path,
    before: dict[str, int],
    output_temporary: str,
) -> Callable[[], bool]:
    """When to kill this run: see :func:`kill_at_random_points`."""
    if run % 3 == 0:
        deadline = time.monotonic() + rng.uniform(0, scenario.took)
        return lambda: time.monotonic() >= deadline
    if run % 3 == 1 or not output_temporary:
        enough = rng.randrange(1, max(scenario.writes, 2))
        return lambda: written_since(project / "refs" / "papers", before) >= enough
    return lambda: any(name.startswith(output_temporary) for name in os.listdir(project))


def assert_each_file_old_or_new(project: Path, start: Path, expected: dict[str, bytes]) -> None:
    """No file is a mixture: each is as the run found it or as an uninterrupted run leaves it."""
    initial = snapshot(start)
    for name, data in snapshot(project).items():
        if not name.endswith(TEMPORARY_SUFFIX):
            assert data in (initial.get(name), expected.get(name)), f"{name} is neither old nor new"


def fill(disk: Path) -> None:
    """Write to ``disk`` until it is full."""
    with (disk / "filler").open("ab", buffering=0) as file, contextlib.suppress(OSError):
        while True:
            file.write(b"\0" * 1024)
            file.flush()
