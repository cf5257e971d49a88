"""Whether an export's output is up to date: the same inputs give the same bytes.

An export is a function of the record files, the list's own works, its options
and slmbib's own code.  After writing, :func:`remember` keeps, beside
``refs/`` in ``.slmbib/exports.json``, a digest of those inputs (each file by
its name, size, times and inode) and the output file's own stamp.  When both
still hold, :func:`unchanged_export` gives the report of that export and the
run has nothing to do: no record is read, and the modules that read and write
them are not even imported.  Any difference, a hand edit of the output
included, means a full export.  This module imports only the standard library.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__

EXPORTS_FILE = Path(".slmbib") / "exports.json"
# The files an export reads, named here rather than imported from the modules that read them,
# which import YAML: store.PAPERS_DIR, store.OWN_DIR and store.SURVEY_FILE (the older home of
# the survey's record); tests/test_startup.py checks they agree.
_PAPERS = "papers"
_OWN = "own"
_SURVEY = "survey.yaml"


def export_settings(fmt: str, order: str, sections: Sequence[str], strict: bool) -> list[str]:
    """The options an export's output depends on, as one list."""
    return [fmt, order, str(strict), *sections]


def _stamp(path: Path | str) -> list[int] | None:
    try:
        status = os.stat(path)
    except OSError:
        return None
    return [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]


def _code_folders() -> list[Path]:
    """slmbib's folder and its subpackages': a file edited in any of them is a new input."""
    folders = []
    # The package's own folder, however deep in it this module lives.
    for path, subfolders, _ in os.walk(Path(__file__).parents[__name__.count(".") - 1]):
        subfolders[:] = sorted(name for name in subfolders if name != "__pycache__")
        folders.append(Path(path))
    return folders


def _inputs(refs: Path, settings: Sequence[str]) -> str:
    digest = hashlib.sha256(json.dumps([__version__, *settings]).encode())
    for folder in (*_code_folders(), refs / _PAPERS, refs / _OWN):
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            names = []
        # Joined as strings: a Path for each of 100,000 record files cost more than its stat.
        where = str(folder)
        stamps = [(name, _stamp(os.path.join(where, name))) for name in names]
        digest.update(json.dumps([where, stamps]).encode())
    digest.update(json.dumps(_stamp(refs / _SURVEY)).encode())
    return digest.hexdigest()


def _memo_path(refs: Path) -> Path:
    return refs.parent / EXPORTS_FILE


def _read(refs: Path) -> dict[str, Any]:
    try:
        memo = json.loads(_memo_path(refs).read_bytes())
    except (OSError, ValueError, RecursionError):
        return {}
    return memo if isinstance(memo, dict) else {}


def unchanged_export(refs: Path, output: Path, settings: Sequence[str]) -> list[str] | None:
    """The report of the last export to ``output`` if nothing it depends on changed since; else None."""
    entry = _read(refs).get(os.path.abspath(output))
    if not isinstance(entry, dict) or entry.get("output") != _stamp(output) or entry.get("output") is None:
        return None
    if entry.get("inputs") != _inputs(refs, settings):
        return None
    lines = entry.get("lines")
    return lines if isinstance(lines, list) and all(isinstance(line, str) for line in lines) else None


def remember(refs: Path, output: Path, settings: Sequence[str], lines: list[str]) -> None:
    """Note that ``output`` is what ``refs/`` now gives with ``settings``; ``lines`` is a rerun's report."""
    from ..store import atomic_write

    memo = _read(refs)
    memo[os.path.abspath(output)] = {
        "inputs": _inputs(refs, settings),
        "output": _stamp(output),
        "lines": lines,
    }
    # A memo that cannot be kept only costs the next export its full run.
    with contextlib.suppress(OSError):
        atomic_write(_memo_path(refs), json.dumps(memo, ensure_ascii=False).encode())
