"""Records for the export tests: every entry kind fully populated, and hostile text.

The hostile titles and names are what a remote service could return: they must
reach the PDF as the same characters, never as LaTeX commands.
"""

from __future__ import annotations

from slmbib.models import Link, Listing, Record, Value


def _record(record_id: str, key: str = "", listing: str = "", **fields: object) -> Record:
    identifiers = fields.pop("identifiers", {})
    links = fields.pop("links", ())
    source = str(fields.pop("source", "s2"))
    listings = (Listing("refs/lists/test.md", len(record_id), "Test > Part", listing, ""),) if listing else ()
    return Record(
        id=record_id,
        key=key,
        identifiers=identifiers,  # type: ignore[arg-type]
        links=links,  # type: ignore[arg-type]
        listings=listings,
        fields={name: Value(value, source) for name, value in fields.items()},
    )


LONG_AUTHORS = [f"Author{chr(65 + i // 26)}{chr(97 + i % 26)} Person{i}" for i in range(60)]

FULL = [
    _record(
        "doi-10.1038-nature14539",
        title="Deep learning",
        authors=["Yann LeCun", "Yoshua Bengio", "Geoffrey Hinton"],
        year=2015,
        month=5,
        date="2015-05-27",
        entry_type="article",
        journal="Nature",
        volume="521",
        number="7553",
        pages="436-444",
        publisher="Nature Publishing Group",
        identifiers={"doi": "10.1038/nature14539"},
    ),
    _record(
        "acl-n19-1423",
        title="BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        authors=["Jacob Devlin", "Ming-Wei Chang", "Kenton Lee", "Kristina Toutanova"],
        year=2019,
        month=6,
        entry_type="inproceedings",
        booktitle="Proceedings of the 2019 Conference of the North American Chapter of the Association "
        "for Computational Linguistics: Human Language Technologies",
        pages="4171\u20134186",  # an en dash
        publisher="Association for Computational Linguistics",
        identifiers={"doi": "10.18653/v1/N19-1423", "acl": "N19-1423"},
    ),
    _record(
        "arxiv-2402.14905",
        listing="MobileLLM",
        title="MobileLLM: Optimizing Sub-billion Parameter Language Models for On-Device Use Cases",
        authors=["Zechun Liu", "Changsheng Zhao", "Forrest Iandola", "Chen Lai", "Yuandong Tian"],
        year=2024,
        month=2,
        entry_type="preprint",
        arxiv_primary_class="cs.LG",
        identifiers={"arxiv": "2402.14905"},
    ),
    _record(
        "arxiv-2309.16609",
        listing="Qwen 1.5",
        title="Qwen Technical Report",
        authors=["Jinze Bai", "Shuai Bai", "Yunfei Chu"],
        authors_truncated=True,
        year=2023,
        month=9,
        identifiers={"arxiv": "2309.16609"},
    ),
    _record(
        "url-crfm.stanford.edu-2023-03-13-alpaca.html",
        listing="Alpaca 7B",
        title="Alpaca: A Strong, Replicable Instruction-Following Model",
        authors=["Rohan Taori", "Ishaan Gulrajani", "Tianyi Zhang"],
        year=2023,
        month=3,
        entry_type="online",
        venue="Stanford CRFM blog",
        accessed="2024-11-05",
        links=(Link("https://crfm.stanford.edu/2023/03/13/alpaca.html", "blog"),),
    ),
    _record(
        "name-gpt-4-system-card",
        title="GPT-4 System Card",
        authors=["OpenAI"],
        year=2023,
        entry_type="misc",
        links=(Link("https://cdn.openai.com/papers/gpt-4-system-card.pdf?x=1&y=a_b%20c", "paper"),),
    ),
    _record(
        "arxiv-1706.03762",
        title="Attention Is All You Need",
        authors=[
            "Ashish Vaswani",
            "Noam Shazeer",
            "Niki Parmar",
            "Jakob Uszkoreit",
            "Llion Jones",
            "Aidan N. Gomez",
            "Łukasz Kaiser",
            "Illia Polosukhin",
        ],
        year=2017,
        entry_type="inproceedings",
        booktitle="Advances in Neural Information Processing Systems",
        volume="30",
        identifiers={"arxiv": "1706.03762"},
    ),
    _record(
        "doi-10.1007-bf01700692",
        title="Über formal unentscheidbare Sätze der Principia Mathematica und verwandter Systeme I",
        authors=["Kurt Gödel"],
        year=1931,
        entry_type="article",
        journal="Monatshefte für Mathematik und Physik",
        volume="38",
        pages="173\u2013198",
        identifiers={"doi": "10.1007/BF01700692"},
    ),
    _record(
        "doi-10.5555-muller",
        # Greek alpha, less-or-equal and a multiplication sign.
        title="Naïve \u03b1-Scaling of LLMs: \u2264 3\u00d7 Faster on Jetson Orin (a Café Study)",
        authors=[
            "Hans Müller",
            "José Núñez",
            "Søren Kierkegaard",
            "François Chollet",
            "Nguyễn Văn An",
            "Ludwig van Beethoven",
            "Martin Luther King Jr.",
            "Gemma Team",
        ],
        year=2024,
        month=12,
        entry_type="article",
        journal="Journal of Things & Stuff",
        number="3",
        identifiers={"doi": "10.5555/muller_2024%3"},
    ),
    _record(
        "arxiv-2407.21783",
        title="The Llama 3 Herd of Models",
        authors=LONG_AUTHORS,
        year=2024,
        month=7,
        identifiers={"arxiv": "2407.21783"},
    ),
    _record(
        "bib-devlin",
        source="bib",
        title=r"{RoBERTa}: A Robustly Optimized {BERT} Pretraining Approach \& 50\% More",
        authors=[r"Liu, Yinhan", r"M{\"u}ller, Hans", r"{\L}ukasz Kaiser"],
        year=2019,
        entry_type="preprint",
        identifiers={"arxiv": "1907.11692"},
    ),
]

HOSTILE_TITLES = [
    r"Escaping \input{/etc/passwd} and \write18{touch pwned}",
    "Lone } brace and lone { brace and 100% #1 & _under_ ~tilde^ $5",
    "@comment{not a comment} @article{fake, title={x}}",
    r"\end{document} \def\x{y} \catcode`\%=12 \\ \newline",
    "Pipes | less < greater > and a back\\slash at the end\\",
    "Dashes -- and --- and ``quotes'' ?` !` stay as typed",
]
HOSTILE_NAMES = [
    r"Evil \input{x} Person",
    "Lone } Brace",
    "Per%cent Hash#Tag",
    r"Back\slash O'Brien",
    "Tom and Jerry",
    "Amp & Dollar$",
    "Quote ``Double'' Dash--Name",
]

HOSTILE = [
    _record(
        f"hostile-{index}",
        title=title,
        authors=[HOSTILE_NAMES[index], HOSTILE_NAMES[-1 - index]],
        year=2024,
        entry_type="article" if index % 2 else "inproceedings",
        journal="Journal of {Braces} & 100% #Hash",
        booktitle=r"Proc. \input{evil} Conference",
        identifiers={"arxiv": f"2401.0000{index}"} if index == 4 else {},
    )
    for index, title in enumerate(HOSTILE_TITLES)
]
