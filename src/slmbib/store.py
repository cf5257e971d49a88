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
* Record ids become file names, so they are checked to stay inside ``papers/``
  (:func:`identity.new_record_id` names a new record).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import glob
import io
import json
import logging
import math
import os
import re
import stat
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from .errors import InputError, LockedError, MissingRefsError, SlmbibError, UsageError
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
    """Return ``record_id`` if it is safe as a file name under ``papers/``, else raise UsageError."""
    if not _RECORD_ID.match(record_id) or ".." in record_id or record_id.split(".")[0] in _RESERVED:
        raise UsageError(f"unsafe record id {record_id!r}")
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


_SCALAR_CONSTRUCTORS: dict[str, Any] = {
    _CORE_TAG + "str": None,  # the text itself
    _CORE_TAG + "timestamp": None,  # a date stays the text it was written as
    _CORE_TAG + "null": lambda loader, node: None,
    **{_CORE_TAG + kind: _checked_scalar(kind) for kind in ("int", "float", "bool")},
}
_MERGE_TAG = _CORE_TAG + "merge"
_COLLECTION_TAGS = {
    yaml.events.SequenceStartEvent: _CORE_TAG + "seq",
    yaml.events.MappingStartEvent: _CORE_TAG + "map",
}
_NO_KEY: Any = object()
_MERGE_KEY: Any = object()


class _Open:
    """A collection being built from the event stream: its container and, for a mapping, its pending key."""

    __slots__ = ("items", "key", "merged")

    def __init__(self, items: list[Any] | dict[Any, Any]) -> None:
        self.items = items
        self.key = _NO_KEY
        self.merged: list[dict[Any, Any]] = []

    def closed(self) -> list[Any] | dict[Any, Any]:
        if not self.merged:
            return self.items
        # ``<<`` merge keys, as safe loading reads them: the first merged mapping wins, own keys win over all.
        whole: dict[Any, Any] = {}
        for mapping in reversed(self.merged):
            whole.update(mapping)
        whole.update(self.items)
        return whole


