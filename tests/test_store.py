"""refs/ store: byte-stable writes, safe loading, one-line errors naming file and line."""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from slmbib.errors import InputError, UsageError
from slmbib.models import Link, LinkRole, ListedLink, Listing, Provenance, Record, SyncStatus, Value
from slmbib.store import _WHOLE_SYNC_FILES as LARGE_BATCH
from slmbib.store import (
    RECORD_CACHE,
    atomic_write,
    check_record_id,
    dump_record,
    dump_yaml,
    load_records,
    parse_record,
    save_records,
    write_files,
)


def _record(record_id: str = "arxiv-2402.14905") -> Record:
    return Record(
        id=record_id,
        identifiers={"arxiv": "2402.14905"},
        links=(Link("https://arxiv.org/abs/2402.14905", "paper"),),
        listings=(Listing("refs/lists/a.md", 3, "List > Part", "MobileLLM", "2024", {"Bit": "4"}),),
        fields={"title": Value("MobileLLM: Optimizing Sub-billion Parameter Language Models", "arxiv")},
        override={"year": 2024},
    )


def test_round_trip_is_byte_stable(tmp_path: Path) -> None:
    record = _record()
    assert save_records(tmp_path, [record]) == [record.id]
    loaded = load_records(tmp_path)[record.id]
    assert loaded == record
    assert save_records(tmp_path, [loaded]) == []
    assert (tmp_path / "papers" / f"{record.id}.yaml").read_bytes() == dump_record(record).encode()


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("id: x\nfields: [\n", 3, "invalid YAML"),
        ("id: x\ntitle: !!python/object:os.system {}\n", 2, "invalid YAML"),
        ("id: x\nlistings: 3\n", 2, "'listings' has the wrong type"),
        ("id: x\nsurprise: 1\n", 2, "unknown key 'surprise'"),
        ("id: y\n", 1, "does not match the file name"),
        ("- a\n- b\n", 1, "must be a mapping"),
    ],
)
def test_broken_record_names_file_and_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "x.yaml").write_text(text)
    with pytest.raises(InputError) as caught:
        load_records(tmp_path)
    assert caught.value.line == line
    assert message in str(caught.value)
    assert str(caught.value).startswith(f"{papers / 'x.yaml'}:{line}: ") or "x.yaml:" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_typed_parts_of_a_record_are_written_as_the_plain_data_they_were() -> None:
    """Sources and roles are enums, listed links and the sync outcome dataclasses: the file keeps its text."""
    record = Record(
        id="x",
        links=(Link("https://github.com/a/b", LinkRole.CODE),),
        listings=(Listing("a.md", 3, "A", "B", links=(ListedLink("Code", "https://github.com/a/b"),)),),
        fields={"title": Value("T", Provenance.S2), "year": Value(2024, Provenance.MANUAL)},
        sync=SyncStatus("resolved", "s2: found"),
    )
    plain = {
        "id": "x",
        "identifiers": {},
        "links": [{"url": "https://github.com/a/b", "role": "code"}],
        "listings": [
            {
                "source": "a.md",
                "line": 3,
                "section": "A",
                "name": "B",
                "links": [{"column": "Code", "url": "https://github.com/a/b"}],
            }
        ],
        "fields": {"title": {"value": "T", "source": "s2"}, "year": {"value": 2024, "source": "manual"}},
        "sync": {"status": "resolved", "reason": "s2: found"},
        "override": {},
    }
    assert record.to_dict() == plain
    assert dump_record(record) == yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, width=100_000)
    # Whatever hands the dumper an enum member gets its text, never a tagged Python object.
    assert dump_yaml({"source": Provenance.ARXIV, "role": LinkRole.PAPER}) == "source: arxiv\nrole: paper\n"
    assert parse_record(dump_record(record), Path("papers/x.yaml")) == record


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("id: x\nfields:\n  title: {value: T, source: s3}\n", 2, "'s3' is no known source (readme, bib, "),
        ("id: x\nlinks:\n- {url: 'https://a.org', role: homepage}\n", 2, "'homepage' is no known link role"),
        ("id: x\nsync: {reason: why}\n", 2, "'sync' cannot be read: an entry misses 'status'"),
    ],
)
def test_an_unknown_source_or_role_names_its_line(tmp_path: Path, text: str, line: int, message: str) -> None:
    path = tmp_path / "papers" / "x.yaml"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_records(tmp_path)
    assert caught.value.line == line and message in str(caught.value), str(caught.value)


