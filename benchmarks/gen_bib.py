"""A synthetic but realistic ``.bib`` file of N entries, the same bytes for the same seed.

What makes it realistic is what makes real merged bibliographies slow or hard:
Unicode names written raw or as LaTeX escapes (``M{\\"u}ller``, ``{\\L}ukasz``),
name particles and suffixes, long author lists (a few hundred names, and the
odd thousand-author collaboration), titles with protected acronyms, math,
``\\&`` and ``\\%``, ``@string`` macros, bare month macros, and the three
entry shapes a survey cites most: ``@article`` with a DOI, ``@inproceedings``
with or without one, and arXiv preprints as ``@misc`` with ``eprint``.

A known share of the entries are duplicates of another entry, in the four
ways duplicates arise when bibliographies are merged (see
:data:`DUPLICATE_KINDS`).  Titles, DOIs and arXiv ids are distinct per work
by construction, so the number of distinct works is exact and is written
beside the file (``<file>.json``): a deduplicating tool can be checked
against it.

    python -m benchmarks.gen_bib 10000 out.bib [--seed 6] [--duplicates 0.1]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import string
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

#: How a duplicate differs from the entry it repeats.
DUPLICATE_KINDS = {
    "copy": "the same entry under another key, names and title written differently",
    "published-eprint": "the published version of a preprint, still carrying its arXiv id",
    "published-title": "the published version of a preprint, matched only by title and first author",
    "copy-no-id": "a copy of an entry that has no identifier at all",
}

_GIVEN = (
    "Łukasz", "Zoë", "José", "Søren", "Çağlar", "Øyvind", "Jürgen", "Hervé", "Ana", "Wei", "Yu-Xiang",
    "Mingxuan", "Aditi", "Oriol", "Noam", "Ilya", "Quoc V.", "Ashish", "Niki", "Jakob", "Llion", "Aidan N.",
    "Illia", "Chloé", "François", "Małgorzata", "Jörg", "Ștefan", "Đorđe", "Nguyễn Văn", "Sébastien",
    "Hanna", "Pieter", "Kyunghyun", "Dzmitry", "Yoshua", "Geoffrey E.", "Timothée", "Baptiste", "Hugo",
    "Naman", "Tri", "Beidi", "Albert", "Ruslan", "Percy", "Tatsunori", "Rishi", "Fali", "Suhang", "Zhiwei",
    "Xianren", "Tzuhao", "Qiuhao", "Mónica", "Inés", "Raphaël", "Ümit", "Gökhan", "Ángel", "Sung-Hyun",
)  # fmt: skip
_FAMILY = (
    "Kaiser", "Müller", "García", "Sørensen", "Gülçehre", "Tafjord", "Schmidhuber", "Jégou", "Wang",
    "Zhang", "Li", "Chen", "Liu", "Vinyals", "Shazeer", "Sutskever", "Le", "Vaswani", "Parmar", "Uszkoreit",
    "Jones", "Gomez", "Polosukhin", "Fourrier", "Chollet", "Kowalczyk", "Łęcki", "Nguyễn", "Bubeck",
    "Larochelle", "Abbeel", "Cho", "Bahdanau", "Bengio", "Hinton", "Lacroix", "Rozière", "Touvron",
    "Goyal", "Dao", "Gu", "Salakhutdinov", "Liang", "Hashimoto", "Bommasani", "Ma", "He", "Tang",
    "Pérez", "Núñez", "Dvořák", "Šimánek", "Erdős", "Ødegaard", "Strauß", "O'Neil", "Cañete",
    "Y\u0131ld\u0131z",
)  # fmt: skip
_PARTICLES = ("van der", "de la", "von", "de", "van", "di")
_SUFFIXES = ("Jr.", "III")

#: TeX escapes for the accented letters above; letters without one stay raw UTF-8, as in real files.
_TEX = {
    "Ł": "{\\L}", "ł": "{\\l}", "ë": '{\\"e}', "é": "{\\'e}", "ø": "{\\o}", "Ø": "{\\O}", "Ç": "{\\c{C}}",
    "ç": "{\\c{c}}", "ğ": "{\\u{g}}", "ü": '{\\"u}', "Ü": '{\\"U}', "ö": '{\\"o}', "ä": '{\\"a}',
    "è": "{\\`e}", "ó": "{\\'o}", "á": "{\\'a}", "í": "{\\'i}", "ñ": "{\\~n}",
    "ř": "{\\v{r}}", "Š": "{\\v{S}}", "ő": "{\\H{o}}", "ß": "{\\ss}", "ą": "{\\k{a}}", "ę": "{\\k{e}}",
    "Á": "{\\'A}", "\u0131": "{\\i}", "Ș": "{\\c{S}}", "ț": "{\\c{t}}", "ș": "{\\c{s}}", "Đ": "{\\DJ}",
}  # fmt: skip

_ADJECTIVES = (
    "Efficient", "Small", "Scalable", "Robust", "Sparse", "Quantized", "Compact", "Multilingual", "Faithful",
    "Private", "Adaptive", "Hierarchical", "Contrastive", "Self-Supervised", "Federated", "Lightweight",
    "Low-Rank", "Distilled", "Retrieval-Augmented", "Mixture-of-Experts", "On-Device", "Streaming",
    "Trustworthy", "Calibrated", "Instruction-Tuned", "Long-Context", "Multimodal", "Causal", "Verifiable",
    "Energy-Aware", "Structured", "Interpretable", "Zero-Shot", "Few-Shot", "Continual", "Aligned",
)  # fmt: skip
_SUBJECTS = (
    "{BERT}", "{LLM}s", "Transformers", "Language Models", "{GPT}-2 Models", "Attention", "Tokenizers",
    "{LoRA} Adapters", "State Space Models", "{Qwen} Models", "Decoders", "Embeddings", "Agents",
    "{MobileLLM}", "Vision-Language Models", "Speech Recognizers", "Reward Models", "Retrievers",
    "{KV} Caches", "Code Models", "Small Language Models", "{RNN}s", "Memory Layers", "Routers",
)  # fmt: skip
_TASKS = (
    "Question Answering", "Machine Translation", "Summarization", "Code Generation", "Reasoning",
    "Edge Inference", "Medical Dialogue", "Theorem Proving", "Information Extraction", "Tool Use",
    "Mathematical Word Problems", "Low-Resource Languages", "Speculative Decoding", "Search",
    "Sentiment Analysis", "Text-to-{SQL}", "Open-Domain Chat", "Scientific Claims", "Legal Documents",
)  # fmt: skip
# One title in about thirty has math, as in real bibliographies: it is the LaTeX that
# only pylatexenc decodes, so its share matters.
_TWISTS = (
    "", ": A Survey", " at Scale", " in 50\\% Fewer Steps", ": Theory \\& Practice", " Without Labels",
    ": Lessons Learned", " on a Single {GPU}", " for the Rest of Us", " {\\&} Beyond", " Revisited",
    ": An Empirical Study", " in the Wild", ": A Benchmark", " under Distribution Shift", " in Practice",
    ": Pitfalls and Remedies", " with Human Feedback", ": Towards a Unified View", " from Scratch",
    " for Everyone", " on Mobile Devices", ": What Matters?", " via Distillation", " with Synthetic Data",
    " in Low-Resource Settings", ": A Reproducibility Study", " Done Right", " at the Edge",
    ": Is Attention All You Need?", " with $O(n \\log n)$ Memory",
)  # fmt: skip
_JOURNALS = (
    ("tacl", "Transactions of the Association for Computational Linguistics"),
    ("jmlr", "Journal of Machine Learning Research"),
    ("tmlr", "Transactions on Machine Learning Research"),
    ("tist", "{ACM} Transactions on Intelligent Systems and Technology"),
    ("natmi", "Nature Machine Intelligence"),
)
_CONFERENCES = (
    ("Proceedings of the 62nd Annual Meeting of the Association for Computational Linguistics", "acl"),
    ("Advances in Neural Information Processing Systems", "neurips"),
    ("International Conference on Learning Representations", "iclr"),
    ("Proceedings of the 41st International Conference on Machine Learning", "icml"),
    ("Findings of the Association for Computational Linguistics: {EMNLP} 2023", "findings"),
    ("Proceedings of the {AAAI} Conference on Artificial Intelligence", "aaai"),
)
_PUBLISHERS = ("Association for Computational Linguistics", "{PMLR}", "Curran Associates, Inc.", "{ACM}")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_CATEGORIES = ("cs.CL", "cs.LG", "cs.AI", "cs.CV", "stat.ML")


@dataclass
class Work:
    """One paper: what every entry naming it agrees on."""

    title: str
    authors: list[tuple[str, str, str, str]]  # (given, particle, family, suffix)
    year: int
    kind: str  # article | inproceedings | preprint
    doi: str = ""
    arxiv: str = ""
    venue: str = ""
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class Generated:
    entries: int
    works: int
    duplicates: Counter[str]

    def to_json(self) -> str:
        return json.dumps(
            {
                "entries": self.entries,
                "works": self.works,
                "duplicates": dict(sorted(self.duplicates.items())),
            },
            indent=2,
        )


def _tex(text: str) -> str:
    return "".join(_TEX.get(char, char) for char in text)


def _author_count(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.001:
        return rng.randint(1000, 1400)  # a Gemini-style team paper
    if roll < 0.02:
        return rng.randint(40, 300)
    return rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5, 6, 7, 8, 10, 12))


def _person(rng: random.Random) -> tuple[str, str, str, str]:
    particle = rng.choice(_PARTICLES) if rng.random() < 0.04 else ""
    suffix = rng.choice(_SUFFIXES) if rng.random() < 0.01 else ""
    given = rng.choice(_GIVEN)
    if rng.random() < 0.5:
        # Middle initials make the names about as varied as a real bibliography's (10^5 distinct).
        given += " " + " ".join(f"{rng.choice(string.ascii_uppercase)}." for _ in range(rng.randint(1, 2)))
    return given, particle, rng.choice(_FAMILY), suffix


def _names(authors: list[tuple[str, str, str, str]], rng: random.Random, escaped: bool) -> str:
    """An author list in one of the forms people write: ``Family, Given`` or ``Given Family``."""
    inverted = rng.random() < 0.6
    written = []
    for given, particle, family, suffix in authors:
        if escaped:
            given, family = _tex(given), _tex(family)
        if "-" in family or " " in family:
            family = "{" + family + "}"
        last = f"{particle} {family}".strip()
        if inverted or suffix:
            written.append(f"{last}, {suffix}, {given}" if suffix else f"{last}, {given}")
        else:
            written.append(f"{given} {last}")
    return " and ".join(written)


def _titles(rng: random.Random, count: int) -> list[str]:
    """``count`` titles, distinct even after case and punctuation are ignored."""
    radix = (len(_ADJECTIVES), len(_SUBJECTS), len(_TASKS), len(_TWISTS))
    combinations = math.prod(radix)
    titles = []
    # Beyond the plain combinations, ``Part N`` keeps titles apart, as real series of papers are.
    for number in rng.sample(range(combinations * (count // combinations + 1)), count):
        adjective, number = _ADJECTIVES[number % radix[0]], number // radix[0]
        subject, number = _SUBJECTS[number % radix[1]], number // radix[1]
        task, number = _TASKS[number % radix[2]], number // radix[2]
        twist, series = _TWISTS[number % radix[3]], number // radix[3]
        part = f", Part {series + 1}" if series else ""
        titles.append(f"{adjective} {subject} for {task}{twist}{part}")
    return titles


def _work(index: int, title: str, rng: random.Random) -> Work:
    authors = [_person(rng) for _ in range(_author_count(rng))]
    year = rng.randint(2015, 2025)
    kind = rng.choices(("article", "inproceedings", "preprint"), weights=(25, 40, 35))[0]
    work = Work(title=title, authors=authors, year=year, kind=kind)
    if kind == "preprint":
        month = rng.randint(1, 12)
        work.arxiv = f"{year % 100:02d}{month:02d}.{index % 100000:05d}"
        work.extra["primaryClass"] = rng.choice(_CATEGORIES)
    elif kind == "article":
        macro, _ = rng.choice(_JOURNALS)
        work.venue = macro
        work.doi = f"10.{rng.randint(1000, 9999)}/j.{index:06d}"
        work.extra.update(volume=str(rng.randint(1, 40)), number=str(rng.randint(1, 12)))
    else:
        booktitle, venue = rng.choice(_CONFERENCES)
        work.venue = booktitle
        if venue in ("acl", "findings"):
            work.doi = f"10.18653/v1/{year}.{venue}-long.{index}"
        elif rng.random() < 0.4:
            work.doi = f"10.5555/{index}.{rng.randint(100, 999)}"
        work.extra["publisher"] = rng.choice(_PUBLISHERS)
    first = rng.randint(1, 900)
    work.extra["pages"] = f"{first}--{first + rng.randint(5, 25)}"
    return work


def _entry(key: str, fields: dict[str, str], entry_type: str) -> str:
    body = ",\n".join(f"  {name} = {value}" for name, value in fields.items())
    return f"@{entry_type}{{{key},\n{body}\n}}\n"


def _braced(value: str, rng: random.Random) -> str:
    # Most files use braces; some tools write quotes.  Neither may hold an unbalanced brace.
    return f'"{value}"' if rng.random() < 0.1 and '"' not in value else "{" + value + "}"


def _render(work: Work, key: str, rng: random.Random, *, variant: str = "") -> str:
    """One entry for ``work``; ``variant`` names the duplicate kind it is, if any."""
    escaped = rng.random() < 0.5
    title = work.title
    if variant == "copy" and rng.random() < 0.5:
        title = title.lower()  # a tool that dropped title case; protected acronyms survive in braces
    fields: dict[str, str] = {
        "title": _braced(title, rng),
        "author": _braced(_names(work.authors, rng, escaped), rng),
        "year": str(work.year) if rng.random() < 0.5 else "{" + str(work.year) + "}",
    }
    if rng.random() < 0.6:
        fields["month"] = rng.choice(_MONTHS)
    kind = "inproceedings" if variant.startswith("published") else work.kind
    if kind == "preprint":
        entry_type = "misc"
        fields["journal"] = "{arXiv preprint arXiv:" + work.arxiv + "}"
        fields.update(
            eprint="{" + work.arxiv + "}",
            archivePrefix="{arXiv}",
            primaryClass="{" + work.extra["primaryClass"] + "}",
            url="{https://arxiv.org/abs/" + work.arxiv + "}",
        )
    elif kind == "article":
        entry_type = "article"
        fields["journal"] = work.venue  # an @string macro
        fields.update(volume=work.extra["volume"], number=work.extra["number"])
        fields["pages"] = "{" + work.extra["pages"] + "}"
        fields["doi"] = "{" + work.doi + "}"
    else:
        entry_type = "inproceedings"
        booktitle = work.venue or rng.choice(_CONFERENCES)[0]
        fields["booktitle"] = "{" + booktitle + "}"
        fields["pages"] = "{" + work.extra["pages"] + "}"
        fields["publisher"] = "{" + work.extra.get("publisher", rng.choice(_PUBLISHERS)) + "}"
        if work.doi:
            fields["doi"] = "{" + work.doi + "}"
        if variant == "published-eprint":
            fields.update(eprint="{" + work.arxiv + "}", archivePrefix="{arXiv}")
    if rng.random() < 0.05:
        fields["note"] = "{Equal contribution; code at \\url{https://github.com/example/repo\\_" + key + "}}"
    if rng.random() < 0.03:
        fields["abstract"] = "{" + " ".join(rng.choice(_TASKS) for _ in range(60)) + "}"
    ordered = list(fields.items())
    if variant:
        rng.shuffle(ordered)  # another tool's field order
    return _entry(key, dict(ordered), entry_type)


def _key(work: Work, taken: set[str]) -> str:
    family = work.authors[0][2]
    folded = unicodedata.normalize("NFKD", family.lower()).encode("ascii", "ignore").decode()
    stem = "".join(char for char in folded if char.isalpha()) or "anon"
    word = next(w for w in work.title.lower().replace("{", "").split() if w.isalpha() or "-" in w)
    base = f"{stem}{work.year}{''.join(c for c in word if c.isalpha())}"
    key, suffix = base, 1
    while key in taken:
        suffix += 1
        key = f"{base}{suffix}"
    taken.add(key)
    return key


def generate(count: int, seed: int = 6, duplicate_rate: float = 0.1) -> tuple[str, Generated]:
    """The text of a ``.bib`` of ``count`` entries and what it holds."""
    rng = random.Random(seed)
    duplicates = round(count * duplicate_rate)
    unique = count - duplicates
    works = [_work(index, title, rng) for index, title in enumerate(_titles(rng, unique))]
    taken: set[str] = set()
    # Duplicates sit anywhere in the file, not next to their original, as after a concatenation.
    slots: list[tuple[float, int, str]] = [(index, index, "") for index in range(unique)]
    kinds: Counter[str] = Counter()
    for _ in range(duplicates):
        index = rng.randrange(unique)
        work = works[index]
        if work.kind == "preprint":
            kind = rng.choice(("copy", "published-eprint", "published-title"))
        elif work.doi:
            kind = "copy"
        else:
            kind = "copy-no-id"
        kinds[kind] += 1
        slots.append((rng.uniform(0, unique), index, kind))
    slots.sort()
    parts = [
        "% Synthetic bibliography for slmbib's benchmarks: see benchmarks/gen_bib.py.\n\n",
        *(f'@string{{{macro} = "{name}"}}\n' for macro, name in _JOURNALS),
        "\n",
    ]
    for _, index, kind in slots:
        work = works[index]
        parts.append(_render(work, _key(work, taken), rng, variant=kind))
        parts.append("\n")
    return "".join(parts), Generated(entries=count, works=unique, duplicates=kinds)


def write(count: int, path: Path, seed: int = 6, duplicate_rate: float = 0.1) -> Generated:
    """Write the file and ``<path>.json`` describing it."""
    text, generated = generate(count, seed, duplicate_rate)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.with_suffix(path.suffix + ".json").write_text(generated.to_json() + "\n", encoding="utf-8")
    return generated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int)
    parser.add_argument("output", type=Path)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--duplicates", type=float, default=0.1, help="share of entries that repeat a work")
    args = parser.parse_args()
    print(write(args.count, args.output, args.seed, args.duplicates).to_json())


if __name__ == "__main__":
    main()
