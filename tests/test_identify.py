"""Rows of the real seed lists -> the identifiers and link roles their URLs carry."""

from __future__ import annotations

import pytest

from slmbib.reading.identify import acl_doi, identify
from slmbib.reading.readme import Row, read_list

from .seeds import SEED_000, SEED_001

_ROWS: dict[tuple[str, int], Row] = {
    (path.name[:3], row.line): row for path in (SEED_000, SEED_001) for row in read_list(path, path.name)
}


def _identifiers(row: Row) -> dict[str, str]:
    found: dict[str, str] = {}
    for link in row.links:
        for kind, value in identify(link.url, link.label, link.column).identifiers.items():
            found.setdefault(kind, value)
    return found


# (seed, line, name as written, identifiers the row's links carry)
CASES = [
    # seed 000, "Existing SLMs" table
    ("000", 21, "Qwen 1", {"arxiv": "2309.16609"}),
    ("000", 22, "Qwen 1.5", {"arxiv": "2309.16609"}),
    ("000", 24, "Qwen 2.5", {"arxiv": "2407.10671"}),
    ("000", 27, "H2O-Danube3", {"arxiv": "2407.09276"}),
    ("000", 32, "TinyLlama", {"arxiv": "2401.02385"}),
    ("000", 37, "Phi-3.5", {"arxiv": "2404.14219"}),
    ("000", 38, "OpenELM", {"openreview": "XNMbTkxroF"}),
    ("000", 39, "MobiLlama", {}),
    ("000", 40, "MobileLLM", {"arxiv": "2402.14905"}),
    ("000", 41, "StableLM", {}),
    ("000", 46, "XGLM", {"acl": "2022.emnlp-main.616", "doi": "10.18653/v1/2022.emnlp-main.616"}),
    ("000", 47, "GPT-Neo", {"doi": "10.5281/zenodo.5297715"}),
    ("000", 48, "Megatron-gpt2", {"arxiv": "1909.08053"}),
    ("000", 53, "Specialized FlanT5", {"pmlr": "v202/fu23d"}),
    ("000", 55, "T5", {"arxiv": "1910.10683"}),
    # seed 000, numbered lists
    (
        "000",
        61,
        "Calibrating Large Language Models Using Their Generations Only",
        {"acl": "2024.acl-long.824", "doi": "10.18653/v1/2024.acl-long.824"},
    ),
    (
        "000",
        63,
        "The Internal State of an LLM Knows When It\u2019s Lying",
        {"acl": "2023.findings-emnlp.68", "doi": "10.18653/v1/2023.findings-emnlp.68"},
    ),
    (
        "000",
        66,
        "Self-RAG: Learning to Retrieve, Generate, and Critique through Self-Reflection",
        {"openreview": "hSyW5go0v8", "arxiv": "2310.11511"},
    ),
    (
        "000",
        67,
        "LongLLMLingua: Accelerating and Enhancing LLMs in Long Context Scenarios via Prompt Compression",
        {"openreview": "9YvfRrpmyw"},
    ),
    ("000", 68, "Corrective Retrieval Augmented Generation", {"arxiv": "2401.15884"}),
    ("000", 70, "In-Context Retrieval-Augmented Language Models", {"acl": "2023.tacl-1.75"}),
    # seed 001, every section
    ("001", 50, "SqueezeLLM", {"arxiv": "2306.07629"}),
    ("001", 51, "JSQ", {"pmlr": "v235/guo24g"}),
    ("001", 60, "PEQA", {"doi": "10.5555/3666122.3667691"}),
    ("001", 61, "QLoRA", {"doi": "10.5555/3666122.3666563"}),
    ("001", 70, "MobiLlama", {"arxiv": "2402.16840"}),
    ("001", 71, "MobileLLM", {"arxiv": "2402.14905"}),
    ("001", 77, "Alpaca 7B", {}),
    ("001", 84, "TinyStory", {"arxiv": "2305.07759"}),
    ("001", 93, "Adapt-and-Distill", {"arxiv": "2106.13474"}),
    ("001", 104, "BitNet b1.58", {"arxiv": "2402.17764"}),
    ("001", 111, "SLM-RAG", {"doi": "10.1145/3649217.3653554"}),
    ("001", 119, "Stable Beluga 7B", {}),
    ("001", 123, "T-SAS", {"acl": "2023.findings-emnlp.1033", "doi": "10.18653/v1/2023.findings-emnlp.1033"}),
    ("001", 129, "Phi-3.5-mini", {"arxiv": "2404.14219"}),
    ("001", 137, "PromptRec", {"arxiv": "2306.17256"}),
    ("001", 138, "SLIM", {"arxiv": "2403.04260"}),
    ("001", 149, "Ranker (H-ERNIE)", {"doi": "10.1145/3477495.3531986"}),
    ("001", 157, "MobileAgent", {"arxiv": "2406.01014"}),
    ("001", 168, "LLM-PQ", {"arxiv": "2403.01136"}),
    ("001", 169, "AWQ", {"arxiv": "2306.00978"}),
    ("001", 171, "MobileLLM", {"arxiv": "2402.14905"}),
    ("001", 183, "LinguaLinked", {"arxiv": "2312.00388"}),
]


