"""The list reader on real paper lists (``tests/data/lists``, see its PROVENANCE.md) and on every item shape.

The items below were checked by hand against their lines.  The shapes no real
list in the test data shows are written for these tests, with made-up papers.
"""

from __future__ import annotations

import functools
import re
import shutil
from pathlib import Path

import pytest

from slmbib.commands.check import check_lists
from slmbib.commands.render import render_readme
from slmbib.reading.identify import identify
from slmbib.reading.listimport import import_lists
from slmbib.reading.readme import Row, read_document, scan_text
from slmbib.store import load_records

from .seeds import SEEDS

DATA = Path(__file__).resolve().parent / "data" / "lists"
AIOT = DATA / "AIoT-MLSys-Lab+Efficient-LLMs-Survey.md"
TEBMER = DATA / "Tebmer+Awesome-Knowledge-Distillation-of-LLMs.md"
HEMINGKX = DATA / "hemingkx+SpeculativeDecodingPapers.md"
REAL_LISTS = (AIOT, TEBMER, HEMINGKX)
FILES = {"AIoT-MLSys-Lab": AIOT, "Tebmer": TEBMER, "hemingkx": HEMINGKX}


@functools.cache
def _rows(path: Path) -> dict[int, Row]:
    return {row.line: row for row in scan_text(read_document(path, path.name), path.name).rows}


def _identifiers(row: Row) -> dict[str, str]:
    found: dict[str, str] = {}
    for link in row.links:
        for kind, value in identify(link.url).identifiers.items():
            found.setdefault(kind, value)
    return found


