"""``slmbib sync``: enrich ``refs/`` from Semantic Scholar and arXiv; batched, paced, cached, resumable.

One run, under ``refs/``' write lock:

1. Every record's lookups are first answered from the cache; only what is
   missing or too old is asked for.
2. Semantic Scholar, cheapest first: batch lookups by identifier, 500 ids a
   request, every id of every record in the first batches (so N ids cost
   ⌈N/500⌉ requests); then, for each record S2 knows by none of its ids
   (none of them at all, or a 404 such as ACM's ``10.5555/…`` DOIs), one title
   match when it has a real title, else one relevance search by the name it
   is listed under (a model name from a table), the year narrowing it.
3. arXiv, in a worker thread alongside step 2 (the services are paced apart,
   so neither waits for the other): ``id_list`` queries of 100 ids for every
   record with an arXiv id, including ids S2 reveals during step 2.
4. Each answer is committed to the cache as it arrives, and every record that
   read that cache entry is recomputed; a record whose answers are all in is
   written then (atomically, only if its file changes).  A record is applied
   from the answers alone, never from the order they came in, so a run killed
   at any point loses nothing it had fetched, and the next run continues from
   there and ends with the same ``refs/`` as an uninterrupted one.
5. At the end, records whose answers never came are marked ``unavailable``,
   records that turned out to be one paper are merged, and the summary is
   returned.  The list's own works (``refs/own/``) are synced like papers but
   saved in their own files and never merged.

A service that cannot be reached or keeps failing is given up at once (see
``pacing``), its records are marked ``unavailable``, everything fetched is
kept, and :attr:`SyncResult.errors` says what failed, naming the service and
the records.  Cache ages: answers for published papers are reused for
``max_age``, those for preprints and papers not found (which change: they get
published, they get indexed) for the shorter ``preprint_max_age``.
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from . import arxiv, s2
from .cache import Cache, Cached, Codec
from .errors import ApiError, SyncFailure, UnknownRecordError, UsageError, printable
from .identity import normalise_title, parse_arxiv_id, plain_title
from .merge import merge_records
from .models import Record
from .pacing import quiet_http_loggers
from .resolve import (
    NOT_APPLICABLE,
    Lookup,
    apply,
    arxiv_fields,
    judge_name_matches,
    judge_title_match,
    name_query,
    s2_fields,
)
from .store import dump_record, load_records, locked, own_path, record_path, require_refs, save_records
from .survey import load_own, save_own

log = logging.getLogger(__name__)

DAY = 86_400.0
DEFAULT_MAX_AGE = 30 * DAY
DEFAULT_PREPRINT_MAX_AGE = 7 * DAY
CACHE_FILE = Path(".slmbib") / "cache.sqlite"
#: How each service's answers are stored: its own converter, so a cached answer is checked as a fresh one.
CODECS = {
    s2.SERVICE: Codec(s2.answer_to_json, s2.answer_from_json),
    arxiv.SERVICE: Codec(arxiv.answer_to_json, arxiv.answer_from_json),
    s2.SEARCH: Codec(s2.search_to_json, s2.search_from_json),
}

#: ``progress(done, total, message)``: records settled so far, records to sync, what just happened.
Progress = Callable[[int, int, str], None]


def default_cache_path(refs: Path) -> Path:
    """``.slmbib/cache.sqlite`` beside ``refs/`` (the project's git-ignored working folder)."""
    return refs.resolve().parent / CACHE_FILE


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


@dataclass
class SyncResult:
    records: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    #: ``(record id, status, reason)`` for every record not resolved.
    unresolved: list[tuple[str, str, str]] = field(default_factory=list)
    #: Ids of the records whose file changed (or, with ``--dry-run``, would change).
    changed: list[str] = field(default_factory=list)
    #: ``id: field: 'old' -> 'new' (source)``: stored values the services replaced with different ones.
    changed_values: list[str] = field(default_factory=list)
    #: ``id: ...``: values kept against a differing remote one (override, .bib, identifiers).
    conflicts: list[str] = field(default_factory=list)
    merged: list[tuple[str, str]] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)
    cache_hits: int = 0
    elapsed: float = 0.0
    #: One per service that failed: its error, and which records it left unsynced.
    errors: list[SyncFailure] = field(default_factory=list)
    #: With ``--dry-run``: a unified diff per record that would change.
    diff: str = ""
    dry_run: bool = False

    def lines(self) -> list[str]:
        counts = ", ".join(
            f"{self.statuses[s]} {s.replace('_', ' ')}"
            for s in ("resolved", "not_found", "ambiguous", "unavailable")
            if self.statuses[s]
        )
        verb = "would change" if self.dry_run else "changed"
        out = [f"records: {self.records} synced: {counts or 'none'}"]
        out.extend(f"{status.replace('_', ' ')}: {rid}: {reason}" for rid, status, reason in self.unresolved)
        out.append(f"{verb}: {len(self.changed)} records")
        out.extend(f"value changed: {line}" for line in self.changed_values)
        out.extend(f"kept: {line}" for line in self.conflicts)
        out.extend(f"merged: {removed} into {kept}" for kept, removed in self.merged)
        sent = ", ".join(f"{service} {count}" for service, count in self.requests.items())
        out.append(f"requests: {sent}; cache hits: {self.cache_hits}; time: {self.elapsed:.1f} s")
        return out


