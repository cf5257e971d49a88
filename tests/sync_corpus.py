"""Papers of the survey's seed lists, as the test server serves them, and records that name them.

The metadata is the papers' own (titles, authors, dates, venues); the replay server builds
S2 and arXiv answers from it in the services' recorded formats.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from slmbib.enriching.syncing import SyncOptions
from slmbib.models import Listing, Record, Value
from slmbib.store import save_records

from . import workspace
from .replay_server import ReplayServer

REPO = Path(__file__).resolve().parent.parent

MOBILELLM = {
    "arxiv_id": "2402.14905",
    "title": "MobileLLM: Optimizing Sub-billion Parameter Language Models for On-Device Use Cases",
    "authors": ["Zechun Liu", "Changsheng Zhao", "Forrest Iandola", "Chen Lai", "Yuandong Tian"],
    "published": "2024-02-22",
    "venue": "International Conference on Machine Learning",
    "publication_types": ["Conference"],
}
TINYLLAMA = {
    "arxiv_id": "2401.02385",
    "title": "TinyLlama: An Open-Source Small Language Model",
    "authors": ["Peiyuan Zhang", "Guangtao Zeng", "Tianduo Wang", "Wei Lu"],
    "published": "2024-01-04",
}
TINYSTORIES = {
    "arxiv_id": "2305.07759",
    "title": "TinyStories: How Small Can Language Models Be and Still Speak Coherent English?",
    "authors": ["Ronen Eldan", "Yuanzhi Li"],
    "published": "2023-05-12",
}
XGLM = {
    "arxiv_id": "2112.10668",
    "title": "Few-shot Learning with Multilingual Generative Language Models",
    "authors": ["Xi Victoria Lin", "Todor Mihaylov", "Mikel Artetxe", "Tianlu Wang"],
    "published": "2021-12-20",
    "venue": "Conference on Empirical Methods in Natural Language Processing",
    "publication_types": ["Conference"],
    "doi": "10.18653/v1/2022.emnlp-main.616",
    "acl_id": "2022.emnlp-main.616",
}
SMOOTHQUANT = {
    "arxiv_id": "2211.10438",
    "title": "SmoothQuant: Accurate and Efficient Post-Training Quantization for Large Language Models",
    "authors": ["Guangxuan Xiao", "Ji Lin", "Mickael Seznec", "Hao Wu", "Julien Demouth", "Song Han"],
    "published": "2022-11-18",
    "venue": "International Conference on Machine Learning",
    "publication_types": ["JournalArticle", "Conference"],
    "journal_ref": "ICML 2023",
}
PAPERS = (MOBILELLM, TINYLLAMA, TINYSTORIES, XGLM, SMOOTHQUANT)

# The list's own works, as the services report them once the survey is published.
SURVEY = {
    "arxiv_id": "2411.03350",
    "title": "A Comprehensive Survey of Small Language Models in the Era of Large Language Models: "
    "Techniques, Enhancements, Applications, Collaboration with LLMs, and Trustworthiness",
    "authors": ["Fali Wang", "Zhiwei Zhang", "Xianren Zhang", "Zongyu Wu", "Tzuhao Mo", "Qiuhao Lu"],
    "published": "2024-11-04",
    "venue": "ACM Transactions on Intelligent Systems and Technology",
    "publication_types": ["JournalArticle"],
    "doi": "10.1145/3768165",
    "primary_category": "cs.CL",
}
# A synthetic companion known to S2 by its DOI only (no arXiv id): title and authors are this corpus's.
TUTORIAL = {
    "paperId": "5" * 40,
    "externalIds": {"DOI": "10.1145/3711896.3736563", "CorpusId": 555},
    "corpusId": 555,
    "publicationVenue": {"id": "kdd", "name": "Knowledge Discovery and Data Mining", "type": "conference"},
    "title": "Small Language Models: A Tutorial",
    "venue": "Knowledge Discovery and Data Mining",
    "year": 2025,
    "publicationTypes": ["Conference"],
    "publicationDate": "2025-08-03",
    "journal": None,
    "authors": [{"authorId": "1", "name": "Fali Wang"}, {"authorId": "2", "name": "Suhang Wang"}],
}
# A synthetic companion preprint: its title and authors are this corpus's, not the real paper's.
EXTENDED_SURVEY = {
    "arxiv_id": "2510.13890",
    "title": "Collaborating Small and Large Language Models: An Extended Survey",
    "authors": ["Fali Wang", "Suhang Wang"],
    "published": "2025-10-15",
}


def serve_papers(server: ReplayServer, papers: Iterable[dict[str, Any]] = PAPERS) -> None:
    for paper in papers:
        server.add_paper(**paper)


def serve_own_works(server: ReplayServer) -> None:
    """The survey published (S2 gives the journal's year, arXiv its preprint's date), its companions."""
    paper = server.add_paper(**SURVEY)
    server.add_s2_paper({**paper, "year": 2025, "publicationDate": None})
    server.add_paper(**EXTENDED_SURVEY)
    server.add_s2_paper(TUTORIAL)


def record(record_id: str, name: str, listed_year: str = "", **fields: Any) -> Record:
    """A record as import leaves it: a listing, identifiers and readme fields as given."""
    identifiers = {k: fields.pop(k) for k in ("arxiv", "doi", "acl", "openreview", "pmlr") if k in fields}
    override = fields.pop("override", {})
    values = {k: v if isinstance(v, Value) else Value(v, "readme") for k, v in fields.items()}
    listing = Listing(
        "refs/lists/000_a65a45ae749ad8e5.md", 20, "SLMs Paper List > Existing SLMs", name, listed_year
    )
    return Record(record_id, identifiers=identifiers, listings=(listing,), fields=values, override=override)


def seed_records() -> list[Record]:
    """One record per resolution path (see test_sync), as import would write them."""
    return [
        record("arxiv-2402.14905", "MobileLLM", "2024.2", arxiv="2402.14905", year=2024),
        record("arxiv-2401.02385", "TinyLlama", "2024.1", arxiv="2401.02385"),
        record("doi-xglm", "XGLM", "2021.12", doi="10.18653/v1/2022.emnlp-main.616"),
        record(
            "name-tinystories",
            "TinyStories",
            "2023",
            title="TinyStories: How Small Can Language Models Be and Still Speak Coherent English?",
            authors=["Ronen Eldan", "Yuanzhi Li"],
        ),
        record("name-attention", "Transformer", "2017", title="Attention is All you Need"),
        record("name-flag", "Flag Day", "2016", title="National Flag of Canada Day"),
        record("name-alpaca", "Alpaca", "2023"),
        record("arxiv-2401.99999", "Ghost", "2024", arxiv="2401.99999"),
    ]


def make_refs(root: Path, records: Iterable[Record]) -> Path:
    refs = root / "refs"
    save_records(refs, records)
    return refs


def options(server: ReplayServer, cache: Path, **changes: Any) -> SyncOptions:
    """Options for a sync against ``server`` with its own pacing (none unless the server has some)."""
    values: dict[str, Any] = {
        "s2_api_url": server.s2_api_url,
        "arxiv_api_url": server.arxiv_api_url,
        "cache_path": cache,
        "s2_interval": server.intervals["s2"],
        "arxiv_interval": server.intervals["arxiv"],
        "timeout": 5.0,
    }
    return SyncOptions(**{**values, **changes})


def service_urls(server: ReplayServer) -> list[str]:
    """The options that point a command at ``server`` instead of the real services."""
    return ["--s2-api-url", server.s2_api_url, "--arxiv-api-url", server.arxiv_api_url]


def cli_args(server: ReplayServer, refs: Path, cache: Path, *more: str) -> list[str]:
    return [
        "--refs",
        str(refs),
        "sync",
        *service_urls(server),
        "--cache",
        str(cache),
        "--s2-interval",
        str(server.intervals["s2"]),
        "--arxiv-interval",
        str(server.intervals["arxiv"]),
        *more,
    ]


def snapshot(refs: Path) -> dict[str, bytes]:
    """Every file under refs/ but the lock, by path relative to refs/: comparable across copies."""
    return {str(Path(path).relative_to(refs)): data for path, data in workspace.snapshot(refs).items()}


def subprocess_env() -> dict[str, str]:
    """The environment for running ``slmbib`` in a child process from this checkout."""
    paths = [str(REPO / "src"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


SLMBIB = [sys.executable, "-c", "from slmbib.cli import main; main()"]


def closed_url() -> str:
    """A loopback URL nothing listens on: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


