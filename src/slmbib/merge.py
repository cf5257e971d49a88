"""One record per paper: find records that name the same work and unite them.

Identity is decided by strong identifiers (arXiv id, DOI, ACL Anthology id,
OpenReview id, PMLR id, Semantic Scholar paperId/CorpusId) and by the URL of a
paper link.  arXiv's own DOI (``10.48550/arXiv.<id>``) counts as the arXiv id,
so a preprint known by either form is one paper.  Two records whose arXiv ids
differ, or whose (non-arXiv) DOIs differ, are never united, whatever else they
share: a shared paper link between two different papers is a copy-paste
mistake in the list, not an identity.

A real title (a ``title`` field, not a listed model name) of three words or
more is an identity too, compared without case, accents, punctuation, LaTeX
markup or spacing: a preprint and its published version are one paper.  A
title match between records whose first authors' last names differ is not an
identity.  A citation key (pinned or alias) identifies its record together
with the same title, so a ``.bib`` entry imported again is found again.

Merging is blocked by key (a dict from identity key to the records holding
it), so it is linear in the number of records when identifiers agree, and it
is idempotent: merging a merged set changes nothing.  The survivor of a group
is chosen without regard to input order: a record that already existed first,
then one with a pinned citation key, then the smallest id.  The survivor keeps
its key, or takes the first key of the group if it has none (``refs/`` does
not record when a key was pinned, so a key already in ``refs/`` counts as
older than a new one, and between two the better-ranked record's wins); every
other key of the group becomes an alias and is reported as
``old key -> kept key``.

The merged record keeps the best data, not the first: field by field group
(authors; the date; the venue with its volume, pages and DOI), a published
version's data beats a preprint's, a complete author list beats a truncated or
shorter one, and otherwise the better source wins (``manual`` > ``bib`` >
``s2``/``arxiv`` > ``readme``), the survivor breaking ties.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field, replace

from .identity import (
    AUTHOR_FIELDS,
    FIELD_GROUPS,
    SOURCE_RANK,
    arxiv_id_from_doi,
    first_author_family,
    is_published,
    name_key,
    normalise_title,
    paper_url_key,
    plain_title,
    year_in,
)
from .latex import ascii_fold
from .models import Link, LinkRole, Listing, Record, Value
from .names import author_list


def listed_name_key(name: str) -> str:
    """A listed name without case, punctuation or a model-size suffix: ``Alpaca 7B`` ~ ``Alpaca``."""
    return name_key(re.sub(r"\b\d+(\.\d+)?[bm]\b", "", ascii_fold(name).lower()))


#: Titles shorter than this are names (``Alpaca``), not titles.
_TITLE_MIN_WORDS = 3


def normalised_title(record: Record, min_words: int = _TITLE_MIN_WORDS) -> str:
    """The title's words without case, accents, punctuation or LaTeX; '' when the record has no real title.

    By default only titles of three words or more count: shorter ones are names, not titles.
    """
    words = _title_words(record)
    return words if len(words.split()) >= min_words else ""


def _title_words(record: Record) -> str:
    return normalise_title(plain_title(record)) if record.get("title") else ""


def identity_keys(record: Record) -> set[str]:
    """Every key that identifies the paper: two records sharing one are the same paper.

    A work known only by web pages (a blog post, a model card) is identified by
    a page *and* its listed name: lists copy such links from the row above
    (LaMini-LM carries Dolly's), so a page alone proves nothing.
    """
    keys = set()
    for kind, value in record.identifiers.items():
        if not value:
            continue
        if kind == "doi":
            arxiv = arxiv_id_from_doi(value)
            keys.add(f"arxiv:{arxiv}" if arxiv else f"doi:{value.lower()}")
        else:
            keys.add(f"{kind}:{value}")
    papers = record.links_with_role(LinkRole.PAPER)
    keys.update(f"url:{paper_url_key(url)}" for url in papers)
    if not papers and not record.identifiers:
        names = {listed_name_key(listing.name) for listing in record.listings} - {""}
        keys.update(f"web:{paper_url_key(link.url)}|{name}" for link in record.links for name in names)
        if not record.links:
            keys.update(f"name:{name}" for name in names)
    words = _title_words(record)  # the slowest part: done once for both keys
    if len(words.split()) >= _TITLE_MIN_WORDS:
        keys.add(f"{_TITLE}{words}")
    # A .bib entry imported again is that record again: same key and same title.  A key
    # alone proves nothing, as two bibliographies may give one key to two papers.  A title
    # without a word in Latin letters (中文标题) is compared as written.
    full_title = (words if words.split() else "") or " ".join(str(record.get("title") or "").lower().split())
    if not full_title and "bib_fields" in record.fields:
        # An untitled entry is known by everything it says.
        said = json.dumps(record.fields["bib_fields"].value, ensure_ascii=False)
        full_title = "entry:" + hashlib.sha1(said.encode()).hexdigest()
    if full_title:
        keys.update(f"citekey:{key.lower()}|{full_title}" for key in (record.key, *record.aliases) if key)
    return keys


_TITLE = "title:"


def _distinct_ids(record: Record) -> dict[str, str]:
    """The identifiers of which a paper has exactly one: a difference in any proves two papers."""
    ids = {}
    doi = record.identifiers.get("doi", "")
    arxiv = record.identifiers.get("arxiv") or arxiv_id_from_doi(doi)
    if arxiv:
        ids["arxiv"] = arxiv
    if doi and not arxiv_id_from_doi(doi):
        ids["doi"] = doi.lower()
    return ids


def conflict(a: Record, b: Record) -> bool:
    """True when ``a`` and ``b`` cannot be one paper.

    Two overrides that disagree on a field are the maintainer saying two things: uniting
    the records would lose one of them, so they stay apart.
    """
    ids_a, ids_b = _distinct_ids(a), _distinct_ids(b)
    if any(ids_a[kind] != ids_b[kind] for kind in ids_a.keys() & ids_b.keys()):
        return True
    return any(a.override[name] != b.override[name] for name in a.override.keys() & b.override.keys())


#: Entry types of a part of a book, and of the book: a chapter carries its book's DOI.
_PART_TYPES = frozenset({"incollection", "inbook", "inproceedings", "inreference", "bookinbook", "suppbook"})
_WHOLE_TYPES = frozenset({"book", "mvbook", "collection", "mvcollection", "proceedings", "mvproceedings"})
_WHOLE_TYPES |= {"reference", "mvreference", "periodical"}


def _titles_differ(a: Record, b: Record) -> bool:
    """Both records have a title and neither title is the other's (or its start, before a subtitle)."""
    title_a, title_b = normalised_title(a, min_words=1), normalised_title(b, min_words=1)
    if not title_a or not title_b or title_a == title_b:
        return False
    shorter, longer = sorted((title_a, title_b), key=len)
    return not longer.startswith(shorter + " ")


def _bib_type(record: Record) -> str:
    return str(record.get("bib_type") or "").lower()


def doi_contradicted(a: Record, b: Record) -> bool:
    """A shared DOI that cannot make ``a`` and ``b`` one work: titles differ, or a chapter and its book."""
    types = {_bib_type(a), _bib_type(b)}
    return _titles_differ(a, b) or bool(types & _PART_TYPES and types & _WHOLE_TYPES)


def _years_differ(a: Record, b: Record) -> bool:
    """Whether one title names two papers by their years.

    Known years must agree, and two entries of .bib files must both have one: a
    bibliography's undated entry of a known title is often its chapter or reprint.
    An arXiv preprint may be older than its published version, never younger.
    """
    year_a, year_b = _year(a), _year(b)
    if year_a and year_a == year_b:
        return False
    if not year_a or not year_b:
        return "bib_type" in a.fields and "bib_type" in b.fields
    (early, _), (late, _) = sorted(((a, year_a), (b, year_b)), key=lambda pair: pair[1])
    return not (_is_arxiv_preprint(early) and not _is_arxiv_preprint(late))


def _is_arxiv_preprint(record: Record) -> bool:
    return bool(_distinct_ids(record).get("arxiv")) and not is_published(record)


def _year(record: Record) -> int:
    return year_in(record.get("year") or record.get("date")) or 0


#: Keys that are Semantic Scholar's word alone: one wrong answer could give two papers the same.
_S2_KEYS = ("s2:", "corpus_id:")


def _agree_beyond_s2(a: Record, b: Record) -> bool:
    """Whether ``a`` and ``b`` share an identity (a title, an identifier) other than S2's own ids."""
    shared = identity_keys(a) & identity_keys(b)
    return any(not key.startswith(_S2_KEYS) for key in shared)


def may_unite(key: str, a: Record, b: Record) -> bool:
    """Whether sharing identity ``key`` makes ``a`` and ``b`` one paper."""
    if conflict(a, b):
        return False
    if key.startswith(_TITLE):
        return not _other_authors(a, b) and not _years_differ(a, b)
    if key.startswith(("doi:", "url:")):
        return not doi_contradicted(a, b)
    if key.startswith(_S2_KEYS):
        return _agree_beyond_s2(a, b)
    return True


def _first_author(record: Record) -> str:
    return name_key(first_author_family(record))


def _other_authors(a: Record, b: Record) -> bool:
    """True when both records name a first author and the two differ: one title, two papers."""
    first_a, first_b = _first_author(a), _first_author(b)
    return bool(first_a and first_b and first_a != first_b)


def _rank(value: Value) -> int:
    return SOURCE_RANK.get(value.source, 0)


def _completeness(record: Record, group: tuple[str, ...]) -> tuple[int, ...]:
    if group == AUTHOR_FIELDS:
        return (not record.get("authors_truncated"), len(author_list(record.get("authors"))))
    return (sum(name in record.fields for name in group),)


def _better_side(kept: Record, other: Record, group: tuple[str, ...]) -> Record:
    """The record whose values of ``group`` the merged record takes."""
    if not any(name in other.fields for name in group):
        return kept
    if not any(name in kept.fields for name in group):
        return other
    if group != AUTHOR_FIELDS and is_published(kept) != is_published(other):
        return kept if is_published(kept) else other

    def score(record: Record) -> tuple[tuple[int, ...], int]:
        main = next(record.fields[name] for name in group if name in record.fields)
        return (_completeness(record, group), _rank(main))

    return other if score(other) > score(kept) else kept


def best_fields(kept: Record, other: Record) -> dict[str, Value]:
    """The fields of the merged record; see the module docstring."""
    fields: dict[str, Value] = {}
    grouped = {name for group in FIELD_GROUPS for name in group}
    for group in FIELD_GROUPS:
        side = _better_side(kept, other, group)
        fields.update({name: side.fields[name] for name in group if name in side.fields})
    for name in sorted((kept.fields.keys() | other.fields.keys()) - grouped):
        mine, theirs = kept.fields.get(name), other.fields.get(name)
        if mine is None or (theirs is not None and _rank(theirs) > _rank(mine)):
            fields[name] = theirs  # type: ignore[assignment]
        else:
            fields[name] = mine
    return fields


def _bib_fields_union(kept: Value, other: Value) -> Value:
    """Two .bib entries of one work: every field either gave, the kept entry's value first."""
    pairs = [list(pair) for pair in kept.value]
    names = {str(pair[0]).lower() for pair in pairs}
    pairs += [list(pair) for pair in other.value if str(pair[0]).lower() not in names]
    return Value(pairs, kept.source)


def _union(first: Iterable[object], second: Iterable[object]) -> list[object]:
    seen: list[object] = []
    for item in (*first, *second):
        if item not in seen:
            seen.append(item)
    return seen


def combine(kept: Record, other: Record) -> Record:
    """``kept`` enriched with what ``other`` knows: the union of both, the best data of each."""
    identifiers = {**other.identifiers, **kept.identifiers}
    fields = best_fields(kept, other)
    ours, theirs = kept.fields.get("bib_fields"), other.fields.get("bib_fields")
    if ours is not None and theirs is not None and fields.get("bib_fields") is ours:
        fields["bib_fields"] = _bib_fields_union(ours, theirs)
    elif ours is not None and theirs is not None:
        fields["bib_fields"] = _bib_fields_union(theirs, ours)
    override = {**other.override, **kept.override}
    links = tuple(link for link in _union(kept.links, other.links) if isinstance(link, Link))
    listings = tuple(sorted(set(kept.listings) | set(other.listings), key=Listing.sort_key))
    key = kept.key or other.key
    aliases = [alias for alias in _union(kept.aliases, other.aliases) if isinstance(alias, str)]
    if other.key and other.key != key and other.key not in aliases:
        aliases.append(other.key)
    return replace(
        kept,
        identifiers=identifiers,
        fields=fields,
        override=override,
        links=links,
        listings=listings,
        key=key,
        aliases=tuple(aliases),
        sync=kept.sync or other.sync,
    )


def _blocks(key: str, author: str) -> list[str]:
    """Where a record holding ``key``, by first author ``author``, is filed: a title also under that author.

    One title shared by many papers of different first authors (``Introduction``,
    ``Editorial``) would otherwise compare every record with every other one.
    """
    if not key.startswith(_TITLE):
        return [key]
    return [key, f"{key}|{author}"]


def _candidates(by_key: dict[str, list[int]], key: str, author: str) -> list[int]:
    """The records filed under ``key`` that a record by first author ``author`` may be one paper with."""
    if not key.startswith(_TITLE) or not author:
        return by_key.get(key, [])
    return [*by_key.get(f"{key}|", []), *by_key.get(f"{key}|{author}", [])]


class _Filing:
    """A record's identity keys and first author, worked out once for every pass of a merge.

    A record that a pass left alone is the same object in the next pass.  Each
    entry holds its record, so the id() it is found by cannot be another's.
    """

    def __init__(self) -> None:
        self._known: dict[int, tuple[Record, list[str], str]] = {}

    def __call__(self, record: Record) -> tuple[list[str], str]:
        known = self._known.get(id(record))
        if known is None:
            known = (record, sorted(identity_keys(record)), _first_author(record))
            self._known[id(record)] = known
        return known[1], known[2]


@dataclass
class MergeResult:
    records: list[Record]
    #: (kept id, removed id) for every record that was united into another; '' names a new record.
    merged: list[tuple[str, str]] = field(default_factory=list)
    #: (old key, kept key) for every pinned key that became an alias.
    rekeyed: list[tuple[str, str]] = field(default_factory=list)
    #: Where each of ``records`` (its survivor) stood in the input: new records have no id to tell them.
    origins: list[int] = field(default_factory=list)
    #: ``merged`` as (kept, removed) positions in the input, in the same order.
    united: list[tuple[int, int]] = field(default_factory=list)


def merge_records(records: Iterable[Record], existing: Collection[str] = ()) -> MergeResult:
    """Unite the records that are one paper; ``existing`` names ids already in refs/.

    Records not yet named (id ``''``) rank after named ones of the same standing, among
    themselves in input order.  A united record can match what none of its parts matched
    (the years of a title are the group's best date): passes repeat until one unites
    nothing, so merging a merged set changes nothing.
    """
    given = list(records)

    def order(pair: tuple[int, int]) -> tuple[str, int, str, int]:
        kept, gone = pair
        return (given[kept].id, kept, given[gone].id, gone)

    filing = _Filing()
    survivors, origins, united, rekeyed = _merge_pass(given, list(range(len(given))), existing, filing)
    # A pass that unites nothing leaves the records as they were: another would unite nothing
    # either (an export of a merged refs/ paid for two passes).
    while united:
        again_survivors, again_origins, again, more = _merge_pass(survivors, origins, existing, filing)
        if not again:
            break
        survivor = {gone: kept for kept, gone in again}
        united = sorted([(survivor.get(kept, kept), gone) for kept, gone in united] + again, key=order)
        survivors, origins = again_survivors, again_origins
        rekeyed += more
    return MergeResult(
        records=survivors,
        merged=[(given[kept].id, given[gone].id) for kept, gone in united],
        rekeyed=rekeyed,
        origins=origins,
        united=united,
    )


def _merge_pass(
    records: list[Record], origins: list[int], existing: Collection[str], filing: _Filing
) -> tuple[list[Record], list[int], list[tuple[int, int]], list[tuple[str, str]]]:
    """One pass: the survivors and their origins, the (kept, removed) origins united, the aliased keys."""

    def rank(index: int) -> tuple[bool, bool, str, int]:
        # A record already in refs/ survives (its file keeps its name), then one with a key.
        record = records[index]
        return (record.id not in existing, not record.key, record.id, origins[index])

    order = sorted(range(len(records)), key=rank)
    ordered = [records[index] for index in order]
    ordered_origins = [origins[index] for index in order]
    parent = list(range(len(ordered)))
    group = list(ordered)
    members = [[index] for index in range(len(ordered))]
    # Every record holding a key, not just the first: when the first holder cannot be
    # united with a later one (two arXiv ids), two later holders may still be one paper.
    by_key: dict[str, list[int]] = {}

    def find(index: int) -> int:
        while parent[index] != index:
            parent[index] = parent[parent[index]]
            index = parent[index]
        return index

    for index, record in enumerate(ordered):
        keys, author = filing(record)
        for key in keys:
            for holder in _candidates(by_key, key, author):
                mine, theirs = find(index), find(holder)
                if mine == theirs or not may_unite(key, group[mine], group[theirs]):
                    continue
                # The better-ranked group (lower index) survives, whichever record arrived first.
                kept, gone = min(mine, theirs), max(mine, theirs)
                parent[gone] = kept
                group[kept] = combine(group[kept], group[gone])
                members[kept].extend(members[gone])
            for block in _blocks(key, author):
                by_key.setdefault(block, []).append(index)
    roots = [index for index in range(len(ordered)) if find(index) == index]

    def removed(root: int) -> list[int]:
        return sorted(members[root][1:], key=lambda index: (ordered[index].id, ordered_origins[index]))

    united = [
        (ordered_origins[members[root][0]], ordered_origins[other])
        for root in roots
        for other in removed(root)
    ]
    rekeyed = [
        (ordered[other].key, group[root].key)
        for root in roots
        for other in removed(root)
        if ordered[other].key and ordered[other].key != group[root].key
    ]
    return [group[root] for root in roots], [ordered_origins[root] for root in roots], united, rekeyed
