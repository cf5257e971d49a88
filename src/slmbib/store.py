"""``refs/``: the reference database, one YAML file per paper.

Layout::

    refs/
      papers/<record id>.yaml   one record each (see models.Record)
      lists/*.md                the survey's paper lists, as imported
      own/<record id>.yaml      the list's own works (see survey.py)
      survey.yaml               the survey's record, as earlier versions kept it

Contract:

* Loading uses safe YAML only and validates every file before returning any;
  a broken file raises :class:`InputError` as ``refs/papers/x.yaml:LINE: ...``.
  A record holds plain data: strings, finite numbers, booleans, null, lists
  and mappings.  Other tags, anchors and aliases, and nesting deeper than 32
  levels are refused; dates stay the text they were written as.
* Writing serialises every record first, then replaces only the files whose
  bytes change, each atomically (temporary file in the same folder, then
  ``os.replace``), so a crash leaves every file either old or new.  The
  temporary files a killed run leaves (``.<name>.<random>.part``) are removed
  by the next run that takes the lock.
* The same records always give the same bytes (fixed key order, UTF-8, LF).
* Record ids become file names, so they are checked to stay inside ``papers/``.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import logging
import math
import os
import re
import tempfile
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, LockedError
from .models import Record

PAPERS_DIR = "papers"
LISTS_DIR = "lists"
OWN_DIR = "own"
SURVEY_FILE = "survey.yaml"
LOCK_FILE = ".lock"
#: Ends the name of an atomic write's temporary file: ``.<name>.<random>.part``.
TEMPORARY_SUFFIX = ".part"

logger = logging.getLogger(__name__)

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
# Shared objects are written out in full: a record file never holds an anchor or alias,
# which lets loading refuse them (see _check_plain_yaml).
_Dumper: Any = type(
    "_Dumper", (getattr(yaml, "CSafeDumper", yaml.SafeDumper),), {"ignore_aliases": lambda self, data: True}
)

_CORE_TAG = "tag:yaml.org,2002:"
#: Explicit YAML tags a record file may use: plain data, never objects, bytes or sets.
_PLAIN_TAGS = {
    "!",
    *(_CORE_TAG + name for name in ("str", "int", "float", "bool", "null", "seq", "map", "timestamp")),
}
#: A record nests about four levels deep; the limit keeps a crafted file from exhausting the stack.
_MAX_DEPTH = 32
#: Characters YAML refuses in a stream (its "printable" set, inverted).
_NOT_YAML_TEXT = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_RECORD_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,119}$")
_ID_RULE = "ids are lower-case letters, digits, '.', '-' and '_', at most 120, no '..', no reserved name"
# Names Windows refuses as files, whatever the extension: a clone there must not break.
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def check_record_id(record_id: str) -> str:
    """Return ``record_id`` if it is safe as a file name under ``papers/``, else raise ValueError."""
    if not _RECORD_ID.match(record_id) or ".." in record_id or record_id.split(".")[0] in _RESERVED:
        raise ValueError(f"unsafe record id {record_id!r}")
    return record_id


def _checked_scalar(kind: str) -> Any:
    """The safe constructor of ``kind``, failing with the node's line instead of a bare exception."""
    construct = getattr(yaml.constructor.SafeConstructor, f"construct_yaml_{kind}")

    def checked(loader: Any, node: yaml.ScalarNode) -> Any:
        try:
            value = construct(loader, node)
        except (ValueError, KeyError, OverflowError):
            value = None  # an int of more than 4300 digits, !!float x, !!bool maybe
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            written = node.value if len(node.value) <= 40 else node.value[:40] + "..."
            raise yaml.constructor.ConstructorError(
                None, None, f"{written!r} is not a usable {kind}", node.start_mark
            )
        return value

    return checked


# Safe loading narrowed to the plain data a record holds.  A date stays the text it was
# written as, because the records pass through JSON and BibTeX, which have no date type.
_RecordLoader: Any = type("_RecordLoader", (_Loader,), {})
_RecordLoader.add_constructor(_CORE_TAG + "timestamp", yaml.constructor.SafeConstructor.construct_yaml_str)
for _kind in ("int", "float", "bool"):
    _RecordLoader.add_constructor(_CORE_TAG + _kind, _checked_scalar(_kind))


