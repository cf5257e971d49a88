"""`slmbib export` on the committed refs/: one entry per paper, stable bytes, stable keys."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import bibtexparser

from slmbib.models import Value
from slmbib.store import load_records, locked, save_records

from .workspace import run, snapshot

_ENTRY = re.compile(r"^@(\w+)\{([^,]+),", re.MULTILINE)


def _entries(text: str) -> dict[str, dict[str, str]]:
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return {entry.key: {f.key: f.value for f in entry.fields} for entry in library.entries}


def test_every_paper_of_the_seeds_appears_exactly_once(project: Path) -> None:
    code, _, err = run("export", "survey.bib")
    assert code == 0, err
    text = (project / "survey.bib").read_text(encoding="utf-8")
    entries = _entries(text)
    records = load_records(project / "refs")
    assert len(entries) == len(records) + 1
    eprints = [fields["eprint"] for fields in entries.values() if "eprint" in fields]
    assert eprints.count("2402.14905") == 1  # MobileLLM, listed three times
    assert eprints.count("2309.16609") == 1  # Qwen 1 and Qwen 1.5: one technical report
    assert len(eprints) == len(set(eprints))
    arxiv_ids = {record.identifiers["arxiv"] for record in records.values() if "arxiv" in record.identifiers}
    assert arxiv_ids | {"2411.03350"} == set(eprints)
    # The survey's own entry goes with the bibliography.
    survey = entries["wang2024comprehensive"]
    assert survey["journal"] == "ACM Transactions on Intelligent Systems and Technology"
    assert (survey["doi"], survey["eprint"]) == ("10.1145/3768165", "2411.03350")
    assert (
        survey["author"].startswith("Wang, Fali and Zhang, Zhiwei and")
        and survey["author"].count(" and ") == 13
    )
    # Never-synced entries are exported with what is known, and counted.
    missing = sum(1 for fields in entries.values() if "author" not in fields)
    assert f"warning: {missing} entries have no authors yet" in err
    assert missing > 50


def test_export_pins_keys_once_and_then_changes_nothing(project: Path) -> None:
    refs = project / "refs"
    assert run("export", "survey.bib")[0] == 0
    first = (project / "survey.bib").read_bytes()
    keys = {record.id: record.key for record in load_records(refs).values()}
    assert all(keys.values())
    before = snapshot(refs)
    code, _, err = run("export", "survey.bib")
    assert code == 0 and "pinned" not in err
    assert (project / "survey.bib").read_bytes() == first
    assert snapshot(refs) == before


def test_keys_survive_a_sync_that_changes_titles_and_authors(project: Path) -> None:
    refs = project / "refs"
    run("export", "survey.bib")
    pinned = load_records(refs)
    synced = [
        replace(
            record,
            fields={
                **record.fields,
                "title": Value(f"A Synced Title for {record.title}", "s2"),
                "authors": Value(["Grace Hopper", "Ada Lovelace"], "s2"),
                "year": Value(2031, "s2"),
            },
        )
        for record in pinned.values()
    ]
    with locked(refs):
        save_records(refs, synced)
    assert run("export", "survey.bib")[0] == 0
    after = load_records(refs)
    assert {r.id: r.key for r in after.values()} == {r.id: r.key for r in pinned.values()}
    entries = _entries((project / "survey.bib").read_text(encoding="utf-8"))
    old = pinned["arxiv-2402.14905"].key
    assert entries[old]["author"] == "Hopper, Grace and Lovelace, Ada"
    # Only an explicit rekey moves a key; the old one stays an alias.
    code, out, _ = run("rekey", old)
    assert code == 0 and out == f"{old} -> hopper2031synced\n"
    assert load_records(refs)["arxiv-2402.14905"].aliases == (old,)


def test_strict_refuses_entries_without_authors_and_writes_nothing(project: Path) -> None:
    (project / "survey.bib").write_text("old\n", encoding="utf-8")
    before = snapshot(project)
    code, _, err = run("export", "--strict", "survey.bib")
    assert code == 1
    assert re.fullmatch(r"Error: \d+ entries have no authors \(--strict\): [a-z0-9, .]+\n", err)
    assert snapshot(project) == before


def test_stdout_formats_order_and_sections(project: Path) -> None:
    code, out, err = run("export", "--order", "survey", "-")
    assert code == 0 and out.startswith("% Written by `slmbib export`")
    assert "stdout: " in err and "@" not in err
    keys = [key for _, key in _ENTRY.findall(out)]
    assert keys[0] == "wang2024comprehensive"
    by_key = sorted(keys[1:])
    assert keys[1:] != by_key
    code, out, _ = run("export", "-")
    assert [key for _, key in _ENTRY.findall(out)] == sorted(keys)

    code, out, _ = run("export", "--sections", "quantization", "--format", "csl-json", "-")
    items = json.loads(out)
    records = {r.key: r for r in load_records(project / "refs").values()}
    chosen = [item["id"] for item in items if item["id"] != "wang2024comprehensive"]
    assert chosen and all(
        any(x.section.lower().endswith("quantization") for x in records[key].listings) for key in chosen
    )
    code, _, err = run("export", "--sections", "SLM Paper List > No Such Part", "-")
    assert code == 1 and "no paper is listed under" in err

    code, out, _ = run("export", "--format", "biblatex", "-")
    key = load_records(project / "refs")["arxiv-2402.14905"].key
    assert f"@online{{{key}," in out and "eprinttype = {arxiv}" in out


def test_duplicates_found_at_export_are_merged_and_reported(project: Path) -> None:
    refs = project / "refs"
    run("export", "survey.bib")
    records = load_records(refs)
    copy = replace(records["arxiv-2402.14905"], id="url-mobilellm-copy", key="mobilellmcopy", listings=())
    with locked(refs):
        save_records(refs, [copy])
    code, _, err = run("export", "survey.bib")
    assert code == 0
    assert f"merged: mobilellmcopy -> {records['arxiv-2402.14905'].key}" in err
    assert "url-mobilellm-copy" not in load_records(refs)
    assert load_records(refs)["arxiv-2402.14905"].aliases == ("mobilellmcopy",)


def test_a_clashing_or_unsafe_pinned_key_is_an_error_naming_the_file(project: Path) -> None:
    refs = project / "refs"
    records = load_records(refs)
    with locked(refs):
        save_records(refs, [replace(records["arxiv-2402.14905"], key="evil}key")])
    code, _, err = run("export", "survey.bib")
    assert code == 1
    assert err == "Error: refs/papers/arxiv-2402.14905.yaml: unsafe citation key 'evil}key'\n"
    assert not (project / "survey.bib").exists()


def test_export_refuses_while_another_run_holds_refs(project: Path) -> None:
    with locked(project / "refs"):
        code, _, err = run("export", "survey.bib")
    assert code == 1 and "in use by another slmbib run" in err


def test_counts_read_as_words_and_only_bibtex_warns_about_natbib(project: Path) -> None:
    refs = project / "refs"
    for path in [*(refs / "own").iterdir(), *(refs / "papers").iterdir()]:
        if path.stem != "name-stable-beluga-7b":  # listed without a year, with a model card only
            path.unlink()
    code, _, err = run("export", "-")
    assert code == 0
    assert err.splitlines() == [
        "stdout: 1 entry",
        "warning: 1 entry has no authors yet (run `slmbib sync`): stable",
        "warning: 1 entry has no year (plainnat and abbrvnat will warn): stable",
    ]
    for fmt in ("biblatex", "csl-json"):
        code, _, err = run("export", "--format", fmt, "-")
        assert code == 0 and "plainnat" not in err and "no year" not in err
