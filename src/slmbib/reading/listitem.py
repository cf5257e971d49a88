"""Read one paper item of a list: its title, listed name, authors, venue, year and links.

An item reaches this module as *runs*: its text cut where the emphasis, the
link or the underline around it changes (:class:`Run`), as the Markdown parser
read it.  What a run is wrapped in says what it is, whatever the item's shape:

* the title is the first bold text (``**Title.**``, ``[**Title**](url)``),
  else a leading link label that is not a tag like ``[pdf]``, else the text
  that leads the item (``Name: Title, <ins>Venue, 2024</ins>``), else the
  sentence after the year of a plain reference string
  (``Authors. 2024. Title. Venue.``);
* the authors are the first emphasised text that is not the title
  (``*A, B*``, ``_A, B_``), or the sentence before the year of a reference
  string; ``,``, ``;``, ``and`` and ``&`` separate them and ``et al.`` says
  the list is cut short;
* the venue is the underlined text (``<ins>ICLR, 2024</ins>``), else the text
  between the authors and the first link, else a venue badge
  (``img.shields.io/badge/ICML2024-orange``); the year is read from it, else
  from a date written after the links (``2024.01``);
* the listed name is an underlined name or the short name before a ``:``
  that precedes a bold title (``<u>TinyThink</u>: **Title**``).

Badges and images are never links of the paper; identifiers written as text
(``arXiv:2401.01234``, ``doi:10.…``) count as links to the paper.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

from ..identity import without_written_identifiers
from .identify import badge_text, identifier_urls

#: Link labels that name what a link is, not the paper (``[[pdf]](…)``, ``[Code](…)``).
_TAGS = re.compile(
    r"^\W*(pdf|paper|papers|arxiv|code|github|hf|huggingface|model|models|data|dataset|blog|project|"
    r"page|homepage|website|demo|slides|video|link|openreview|acl|doi|bib|bibtex|poster|docs|colab)\W*$",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<![\d.])(19|20)\d{2}(?:[.\-/](?:0?[1-9]|1[0-2])(?!\d))?(?![\d])")
#: A year in brackets, as APA and ACM write it: ``(2024)``.
_BRACKETED_YEAR = r"\s*\((19|20)\d{2}[a-z]?\)"
_YEAR_AT_END = re.compile(_BRACKETED_YEAR + "$")
_TRAILING_YEAR = re.compile(_BRACKETED_YEAR + r"\W*$")
_BARE_YEAR = re.compile(r"^\(?(19|20)\d{2}[a-z]?\)?$")
_ET_AL = re.compile(r",?\s*\bet\s+al\b\.?", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*;\s*|\s*,\s*(?:and\s+|&\s*)?|\s+and\s+|\s*&\s*")
_VENUE_WORDS = 10
_SPACES = re.compile(r"[ \t\n]+")
_SEMICOLON_SPLIT = re.compile(r"\s*;\s*(?:and\s+|&\s*)?")
_QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"
#: A sentence ends at a period followed by a space, unless the period ends an initial (``J. Smith``).
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])(?<!\bal)\.(?:\s+|$)")
_WHITESPACE = re.compile(r"\s+")
_LETTER = re.compile(r"[^\W\d_]")
_TWO_LETTERS = re.compile(r"[^\W\d_]{2}")
#: Affiliation marks after an author list: ``<sup>1</sup>``, a trailing number.
_AFFILIATION_MARKS = re.compile(r"<sup>.*?</sup>|\d+$")
#: A name that ends in an initial or a suffix keeps its period (``J.``, ``Jr.``).
_INITIAL_END = re.compile(r"(\b[A-Z]|\bJr|\bSr)\.$")


class Run(NamedTuple):
    """A stretch of an item's text and what it sits in (a tuple: an item has hundreds)."""

    text: str
    strong: bool = False
    em: bool = False
    underline: bool = False
    #: The link the text is the label of ('' outside links).
    href: str = ""
    #: A line break inside the item (``<br>`` or a new line).
    newline: bool = False
    #: The source of an image; an image has no text and is never a link of the paper.
    image: str = ""


#: A line break, and the marks left where a link's label was (the label is no venue or year).
NEWLINE_RUN = Run(" ", newline=True)
_LINK_MARK = Run("\x00")
_LINK_MARK_NEWLINE = Run("\x00", newline=True)


@dataclass(frozen=True)
class ItemLink:
    url: str
    label: str


@dataclass
class Item:
    """What one item says of its paper."""

    title: str = ""
    name: str = ""
    authors: tuple[str, ...] = ()
    authors_truncated: bool = False
    venue: str = ""
    year: str = ""
    links: list[ItemLink] = field(default_factory=list)
    #: Whether the title was marked as one (bold, a link label, a reference string's sentence).
    marked_title: bool = False