# (list, line, title, authors, year, venue, identifiers)
REAL_ITEMS = [
    (
        "AIoT-MLSys-Lab",
        3,
        "Efficient Large Language Models: A Survey",
        (),
        "2023",
        "",
        {"arxiv": "2312.03863"},
    ),
    (
        "AIoT-MLSys-Lab",
        133,
        "QuantEase: Optimization-based Quantization for Language Models",
        (),
        "2023",
        "arXiv, 2023",
        {"arxiv": "2309.01885"},
    ),
    (
        "AIoT-MLSys-Lab",
        146,
        "ZeroQuant: Efficient and Affordable Post-Training Quantization for Large-Scale Transformers",
        (),
        "2022",
        "NeurIPS, 2022",
        {},
    ),
    (
        "AIoT-MLSys-Lab",
        149,
        "Evaluating Quantized Large Language Models",
        (),
        "2024",
        "arXiv, 2024",
        {"arxiv": "2402.18158"},
    ),
    (
        "AIoT-MLSys-Lab",
        155,
        "LLM-QAT: Data-Free Quantization Aware Training for Large Language Models",
        (),
        "2023",
        "arXiv, 2023",
        {"arxiv": "2305.17888"},
    ),
    (
        "AIoT-MLSys-Lab",
        174,
        "SparseLLM: Towards Global Pruning of Pre-trained Language Models",
        (),
        "2024",
        "NeurIPS, 2024",
        {"arxiv": "2402.17946"},
    ),
    (
        "AIoT-MLSys-Lab",
        189,
        "DDK: Distilling Domain Knowledge for Efficient Large Language Models",
        (),
        "2024",
        "arXiv, 2024",
        {"arxiv": "2407.16154"},
    ),
    (
        "AIoT-MLSys-Lab",
        197,
        "Less is More: Task-aware Layer-wise Distillation for Language Model Compression",
        (),
        "2023",
        "ICML, 2023",
        {"arxiv": "2210.01351"},
    ),
    (
        "AIoT-MLSys-Lab",
        247,
        "Few-Shot Parameter-Efficient Fine-Tuning is Better and Cheaper than In-Context Learning",
        (),
        "2022",
        "NeurIPS, 2022",
        {"openreview": "rBCvMG-JsPd"},
    ),
    (
        "AIoT-MLSys-Lab",
        273,
        "GPT Understands, Too",
        (),
        "2023",
        "AI Open, 2023",
        {"doi": "10.1016/j.aiopen.2023.08.012"},
    ),
    (
        "AIoT-MLSys-Lab",
        317,
        "SEED: Accelerating Reasoning Tree Construction via Scheduled Speculative Decoding",
        (),
        "2024",
        "arXiv, 2024",
        {"arxiv": "2406.18200"},
    ),
    (
        "AIoT-MLSys-Lab",
        346,
        "SkipDecode: Autoregressive Skip Decoding with Batching and Caching for Efficient LLM Inference",
        (),
        "2023",
        "arXiv, 2023",
        {"arxiv": "2307.02628"},
    ),
    (
        "AIoT-MLSys-Lab",
        354,
        "LoMA: Lossless Compressed Memory Attention",
        (),
        "2024",
        "arXiv, 2024",
        {"arxiv": "2401.09486"},
    ),
    (
        "AIoT-MLSys-Lab",
        379,
        "Blockwise Self-Attention for Long Document Understanding",
        (),
        "2020",
        "EMNLP, 2020",
        {},  # ``abs/1911.02972v``: a version sign without its number names no id
    ),
    (
        "AIoT-MLSys-Lab",
        391,
        "DeepSeek-V3 Technical Report",
        (),
        "2024",
        "arXiv, 2024",
        {"arxiv": "2412.19437"},
    ),
    (
        "AIoT-MLSys-Lab",
        402,
        "Efficient Large Scale Language Modeling with Mixtures of Experts",
        (),
        "2022",
        "EMNLP, 2022",
        {"arxiv": "2112.10684"},
    ),
    (
        "AIoT-MLSys-Lab",
        411,
        "StableMoE: Stable Routing Strategy for Mixture of Experts",
        (),
        "2022",
        "ACL, 2022",
        {"arxiv": "2204.08396"},
    ),
    (
        "AIoT-MLSys-Lab",
        417,
        "∞-Bench: Extending Long Context Evaluation Beyond 100K Tokens",
        (),
        "2024",
        "arXiv, 2024",
        {"arxiv": "2402.13718"},
    ),
    (
        "AIoT-MLSys-Lab",
        459,
        "Unlimiformer: Long-Range Transformers with Unlimited Length Input",
        (),
        "2023",
        "NeurIPS, 2023",
        {"arxiv": "2305.01625"},
    ),
    (
        "AIoT-MLSys-Lab",
        509,
        "MoDS: Model-oriented Data Selection for Instruction Tuning",
        (),
        "2023",
        "arXiv, 2023",
        {"arxiv": "2311.15653"},
    ),
    (
        "AIoT-MLSys-Lab",
        581,
        "MegaScale: Scaling Large Language Model Training to More Than 10,000 GPUs",
        (),
        "2024",
        "arXiv, 2024",
        {"arxiv": "2402.15627"},
    ),
    (
        "AIoT-MLSys-Lab",
        583,
        "An Efficient 2D Method for Training Super-Large Deep Learning Models",
        (),
        "2023",
        "IPDPS, 2023",
        {},
    ),
    (
        "AIoT-MLSys-Lab",
        595,
        "ZeRO-Offload: Democratizing Billion-Scale Model Training",
        (),
        "2021",
        "USENIX ATC, 2021",
        {},
    ),
    (
        "AIoT-MLSys-Lab",
        605,
        "DeepSpeed-Inference: Enabling Efficient Inference of Transformer Models at Unprecedented Scale",
        (),
        "2022",
        "SC, 2022",
        {"doi": "10.5555/3571885.3571946"},
    ),
    (
        "AIoT-MLSys-Lab",
        626,
        "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness",
        (),
        "2022",
        "NeurIPS, 2022",
        {"arxiv": "2205.14135"},
    ),
    (
        "AIoT-MLSys-Lab",
        633,
        "EdgeMoE: Fast On-Device Inference of MoE-based Large Language Models",
        (),
        "2022",
        "arXiv, 2022",
        {"arxiv": "2308.14352"},
    ),
    ("Tebmer", 2, "", (), "", "", {"arxiv": "2402.13116"}),
    (
        "Tebmer",
        49,
        "A Survey on Knowledge Distillation of Large Language Models",
        (),
        "",
        "",
        {"arxiv": "2402.13116"},
    ),
    (
        "Tebmer",
        156,
        "Divide-or-Conquer? Which Part Should You Distill Your LLM?",
        (),
        "2024-02",
        "arXiv",
        {"arxiv": "2402.15000"},
    ),
    (
        "Tebmer",
        163,
        "Mammoth: Building Math Generalist Models through Hybrid Instruction Tuning",
        (),
        "2023-09",
        "arXiv",
        {"arxiv": "2309.05653"},
    ),
    (
        "Tebmer",
        165,
        'Symbolic Chain-of-Thought Distillation: Small Models Can Also "Think" Step-by-Step',
        (),
        "2023-06",
        "ACL",
        {"arxiv": "2306.14050"},
    ),
    (
        "Tebmer",
        166,
        "Orca: Progressive Learning from Complex Explanation Traces of GPT-4",
        (),
        "2023-06",
        "arXiv",
        {"arxiv": "2306.02707"},
    ),
    (
        "Tebmer",
        167,
        "Distilling Step-by-Step! Outperforming Larger Language Models with Less Training Data and "
        "Smaller Model Sizes",
        (),
        "2023-05",
        "ACL",
        {"arxiv": "2305.02301"},
    ),
    (
        "Tebmer",
        215,
        "AugTriever: Unsupervised Dense Retrieval by Scalable Data Augmentation",
        (),
        "2022-12",
        "arXiv",
        {"arxiv": "2212.08841"},
    ),
    (
        "Tebmer",
        291,
        "Impossible Distillation: from Low-Quality Model to High-Quality Dataset & Model for "
        "Summarization and Paraphrasing",
        (),
        "2023-05",
        "arXiv",
        {"arxiv": "2305.16635"},
    ),
    (
        "Tebmer",
        294,
        "Self-instruct: Aligning language model with self generated instructions",
        (),
        "2022-12",
        "ACL",
        {"arxiv": "2212.10560"},
    ),
    (
        "Tebmer",
        311,
        "Aligning Large and Small Language Models via Chain-of-Thought Reasoning",
        (),
        "2024-03",
        "EACL",
        {"acl": "2024.eacl-long.109", "doi": "10.18653/v1/2024.eacl-long.109"},
    ),
    (
        "Tebmer",
        336,
        "DISTILLM: Towards Streamlined Distillation for Large Language Models",
        (),
        "2024-02",
        "arXiv",
        {"arxiv": "2402.03898"},
    ),
    (
        "Tebmer",
        368,
        "Consitutional AI: Harmlessness from AI Feedback",
        (),
        "2022-12",
        "arXiv",
        {"arxiv": "2212.08073"},
    ),
    (
        "Tebmer",
        424,
        "SAIL: Search-Augmented Instruction Learning",
        (),
        "2023-05",
        "arXiv",
        {"arxiv": "2305.15225"},
    ),
    (
        "Tebmer",
        461,
        "RLCD: Reinforcement Learning from Contrast Distillation for Language Model Alignment",
        (),
        "2023-07",
        "arXiv",
        {"arxiv": "2307.12950"},
    ),
    (
        "Tebmer",
        475,
        "ToolAlpaca: Generalized Tool Learning for Language Models with 3000 Simulated Cases",
        (),
        "2023-06",
        "arXiv",
        {"arxiv": "2306.05301"},
    ),
    (
        "Tebmer",
        479,
        "MLLM-Tool: A Multimodal Large Language Model For Tool Agent Learning",
        (),
        "2024-01",
        "arXiv",
        {"arxiv": "2401.10727"},
    ),
    ("Tebmer", 518, "Is GPT-3 a Good Data Annotator?", (), "2022-12", "ACL", {"arxiv": "2212.10450"}),
    (
        "Tebmer",
        545,
        "Query Rewriting in Retrieval-Augmented Large Language Models",
        (),
        "2023-05",
        "EMNLP",
        {"arxiv": "2305.14283"},
    ),
    (
        "Tebmer",
        552,
        "InPars: Data Augmentation for Information Retrieval using Large Language Models",
        (),
        "2022-02",
        "arXiv",
        {"arxiv": "2202.05144"},
    ),
    ("Tebmer", 598, "NExT-GPT: Any-to-Any Multimodal LLM", (), "2023-09", "arXiv", {"arxiv": "2309.05519"}),
    (
        "Tebmer",
        607,
        "Visual Instruction Tuning: A Comprehensive Study of Visual Instruction Tuning for Large Language "
        "Models",
        (),
        "2023-04",
        "NeurIPS",
        {"arxiv": "2304.08485"},
    ),
    (
        "Tebmer",
        661,
        "MarineGPT: Unlocking Secrets of Ocean to the Public",
        (),
        "2023-10",
        "arXiv",
        {"arxiv": "2310.13596"},
    ),
    (
        "hemingkx",
        34,
        "",
        (),
        "2024",
        "ACL-findings 2024",
        {"acl": "2024.findings-acl.456", "doi": "10.18653/v1/2024.findings-acl.456"},
    ),
    (
        "hemingkx",
        72,
        "Speculative Decoding for Efficient LLM Inference",
        ("Heming Xia", "Cunxiao Du", "Yongqi Li", "Qian Liu", "Wenjie Li"),
        "2025",
        "COLING2025",
        {},
    ),
    (
        "hemingkx",
        79,
        "Unlocking Efficiency in Large Language Model Inference: A Comprehensive Survey of Speculative "
        "Decoding",
        (
            "Heming Xia",
            "Zhe Yang",
            "Qingxiu Dong",
            "Peiyi Wang",
            "Yongqi Li",
            "Tao Ge",
            "Tianyu Liu",
            "Wenjie Li",
            "Zhifang Sui",
        ),
        "2024",
        "ACL2024-findings",
        {"acl": "2024.findings-acl.456", "doi": "10.18653/v1/2024.findings-acl.456"},
    ),
    (
        "hemingkx",
        100,
        "SPEED: Speculative Pipelined Execution for Efficient Decoding",
        (
            "Coleman Hooper",
            "Sehoon Kim",
            "Hiva Mohammadzadeh",
            "Hasan Genc",
            "Kurt Keutzer",
            "Amir Gholami",
            "Sophia Shao",
        ),
        "2023",
        "ENLSP at NIPS2023",
        {"arxiv": "2310.12072"},
    ),
    (
        "hemingkx",
        183,
        "Parallel Decoding via Hidden Transfer for Lossless Large Language Model Acceleration",
        (
            "Pengfei Wu",
            "Jiahao Liu",
            "Zhuocheng Gong",
            "Qifan Wang",
            "Jinpeng Li",
            "Jingang Wang",
            "Xunliang Cai",
            "Dongyan Zhao",
        ),
        "2024.04",
        "Arxiv",
        {"arxiv": "2404.12022"},
    ),
    (
        "hemingkx",
        203,
        "Faster Cascades via Speculative Decoding",
        (
            "Harikrishna Narasimhan",
            "Wittawat Jitkrittum",
            "Ankit Singh Rawat",
            "Seungyeon Kim",
            "Neha Gupta",
            "Aditya Krishna Menon",
            "Sanjiv Kumar",
        ),
        "2025",
        "ICLR2025",
        {"arxiv": "2405.19261"},
    ),
    (
        "hemingkx",
        271,
        "ParallelSpec: Parallel Drafter for Efficient Speculative Decoding",
        ("Zilin Xiao", "Hongming Zhang", "Tao Ge", "Siru Ouyang", "Vicente Ordonez", "Dong Yu"),
        "2024.10",
        "Arxiv",
        {"arxiv": "2410.05589"},
    ),
    (
        "hemingkx",
        275,
        "Towards Optimal Multi-draft Speculative Decoding",
        (
            "Zhengmian Hu",
            "Tong Zheng",
            "Vignesh Viswanathan",
            "Ziyi Chen",
            "Ryan A. Rossi",
            "Yihan Wu",
            "Dinesh Manocha",
            "Heng Huang",
        ),
        "2025",
        "ICLR2025",
        {"openreview": "9KxnxWOBA5"},
    ),
    (
        "hemingkx",
        305,
        "SuffixDecoding: A Model-Free Approach to Speeding Up Large Language Model Inference",
        ("Gabriele Oliaro", "Zhihao Jia", "Daniel Campos", "Aurick Qiao"),
        "2025",
        "NeurIPS2025 Spotlight",
        {"arxiv": "2411.04975"},
    ),
    (
        "hemingkx",
        317,
        "Speculative Decoding with CTC-based Draft Model for LLM Inference Acceleration",
        ("Zhuofan Wen", "Shangtong Gui", "Yang Feng"),
        "2024.12",
        "Arxiv",
        {"arxiv": "2412.00061"},
    ),
    (
        "hemingkx",
        319,
        "Falcon: Faster and Parallel Inference of Large Language Models through Enhanced "
        "Semi-Autoregressive Drafting and Custom-Designed Decoding Tree",
        ("Xiangxiang Gao", "Weisheng Xie", "Yiwei Xiang", "Feng Ji"),
        "2025",
        "AAAI 2025",
        {"arxiv": "2412.12639"},
    ),
    (
        "hemingkx",
        377,
        "SpecEE: Accelerating Large Language Model Inference with Speculative Early Exiting",
        (
            "Jiaming Xu",
            "Jiayi Pan",
            "Yongkang Zhou",
            "Siming Chen",
            "Jinhao Li",
            "Yaoxiu Lian",
            "Junyi Wu",
            "Guohao Dai",
        ),
        "2025",
        "ISCA2025",
        {"arxiv": "2504.08850"},
    ),
    (
        "hemingkx",
        383,
        "PARD: Accelerating LLM Inference with Low-Cost PARallel Draft Model Adaptation",
        ("Zihao An", "Huajun Bai", "Ziqiong Liu", "Dong Li", "Emad Barsoum"),
        "2025.04",
        "Arxiv",
        {"arxiv": "2504.18583"},
    ),
    (
        "hemingkx",
        421,
        "Out-of-Vocabulary Sampling Boosts Speculative Decoding",
        ("Nadav Timor", "Jonathan Mamou", "Oren Pereg", "Hongyang Zhang", "David Harel"),
        "2025.06",
        "Arxiv",
        {"arxiv": "2506.03206"},
    ),
    (
        "hemingkx",
        433,
        "Scaling Speculative Decoding with Lookahead Reasoning",
        ("Yichao Fu", "Rui Ge", "Zelei Shao", "Zhijie Deng", "Hao Zhang"),
        "2025.06",
        "Arxiv",
        {"arxiv": "2506.19830"},
    ),
    (
        "hemingkx",
        510,
        "Pre-Training Curriculum for Multi-Token Prediction in Language Models",
        ("Ansar Aynetdinov", "Alan Akbik"),
        "2025",
        "ACL2025",
        {"arxiv": "2505.22757"},
    ),
    (
        "hemingkx",
        516,
        "TiDAR: Think in Diffusion, Talk in Autoregression",
        (
            "Jingyu Liu",
            "Xin Dong",
            "Zhifan Ye",
            "Rishabh Mehta",
            "Yonggan Fu",
            "Vartika Singh",
            "Jan Kautz",
            "Ce Zhang",
            "Pavlo Molchanov",
        ),
        "2025.11",
        "Arxiv",
        {"arxiv": "2511.08923"},
    ),
    (
        "hemingkx",
        560,
        "Speculative Decoding Reimagined for Multimodal Large Language Models",
        ("Luxi Lin", "Zhihang Lin", "Zhanpeng Zeng", "Rongrong Ji"),
        "2025.05",
        "Arxiv",
        {"arxiv": "2505.14260"},
    ),
    (
        "hemingkx",
        608,
        "DeepSeek-V3 Technical Report",
        ("DeepSeek Team",),
        "2024.12",
        "",
        {"arxiv": "2412.19437"},
    ),
    ("hemingkx", 614, "LongCat-Flash Technical Report", ("Meituan LongCat Team",), "2025.08", "", {}),
    (
        "hemingkx",
        671,
        "Speculative Coreset Selection for Task-Specific Fine-tuning",
        ("Xiaoyu Zhang", "Juan Zhai", "Shiqing Ma", "Chao Shen", "Tianlin Li", "Weipeng Jiang", "Yang Liu"),
        "2025",
        "ICLR2025",
        {"arxiv": "2410.01296"},
    ),
    (
        "hemingkx",
        673,
        "Efficient Inference for Large Language Model-based Generative Recommendation",
        (
            "Xinyu Lin",
            "Chaoqun Yang",
            "Wenjie Wang",
            "Yongqi Li",
            "Cunxiao Du",
            "Fuli Feng",
            "See-Kiong Ng",
            "Tat-Seng Chua",
        ),
        "2025",
        "ICLR2025",
        {"arxiv": "2410.05165"},
    ),
    (
        "hemingkx",
        749,
        "DSSD: Efficient Edge-Device LLM Deployment and Collaborative Inference via Distributed Split "
        "Speculative Decoding",
        ("Jiahong Ning", "Ce Zheng", "Tingting Yang"),
        "2025",
        "ICML2025",
        {"arxiv": "2507.12000"},
    ),
    (
        "hemingkx",
        761,
        "Dynamic Speculative Agent Planning",
        (
            "Yilin Guan",
            "Wenyue Hua",
            "Qingfeng Lan",
            "Sun Fei",
            "Dujian Ding",
            "Devang Acharya",
            "Chi Wang",
            "William Yang Wang",
        ),
        "2025.09",
        "Arxiv",
        {"arxiv": "2509.01920"},
    ),
    (
        "hemingkx",
        794,
        "The Disparate Impacts of Speculative Decoding",
        ("Jameson Sandler", "Ahmet Üstün", "Marco Romanelli", "Sara Hooker", "Ferdinando Fioretto"),
        "2025.10",
        "Arxiv",
        {"arxiv": "2510.02128"},
    ),
    (
        "hemingkx",
        808,
        "An Optimal Lossy Variant of Speculative Decoding",
        (),
        "2023.09",
        "Unsupervised Thoughts (blog)",
        {},
    ),
    (
        "hemingkx",
        820,
        "SEQUOIA: Serving exact Llama2-70B on an RTX4090 with half-second per token latency",
        (),
        "2024.02",
        "Carnegie Mellon University, Together AI, Yandex, Meta AI",
        {},
    ),
]