class _PlainData:
    """One record file's data and the line of each top-level key, built in one pass over YAML's events.

    Safe loading would allow what a record must not hold: aliases, because a
    few lines of them expand to billions of values once the record is copied or
    printed; tags other than plain data; and deep nesting, because building it
    recurses (in C).  Each is refused at the event that brings it, before any
    of it is built, and the data is built from the same events: parsing each
    file once instead of checking one parse and building from a second.
    """

    _resolver = yaml.resolver.Resolver()
    _constructor = yaml.constructor.SafeConstructor()

    def __init__(self, text: str, shown: str) -> None:
        self.shown = shown
        self.key_lines: dict[str, int] = {}
        self.root_line = 1
        self.data: Any = None
        self._build(text)

    def _refuse(self, line: int, message: str) -> InputError:
        return InputError(self.shown, line, f"invalid YAML: {message}")

    def _build(self, text: str) -> None:
        stack: list[_Open] = []
        documents = 0
        for event in yaml.parse(text, Loader=_Loader):
            kind = type(event)
            line = event.start_mark.line + 1 if event.start_mark else 0
            if kind is yaml.events.ScalarEvent:
                if not stack:
                    self.root_line = line
                self._add(stack, self._scalar(event, line, bool(stack) and stack[-1].key is _NO_KEY), line)
            elif kind in _COLLECTION_TAGS:
                if getattr(event, "anchor", None):
                    raise self._anchors(line)
                tag = getattr(event, "tag", None)
                if tag not in (None, "!", _COLLECTION_TAGS[kind]):
                    raise self._tag(tag, line)
                if len(stack) >= _MAX_DEPTH:
                    raise self._refuse(line, f"nested more than {_MAX_DEPTH} levels deep")
                if not stack:
                    self.root_line = line
                stack.append(_Open([] if kind is yaml.events.SequenceStartEvent else {}))
            elif kind is yaml.events.SequenceEndEvent or kind is yaml.events.MappingEndEvent:
                self._add(stack, stack.pop().closed(), line)
            elif kind is yaml.events.AliasEvent:
                raise self._anchors(line)
            elif kind is yaml.events.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self._refuse(line, "expected a single document in the stream, but found another")
        if documents == 0:
            raise InputError(self.shown, 1, "empty record file")

    def _anchors(self, line: int) -> InputError:
        return self._refuse(line, "anchors and aliases (&x, *x) are not allowed in a record file")

    def _tag(self, tag: str, line: int) -> InputError:
        written = tag.replace(_CORE_TAG, "!!", 1)
        return self._refuse(line, f"tag {written!r} is not allowed in a record file")

    def _scalar(self, event: Any, line: int, is_key: bool) -> Any:
        if event.anchor:
            raise self._anchors(line)
        tag = event.tag
        if tag is None or tag == "!":
            tag = self._resolver.resolve(yaml.ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        elif tag not in _PLAIN_TAGS:
            raise self._tag(tag, line)
        if tag == _MERGE_TAG and is_key:
            return _MERGE_KEY
        if tag not in _SCALAR_CONSTRUCTORS:
            raise self._refuse(line, f"tag {tag.replace(_CORE_TAG, '!!', 1)!r} does not fit {event.value!r}")
        construct = _SCALAR_CONSTRUCTORS[tag]
        if construct is None:
            return event.value
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        return construct(self._constructor, node)

    def _add(self, stack: list[_Open], value: Any, line: int) -> None:
        if not stack:
            self.data = value
            return
        top = stack[-1]
        if isinstance(top.items, list):
            top.items.append(value)
        elif top.key is _NO_KEY:
            if isinstance(value, (list, dict)):
                raise self._refuse(line, "found an unhashable key (a list or mapping)")
            top.key = value
            if len(stack) == 1 and isinstance(value, str):
                self.key_lines[value] = line
        elif top.key is _MERGE_KEY:
            merged = value if isinstance(value, list) else [value]
            if not all(isinstance(mapping, dict) for mapping in merged):
                raise self._refuse(line, "expected a mapping or a list of mappings for merging")
            top.merged.extend(merged)
            top.key = _NO_KEY
        else:
            top.items[top.key] = value
            top.key = _NO_KEY


def dump_yaml(data: Any) -> str:
    """``data`` as YAML, exactly as PyYAML's safe dumper writes it (block style, Unicode, no wrapping).

    The nodes are built here rather than by PyYAML's representer, which took most
    of an import's time walking its type tables for every value of every record;
    data of another type than plain data goes to the representer as before.
    """
    stream = io.StringIO()
    dumper = _Dumper(stream, allow_unicode=True, width=100_000, default_flow_style=False, sort_keys=False)
    try:
        dumper.open()
        dumper.serialize(_node(data, dumper))
        dumper.close()
    finally:
        dumper.dispose()
    return stream.getvalue()


_STR_TAG, _INT_TAG, _SEQ_TAG, _MAP_TAG = (_CORE_TAG + name for name in ("str", "int", "seq", "map"))


def _node(data: Any, dumper: Any) -> yaml.Node:
    kind = type(data)
    if kind is str:
        return yaml.ScalarNode(_STR_TAG, data)
    if kind is int:
        return yaml.ScalarNode(_INT_TAG, str(data))
    if kind is dict:
        pairs = [(_node(key, dumper), _node(value, dumper)) for key, value in data.items()]
        return yaml.MappingNode(_MAP_TAG, pairs, flow_style=False)
    if kind is list:
        return yaml.SequenceNode(_SEQ_TAG, [_node(item, dumper) for item in data], flow_style=False)
    if isinstance(data, str):
        # An enum member of the record model (Provenance, LinkRole) is written as its text, never as
        # an object that safe loading would refuse.
        return yaml.ScalarNode(_STR_TAG, str(data))
    node: yaml.Node = dumper.represent_data(data)
    return node


class _ScalarTags(dict[tuple[str, tuple[bool, bool]], str]):
    """The tag each scalar text resolves to, remembered: the emitter asks twice for every value."""

    _resolver = yaml.resolver.Resolver()

    def __missing__(self, key: tuple[str, tuple[bool, bool]]) -> str:
        if len(self) > 100_000:
            self.clear()
        tag: str = self._resolver.resolve(yaml.ScalarNode, *key)  # type: ignore[no-untyped-call]
        self[key] = tag
        return tag


#: The first characters of plain scalars that may resolve to another type than text.
_TYPED_FIRST_CHARACTERS = frozenset(_ScalarTags._resolver.yaml_implicit_resolvers)

_SafeDumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Dumper(_SafeDumper):  # type: ignore[misc]
    _scalar_tags = _ScalarTags()

    def ignore_aliases(self, data: Any) -> bool:
        # Shared objects are written out in full: a record file never holds an anchor or
        # alias, which lets loading refuse them (see _PlainData).
        return True

    # Tags are decided by the value alone: no path resolvers are registered to track.
    def descend_resolver(self, current_node: Any, current_index: Any) -> None:
        pass

    def ascend_resolver(self) -> None:
        pass

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        if kind is yaml.ScalarNode:
            # Asked as quoted text, any scalar is a string: no resolver applies; nor to plain
            # text whose first character starts no implicit type (most titles and names).
            if not implicit[0] or (value and value[0] not in _TYPED_FIRST_CHARACTERS):
                return _STR_TAG
            return self._scalar_tags[value, implicit]
        # With no path resolvers, PyYAML's answer for a collection is its default tag.
        return _SEQ_TAG if kind is yaml.SequenceNode else _MAP_TAG


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
    return _record_from_data(_parse_data(text, _display(path)), path)


def _parse_data(text: str, shown: str) -> _PlainData:
    try:
        return _PlainData(text, shown)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        # libyaml may place a problem at the end of the stream a line or two past the last one.
        line = min(mark.line + 1, text.count("\n") + 1) if mark is not None else 0
        raise InputError(shown, line, f"invalid YAML: {exc.problem or exc.context}") from None
    except yaml.reader.ReaderError:
        # Its position counts bytes of libyaml's buffer, not characters: find the culprit again.
        found = _NOT_YAML_TEXT.search(text)
        line = text.count("\n", 0, found.start()) + 1 if found else 0
        culprit = repr(found.group()) if found else "a character"
        raise InputError(shown, line, f"invalid YAML: {culprit} is not allowed in YAML") from None
    except yaml.YAMLError as exc:
        raise InputError(shown, 0, f"invalid YAML: {exc}") from None


def _record_from_data(parsed: _PlainData, path: Path) -> Record:
    shown = parsed.shown
    data = parsed.data
    if not isinstance(data, dict):
        raise InputError(shown, parsed.root_line, "a record must be a mapping of fields")
    key_lines = parsed.key_lines
    _check_shape(data, shown, key_lines)
    try:
        record = Record.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise _malformed(data, shown, key_lines) from None
    if record.id != path.stem:
        raise InputError(shown, key_lines.get("id", 1), f"id {record.id!r} does not match the file name")
    try:
        check_record_id(record.id)
    except UsageError as exc:
        # A file added by hand under another name would load, then fail when it is saved.
        raise InputError(shown, key_lines.get("id", 1), f"{exc}: {_ID_RULE}") from None
    return record


def _malformed(data: dict[str, Any], shown: str, key_lines: dict[str, int]) -> InputError:
    """Name the member of a record that cannot be read, by building the record one member at a time."""
    for name, value in data.items():
        try:
            Record.from_dict({"id": data["id"], name: value})
        except KeyError as exc:
            problem = f"an entry misses {exc.args[0]!r}"
        except AttributeError as exc:  # "'list' object has no attribute 'items'"
            found = str(exc).split("'")[1] if "'" in str(exc) else "value"
            problem = f"a {found} where a mapping belongs"
        except (TypeError, ValueError) as exc:
            problem = str(exc)
        else:
            continue
        return InputError(shown, key_lines.get(name, 1), f"{name!r} cannot be read: {problem}")
    return InputError(shown, 1, "malformed record")


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
        expected = _SHAPES.get(name)
        if expected is None:
            raise InputError(shown, key_lines.get(name, 1), f"unknown key {name!r}")
        if not isinstance(value, expected):
            raise InputError(
                shown, key_lines.get(name, 1), f"{name!r} has the wrong type ({type(value).__name__})"
            )
    for name in ("links", "listings"):
        for item in data.get(name) or ():
            if not isinstance(item, dict) or (name == "links" and "url" not in item):
                raise InputError(shown, key_lines.get(name, 1), f"every entry of {name!r} must be a mapping")
            if name == "listings" and not {"source", "line"} <= item.keys():
                raise InputError(shown, key_lines[name], "every listing needs 'source' and 'line'")
    # Every field of every record is checked on each load: two lookups, not a set made for each.
    for name, value in (data.get("fields") or {}).items():
        if not isinstance(value, dict) or "value" not in value or "source" not in value:
            raise InputError(shown, key_lines.get("fields", 1), f"field {name!r} needs 'value' and 'source'")


def papers_dir(refs: Path) -> Path:
    return refs / PAPERS_DIR


def record_path(refs: Path, record_id: str) -> Path:
    return papers_dir(refs) / f"{check_record_id(record_id)}.yaml"


def own_dir(refs: Path) -> Path:
    return refs / OWN_DIR


def own_path(refs: Path, record_id: str) -> Path:
    return own_dir(refs) / f"{check_record_id(record_id)}.yaml"


def lists_dir(refs: Path) -> Path:
    return refs / LISTS_DIR


def load_records(refs: Path) -> dict[str, Record]:
    """Every record under ``refs/papers``, by id.  Raises on the first broken file.

    A file whose size, times and inode are those the record cache saw is taken
    from the cache; any other file is read and parsed, and the cache updated.
    """
    folder = papers_dir(refs)
    records: dict[str, Record] = {}
    try:
        entries = sorted(
            (entry for entry in os.scandir(folder) if entry.name.endswith(".yaml")), key=lambda e: e.name
        )
    except (FileNotFoundError, NotADirectoryError):
        return records
    cache = RecordCache.open(refs)
    for entry in entries:
        path = folder / entry.name
        try:
            stamp = _stamp(entry.stat())
        except OSError:
            stamp = None
        cached = cache.record(entry.name, stamp, path) if stamp is not None else None
        if cached is not None:
            records[path.stem] = cached
            continue
        parsed, stamp = _read_record_data(path)
        record = _record_from_data(parsed, path)
        records[path.stem] = record
        if stamp is not None:
            cache.put(entry.name, stamp, parsed.data)
    cache.keep_only(entry.name for entry in entries)
    cache.save()
    return records


def read_record_file(path: Path) -> Record:
    return _record_from_data(_read_record_data(path)[0], path)


#: A record is a few kilobytes; a record file larger than this is not one.
MAX_RECORD_BYTES = 16 * 2**20

Stamp = tuple[int, int, int, int]


def _stamp(status: os.stat_result) -> Stamp:
    """What changes whenever a file's bytes may have: size, modification and change times, inode."""
    return (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)


def read_bounded(path: Path, limit: int = MAX_RECORD_BYTES) -> tuple[bytes, Stamp | None]:
    """A regular file's bytes, and its stamp when the file did not change while it was read.

    A device, a pipe or a file over ``limit`` is refused with :class:`OSError`
    instead of being read without end (a record file may be a symbolic link
    to ``/dev/zero``); opening does not wait on a pipe.
    """
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        before = os.fstat(fd)
        if not stat.S_ISREG(before.st_mode):
            raise OSError(errno.EINVAL, "not a regular file")
        if before.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit // 2**20} MiB")
        chunks = []
        remaining = limit + 1
        while remaining > 0:
            chunk = os.read(fd, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        if remaining <= 0:
            raise OSError(errno.EFBIG, f"larger than {limit // 2**20} MiB")
        after = _stamp(os.fstat(fd))
        return b"".join(chunks), after if after == _stamp(before) else None
    finally:
        os.close(fd)


def _read_record_data(path: Path) -> tuple[_PlainData, Stamp | None]:
    shown = _display(path)
    try:
        raw, stamp = read_bounded(path)
    except OSError as exc:
        raise InputError(shown, 0, f"cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(shown, line, "not UTF-8") from None
    return _parse_data(text, shown), stamp


#: The cache of parsed record files, in the project's git-ignored working folder beside refs/.
RECORD_CACHE = Path(".slmbib") / "records.json"
_CACHE_VERSION = 1


class RecordCache:
    """Parsed record files, each kept with the stamp of the file it was parsed from.

    The YAML files stay the only truth: an entry is used only while its file
    has the same size, times and inode, and is checked like a parsed file
    before use.  A cache that cannot be read, is of another version or
    folder, or holds anything unexpected is ignored and rebuilt; one that
    cannot be written is left alone.
    """

    def __init__(self, path: Path, folder: str, files: dict[str, Any]) -> None:
        self.path = path
        self.folder = folder
        self.files = files
        self.changed = False

    @classmethod
    def open(cls, refs: Path) -> RecordCache:
        path = refs.parent / RECORD_CACHE
        folder = str(papers_dir(refs).resolve())
        try:
            data = json.loads(path.read_bytes(), parse_constant=_no_constant)
            if data.get("version") == _CACHE_VERSION and data.get("folder") == folder:
                files = data["files"]
                if isinstance(files, dict):
                    return cls(path, folder, files)
        except (OSError, ValueError, RecursionError, AttributeError, KeyError, TypeError):
            pass
        return cls(path, folder, {})

    @staticmethod
    def worth_updating(refs: Path, written: int) -> bool:
        """Whether ``written`` bytes of records are worth rewriting the whole cache for.

        Only when they are a good part of it: a sync saves a few hundred records at a time
        into a large refs/, and rewriting the cache each time made its saves quadratic.
        Files left out are parsed, and the cache written, by the next load.
        """
        try:
            size = (refs.parent / RECORD_CACHE).stat().st_size
        except OSError:
            size = 0
        return written > 0 and written * 4 >= size

    def record(self, name: str, stamp: Stamp, path: Path) -> Record | None:
        """The cached record of file ``name`` if its stamp still holds and it passes the checks."""
        entry = self.files.get(name)
        if not isinstance(entry, list) or len(entry) != 2 or entry[0] != list(stamp):
            return None
        data = entry[1]
        if not isinstance(data, dict):
            return None
        try:
            _check_shape(data, name, {})
            record = Record.from_dict(data)
        except (InputError, KeyError, TypeError, ValueError, AttributeError):
            return None
        return record if record.id == path.stem and _RECORD_ID.match(record.id) else None

    def put(self, name: str, stamp: Stamp, data: Any) -> None:
        if _is_json_exact(data):
            self.files[name] = [list(stamp), data]
            self.changed = True

    def keep_only(self, names: Iterable[str]) -> None:
        kept = set(names)
        for name in [name for name in self.files if name not in kept]:
            del self.files[name]
            self.changed = True

    def save(self) -> None:
        if not self.changed:
            return
        text = json.dumps(
            {"version": _CACHE_VERSION, "folder": self.folder, "files": self.files},
            ensure_ascii=False,
            separators=(",", ":"),
        )
        try:
            atomic_write(self.path, text.encode("utf-8", "surrogatepass"))
        except OSError as exc:
            logger.debug("record cache not written: %s", exc)
        self.changed = False


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} in the record cache")


def _is_json_exact(value: Any) -> bool:
    """Whether JSON gives ``value`` back equal: plain types, text keys, finite numbers."""
    kind = type(value)
    if kind is str or kind is int or kind is bool or value is None:
        return True
    if kind is float:
        return math.isfinite(value)
    if kind is list:
        return all(_is_json_exact(item) for item in value)
    if kind is dict:
        return all(type(key) is str and _is_json_exact(item) for key, item in value.items())
    return False


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


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


#: Threads that make written files durable: fsync waits on the disk, not on Python, and
#: the file system commits many files' data in one journal write.
_SYNC_THREADS = 8

#: From this many files on, a batch is made durable by one sync of the whole file system
#: instead of one fsync per file.  That sync also writes whatever else is waiting on the
#: disk, so it pays only when it replaces many fsyncs: an import's thousands of records,
#: not a sync's save of a few.
_WHOLE_SYNC_FILES = 1000


def _write_temporary(path: Path, data: bytes, new_mode: int, durable: bool = True) -> str:
    """A temporary file of ``data`` beside ``path``, with the mode ``path`` has or a new file gets.

    It is made durable unless ``durable`` is false (the caller then syncs it).
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX)
    try:
        # mkstemp makes the file private (0600); the result should have the mode the replaced
        # file had, or the one the user's umask gives a new file, like any other written file.
        try:
            mode = os.stat(path).st_mode & 0o7777
        except FileNotFoundError:
            mode = new_mode
        os.fchmod(fd, mode)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        if durable:
            os.fsync(fd)
    except BaseException:
        os.close(fd)
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    os.close(fd)
    return tmp


def write_files(files: Sequence[tuple[Path, bytes]]) -> None:
    """Replace each file with its data so that after a crash each is whole, old or new.

    Temporary files are made durable before any of them is renamed over its
    file, and each folder is made durable once at the end.  A small batch
    fsyncs each temporary file (from a few threads at once: the file system
    commits their data together) and renames each, in order, as soon as it is
    durable.  A large batch writes every temporary file, syncs the file system
    once, then renames them all.  After the first failure nothing more is
    renamed, and the rest of the temporary files are removed.
    """
    if not files:
        return
    new_mode = _new_file_mode()
    folders = {path.parent for path, _ in files}
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    sync_whole = _file_system_sync() if len(files) >= _WHOLE_SYNC_FILES else None
    if len(files) == 1:
        os.replace(_write_temporary(files[0][0], files[0][1], new_mode), files[0][0])
    elif sync_whole is not None:
        _write_then_sync(files, new_mode, sync_whole)
    else:
        _write_each_durable(files, new_mode)
    for folder in folders:
        _sync_folder(folder)


def _write_each_durable(files: Sequence[tuple[Path, bytes]], new_mode: int) -> None:
    from concurrent.futures import ThreadPoolExecutor

    def attempt(path: Path, data: bytes) -> str | BaseException:
        try:
            return _write_temporary(path, data, new_mode)
        except Exception as exc:  # raised below, once every temporary file is accounted for
            return exc

    failure: BaseException | None = None
    with ThreadPoolExecutor(min(_SYNC_THREADS, len(files))) as pool:
        for (path, _), written in zip(files, pool.map(attempt, *zip(*files, strict=True)), strict=True):
            if isinstance(written, BaseException):
                failure = failure or written
                continue
            if failure is not None:
                os.unlink(written)
                continue
            try:
                os.replace(written, path)
            except OSError as exc:
                failure = exc
                os.unlink(written)
    if failure is not None:
        raise failure


def _write_then_sync(
    files: Sequence[tuple[Path, bytes]], new_mode: int, sync_whole: Callable[[int], None]
) -> None:
    written: list[str] = []
    try:
        for path, data in files:
            written.append(_write_temporary(path, data, new_mode, durable=False))
        for folder in {path.parent for path, _ in files}:  # folders may lie on other file systems
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            try:
                sync_whole(fd)
            finally:
                os.close(fd)
    except BaseException:
        for tmp in written:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
        raise
    for at, (tmp, (path, _)) in enumerate(zip(written, files, strict=True)):
        try:
            os.replace(tmp, path)
        except OSError:
            for left in written[at:]:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(left)
            raise


def _file_system_sync() -> Callable[[int], None] | None:
    """``syncfs``: make everything written to the file system of an open file durable (Linux only)."""
    import ctypes

    try:
        syncfs = ctypes.CDLL(None, use_errno=True).syncfs
    except (AttributeError, OSError):
        return None

    def sync_whole(fd: int) -> None:
        if syncfs(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))

    return sync_whole


def _sync_folder(folder: Path) -> None:
    """Make the renames in ``folder`` durable."""
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, never a part."""
    write_files([(path, data)])


def replace_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically unless the file holds it already; returns whether it wrote."""
    try:
        if read_bounded(path, max(len(data), 1))[0] == data:
            return False
    except OSError:
        pass
    atomic_write(path, data)
    return True


def save_records(refs: Path, records: Iterable[Record], remove: Iterable[str] = ()) -> list[str]:
    """Write the records whose files change, then delete ``remove``; returns the ids written.

    Everything is serialised and checked before the first file is touched.
    """
    pending: list[tuple[Path, bytes]] = []
    contents: dict[str, dict[str, Any]] = {}
    for record in records:
        path = record_path(refs, record.id)
        content = record.to_dict()
        data = dump_yaml(content).encode("utf-8")
        try:
            if read_bounded(path, len(data))[0] == data:
                continue
        except OSError:
            pass
        pending.append((path, data))
        contents[path.name] = content
    doomed = [record_path(refs, record_id) for record_id in remove]
    try:
        write_files(pending)
        for path in doomed:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
    except OSError as exc:
        where = exc.filename or papers_dir(refs)
        raise SlmbibError(f"{_display(Path(where))}: cannot write: {exc.strerror}") from None
    if RecordCache.worth_updating(refs, sum(len(data) for _, data in pending)):
        # The next load finds what was just written in the cache instead of parsing it again.
        cache = RecordCache.open(refs)
        for path, _ in pending:
            with contextlib.suppress(OSError):
                cache.put(path.name, _stamp(path.stat()), contents[path.name])
        for path in doomed:
            cache.files.pop(path.name, None)
            cache.changed = True
        cache.save()
    return [path.stem for path, _ in pending]


def require_refs(refs: Path) -> None:
    """Raise :class:`MissingRefsError` unless ``refs`` is a folder: only an import starts one."""
    if not refs.is_dir():
        raise MissingRefsError(
            f"{_display(refs)}: no reference database here; `slmbib init [LIST.md]` starts one"
        )


@contextlib.contextmanager
def locked(refs: Path, wait: float = 0.0, create: bool = False) -> Iterator[None]:
    """Hold the write lock of ``refs`` for the block.

    ``refs`` must exist unless ``create`` (an import): a command run in the
    wrong folder must not leave an empty database behind.  Waits up to
    ``wait`` seconds for another slmbib run to finish, then raises
    :class:`LockedError`.  The lock is an advisory ``flock``, released by the
    kernel when the holder dies, so a killed run never leaves it stuck.  In a
    ``refs/`` this user cannot write, the block still runs, holding a shared
    lock where the lock file exists: a command that only reads (an export with
    every key pinned) works there, and one that would write fails when it writes.
    """
    if create:
        refs.mkdir(parents=True, exist_ok=True)
    require_refs(refs)
    handle, operation = _open_lock(refs / LOCK_FILE)
    if handle is None:
        yield  # nobody can have written a lock file here, nor write a record
        return
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(handle.fileno(), operation | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise LockedError(
                        f"{_display(refs)} is in use by another slmbib run; try again when it ends"
                    ) from None
                time.sleep(0.1)
        if operation == fcntl.LOCK_EX:
            for folder in (
                refs,
                papers_dir(refs),
                lists_dir(refs),
                own_dir(refs),
                refs.parent / RECORD_CACHE.parent,
            ):
                remove_stale_temporaries(folder)
        yield
    finally:
        handle.close()


def _open_lock(path: Path) -> tuple[IO[str] | None, int]:
    """The lock file and the lock to take: exclusive, or shared where it cannot be written."""
    try:
        return open(path, "a+"), fcntl.LOCK_EX
    except OSError as exc:
        if exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
    try:
        return open(path), fcntl.LOCK_SH
    except FileNotFoundError:
        return None, fcntl.LOCK_SH


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
