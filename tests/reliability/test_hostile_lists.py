"""Hostile paper lists: any text gives rows or one-line errors naming file and line, never a traceback.

The strategies build text out of the pieces the reader reacts to (table pipes,
separators, link markup, numbered items, headings, fences) mixed with
arbitrary characters, including the ones that end a line for Python but not for
an editor (form feed, U+2028) and stray carriage returns.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from slmbib.commands.check import check_lists
from slmbib.commands.render import render_readme
from slmbib.errors import InputError, InputErrors
from slmbib.reading.listimport import import_lists
from slmbib.reading.readme import Row, read_list, read_text, scan_text
from slmbib.store import check_record_id, load_records

from ..workspace import CACHES
from .harness import snapshot

SOURCE = "lists/hostile.md"

_AWKWARD = ["\x0c", "\u2028", "\u2029", "\x85", "\r", "\x0b", "\x1b[31m", "\t", "\x00", "\ufeff"]
_MARKUP = ["|", "[", "]", "(", ")", "[[", "]]", "**", "*", "`", "\\|", "!", "---", ":", "#", "."]

_fragments = st.one_of(
    st.text(max_size=12),
    st.sampled_from(_MARKUP),
    st.sampled_from(_AWKWARD),
    st.sampled_from(["https://arxiv.org/abs/2402.14905", "https://doi.org/10.1/x", "URL", "2024.2"]),
)
_text = st.lists(_fragments, max_size=8).map("".join)
_link = st.builds(
    lambda label, url, close: f"[{label}]({url}" + (")" if close else ""),
    st.sampled_from(["Paper", "[pdf]", "Code", "", "HF"]),
    st.one_of(_text, st.just("https://arxiv.org/abs/2401.00001")),
    st.booleans(),
)
_cell = st.one_of(_text, _link, st.lists(st.one_of(_text, _link), max_size=3).map(" ".join))


def _table(header: list[str], rows: list[list[str]], separator: str) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", separator]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return lines


_tables = st.builds(
    _table,
    st.lists(_text, min_size=1, max_size=5),
    st.lists(st.lists(_cell, max_size=6), max_size=5),
    st.sampled_from(["|---|---|", "| --- | :---: |", "---|---", "|-|"]),
)
_items = st.builds(
    lambda number, title, authors, rest: [f"{number}. **{title}** *{authors}*. {rest}"],
    st.integers(0, 99),
    _text,
    _text,
    st.lists(st.one_of(_text, _link), max_size=3).map(" ".join),
)
_other_lines = st.lists(
    st.one_of(
        _text,
        st.builds(lambda level, title: "#" * level + " " + title, st.integers(1, 7), _text),
        st.sampled_from(["```", "~~~", "", "1. plain numbered line"]),
    ),
    max_size=3,
)
_documents = st.builds(
    lambda blocks, newline: newline.join(line for block in blocks for line in block),
    st.lists(st.one_of(_tables, _items, _other_lines), max_size=6),
    st.sampled_from(["\n", "\r\n"]),
)


def _physical_lines(text: str) -> list[str]:
    """Lines as an editor and ``file:line`` count them: only LF ends a line."""
    return text.split("\n")


def _assert_one_line_error(problem: InputError, lines: list[str], source: str = SOURCE) -> None:
    assert problem.path == source
    assert 1 <= problem.line <= len(lines), (problem.line, len(lines))
    message = str(problem)
    assert message.startswith(f"{source}:{problem.line}: ")
    assert message.isprintable(), f"control or line-break characters in {message!r}"


def _check_read(text: str) -> list[Row]:
    lines = _physical_lines(text)
    try:
        rows = read_text(text, SOURCE)
    except InputErrors as caught:
        assert caught.problems
        for problem in caught.problems:
            _assert_one_line_error(problem, lines)
        assert str(caught) == "\n".join(str(problem) for problem in caught.problems)
        return []
    for row in rows:
        assert 1 <= row.line <= len(lines)
        # The line a row names is the line it starts on, so that file:line in a report is right:
        # never a blank line (a GFM table row needs no pipe: any line up to a blank one is a row).
        assert lines[row.line - 1].strip(" \t\r"), row
        assert row.name
    return rows


@settings(max_examples=400, deadline=None)
@given(_documents)
def test_any_list_gives_rows_or_errors_with_file_and_line(text: str) -> None:
    _check_read(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_any_text_gives_rows_or_errors_with_file_and_line(text: str) -> None:
    _check_read(text)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        st.binary(),
        _documents.map(str.encode),
        st.tuples(_documents, st.binary()).map(lambda pair: pair[0].encode() + pair[1]),
    )
)
def test_any_bytes_give_rows_or_errors_with_file_and_line(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hostile.md"
        path.write_bytes(data)
        try:
            read_list(path, SOURCE)
        except InputErrors as caught:
            lines = data.split(b"\n")
            for problem in caught.problems:
                assert problem.path == SOURCE
                assert 1 <= problem.line <= len(lines)
                assert str(problem).isprintable()


def test_a_form_feed_or_line_separator_inside_a_cell_does_not_split_the_row() -> None:
    text = (
        "| Model | Paper |\n|---|---|\n"
        "| A\x0cB | [Paper](https://arxiv.org/abs/2401.00001) |\n"
        "| C\u2028D | - |\n"
    )
    rows = read_text(text, SOURCE)
    assert [(row.line, row.name) for row in rows] == [(3, "A\x0cB"), (4, "C\u2028D")]


def test_problem_lines_count_line_feeds_only() -> None:
    # A lone CR is no line end for an editor: "| x |" is a cell of line 3, beyond the header.
    text = "| Model | Year |\n|---|---|\n| A\u2028\x0cB | 2024 |\r| x |\n| B | 2025 | extra |\n"
    scan = scan_text(text, SOURCE)
    assert [(row.line, row.name) for row in scan.rows] == [(3, "A\u2028\x0cB"), (4, "B")]
    assert [str(problem) for problem in scan.problems] == [
        f"{SOURCE}:3: 1 cell(s) beyond the header's 2 ignored: x",
        f"{SOURCE}:4: 1 cell(s) beyond the header's 2 ignored: extra",
    ]


def test_escape_sequences_in_a_list_do_not_reach_the_terminal() -> None:
    text = "| Model | Paper |\n|---|---|\n| A | [Paper](https://a.b/c\x1b]0;pwned\x07 |\n"
    (problem,) = scan_text(text, SOURCE).problems
    assert "\x1b" not in str(problem) and "\x07" not in str(problem)
    assert str(problem).startswith(f"{SOURCE}:3: broken link markup")


def test_a_huge_line_of_brackets_is_read() -> None:
    """Link markup is matched in linear time: with a quadratic pattern this line alone took minutes."""
    cell = "[" * 150_000
    rows = read_text(f"| Model | Paper |\n|---|---|\n| A | {cell} |\n1. {cell}\n", SOURCE)
    assert [(row.line, row.cells) for row in rows] == [(3, {"Paper": cell})]


# Text that survives being a table cell or a URL, so that rows reach the import instead of
# being refused as broken markup.
_url_text = st.text(
    st.characters(exclude_characters="|[]()*`\\ ", exclude_categories=("Cs", "Cc", "Z")), max_size=40
)
_traversals = st.sampled_from(
    ["../../etc/passwd", "..", "a..b", "/abs", "CON", "nul.txt", "%2e%2e", "A" * 400]
)
_path_text = st.one_of(_url_text, _traversals, st.tuples(_traversals, _url_text).map("/".join))
_hostile_urls = st.one_of(
    st.builds("https://doi.org/10.1234/{}".format, _path_text),
    st.builds("https://openreview.net/forum?id={}".format, _path_text),
    st.builds("https://aclanthology.org/{}".format, _path_text),
    st.builds("https://dl.acm.org/doi/10.1145/{}".format, _path_text),
    st.builds("https://zenodo.org/records/{}".format, _path_text),
    st.builds("https://proceedings.mlr.press/v1/{}.html".format, _path_text),
    st.builds("https://example.org/{}".format, _path_text),
    st.builds("https://{}/paper".format, st.sampled_from(["..", "aux", "com1.example", "x" * 300])),
)
_hostile_rows = st.lists(
    st.builds(
        lambda name, url: f"| {name} | [Paper]({url}) |",
        st.one_of(_url_text.filter(str.strip), _traversals),
        _hostile_urls,
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(_hostile_rows)
def test_record_files_named_from_hostile_rows_stay_in_papers(rows: list[str]) -> None:
    text = "## Papers\n| Model | Paper |\n|---|---|\n" + "\n".join(rows) + "\n"
    with tempfile.TemporaryDirectory() as folder:
        refs = Path(folder) / "project" / "refs"
        refs.mkdir(parents=True)
        listing = refs.parent / "hostile.md"
        listing.write_text(text)
        try:
            import_lists(refs, [listing])
        except InputErrors as caught:
            for problem in caught.problems:
                _assert_one_line_error(problem, _physical_lines(text), "hostile.md")
            assert not (refs / "papers").exists()
            event("refused")
            return
        event("imported")
        written = {str(path.relative_to(folder)) for path in Path(folder).rglob("*") if path.is_file()}
        written -= {"project/hostile.md", "project/refs/.lock", *(f"project/{cache}" for cache in CACHES)}
        assert all(name.startswith("project/refs/papers/") for name in written), written
        records = load_records(refs)
        assert {f"project/refs/papers/{record_id}.yaml" for record_id in records} == written
        for record_id in records:
            assert check_record_id(record_id) == record_id
        before = snapshot(refs)
        import_lists(refs, [listing])
        assert snapshot(refs) == before


def test_render_and_check_count_lines_as_the_reader_does(tmp_path: Path) -> None:
    """A U+2028 in the prose above and a form feed in a cell: every reader of the list counts LF only."""
    readme = tmp_path / "README.md"
    prose = "# T\n\nProse with a line\u2028separator and a form\x0cfeed.\n\n## Papers\n\n"
    table = (
        "| Method | Year | Paper | Code |\n|---|---|---|---|\n"
        "| A\x0cB | 2024 | [Paper](https://arxiv.org/abs/2401.00001) | [Link](URL) |"
        " <!-- slmbib: ignore placeholder-link -->\n"
        "| C | 2024 | [Paper](https://arxiv.org/abs/2401.00002) | [Link](URL) |\n"
    )
    readme.write_text(prose + table)
    import_lists(tmp_path / "refs", [readme])
    render_readme(tmp_path / "refs", readme, init=True)
    rendered = readme.read_text()
    assert rendered.startswith(prose + "<!-- slmbib:begin Papers -->\n\n| Method | Year | Paper | Code |\n")
    assert rendered.endswith(
        "| C | 2024 | [Paper](https://arxiv.org/abs/2401.00002) | [Link](URL) |\n\n<!-- slmbib:end -->\n"
    )
    lines = rendered.split("\n")
    assert [(f.line, f.code, lines[f.line - 1][:4]) for f in check_lists([readme]).findings] == [
        (12, "placeholder-link", "| C ")
    ]