# Messages from the arXiv worker thread to the run.
@dataclass(frozen=True)
class _Answers:
    answers: dict[str, Any]


@dataclass(frozen=True)
class _Failed:
    error: ApiError


_DONE = object()


@dataclass(frozen=True)
class _Settled:
    record: Record
    s2: Lookup
    arxiv: Lookup
    #: The arXiv id still to ask for this record, if any.
    arxiv_missing: str | None


def _arxiv_worker(
    client: arxiv.ArxivClient,
    inbox: queue.Queue[str | None],
    outbox: queue.Queue[object],
    stop: threading.Event,
) -> None:
    """Ask arXiv for the ids put in ``inbox`` (``None`` closes it), in full batches while more may come."""
    pending: list[str] = []
    closed = False
    try:
        while not stop.is_set():
            if not closed and len(pending) < arxiv.IDS_PER_REQUEST:
                item = inbox.get()
                if item is None:
                    closed = True
                else:
                    pending.append(item)
                continue
            if not pending:
                break
            batch, pending = pending[: arxiv.IDS_PER_REQUEST], pending[arxiv.IDS_PER_REQUEST :]
            try:
                outbox.put(_Answers(dict(client.fetch(batch))))
            except ApiError as exc:
                outbox.put(_Failed(exc))
                break
    except Exception as exc:  # a bug must surface in the run, not die silently in its thread
        outbox.put(exc)
    finally:
        outbox.put(_DONE)


def _published(answer: Any) -> bool:
    """Whether an answer shows a peer-reviewed paper; others (preprints, not found) go stale sooner."""
    if isinstance(answer, s2.Paper):
        return s2_fields(answer)[1]
    if isinstance(answer, arxiv.Entry):
        return bool({"journal_ref", "doi"} & arxiv_fields(answer).keys())
    return False


def open_cache(refs: Path, options: SyncOptions) -> Cache:
    """The answer cache the options name (read-only for a dry run)."""
    return Cache(options.cache_path or default_cache_path(refs), CODECS, writable=not options.dry_run)


def s2_client(options: SyncOptions) -> s2.S2Client:
    """Semantic Scholar as the options say: where, with which key, how paced and how patient."""
    return s2.S2Client(
        options.s2_api_url,
        options.s2_api_key,
        interval=options.s2_interval,
        timeout=options.timeout,
        tries=options.tries,
    )


def is_stale(cached: Cached, service: str, options: SyncOptions, now: float, published: bool = False) -> bool:
    """Whether a cached answer is asked again: with ``--refresh``, or when older than its kind keeps."""
    published = published or _published(cached.answer)
    return options.refresh or now - cached.fetched > (
        options.max_age if published else options.preprint_max_age
    )


