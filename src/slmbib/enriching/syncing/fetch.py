"""The paced fetch loop: what a sync asks the services, and the cache it commits their answers to.

Semantic Scholar is asked in the caller's thread (:func:`ask_s2`: batches of
up to 500 ids, else one title match or name search a record), arXiv in a
worker thread alongside (:class:`ArxivWorker`: ``id_list`` queries of up to
100 ids, in full batches while more may come); the services are paced apart,
so neither waits for the other.  Both hand back what they heard as messages:
an :class:`Arrival` (answers by key) or a :class:`Failure` (the service is
given up on).  :func:`store_answers` commits an arrival to the cache.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...errors import ApiError
from ...models import Record
from .. import arxiv, s2
from ..answers import Paper
from ..cache import Cache, Codec
from ..resolve import name_query
from .plan import SyncOptions

CACHE_FILE = Path(".slmbib") / "cache.sqlite"
#: How each service's answers are stored: its own converter, so a cached answer is checked as a fresh one.
CODECS = {
    s2.SERVICE: Codec(s2.answer_to_json, s2.answer_from_json),
    arxiv.SERVICE: Codec(arxiv.answer_to_json, arxiv.answer_from_json),
    s2.SEARCH: Codec(s2.search_to_json, s2.search_from_json),
}


@dataclass(frozen=True)
class Arrival:
    """Answers from one request, by key, and a few words on what was asked (for progress)."""

    service: str
    answers: Mapping[str, Any]
    what: str


@dataclass(frozen=True)
class Failure:
    """A service given up on: the error that ended it."""

    service: str
    error: ApiError


def default_cache_path(refs: Path) -> Path:
    """``.slmbib/cache.sqlite`` beside ``refs/`` (the project's git-ignored working folder)."""
    return refs.resolve().parent / CACHE_FILE


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


def arxiv_client(options: SyncOptions) -> arxiv.ArxivClient:
    """arXiv as the options say: where, how paced and how patient."""
    return arxiv.ArxivClient(
        options.arxiv_api_url,
        interval=options.arxiv_interval,
        timeout=options.timeout,
        tries=options.tries,
    )


def ask_by_text(client: s2.S2Client, key: str, record: Record) -> tuple[str, Any]:
    """S2's answer for a title key (its title match) or a name key (its relevance search), with
    the service it is cached as."""
    if key.startswith("title:"):
        return s2.SERVICE, client.match(str(record.get("title")))
    name, year = name_query(record)
    return s2.SEARCH, client.search(name, year)


def ask_s2(client: s2.S2Client, ids: list[str], texts: Mapping[str, Record]) -> Iterator[Arrival | Failure]:
    """One round of S2 requests: the id keys in batches or, when there are none, each title or name
    key; a :class:`Failure` ends the round."""
    try:
        for start in range(0, len(ids), s2.BATCH_SIZE):
            chunk = ids[start : start + s2.BATCH_SIZE]
            yield Arrival(s2.SERVICE, client.batch(chunk), f"s2: {len(chunk)} ids")
        if ids:
            return  # what S2 revealed may leave other records to ask by title or name
        for number, (key, record) in enumerate(texts.items(), 1):
            service, answer = ask_by_text(client, key, record)
            yield Arrival(service, {key: answer}, f"s2: search {number}/{len(texts)}")
    except ApiError as exc:
        yield Failure(s2.SERVICE, exc)


def store_answers(cache: Cache, service: str, answers: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Put answers in the cache, every S2 paper in them (a search's candidates too) also under each
    of its ids; returns the ``(service, key)`` entries written."""
    papers = [p for answer in answers.values() for p in (answer if isinstance(answer, list) else [answer])]
    by_service = {service: dict(answers)}
    if service in (s2.SERVICE, s2.SEARCH):
        by_service.setdefault(s2.SERVICE, {}).update(s2.by_keys([p for p in papers if isinstance(p, Paper)]))
    now = time.time()
    for where, stored in by_service.items():
        cache.put(where, stored, now)
    return [(where, key) for where, stored in by_service.items() for key in stored]


_DONE = object()


class ArxivWorker:
    """arXiv asked in a thread of its own: :meth:`ask` queues an id, :meth:`arrivals` hands back
    what it answered."""

    def __init__(self, client: arxiv.ArxivClient, timeout: float) -> None:
        self._client = client
        self._timeout = timeout
        self._inbox: queue.Queue[str | None] = queue.Queue()
        self._outbox: queue.Queue[object] = queue.Queue()
        self._stop = threading.Event()
        self._asked: set[str] = set()
        self._done = False
        self._thread = threading.Thread(target=self._work, name="arxiv", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def ask(self, arxiv_id: str) -> None:
        """Queue ``arxiv_id`` unless it was asked for already."""
        if arxiv_id not in self._asked:
            self._asked.add(arxiv_id)
            self._inbox.put(arxiv_id)

    def no_more(self) -> None:
        """No more ids will come: the last batch goes out, however short."""
        self._inbox.put(None)

    def stop(self, *, wait: bool) -> None:
        """Stop asking; with ``wait``, until the request under way ends (Ctrl-C does not wait: the
        thread, a daemon, may be in a Retry-After wait)."""
        self._stop.set()
        self._inbox.put(None)
        if wait:
            self._thread.join(timeout=self._timeout + 1)

    def arrivals(self, *, block: bool) -> Iterator[Arrival | Failure]:
        """What arXiv has answered so far; with ``block``, everything until the worker is done."""
        while True:
            try:
                message = self._outbox.get(block=block and not self._done)
            except queue.Empty:
                return
            if message is _DONE:
                self._done = True
                continue
            if isinstance(message, Exception):
                raise message  # a bug in the thread surfaces in the run
            assert isinstance(message, Arrival | Failure)
            yield message

    def _work(self) -> None:
        """Ask for the queued ids (``None`` closes the queue), in full batches while more may come."""
        pending: list[str] = []
        closed = False
        try:
            while not self._stop.is_set():
                if not closed and len(pending) < arxiv.IDS_PER_REQUEST:
                    item = self._inbox.get()
                    if item is None:
                        closed = True
                    else:
                        pending.append(item)
                    continue
                if not pending:
                    break
                batch, pending = pending[: arxiv.IDS_PER_REQUEST], pending[arxiv.IDS_PER_REQUEST :]
                try:
                    answers = dict(self._client.fetch(batch))
                except ApiError as exc:
                    self._outbox.put(Failure(arxiv.SERVICE, exc))
                    break
                self._outbox.put(Arrival(arxiv.SERVICE, answers, f"arxiv: {len(answers)} ids"))
        except Exception as exc:  # a bug must surface in the run, not die silently in its thread
            self._outbox.put(exc)
        finally:
            self._outbox.put(_DONE)
