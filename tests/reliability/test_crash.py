"""``slmbib import`` killed (SIGKILL) at random points: refs/ still loads, and a rerun finishes the job.

Each run starts from the same refs/ (seed 000 imported) and imports seed 001
and a bulk list of 400 papers, which creates, updates and merges records
(one row unites two records of seed 000, so a file is also deleted).  Half
of the kills come at a random time, half when a random number of record files
has been written, so that many land in the middle of the writes.
"""

from __future__ import annotations

import random
import shutil
import time
from pathlib import Path

import pytest

from slmbib.listimport import import_lists
from slmbib.store import load_records

from ..seeds import SEED_000, SEED_001
from .harness import (
    assert_loads_cleanly,
    bulk_list,
    inodes,
    kill_when,
    leftovers,
    run_slmbib,
    slmbib_process,
    snapshot,
    written_since,
)

RUNS = 20
BULK_ROWS = 60
# Two records of seed 000 that one row of the bulk list shows to be one paper (its arXiv
# preprint and its ACL Anthology version), so that the import merges them and deletes a file.
UNITING_ROW = (
    "| Calibration | [Paper](https://arxiv.org/abs/2402.14905) "
    "[ACL](https://aclanthology.org/2024.acl-long.824/) | 2024 |"
)


@pytest.fixture(scope="module")
def start(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose refs/ holds seed 000 imported, and three lists waiting to be imported."""
    project = tmp_path_factory.mktemp("start")
    lists = project / "refs" / "lists"
    lists.mkdir(parents=True)
    for seed in (SEED_000, SEED_001):
        shutil.copy(seed, lists / seed.name)
    (lists / "bulk.md").write_text(bulk_list(BULK_ROWS, UNITING_ROW))
    import_lists(project / "refs", [lists / SEED_000.name])
    return project


def _fresh_copy(start: Path, destination: Path) -> Path:
    shutil.copytree(start, destination)
    return destination / "refs"


@pytest.fixture(scope="module")
def uninterrupted(
    start: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[dict[str, bytes], float, int]:
    """What an import that nobody kills leaves, how long it takes, and how many files it writes."""
    refs = _fresh_copy(start, tmp_path_factory.mktemp("clean") / "project")
    before = inodes(refs / "papers")
    began = time.monotonic()
    result = run_slmbib(refs, "import")
    took = time.monotonic() - began
    assert result.returncode == 0, result.stderr
    return snapshot(refs), took, written_since(refs / "papers", before)


def test_the_scenario_creates_updates_and_deletes(start: Path, uninterrupted: tuple) -> None:
    expected, _, writes = uninterrupted
    before = load_records(start / "refs")
    after = {name for name in expected if name.startswith("papers/")}
    assert "doi-10.18653-v1-2024.acl-long.824" in before
    assert "papers/doi-10.18653-v1-2024.acl-long.824.yaml" not in after
    # The survivor of the merge keeps the listings of both records and the uniting row.
    survivor = expected["papers/arxiv-2402.14905.yaml"].decode()
    assert all(
        name in survivor for name in ("name: MobileLLM", "name: Calibration", "acl: 2024.acl-long.824")
    )
    assert len(after) > len(before) + BULK_ROWS
    assert writes > BULK_ROWS


def test_import_killed_at_random_points_loses_nothing(
    start: Path, uninterrupted: tuple, tmp_path: Path
) -> None:
    expected, took, writes = uninterrupted
    initial = snapshot(start / "refs")
    partial = 0
    for run in range(RUNS):
        rng = random.Random(run)
        refs = _fresh_copy(start, tmp_path / f"run{run}")
        before = inodes(refs / "papers")
        process = slmbib_process(refs, "import")
        if run % 2:
            deadline = time.monotonic() + rng.uniform(0, took)
            kill_when(process, lambda deadline=deadline: time.monotonic() >= deadline)
        else:
            enough = rng.randrange(1, writes)
            kill_when(
                process,
                lambda refs=refs, before=before, enough=enough: (
                    written_since(refs / "papers", before) >= enough
                ),
            )

        assert_loads_cleanly(refs)
        state = snapshot(refs)
        if state not in (initial, expected):
            partial += 1
        rerun = run_slmbib(refs, "import")
        assert rerun.returncode == 0, f"run {run}: {rerun.stderr}"
        assert leftovers(refs) == [], f"run {run}"
        assert snapshot(refs) == expected, f"run {run}: the rerun differs from an uninterrupted import"
    # Runs killed mid-write are the ones that test anything; the kills by file count make sure of them.
    assert partial >= RUNS // 4, partial


def test_a_rerun_removes_temporary_files_of_a_killed_write(start: Path, tmp_path: Path) -> None:
    refs = _fresh_copy(start, tmp_path / "project")
    stale = [refs / "papers" / ".arxiv-2402.14905.yaml.k2j3x9qa.part", refs / ".survey.yaml.a8d7e6f5.part"]
    for path in stale:
        path.write_bytes(b"id: arxiv-2402.14905\nlistings: [")
    kept = refs / "papers" / "notes.part"
    kept.write_text("not a temporary file of slmbib")
    result = run_slmbib(refs, "import")
    assert result.returncode == 0, result.stderr
    assert not any(path.exists() for path in stale)
    assert kept.exists()
    assert "papers/.arxiv-2402.14905.yaml.k2j3x9qa.part, left by an interrupted run" in result.stderr
