"""Hostile record files: a teammate's broken commit of refs/ gives one-line errors, never more.

Any bytes in ``refs/papers/x.yaml`` load as a record of plain data or fail as
``InputError`` naming the file and a line.  YAML cannot construct objects, and
what can blow up when a record is copied, printed or nested (aliases, tags,
deep nesting, huge numbers) is refused at the line where it is written.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from slmbib.commands.listing import records_as_json
from slmbib.errors import InputError
from slmbib.models import Link, Listing, Record, SyncStatus, Value
from slmbib.store import dump_record, load_records, parse_record, read_record_file, save_records

from .harness import run_slmbib

_SAMPLE = Record(
    id="x",
    key="Liu2024MobileLLM",
    identifiers={"arxiv": "2402.14905", "doi": "10.1/x"},
    links=(Link("https://arxiv.org/abs/2402.14905", "paper"),),
    listings=(Listing("refs/lists/a.md", 3, "A > B", "MobileLLM", "2024.2", {"#Params": "125M"}),),
    fields={"title": Value("MobileLLM", "arxiv"), "authors": Value(["Zechun Liu", "Yangyang Shi"], "s2")},
    override={"year": 2024},
    sync=SyncStatus("ok"),
)
_VALID = dump_record(_SAMPLE).encode()

_scalars = st.one_of(
    st.sampled_from(
        [
            "2024-01-01",
            "2001-12-14t21:59:43.10-05:00",
            "9" * 5000,
            ".nan",
            "-.inf",
            "1e999",
            "0x1F",
            "0o17",
            "1_000",
            "~",
            "yes",
            "=",
            "<<",
            '"\\x07"',
            "'it''s'",
            "!!binary aGVsbG8=",
            "!!set {a, b}",
            "!!omap [a: 1]",
            "!!python/object/apply:os.system ['touch pwned']",
            "!!python/name:os.system",
            "!!python/object/new:builtins.str ['x']",
            "!!int abc",
            "!!float abc",
            "!!bool maybe",
            "!!timestamp x",
            "!!str 1",
            "! 12",
            "!local x",
            "&a x",
            "*a",
            "&b [1, 2]",
            "[*b, *b, *b]",
        ]
    ),
    st.text(max_size=10).map(json.dumps),
    st.integers().map(str),
    st.floats().map(repr),
)
_values = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.dictionaries(
            st.sampled_from(["value", "source", "url", "role", "line", "name", "a", "1", "? [k]"]),
            children,
            max_size=4,
        ).map(lambda mapping: "{" + ", ".join(f"{k}: {v}" for k, v in mapping.items()) + "}"),
    ),
    max_leaves=12,
)
_KEYS = ["id", "key", "aliases", "identifiers", "links", "listings", "fields", "sync", "override", "other"]
_documents = st.lists(st.tuples(st.sampled_from(_KEYS), st.one_of(_values, st.just("x"))), max_size=6).map(
    lambda pairs: "".join(f"{key}: {value}\n" for key, value in pairs)
)


def _mutated(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    for position, cut, inserted in edits:
        at = position % (len(data) + 1)
        data = data[:at] + inserted + data[at + cut :]
    return data


# Hostile values where a record holds anything: its override and the value of a field.
_in_place = _values.map(
    lambda value: f"id: x\noverride:\n  title: {value}\nfields:\n  year: {{value: {value}, source: s2}}\n"
)
_files = st.one_of(
    st.binary(max_size=300),
    _documents.map(str.encode),
    _in_place.map(str.encode),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 8), st.binary(max_size=4)), max_size=4).map(
        lambda edits: _mutated(_VALID, edits)
    ),
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 8), _scalars.map(str.encode)), max_size=3).map(
        lambda edits: _mutated(_VALID, edits)
    ),
)


def _assert_plain(value: Any, seen: set[int], depth: int = 0) -> None:
    """Only what JSON and BibTeX can carry, each container reachable once, finitely nested."""
    assert depth < 40
    if isinstance(value, (list, dict)):
        assert id(value) not in seen, "a container shared by two places (a YAML alias)"
        seen.add(id(value))
        for item in value.values() if isinstance(value, dict) else value:
            _assert_plain(item, seen, depth + 1)
        if isinstance(value, dict):
            assert all(isinstance(key, (str, int, float, bool, type(None))) for key in value)
    else:
        assert isinstance(value, (str, int, float, bool, type(None))), type(value)
        assert not isinstance(value, float) or math.isfinite(value)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_files)
def test_any_bytes_give_a_plain_record_or_an_error_with_file_and_line(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "papers" / "x.yaml"
        path.parent.mkdir()
        path.write_bytes(data)
        try:
            record = read_record_file(path)
        except InputError as caught:
            assert caught.path == str(path)
            assert 1 <= caught.line <= data.count(b"\n") + 1, caught
            assert str(caught).startswith(f"{path}:{caught.line}: ")
            assert str(caught).isprintable()
            event("refused")
            return
    event("loaded")
    _assert_plain(record.to_dict(), set())
    # What loads can be written, listed and loaded again unchanged.
    assert parse_record(dump_record(record), path) == record
    json.loads(records_as_json([record]))


@pytest.mark.parametrize(
    "value",
    [
        "!!python/object/apply:os.system ['touch {marker}']",
        "!!python/object/apply:subprocess.check_call [['touch', '{marker}']]",
        "!!python/object/new:subprocess.Popen [['touch', '{marker}']]",
        "!!python/name:os.system",
        "!!python/module:os",
        "!<tag:yaml.org,2002:python/object/apply:os.system> ['touch {marker}']",
        "!!binary dG91Y2g=",
        "!!set {{a, b}}",
    ],
)
def test_yaml_tags_cannot_construct_objects(tmp_path: Path, value: str) -> None:
    marker = tmp_path / "pwned"
    papers = tmp_path / "refs" / "papers"
    papers.mkdir(parents=True)
    (papers / "x.yaml").write_text(f"id: x\noverride:\n  title: {value.format(marker=marker)}\n")
    with pytest.raises(InputError) as caught:
        load_records(tmp_path / "refs")
    assert caught.value.line == 3
    assert "is not allowed in a record file" in str(caught.value)
    assert not marker.exists()


def _billion_laughs() -> str:
    lines = ["id: x", "override:", "  lol0: &lol0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"  lol{n}: &lol{n} [" + ", ".join([f"*lol{n - 1}"] * 10) + "]" for n in range(1, 10)]
    lines.append("listings: [{source: a.md, line: 1, section: s, name: n, cells: {c: *lol9}}]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (_billion_laughs(), 3, "anchors and aliases"),
        ("id: x\noverride: &loop {self: *loop}\n", 2, "anchors and aliases"),
        ("id: x\noverride:\n  <<: {a: 1}\n  b: &b 2\n", 4, "anchors and aliases"),
        ("id: x\noverride: {a: " + "[" * 40 + "]" * 40 + "}\n", 2, "nested more than 32 levels deep"),
        ("id: x\nfields:\n  year: {value: " + "7" * 5000 + ", source: s2}\n", 3, "is not a usable int"),
        ("id: x\noverride: {year: .nan}\n", 2, "'.nan' is not a usable float"),
        ("id: x\noverride: {year: !!float twenty}\n", 2, "is not a usable float"),
        ("id: x\noverride: {ok: !!bool maybe}\n", 2, "is not a usable bool"),
        ("id: x\nkey: é\x1b[2J\n", 2, "'\\x1b' is not allowed in YAML"),
        ("id: x\n\nkey: '\x00'\n", 3, "'\\x00' is not allowed in YAML"),
    ],
)
def test_what_blows_up_later_is_refused_at_its_line(
    tmp_path: Path, text: str, line: int, message: str
) -> None:
    path = tmp_path / "papers" / "x.yaml"
    path.parent.mkdir()
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        read_record_file(path)
    assert (caught.value.line, message in str(caught.value)) == (line, True), str(caught.value)
    assert str(caught.value).isprintable()


def test_dates_written_by_hand_stay_text(tmp_path: Path) -> None:
    path = tmp_path / "papers" / "x.yaml"
    path.parent.mkdir()
    path.write_text("id: x\noverride: {date: 2024-05-01, accessed: !!timestamp 2024-06-01 10:00:00}\n")
    record = read_record_file(path)
    assert record.override == {"date": "2024-05-01", "accessed": "2024-06-01 10:00:00"}
    assert json.loads(records_as_json([record]))["records"][0]["override"]["date"] == "2024-05-01"


def test_shared_values_are_written_without_aliases(tmp_path: Path) -> None:
    authors = ["Ann Author", "Bob Writer"]
    record = Record(
        id="x", fields={"authors": Value(authors, "s2")}, override={"authors": authors, "editors": authors}
    )
    save_records(tmp_path, [record])
    assert "&" not in (tmp_path / "papers" / "x.yaml").read_text()
    assert load_records(tmp_path) == {"x": record}


def test_a_stack_exhausting_record_is_an_error_not_a_crash(tmp_path: Path) -> None:
    """Nesting that made the YAML library itself crash the interpreter (segfault) before it was refused."""
    papers = tmp_path / "refs" / "papers"
    papers.mkdir(parents=True)
    (papers / "x.yaml").write_text("id: x\noverride: {a: " + "[" * 200_000 + "]" * 200_000 + "}\n")
    result = run_slmbib(tmp_path / "refs", "list")
    assert result.returncode == 1, result.stderr
    # Our own limit or the YAML library's (PyYAML 6.0.4 has one of its own, in its own words) answers first.
    message = result.stderr.removeprefix(f"Error: {papers / 'x.yaml'}:2: invalid YAML: ")
    assert message != result.stderr and message.count("\n") == 1, result.stderr
    assert "nest" in message, result.stderr


@pytest.mark.parametrize("name", ["UPPER", "con", "aux.2024", "a..b", "x" * 130, "spaced out", "-dash"])
def test_a_record_file_added_under_an_unsafe_name_is_an_error(tmp_path: Path, name: str) -> None:
    """It used to load, and then the first import that saved it died with a ValueError traceback."""
    papers = tmp_path / "refs" / "papers"
    papers.mkdir(parents=True)
    (papers / f"{name}.yaml").write_text(f"override: {{}}\nid: '{name}'\n")
    result = run_slmbib(tmp_path / "refs", "list")
    assert result.returncode == 1
    assert result.stderr.startswith(f"Error: {papers / name}.yaml:2: unsafe record id {name!r}: ids are ")
    assert result.stderr.count("\n") == 1
