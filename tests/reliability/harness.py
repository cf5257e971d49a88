"""Running slmbib as a separate process, killing it, and looking at what it left behind.

The reliability tests drive the real command line in a child process, because
only a real process can be SIGKILLed halfway or hold a lock against another.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from slmbib.store import load_records

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
    """Every file under ``folder`` (hidden ones too, the lock file aside) by relative path."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != ".lock"
    }


def leftovers(folder: Path) -> list[str]:
    """Temporary files of an interrupted atomic write."""
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*.part"))


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
