"""`slmbib import` on the real seed lists: one record per paper, idempotent, nothing lost."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from slmbib.errors import InputErrors
from slmbib.identity import new_record_id
from slmbib.models import ListedLink, Record, Value
from slmbib.reading.listimport import import_lists
from slmbib.reading.readme import read_list
from slmbib.store import load_records, save_records

from .seeds import SEED_000, SEED_001, SEEDS
from .workspace import run, snapshot


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with both seed lists under refs/lists/ and nothing imported yet."""
    lists = tmp_path / "refs" / "lists"
    lists.mkdir(parents=True)
    for seed in SEEDS:
        shutil.copy(seed, lists / seed.name)
    return tmp_path


def _lists(project: Path) -> list[Path]:
    return sorted((project / "refs" / "lists").glob("*.md"))


def _record_named(refs: Path, name: str) -> list[str]:
    return sorted(r.id for r in load_records(refs).values() if any(x.name == name for x in r.listings))


def test_every_row_lands_in_exactly_one_record(project: Path) -> None:
    refs = project / "refs"
    import_lists(refs, _lists(project))
    rows = {(f"refs/lists/{p.name}", row.line) for p in _lists(project) for row in read_list(p, p.name)}
    places = [(x.source, x.line) for r in load_records(refs).values() for x in r.listings]
    assert sorted(places) == sorted(rows)
    assert len(places) == len(set(places))


def test_rows_of_one_paper_are_one_record(project: Path) -> None:
    refs = project / "refs"
    import_lists(refs, _lists(project))
    records = load_records(refs)
    mobilellm = records["arxiv-2402.14905"]
    assert len(mobilellm.listings) == 3
    assert {x.section for x in mobilellm.listings} == {
        "SLMs Paper List > Existing SLMs",
        "SLM Paper List > Advanced enhancement methods for SLM > Training from scratch",
        "SLM Paper List > On-device Deployment Optimization Techniques > Memory Efficiency Optimization",
    }
    assert _record_named(refs, "MobileLLM") == ["arxiv-2402.14905"]
    assert _record_named(refs, "Qwen 1") == _record_named(refs, "Qwen 1.5") == ["arxiv-2309.16609"]
    # The placeholder row of seed 000 joins the one paper listed as MobiLlama, and is flagged.
    assert _record_named(refs, "MobiLlama") == ["arxiv-2402.16840"]
    assert "placeholder-link" in records["arxiv-2402.16840"].flags
    # Listed twice, as "Alpaca 7B" and "Alpaca", with the same blog post, code and model.
    assert _record_named(refs, "Alpaca") == _record_named(refs, "Alpaca 7B")
    # LaMini-LM's row copied Dolly-v2's links: a copy is not an identity.
    assert _record_named(refs, "LaMini-LM") != _record_named(refs, "Dolly-v2")


def test_list_items_keep_title_authors_and_venue(project: Path) -> None:
    refs = project / "refs"
    import_lists(refs, _lists(project))
    record = load_records(refs)["doi-10.18653-v1-2023.findings-emnlp.68"]
    assert record.get("title") == "The Internal State of an LLM Knows When It\u2019s Lying"
    assert record.get("authors") == ["Amos Azaria", "Tom Mitchell"]
    assert record.get("venue") == "EMNLP 2023 Findings"
    assert {record.provenance(name) for name in ("title", "authors", "venue", "year")} == {"readme"}
    # "*..., Hannaneh Hajishirzi.*": the period closes the sentence, not the name; initials keep theirs.
    assert load_records(refs)["arxiv-2310.11511"].get("authors")[-1] == "Hannaneh Hajishirzi"
    assert "J. Samuel Preston" in load_records(refs)["doi-10.18653-v1-2024.acl-long.566"].get("authors")


def test_second_import_changes_no_byte(project: Path) -> None:
    refs = project / "refs"
    first = import_lists(refs, _lists(project))
    before = snapshot(refs)
    second = import_lists(refs, _lists(project))
    assert snapshot(refs) == before
    assert second.created == second.updated == []
    assert second.unchanged == len(first.created)


def test_summary_reports_rows_identifiers_and_flags(project: Path) -> None:
    summary = import_lists(project / "refs", _lists(project))
    lines = summary.lines()
    assert "refs/lists/000_a65a45ae749ad8e5.md: 45 rows read" in lines
    assert "refs/lists/001_b4add92330990902.md: 75 rows read" in lines
    assert summary.identifiers["arxiv"] >= 70
    assert any(
        line.startswith("refs/lists/000_a65a45ae749ad8e5.md:63: repaired mis-encoded text") for line in lines
    )
    assert "refs/lists/000_a65a45ae749ad8e5.md:39: placeholder link 'URL' under 'Paper/Blog Link'" in lines


