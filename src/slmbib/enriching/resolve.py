"""What the services' answers mean for a record: pure functions, no I/O.

* :func:`judge_title_match` decides whether S2's title match is the record's
  paper.  Title-only matching is where peer tools wrote wrong papers into
  users' files, and wrong data is worse than missing data, so a match is
  accepted only when the normalised titles agree closely, the first author's
  family name agrees (when the record knows one), the year is within one (when
  the record knows it) and no identifier contradicts the record's.
* :func:`judge_name_matches` picks, among S2's relevance search results for a
  row known only by a name (``LaMini-LM``, ``QLoRA``), the paper that name
  heads or stands in as whole words, from the listed year or one off.  A name
  of plain words (``Orca``, ``Alpaca``, ``Gravity hill``) heads many titles,
  so it is taken only from a title that begins ``Name:``; two papers that
  qualify alike are ambiguous, never a guess.
* :func:`remote_fields` turns an S2 paper and an arXiv entry (the checked
  objects of ``s2`` and ``arxiv``) into record fields with provenance.  When
  S2 shows a peer-reviewed venue (a journal or conference venue, or a DOI
  that is not arXiv's) the record takes that venue and entry type and keeps
  its arXiv id; otherwise a paper with an arXiv id is a preprint.
* :func:`apply` merges those fields into a record.  Its result depends only on
  the record's own (non-remote) data and the answers, never on the order in
  which answers arrived, so an interrupted sync that resumes from its cache
  ends exactly where an uninterrupted one does.

Merge policy, field by field:

* ``override`` is the maintainer's: never changed; a remote value that differs
  is reported as a conflict.
* Values from a ``.bib`` or entered by hand (``bib``, ``manual``) are kept, with
  the rest of their group (:data:`slmbib.identity.FIELD_GROUPS`), and differing remote values
  reported; ``readme`` values give way to remote ones.
* A value from a service that could not be asked in this run is kept as it is.
* A value from a service that answered but no longer gives it is removed.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ..identity import (
    DATE_FIELDS,
    FIELD_GROUPS,
    KEPT_SOURCES,
    REMOTE_SOURCES,
    family_name,
    first_author_family,
    is_arxiv_doi,
    is_preprint_venue,
    is_published,
    name_key,
    normalise_title,
    plain_title,
    record_year,
)
from ..latex import ascii_fold
from ..models import Provenance, Record, SyncStatus, Value
from .answers import Entry, Paper

#: Titles at least this similar (0..1, after normalisation) are the same title.
SAME_TITLE = 0.9
#: Below this, S2's best match is plainly another paper; between the two it is ambiguous.
OTHER_TITLE = 0.75
#: A title of fewer words is a name ("Phi-2", "Alpaca"), too short to search for safely.
MIN_TITLE_WORDS = 3
_COINED = re.compile(r"[A-Z].*[A-Z]|\w-\w|[A-Za-z]\d|\d[A-Za-z]")
_MODEL_SIZE = re.compile(r"\d+(?:\.\d+)?[BbMmKk]")

State = Literal["found", "not_found", "ambiguous", "unavailable", "pending", "none"]


@dataclass(frozen=True)
class Lookup:
    """Where one service stands on one record: its state, the answer when found, and why."""

    state: State
    answer: Paper | Entry | None = None
    reason: str = ""

    @property
    def settled(self) -> bool:
        """Whether the service gave its answer in this run (or the cache holds a fresh one)."""
        return self.state not in ("pending", "unavailable")


NOT_APPLICABLE = Lookup("none")


@dataclass(frozen=True)
class Applied:
    """A record after :func:`apply`, with what to report about it."""

    record: Record
    #: Values kept against a differing remote one (override, bib, identifiers).
    conflicts: list[str] = field(default_factory=list)


# -- titles and names ---------------------------------------------------------------------------


def title_similarity(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, normalise_title(a), normalise_title(b)).ratio()


def searchable_title(record: Record) -> str | None:
    """The record's title if it is long enough to search S2 by, else None."""
    title = record.title
    return title if len(normalise_title(plain_title(record)).split()) >= MIN_TITLE_WORDS else None