@pytest.mark.parametrize(
    ("name", "line", "title", "authors", "year", "venue", "identifiers"),
    REAL_ITEMS,
    ids=[f"{case[0]}:{case[1]}" for case in REAL_ITEMS],
)
def test_a_real_item_is_read_as_written(
    name: str,
    line: int,
    title: str,
    authors: tuple[str, ...],
    year: str,
    venue: str,
    identifiers: dict[str, str],
) -> None:
    row = _rows(FILES[name])[line]
    assert (row.title, row.authors, row.year, row.venue, _identifiers(row)) == (
        title,
        authors,
        year,
        venue,
        identifiers,
    )


#: Every arXiv id a list links (``arxiv.org/abs|pdf/…``, ``huggingface.co/papers/…``) or writes.
#: ``…/abs/1911.02972v`` (AIoT, line 379) is no id: a version sign without its number (see test_identity).
_ARXIV_WRITTEN = re.compile(
    r"(?:arxiv\.org/(?:abs|pdf|html)/|huggingface\.co/papers/|arXiv:\s?)(\d{4}\.\d{4,5})(?!\d|v(?!\d))", re.I
)
_FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


@pytest.mark.parametrize("path", [*REAL_LISTS, *SEEDS], ids=lambda path: path.name)
def test_every_arxiv_id_of_a_list_lands_in_a_record(tmp_path: Path, path: Path) -> None:
    shutil.copy(path, tmp_path / path.name)
    import_lists(tmp_path / "refs", [tmp_path / path.name])
    written = set(_ARXIV_WRITTEN.findall(_FENCED.sub("", path.read_text(encoding="utf-8"))))
    imported = {record.identifiers.get("arxiv") for record in load_records(tmp_path / "refs").values()}
    assert written
    assert written - imported == set()