class _Run:
    def __init__(self, refs: Path, options: SyncOptions, progress: Progress | None) -> None:
        self.refs = refs
        self.options = options
        self.progress = progress
        self.started = time.time()
        self.records = load_records(refs)
        # The list's own works (refs/own/) are synced like papers, but saved in their own files and
        # never merged with one.
        own = {rid: work for rid, work in load_own(refs).items() if rid not in self.records}
        self.own_ids = set(own)
        self.records.update(own)
        self.original = dict(self.records)
        #: What each record file holds now, to write a record only when it changes.
        self.saved = dict(self.records)
        self.written: set[str] = set()
        unknown = [rid for rid in options.only if rid not in self.records]
        if unknown:
            raise UnknownRecordError(unknown[0], f"no record {unknown[0]!r} in {refs}")
        self.targets = list(options.only) or sorted(self.records)
        self.target_set = set(self.targets)
        #: Per failed service: the reason its records give, and the error that ended it.
        self.failed: dict[str, str] = {}
        self.failures: dict[str, ApiError] = {}
        self.finished = False
        self.hits: set[tuple[str, str]] = set()
        #: The records whose outcome is known (every lookup answered, or given up).
        self.settled: set[str] = set()
        #: Which records read which cache entry: an answer stored there concerns exactly these.
        self.readers: dict[tuple[str, str], set[str]] = {}
        self.conflicts: dict[str, list[str]] = {}
        self.queued_arxiv: set[str] = set()
        self.arxiv_done = False
        self.message = ""

    # -- what the cache knows ----------------------------------------------------------------------

    def _fresh(self, reader: str, service: str, key: str, published: bool = False) -> Cached | None:
        """The cached answer for ``key`` unless it is too old (``published`` papers keep longer)."""
        self.readers.setdefault((service, key), set()).add(reader)
        cached = self.cache.get(service, key)
        if cached is None:
            return None
        if cached.fetched < self.started:
            if is_stale(cached, service, self.options, self.started, published):
                return None
            self.hits.add((service, key))
        return cached

    def _waiting(self, service: str) -> Lookup:
        if service in self.failed:
            return Lookup("unavailable", reason=self.failed[service])
        if self.finished:
            return Lookup("unavailable", reason="not asked: the run ended first")
        return Lookup("pending", reason="not asked yet")

    def _s2_state(self, record: Record) -> tuple[Lookup, list[str]]:
        """The S2 lookup of ``record`` as far as the cache knows, and the keys still to ask."""
        keys = s2.record_keys(record.identifiers)
        answers = [(key, self._fresh(record.id, s2.SERVICE, key)) for key in keys]
        found = next((c.answer for _, c in answers if c is not None and c.answer is not None), None)
        if found is not None:
            return Lookup("found", found, "found"), []
        missing = [key for key, c in answers if c is None]
        if missing:
            # S2's own paperId (learned in an earlier sync) names the paper alone; other ids go all
            # together, as asking one id a round would cost a batch request per round.
            return self._waiting(s2.SERVICE), missing[:1] if missing[0].startswith("s2:") else missing
        unknown = f"no paper for {', '.join(keys)}" if keys else "no identifier S2 knows"
        if record.identifiers.get("arxiv"):
            return Lookup("not_found", reason=unknown), []  # arXiv answers for it; no title guessing
        title = record.get("title")
        words = normalise_title(plain_title(record)) if isinstance(title, str) else ""
        if words:
            title_key = s2.title_key(words)
            cached = self._fresh(record.id, s2.SERVICE, title_key)
            if cached is None:
                return self._waiting(s2.SERVICE), [title_key]
            if cached.answer is None:
                return Lookup("not_found", reason=f"{unknown}; no title match"), []
            return judge_title_match(record, cached.answer), []
        # Known only by the name it is listed under (a model name from a table).
        name, year = name_query(record)
        # A row named by the id it was added under (`slmbib add 10.5555/...`) has no name to search by.
        if not normalise_title(name) or any(
            v and v.lower() in name.lower() for v in record.identifiers.values()
        ):
            return Lookup("not_found", reason=f"{unknown}, and no title or name to search by"), []
        name_key = s2.name_key(normalise_title(name), year)
        cached = self._fresh(record.id, s2.SEARCH, name_key)
        if cached is None:
            return self._waiting(s2.SERVICE), [name_key]
        found_by_name = judge_name_matches(record, cached.answer)
        if found_by_name.state != "found":
            return replace(found_by_name, reason=f"{unknown}; {found_by_name.reason}"), []
        return found_by_name, []

    def _arxiv_state(
        self, record_id: str, arxiv_id: str | None, published: bool
    ) -> tuple[Lookup, str | None]:
        if not arxiv_id:
            return NOT_APPLICABLE, None
        parsed = parse_arxiv_id(arxiv_id)
        if parsed is None:
            return Lookup("not_found", reason=f"{arxiv_id!r} is not an arXiv id"), None
        cached = self._fresh(record_id, arxiv.SERVICE, parsed.id, published)
        if cached is None:
            return self._waiting(arxiv.SERVICE), parsed.id
        if isinstance(cached.answer, arxiv.Entry):
            return Lookup("found", cached.answer, "found"), None
        if isinstance(cached.answer, arxiv.Rejected):
            return Lookup("not_found", reason=cached.answer.error), None
        return Lookup("not_found", reason=f"no entry for {parsed.id}"), None

    def _settle(self, record: Record) -> _Settled:
        """Where ``record``'s lookups stand, and once all are answered (or given up), their result."""
        s2_lookup, _ = self._s2_state(record)
        known = record.identifiers.get("arxiv")
        if not known and s2_lookup.state == "found" and isinstance(s2_lookup.answer, s2.Paper):
            known = s2_lookup.answer.identifiers.get("arxiv")
        # A paper S2 shows published keeps its arXiv answer as long as its S2 one.
        published = s2_lookup.state == "found" and _published(s2_lookup.answer)
        arxiv_lookup, arxiv_missing = self._arxiv_state(record.id, known, published)
        if not ((s2_lookup.settled and arxiv_lookup.settled) or self.finished):
            return _Settled(record, s2_lookup, arxiv_lookup, arxiv_missing)  # applied once all are in
        self.settled.add(record.id)
        applied = apply(record, s2_lookup, arxiv_lookup)
        self.conflicts[record.id] = applied.conflicts
        return _Settled(applied.record, s2_lookup, arxiv_lookup, arxiv_missing)

    # -- applying answers --------------------------------------------------------------------------

    def _update(self, record_ids: Iterable[str]) -> None:
        """Recompute the records, queue the arXiv ids they need, and save those whose outcome is known.

        A record is written once its every answer is in (or given up on), so a run writes each
        file at most once; what arrived before a crash is in the cache, and the next run uses it.
        """
        ready = []
        for record_id in sorted(set(record_ids) & self.target_set):
            settled = self._settle(self.records[record_id])
            self.records[record_id] = settled.record
            if record_id in self.settled and settled.record != self.saved[record_id]:
                ready.append(settled.record)
            missing = settled.arxiv_missing
            if missing is not None and missing not in self.queued_arxiv and arxiv.SERVICE not in self.failed:
                self.queued_arxiv.add(missing)
                self.inbox.put(missing)
        self._save(ready)
        if self.progress is not None:
            self.progress(len(self.settled), len(self.targets), self.message)

    def _save(self, records: list[Record], remove: list[str] | None = None) -> None:
        if self.options.dry_run or not (records or remove):
            return
        papers = [record for record in records if not self._is_own(record.id)]
        self.written.update(save_records(self.refs, papers, remove=remove or ()))
        self.written.update(remove or ())
        self.written.update(save_own(self.refs, [record for record in records if self._is_own(record.id)]))
        self.saved.update((record.id, record) for record in records)

    def _is_own(self, record_id: str) -> bool:
        return record_id in self.own_ids

    def _accept(self, service: str, answers: Mapping[str, Any], what: str) -> None:
        """Store answers as they arrive, then update the records that read them."""
        stored = store_answers(self.cache, service, answers)
        self.message = what
        self._update(rid for where, key in stored for rid in self.readers.get((where, key), ()))

    def _fail(self, service: str, error: ApiError) -> None:
        # Stored in refs/ as the records' reason: the server's words, secrets hidden, on one line.
        short = printable(error.message + (f" (HTTP {error.status})" if error.status is not None else ""))
        self.failed[service] = f"unavailable: {short}"
        self.failures[service] = error
        log.debug("%s failed: %s", service, error)

    # -- Semantic Scholar (this thread) -------------------------------------------------------------

    def _s2_plan(self) -> tuple[list[str], dict[str, Record]]:
        """The id keys still to ask S2, and the title and name keys with a record that asks each."""
        by_id: dict[str, None] = {}
        by_text: dict[str, Record] = {}
        for record_id in self.targets:
            record = self.records[record_id]
            if record_id in self.settled:
                continue
            for missing in self._s2_state(record)[1]:
                if missing.startswith(("title:", "name:")):
                    by_text.setdefault(missing, record)
                else:
                    by_id[missing] = None
        return list(by_id), by_text

    def _run_s2(self, client: s2.S2Client) -> None:
        try:
            while True:
                keys, titles = self._s2_plan()
                for start in range(0, len(keys), s2.BATCH_SIZE):
                    chunk = keys[start : start + s2.BATCH_SIZE]
                    self._accept(s2.SERVICE, client.batch(chunk), f"s2: {len(chunk)} ids")
                    self._drain(block=False)
                if keys:
                    continue  # what S2 revealed may leave records to ask by title or name
                for number, (key, record) in enumerate(titles.items(), 1):
                    service, answer = ask_by_text(client, key, record)
                    self._accept(service, {key: answer}, f"s2: search {number}/{len(titles)}")
                    self._drain(block=False)
                return
        except ApiError as exc:
            self._fail(s2.SERVICE, exc)

    # -- arXiv (the worker thread's answers) --------------------------------------------------------

    def _drain(self, *, block: bool) -> None:
        """Apply what the arXiv worker has answered; with ``block``, until it is done."""
        while True:
            try:
                message = self.outbox.get(block=block and not self.arxiv_done)
            except queue.Empty:
                return
            if message is _DONE:
                self.arxiv_done = True
                continue
            if isinstance(message, Exception):
                raise message
            if isinstance(message, _Failed):
                self._fail(arxiv.SERVICE, message.error)
                continue
            assert isinstance(message, _Answers)
            self._accept(arxiv.SERVICE, message.answers, f"arxiv: {len(message.answers)} ids")

    # -- the run -----------------------------------------------------------------------------------

    def run(self) -> SyncResult:
        options = self.options
        self.inbox: queue.Queue[str | None] = queue.Queue()
        self.outbox: queue.Queue[object] = queue.Queue()
        stop = threading.Event()
        with (
            contextlib.closing(open_cache(self.refs, options)) as self.cache,
            contextlib.closing(s2_client(options)) as s2_answers,
            contextlib.closing(
                arxiv.ArxivClient(
                    options.arxiv_api_url,
                    interval=options.arxiv_interval,
                    timeout=options.timeout,
                    tries=options.tries,
                )
            ) as arxiv_client,
        ):
            worker = threading.Thread(
                target=_arxiv_worker,
                args=(arxiv_client, self.inbox, self.outbox, stop),
                name="arxiv",
                daemon=True,
            )
            worker.start()
            interrupted = False
            try:
                self.message = "answers already in the cache"
                self._update(self.targets)
                self._run_s2(s2_answers)
                self.inbox.put(None)
                self._drain(block=True)
            except KeyboardInterrupt:
                # Ctrl-C stops the run now: the worker (a daemon) may be in a Retry-After wait.
                interrupted = True
                raise
            finally:
                stop.set()
                self.inbox.put(None)
                if not interrupted:
                    worker.join(timeout=options.timeout + 1)
            self.finished = True
            return self._finish({s2.SERVICE: s2_answers.requests, arxiv.SERVICE: arxiv_client.requests})

    def _finish(self, requests: dict[str, int]) -> SyncResult:
        result = SyncResult(requests=requests, dry_run=self.options.dry_run, records=len(self.targets))
        unsettled = [rid for rid in self.targets if rid not in self.settled]
        unsynced: dict[str, list[str]] = {service: [] for service in self.failures}
        for record_id in unsettled:  # what was not answered is given up on now
            settled = self._settle(self.records[record_id])
            self.records[record_id] = settled.record
            for service, lookup in ((s2.SERVICE, settled.s2), (arxiv.SERVICE, settled.arxiv)):
                if lookup.state == "unavailable" and service in unsynced:
                    unsynced[service].append(record_id)
        result.errors.extend(
            SyncFailure(error, unsynced[service]) for service, error in self.failures.items()
        )
        papers = [record for record in self.records.values() if not self._is_own(record.id)]
        merged = merge_records(papers, existing=self.original)
        final = {record.id: record for record in merged.records}
        final.update((record_id, self.records[record_id]) for record_id in self.own_ids)
        removed = [gone for _, gone in merged.merged]
        result.merged = merged.merged
        for record_id in self.targets:
            record = final.get(record_id) or self.records[record_id]
            status = record.sync.get("status", "")
            result.statuses[status] += 1
            if status != "resolved":
                result.unresolved.append((record_id, status, record.sync.get("reason", "")))
            result.conflicts.extend(f"{record_id}: {line}" for line in self.conflicts.get(record_id, ()))
            result.changed_values.extend(
                f"{record_id}: {line}" for line in _changed_values(self.original[record_id], record)
            )
        self._save([record for rid, record in final.items() if record != self.saved[rid]], removed)
        if self.options.dry_run:
            diffs = {
                rid: self._diff(rid, final.get(rid))
                for rid in self.original
                if final.get(rid) != self.original[rid]
            }
            result.changed = sorted(rid for rid, diff in diffs.items() if diff)
            result.diff = "".join(diffs[rid] for rid in result.changed)
        else:
            result.changed = sorted(self.written)
        result.cache_hits = len(self.hits)
        result.elapsed = time.time() - self.started
        return result

    def _diff(self, record_id: str, new: Record | None) -> str:
        old = self.original.get(record_id)
        name = str(
            own_path(self.refs, record_id) if self._is_own(record_id) else record_path(self.refs, record_id)
        )
        return "".join(
            difflib.unified_diff(
                dump_record(old).splitlines(keepends=True) if old else [],
                dump_record(new).splitlines(keepends=True) if new else [],
                fromfile=name if old else "/dev/null",
                tofile=name if new else "/dev/null",
            )
        )