def plain(runs: list[Run]) -> str:
    """The text of ``runs`` without markup, on one line."""
    text = "".join([" " if run.newline else run.text for run in runs])
    if "  " in text or "\t" in text or "\n" in text:
        text = _SPACES.sub(" ", text)
    return text.strip(" \t\n")


def links_of(runs: list[Run]) -> list[ItemLink]:
    """The links of ``runs`` in order, with their labels; in-page anchors and badges are no links."""
    found: list[ItemLink] = []
    order: list[str] = []
    labels: list[list[str]] = []
    previous = ""
    for run in runs:
        href = run.href
        if href:
            if href != previous:
                order.append(href)
                labels.append([])
            labels[-1].append(run.text)
        previous = href
    for url, label in zip(order, labels, strict=True):
        if url.startswith(("#", "./", "../", "/")) or badge_text(url) is not None:
            continue
        found.append(ItemLink(url.strip(), "".join(label).strip().strip("[]").strip()))
    for url in identifier_urls(plain(runs)):
        if all(link.url != url for link in found):
            found.append(ItemLink(url, "text"))
    return found


def clean_title(text: str) -> str:
    """A title without surrounding quotes, trailing punctuation or BibTeX case braces."""
    title = text.strip().replace("{", "").replace("}", "")
    previous = None
    while previous != title:
        previous = title
        title = title.strip().strip(_QUOTES).strip().rstrip(".,;:[(").lstrip("])").strip()
    return title


def split_authors(text: str) -> tuple[tuple[str, ...], bool]:
    """Author names of an author list, and whether ``et al.`` cut it short."""
    truncated = bool(_ET_AL.search(text))
    body = _ET_AL.sub("", text).strip().strip(",;").strip()
    body = _AFFILIATION_MARKS.sub("", body)
    # ``Lee, A.; Chen, B.``: where semicolons separate the authors, commas are inside names.
    split = _SEMICOLON_SPLIT if ";" in body else _AUTHOR_SPLIT
    names = [_author_name(name) for name in split.split(body)]
    return tuple(name for name in names if name and _LETTER.search(name)), truncated


def _author_name(text: str) -> str:
    """An author as listed, without the sentence's closing period; an initial (``J.``) keeps its own."""
    name = text.strip().strip("*_").strip()
    if name.lower().startswith("and "):
        name = name[4:].strip()
    if name.endswith(".") and not _INITIAL_END.search(name):
        name = name[:-1].rstrip()
    return name


def _groups(runs: list[Run], attribute: str) -> list[tuple[int, int]]:
    """Index ranges ``[start, end)`` of consecutive runs that have ``attribute`` and some text."""
    field_index = Run._fields.index(attribute)
    spans: list[tuple[int, int]] = []
    start = -1
    worded = False
    for position, run in enumerate(runs):
        if run[field_index]:
            if start < 0:
                start, worded = position, False
            worded = worded or bool(run.text.strip())
        elif start >= 0:
            if worded:
                spans.append((start, position))
            start = -1
    if start >= 0 and worded:
        spans.append((start, len(runs)))
    return spans