# (list, rows read, records, rows without authors, rows without a paper link, lines read with a problem)
WHOLE_FILES = [
    (AIOT, 451, 441, 434, 0, 1),
    (TEBMER, 347, 217, 2, 20, 0),
    (HEMINGKX, 360, 346, 16, 19, 0),
]


@pytest.mark.parametrize(
    ("path", "rows", "records", "no_authors", "no_link", "problems"),
    WHOLE_FILES,
    ids=lambda x: getattr(x, "name", ""),
)
def test_whole_file_figures(
    tmp_path: Path, path: Path, rows: int, records: int, no_authors: int, no_link: int, problems: int
) -> None:
    scan = scan_text(read_document(path, path.name), path.name)
    assert len(scan.rows) == rows
    assert sum("authors" in row.missing for row in scan.rows) == no_authors
    assert sum("paper link" in row.missing for row in scan.rows) == no_link
    assert len(scan.problems) == problems
    shutil.copy(path, tmp_path / path.name)
    summary = import_lists(tmp_path / "refs", [tmp_path / path.name])
    assert summary.rows_per_file == {path.name: rows}
    assert len(load_records(tmp_path / "refs")) == records


def test_the_table_of_contents_news_and_code_blocks_are_no_records() -> None:
    rows = _rows(AIOT)
    # Lines 40-113: the table of contents; 10-17: a BibTeX block; 8: a news heading with a link.
    assert not [line for line in rows if 8 <= line <= 113 and line != 3]
    tebmer = _rows(TEBMER)
    # The "Role | Description | Trend" table links nothing: a legend, not papers.
    assert not [line for line in tebmer if 92 <= line <= 96]


