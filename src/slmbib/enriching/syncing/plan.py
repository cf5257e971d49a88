"""What a sync asks, given the records and the cache: pure functions over what the cache holds.

For each record, :func:`standing` says where its two lookups stand (S2 and
arXiv: found, not found, ambiguous, given up on, or still to ask), which keys
are still to ask, and which cache entries it read (so that an answer stored
there later recomputes exactly the records that read it).  The cache is read
through a function handed in, and an answer older than its kind keeps
(:func:`is_stale`) counts as missing.  :func:`s2_requests` gathers what the
unsettled records still need from S2: the id keys to batch, and the title and
name keys with a record that asks each.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ...errors import ApiError, UnknownRecordError, UsageError, printable
from ...identity import normalise_title, parse_arxiv_id, plain_title
from ...models import Record
from .. import arxiv, s2
from ..answers import Entry, Paper, Rejected
from ..cache import Cached
from ..resolve import (
    NOT_APPLICABLE,
    Lookup,
    arxiv_fields,
    judge_name_matches,
    judge_title_match,
    name_query,
    s2_fields,
)

DAY = 86_400.0
DEFAULT_MAX_AGE = 30 * DAY
DEFAULT_PREPRINT_MAX_AGE = 7 * DAY

#: ``read(service, key)``: what the cache holds for a key, whatever its age.
Reader = Callable[[str, str], Cached | None]
#: A cache entry: ``(service, key)``.
Slot = tuple[str, str]


@dataclass(frozen=True)
class SyncOptions:
    s2_api_url: str = s2.DEFAULT_API_URL
    arxiv_api_url: str = arxiv.DEFAULT_API_URL
    #: Sent as ``x-api-key`` and nowhere else; kept out of ``repr`` so no log or traceback shows it.
    s2_api_key: str | None = field(default=None, repr=False)
    cache_path: Path | None = None
    max_age: float = DEFAULT_MAX_AGE
    preprint_max_age: float = DEFAULT_PREPRINT_MAX_AGE
    refresh: bool = False
    dry_run: bool = False
    s2_interval: float = 1.0
    arxiv_interval: float = arxiv.MIN_INTERVAL
    timeout: float = 30.0
    tries: int = 5
    #: Sync only these record ids (all records when empty).
    only: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # arXiv's terms of use; a stand-in server (tests, a mirror) may be asked faster.
        if arxiv.is_public_service(self.arxiv_api_url) and self.arxiv_interval < arxiv.MIN_INTERVAL:
            raise UsageError(f"arXiv asks for {arxiv.MIN_INTERVAL:g} s or more between requests")


@dataclass(frozen=True)
class Plan:
    """What one run sets out to do: fixed when it starts."""

    refs: Path
    options: SyncOptions
    #: When the run started: answers fetched since are this run's own, never stale.
    started: float
    #: The records to sync, in the order they are reported.
    targets: tuple[str, ...]
    #: The list's own works (``refs/own/``): synced like papers, saved in their own files, never merged.
    own_ids: frozenset[str]
    #: Every record as the run found it.
    original: Mapping[str, Record]

    @classmethod
    def start(
        cls,
        refs: Path,
        options: SyncOptions,
        started: float,
        records: Mapping[str, Record],
        own_ids: Iterable[str],
    ) -> Plan:
        unknown = [rid for rid in options.only if rid not in records]
        if unknown:
            raise UnknownRecordError(unknown[0], f"no record {unknown[0]!r} in {refs}")
        targets = tuple(options.only) or tuple(sorted(records))
        return cls(refs, options, started, targets, frozenset(own_ids), dict(records))


@dataclass(frozen=True)
class Standing:
    """Where one record's lookups stand, what is still to ask for it, and what it read to know."""

    s2: Lookup
    arxiv: Lookup
    #: The arXiv id still to ask, if any (the S2 keys still to ask are :func:`s2_missing`'s).
    arxiv_missing: str | None
    #: Every cache entry read; an answer stored in one of them changes this standing.
    reads: frozenset[Slot]
    #: The entries answered from an earlier run's cache.
    hits: frozenset[Slot]

    @property
    def settled(self) -> bool:
        """Whether both services have answered (or the cache holds fresh answers)."""
        return self.s2.settled and self.arxiv.settled


def is_published_answer(answer: Any) -> bool:
    """Whether an answer shows a peer-reviewed paper; others (preprints, not found) go stale sooner."""
    if isinstance(answer, Paper):
        return s2_fields(answer)[1]
    if isinstance(answer, Entry):
        return bool({"journal_ref", "doi"} & arxiv_fields(answer).keys())
    return False


def is_stale(cached: Cached, options: SyncOptions, now: float, published: bool = False) -> bool:
    """Whether a cached answer is asked again: with ``--refresh``, or when older than its kind keeps."""
    published = published or is_published_answer(cached.answer)
    return options.refresh or now - cached.fetched > (
        options.max_age if published else options.preprint_max_age
    )


def unavailable_reason(error: ApiError) -> str:
    """The reason the records of a failed service give, stored in ``refs/``: the server's words,
    secrets hidden, on one line."""
    return "unavailable: " + printable(
        error.message + (f" (HTTP {error.status})" if error.status is not None else "")
    )


class _Reading:
    """The cache as one standing sees it: fresh answers only, every entry read noted."""

    def __init__(self, read: Reader, plan: Plan) -> None:
        self._read = read
        self._plan = plan
        self.reads: set[Slot] = set()
        self.hits: set[Slot] = set()

    def fresh(self, service: str, key: str, published: bool = False) -> Cached | None:
        """The cached answer for ``key`` unless it is too old (``published`` papers keep longer)."""
        self.reads.add((service, key))
        cached = self._read(service, key)
        if cached is None:
            return None
        if cached.fetched < self._plan.started:
            if is_stale(cached, self._plan.options, self._plan.started, published):
                return None
            self.hits.add((service, key))
        return cached


