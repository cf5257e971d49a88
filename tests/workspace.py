"""Running the command line against a copy of the committed refs/."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from slmbib.cli import main
from slmbib.store import LOCK_FILE, RECORD_CACHE
from slmbib.writing.uptodate import EXPORTS_FILE

#: What slmbib keeps beside refs/ to skip work: the files' times and inodes, which differ by run.
CACHES = {RECORD_CACHE, EXPORTS_FILE}


def run(*args: str) -> tuple[int, str, str]:
    """``slmbib ARGS`` in the working folder: exit status, stdout, stderr."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file below ``folder`` and its bytes, but the lock file, which any writing run creates,
    and the caches beside refs/, which any run reading refs/ may update (they are not data)."""
    return {
        str(path): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and path.name != LOCK_FILE and path.relative_to(folder) not in CACHES
    }
