"""Crafted lists against the reader, check and render: no blow-up, no lost edit, rows read back as written.

Each test is a shape that once took minutes, deleted a hand edit or wrote a
row no command could read again.  The sizes are those that broke before; what
is asserted is the result, which the old code also reached only after minutes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from slmbib.commands.check import check_lists
from slmbib.commands.render import render_readme
from slmbib.errors import InputErrors
from slmbib.models import ListedLink, Listing, Record
from slmbib.reading.listimport import import_lists
from slmbib.reading.readme import read_text, scan_text
from slmbib.store import load_records, save_records

PAPER = "https://arxiv.org/abs/2401.00001"


def test_a_heading_of_thousands_of_spaces_is_read_at_once(tmp_path: Path) -> None:
    """``## S`` + 3,000 spaces + ``x`` took import 79 s and check 56 s (a backtracking heading pattern)."""
    heading = "## S" + " " * 30_000 + "x"
    readme = tmp_path / "README.md"
    readme.write_text(f"{heading}\n\n| Model | Paper |\n|---|---|\n| A | [Paper]({PAPER}) |\n")
    summary = import_lists(tmp_path / "refs", [readme])
    assert summary.rows_per_file == {"README.md": 1}
    (record,) = load_records(tmp_path / "refs").values()
    assert record.listings[0].section == "S" + " " * 30_000 + "x"
    assert check_lists([readme]).findings == []


def test_long_runs_of_markup_characters_are_read(tmp_path: Path) -> None:
    """Spaces, periods and brackets by the ten thousand inside an item or a cell."""
    n = 30_000
    text = (
        "## S\n\n"
        f"1. **T{' ' * n}x** *A{' ' * n}B*. ACL{' ' * n}2024 [[pdf]]({PAPER})\n"
        f"2. {'Ada Lee. ' * n}2024. Title. Venue. [[pdf]](https://arxiv.org/abs/2401.00002)\n\n"
        f"| A | B |\n|---|---|\n| {'[ ' * n} | [Paper](https://arxiv.org/abs/2401.00003) |\n"
    )
    rows = read_text(text, "l.md")
    assert [row.line for row in rows] == [3, 4, 8]


def _family_name(number: int) -> str:
    """A model name of its own family for each number: ``Ab``, ``Bc`` ... never sharing a first word."""
    return "".join(chr(ord("a") + int(digit)) for digit in str(number)).capitalize() + "lm"


def test_check_on_a_thousand_rows_sharing_one_link_is_linear(tmp_path: Path) -> None:
    """1,000 rows of different works sharing one link took check 132 s: every pair was compared."""
    rows = "".join(f"| {_family_name(n)} | [Paper](https://example.org/shared) |\n" for n in range(3_000))
    readme = tmp_path / "README.md"
    readme.write_text("## S\n\n| Model | Paper |\n|---|---|\n" + rows)
    shared = [f for f in check_lists([readme]).findings if f.code == "shared-links"]
    # One finding per row after the first, each naming the first row: n findings, not n squared.
    assert len(shared) == 2_999
    assert all("(line 5)" in f.message for f in shared)


def _marked(body: str) -> str:
    return "## Papers\n\n<!-- slmbib:begin Papers -->\n" + body + "<!-- slmbib:end -->\n"


_TABLE = f"| Method | Paper |\n|---|---|\n| A | [Paper]({PAPER}) |\n"


@pytest.mark.parametrize(
    ("body", "line"),
    [
        (f"A paragraph written by hand.\n\n{_TABLE}", 4),
        (f"\n{_TABLE}\n[^1]: a footnote written by hand\n", 9),
        (f"\n{_TABLE}\n<table><tr><td>kept by hand</td></tr></table>\n", 9),
    ],
    ids=["paragraph-after-begin", "footnote-before-end", "html-table"],
)
def test_a_hand_edit_in_a_region_stops_the_render(tmp_path: Path, body: str, line: int) -> None:
    """Render deleted every non-table line of a region and reported success."""
    readme = tmp_path / "README.md"
    readme.write_text(_marked(body))
    import_lists(tmp_path / "refs", [readme])
    before = readme.read_bytes()
    with pytest.raises(InputErrors) as caught:
        render_readme(tmp_path / "refs", readme)
    assert any(
        problem.line == line and "no row of its table" in problem.message for problem in caught.value.problems
    ), caught.value.problems
    assert readme.read_bytes() == before


@pytest.mark.parametrize(
    "name",
    [
        "Pipe | Net",
        "A [linked](https://example.org) name",
        "Back\\slash * and _under_ `code`",
        "Brackets ] [",
    ],
)
def test_a_rendered_row_reads_back_as_written(tmp_path: Path, name: str) -> None:
    """A name with ``|`` or link markup was written raw, into a row no command could read again."""
    readme = tmp_path / "README.md"
    readme.write_text(_marked(""))
    refs = tmp_path / "refs"
    listing = Listing(
        source="README.md",
        line=4,
        section="Papers",
        name=name,
        year="2024",
        cells={"Note": "a | b [c](d)"},
        links=(ListedLink("Paper", "https://arxiv.org/abs/2402.14905"),),
    )
    save_records(
        refs, [Record(id="arxiv-2402.14905", identifiers={"arxiv": "2402.14905"}, listings=(listing,))]
    )
    render_readme(refs, readme)
    (row,) = scan_text(readme.read_text(), "README.md").rows
    assert (row.name, row.year, row.cells, [link.url for link in row.links]) == (
        name,
        "2024",
        {"Note": "a | b [c](d)"},
        ["https://arxiv.org/abs/2402.14905"],
    )
    import_lists(refs, [readme])
    assert render_readme(refs, readme).up_to_date


def test_a_cell_with_an_unmatched_bracket_keeps_its_row(tmp_path: Path) -> None:
    """``[`` alone in a cell swallowed the rest of the row: one cell, and the import refused."""
    readme = tmp_path / "README.md"
    readme.write_text(f"## S\n\n| Model | Note | Paper |\n|---|---|---|\n| A | see [1 | [Paper]({PAPER}) |\n")
    summary = import_lists(tmp_path / "refs", [readme])
    assert summary.rows_per_file == {"README.md": 1}
    (record,) = load_records(tmp_path / "refs").values()
    assert record.identifiers == {"arxiv": "2401.00001"}
    assert record.listings[0].cells == {"Note": "see [1"}
