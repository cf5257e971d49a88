"""`slmbib import FILE.bib`: LaTeX kept as written, failures reported by line, nothing half-imported."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slmbib.bibread import BibErrors, import_bib, parse_bib
from slmbib.store import load_records

from .workspace import run, snapshot

MAINTAINER_BIB = r"""% A maintainer's own bibliography.
@string{icml = "International Conference on Machine Learning"}

@inproceedings{liu2024mobilellm,
  title     = {{MobileLLM}: Optimizing Sub-billion Parameter Language Models for On-Device Use Cases},
  author    = {Liu, Zechun and Zhao, Changsheng and Iandola, Forrest and Lai, Chen and Tian, Yuandong
               and others},
  booktitle = icml,
  year      = 2024,
  month     = jul,
  eprint    = {2402.14905},
  archivePrefix = {arXiv},
}

@article{gu2023mamba,
  title = {Mamba: Linear-Time Sequence Modeling with Selective State Spaces \& 100\% {SSM}s},
  author = {Gu, Albert and Dao, Tri},
  journal = {arXiv preprint arXiv:2312.00752},
  year = {2023},
}

@misc{godel1931,
  title = {{\"U}ber formal unentscheidbare S{\"a}tze},
  author = {G{\"o}del, Kurt and \c{C}elik, Ay\c{s}e},
  howpublished = {\url{https://example.org/g_odel}},
  year = {1931},
}
"""


@pytest.fixture
def mine(project: Path) -> Path:
    path = project / "mine.bib"
    path.write_text(MAINTAINER_BIB, encoding="utf-8")
    return path


def test_entries_merge_into_refs_with_their_latex_as_written(mine: Path) -> None:
    project = mine.parent
    listed_key = load_records(project / "refs")["arxiv-2402.14905"].key
    code, _, err = run("import", "mine.bib")
    assert code == 0, err
    assert "mine.bib: 3 entries read" in err and "records: 2 created, 1 updated" in err
    records = load_records(project / "refs")
    mobilellm = records["arxiv-2402.14905"]
    # The entry's key, unless an export pinned one first (then the entry's becomes an alias).
    assert mobilellm.key == (listed_key or "liu2024mobilellm")
    assert mobilellm.provenance("title") == "bib"
    assert mobilellm.get("title").startswith("{MobileLLM}: Optimizing")
    assert mobilellm.get("booktitle") == "International Conference on Machine Learning"
    assert mobilellm.get("authors_truncated") is True and len(mobilellm.get("authors")) == 5
    assert len(mobilellm.listings) == 3  # still the three rows of the lists
    mamba = next(r for r in records.values() if r.key == "gu2023mamba")
    assert mamba.identifiers == {"arxiv": "2312.00752"} and mamba.get("entry_type") == "preprint"
    godel = next(r for r in records.values() if r.key == "godel1931")
    assert godel.get("authors") == [r"G{\"o}del, Kurt", r"\c{C}elik, Ay\c{s}e"]

    code, out, _ = run("export", "-")
    assert (
        r"title = {Mamba: Linear-Time Sequence Modeling with Selective State Spaces \& 100\% {SSM}s}" in out
    )
    assert r"author = {G{\"o}del, Kurt and \c{C}elik, Ay\c{s}e}" in out
    assert r"howpublished = {\url{https://example.org/g_odel}}" in out
    assert f"@inproceedings{{{mobilellm.key}," in out and "month = jul," in out
    assert "Tian, Yuandong and others}" in out


@pytest.mark.usefixtures("mine")
def test_reimporting_changes_nothing(project: Path) -> None:
    run("import", "mine.bib")
    before = snapshot(project / "refs")
    code, _, err = run("import", "mine.bib")
    assert code == 0 and "records: 0 created, 0 updated" in err
    assert snapshot(project / "refs") == before


@pytest.mark.usefixtures("mine")
def test_an_existing_key_is_kept_and_the_entry_key_becomes_an_alias(project: Path) -> None:
    run("export", "survey.bib")  # pins MobileLLM's key first
    pinned = load_records(project / "refs")["arxiv-2402.14905"].key
    code, _, err = run("import", "mine.bib")
    assert code == 0 and f"merged: liu2024mobilellm -> {pinned}" in err
    mobilellm = load_records(project / "refs")["arxiv-2402.14905"]
    assert mobilellm.key == pinned and mobilellm.aliases == ("liu2024mobilellm",)


BROKEN = r"""@article{ok2024,
  title = {Fine},
  year = 2024,
}

@article{bad title = {x},
}

@article{ok2024,
  title = {Same key again},
}

@misc{brace2024, title = {Not \} balanced}}

@misc{undefined2024, title = {Fine too}, journal = nosuchstring}

@misc{bad key, title = {x}}
"""


@pytest.mark.usefixtures("mine")
def test_every_problem_is_reported_by_line_and_the_rest_is_imported(project: Path) -> None:
    (project / "broken.bib").write_text(BROKEN, encoding="utf-8")
    code, _, err = run("import", "broken.bib", "mine.bib")
    assert code == 0, err
    lines = err.splitlines()
    reported = [line for line in lines if line.startswith("broken.bib:") and "entries read" not in line]
    assert [line.split(": ", 1)[0] for line in reported] == [
        "broken.bib:6",
        "broken.bib:13",
        "broken.bib:15",
        "broken.bib:17",
        "broken.bib:9",
    ]
    assert "expected ',' after the key" in reported[0]
    assert "BibTeX counts the brace of '\\}' too" in reported[1]
    assert "journal uses an undefined @string 'nosuchstring'" in reported[2]
    assert "key 'ok2024' is used twice (first at broken.bib:1): skipped" in reported[4]
    assert "broken.bib: 3 entries read" in err and "mine.bib: 3 entries read" in err
    keys = {record.key for record in load_records(project / "refs").values()}
    assert {"ok2024", "undefined2024", "gu2023mamba"} <= keys


def test_a_file_that_is_not_utf8_names_its_line(project: Path) -> None:
    (project / "latin1.bib").write_bytes(b"@misc{a,\n title = {G\xf6del}}\n")
    with pytest.raises(BibErrors, match=r"latin1.bib:2: not UTF-8"):
        import_bib(project / "refs", [project / "latin1.bib"])


def test_a_key_already_taken_by_another_paper_is_refused(project: Path) -> None:
    run("export", "survey.bib")
    pinned = load_records(project / "refs")["arxiv-2402.14905"].key
    (project / "clash.bib").write_text(f"@misc{{{pinned}, title = {{Another Paper Entirely Here}}}}\n")
    code, _, err = run("import", "clash.bib")
    assert code == 1
    assert err.startswith(f"Error: clash.bib:1: citation key '{pinned}' is also claimed by record")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=st.sampled_from(list('@{}=,"\\ \n#%abc1')), max_size=120))
def test_any_bib_text_gives_entries_or_line_numbered_problems(tmp_path: Path, text: str) -> None:
    path = tmp_path / "any.bib"
    path.write_text(text, encoding="utf-8")
    entries, problems = parse_bib(path)
    for problem in problems:
        assert problem.startswith(f"{path}:") and "\n" not in problem
    for line, record in entries:
        assert 1 <= line <= text.count("\n") + 1 and record.key
