"""The list's own works, `slmbib cite`, and the citation block it puts into a README."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import bibtexparser
import pytest

from slmbib.store import load_records, locked, save_records
from slmbib.survey import BEGIN, END, PLACEHOLDER, load_own

from .replay_server import ReplayServer
from .seeds import REPO, SEED_001
from .sync_corpus import serve_own_works, service_urls
from .workspace import run, snapshot

AUTHORS = [
    *("Fali Wang", "Zhiwei Zhang", "Xianren Zhang", "Zongyu Wu", "Tzuhao Mo", "Qiuhao Lu", "Wanjing Wang"),
    *("Rui Li", "Junjie Xu", "Xianfeng Tang", "Qi He", "Yao Ma", "Ming Huang", "Suhang Wang"),
]
TITLE = (
    "A Comprehensive Survey of Small Language Models in the Era of Large Language Models: Techniques, "
    "Enhancements, Applications, Collaboration with LLMs, and Trustworthiness"
)
# How the survey's README asks readers to cite its three works: BibTeX pasted by hand, one block each.
HAND_PASTED = f"""## Reference

If you find this survey useful, please cite our papers:

```bibtex
@article{{wang2025comprehensive,
  title={{{TITLE.replace("LLMs", "{{LLM}}s")}}},
  author={{{" and ".join(f"{name.split()[1]}, {name.split()[0]}" for name in AUTHORS)}}},
  journal={{ACM Transactions on Intelligent Systems and Technology}},
  year={{2025}},
  doi={{10.1145/3768165}}
}}
```

The tutorial:

```bibtex
@inproceedings{{wang2025tutorial,
  title={{Small Language Models: A Tutorial}},
  author={{Wang, Fali and Wang, Suhang}},
  booktitle={{Proceedings of the 31st ACM SIGKDD Conference on Knowledge Discovery and Data Mining}},
  year={{2025}},
  doi={{10.1145/3711896.3736563}}
}}
```

The extended survey:

```
@article{{wang2025collaborating,
  title={{Collaborating Small and Large Language Models: An Extended Survey}},
  author={{Wang, Fali and Wang, Suhang}},
  journal={{arXiv preprint arXiv:2510.13890}},
  year={{2025}}
}}
```