def _waiting(service: str, gave_up: Mapping[str, str], finished: bool) -> Lookup:
    if service in gave_up:
        return Lookup("unavailable", reason=gave_up[service])
    if finished:
        return Lookup("unavailable", reason="not asked: the run ended first")
    return Lookup("pending", reason="not asked yet")


def _s2_lookup(record: Record, cache: _Reading, waiting: Lookup) -> tuple[Lookup, list[str]]:
    """The S2 lookup of ``record`` as far as the cache knows, and the keys still to ask."""
    keys = s2.record_keys(record.identifiers)
    answers = [(key, cache.fresh(s2.SERVICE, key)) for key in keys]
    found = next((c.answer for _, c in answers if c is not None and c.answer is not None), None)
    if found is not None:
        return Lookup("found", found, "found"), []
    missing = [key for key, c in answers if c is None]
    if missing:
        # S2's own paperId (learned in an earlier sync) names the paper alone; other ids go all
        # together, as asking one id a round would cost a batch request per round.
        return waiting, missing[:1] if missing[0].startswith("s2:") else missing
    unknown = f"no paper for {', '.join(keys)}" if keys else "no identifier S2 knows"
    if record.identifiers.get("arxiv"):
        return Lookup("not_found", reason=unknown), []  # arXiv answers for it; no title guessing
    title = record.get("title")
    words = normalise_title(plain_title(record)) if isinstance(title, str) else ""
    if words:
        title_key = s2.title_key(words)
        cached = cache.fresh(s2.SERVICE, title_key)
        if cached is None:
            return waiting, [title_key]
        if cached.answer is None:
            return Lookup("not_found", reason=f"{unknown}; no title match"), []
        return judge_title_match(record, cached.answer), []
    # Known only by the name it is listed under (a model name from a table).
    name, year = name_query(record)
    # A row named by the id it was added under (`slmbib add 10.5555/...`) has no name to search by.
    if not normalise_title(name) or any(v and v.lower() in name.lower() for v in record.identifiers.values()):
        return Lookup("not_found", reason=f"{unknown}, and no title or name to search by"), []
    name_key = s2.name_key(normalise_title(name), year)
    cached = cache.fresh(s2.SEARCH, name_key)
    if cached is None:
        return waiting, [name_key]
    found_by_name = judge_name_matches(record, cached.answer)
    if found_by_name.state != "found":
        return replace(found_by_name, reason=f"{unknown}; {found_by_name.reason}"), []
    return found_by_name, []


def _arxiv_lookup(
    arxiv_id: str | None, published: bool, cache: _Reading, waiting: Lookup
) -> tuple[Lookup, str | None]:
    if not arxiv_id:
        return NOT_APPLICABLE, None
    parsed = parse_arxiv_id(arxiv_id)
    if parsed is None:
        return Lookup("not_found", reason=f"{arxiv_id!r} is not an arXiv id"), None
    cached = cache.fresh(arxiv.SERVICE, parsed.id, published)
    if cached is None:
        return waiting, parsed.id
    if isinstance(cached.answer, Entry):
        return Lookup("found", cached.answer, "found"), None
    if isinstance(cached.answer, Rejected):
        return Lookup("not_found", reason=cached.answer.error), None
    return Lookup("not_found", reason=f"no entry for {parsed.id}"), None


def s2_missing(
    record: Record, read: Reader, plan: Plan, gave_up: Mapping[str, str]
) -> tuple[list[str], frozenset[Slot], frozenset[Slot]]:
    """The S2 keys still to ask for ``record``, the cache entries read to know, and the hits among them."""
    cache = _Reading(read, plan)
    _, missing = _s2_lookup(record, cache, _waiting(s2.SERVICE, gave_up, False))
    return missing, frozenset(cache.reads), frozenset(cache.hits)


def standing(
    record: Record, read: Reader, plan: Plan, gave_up: Mapping[str, str], finished: bool = False
) -> Standing:
    """Where ``record``'s lookups stand; ``gave_up`` gives the reason of each service given up on,
    and once the run is ``finished`` what was not asked is unavailable."""
    cache = _Reading(read, plan)
    s2_lookup, _ = _s2_lookup(record, cache, _waiting(s2.SERVICE, gave_up, finished))
    known = record.identifiers.get("arxiv")
    if not known and s2_lookup.state == "found" and isinstance(s2_lookup.answer, Paper):
        known = s2_lookup.answer.identifiers.get("arxiv")
    # A paper S2 shows published keeps its arXiv answer as long as its S2 one.
    published = s2_lookup.state == "found" and is_published_answer(s2_lookup.answer)
    waiting = _waiting(arxiv.SERVICE, gave_up, finished)
    arxiv_lookup, arxiv_missing = _arxiv_lookup(known, published, cache, waiting)
    return Standing(
        s2_lookup,
        arxiv_lookup,
        arxiv_missing,
        frozenset(cache.reads),
        frozenset(cache.hits),
    )


def s2_requests(missing: Iterable[tuple[Record, Iterable[str]]]) -> tuple[list[str], dict[str, Record]]:
    """From each unsettled record and its missing S2 keys: the id keys to batch, and the title and
    name keys, each with the (first) record that asks it."""
    by_id: dict[str, None] = {}
    by_text: dict[str, Record] = {}
    for record, keys in missing:
        for key in keys:
            if key.startswith(("title:", "name:")):
                by_text.setdefault(key, record)
            else:
                by_id[key] = None
    return list(by_id), by_text