def test_an_item_over_two_lines_is_one_row_at_its_first_line() -> None:
    row = _rows(HEMINGKX)[100]
    assert row.kind == "list"
    assert [link.url for link in row.links] == ["https://arxiv.org/pdf/2310.12072.pdf"]


def test_badges_are_never_links_of_a_paper() -> None:
    for path in REAL_LISTS:
        for row in _rows(path).values():
            assert not [link.url for link in row.links if "img.shields.io" in link.url]


def test_importing_twice_changes_no_byte(tmp_path: Path) -> None:
    for path in REAL_LISTS:
        shutil.copy(path, tmp_path / path.name)
    lists = [tmp_path / path.name for path in REAL_LISTS]
    import_lists(tmp_path / "refs", lists)
    first = {p: p.read_bytes() for p in sorted((tmp_path / "refs").rglob("*.yaml"))}
    import_lists(tmp_path / "refs", lists)
    assert {p: p.read_bytes() for p in sorted((tmp_path / "refs").rglob("*.yaml"))} == first


# (code, findings) of `slmbib check` on each real list, every error opened and found a defect of the list.
#   AIoT 317: ``[[Paper]([https://arxiv.org/abs/2304.04487](https://arxiv.org/pdf/2406.18200))]``;
#   AIoT 437: Memformer's code link is the row above's (deep-spin/infinite-former);
#   Tebmer 2: ``[![Awesome](…)]()``, an empty link; Tebmer 406: Koala's data link is Vicuna's (line 408);
#   hemingkx 773: the N-Gram Trie paper's pdf link is SpecEM's, the item above.
CHECK_ERRORS = {
    AIOT: {"unreadable-line": 1, "copied-links": 1},
    TEBMER: {"placeholder-link": 1, "copied-links": 1},
    HEMINGKX: {"copied-links": 1},
}