## Table of Contents
"""


def _hand_pasted_readme() -> str:
    seed = SEED_001.read_text(encoding="utf-8")
    return seed.replace("## Table of Contents\n", HAND_PASTED, 1)


def _assert_published_survey(entry: dict[str, str]) -> None:
    """The survey's entry once its publication is known: the journal's version, its arXiv id kept."""
    assert entry["journal"] == "ACM Transactions on Intelligent Systems and Technology"
    assert (entry["year"], entry["doi"]) == ("2025", "10.1145/3768165")
    assert (entry["eprint"], entry["eprinttype"]) == ("2411.03350", "arxiv")


def _entries(text: str) -> dict[str, dict[str, str]]:
    library = bibtexparser.parse_string(text)
    assert library.failed_blocks == []
    return {entry.key: {f.key: f.value for f in entry.fields} for entry in library.entries}


def test_the_committed_survey_record_is_the_published_survey() -> None:
    survey = load_own(REPO / "refs")["survey"]
    assert survey.identifiers == {"arxiv": "2411.03350", "doi": "10.1145/3768165"}
    assert survey.get("authors") == AUTHORS and survey.get("title") == TITLE
    assert (survey.get("year"), survey.get("journal")) == (
        2025,
        "ACM Transactions on Intelligent Systems and Technology",
    )
    assert not (REPO / "refs" / "survey.yaml").exists()


def test_cite_prints_the_survey_published_with_its_arxiv_id(project: Path) -> None:
    code, out, _ = run("cite")
    assert code == 0
    assert out.startswith("@article{wang2024comprehensive,\n  author = {Wang, Fali and Zhang, Zhiwei and ")
    assert "Huang, Ming and Wang, Suhang},\n" in out
    assert "Collaboration with {LLM}s, and Trustworthiness},\n" in out
    assert "  journal = {ACM Transactions on Intelligent Systems and Technology},\n  year = {2025},\n" in out
    assert "  doi = {10.1145/3768165},\n  eprint = {2411.03350},\n  eprinttype = {arxiv},\n" in out


def test_the_older_survey_file_is_still_read(project: Path) -> None:
    own = project / "refs" / "own"
    shutil.rmtree(own)
    shutil.copy(REPO / "tests" / "data" / "legacy-survey.yaml", project / "refs" / "survey.yaml")
    code, out, _ = run("cite")
    assert code == 0 and "journal = {arXiv preprint arXiv:2411.03350}" in out
    # The first command that writes own works moves it into refs/own/, unchanged.
    legacy = (project / "refs" / "survey.yaml").read_bytes()
    code, exported, _ = run("export", "-")
    assert code == 0 and "wang2024comprehensive" in exported
    assert (own / "survey.yaml").read_bytes() == legacy and not (project / "refs" / "survey.yaml").exists()


def test_cite_reports_a_key_clash_like_export(project: Path) -> None:
    refs = project / "refs"
    paper = load_records(refs)["arxiv-2402.14905"]
    with locked(refs):
        save_records(refs, [replace(paper, key="wang2024comprehensive")])
    code, out, err = run("cite")
    assert (code, out) == (1, "")
    assert err == "Error: citation key 'wang2024comprehensive' is also claimed by record 'arxiv-2402.14905'\n"


def test_cite_replaces_the_readme_placeholder_then_its_own_block(project: Path) -> None:
    readme = project / "README.md"
    readme.write_bytes(SEED_001.read_bytes())
    original = readme.read_text(encoding="utf-8")
    code, _, err = run("cite", "--readme", "README.md")
    assert code == 0 and err == "README.md: citation block written\n"
    text = readme.read_text(encoding="utf-8")
    assert PLACEHOLDER not in text
    _, block, _ = run("cite")
    expected = f"{BEGIN}\n```bibtex\n{block}```\n{END}\n"
    assert text == original.replace(f"```\n{PLACEHOLDER}\n```\n", expected)
    # Idempotent: a second run changes no byte.
    assert run("cite", "--readme", "README.md")[2] == "README.md: citation block unchanged\n"
    assert readme.read_text(encoding="utf-8") == text
    # The block between the markers follows the record.
    survey = project / "refs" / "own" / "survey.yaml"
    survey.write_text(
        survey.read_text(encoding="utf-8").replace("year:\n    value: 2025", "year:\n    value: 2026")
    )
    assert run("cite", "--readme", "README.md")[0] == 0
    assert "year = {2026}" in readme.read_text(encoding="utf-8")
    assert readme.read_text(encoding="utf-8").count(BEGIN) == 1


def test_cite_readme_replaces_hand_pasted_bibtex_in_place_idempotently(project: Path) -> None:
    readme = project / "README.md"
    original = _hand_pasted_readme()
    readme.write_text(original, encoding="utf-8")
    code, _, err = run("cite", "--readme", "README.md")
    assert code == 0, err
    # The survey is the committed record; the two companions are new own works, not papers.
    created = sorted(path.stem for path in (project / "refs" / "own").iterdir())
    assert created == ["arxiv-2510.13890", "doi-10.1145-3711896.3736563", "survey"]
    assert "own work created: arxiv-2510.13890" in err and "own work created: survey" not in err
    assert not {"arxiv-2510.13890", "doi-10.1145-3711896.3736563"} & set(load_records(project / "refs"))
    # The key readers copied from the README still cites the survey (biblatex reads it from ids).
    assert load_own(project / "refs")["survey"].aliases == ("wang2025comprehensive",)
    text = readme.read_text(encoding="utf-8")
    _, block, _ = run("cite")
    entries = _entries(block)
    assert list(entries) == ["wang2024comprehensive", "wang2025tutorial", "wang2025collaborating"]
    assert entries["wang2025tutorial"]["doi"] == "10.1145/3711896.3736563"
    assert entries["wang2025collaborating"]["eprint"] == "2510.13890"
    # In place: the first hand-pasted block became the written one, the other two went, nothing else moved.
    before, after = original.split("```bibtex\n@article{wang2025comprehensive", 1)
    assert text.startswith(before + BEGIN + "\n```bibtex\n" + block + "```\n" + END + "\n\nThe tutorial:\n\n")
    assert text.endswith(
        "The extended survey:\n\n\n## Table of Contents\n" + after.split("## Table of Contents\n", 1)[1]
    )
    assert text.count("@inproceedings") == 1 and text.count("@article") == 2
    # Idempotent.
    state = snapshot(project)
    code, _, err = run("cite", "--readme", "README.md")
    assert code == 0 and err == "README.md: citation block unchanged\n"
    assert snapshot(project) == state


def test_in_a_fresh_folder_the_own_works_come_from_the_readme(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = run("cite")
    assert code == 1 and "no reference database here; `slmbib init [LIST.md]` starts one" in err
    assert not (tmp_path / "refs").exists()
    (tmp_path / "README.md").write_text(_hand_pasted_readme(), encoding="utf-8")
    code, _, err = run("init")  # reads the README's paper lists and its citation section
    assert code == 0, err
    assert len(list((tmp_path / "refs" / "own").iterdir())) == 3
    code, _, err = run("cite")
    assert code == 0, err
    assert "the list has no own works yet" not in err
    code, out, _ = run("cite")
    entries = _entries(out)
    assert list(entries) == ["wang2025comprehensive", "wang2025tutorial", "wang2025collaborating"]
    survey = entries["wang2025comprehensive"]
    assert survey["title"] == TITLE.replace("LLMs", "{LLM}s") and survey["author"].count(" and ") == 13
    assert survey["doi"] == "10.1145/3768165"


def test_in_a_fresh_folder_one_command_adds_a_synced_own_work(
    replay_server: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_own_works(replay_server)
    monkeypatch.chdir(tmp_path)
    services = service_urls(replay_server)
    assert run("init")[0] == 0  # no README: an empty refs/, which only init and import create
    code, out, err = run("add", "--own", "https://arxiv.org/abs/2411.03350", *services)
    assert code == 0, err
    assert out == "arxiv-2411.03350\n" and "own work arxiv-2411.03350 (new, resolved)" in err
    assert run("add", "--own", "10.1145/3711896.3736563", *services)[0] == 0
    # Added again by another of its identifiers: found, not added twice.
    code, out, err = run("add", "--own", "doi:10.1145/3768165", *services)
    assert code == 0 and out == "arxiv-2411.03350\n" and "(existing, resolved)" in err
    assert load_records(tmp_path / "refs") == {}
    entries = _entries(run("cite")[1])
    assert len(entries) == 2
    _assert_published_survey(next(fields for fields in entries.values() if "eprint" in fields))


def test_the_survey_after_a_sync_that_reports_its_publication(
    replay_server: ReplayServer, project: Path
) -> None:
    serve_own_works(replay_server)
    # The survey's record as it was before it was published: a preprint of 2024, by the services' word.
    survey = project / "refs" / "own" / "survey.yaml"
    text = survey.read_text(encoding="utf-8")
    preprint = text.split("  year:\n")[0] + "override: {}\n"
    survey.write_text(preprint.replace("  doi: 10.1145/3768165\n", ""), encoding="utf-8")
    assert "arXiv preprint arXiv:2411.03350" in run("cite")[1]
    services = service_urls(replay_server)
    code, _, err = run("sync", *services, "--s2-interval", "0", "--arxiv-interval", "0", "survey")
    assert code == 0, err
    (entry,) = _entries(run("cite")[1]).values()
    assert run("cite")[1].startswith("@article{wang2024comprehensive,")
    _assert_published_survey(entry)
    assert "month" not in entry  # S2 gives the journal's year alone: arXiv's month is the preprint's


def test_crlf_readmes_keep_their_line_ends(project: Path) -> None:
    readme = project / "README.md"
    readme.write_bytes(b"# Survey\r\n\r\n" + PLACEHOLDER.encode() + b"\r\nmore\r\n")
    assert run("cite", "--readme", "README.md")[0] == 0
    data = readme.read_bytes()
    assert b"\r\n@article{wang2024comprehensive,\r\n" in data and b"\nmore\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("# Nothing to replace\n", "README.md: no BibTeX block in a citation section, '[TBD - BibTeX"),
        (f"a\n{BEGIN}\nx\n", "README.md:2: the slmbib citation markers must appear once each"),
        (f"{END}\n{BEGIN}\n", "README.md:2: the slmbib citation markers must appear once each"),
        (
            f"see {PLACEHOLDER} here\n",
            "README.md:1: the citation placeholder must stand on a line of its own",
        ),
        (
            "## Citation\n\n```bibtex\n@article{x,\n  title = {Broken\n```\n",
            "README.md:4: cannot read this BibTeX",
        ),
    ],
)
def test_a_readme_without_a_clear_place_is_left_alone(project: Path, text: str, message: str) -> None:
    readme = project / "README.md"
    readme.write_text(text, encoding="utf-8")
    before = snapshot(project)
    code, _, err = run("cite", "--readme", "README.md")
    assert code == 1 and err.startswith(f"Error: {message}"), err
    assert snapshot(project) == before


def test_paper_links_in_the_citation_section_become_own_works(
    replay_server: ReplayServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve_own_works(replay_server)
    monkeypatch.chdir(tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text(
        "# A survey\n\n[Code](https://github.com/x/y) is elsewhere.\n\n## Citation\n\n"
        "Please cite [the survey](https://arxiv.org/abs/2411.03350v3) and "
        "[the tutorial](https://doi.org/10.1145/3711896.3736563).\n\n"
        f"```\n{PLACEHOLDER}\n```\n",
        encoding="utf-8",
    )
    (tmp_path / "refs").mkdir()  # a database with no paper yet: cite creates no refs/ itself
    code, _, err = run("cite", "--readme", "README.md")
    assert code == 0, err
    assert sorted(path.stem for path in (tmp_path / "refs" / "own").iterdir()) == [
        "arxiv-2411.03350",
        "doi-10.1145-3711896.3736563",
    ]
    services = service_urls(replay_server)
    code, _, err = run("sync", *services, "--s2-interval", "0", "--arxiv-interval", "0")
    assert code == 0, err
    assert run("cite", "--readme", "README.md")[0] == 0
    entries = _entries(readme.read_text(encoding="utf-8").split("```bibtex\n")[1].split("```")[0])
    assert [fields["doi"] for fields in entries.values()] == ["10.1145/3768165", "10.1145/3711896.3736563"]
    assert "github" not in "".join(path.name for path in (tmp_path / "refs" / "own").iterdir())