def _words(text: str) -> list[str]:
    """Whitespace-separated words, case and accents folded, punctuation trimmed from their ends only:
    ``QA-LoRA:`` is ``qa-lora``, never ``lora``."""
    words = (re.sub(r"^\W+|\W+$", "", word) for word in ascii_fold(text).lower().split())
    return [word for word in words if word]


def is_plain_word_name(name: str) -> bool:
    """Whether a name is ordinary words (``Orca``, ``Gravity hill``, ``Llama 3.2``, ``Alpaca 7B``),
    not a coined one (``QLoRA``, ``PEQA``, ``LaMini-LM``, ``FlanT5``): a coined word has two capitals,
    a hyphen inside, or letters and digits together; versions and model sizes are not coined."""
    return not any(_COINED.search(word) and not _MODEL_SIZE.fullmatch(word) for word in name.split())


def _names_it(name: str, title: str) -> str:
    """How ``title`` names ``name``: ``heads`` (its first words), ``holds`` (whole words inside), or ''."""
    ours, theirs = _words(name), _words(title)
    if not ours:
        return ""
    plain = is_plain_word_name(name)
    if theirs[: len(ours)] == ours:
        # Plain words head many titles ("Alpaca against Vicuna"); a method's own paper says "Name: ...".
        heading = r"\W+".join(map(re.escape, name.split()))
        return "heads" if not plain or re.match(rf"\s*{heading}\s*:", title, re.IGNORECASE) else ""
    runs = (theirs[i : i + len(ours)] for i in range(1, len(theirs) - len(ours) + 1))
    return "holds" if not plain and ours in runs else ""


def name_query(record: Record) -> tuple[str, int | None]:
    """What a record known only by a name is searched by: the listed name, and the year when known."""
    return record.title, record_year(record)


def judge_name_matches(record: Record, papers: Sequence[Paper]) -> Lookup:
    """The paper among S2's search results that the record's name stands for, if one does."""
    name, year = name_query(record)
    heads: list[Paper] = []
    holds: list[Paper] = []
    for paper in papers:
        its_year = paper.year
        if year is not None and (its_year is None or abs(its_year - year) > 1):
            continue
        how = _names_it(name, paper.title)
        if how:
            (heads if how == "heads" else holds).append(paper)
    best = heads or holds
    listed = repr(name) + (f" ({year})" if year is not None else "")
    if len(best) == 1:
        return Lookup("found", best[0], "found")
    if best:
        named = "; ".join(f"{p.title!r} ({p.year})" for p in best[:3])
        return Lookup("ambiguous", reason=f"several papers are named {listed}: {named}")
    plain = " (plain words: only a title 'Name: ...' is taken)" if is_plain_word_name(name) else ""
    first = f"; S2's first result is {papers[0].title!r}" if papers else ""
    return Lookup("not_found", reason=f"no paper's title names {listed}{plain}{first}")


def _conflicting_ids(record: Record, paper: Paper) -> list[str]:
    revealed = paper.identifiers
    return [
        f"{kind} {revealed[kind]} (the record has {record.identifiers[kind]})"
        for kind in ("arxiv", "doi")
        if kind in revealed
        and record.identifiers.get(kind)
        and record.identifiers[kind].lower() != revealed[kind].lower()
    ]


def judge_title_match(record: Record, paper: Paper) -> Lookup:
    """Accept S2's title match for ``record`` only if nothing speaks against it."""
    title = paper.title
    similarity = title_similarity(plain_title(record), title)
    if similarity < OTHER_TITLE:
        return Lookup("not_found", reason=f"S2's closest title is another paper: {title!r}")
    if similarity < SAME_TITLE:
        return Lookup("ambiguous", reason=f"S2's closest title is similar, not the same: {title!r}")
    conflicts = _conflicting_ids(record, paper)
    if conflicts:
        return Lookup("ambiguous", reason=f"S2's title match has {conflicts[0]}")
    known = record.get("authors")
    theirs = paper.authors
    if isinstance(known, list) and known and theirs:
        ours, its = name_key(first_author_family(record)), name_key(family_name(theirs[0]))
        if ours and its and ours != its:
            return Lookup("ambiguous", reason=f"S2's title match is by {theirs[0]!r}, not {known[0]!r}")
    year, its_year = record_year(record), paper.year
    if year is not None and its_year is not None and abs(year - its_year) > 1:
        return Lookup("ambiguous", reason=f"S2's title match is from {its_year}, the list says {year}")
    return Lookup("found", paper, "found")


