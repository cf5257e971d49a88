"""The survey's own record, `slmbib cite`, and the citation block it puts into a README."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from slmbib.store import load_records, locked, save_records
from slmbib.survey import BEGIN, END, PLACEHOLDER, load_survey

from .seeds import REPO, SEED_001
from .workspace import run

AUTHORS = [
    *("Fali Wang", "Zhiwei Zhang", "Xianren Zhang", "Zongyu Wu", "Tzuhao Mo", "Qiuhao Lu", "Wanjing Wang"),
    *("Rui Li", "Junjie Xu", "Xianfeng Tang", "Qi He", "Yao Ma", "Ming Huang", "Suhang Wang"),
]


def test_the_survey_record_is_the_citable_arxiv_paper() -> None:
    survey = load_survey(REPO / "refs")
    assert survey is not None
    assert survey.identifiers == {"arxiv": "2411.03350"}
    assert survey.get("authors") == AUTHORS
    assert survey.get("year") == 2024
    assert survey.get("title") == (
        "A Comprehensive Survey of Small Language Models in the Era of Large Language Models: Techniques, "
        "Enhancements, Applications, Collaboration with LLMs, and Trustworthiness"
    )


def test_cite_prints_the_block(project: Path) -> None:
    code, out, _ = run("cite")
    assert code == 0
    assert out.startswith("@article{wang2024comprehensive,\n  author = {Wang, Fali and Zhang, Zhiwei and ")
    assert "Huang, Ming and Wang, Suhang},\n" in out
    assert "Collaboration with {LLM}s, and Trustworthiness},\n" in out
    assert "  journal = {arXiv preprint arXiv:2411.03350},\n  year = {2024},\n" in out
    assert "  eprint = {2411.03350},\n  archivePrefix = {arXiv},\n}\n" in out


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
    survey = project / "refs" / "survey.yaml"
    survey.write_text(
        survey.read_text(encoding="utf-8").replace("year:\n    value: 2024", "year:\n    value: 2025")
    )
    assert run("cite", "--readme", "README.md")[0] == 0
    assert "year = {2025}" in readme.read_text(encoding="utf-8")
    assert readme.read_text(encoding="utf-8").count(BEGIN) == 1


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
        ("# Nothing to replace\n", "README.md: neither '[TBD - BibTeX citation link here]' nor slmbib"),
        (f"a\n{BEGIN}\nx\n", "README.md:2: the slmbib citation markers must appear once each"),
        (f"{END}\n{BEGIN}\n", "README.md:2: the slmbib citation markers must appear once each"),
        (
            f"see {PLACEHOLDER} here\n",
            "README.md:1: the citation placeholder must stand on a line of its own",
        ),
    ],
)
def test_a_readme_without_a_clear_place_is_left_alone(project: Path, text: str, message: str) -> None:
    readme = project / "README.md"
    readme.write_text(text, encoding="utf-8")
    code, _, err = run("cite", "--readme", "README.md")
    assert code == 1 and err.startswith(f"Error: {message}")
    assert readme.read_text(encoding="utf-8") == text
