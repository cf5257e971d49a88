"""Citation keys: made once, pinned in the record, changed only by ``slmbib rekey``.

A key is ``<family><year><word>``: the first author's last name, the year and
the first significant word of the title, folded to lower-case ASCII letters and
digits (``lin2024mobilellm``).  A record with no authors yet (listed but never
synced) gets ``<word><year>`` from its listed name (``mobilellm2024``).  When
two records would get one key, the later one in survey order gets a letter
suffix (``a``, ``b``, ... ``z``, ``aa``, ...).

A key once pinned is never reused by another record, not even after a rekey:
old keys stay in ``Record.aliases`` so that documents citing them can be found
(and biblatex's ``ids`` field keeps them working).  Keys are compared without
case, as BibTeX and biber warn about keys that differ only in case.

Keys written by people (a ``.bib`` import, a hand edit of ``refs/``) are kept as
they are if :func:`check_key` accepts them: characters that bibtex, biber or
Zotero mishandle (braces, commas, quotes, ``#``, ``%``, spaces, ...) are refused.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from ..errors import KeyClashError, UnknownRecordError
from ..identity import first_author_family, name_key, plain_title, record_year
from ..latex import ascii_fold
from ..models import Record

#: Characters bibtex, biber and Zotero all accept in a key (DBLP's ``DBLP:conf/x/Y20`` included).
_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_:./+-]{0,99}$")

# Words skipped when looking for the title's first significant word.
_STOPWORDS = frozenset(
    {"a", "an", "the", "on", "of", "in", "for", "to", "and", "or", "with", "without", "towards", "toward"}
    | {"via", "from", "by", "at", "as", "is", "are", "be", "do", "does", "can", "how", "what", "when"}
    | {"where", "which", "who", "why", "your", "our", "we", "you", "all", "not", "into", "over", "under"}
)
_TITLE_WORD = re.compile(r"[a-z0-9]+(?:['-][a-z0-9]+)*")


def check_key(key: str) -> str:
    """Return ``key`` if bibtex, biber and Zotero all read it unchanged, else raise KeyClashError."""
    if not _SAFE_KEY.match(key):
        raise KeyClashError("", f"unsafe citation key {key!r}")
    return key


def significant_word(title: str) -> str:
    """The first title word that is not a stop word, as lower-case ASCII."""
    words = _TITLE_WORD.findall(ascii_fold(title).lower())
    for word in words:
        if word not in _STOPWORDS:
            return name_key(word)
    return name_key(words[0]) if words else ""


def base_key(record: Record) -> str:
    """The key the rules give ``record`` before any clash suffix."""
    family = name_key(first_author_family(record))
    year = str(record_year(record) or "")
    word = significant_word(plain_title(record))
    key = f"{family}{year}{word}" if family else f"{word}{year}"
    if not key or not key[0].isalpha():
        key = "ref" + key
    return key


def _suffixes() -> Iterable[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    yield from letters
    for first in letters:
        for second in letters:
            yield first + second


def unique_key(base: str, taken: set[str]) -> str:
    """``base``, or ``base`` with the first suffix no other key (or alias) uses."""
    if base.lower() not in taken:
        return base
    for suffix in _suffixes():
        if (base + suffix).lower() not in taken:
            return base + suffix
    raise KeyClashError("", f"no free citation key for {base!r}")


def taken_keys(records: Iterable[Record]) -> set[str]:
    """Every pinned key and alias, lower-cased."""
    return {key.lower() for record in records for key in (record.key, *record.aliases) if key}


def survey_order(records: Iterable[Record]) -> list[Record]:
    """Records in the order the newest paper list gives them; unlisted ones last, by id.

    A record keeps its place from the newest list that names it, so an entry
    added to the survey lands where the survey puts it.
    """
    records = list(records)
    sources = sorted({listing.source for record in records for listing in record.listings})
    rank = {source: len(sources) - index for index, source in enumerate(sources)}

    def position(record: Record) -> tuple[int, int, str]:
        places = [(rank[listing.source], listing.line) for listing in record.listings]
        first = min(places) if places else (len(sources) + 1, 0)
        return (*first, record.id)

    return sorted(records, key=position)


@dataclass(frozen=True)
class KeyChange:
    """A key given to a record: ``old`` is '' when the record had none."""

    record_id: str
    old: str
    new: str


def assign_keys(records: Mapping[str, Record]) -> tuple[dict[str, Record], list[KeyChange]]:
    """Pin a key on every record that has none; pinned keys are left alone.

    Returns all records (changed ones replaced) and the keys given, in survey order.
    """
    check_pinned(records.values())
    taken = taken_keys(records.values())
    result = dict(records)
    given: list[KeyChange] = []
    for record in survey_order(records.values()):
        if record.key:
            continue
        key = unique_key(base_key(record), taken)
        taken.add(key.lower())
        result[record.id] = replace(record, key=key)
        given.append(KeyChange(record.id, "", key))
    return result, given


def rekey(records: Mapping[str, Record], targets: Iterable[str]) -> tuple[dict[str, Record], list[KeyChange]]:
    """Give the records named in ``targets`` (by id or current key) a fresh key from their data now.

    The old key becomes an alias, so no other record can take it later.
    Raises UnknownRecordError naming a target that matches no record.
    """
    by_name = {record.id: record for record in records.values()}
    by_name |= {record.key.lower(): record for record in records.values() if record.key}
    chosen = []
    for target in targets:
        found = by_name.get(target) or by_name.get(target.lower())
        if found is None:
            raise UnknownRecordError(target, f"no record has the id or citation key {target!r}")
        chosen.append(found)
    taken = taken_keys(records.values())
    result = dict(records)
    changes = []
    for record in survey_order({record.id: record for record in chosen}.values()):
        own = {key.lower() for key in (record.key, *record.aliases) if key}
        key = unique_key(base_key(record), taken - own)
        if key.lower() == record.key.lower():
            continue
        taken.add(key.lower())
        # The record may take back one of its own old keys; every other old key stays an alias.
        aliases = tuple(a for a in (*record.aliases, record.key) if a and a.lower() != key.lower())
        result[record.id] = replace(record, key=key, aliases=aliases)
        changes.append(KeyChange(record.id, record.key, key))
    return result, changes


def check_pinned(records: Iterable[Record]) -> None:
    """Raise :class:`KeyClashError` for an unsafe pinned key or one claimed twice."""
    owners: dict[str, str] = {}
    for record in sorted(records, key=lambda r: r.id):
        for key in (record.key, *record.aliases):
            if not key:
                continue
            if not _SAFE_KEY.match(key):
                raise KeyClashError(record.id, f"unsafe citation key {key!r}", key=key)
            owner = owners.setdefault(key.lower(), record.id)
            if owner != record.id:
                raise KeyClashError(
                    record.id,
                    f"citation key {key!r} is also claimed by record {owner!r}",
                    other_id=owner,
                    key=key,
                )