# Papers known by a name in the lists (rows whose links are not the paper), and papers that share a
# plain-word name with them: the name route must find the first and never take the second.
LAMINI = {
    "arxiv_id": "2304.14402",
    "title": "LaMini-LM: A Diverse Herd of Distilled Models from Large-Scale Instructions",
    "authors": ["Minghao Wu", "Abdul Waheed", "Chiyu Zhang", "Muhammad Abdul-Mageed", "Alham Fikri Aji"],
    "published": "2023-04-27",
}
QLORA = {
    "arxiv_id": "2305.14314",
    "title": "QLoRA: Efficient Finetuning of Quantized LLMs",
    "authors": ["Tim Dettmers", "Artidoro Pagnoni", "Ari Holtzman", "Luke Zettlemoyer"],
    "published": "2023-05-23",
    "venue": "Neural Information Processing Systems",
    "publication_types": ["Conference"],
}
ORCA = {
    "arxiv_id": "2306.02707",
    "title": "Orca: Progressive Learning from Complex Explanation Traces of GPT-4",
    "authors": ["Subhabrata Mukherjee", "Arindam Mitra", "Ganesh Jawahar", "Sahaj Agarwal"],
    "published": "2023-06-05",
}
ALPACA_AGAINST_VICUNA = {
    "arxiv_id": "2403.04801",
    "title": "Alpaca against Vicuna: Using LLMs to Uncover Memorization of LLMs",
    "authors": ["Aly M. Kassem", "Omar Mahmoud", "Niloofar Mireshghallah"],
    "published": "2024-03-05",
}
#: Another Orca (OSDI 2022), known to S2 only: a plain-word name that two papers carry.
ORCA_SERVING = {
    "paperId": "ab1e5c1e3b7b8b9c2d3e4f5a6b7c8d9e0f1a2b3c",
    "externalIds": {"CorpusId": 250562542},
    "title": "Orca: A Distributed Serving System for Transformer-Based Generative Models",
    "venue": "USENIX Symposium on Operating Systems Design and Implementation",
    "year": 2022,
    "publicationDate": "2022-07-11",
    "publicationTypes": ["Conference"],
    "authors": [{"authorId": "1", "name": "Gyeong-In Yu"}, {"authorId": "2", "name": "Joo Seong Jeong"}],
}
NAMED_PAPERS = (LAMINI, QLORA, ORCA, ALPACA_AGAINST_VICUNA)


def serve_named_papers(server: ReplayServer) -> None:
    serve_papers(server, NAMED_PAPERS)
    server.add_s2_paper(ORCA_SERVING)