def _check_plain_yaml(text: str, shown: str) -> None:
    """Refuse what safe loading allows but a record must not hold, before anything is built.

    Aliases are refused because a few lines of them expand to billions of
    values once the record is copied or printed, tags because a record holds
    plain data only, and deep nesting because building it recurses (in C).
    """
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.events.AliasEvent) or getattr(event, "anchor", None):
            raise InputError(
                shown, line, "invalid YAML: anchors and aliases (&x, *x) are not allowed in a record file"
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag not in _PLAIN_TAGS:
            written = tag.replace(_CORE_TAG, "!!", 1)
            raise InputError(shown, line, f"invalid YAML: tag {written!r} is not allowed in a record file")
        if isinstance(event, yaml.events.CollectionStartEvent):
            depth += 1
            if depth > _MAX_DEPTH:
                raise InputError(shown, line, f"invalid YAML: nested more than {_MAX_DEPTH} levels deep")
        elif isinstance(event, yaml.events.CollectionEndEvent):
            depth -= 1


def dump_yaml(data: Any) -> str:
    return str(
        yaml.dump(
            data,
            Dumper=_Dumper,
            sort_keys=False,
            allow_unicode=True,
            width=100_000,
            default_flow_style=False,
        )
    )


def dump_record(record: Record) -> str:
    return dump_yaml(record.to_dict())


def _display(path: Path) -> str:
    """A path as the user would name it: relative to the working folder when inside it."""
    # Every file read is named in advance, in case it is broken: resolving each one's
    # symbolic links took seconds on a large refs/.  Only a path that does not simply
    # lie under the working folder is resolved.
    working = Path.cwd()
    try:
        return str((path if path.is_absolute() else working / path).relative_to(working))
    except ValueError:
        pass
    try:
        return str(path.resolve().relative_to(working.resolve()))
    except ValueError:
        return str(path)


def parse_record(text: str, path: Path) -> Record:
    """Parse one record file's text; every problem names ``path`` and a line."""
    shown = _display(path)
    try:
        _check_plain_yaml(text, shown)
        loader = _RecordLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise InputError(shown, 1, "empty record file")
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        raise InputError(shown, line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.reader.ReaderError:
        # Its position counts bytes of libyaml's buffer, not characters: find the culprit again.
        found = _NOT_YAML_TEXT.search(text)
        line = text.count("\n", 0, found.start()) + 1 if found else 0
        culprit = repr(found.group()) if found else "a character"
        raise InputError(shown, line, f"invalid YAML: {culprit} is not allowed in YAML") from None
    except yaml.YAMLError as exc:
        raise InputError(shown, 0, f"invalid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise InputError(shown, node.start_mark.line + 1, "a record must be a mapping of fields")
    key_lines = {
        key_node.value: key_node.start_mark.line + 1
        for key_node, _ in getattr(node, "value", ())
        if isinstance(key_node, yaml.ScalarNode)
    }
    _check_shape(data, shown, key_lines)
    try:
        record = Record.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise InputError(shown, 1, f"malformed record: {exc!r}") from None
    if record.id != path.stem:
        raise InputError(shown, key_lines.get("id", 1), f"id {record.id!r} does not match the file name")
    try:
        check_record_id(record.id)
    except ValueError as exc:
        # A file added by hand under another name would load, then fail when it is saved.
        raise InputError(shown, key_lines.get("id", 1), f"{exc}: {_ID_RULE}") from None
    return record


_SHAPES: dict[str, type | tuple[type, ...]] = {
    "id": str,
    "key": str,
    "aliases": list,
    "identifiers": dict,
    "links": list,
    "listings": list,
    "fields": dict,
    "sync": dict,
    "override": (dict, type(None)),
}


def _check_shape(data: dict[str, Any], shown: str, key_lines: dict[str, int]) -> None:
    if "id" not in data:
        raise InputError(shown, 1, "missing 'id'")
    for name, value in data.items():
        line = key_lines.get(name, 1)
        expected = _SHAPES.get(name)
        if expected is None:
            raise InputError(shown, line, f"unknown key {name!r}")
        if not isinstance(value, expected):
            raise InputError(shown, line, f"{name!r} has the wrong type ({type(value).__name__})")
    for name in ("links", "listings"):
        for item in data.get(name) or ():
            if not isinstance(item, dict) or (name == "links" and "url" not in item):
                raise InputError(shown, key_lines.get(name, 1), f"every entry of {name!r} must be a mapping")
            if name == "listings" and not {"source", "line"} <= item.keys():
                raise InputError(shown, key_lines[name], "every listing needs 'source' and 'line'")
    for name, value in (data.get("fields") or {}).items():
        if not isinstance(value, dict) or not {"value", "source"} <= value.keys():
            raise InputError(shown, key_lines.get("fields", 1), f"field {name!r} needs 'value' and 'source'")


def papers_dir(root: Path) -> Path:
    return root / PAPERS_DIR


def record_path(root: Path, record_id: str) -> Path:
    return papers_dir(root) / f"{check_record_id(record_id)}.yaml"


def load_records(root: Path) -> dict[str, Record]:
    """Every record under ``root/papers``, by id.  Raises on the first broken file."""
    folder = papers_dir(root)
    records: dict[str, Record] = {}
    if not folder.is_dir():
        return records
    for path in sorted(folder.glob("*.yaml")):
        records[path.stem] = read_record_file(path)
    return records


def read_record_file(path: Path) -> Record:
    shown = _display(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(shown, 0, f"cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(shown, line, "not UTF-8") from None
    return parse_record(text, path)


@dataclass
class RecordChanges:
    """What a run did to refs/: the ids it created and changed, and how many it left alone."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0

    def count(self, before: Mapping[str, Record], after: Iterable[Record]) -> None:
        for record in after:
            old = before.get(record.id)
            if old is None:
                self.created.append(record.id)
            elif old != record:
                self.updated.append(record.id)
            else:
                self.unchanged += 1

    def changes_line(self) -> str:
        return (
            f"records: {len(self.created)} created, {len(self.updated)} updated, {self.unchanged} unchanged"
        )


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a part."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    try:
        # mkstemp makes the file private (0600); the result should have the mode the replaced
        # file had, or the one the user's umask gives a new file, like any other written file.
        os.chmod(fd, _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def save_records(root: Path, records: Iterable[Record], remove: Iterable[str] = ()) -> list[str]:
    """Write the records whose files change, then delete ``remove``; returns the ids written.

    Everything is serialised and checked before the first file is touched.
    """
    pending: list[tuple[Path, bytes]] = []
    for record in records:
        path = record_path(root, record.id)
        data = dump_record(record).encode("utf-8")
        try:
            if path.read_bytes() == data:
                continue
        except FileNotFoundError:
            pass
        pending.append((path, data))
    doomed = [record_path(root, record_id) for record_id in remove]
    for path, data in pending:
        atomic_write(path, data)
    for path in doomed:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    return [path.stem for path, _ in pending]


@contextlib.contextmanager
def locked(root: Path, wait: float = 0.0) -> Iterator[None]:
    """Hold the write lock of ``root`` for the block.

    Waits up to ``wait`` seconds for another slmbib run to finish, then raises
    :class:`LockedError`.  The lock is an advisory ``flock``, released by the
    kernel when the holder dies, so a killed run never leaves it stuck.
    """
    root.mkdir(parents=True, exist_ok=True)
    handle = open(root / LOCK_FILE, "a+")  # noqa: SIM115 - held for the whole block
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise LockedError(
                        f"{_display(root)} is in use by another slmbib run; try again when it ends"
                    ) from None
                time.sleep(0.1)
        for folder in (root, papers_dir(root), root / LISTS_DIR, root / OWN_DIR):
            remove_stale_temporaries(folder)
        yield
    finally:
        handle.close()


def remove_stale_temporaries(folder: Path, name: str = "") -> None:
    """Delete the temporary files that atomic writes of a killed run left in ``folder``.

    With ``name``, only those of that file.  Only the holder of the lock may:
    any other run's temporary files belong to writes still in progress.
    """
    pattern = f".{glob.escape(name)}.*" if name else ".*"
    for path in folder.glob(pattern + TEMPORARY_SUFFIX):
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            logger.info("removed %s, left by an interrupted run", _display(path))