def test_moved_row_updates_its_listing_and_vanished_row_is_kept_unlisted(project: Path) -> None:
    refs = project / "refs"
    import_lists(refs, _lists(project))
    seed = project / "refs" / "lists" / SEED_001.name
    lines = seed.read_text().splitlines(keepends=True)
    # Move DMC (line 174) to the end of the runtime table, and drop LLMCad (line 182).
    dmc = lines.pop(173)
    del lines[180]
    lines.append(dmc)
    seed.write_text("".join(lines))
    summary = import_lists(refs, _lists(project))
    records = load_records(refs)
    (dmc_listing,) = records["arxiv-2403.09636"].listings
    assert dmc_listing.section.endswith("Runtime Efficiency Optimization")
    assert records["arxiv-2309.04255"].listings == ()
    assert "unlisted" in records["arxiv-2309.04255"].flags
    assert summary.unlisted == ["arxiv-2309.04255"]
    assert summary.created == []


def test_import_keeps_synced_fields_and_overrides(project: Path) -> None:
    refs = project / "refs"
    import_lists(refs, _lists(project))
    record = load_records(refs)["doi-10.18653-v1-2024.acl-long.824"]
    edited = replace(
        record,
        fields={**record.fields, "title": Value("From S2", "s2"), "pages": Value("1-10", "s2")},
        override={"venue": "Proceedings of ACL 2024"},
    )
    save_records(refs, [edited])
    import_lists(refs, _lists(project))
    again = load_records(refs)[record.id]
    assert again.fields["title"] == Value("From S2", "s2")
    assert again.override == {"venue": "Proceedings of ACL 2024"}
    assert again.get("venue") == "Proceedings of ACL 2024"
    assert again.fields["authors"].source == "readme"


BAD_LISTS = [
    ("empty", "   \n\n", 1, "the file is empty"),
    ("no-papers", "# Title\n\nJust prose.\n", 1, "no paper table or paper list found"),
]

#: Lines read with a problem: imported all the same, the problem reported at its line.
ODD_LISTS = [
    (
        "missing-cell",
        "| Method | Year | Paper |\n|---|---|---|\n| A | 2024 | [Link](https://arxiv.org/abs/2401.00001) |\n"
        "| B | [Link](https://arxiv.org/abs/2401.00002) |\n",
        2,
        "",
    ),
    (
        "broken-link",
        "| Method | Year | Paper |\n|---|---|---|\n| A | 2024 | [Link](https://arxiv.org/abs/2401.00001 |\n",
        1,
        "broken-link.md:3: broken link markup in column 'Paper'",
    ),
    (
        "broken-item",
        "## Part\n1. **A title.** *Ann Author*. ACL 2024. [[pdf]](https://aclanthology.org/2024.acl-long.1/\n",
        1,
        "broken-item.md:2: broken link markup",
    ),
    (
        "extra-cell",
        "| Method | Year | Paper |\n|---|---|---|\n"
        "| A | 2024 | [Link](https://arxiv.org/abs/2401.00001) | x |\n",
        1,
        "extra-cell.md:3: 1 cell(s) beyond the header's 3 ignored: x",
    ),
]


@pytest.mark.parametrize(("name", "text", "rows", "flag"), ODD_LISTS, ids=[b[0] for b in ODD_LISTS])
def test_an_odd_line_is_imported_and_reported(
    project: Path, name: str, text: str, rows: int, flag: str
) -> None:
    bad = project / f"{name}.md"
    bad.write_text(text)
    summary = import_lists(project / "refs", [bad])
    assert summary.rows_per_file == {f"{name}.md": rows}
    assert not flag or any(line.startswith(flag) for line in summary.flagged)


@pytest.mark.parametrize(("name", "text", "line", "message"), BAD_LISTS, ids=[b[0] for b in BAD_LISTS])
def test_malformed_list_is_one_line_error_and_writes_nothing(
    project: Path, name: str, text: str, line: int, message: str
) -> None:
    refs = project / "refs"
    import_lists(refs, _lists(project))
    before = snapshot(refs)
    bad = project / f"{name}.md"
    bad.write_text(text)
    with pytest.raises(InputErrors) as caught:
        import_lists(refs, [*_lists(project), bad])
    (problem,) = caught.value.problems
    assert str(problem) == f"{name}.md:{line}: {message}" or str(problem).startswith(
        f"{name}.md:{line}: {message}"
    )
    assert snapshot(refs) == before


