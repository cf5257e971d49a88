"""The answer cache of ``sync``: one SQLite file, keyed by service and lookup key.

Each row holds a service's answer to one lookup (a JSON document, ``null``
for "not found") and the time it was fetched.  Rows are written one batch per
transaction as answers arrive, so a killed run keeps every answer it had
committed, and the next run asks only for what is missing or too old.
How old is too old is the caller's decision (see ``syncing.plan``).

Answers go in and come out through one :class:`Codec` per service: the
service module's own converter, so an answer read back (even one stored by an
older version) is checked exactly as a fresh one was, and one that no longer
passes is treated as missing and asked again, never applied.

The cache is disposable: it lives outside ``refs/`` (git-ignored), holds
nothing but the services' checked answers (never a request header, so never
the API key), and a cache of another version, or one whose file SQLite cannot
read, is replaced by an empty one with a warning rather than stopping the
run.  A file that is not recognisably an slmbib cache (not SQLite, or
another program's database) is refused and left as it is: ``--cache`` may
name the wrong file.  A cache that cannot be written (a full disk) stops the
run with one line, and a cache file the run could not even start is removed
rather than left empty.

A read-only cache (``writable=False``, for ``--dry-run``) reads the file if it
exists and keeps the answers of the run in memory: it never creates or
changes a file.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CacheError, UnusableAnswer

log = logging.getLogger(__name__)

#: Bumped when the rows' meaning changes; an older file is then started afresh.
SCHEMA_VERSION = 1
#: SQLite's ``application_id`` of an slmbib cache ("slmb"): how a cache is told from other databases.
APPLICATION_ID = 0x736C6D62
_SQLITE_MAGIC = b"SQLite format 3\x00"
_COLUMNS = ["service", "key", "fetched", "answer"]
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


@dataclass(frozen=True)
class Codec:
    """A service's answers to and from JSON; ``from_json`` raises :class:`UnusableAnswer` for a bad one."""

    to_json: Callable[[Any], Any]
    from_json: Callable[[Any], Any]


def _unwritable(path: Path, exc: BaseException) -> CacheError:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return CacheError(f"cannot write the cache {path}: {reason}")


def _foreign(path: Path) -> str | None:
    """Why ``path`` is not an slmbib cache, or None if it is one (or empty, or missing).

    Read from the file's header and schema alone: nothing is written before it is known to be ours.
    """
    try:
        with path.open("rb") as file:
            header = file.read(100)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror})"
    if not header:
        return None
    if len(header) < 100 or not header.startswith(_SQLITE_MAGIC):
        return "is not an SQLite file"
    application_id = int.from_bytes(header[68:72], "big")
    if application_id == APPLICATION_ID:
        return None
    if application_id != 0:
        return "is another program's database"
    # No mark: the cache of an older version has just the answers table.
    try:
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as db:
            tables = [row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            columns = [row[1] for row in db.execute("PRAGMA table_info(answers)")]
    except sqlite3.DatabaseError:
        return "is an SQLite file that cannot be read"
    if set(tables) - {"answers"} or (tables and columns != _COLUMNS):
        return "is another program's database"
    return None


class Cache:
    """Answers by ``(service, key)``; see the module docstring."""

    def __init__(self, path: Path | None, codecs: Mapping[str, Codec], *, writable: bool = True) -> None:
        self.path = path
        self.codecs = codecs
        self.writable = writable
        self._memory: dict[tuple[str, str], Cached | None] = {}
        self._db: sqlite3.Connection | None = None
        if path is None:
            return
        why = _foreign(path)
        if why is not None:
            raise CacheError(f"{path} {why}: not an slmbib cache, left as it is (choose another --cache)")
        if writable or path.is_file():
            self._db = self._open(path)

    def _open(self, path: Path) -> sqlite3.Connection | None:
        existed = path.exists()
        try:
            try:
                return self._connect(path)
            except sqlite3.DatabaseError as exc:
                if isinstance(exc, sqlite3.OperationalError) and self.writable:
                    raise  # cannot write (full disk, read-only), not a broken file
                if not self.writable:
                    log.warning("ignoring the cache %s: %s", path, exc)
                    return None
                log.warning("the cache %s was unreadable (%s); starting an empty one", path, exc)
                for stale in (path, path.with_name(path.name + "-journal")):
                    with contextlib.suppress(FileNotFoundError):
                        stale.unlink()
                existed = False
                return self._connect(path)
        except (sqlite3.Error, OSError) as exc:
            if not existed:  # never leave an empty file where a cache was to be
                for created in (path, path.with_name(path.name + "-journal")):
                    with contextlib.suppress(OSError):
                        created.unlink()
            raise _unwritable(path, exc) from None

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
                    db.execute("DROP TABLE IF EXISTS answers")  # ours: _foreign() checked
                    db.execute(_SCHEMA)
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            elif version != SCHEMA_VERSION:
                raise sqlite3.DatabaseError(f"cache version {version}, expected {SCHEMA_VERSION}")
            if self.writable and db.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                with db:
                    db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
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
        """The stored answer, converted by the service's codec; None if absent or no longer valid."""
        # A run asks for the same keys again and again (every time a record is recomputed):
        # each is read from the file once, then from memory.
        slot = (service, key)
        if slot in self._memory:
            return self._memory[slot]
        found = None
        if self._db is not None:
            try:
                row = self._db.execute(
                    "SELECT answer, fetched FROM answers WHERE service = ? AND key = ?", (service, key)
                ).fetchone()
            except sqlite3.Error as exc:
                raise CacheError(f"cannot read the cache {self.path}: {exc}") from None
            if row is not None:
                try:
                    found = Cached(self.codecs[service].from_json(json.loads(row[0])), float(row[1]))
                except (ValueError, RecursionError, UnusableAnswer) as exc:
                    log.debug("%s %s: the cached answer is not usable (%s); asking again", service, key, exc)
        self._memory[slot] = found
        return found

    def put(self, service: str, answers: Mapping[str, Any], fetched: float) -> None:
        """Store one batch of answers, in the file in one transaction (unless read-only)."""
        for key, answer in answers.items():
            self._memory[(service, key)] = Cached(answer, fetched)
        if not self.writable or self._db is None:
            return
        # One answer is often stored under several keys (a paper under each of its ids): encode it once.
        to_json = self.codecs[service].to_json
        encoded = {
            id(answer): json.dumps(to_json(answer), ensure_ascii=False, sort_keys=True)
            for answer in answers.values()
        }
        rows = [(service, key, fetched, encoded[id(answer)]) for key, answer in answers.items()]
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO answers (service, key, fetched, answer) VALUES (?, ?, ?, ?)", rows
                )
        except (sqlite3.Error, OSError) as exc:
            raise _unwritable(self.path or Path(), exc) from None