@pytest.mark.parametrize(("seed", "line", "name", "expected"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_seed_row_identifiers(seed: str, line: int, name: str, expected: dict[str, str]) -> None:
    row = _ROWS[(seed, line)]
    assert row.name == name
    assert _identifiers(row) == expected


def test_awq_arxiv_link_under_code_is_a_paper_link() -> None:
    awq = _ROWS[("001", 169)]
    (arxiv_link,) = [link for link in awq.links if "arxiv.org" in link.url]
    assert arxiv_link.column == "Code"
    assert identify(arxiv_link.url, arxiv_link.label, arxiv_link.column).role == "paper"


@pytest.mark.parametrize(
    ("url", "role", "identifiers", "version"),
    [
        ("https://arxiv.org/abs/2306.17256v4", "paper", {"arxiv": "2306.17256"}, 4),
        ("https://arxiv.org/pdf/2403.04260v1.pdf", "paper", {"arxiv": "2403.04260"}, 1),
        ("http://arxiv.org/abs/hep-th/9901001v2", "paper", {"arxiv": "hep-th/9901001"}, 2),
        ("https://huggingface.co/papers/2305.07759", "paper", {"arxiv": "2305.07759"}, None),
        ("https://huggingface.co/datasets/selfrag/selfrag_train_data", "data", {}, None),
        ("https://huggingface.co/spaces/junyangwang0410/Mobile-Agent", "project", {}, None),
        ("https://huggingface.co/microsoft/phi-2", "model", {}, None),
        (
            "https://dl.acm.org/doi/abs/10.5555/3666122.3666563",
            "paper",
            {"doi": "10.5555/3666122.3666563"},
            None,
        ),
        ("https://doi.org/10.1145/3477495.3531986", "paper", {"doi": "10.1145/3477495.3531986"}, None),
        ("https://openreview.net/pdf?id=XNMbTkxroF", "paper", {"openreview": "XNMbTkxroF"}, None),
        ("https://proceedings.mlr.press/v202/fu23d/fu23d.pdf", "paper", {"pmlr": "v202/fu23d"}, None),
        (
            "https://aclanthology.org/P19-1001.pdf",
            "paper",
            {"acl": "P19-1001", "doi": "10.18653/v1/P19-1001"},
            None,
        ),
        ("https://aclanthology.org/Q19-1001/", "paper", {"acl": "Q19-1001"}, None),
        ("https://github.com/tonyzhao-jt/LLM-PQ?tab=readme-ov-file", "code", {}, None),
        ("https://selfrag.github.io/", "project", {}, None),
        ("https://cartesia.ai/blog/on-device", "blog", {}, None),
    ],
)
def test_url_classification(url: str, role: str, identifiers: dict[str, str], version: int | None) -> None:
    found = identify(url)
    assert (found.role, found.identifiers, found.arxiv_version) == (role, identifiers, version)


def test_tracking_suffix_is_dropped_and_remembered() -> None:
    found = identify("https://github.com/tonyzhao-jt/LLM-PQ?tab=readme-ov-file&utm_source=x")
    assert found.url == "https://github.com/tonyzhao-jt/LLM-PQ"
    assert found.original.endswith("utm_source=x")


@pytest.mark.parametrize("placeholder", ["URL", "", "#", "localhost"])
def test_placeholders_are_not_usable(placeholder: str) -> None:
    assert not identify(placeholder).usable


@pytest.mark.parametrize(
    ("acl_id", "doi"),
    [("2022.emnlp-main.616", "10.18653/v1/2022.emnlp-main.616"), ("2023.tacl-1.75", ""), ("2016.a-b.1", "")],
)
def test_acl_doi_only_where_the_anthology_assigns_one(acl_id: str, doi: str) -> None:
    assert acl_doi(acl_id) == doi