def _looks_like_authors(text: str) -> bool:
    """Whether emphasised text reads as names: letters, no year, no long sentence of lower-case words."""
    words = text.split()
    if not words or (_YEAR.search(text) and not _ET_AL.search(text)):
        return False
    lower = sum(1 for word in words if word[:1].islower() and word not in ("and", "et", "al.", "al", "de"))
    return lower <= max(1, len(words) // 4)


def _sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def _year_of(text: str) -> str:
    found = _YEAR.search(text)
    return found.group(0) if found else ""


def _venue(text: str) -> str:
    """The venue a text starts with: its first sentence, without stray brackets (``NeurIPS, 2024. [``).

    An identifier written out (``arXiv:2401.01234``) is a link to the paper, and a year in brackets
    at its end (ACM's ``arXiv preprint arXiv:2401.01234 (2024).``) the item's year: neither is venue.
    """
    text = without_written_identifiers(text)
    first = next(iter(_sentences(text.replace("[", " ").replace("]", " "))), "")
    first = _TRAILING_YEAR.sub("", first)
    venue = _WHITESPACE.sub(" ", first).strip(" .,;:-|")
    if venue.count("(") != venue.count(")"):
        venue = venue.replace("(", " ").replace(")", " ")
    venue = _WHITESPACE.sub(" ", venue).strip(" .,;:-|" + _QUOTES)
    return venue if _LETTER.search(venue) else ""


def read_item(runs: list[Run]) -> Item:
    """Everything ``runs`` say of their paper; fields the item does not give stay empty."""
    item = Item(links=links_of(runs))
    unlinked = [run if not run.href else _LINK_MARK_NEWLINE if run.newline else _LINK_MARK for run in runs]
    used: set[int] = set()

    title_span = _title_span(runs)
    if title_span is not None:
        start, end, item.title = title_span
        item.marked_title = True
        used.update(range(start, end))
        item.name = _listed_name(runs[:start])
    author_span = next(
        (
            (a, b)
            for a, b in _groups(runs, "em")
            if not any(i in used or runs[i].href or runs[i].strong for i in range(a, b))
            and _looks_like_authors(plain(runs[a:b]))
        ),
        None,
    )
    if author_span is not None:
        item.authors, item.authors_truncated = split_authors(plain(runs[author_span[0] : author_span[1]]))
        used.update(range(*author_span))
    underlined = [
        span
        for span in _groups(runs, "underline")
        if not used.intersection(range(*span)) and plain(runs[span[0] : span[1]]) != item.name
    ]
    if underlined:
        item.venue = _venue(plain(runs[underlined[0][0] : underlined[0][1]]))
        used.update(range(*underlined[0]))

    if not item.title:
        _read_unmarked(item, unlinked)
        if item.title and not item.venue:
            return _finish(item, runs, unlinked, after=len(runs))
        return _finish(item, runs, unlinked, after=-1)
    last = max(used) + 1 if used else 0
    return _finish(item, runs, unlinked, after=last)


def _title_span(runs: list[Run]) -> tuple[int, int, str] | None:
    """The title's span and text: the first bold text, else a leading link label that is no tag."""
    for start, end in _groups(runs, "strong"):
        text = clean_title(plain(runs[start:end]))
        if _TWO_LETTERS.search(text) and not _TAGS.match(text):
            return start, end, text
    for index, run in enumerate(runs):
        if run.href:
            end = index
            while end < len(runs) and runs[end].href == run.href:
                end += 1
            label = clean_title(plain(runs[index:end]))
            before = plain(runs[:index]).rstrip(":").strip()
            if label and not _TAGS.match(label) and not label.startswith("[") and len(before.split()) <= 3:
                return index, end, label
            return None
        if run.newline or run.underline:
            continue
    return None


def _listed_name(before: list[Run]) -> str:
    """The name listed before a marked title: ``<u>TinyThink</u>:`` or ``TinyThink:``."""
    underlined = [run.text for run in before if run.underline]
    text = plain(before)
    if underlined:
        return clean_title("".join(underlined))
    if text.endswith(":") and 0 < len(text.split()) <= 3:
        return clean_title(text)
    return ""


def _read_unmarked(item: Item, runs: list[Run]) -> None:
    """Title and authors of an item whose title is not marked: a reference string or a leading title."""
    text = plain([run for run in runs if not run.underline])
    text = text.split("\x00")[0]
    sentences = _sentences(text)
    year_at = next((i for i, sentence in enumerate(sentences) if _BARE_YEAR.match(sentence)), -1)
    if year_at < 0:
        # APA: ``Lee, A., & Chen, B. (2024). Title. Venue.``
        for i, sentence in enumerate(sentences):
            paren = _YEAR_AT_END.search(sentence)
            if paren and i + 1 < len(sentences):
                sentences = [
                    *sentences[:i],
                    sentence[: paren.start()],
                    paren.group(0).strip(),
                    *sentences[i + 1 :],
                ]
                year_at = i + 1
                break
    if year_at >= 1 and year_at + 1 < len(sentences):
        item.authors, item.authors_truncated = split_authors(" ".join(sentences[:year_at]))
        item.year = sentences[year_at].strip("()")
        item.title = clean_title(sentences[year_at + 1])
        item.marked_title = True
        item.venue = _venue(sentences[year_at + 2]) if year_at + 2 < len(sentences) else ""
        return
    lead = text.strip()
    if lead and not item.authors:
        item.title = clean_title(re.split(r"\s[-\u2013\u2014]\s", lead)[0] if len(lead) > 200 else lead)


def _finish(item: Item, runs: list[Run], unlinked: list[Run], after: int) -> Item:
    """Venue and year from what follows the title and authors, else from a badge or a trailing date."""
    if not item.venue and after >= 0:
        rest = plain([run for run in unlinked[after:] if not run.underline])
        venue_text = _venue(rest.split("\x00")[0])
        # A venue is a few words (``EMNLP 2023 Findings``); a sentence after the title is prose.
        item.venue = venue_text if len(venue_text.split()) <= _VENUE_WORDS else ""
    badges = [text for run in runs if run.image and (text := badge_text(run.image))]
    if not item.venue:
        item.venue = next((b for b in badges if _YEAR.search(b) or b.lower() == "arxiv"), "")
    if not item.year:
        item.year = _year_of(item.venue)
    if not item.year:
        tail = plain([run for run in unlinked[max(after, 0) :] if not run.href]).replace("\x00", " ")
        item.year = _year_of(tail) or next((_year_of(b) for b in badges if _year_of(b)), "")
    item.venue = item.venue.replace("\x00", "").strip()
    return item
