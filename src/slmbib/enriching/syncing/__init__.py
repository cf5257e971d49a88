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

The parts, each called from here and calling only downwards: ``plan`` (pure:
where each record's lookups stand given the cache, and what is still to ask),
``fetch`` (the clients, the arXiv worker thread, the cache answers are
committed to) and ``apply`` (answers into records, saving, merging, the
summary).  :func:`sync` takes the S2 and arXiv clients to ask, so that a
caller can send their requests through any ``httpx`` transport.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from ...store import load_records, locked, require_refs
from ...survey import load_own
from .. import arxiv, s2
from ..arxiv import ArxivClient
from ..cache import Cache
from ..pacing import quiet_http_loggers
from ..s2 import S2Client
from . import apply, fetch, plan
from .apply import SyncResult
from .plan import SyncOptions

__all__ = ["Progress", "SyncOptions", "SyncResult", "sync"]

log = logging.getLogger(__name__)

#: ``progress(done, total, message)``: records settled so far, records to sync, what just happened.
Progress = Callable[[int, int, str], None]


class _Run:
    """One run's parts: its plan, its state, the cache, arXiv's worker, and whom to tell progress."""

    def __init__(
        self,
        the_plan: plan.Plan,
        state: apply.State,
        cache: Cache,
        worker: fetch.ArxivWorker,
        progress: Progress | None,
    ) -> None:
        self.plan = the_plan
        self.state = state
        self.cache = cache
        self.worker = worker
        self.progress = progress

    def settle(self, record_id: str, *, finished: bool = False) -> plan.Standing:
        """Recompute one record from the cache (applied once its answers are all in); its standing."""
        state = self.state
        record = state.records[record_id]
        standing = plan.standing(record, self.cache.get, self.plan, state.gave_up, finished)
        state.note_reads(record_id, standing.reads, standing.hits)
        state.records[record_id] = apply.settle(state, record, standing, finished=finished)
        return standing

    def update(self, record_ids: Iterable[str], message: str) -> None:
        """Recompute the records, queue the arXiv ids they need, and save those whose outcome is known.

        A record is written once its every answer is in (or given up on), so a run writes each
        file at most once; what arrived before a crash is in the cache, and the next run uses it.
        """
        state = self.state
        ready = []
        for record_id in sorted(set(record_ids) & set(self.plan.targets)):
            standing = self.settle(record_id)
            record = state.records[record_id]
            if record_id in state.settled and record != state.saved[record_id]:
                ready.append(record)
            if standing.arxiv_missing is not None and arxiv.SERVICE not in state.failures:
                self.worker.ask(standing.arxiv_missing)
        apply.save(self.plan, state, ready)
        if self.progress is not None:
            self.progress(len(state.settled), len(self.plan.targets), message)

    def receive(self, message: fetch.Arrival | fetch.Failure) -> None:
        """Commit answers to the cache as they arrive and update the records that read them; or
        give a failed service up."""
        if isinstance(message, fetch.Failure):
            self.state.failures[message.service] = message.error
            log.debug("%s failed: %s", message.service, message.error)
            return
        stored = fetch.store_answers(self.cache, message.service, message.answers)
        readers = self.state.readers
        self.update((rid for slot in stored for rid in readers.get(slot, ())), message.what)

    def drain(self, *, block: bool) -> None:
        """Take in what arXiv has answered; with ``block``, until it is done."""
        for message in self.worker.arrivals(block=block):
            self.receive(message)

    def ask_s2(self, client: S2Client) -> None:
        """Ask S2 until no unsettled record needs it (what S2 reveals may raise new questions)."""
        while s2.SERVICE not in self.state.failures:
            missing = []
            for record_id in self.plan.targets:
                if record_id not in self.state.settled:
                    record = self.state.records[record_id]
                    keys, reads, hits = plan.s2_missing(record, self.cache.get, self.plan, self.state.gave_up)
                    self.state.note_reads(record_id, reads, hits)
                    missing.append((record, keys))
            ids, texts = plan.s2_requests(missing)
            for message in fetch.ask_s2(client, ids, texts):
                self.receive(message)
                if isinstance(message, fetch.Arrival):
                    self.drain(block=False)
            if not ids:
                return

    def finish(self, requests: dict[str, int]) -> SyncResult:
        """Give up on what was not answered, then merge, save and sum up."""
        state = self.state
        left = [record_id for record_id in self.plan.targets if record_id not in state.settled]
        standings = {record_id: self.settle(record_id, finished=True) for record_id in left}
        result = SyncResult(
            requests=requests, dry_run=self.plan.options.dry_run, records=len(self.plan.targets)
        )
        result.errors.extend(apply.unsynced(state.failures, standings))
        apply.finish(self.plan, state, result)
        result.elapsed = time.time() - self.plan.started
        return result


def _run(
    refs: Path,
    options: SyncOptions,
    progress: Progress | None,
    s2_client: S2Client | None,
    arxiv_client: ArxivClient | None,
) -> SyncResult:
    started = time.time()
    records = load_records(refs)
    # The list's own works (refs/own/) are synced like papers, but saved in their own files and
    # never merged with one.
    own = {rid: work for rid, work in load_own(refs).items() if rid not in records}
    records.update(own)
    the_plan = plan.Plan.start(refs, options, started, records, own)
    state = apply.State(records=dict(records), saved=dict(records))
    with contextlib.ExitStack() as opened:
        cache = opened.enter_context(contextlib.closing(fetch.open_cache(refs, options)))
        # Clients the caller hands in are the caller's to close.
        if s2_client is None:
            s2_client = opened.enter_context(contextlib.closing(fetch.s2_client(options)))
        if arxiv_client is None:
            arxiv_client = opened.enter_context(contextlib.closing(fetch.arxiv_client(options)))
        before = {s2.SERVICE: s2_client.requests, arxiv.SERVICE: arxiv_client.requests}
        worker = fetch.ArxivWorker(arxiv_client, options.timeout)
        run = _Run(the_plan, state, cache, worker, progress)
        worker.start()
        interrupted = False
        try:
            run.update(the_plan.targets, "answers already in the cache")
            run.ask_s2(s2_client)
            worker.no_more()
            run.drain(block=True)
        except KeyboardInterrupt:
            # Ctrl-C stops the run now: the worker (a daemon) may be in a Retry-After wait.
            interrupted = True
            raise
        finally:
            worker.stop(wait=not interrupted)
        requests = {s2.SERVICE: s2_client.requests, arxiv.SERVICE: arxiv_client.requests}
        return run.finish({service: sent - before[service] for service, sent in requests.items()})


def sync(
    refs: Path,
    options: SyncOptions | None = None,
    progress: Progress | None = None,
    *,
    s2: S2Client | None = None,
    arxiv: ArxivClient | None = None,
) -> SyncResult:
    """Enrich the records of ``refs`` (see the module docstring); returns what happened.

    With ``options.dry_run`` nothing is written (not ``refs/``, not the cache):
    the result's ``diff`` shows what would change.  ``s2`` and ``arxiv`` are the
    clients to ask (built from ``options`` when not given; one given is left open).
    """
    options = options or SyncOptions()
    require_refs(refs)  # before the cache beside it is created
    with quiet_http_loggers():
        if options.dry_run:
            return _run(refs, options, progress, s2, arxiv)
        with locked(refs):
            return _run(refs, options, progress, s2, arxiv)
