"""A hostile or unusual file system: a read-only refs/, record files that are not files, rewrites.

* A ``refs/`` its user cannot write (a read-only checkout, another user's
  folder) still exports: an export with every key pinned writes nothing there,
  so it needs no write lock on it.  A command that would write fails with one line.
* A record file that is a link to ``/dev/zero``, a pipe or a huge file is
  refused with one line naming it, at once, by every command that reads refs/.
* An export with nothing new leaves its output file alone: same inode, same
  modification time ("only files whose bytes change are written").
* A disk that fills up while records are written stops the command with one
  line, and every record file left is whole.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from slmbib.store import MAX_RECORD_BYTES, load_records

from .harness import Finished, run_slmbib

REPO = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def pinned(tmp_path: Path) -> Path:
    """The committed refs/ with every citation key pinned by a first export."""
    shutil.copytree(REPO / "refs", tmp_path / "refs")
    done = run_slmbib(tmp_path / "refs", "export", str(tmp_path / "first.bib"))
    assert done.returncode == 0, done.stderr
    return tmp_path / "refs"


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` and everything in it unwritable, for root too (immutable), restored afterwards."""
    paths = [folder, *folder.rglob("*")]
    if os.geteuid() == 0:
        # Root ignores permission bits; the immutable attribute binds it too.
        subprocess.run(["chattr", "+i", *map(str, paths)], check=True)
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", *map(str, paths)], check=True)
        return
    modes = {path: path.stat().st_mode for path in paths}
    for path in reversed(paths):
        path.chmod(modes[path] & ~0o222)
    try:
        yield
    finally:
        for path in paths:
            path.chmod(modes[path])


@pytest.mark.parametrize("with_lock_file", [True, False])
def test_a_read_only_refs_exports(pinned: Path, with_lock_file: bool) -> None:
    if not with_lock_file:
        (pinned / ".lock").unlink()
    expected = (pinned.parent / "first.bib").read_text()
    with read_only(pinned):
        to_stdout = run_slmbib(pinned, "export", "-")
        to_file = run_slmbib(pinned, "export", str(pinned.parent / "again.bib"))
    assert (to_stdout.returncode, to_stdout.stderr.count("Traceback")) == (0, 0), to_stdout.stderr
    assert to_stdout.stdout == expected
    assert to_file.returncode == 0, to_file.stderr
    assert (pinned.parent / "again.bib").read_text() == expected


def test_a_read_only_refs_that_needs_writing_fails_with_one_line(pinned: Path) -> None:
    record = next((pinned / "papers").glob("*.yaml"))
    unpinned = [line for line in record.read_text().splitlines() if not line.startswith("key:")]
    record.write_text("\n".join(unpinned) + "\n")
    with read_only(pinned):
        done = run_slmbib(pinned, "export", str(pinned.parent / "again.bib"))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: ") and "cannot write" in done.stderr, done.stderr
    assert not (pinned.parent / "again.bib").exists()


def _not_a_file(kind: str, path: Path) -> None:
    if kind == "zero":
        path.symlink_to("/dev/zero")
    elif kind == "pipe":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    else:
        with path.open("wb") as handle:  # sparse: takes no disk space
            handle.truncate(MAX_RECORD_BYTES + 1)


@pytest.mark.parametrize("kind", ["zero", "pipe", "directory", "huge"])
@pytest.mark.parametrize("command", [["list"], ["export", "-"], ["import"]])
def test_a_record_file_that_is_not_a_file_is_refused_at_once(
    pinned: Path, kind: str, command: list[str]
) -> None:
    bad = pinned / "papers" / "bad.yaml"
    _not_a_file(kind, bad)
    # Before, /dev/zero was read until memory ran out and a pipe waited for a writer forever.
    done = run_slmbib(pinned, *command, timeout=60)
    assert done.returncode == 1
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"Error: {bad}: cannot read: "), line


def test_an_export_with_nothing_new_leaves_its_output_alone(pinned: Path) -> None:
    output = pinned.parent / "first.bib"
    before = output.stat()
    for forget in (False, True):
        if forget:  # without the record of the last export, the bytes are compared
            shutil.rmtree(pinned.parent / ".slmbib")
        done = run_slmbib(pinned, "export", str(output))
        assert done.returncode == 0, done.stderr
        after = output.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)


def test_an_output_edited_by_hand_is_written_again(pinned: Path) -> None:
    output = pinned.parent / "first.bib"
    expected = output.read_bytes()
    output.write_bytes(expected.replace(b"@", b"@@", 1))
    assert run_slmbib(pinned, "export", str(output)).returncode == 0
    assert output.read_bytes() == expected


def _import_on_small_disk(disk: Path) -> Finished:
    listed = disk / "README.md"
    shutil.copyfile(REPO / "refs" / "lists" / "001_b4add92330990902.md", listed)
    done = run_slmbib(disk / "refs", "import", str(listed))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("Error: ") and done.stderr.count("\n") == 1, done.stderr
    assert "No space left on device" in done.stderr
    return done


def test_a_full_disk_stops_import_in_one_line_and_leaves_every_record_whole(small_disk: Path) -> None:
    """Issue 13, item 9: the records of refs/ on a disk that fills up while they are written."""
    assert run_slmbib(small_disk / "refs", "init").returncode == 0
    _import_on_small_disk(small_disk)
    papers = small_disk / "refs" / "papers"
    if papers.is_dir():  # whatever reached the disk is a whole record: old or new, never half
        load_records(small_disk / "refs")
        assert not [path.name for path in papers.iterdir() if not path.name.endswith(".yaml")]


def test_a_first_import_that_fills_the_disk_leaves_no_refs_behind(small_disk: Path) -> None:
    """refs/ did not exist before: a failed start takes it back, so the next one is not refused."""
    _import_on_small_disk(small_disk)
    assert not (small_disk / "refs").exists()