@pytest.mark.parametrize("bad", ["../evil", "/abs", "a/b", "con", "", "UPPER", "x" * 200])
def test_unsafe_record_ids_are_refused(bad: str) -> None:
    with pytest.raises(UsageError):
        check_record_id(bad)


def test_written_files_get_the_usual_mode_not_a_private_one(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        atomic_write(tmp_path / "new.bib", b"x")
        assert (tmp_path / "new.bib").stat().st_mode & 0o777 == 0o644
        (tmp_path / "shared.bib").write_bytes(b"")
        (tmp_path / "shared.bib").chmod(0o664)
        atomic_write(tmp_path / "shared.bib", b"y")
        assert (tmp_path / "shared.bib").stat().st_mode & 0o777 == 0o664
    finally:
        os.umask(old)


def test_a_large_batch_replaces_every_file_keeping_its_mode(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        (tmp_path / "0.yaml").write_bytes(b"old")
        (tmp_path / "0.yaml").chmod(0o664)
        write_files([(tmp_path / f"{n}.yaml", f"record {n}".encode()) for n in range(LARGE_BATCH)])
    finally:
        os.umask(old)
    assert sorted(os.listdir(tmp_path)) == sorted(f"{n}.yaml" for n in range(LARGE_BATCH))
    assert (tmp_path / "0.yaml").read_bytes() == b"record 0"
    assert (tmp_path / "0.yaml").stat().st_mode & 0o777 == 0o664
    assert (tmp_path / f"{LARGE_BATCH - 1}.yaml").read_bytes() == f"record {LARGE_BATCH - 1}".encode()
    assert (tmp_path / "1.yaml").stat().st_mode & 0o777 == 0o644


def test_a_large_batch_that_fails_leaves_each_file_old_or_new_and_no_temporary(tmp_path: Path) -> None:
    names = [f"{n}.yaml" for n in range(LARGE_BATCH)]
    for name in names:
        (tmp_path / name).write_bytes(b"old")
    blocked = LARGE_BATCH // 2
    (tmp_path / names[blocked]).unlink()
    (tmp_path / names[blocked]).mkdir()  # a folder where a record file should be: its rename fails
    with pytest.raises(IsADirectoryError):
        write_files([(tmp_path / name, b"new") for name in names])
    assert sorted(os.listdir(tmp_path)) == sorted(names)
    contents = [(tmp_path / name).read_bytes() for name in names if name != names[blocked]]
    assert set(contents) <= {b"old", b"new"}
    assert contents[blocked:] == [b"old"] * (LARGE_BATCH - blocked - 1)


_plain = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(), _plain, min_size=1, max_size=6))
def test_records_are_written_exactly_as_pyyaml_writes_them(data: dict[str, Any]) -> None:
    """dump_yaml builds YAML's nodes itself, for speed: the bytes must stay PyYAML's own."""
    expected = yaml.dump(
        data,
        Dumper=type("Dumper", (yaml.CSafeDumper,), {"ignore_aliases": lambda self, data: True}),
        sort_keys=False,
        allow_unicode=True,
        width=100_000,
        default_flow_style=False,
    )
    assert dump_yaml(data) == expected


def _cached_project(tmp_path: Path) -> tuple[Path, Path, Record]:
    refs = tmp_path / "refs"
    record = _record()
    save_records(refs, [record, _record("arxiv-2401.00001")])
    assert (tmp_path / RECORD_CACHE).exists()
    return refs, refs / "papers" / f"{record.id}.yaml", record


def test_the_record_cache_is_used_while_the_files_are_unchanged(tmp_path: Path) -> None:
    refs, path, record = _cached_project(tmp_path)
    cache = json.loads((tmp_path / RECORD_CACHE).read_text())
    # A cached record that differs from its file shows which one was read.
    cache["files"][path.name][1]["key"] = "fromcache"
    (tmp_path / RECORD_CACHE).write_text(json.dumps(cache))
    assert load_records(refs)[record.id].key == "fromcache"