# -- answers to fields --------------------------------------------------------------------------


def _date_fields(date: str, year: int | None) -> dict[str, Any]:
    found = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", date)
    if found:
        return {"year": int(found.group(1)), "month": int(found.group(2)), "date": date}
    return {"year": year} if year is not None else {}


def s2_fields(paper: Paper) -> tuple[dict[str, Any], bool]:
    """Field values from an S2 paper, and whether S2 shows it peer-reviewed."""
    values: dict[str, Any] = {"title": paper.title, "authors": list(paper.authors)}
    values.update(_date_fields(paper.date, paper.year))
    types = list(paper.publication_types)
    if types:
        values["publication_types"] = types
    kind = paper.venue_type.lower()
    if kind not in ("journal", "conference"):
        kind = "conference" if "Conference" in types else "journal" if "JournalArticle" in types else ""
    # A journal's full name is in ``journal.name`` (``venue`` is often abbreviated); a conference's
    # ``journal.name`` is a proceedings series or empty, so its ``venue`` comes first.
    names = [paper.venue_name, paper.venue, paper.journal_name]
    if kind == "journal":
        names[1:] = names[2], names[1]
    venue = next((name for name in names if name and not is_preprint_venue(name)), "")
    doi = paper.identifiers.get("doi", "")
    if doi and not is_arxiv_doi(doi):
        values["doi"] = doi
    peer_reviewed = bool(venue and kind) or "doi" in values
    if not peer_reviewed:
        return {k: v for k, v in values.items() if v not in ("", [])}, False
    if venue:
        values["venue"] = venue
    if kind:
        values["venue_type"] = kind
    if kind == "conference":
        values["entry_type"] = "inproceedings"
        values["booktitle"] = venue
    elif kind == "journal" or venue:
        values["entry_type"] = "article"
        values["journal"] = venue
        values["volume"] = paper.journal_volume
    else:
        values["entry_type"] = "misc"
    values["pages"] = paper.journal_pages
    return {k: v for k, v in values.items() if v not in ("", [], None)}, True


def arxiv_fields(entry: Entry) -> dict[str, Any]:
    """Field values from an arXiv entry."""
    values: dict[str, Any] = {"title": entry.title, "authors": list(entry.authors)}
    values.update(_date_fields(entry.published, None))
    values.update(
        doi=entry.doi,
        url=f"https://arxiv.org/abs/{entry.id}",
        arxiv_version=entry.version,
        arxiv_primary_class=entry.primary_class,
        journal_ref=entry.journal_ref,
    )
    return {k: v for k, v in values.items() if v not in ("", [], None)}


def remote_fields(
    s2: Paper | None, arxiv: Entry | None, has_arxiv: bool, preprint: bool = False
) -> dict[str, Value]:
    """The fields both answers give together, each from the service that knows it best.

    Title and dates come from S2 for a peer-reviewed paper (the published
    version) and from arXiv for a preprint, or for any paper whose record is
    kept as one (``preprint``: its venue was set by hand); authors from arXiv
    (full given names); venue fields from S2; version, category and
    journal_ref from arXiv.
    """
    from_s2, published = s2_fields(s2) if s2 is not None else ({}, False)
    published = published and not preprint
    from_arxiv = arxiv_fields(arxiv) if arxiv is not None else {}
    s2_source, arxiv_source = Provenance.S2, Provenance.ARXIV
    sources = {s2_source: from_s2, arxiv_source: from_arxiv}
    first = (s2_source, arxiv_source) if published else (arxiv_source, s2_source)
    fields: dict[str, Value] = {}

    def take(names: tuple[str, ...], order: tuple[Provenance, ...]) -> None:
        # A group comes whole from one source, so that year and date never disagree.
        for source in order:
            if names[0] in sources[source]:
                for name in names:
                    if name in sources[source]:
                        fields[name] = Value(sources[source][name], source)
                return

    take(("title",), first)
    take(("authors",), (arxiv_source, s2_source))
    take(DATE_FIELDS, first)
    take(("doi",), (s2_source, arxiv_source))
    for name in ("venue", "venue_type", "entry_type", "journal", "booktitle", "volume", "pages"):
        take((name,), (s2_source,))
    take(("publication_types",), (s2_source,))
    for name in ("url", "arxiv_version", "arxiv_primary_class", "journal_ref"):
        take((name,), (arxiv_source,))
    if "entry_type" not in fields and (s2 is not None or arxiv is not None):
        kind = "preprint" if has_arxiv else "misc"
        fields["entry_type"] = Value(kind, arxiv_source if arxiv is not None else s2_source)
    return fields


