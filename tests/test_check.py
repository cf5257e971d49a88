"""`slmbib check`: the seeds' real mistakes at their lines, every code on a small list, no false alarms."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from slmbib.commands.check import CODES, Finding, check_lists
from slmbib.models import Record, SyncStatus, Value
from slmbib.store import save_records

from .seeds import SEED_000, SEED_001, SEEDS
from .workspace import run

HEADER = "| Method | Year | Paper | Code | Model Card |\n|---|---|---|---|---|\n"


def _seed_findings() -> dict[tuple[str, int], list[Finding]]:
    found: dict[tuple[str, int], list[Finding]] = {}
    for f in check_lists(list(SEEDS)).findings:
        found.setdefault((Path(f.path).name[:3], f.line), []).append(f)
    return found


SEED_FINDINGS = _seed_findings()


def _at(seed: str, line: int, code: str) -> Finding:
    (hit,) = [f for f in SEED_FINDINGS.get((seed, line), []) if f.code == code]
    return hit


# The acceptance list: each real mistake of the seeds, as an error at its line.
SEED_ERRORS = [
    ("000", 39, "placeholder-link", "placeholder link 'URL' under 'Paper/Blog Link'"),
    ("000", 39, "copied-links", "https://huggingface.co/apple/OpenELM belongs to 'OpenELM' (line 38)"),
    ("000", 52, "copied-links", "https://huggingface.co/databricks/dolly-v1-6b"),
    ("000", 63, "mis-encoded-text", "'It\u00e2\u20ac\u2122s' should read 'It\u2019s'"),
    ("001", 169, "misplaced-paper-link", "https://arxiv.org/abs/2306.00978 is under 'Code'"),
]


@pytest.mark.parametrize(
    ("seed", "line", "code", "text"), SEED_ERRORS, ids=[f"{s}:{n}" for s, n, *_ in SEED_ERRORS]
)
def test_seed_mistake_is_an_error_at_its_line(seed: str, line: int, code: str, text: str) -> None:
    hit = _at(seed, line, code)
    assert hit.severity == "error"
    assert text in hit.message


def test_the_seeds_have_no_other_errors() -> None:
    errors = sorted(
        (seed, line, f.code)
        for (seed, line), fs in SEED_FINDINGS.items()
        for f in fs
        if f.severity == "error"
    )
    assert errors == sorted((seed, line, code) for seed, line, code, _ in SEED_ERRORS)


def test_lamini_names_both_of_dollys_links() -> None:
    message = _at("000", 52, "copied-links").message
    assert "dolly-first-open-commercially-viable" in message
    assert "'Dolly-v2' (line 51), not to 'LaMini-LM'" in message


def test_rows_of_one_family_sharing_a_paper_are_no_error() -> None:
    # Phi-3 and Phi-3.5 (one technical report, one model collection); Qwen 1 and 1.5 likewise.
    for line in (36, 37, 21, 22):
        assert all(f.severity != "error" for f in SEED_FINDINGS.get(("000", line), []))
    assert _at("000", 37, "shared-paper").severity == "info"
    assert "'Phi-3.5' cites the paper of 'Phi-3' (line 36)" in _at("000", 37, "shared-paper").message
    assert not [f for f in SEED_FINDINGS.get(("000", 37), []) if f.code in ("shared-links", "copied-links")]


def test_seed_warnings_and_style_notes() -> None:
    assert _at("000", 41, "not-a-paper-link").severity == "warning"  # StableLM's "paper" is its model card
    assert _at("001", 56, "anonymous-code-link").severity == "warning"
    assert _at("001", 71, "stray-paper-link").severity == "warning"  # "Model Card" is the arXiv page on HF
    assert _at("001", 169, "misplaced-link").message.startswith(
        "code link https://github.com/mit-han-lab/llm-awq"
    )
    assert _at("001", 137, "pinned-arxiv-version").severity == "info"
    assert _at("001", 168, "tracking-query").message.endswith("-> https://github.com/tonyzhao-jt/LLM-PQ")
    assert "(line 71)" in _at("001", 171, "listed-elsewhere").message
    # The "Code Link" column of seed 000 holds model cards: with no model column, that is where they go.
    assert not [
        f for fs in SEED_FINDINGS.values() for f in fs if f.code == "misplaced-link" and "000" in f.path
    ]


def _write(tmp_path: Path, text: str, name: str = "list.md") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _codes(tmp_path: Path, text: str, refs: Path | None = None) -> list[tuple[int, str]]:
    result = check_lists([_write(tmp_path, text)], refs)
    return [(f.line, f.code) for f in result.findings]


CLEAN = (
    "# Survey\n\n## Papers\n\n"
    + HEADER
    + "| MobileLLM | 2024 | [Link](https://arxiv.org/abs/2402.14905) "
    + "| [Link](https://github.com/facebookresearch/MobileLLM) | |\n"
    + "| MobiLlama | 2024 | [Link](https://arxiv.org/abs/2402.16840) "
    + "| [Link](https://github.com/mbzuai-oryx/MobiLlama) | |\n"
)


def test_a_clean_table_passes_with_exit_0(tmp_path: Path) -> None:
    code, out, err = run("--refs", str(tmp_path / "refs"), "check", str(_write(tmp_path, CLEAN)))
    assert (code, out) == (0, "")
    assert err == "0 errors, 0 warnings, 0 info in 1 file\n"


def test_cli_text_output_and_exit_1_on_the_seeds(tmp_path: Path) -> None:
    code, out, err = run("--refs", str(tmp_path / "refs"), "check", str(SEED_000))
    assert code == 1
    assert f"{SEED_000}:39: error: placeholder-link: placeholder link 'URL' under 'Paper/Blog Link'\n" in out
    assert err.startswith("4 errors, 1 warning, ")


def _row(name: str, *cells: str) -> str:
    return f"| {name} | " + " | ".join(cells) + " |\n"


# One small list per code: (list text, line, code).  The synced codes are tested below with records.
CASES = [
    ("placeholder-link", HEADER + _row("A", "2024", "[Link]()", "", ""), 3),
    (
        "local-link",
        HEADER
        + _row(
            "A", "2024", "[Link](https://arxiv.org/abs/2401.00001)", "[Code](http://localhost:8000/a)", ""
        ),
        3,
    ),
    ("local-link", HEADER + _row("A", "2024", "[Link](http://192.168.1.4/paper.pdf)", "", ""), 3),
    (
        "anonymous-code-link",
        HEADER
        + _row(
            "A",
            "2024",
            "[Link](https://arxiv.org/abs/2401.00001)",
            "[Link](https://anonymous.4open.science/r/A-1)",
            "",
        ),
        3,
    ),
    (
        "misplaced-paper-link",
        HEADER + _row("A", "2024", "", "[Link](https://aclanthology.org/2024.acl-long.1/)", ""),
        3,
    ),
    (
        "misplaced-link",
        HEADER
        + _row("A", "2024", "[Link](https://arxiv.org/abs/2401.00001)", "", "[Link](https://github.com/a/a)"),
        3,
    ),
    (
        "stray-paper-link",
        HEADER
        + _row(
            "A",
            "2024",
            "[Link](https://arxiv.org/abs/2401.00001)",
            "",
            "[Link](https://huggingface.co/papers/2401.00001)",
        ),
        3,
    ),
    (
        "not-a-paper-link",
        HEADER + _row("A", "2024", "[Link](https://huggingface.co/datasets/a/a)", "", ""),
        3,
    ),
    (
        "duplicate-row",
        "## S\n"
        + HEADER
        + _row("Alpaca", "2023", "[Link](https://arxiv.org/abs/2401.00001)", "", "")
        + _row("Alpaca 7B", "2023", "[Link](https://arxiv.org/abs/2401.00001)", "", ""),
        5,
    ),
    (
        "shared-paper",
        "## S\n"
        + HEADER
        + _row("Qwen 1", "2023", "[Link](https://arxiv.org/abs/2309.16609)", "", "")
        + _row("Qwen 1.5", "2024", "[Link](https://arxiv.org/abs/2309.16609)", "", ""),
        5,
    ),
    (
        "listed-elsewhere",
        "## S\n"
        + HEADER
        + _row("A", "2023", "[Link](https://arxiv.org/abs/2401.00001)", "", "")
        + "## T\n"
        + HEADER
        + _row("A", "2023", "[Link](https://arxiv.org/abs/2401.00001)", "", ""),
        8,
    ),
    (
        "shared-links",
        HEADER
        + _row("Ranker", "2019", "[Link](https://arxiv.org/abs/1901.04085)", "", "")
        + _row("Rewriter", "2023", "[Link](https://arxiv.org/abs/1901.04085)", "", ""),
        4,
    ),
    (
        "copied-links",
        HEADER
        + _row(
            "Gemma",
            "2024",
            "[Link](https://arxiv.org/abs/2403.08295)",
            "[Link](https://github.com/google/gemma)",
            "",
        )
        + _row(
            "Octopus",
            "2024",
            "[Link](https://arxiv.org/abs/2404.01549)",
            "[Link](https://github.com/google/gemma)",
            "",
        ),
        4,
    ),
    (
        "pinned-arxiv-version",
        HEADER + _row("A", "2024", "[Link](https://arxiv.org/pdf/2401.00001v3.pdf)", "", ""),
        3,
    ),
    (
        "tracking-query",
        HEADER
        + _row(
            "A",
            "2024",
            "[Link](https://arxiv.org/abs/2401.00001)",
            "[Link](https://github.com/a/a?utm_source=x)",
            "",
        ),
        3,
    ),
    (
        "mis-encoded-text",
        "## S\n1. **Itâ€™s a Title.** *A. Author*. ACL 2024. [[pdf]](https://aclanthology.org/2024.acl-long.2/)\n",
        2,
    ),
    ("unreadable-line", "# A changelog\n\nNo paper here.\n", 1),
    (
        "unreadable-line",
        "| Method | Paper |\n|---|---|\n| A | [Paper](https://arxiv.org/abs/2401.00001 |\n",
        3,
    ),
    (
        "ignored-cells",
        "| Method | Paper |\n|---|---|\n| A | [Paper](https://arxiv.org/abs/2401.00001) | note |\n",
        3,
    ),
    (
        "incomplete-item",
        "## S\n\n- Some Title, <ins>ICLR, 2024</ins> [[Paper](https://arxiv.org/abs/2401.00001)]\n",
        3,
    ),
]


# What else a one-problem list shows: rows sharing a paper are also two rows citing one paper.
ALSO = {"shared-links": {"shared-paper"}}


@pytest.mark.parametrize(("code", "text", "line"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_code_on_a_small_list(tmp_path: Path, code: str, text: str, line: int) -> None:
    found = _codes(tmp_path, text)
    assert (line, code) in found
    assert {c for _, c in found} == {code} | ALSO.get(code, set())


def test_an_unreadable_line_does_not_stop_the_other_rows(tmp_path: Path) -> None:
    text = (
        HEADER
        + _row("A", "2024", "[Link](https://arxiv.org/abs/2401.00001")
        + _row("B", "2024", "[Link](URL)", "", "")
    )
    assert _codes(tmp_path, text) == [(3, "unreadable-line"), (4, "placeholder-link")]


def test_copied_links_points_at_the_copy_whichever_comes_first(tmp_path: Path) -> None:
    text = HEADER + _row(
        "Octopus",
        "2024",
        "[Link](https://arxiv.org/abs/2404.01549)",
        "[Link](https://github.com/google/gemma)",
        "",
    )
    text += _row(
        "Gemma",
        "2024",
        "[Link](https://arxiv.org/abs/2403.08295)",
        "[Link](https://github.com/google/gemma)",
        "",
    )
    assert _codes(tmp_path, text) == [(3, "copied-links")]


def test_a_fine_tune_sharing_its_base_model_is_no_copy(tmp_path: Path) -> None:
    # The shared model link names both rows (both say "BioGPT"): no proof of a copy, a warning only.
    text = HEADER + _row(
        "BioGPT",
        "2022",
        "[Link](https://arxiv.org/abs/2210.10341)",
        "",
        "[Link](https://huggingface.co/microsoft/biogpt)",
    )
    text += _row(
        "Fine-tuned BioGPT Guo et al.",
        "2023",
        "[Link](https://arxiv.org/abs/2305.07804)",
        "",
        "[Link](https://huggingface.co/microsoft/biogpt)",
    )
    assert _codes(tmp_path, text) == [(4, "shared-links")]


def test_every_code_has_a_case_or_a_synced_test() -> None:
    synced = {"year-mismatch", "unknown-identifier", "title-mismatch", "bad-ignore"}
    assert {code for code, *_ in CASES} | synced == set(CODES)


def test_ignore_comment_on_the_row_and_alone_on_the_line_above(tmp_path: Path) -> None:
    text = "## S\n" + HEADER
    text += "| A <!-- slmbib: ignore placeholder-link --> | 2024 | [Link](URL) | | |\n"
    text += "| B | 2024 | [Link](URL) | | | <!-- slmbib: ignore pinned-arxiv-version, placeholder-link -->\n"
    text += "| C | 2024 | [Link](URL) | | |\n"  # the comment on the row above is no comment of its own
    text += (
        "\n1. **A title.** *A. B*. ACL 2024. [[pdf]](https://aclanthology.org/2024.acl-long.3/) [[c]](URL)\n"
    )
    text += "<!-- slmbib: ignore placeholder-link -->\n"
    text += (
        "2. **B title.** *A. B*. ACL 2024. [[pdf]](https://aclanthology.org/2024.acl-long.4/) [[code]](URL)\n"
    )
    assert _codes(tmp_path, text) == [(6, "placeholder-link"), (8, "placeholder-link")]


def test_unknown_code_in_an_ignore_comment_is_reported(tmp_path: Path) -> None:
    text = HEADER + "| A | 2024 | [Link](URL) | | | <!-- slmbib: ignore placeholder-links -->\n"
    result = check_lists([_write(tmp_path, text)])
    assert [(f.line, f.code, f.message) for f in result.findings] == [
        (3, "placeholder-link", "placeholder link 'URL' under 'Paper'"),
        (3, "bad-ignore", "no code 'placeholder-links' to ignore"),
    ]


def test_cli_ignore_option(tmp_path: Path) -> None:
    path = str(SEED_000)
    code, out, _ = run(
        "--refs",
        str(tmp_path / "refs"),
        "check",
        "--ignore",
        "copied-links,placeholder-link",
        "--ignore",
        "mis-encoded-text",
        path,
    )
    assert code == 0
    assert "error" not in out and "not-a-paper-link" in out
    code, _, err = run("--refs", str(tmp_path / "refs"), "check", "--ignore", "no-such-code", path)
    assert code == 2 and "unknown code 'no-such-code'" in err


def test_json_format(tmp_path: Path) -> None:
    code, out, _ = run("--refs", str(tmp_path / "refs"), "check", "--format", "json", str(SEED_001))
    document = json.loads(out)
    assert code == 1
    assert (document["format"], document["version"]) == ("slmbib-findings", 1)
    assert document["counts"]["error"] == 1
    assert {
        "path": str(SEED_001),
        "line": 169,
        "severity": "error",
        "code": "misplaced-paper-link",
        "message": "the paper link https://arxiv.org/abs/2306.00978 is under 'Code'; "
        "the 'Paper' column is empty",
    } in document["findings"]


def test_github_format_escapes_what_workflow_commands_need(tmp_path: Path) -> None:
    path = _write(
        tmp_path, HEADER + _row("A", "2024", "[Link](https://arxiv.org/abs/2401.00001v2)", "", ""), "a,b.md"
    )
    code, out, _ = run("--refs", str(tmp_path / "refs"), "check", "--format", "github", str(path))
    assert code == 0
    shown = str(path).replace(":", "%3A").replace(",", "%2C")
    assert out == (
        f"::notice file={shown},line=3,title=pinned-arxiv-version::"
        "https://arxiv.org/abs/2401.00001v2 is pinned to version 2; unpinned, it shows the latest\n"
    )


def test_default_lists_are_those_of_refs(tmp_path: Path) -> None:
    lists = tmp_path / "refs" / "lists"
    lists.mkdir(parents=True)
    (lists / "one.md").write_text(CLEAN)
    code, _, err = run("--refs", str(tmp_path / "refs"), "check")
    assert (code, err) == (0, "0 errors, 0 warnings, 0 info in 1 file\n")


# After a sync: records with what S2/arXiv said, matched to rows by identity.
SYNCED = HEADER + "".join(
    [
        _row("DPO", "2024", "[Link](https://arxiv.org/abs/2305.18290)", "", ""),
        _row("AWQ", "2024", "[Link](https://arxiv.org/abs/2306.00978)", "", ""),
        _row("Ranker", "2019", "[Link](https://arxiv.org/abs/1901.04085)", "", ""),
        _row("Octopus", "2024", "[Link](https://arxiv.org/abs/2404.01549)", "", ""),
        _row("Ma et al.", "2023", "[Link](https://arxiv.org/abs/2303.08559)", "", ""),
        _row("Ghost", "2024", "[Link](https://arxiv.org/abs/2499.99999)", "", ""),
        _row("RLHF", "2022", "[Link](https://arxiv.org/abs/2203.02155)", "", ""),
    ]
)


def _synced(arxiv: str, title: str, year: int, source: str = "s2", **extra: object) -> Record:
    fields = {"title": Value(title, source), "year": Value(year, source)}
    fields.update({name: Value(value, source) for name, value in extra.items()})
    return Record(
        id=f"arxiv-{arxiv}", identifiers={"arxiv": arxiv}, fields=fields, sync=SyncStatus("resolved")
    )


def test_after_sync_year_title_and_unknown_identifier(tmp_path: Path) -> None:
    refs = tmp_path / "refs"
    save_records(
        refs,
        [
            _synced(
                "2305.18290",
                "Direct Preference Optimization: Your Language Model is Secretly a Reward Model",
                2023,
            ),
            # Published 2024 (MLSys), submitted to arXiv in 2023: the list's 2024 is the paper's year.
            _synced(
                "2306.00978",
                "AWQ: Activation-aware Weight Quantization for LLM Compression and Acceleration",
                2024,
            ),
            _synced("1901.04085", "Passage Re-ranking with BERT", 2019),
            _synced(
                "2404.01549", "Octopus: On-device language model for function calling of software APIs", 2024
            ),
            _synced(
                "2303.08559",
                "Large Language Model Is Not a Good Few-shot Information Extractor",
                2023,
                authors=["Yubo Ma", "Yixin Cao"],
            ),
            Record(
                id="arxiv-2499.99999",
                identifiers={"arxiv": "2499.99999"},
                sync=SyncStatus("not_found", "arXiv: no such id"),
            ),
            # The list itself is no evidence: a readme-provenance title is never compared.
            _synced("2203.02155", "Something Else Entirely", 2019, source="readme"),
        ],
    )
    result = check_lists([_write(tmp_path, SYNCED)], refs)
    # DPO is the initials of its title; Ranker ~ re-ranking; Ma et al. names the first author.
    assert [(f.line, f.code, f.severity, f.message) for f in result.findings] == [
        (3, "year-mismatch", "warning", "year 2024 here, the paper's is 2023 (s2)"),
        (
            8,
            "unknown-identifier",
            "warning",
            "no service knows arxiv 2499.99999 (arXiv: no such id)",
        ),
    ]
    assert result.exit_code == 0


# (arXiv id, synced title, table row name, list item title, findings): a wrong link shows as a far title.
TITLES = [
    (
        "2402.16840",
        "MobiLlama: Towards Accurate and Lightweight Fully Transparent GPT",
        "MobileLLM",
        "Calibrating Large Language Models.",
        [(3, "title-mismatch"), (6, "shared-links"), (6, "title-mismatch"), (6, "listed-elsewhere")],
    ),
    (
        "2310.15777",
        "MindLLM: Pre-training Lightweight Large Language Model from Scratch",
        "MindLLM",
        "MindLLM: Pre-training lightweight large language model from scratch.",
        [(6, "listed-elsewhere")],
    ),
]


@pytest.mark.parametrize(("arxiv", "title", "name", "item", "expected"), TITLES, ids=["far", "close"])
def test_after_sync_listed_names_against_the_title(
    tmp_path: Path, arxiv: str, title: str, name: str, item: str, expected: list[tuple[int, str]]
) -> None:
    refs = tmp_path / "refs"
    save_records(refs, [_synced(arxiv, title, 2024)])
    link = f"https://arxiv.org/abs/{arxiv}"
    text = HEADER + _row(name, "2024", f"[Link]({link})", "", "")
    text += f"\n## Other\n1. **{item}** *A. B*. arXiv 2024. [[pdf]]({link})\n"
    assert _codes(tmp_path, text, refs) == expected


def test_every_code_is_documented_once_with_its_severity() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("### Check\n", 1)[1].split("\n### ", 1)[0]
    documented = re.findall(r"^\| `([a-z-]+)` \| (error|warning|info) \| .+ \|$", section, re.MULTILINE)
    assert documented == [(code, spec.severity) for code, spec in CODES.items()]
