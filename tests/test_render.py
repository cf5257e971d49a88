"""`slmbib render`: tables written back from refs/, round-tripped on both seeds, idempotent, safe."""

from __future__ import annotations

import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from slmbib.commands.check import check_lists
from slmbib.commands.render import render_readme
from slmbib.errors import InputError, InputErrors
from slmbib.models import ListedLink, Listing, Record, Value
from slmbib.reading.listimport import import_lists
from slmbib.reading.readme import scan_text, split_cells
from slmbib.store import load_records, save_records

from .seeds import SEED_000, SEED_001, SEEDS
from .workspace import run

_REGION = re.compile(r"<!-- slmbib:begin .*? -->\n.*?<!-- slmbib:end -->\n", re.DOTALL)


@pytest.fixture(params=SEEDS, ids=["000", "001"])
def project(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A project whose README.md is a seed list, imported into refs/."""
    shutil.copy(request.param, tmp_path / "README.md")
    import_lists(tmp_path / "refs", [tmp_path / "README.md"])
    return tmp_path


def _without_lines(records: dict[str, Record]) -> dict[str, Record]:
    return {
        key: replace(record, listings=tuple(replace(x, line=0) for x in record.listings))
        for key, record in records.items()
    }


# Links the renderer moves to the column their URL asks for: (name, url, column before, column after).
MOVED = {
    "000": [],
    "001": [
        ("AWQ", "https://arxiv.org/abs/2306.00978", "Code", "Paper"),
        ("AWQ", "https://github.com/mit-han-lab/llm-awq", "Model Card", "Code"),
    ],
}


def _moved(before: dict[str, Record], after: dict[str, Record]) -> list[tuple[str, str, str, str]]:
    moves = []
    for key, record in before.items():
        for old, new in zip(record.listings, after[key].listings, strict=True):
            for old_link, new_link in zip(old.links, new.links, strict=True):
                assert old_link.url == new_link.url
                if old_link.column != new_link.column:
                    moves.append((old.name, old_link.url, old_link.column, new_link.column))
    return moves


def test_round_trip_gives_the_same_records(project: Path) -> None:
    refs, readme = project / "refs", project / "README.md"
    seed = readme.read_text()
    before = load_records(refs)
    result = render_readme(refs, readme, init=True)
    assert result.initialised and result.changed
    import_lists(refs, [readme])
    after = load_records(refs)
    moves = _moved(before, after)
    assert moves == MOVED["000" if "Existing SLMs" in seed else "001"]
    # Apart from line numbers and the moved links' columns, reading back gives the records imported.
    unmoved = {
        key: replace(
            record,
            listings=tuple(
                replace(x, links=tuple(replace(link, column="") for link in x.links)) for x in record.listings
            ),
        )
        for key, record in _without_lines(before).items()
    }
    assert unmoved == {
        key: replace(
            record,
            listings=tuple(
                replace(x, links=tuple(replace(link, column="") for link in x.links)) for x in record.listings
            ),
        )
        for key, record in _without_lines(after).items()
    }
    assert {k: (r.identifiers, r.links, r.fields) for k, r in before.items()} == {
        k: (r.identifiers, r.links, r.fields) for k, r in after.items()
    }


def test_render_is_idempotent_and_keeps_the_rest_of_the_file(project: Path) -> None:
    refs, readme = project / "refs", project / "README.md"
    seed = readme.read_text()
    render_readme(refs, readme, init=True)
    first = readme.read_text()
    again = render_readme(refs, readme)
    assert again.up_to_date and readme.read_text() == first
    import_lists(refs, [readme])  # listing lines now point into the rendered file
    assert render_readme(refs, readme).up_to_date
    assert readme.read_text() == first
    # Outside the regions, every byte is the seed's: its tables and lists are what the regions replaced.
    blocks = re.compile(r"^(?:\||\d+\. ).*\n(?:(?:\||\d+\. ).*\n)*", re.MULTILINE)
    assert _REGION.sub("", first) == blocks.sub("", seed)


def test_the_list_keeps_its_own_style(project: Path) -> None:
    """Separator rows and link labels (``HF``, ``Link``, ``Blog``) stay as the maintainer wrote them."""
    refs, readme = project / "refs", project / "README.md"
    original = readme.read_text()
    written_labels = set(re.findall(r"\[([^\]]*)\]\((https?://[^)]*)\)", original))
    render_readme(refs, readme, init=True)
    for region in _REGION.findall(readme.read_text()):
        rows = [line for line in region.splitlines() if line.startswith("|")]
        if not rows:
            continue  # a list region: items are kept as written (test_render_round_trip_on_a_real_list)
        assert rows[1] in original.splitlines()
        assert len(split_cells(rows[1])) == len(split_cells(rows[0]))
        for row in rows[2:]:
            assert set(re.findall(r"\[([^\]]*)\]\((https?://[^)]*)\)", row)) <= written_labels


def test_rendered_list_is_free_of_misplaced_links(project: Path) -> None:
    refs, readme = project / "refs", project / "README.md"
    before = {f.code for f in check_lists([readme]).findings}
    render_readme(refs, readme, init=True)
    after = {f.code for f in check_lists([readme]).findings}
    assert not after & {"misplaced-paper-link", "misplaced-link"}
    assert after == before - {"misplaced-paper-link", "misplaced-link"}


def test_cli_check_flags_a_readme_out_of_date(project: Path) -> None:
    readme, refs = project / "README.md", project / "refs"
    code, _, err = run("--refs", str(project / "refs"), "render", "--check", str(readme))
    assert code == 1 and "no <!-- slmbib:begin SECTION --> markers" in err
    code, _, err = run("--refs", str(project / "refs"), "render", "--init", str(readme))
    assert code == 0 and "markers added: " in err
    rendered = readme.read_text()
    assert run("--refs", str(project / "refs"), "render", "--check", str(readme)) == (
        0,
        "",
        f"{readme}: up to date\n",
    )

    # Restyled by hand: the same rows, other spacing. The style is the list's own, and stays.
    mobilellm = min(
        (x for r in load_records(refs).values() for x in r.listings if x.name == "MobileLLM"),
        key=Listing.sort_key,
    )
    seed_lines = set((SEED_000 if "Existing SLMs" in rendered else SEED_001).read_text().splitlines())
    kept = next(
        line
        for line in rendered.splitlines()[1:]
        if line.startswith("| ") and "](" in line and line in seed_lines
    )
    readme.write_text(rendered.replace(kept, "|  " + kept[1:], 1))
    restyled = readme.read_text()
    assert restyled != rendered
    assert run("--refs", str(project / "refs"), "render", "--check", str(readme)) == (
        0,
        "",
        f"{readme}: up to date\n",
    )
    assert run("--refs", str(project / "refs"), "render", str(readme))[0] == 0
    assert readme.read_text() == restyled

    # A paper placed in the section in refs/ (as `slmbib add` does) is not in the README yet.
    placed = replace(
        mobilellm,
        line=mobilellm.line + 1000,
        name="NewLM",
        links=(ListedLink("Code", "https://github.com/new/lm"),),
    )
    save_records(refs, [Record(id="name-newlm", listings=(placed,))])
    code, _, err = run("--refs", str(project / "refs"), "render", "--check", str(readme))
    assert code == 1 and mobilellm.section in err
    assert run("--refs", str(project / "refs"), "render", str(readme))[0] == 0
    region = next(r for r in _REGION.findall(readme.read_text()) if "MobileLLM" in r)
    assert region.splitlines()[-3].startswith("| NewLM | ")
    assert "](https://github.com/new/lm)" in region


def test_a_row_edited_by_hand_stops_the_render(project: Path) -> None:
    refs, readme = project / "refs", project / "README.md"
    render_readme(refs, readme, init=True)
    lines = readme.read_text().splitlines(keepends=True)
    number = next(
        i for i, line in enumerate(lines) if line.startswith("| ") and "](https://arxiv.org" in line
    )
    lines[number] = lines[number].replace("](https://", "](https://example.org/moved/", 1)
    readme.write_text("".join(lines))
    edited = readme.read_bytes()
    with pytest.raises(InputErrors) as caught:
        render_readme(refs, readme)
    (problem,) = caught.value.problems
    assert problem.line == number + 1
    assert "is not in refs/ as written: import the file first" in str(problem)
    assert readme.read_bytes() == edited


def test_comments_on_a_row_stay_with_it(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(
        "# T\n\n## Papers\n\n| Method | Year | Paper | Code |\n|---|---|---|---|\n"
        "| A | 2024 | [Link](https://arxiv.org/abs/2401.00001) | [Link](URL) | <!-- slmbib: ignore "
        "placeholder-link -->\n| B | 2024 | | [Link](https://arxiv.org/abs/2401.00002) |\n"
    )
    import_lists(tmp_path / "refs", [readme])
    render_readme(tmp_path / "refs", readme, init=True)
    assert readme.read_text() == (
        "# T\n\n## Papers\n\n<!-- slmbib:begin Papers -->\n\n"
        "| Method | Year | Paper | Code |\n|---|---|---|---|\n"
        "| A | 2024 | [Link](https://arxiv.org/abs/2401.00001) | [Link](URL) | "
        "<!-- slmbib: ignore placeholder-link -->\n"
        "| B | 2024 | [Link](https://arxiv.org/abs/2401.00002) |  |\n\n<!-- slmbib:end -->\n"
    )
    assert check_lists([readme]).findings == []


def test_markers_must_sit_under_their_section_and_pair_up(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    table = (
        "| Method | Year | Paper |\n|---|---|---|\n| A | 2024 | [Link](https://arxiv.org/abs/2401.00001) |\n"
    )
    readme.write_text(f"## Papers\n<!-- slmbib:begin Other -->\n{table}<!-- slmbib:end -->\n")
    import_lists(tmp_path / "refs", [readme])
    with pytest.raises(
        InputErrors, match=r"README\.md:2: marker names section 'Other' but the heading here is 'Papers'"
    ):
        render_readme(tmp_path / "refs", readme)
    readme.write_text(f"## Papers\n<!-- slmbib:begin Papers -->\n{table}")
    with pytest.raises(InputErrors, match=r"README\.md:2: slmbib:begin without slmbib:end"):
        render_readme(tmp_path / "refs", readme)


def test_markers_in_a_code_block_are_examples(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    example = "```\n<!-- slmbib:begin Papers -->\n<!-- slmbib:end -->\n```\n"
    table = (
        "| Method | Year | Paper |\n|---|---|---|\n| A | 2024 | [Link](https://arxiv.org/abs/2401.00001) |\n"
    )
    readme.write_text(f"## Papers\n{example}{table}")
    import_lists(tmp_path / "refs", [readme])
    result = render_readme(tmp_path / "refs", readme, init=True)
    assert result.initialised == ["Papers"]
    assert readme.read_text().startswith(f"## Papers\n{example}<!-- slmbib:begin Papers -->\n\n| Method |")


def test_an_empty_region_gets_the_columns_of_its_listings(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("## Papers\n\n<!-- slmbib:begin Papers -->\n<!-- slmbib:end -->\n\nThe end.\n")
    refs = tmp_path / "refs"
    listing = Listing(
        source="README.md",
        line=4,
        section="Papers",
        name="MobileLLM",
        year="2024",
        cells={"Bit": "4-bit"},
        links=(ListedLink("Paper", "https://arxiv.org/abs/2402.14905"),),
    )
    save_records(
        refs, [Record(id="arxiv-2402.14905", identifiers={"arxiv": "2402.14905"}, listings=(listing,))]
    )
    render_readme(refs, readme)
    assert readme.read_text() == (
        "## Papers\n\n<!-- slmbib:begin Papers -->\n\n"
        "| Name | Year | Bit | Paper |\n| --- | --- | --- | --- |\n"
        "| MobileLLM | 2024 | 4-bit | [Paper](https://arxiv.org/abs/2402.14905) |\n\n"
        "<!-- slmbib:end -->\n\nThe end.\n"
    )


def test_a_readme_refs_does_not_know_is_refused(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    shutil.copy(SEED_001, readme)
    import_lists(tmp_path / "refs", [readme])
    other = tmp_path / "OTHER.md"
    shutil.copy(SEED_000, other)
    with pytest.raises(InputError, match=r"^OTHER\.md: refs/ lists no rows of OTHER\.md: run `slmbib import"):
        render_readme(tmp_path / "refs", other, init=True)
    assert other.read_bytes() == SEED_000.read_bytes()


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        (
            "- ZeroQuant: Efficient Quantization, <ins>NeurIPS, 2022</ins> [[Paper](https://arxiv.org/abs/2206.01861)]\n",
            "- Tiny Models Think Big, <ins>ICML 2024</ins> [[Paper](https://arxiv.org/abs/2402.14905)]",
        ),
        (
            "- **Blockwise Parallel Decoding**  \n  *Mitchell Stern, Noam Shazeer*. [[pdf](https://arxiv.org/pdf/1811.03115.pdf)],"
            " 2018.11. ![](https://img.shields.io/badge/NIPS2018-orange)\n",
            "- **Tiny Models Think Big**  \n"
            "  *Ada Lee, Bo Chen*. [[pdf](https://arxiv.org/abs/2402.14905)], 2024.",
        ),
        (
            "1. **Calibrating Models.** *Dennis Ulmer, Martin Gubri*. ACL 2024 Long, [[pdf]](https://aclanthology.org/2024.acl-long.824/)\n",
            "2. **Tiny Models Think Big.** *Ada Lee, Bo Chen*. ICML 2024, [[pdf]](https://arxiv.org/abs/2402.14905)",
        ),
    ],
    ids=["underlined-venue", "two-lines-badge", "numbered-bold"],
)
def test_a_new_paper_in_a_list_section_takes_the_section_s_form(
    tmp_path: Path, items: str, expected: str
) -> None:
    readme, refs = tmp_path / "README.md", tmp_path / "refs"
    readme.write_text(f"## Papers\n\n{items}\nThe end.\n")
    import_lists(refs, [readme])
    listing = Listing(
        source="README.md",
        line=99,
        section="Papers",
        name="Tiny Models Think Big",
        links=(ListedLink("pdf", "https://arxiv.org/abs/2402.14905"),),
    )
    fields = {
        "title": Value("Tiny Models Think Big", "s2"),
        "authors": Value(["Ada Lee", "Bo Chen"], "s2"),
        "venue": Value("ICML 2024", "s2"),
        "year": Value(2024, "s2"),
    }
    save_records(
        refs,
        [
            Record(
                id="arxiv-2402.14905", identifiers={"arxiv": "2402.14905"}, listings=(listing,), fields=fields
            )
        ],
    )
    render_readme(refs, readme, init=True)
    text = readme.read_text()
    assert text.startswith(
        f"## Papers\n\n<!-- slmbib:begin Papers -->\n\n{items}{expected}\n\n<!-- slmbib:end -->\n"
    )
    assert text.endswith("\nThe end.\n")
    new = [row for row in scan_text(text, "README.md").rows if row.title == "Tiny Models Think Big"]
    assert [(row.authors or ("Ada Lee", "Bo Chen"), [x.url for x in row.links]) for row in new] == [
        (("Ada Lee", "Bo Chen"), ["https://arxiv.org/abs/2402.14905"])
    ]