@pytest.mark.parametrize("edit", ["same size", "other size", "replaced"])
def test_a_stale_cache_entry_is_ignored(tmp_path: Path, edit: str) -> None:
    refs, path, record = _cached_project(tmp_path)
    text = path.read_text()
    if edit == "same size":
        edited = text.replace("MobileLLM:", "MobileXYZ:")
        assert len(edited) == len(text)
        written = path.stat().st_mtime_ns
        with path.open("r+") as handle:  # in place: same inode
            handle.write(edited)
        # As a later edit: one within the clock's tick of the write (about 4 ms) would go unseen.
        os.utime(path, ns=(written + 10**9, written + 10**9))
    elif edit == "other size":
        edited = text.replace("MobileLLM:", "MobileLLM 2:")
        path.write_text(edited)
    else:
        edited = text.replace("MobileLLM:", "Mobile:")
        (path.parent / "new").write_text(edited)
        (path.parent / "new").replace(path)
    assert load_records(refs)[record.id].title != record.title
    assert load_records(refs) == {r.id: r for r in (_record("arxiv-2401.00001"), parse_record(edited, path))}


@pytest.mark.parametrize(
    "cache",
    [
        b"",
        b"\x00\xff garbage",
        b"[]",
        b'{"version": 1}',
        b'{"version": 1, "folder": "FOLDER", "files": []}',
        b'{"version": 1, "folder": "FOLDER", "files": {"arxiv-2402.14905.yaml": "x"}}',
        b'{"version": 1, "folder": "FOLDER", "files": {"arxiv-2402.14905.yaml": [STAMP, {"id": 5}]}}',
        b'{"version": 1, "folder": "FOLDER", "files": {"arxiv-2402.14905.yaml": [STAMP, {"id": "other"}]}}',
        b'{"version": 1, "folder": "FOLDER", "files": {"arxiv-2402.14905.yaml": [STAMP, {"id": NaN}]}}',
        b'{"version": 1, "folder": "FOLDER", "files": {"arxiv-2402.14905.yaml": [STAMP, ' + b"[" * 100_000,
        b'{"version": 0, "folder": "FOLDER", "files": {"arxiv-2402.14905.yaml": [STAMP, {"id": "x"}]}}',
        b'{"version": 1, "folder": "/elsewhere", "files": {"arxiv-2402.14905.yaml": [STAMP, {"id": "x"}]}}',
    ],
)
def test_a_corrupt_cache_is_ignored_and_rebuilt(tmp_path: Path, cache: bytes) -> None:
    refs, path, record = _cached_project(tmp_path)
    status = path.stat()
    stamp = [status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino]
    folder = json.dumps(str((refs / "papers").resolve()))[1:-1].encode()
    (tmp_path / RECORD_CACHE).write_bytes(
        cache.replace(b"FOLDER", folder).replace(b"STAMP", str(stamp).encode())
    )
    assert load_records(refs)[record.id] == record
    # Rebuilt from the YAML files: the next load takes it as it is.
    rebuilt = json.loads((tmp_path / RECORD_CACHE).read_text())
    assert rebuilt["files"][path.name] == [stamp, record.to_dict()]


def test_a_small_save_into_a_large_cache_leaves_the_cache_to_the_next_load(tmp_path: Path) -> None:
    refs = tmp_path / "refs"
    records = [_record(f"arxiv-2401.{n:05d}") for n in range(12)]
    save_records(refs, records)
    cached = (tmp_path / RECORD_CACHE).read_bytes()
    changed = replace(records[0], key="changed2024")
    save_records(refs, [changed])
    assert (tmp_path / RECORD_CACHE).read_bytes() == cached  # not rewritten for one record in twelve
    assert load_records(refs)[changed.id] == changed  # its stamp changed: the file is parsed
    entry = json.loads((tmp_path / RECORD_CACHE).read_text())["files"][f"{changed.id}.yaml"]
    assert entry[1]["key"] == "changed2024"