@pytest.mark.parametrize("path", REAL_LISTS, ids=lambda path: path.name)
def test_check_errors_on_real_lists_are_defects_of_the_list(path: Path) -> None:
    errors: dict[str, int] = {}
    for found in check_lists([path]).findings:
        if found.severity == "error":
            errors[found.code] = errors.get(found.code, 0) + 1
    assert errors == CHECK_ERRORS[path]


# Shapes: (markdown, title, name, authors, authors cut short, year, venue, identifiers, missing)
SHAPES = [
    pytest.param(
        "1. **Tiny Models Think Big.** *Ada Lee, Bo Chen*. ACL 2024. "
        "[[pdf]](https://aclanthology.org/2024.acl-long.9/)",
        "Tiny Models Think Big",
        "Tiny Models Think Big",
        ("Ada Lee", "Bo Chen"),
        False,
        "2024",
        "ACL 2024",
        {"acl": "2024.acl-long.9", "doi": "10.18653/v1/2024.acl-long.9"},
        (),
        id="numbered-bold-title-em-authors",
    ),
    pytest.param(
        '2. <u>TinyThink</u>: **"Tiny Models Think Big"**. *Ada Lee, Bo Chen.* arXiv 2024. '
        "[[Paper](https://arxiv.org/abs/2401.01234)] [[Code](https://github.com/a/b)]",
        "Tiny Models Think Big",
        "TinyThink",
        ("Ada Lee", "Bo Chen"),
        False,
        "2024",
        "arXiv 2024",
        {"arxiv": "2401.01234"},
        (),
        id="numbered-underlined-name-quoted-title",
    ),
    pytest.param(
        "3. TinyThink: **Tiny Models Think Big.** _Ada Lee, Bo Chen._ NeurIPS 2024. "
        "[[pdf]](https://arxiv.org/pdf/2401.01234)",
        "Tiny Models Think Big",
        "TinyThink",
        ("Ada Lee", "Bo Chen"),
        False,
        "2024",
        "NeurIPS 2024",
        {"arxiv": "2401.01234"},
        (),
        id="numbered-name-colon-underscore-authors",
    ),
    pytest.param(
        "4. _Ada Lee, Bo Chen_. 2024. **Tiny Models Think Big**. EMNLP 2024 Findings. "
        "[[pdf]](https://arxiv.org/abs/2401.01234)",
        "Tiny Models Think Big",
        "Tiny Models Think Big",
        ("Ada Lee", "Bo Chen"),
        False,
        "2024",
        "EMNLP 2024 Findings",
        {"arxiv": "2401.01234"},
        (),
        id="numbered-authors-first",
    ),
    pytest.param(
        "5. Ada Lee, Bo Chen, and Cy Dee. 2024. Tiny models think big. arXiv preprint arXiv:2401.01234 "
        "(2024).",
        "Tiny models think big",
        "Tiny models think big",
        ("Ada Lee", "Bo Chen", "Cy Dee"),
        False,
        "2024",
        "arXiv preprint",
        {"arxiv": "2401.01234"},
        (),
        id="numbered-plain-reference-string",
    ),
    pytest.param(
        "1. **Tiny Models Think Big.** *Ada Lee, Bo Chen*. Nature 2024, ARXIV:2401.01234v2, DOI:10.1234/x-1",
        "Tiny Models Think Big",
        "Tiny Models Think Big",
        ("Ada Lee", "Bo Chen"),
        False,
        "2024",
        "Nature 2024",
        {"arxiv": "2401.01234", "doi": "10.1234/x-1"},
        (),
        id="identifiers-written-in-capitals-are-links-not-venue",
    ),
    pytest.param(
        "5. Ada Lee and Bo Chen. 2024. Tiny models think big. ARXIV:2401.01234.",
        "Tiny models think big",
        "Tiny models think big",
        ("Ada Lee", "Bo Chen"),
        False,
        "2024",
        "",
        {"arxiv": "2401.01234"},
        (),
        id="a-reference-string-whose-venue-is-an-identifier-has-none",
    ),
    pytest.param(
        "1. Lee, A.; Chen, B.; Dee, C. (2023). Small but mighty. In Proceedings of ACL. doi:10.1234/abc.5",
        "Small but mighty",
        "Small but mighty",
        ("Lee, A.", "Chen, B.", "Dee, C."),
        False,
        "2023",
        "In Proceedings of ACL",
        {"doi": "10.1234/abc.5"},
        (),
        id="apa-reference-semicolon-authors-doi-in-text",
    ),
    pytest.param(
        "1. **Tiny Models Think Big.** *Ada Lee, Bo Chen, et al.* ICML 2024.",
        "Tiny Models Think Big",
        "Tiny Models Think Big",
        ("Ada Lee", "Bo Chen"),
        True,
        "2024",
        "ICML 2024",
        {},
        ("paper link",),
        id="et-al-and-no-link",
    ),
    pytest.param(
        "- TinyThink: Tiny Models Think Big, <ins>ICLR, 2024</ins> "
        "[[Paper](https://arxiv.org/abs/2401.01234)] "
        "[[Code](https://github.com/a/b)]",
        "TinyThink: Tiny Models Think Big",
        "TinyThink: Tiny Models Think Big",
        (),
        False,
        "2024",
        "ICLR, 2024",
        {"arxiv": "2401.01234"},
        ("authors",),
        id="bulleted-venue-underlined",
    ),
    pytest.param(
        "- [**Tiny Models Think Big**](https://arxiv.org/abs/2401.01234) \n  *Ada Lee; Bo Chen*. "
        "[[pdf](https://arxiv.org/pdf/2401.01234)], 2024.01. "
        "![](https://img.shields.io/badge/ICML2024-orange)",
        "Tiny Models Think Big",
        "Tiny Models Think Big",
        ("Ada Lee", "Bo Chen"),
        False,
        "2024",
        "ICML2024",
        {"arxiv": "2401.01234"},
        (),
        id="two-lines-linked-title-venue-badge",
    ),
    pytest.param(
        "- **A {LLM}s Title** *Ada Lee and Bo Chen*. ACL2021. "
        "[[pdf]](https://huggingface.co/papers/2401.01234)",
        "A LLMs Title",
        "A LLMs Title",
        ("Ada Lee", "Bo Chen"),
        False,
        "2021",
        "ACL2021",
        {"arxiv": "2401.01234"},
        (),
        id="bibtex-braces-and-authors",
    ),
]