def ask_by_text(client: s2.S2Client, key: str, record: Record) -> tuple[str, Any]:
    """S2's answer for a title key (its title match) or a name key (its relevance search), with
    the service it is cached as."""
    if key.startswith("title:"):
        return s2.SERVICE, client.match(str(record.get("title")))
    name, year = name_query(record)
    return s2.SEARCH, client.search(name, year)


def store_answers(cache: Cache, service: str, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Put answers in the cache, every S2 paper in them (a search's candidates too) also under each
    of its ids; returns the ``(service, key)`` entries written."""
    papers = [p for answer in answers.values() for p in (answer if isinstance(answer, list) else [answer])]
    by_service = {service: dict(answers)}
    if service in (s2.SERVICE, s2.SEARCH):
        by_service.setdefault(s2.SERVICE, {}).update(s2.by_keys(p for p in papers if isinstance(p, s2.Paper)))
    now = time.time()
    for where, stored in by_service.items():
        cache.put(where, stored, now)
    return [(where, key) for where, stored in by_service.items() for key in stored]


def _changed_values(old: Record, new: Record) -> list[str]:
    lines = []
    for name, value in new.fields.items():
        before = old.fields.get(name)
        if before is not None and before.value != value.value:
            lines.append(f"{name}: {before.value!r} -> {value.value!r} ({value.source})")
    return lines


def sync(refs: Path, options: SyncOptions | None = None, progress: Progress | None = None) -> SyncResult:
    """Enrich the records of ``refs`` (see the module docstring); returns what happened.

    With ``options.dry_run`` nothing is written (not ``refs/``, not the cache):
    the result's ``diff`` shows what would change.
    """
    options = options or SyncOptions()
    require_refs(refs)  # before the cache beside it is created
    with quiet_http_loggers():
        if options.dry_run:
            return _Run(refs, options, progress).run()
        with locked(refs):
            return _Run(refs, options, progress).run()
