"""The answer cache of ``sync``: one SQLite file, keyed by service and lookup key.

Each row holds a service's answer to one lookup (a JSON document, ``null``
for "not found") and the time it was fetched.  Rows are written one batch per
transaction as answers arrive, so a killed run keeps every answer it had
committed, and the next run asks only for what is missing or too old.
How old is too old is the caller's decision (see ``enrich``).

The cache is disposable: it lives outside ``refs/`` (git-ignored), holds
nothing but the services' public answers (never a request header, so never
the API key), and a file that is not a cache of this version is replaced by
an empty one with a warning rather than stopping the run.

A read-only cache (``writable=False``, for ``--dry-run``) reads the file if it
exists and keeps the answers of the run in memory: it never creates or
changes a file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

#: Bumped when the rows' meaning changes; an older file is then started afresh.
SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    service TEXT NOT NULL,
    key TEXT NOT NULL,
    fetched REAL NOT NULL,
    answer TEXT NOT NULL,
    PRIMARY KEY (service, key)
) WITHOUT ROWID
"""


@dataclass(frozen=True)
class Cached:
    """One stored answer and when it was fetched (seconds since the epoch)."""

    answer: Any
    fetched: float


class Cache:
    """Answers by ``(service, key)``; see the module docstring."""

    def __init__(self, path: Path | None, *, writable: bool = True) -> None:
        self.path = path
        self.writable = writable
        self._memory: dict[tuple[str, str], Cached | None] = {}
        self._db: sqlite3.Connection | None = None
        if path is not None and (writable or path.is_file()):
            self._db = self._open(path)

    def _open(self, path: Path) -> sqlite3.Connection | None:
        try:
            return self._connect(path)
        except sqlite3.DatabaseError as exc:
            if not self.writable:
                log.warning("ignoring the cache %s: %s", path, exc)
                return None
            log.warning("the cache %s was unreadable (%s); starting an empty one", path, exc)
            for stale in (path, path.with_name(path.name + "-journal")):
                with contextlib.suppress(FileNotFoundError):
                    stale.unlink()
            return self._connect(path)

    def _connect(self, path: Path) -> sqlite3.Connection:
        if self.writable:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=30)
        else:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if self.writable and version != SCHEMA_VERSION:
                with db:
                    db.execute("DROP TABLE IF EXISTS answers")
                    db.execute(_SCHEMA)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"cache version {version}, expected {SCHEMA_VERSION}")
            db.execute("SELECT count(*) FROM answers").fetchone()
        except BaseException:
            db.close()
            raise
        return db

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def get(self, service: str, key: str) -> Cached | None:
        # A run asks for the same keys again and again (every time a record is recomputed):
        # each is read from the file once, then from memory.
        slot = (service, key)
        if slot in self._memory:
            return self._memory[slot]
        found = None
        if self._db is not None:
            row = self._db.execute(
                "SELECT answer, fetched FROM answers WHERE service = ? AND key = ?", (service, key)
            ).fetchone()
            found = None if row is None else Cached(json.loads(row[0]), float(row[1]))
        self._memory[slot] = found
        return found

    def put(self, service: str, answers: Mapping[str, Any], fetched: float) -> None:
        """Store one batch of answers, in the file in one transaction (unless read-only)."""
        for key, answer in answers.items():
            self._memory[(service, key)] = Cached(answer, fetched)
        if not self.writable or self._db is None:
            return
        # One answer is often stored under several keys (a paper under each of its ids): encode it once.
        encoded = {
            id(answer): json.dumps(answer, ensure_ascii=False, sort_keys=True) for answer in answers.values()
        }
        rows = [(service, key, fetched, encoded[id(answer)]) for key, answer in answers.items()]
        with self._db:
            self._db.executemany(
                "INSERT OR REPLACE INTO answers (service, key, fetched, answer) VALUES (?, ?, ?, ?)", rows
            )