@pytest.mark.parametrize(
    ("text", "title", "name", "authors", "truncated", "year", "venue", "identifiers", "missing"), SHAPES
)
def test_an_item_shape_is_read(
    text: str,
    title: str,
    name: str,
    authors: tuple[str, ...],
    truncated: bool,
    year: str,
    venue: str,
    identifiers: dict[str, str],
    missing: tuple[str, ...],
) -> None:
    (row,) = scan_text(f"## Papers\n\n{text}\n", "l.md").rows
    assert row.line == 3
    assert (row.title, row.name, row.authors, row.authors_truncated) == (title, name, authors, truncated)
    assert (row.year, row.venue, _identifiers(row), row.missing) == (year, venue, identifiers, missing)


TABLE_FORMS = """## Papers

| Paper | Model | Date | Venue | Code |
| --- | --- | --- | --- | --- |
| [Tiny Models Think Big](https://arxiv.org/abs/2401.00001) | TinyThink | 2023.11 | ICML | {code} |
| **Bold Title Here** | - | 2021-12 | ACL | |
| [TinyThink] Tiny Models Think Big(@Some Lab) | | 2024 | | [Code](https://github.com/c/d) |
| Small Model Title<br>Ada Lee, Bo Chen | | 2024 | | [pdf](https://arxiv.org/abs/2401.00004) |
| [Extra cells](https://arxiv.org/abs/2401.00005) | X | 2024 | NeurIPS | | [//]: #note |
| [Missing cells](https://arxiv.org/abs/2401.00006) |
""".format(code="[Github](https://github.com/a/b) ![](https://img.shields.io/github/stars/a/b)")


