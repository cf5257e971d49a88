"""Commands killed (SIGKILL) at random points: refs/ still loads, and a rerun finishes the job.

Every kill loop copies one start folder per run, kills the command a third of
the time at a random moment, a third after a random number of record files
were written and a third when the temporary file of its output appears (or
again by file count), checks what the kill left, then reruns the command and
requires exactly what an uninterrupted run leaves.

* ``import`` starts from seed 000 imported and imports seed 001 and a bulk
  list: it creates, updates and merges records (one row unites two records of
  seed 000, so a file is also deleted).
* ``export`` starts from the seeds imported with no citation key pinned yet
  and an old ``survey.bib``: it pins a key in every record file, then replaces
  the bibliography, which must be the old one or the new one, never a part.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from slmbib.reading.listimport import import_lists
from slmbib.store import load_records

from ..seeds import SEED_000, SEED_001
from .harness import (
    Scenario,
    assert_each_file_old_or_new,
    bulk_list,
    kill_at_random_points,
    run_slmbib,
    uninterrupted,
)

RUNS = 20
BULK_ROWS = 60
# Two records of seed 000 that one row of the bulk list shows to be one paper (its arXiv
# preprint and its ACL Anthology version), so that the import merges them and deletes a file.
UNITING_ROW = (
    "| Calibration | [Paper](https://arxiv.org/abs/2402.14905) "
    "[ACL](https://aclanthology.org/2024.acl-long.824/) | 2024 |"
)
OLD_BIBLIOGRAPHY = b"% the bibliography before this export\n"


def _project(folder: Path, imported: list[Path]) -> Path:
    """A project with both seeds and the bulk list under refs/lists/, ``imported`` of them imported."""
    lists = folder / "refs" / "lists"
    lists.mkdir(parents=True)
    for seed in (SEED_000, SEED_001):
        shutil.copy(seed, lists / seed.name)
    (lists / "bulk.md").write_text(bulk_list(BULK_ROWS, UNITING_ROW))
    import_lists(folder / "refs", [lists / path.name for path in imported])
    return folder


@pytest.fixture(scope="module")
def importing(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    start = _project(tmp_path_factory.mktemp("import-start"), [SEED_000])
    return uninterrupted(start, tmp_path_factory.mktemp("import"), lambda project: ["import"])


@pytest.fixture(scope="module")
def exporting(tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    start = _project(tmp_path_factory.mktemp("export-start"), [SEED_000, SEED_001])
    (start / "survey.bib").write_bytes(OLD_BIBLIOGRAPHY)
    return uninterrupted(
        start, tmp_path_factory.mktemp("export"), lambda project: ["export", str(project / "survey.bib")]
    )


def test_the_import_scenario_creates_updates_and_deletes(importing: Scenario) -> None:
    before = load_records(importing.start / "refs")
    after = {name for name in importing.expected if name.startswith("refs/papers/")}
    assert "doi-10.18653-v1-2024.acl-long.824" in before
    assert "refs/papers/doi-10.18653-v1-2024.acl-long.824.yaml" not in after
    # The survivor of the merge keeps the listings of both records and the uniting row.
    survivor = importing.expected["refs/papers/arxiv-2402.14905.yaml"].decode()
    assert all(
        name in survivor for name in ("name: MobileLLM", "name: Calibration", "acl: 2024.acl-long.824")
    )
    assert len(after) > len(before) + BULK_ROWS
    assert importing.writes > BULK_ROWS


def test_the_export_scenario_pins_keys_and_replaces_the_bibliography(exporting: Scenario) -> None:
    records = load_records(exporting.start / "refs")
    assert not any(record.key for record in records.values())
    assert exporting.writes == len(records)
    assert exporting.expected["survey.bib"].count(b"\n@") + 1 >= len(records)


def test_import_killed_at_random_points_loses_nothing(importing: Scenario, tmp_path: Path) -> None:
    killed = kill_at_random_points(
        importing,
        tmp_path,
        RUNS,
        lambda project: assert_each_file_old_or_new(project, importing.start, importing.expected),
    )
    # Runs killed mid-write are the ones that test anything; the kills by file count make sure of them.
    assert killed.partial >= RUNS // 4, killed


def test_export_killed_at_random_points_leaves_the_old_or_the_new_bibliography(
    exporting: Scenario, tmp_path: Path
) -> None:
    def after_kill(project: Path) -> None:
        assert (project / "survey.bib").read_bytes() in (OLD_BIBLIOGRAPHY, exporting.expected["survey.bib"])
        assert_each_file_old_or_new(project, exporting.start, exporting.expected)

    killed = kill_at_random_points(exporting, tmp_path, RUNS, after_kill, output_temporary=".survey.bib.")
    assert killed.partial >= RUNS // 4, killed


def test_a_rerun_removes_temporary_files_of_a_killed_write(importing: Scenario, tmp_path: Path) -> None:
    refs = Path(shutil.copytree(importing.start, tmp_path / "project")) / "refs"
    stale = [
        refs / "papers" / ".arxiv-2402.14905.yaml.k2j3x9qa.part",
        refs / ".survey.yaml.a8d7e6f5.part",
        refs / "own" / ".survey.yaml.b9c8d7e6.part",
    ]
    for path in stale:
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"id: arxiv-2402.14905\nlistings: [")
    kept = refs / "papers" / "notes.part"
    kept.write_text("not a temporary file of slmbib")
    result = run_slmbib(refs, "import")
    assert result.returncode == 0, result.stderr
    assert not any(path.exists() for path in stale)
    assert kept.exists()
    assert "papers/.arxiv-2402.14905.yaml.k2j3x9qa.part, left by an interrupted run" in result.stderr