# -- merging into the record --------------------------------------------------------------------


def _show(value: Any) -> str:
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    return repr(text if len(text) <= 80 else text[:77] + "...")


def _learn_identifiers(record: Record, paper: Paper, conflicts: list[str]) -> dict[str, str]:
    identifiers = dict(record.identifiers)
    for kind, value in paper.identifiers.items():
        if kind == "doi" and is_arxiv_doi(value):
            continue  # arXiv's DOI is its id in disguise; a published DOI may come later
        if kind not in identifiers:
            identifiers[kind] = value
        elif identifiers[kind].lower() != value.lower():
            conflicts.append(f"identifier {kind}: kept {identifiers[kind]!r}, s2 says {value!r}")
    return identifiers


def status(s2: Lookup, arxiv: Lookup) -> SyncStatus:
    """The record's ``sync`` entry: resolved, not_found, ambiguous or unavailable, and why."""
    services = ((Provenance.S2, s2), (Provenance.ARXIV, arxiv))
    asked = [(name, lookup) for name, lookup in services if lookup.state != "none"]
    states = {lookup.state for _, lookup in asked}
    if states & {"unavailable", "pending"}:
        outcome = "unavailable"
    elif "found" in states:
        outcome = "resolved"
    elif "ambiguous" in states:
        outcome = "ambiguous"
    else:
        outcome = "not_found"
    reason = "; ".join(f"{name}: {lookup.reason}" for name, lookup in asked if lookup.reason)
    return SyncStatus(outcome, reason)


def apply(record: Record, s2: Lookup, arxiv: Lookup) -> Applied:
    """Merge the answers into ``record`` by the policy of the module docstring."""
    conflicts: list[str] = []
    paper = s2.answer if s2.state == "found" and isinstance(s2.answer, Paper) else None
    identifiers = (
        _learn_identifiers(record, paper, conflicts) if paper is not None else dict(record.identifiers)
    )
    entry = arxiv.answer if arxiv.state == "found" and isinstance(arxiv.answer, Entry) else None
    fields = dict(record.fields)
    kept_groups = {
        name
        for group in FIELD_GROUPS
        if any(name in fields and fields[name].source in KEPT_SOURCES for name in group)
        for name in group
    }
    # A venue kept as a preprint's makes the entry the preprint: its date is the preprint's too.
    kept_preprint = "entry_type" in kept_groups and not is_published(record)
    remote = remote_fields(paper, entry, bool(identifiers.get("arxiv")), preprint=kept_preprint)
    settled = {name for name, lookup in ((Provenance.S2, s2), (Provenance.ARXIV, arxiv)) if lookup.settled}
    for name in sorted(set(remote) | {n for n, v in fields.items() if v.source in REMOTE_SOURCES}):
        new, old = remote.get(name), fields.get(name)
        if name in record.override:
            if new is not None and new.value != record.override[name]:
                conflicts.append(f"{name}: kept the override, {new.source} says {_show(new.value)}")
        elif old is not None and old.source in KEPT_SOURCES:
            if new is not None and old.value != new.value:
                kept = f"{_show(old.value)} ({old.source})"
                conflicts.append(f"{name}: kept {kept}, {new.source} says {_show(new.value)}")
        elif old is not None and old.source in REMOTE_SOURCES and old.source not in settled:
            continue  # that service was not heard from in this run
        elif new is None or name in kept_groups:
            if old is not None and old.source in REMOTE_SOURCES:
                del fields[name]
        else:
            fields[name] = new
    truncated, authors = fields.get("authors_truncated"), fields.get("authors")
    if truncated and truncated.source == Provenance.README and authors and authors.source in REMOTE_SOURCES:
        del fields["authors_truncated"]  # the services give the whole author list
    updated = replace(record, identifiers=identifiers, fields=fields, sync=status(s2, arxiv))
    return Applied(updated, conflicts)