def test_table_forms() -> None:
    scan = scan_text(TABLE_FORMS, "l.md")
    read = [
        (r.line, r.name, r.title, r.authors, r.year, r.venue, sorted(_identifiers(r).values()))
        for r in scan.rows
    ]
    assert read == [
        (5, "TinyThink", "Tiny Models Think Big", (), "2023.11", "ICML", ["2401.00001"]),
        (6, "Bold Title Here", "Bold Title Here", (), "2021-12", "ACL", []),
        (7, "TinyThink", "Tiny Models Think Big", (), "2024", "", []),
        (8, "Small Model Title", "Small Model Title", ("Ada Lee", "Bo Chen"), "2024", "", ["2401.00004"]),
        (9, "X", "Extra cells", (), "2024", "NeurIPS", ["2401.00005"]),
        (10, "Missing cells", "Missing cells", (), "", "", ["2401.00006"]),
    ]
    # The stars counter is no link; a comment cell beyond the header is dropped without a word.
    assert [link.url for link in scan.rows[0].links] == [
        "https://arxiv.org/abs/2401.00001",
        "https://github.com/a/b",
    ]
    assert scan.problems == ()


def test_html_tables_comments_and_fences() -> None:
    text = """# List

<!--
## Table of Contents
- [Old](https://arxiv.org/abs/2401.09999)
-->

## Real

```bibtex
@article{x, journal={arXiv preprint arXiv:2401.08888}}
```

<table>
<tr><th>Title</th><th>Links</th></tr>
<tr>
<td><b>Tiny Models Think Big</b></td>
<td><a href="https://arxiv.org/abs/2401.00001">Paper</a> <img src="https://img.shields.io/badge/x-y"></td>
</tr>
</table>
"""
    scan = scan_text(text, "l.md")
    assert scan.headings == ((1, ""), (8, "Real"))
    assert [(r.line, r.section, r.title, [x.url for x in r.links]) for r in scan.rows] == [
        (16, "Real", "Tiny Models Think Big", ["https://arxiv.org/abs/2401.00001"])
    ]


def test_lines_stay_exact_with_crlf_bom_and_form_feeds() -> None:
    text = "\ufeff## A\r\n\r\nSome\x0cprose\r\n\r\n1. **Tiny.** *A B*. ACL 2024. [[pdf]](https://arxiv.org/abs/2401.00001)\r\n"
    (row,) = scan_text(text, "l.md").rows
    assert (row.line, row.section, row.title) == (5, "A", "Tiny")


def test_news_and_prose_are_no_records() -> None:
    text = """## News

- [2024.05] We released version 2 of the toolkit.
- 🔥 **Our survey** got 1,000 stars, 2024.

Some prose with a [link](https://example.org/page) in it, 2024.

- [vLLM](https://github.com/vllm-project/vllm): a serving engine.
"""
    assert scan_text(text, "l.md").rows == ()


def test_a_paper_given_a_heading_of_its_own() -> None:
    # The shape of Meirtz/Awesome-LLM-Model-Editing: a numbered heading per paper, a summary below it.
    text = """## Daily Updates

### 2024-10-09

### 1. [Neurosymbolic AI approach to Attribution](https://arxiv.org/pdf/2410.03726)
**Summary**: The paper proposes an approach to attribution.

### 2. [Revisiting the Superficial Alignment Hypothesis](https://arxiv.org/pdf/2410.03717)
**Summary**: The paper challenges a hypothesis.

## News: accepted at TMLR, camera ready [here](https://openreview.net/pdf?id=bsCCJHbO8A)

## [Model Editing](https://example.org/editing)
"""
    scan = scan_text(text, "l.md")
    assert [(r.line, r.section, r.title, sorted(_identifiers(r).values())) for r in scan.rows] == [
        (5, "Daily Updates", "Neurosymbolic AI approach to Attribution", ["2410.03726"]),
        (8, "Daily Updates", "Revisiting the Superficial Alignment Hypothesis", ["2410.03717"]),
    ]
    # A heading that only mentions a paper, or links no paper, still names the section below it.
    assert [line for line, _ in scan.headings] == [1, 3, 5, 8, 11, 13]
    assert scan.headings[-1] == (13, "[Model Editing](https://example.org/editing)")
    assert scan.headings[-2][1].startswith("News: accepted at TMLR")


def _as_listed(refs: Path) -> dict[str, object]:
    """What the records say of their rows, but for where the rows sit and the columns links moved to."""
    return {
        record.id: (
            record.identifiers,
            sorted(
                (x.section, x.name, x.year, sorted(x.cells.items()), sorted(y.url for y in x.links))
                for x in record.listings
            ),
        )
        for record in load_records(refs).values()
    }


@pytest.mark.parametrize("path", [*REAL_LISTS, *SEEDS], ids=lambda path: path.name)
def test_render_round_trip_on_a_real_list(tmp_path: Path, path: Path) -> None:
    readme, refs = tmp_path / "README.md", tmp_path / "refs"
    shutil.copy(path, readme)
    import_lists(refs, [readme])
    before = _as_listed(refs)
    result = render_readme(refs, readme, init=True)
    assert result.initialised
    rendered = readme.read_text(encoding="utf-8")
    import_lists(refs, [readme])
    assert _as_listed(refs) == before
    assert render_readme(refs, readme).up_to_date
    assert readme.read_text(encoding="utf-8") == rendered
    # Outside the regions' blank lines and markers, only links render moved differ from the list.
    kept = [line for line in rendered.splitlines() if line.strip() and not line.startswith("<!-- slmbib:")]
    original = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(kept) == len(original)
    assert sum(a != b for a, b in zip(kept, original, strict=True)) <= 2
