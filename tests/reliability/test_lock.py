"""Two slmbib runs on one refs/: the second waits or refuses with a clear message, never interleaves."""

from __future__ import annotations

import random
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from slmbib.errors import LockedError
from slmbib.reading.listimport import import_lists
from slmbib.store import locked

from ..seeds import SEED_000, SEED_001
from .harness import bulk_list, run_slmbib, slmbib_process, snapshot

REFUSAL = "is in use by another slmbib run; try again when it ends"

# Another process holding the lock until its stdin closes; it says "held" once it has it.
_HOLDER = """
import sys
from pathlib import Path
from slmbib.store import locked
with locked(Path(sys.argv[1])):
    print("held", flush=True)
    sys.stdin.readline()
    if len(sys.argv) > 2:
        Path(sys.argv[2]).write_text("released")
"""


def _hold(refs: Path, *marker: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(refs), *map(str, marker)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    return holder


@pytest.fixture
def project(tmp_path: Path) -> Path:
    lists = tmp_path / "refs" / "lists"
    lists.mkdir(parents=True)
    for seed in (SEED_000, SEED_001):
        shutil.copy(seed, lists / seed.name)
    (lists / "bulk.md").write_text(bulk_list(150))
    return tmp_path


def test_a_second_run_refuses_while_another_holds_the_lock(project: Path) -> None:
    refs = project / "refs"
    before = snapshot(refs)
    holder = _hold(refs)
    try:
        refused = run_slmbib(refs, "import")
        assert refused.returncode == 1
        assert refused.stderr == f"Error: {refs} {REFUSAL}\n"
        assert snapshot(refs) == before
    finally:
        holder.communicate("\n")
    assert run_slmbib(refs, "import").returncode == 0
    assert snapshot(refs) != before


def test_a_killed_holder_leaves_no_stale_lock(project: Path) -> None:
    refs = project / "refs"
    holder = _hold(refs)
    holder.kill()
    holder.communicate()
    result = run_slmbib(refs, "import")
    assert result.returncode == 0, result.stderr


def test_a_waiting_caller_gets_the_lock_when_the_holder_ends(project: Path) -> None:
    refs = project / "refs"
    released = project / "released"
    holder = _hold(refs, released)
    with pytest.raises(LockedError, match=REFUSAL), locked(refs, wait=0.3):
        pass
    threading.Timer(0.5, holder.communicate, args=("\n",)).start()
    with locked(refs, wait=30):
        # The holder's last act under the lock is done: the lock was waited for, not shared.
        assert released.read_text() == "released"


def _serial(project: Path, tmp: Path, *runs: list[str]) -> dict[str, bytes]:
    """refs/ after the imports ``runs`` (each a list of list files), one after the other."""
    copy = tmp / f"serial-{len(list(tmp.iterdir()))}"
    shutil.copytree(project, copy)
    for lists in runs:
        import_lists(copy / "refs", [copy / "refs" / "lists" / name for name in lists])
    return snapshot(copy / "refs")


def test_two_imports_at_once_never_interleave(
    project: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Seed 000 and seed 001 share papers: interleaved writes would drop the rows of one of them."""
    first, second = ["bulk.md", SEED_000.name], [SEED_001.name]
    scratch = tmp_path_factory.mktemp("serial")
    outcomes = {
        (0, 0): [_serial(project, scratch, first, second), _serial(project, scratch, second, first)],
        (0, 1): [_serial(project, scratch, first)],
        (1, 0): [_serial(project, scratch, second)],
    }
    refusals = 0
    for round_ in range(8):
        refs = Path(shutil.copytree(project, tmp_path_factory.mktemp("round") / "project")) / "refs"
        one = slmbib_process(refs, "import", *(str(refs / "lists" / name) for name in first))
        time.sleep(random.Random(round_).uniform(0, 0.3))
        two = slmbib_process(refs, "import", *(str(refs / "lists" / name) for name in second))
        errors = [process.communicate(timeout=60)[1] for process in (one, two)]
        codes = (one.returncode, two.returncode)
        for code, stderr in zip(codes, errors, strict=True):
            assert code == 0 or stderr == f"Error: {refs} {REFUSAL}\n", stderr
        assert codes in outcomes, errors
        assert snapshot(refs) in outcomes[codes], f"round {round_}: the two imports interleaved"
        refusals += codes != (0, 0)
    # Proof that the runs did overlap: without a refusal the test would show nothing.
    assert refusals >= 1