def test_list_that_is_not_utf8(project: Path) -> None:
    bad = project / "latin1.md"
    bad.write_bytes("| Method | Year |\n|---|---|\n| Gödel | 1931 |\n".encode("latin-1"))
    with pytest.raises(InputErrors, match=r"^latin1\.md:3: not UTF-8 \(byte 0xf6\)$"):
        import_lists(project / "refs", [bad])
    assert not (project / "refs" / "papers").exists()


def test_cli_import_then_list_json(project: Path) -> None:
    code, out, err = run("--refs", str(project / "refs"), "import")
    assert code == 0, err
    assert out == ""
    assert "records: 106 created, 0 updated, 0 unchanged" in err
    code, out, err = run("--refs", str(project / "refs"), "list", "--json")
    assert code == 0
    document = json.loads(out)
    assert (document["format"], document["version"]) == ("slmbib-records", 1)
    by_id = {record["id"]: record for record in document["records"]}
    assert len(by_id) == 106
    mobilellm = by_id["arxiv-2402.14905"]
    assert mobilellm["title"] == "MobileLLM"
    assert mobilellm["identifiers"] == {"arxiv": "2402.14905"}
    assert {"url": "https://github.com/facebookresearch/MobileLLM", "role": "code"} in mobilellm["links"]
    assert [(x["source"], x["line"]) for x in mobilellm["listings"]] == [
        ("refs/lists/000_a65a45ae749ad8e5.md", 40),
        ("refs/lists/001_b4add92330990902.md", 71),
        ("refs/lists/001_b4add92330990902.md", 171),
    ]
    assert mobilellm["fields"]["year"] == {"value": 2024, "source": "readme"}


def test_cli_reports_broken_yaml_in_refs_with_file_and_line(project: Path) -> None:
    run("--refs", str(project / "refs"), "import")
    broken = project / "refs" / "papers" / "arxiv-2402.14905.yaml"
    broken.write_text(broken.read_text().replace("listings:\n", "listings: [\n", 1))
    before = snapshot(project / "refs")
    code, _, err = run("--refs", str(project / "refs"), "import")
    assert code == 1
    assert err.startswith("Error: ") and err.count("\n") == 1
    assert "papers/arxiv-2402.14905.yaml:" in err and "invalid YAML" in err
    assert snapshot(project / "refs") == before


def test_cli_imports_odd_lines_and_reports_each(project: Path) -> None:
    bad = project / "bad.md"
    bad.write_text("| A | B |\n|---|---|\n| x |\n| y | [L](https://a.b/c |\n")
    code, _, err = run("--refs", str(project / "refs"), "import", str(bad))
    assert code == 0
    assert "bad.md: 2 rows read" in err
    assert "bad.md:4: broken link markup" in err


def test_seed_000_placeholder_row_is_kept_and_flagged(project: Path) -> None:
    refs = project / "refs"
    import_lists(refs, [project / "refs" / "lists" / SEED_000.name])
    (record_id,) = _record_named(refs, "MobiLlama")
    record = load_records(refs)[record_id]
    assert record.flags == ("no-paper-link", "placeholder-link")
    assert record.listings[0].links[1] == ListedLink("Paper/Blog Link", "URL")


def test_reading_the_committed_refs_works(project: Path) -> None:
    """The refs/ committed with the project loads and is what importing the seeds gives."""
    committed = load_records(Path(__file__).resolve().parent.parent / "refs")
    import_lists(project / "refs", _lists(project))
    fresh = load_records(project / "refs")
    assert {k: (r.identifiers, r.listings) for k, r in committed.items()} == {
        k: (r.identifiers, r.listings) for k, r in fresh.items()
    }


@given(st.sets(st.integers(min_value=2, max_value=80)))
def test_a_new_record_id_never_takes_a_used_name(numbers: set[int]) -> None:
    record = Record(id="", fields={"title": Value("Same Title", "bib")})
    taken = {"name-same-title", *(f"name-same-title-{number}" for number in numbers)}
    chosen = new_record_id(record, taken)
    assert chosen not in taken and chosen.startswith("name-same-title-")
    if numbers == set(range(2, len(numbers) + 2)):  # numbered without gaps: the next one
        assert chosen == f"name-same-title-{len(numbers) + 2}"
