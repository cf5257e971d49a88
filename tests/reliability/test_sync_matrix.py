"""The sync fault matrix: every fault the services can give, arriving in the middle of a run and lasting.

tests/test_sync_faults.py shows that a fault passing once leaves no trace and
that a service failing from its first request is reported.  Here each fault
comes *after* the service has answered once, and stays: Semantic Scholar has
answered the batch of arXiv ids when its title matches start failing; arXiv
has answered its first 100 ids when the next request starts failing.

For every fault: the run ends with the correct result or with one line naming
the service and the records left unsynced; refs/ loads; every record answered
before the fault keeps exactly what an undisturbed run gives it; and once the
service is well again, a rerun ends where an undisturbed run ends.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from slmbib.enriching.syncing import sync
from slmbib.models import Record
from slmbib.store import load_records

from ..replay_server import ReplayServer, synthetic_corpus
from ..sync_corpus import make_refs, options, record
from ..test_sync_faults import TRANSIENT
from .harness import snapshot

ARXIV_RECORDS = 103  # one more request than the first full one of 100 ids
TITLE_RECORDS = 3
UNKNOWN = "arxiv-2301.99999"  # an id neither service knows, asked first

_LEVELS = b"".join(b' <!ENTITY lol%d "%s">\n' % (n, b"&lol%d;" % (n - 1) * 10) for n in range(1, 10))
BILLION_LAUGHS = (  # 10**9 "lol"s once expanded
    b'<?xml version="1.0"?>\n<!DOCTYPE feed [\n <!ENTITY lol0 "lol">\n'
    + _LEVELS
    + b']>\n<feed xmlns="http://www.w3.org/2005/Atom"><title>&lol9;</title></feed>\n'
)
EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?>\n<!DOCTYPE feed [<!ENTITY secret SYSTEM "file:///etc/passwd">]>\n'
    b'<feed xmlns="http://www.w3.org/2005/Atom"><title>&secret;</title></feed>\n'
)

ARXIV_FAULTS: list[tuple[str, dict[str, Any]]] = [
    ("empty_feed", {}),
    ("error_entry", {}),
    ("raw", {"body": BILLION_LAUGHS, "content_type": "application/atom+xml"}),
    ("raw", {"body": EXTERNAL_ENTITY, "content_type": "application/atom+xml"}),
]
# arXiv faults that are answers: after asking once more, slmbib believes them.
ANSWERS = {"empty_feed", "error_entry"}
# What a failing service can send, for both services: the faults test_sync_faults lets pass once.
CASES = [("s2", *case) for case in TRANSIENT] + [("arxiv", *case) for case in TRANSIENT + ARXIV_FAULTS]


_SHOWN = {id(BILLION_LAUGHS): "billion-laughs", id(EXTERNAL_ENTITY): "external-entity"}


def _case_id(value: Any) -> str:
    if isinstance(value, dict):
        shown = {k: _SHOWN.get(id(v), v) for k, v in value.items() if k != "content_type"}
        return "-".join(f"{k}={v}" for k, v in shown.items()) or "plain"
    return str(value)


def _records() -> list[Record]:
    papers = synthetic_corpus(ARXIV_RECORDS + TITLE_RECORDS)
    records = [record(f"arxiv-{p.arxiv_id}", f"Model {n}", arxiv=p.arxiv_id) for n, p in enumerate(papers)]
    records = records[:ARXIV_RECORDS]
    records += [
        record(f"name-{n}", f"Method {n}", title=paper.title)
        for n, paper in enumerate(papers[ARXIV_RECORDS:])
    ]
    records.append(record(UNKNOWN, "Ghost", arxiv=UNKNOWN.removeprefix("arxiv-")))
    return records


def _server() -> ReplayServer:
    server = ReplayServer()
    server.add_synthetic(ARXIV_RECORDS + TITLE_RECORDS)
    return server


def _sync_options(server: ReplayServer, cache: Path, **changes: Any) -> Any:
    # Two tries (not five) keep every lasting fault short; retrying itself is tested elsewhere.
    return options(server, cache, tries=2, timeout=0.5, **changes)


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    folder = tmp_path_factory.mktemp("undisturbed")
    with _server() as server:
        refs = make_refs(folder, _records())
        result = sync(refs, _sync_options(server, folder / "cache.sqlite"))
    assert not result.errors
    assert result.statuses == {"resolved": ARXIV_RECORDS + TITLE_RECORDS, "not_found": 1}
    files = snapshot(refs)
    known = [name for name in files if name.startswith("papers/arxiv-24")]
    assert all(_fields_from("s2", files[name]) and _fields_from("arxiv", files[name]) for name in known)
    return files


@pytest.fixture
def server() -> Iterator[ReplayServer]:
    with _server() as started:
        yield started


def _inject_after_first_answer(server: ReplayServer, service: str, fault: str, extra: dict[str, Any]) -> None:
    """Queue a lasting fault for every request to ``service`` after its first one."""
    if service == "s2":
        # The batch of arXiv ids goes first; every title match after it fails.
        server.inject("s2", fault, times=1000, path_contains="/search/match", **extra)
        return
    # Faults are served in the order queued: a delay of nothing lets the first request through.
    server.inject("arxiv", "slow", delay=0)
    server.inject("arxiv", fault, times=1000, **extra)


def _answered_first(server: ReplayServer, service: str) -> list[str]:
    """The record files whose ids the service's first request asked for (from the server's log)."""
    asked = next(request for request in server.requests if request.service == service)
    if service == "s2":
        ids = [str(i).removeprefix("ARXIV:") for i in asked.body["ids"]]
    else:
        ids = asked.query["id_list"].split(",")
    return [f"papers/arxiv-{i}.yaml" for i in ids]


def _fields_from(service: str, snapshot_text: bytes) -> list[str]:
    """The lines of a record file that carry a value from ``service`` (value and source lines)."""
    lines = snapshot_text.decode().splitlines()
    return [f"{lines[n - 1]}\n{line}" for n, line in enumerate(lines) if line.strip() == f"source: {service}"]


@pytest.mark.parametrize(("service", "fault", "extra"), CASES, ids=_case_id)
def test_a_lasting_fault_mid_run_keeps_what_came_before_it(
    server: ReplayServer,
    undisturbed: dict[str, bytes],
    tmp_path: Path,
    service: str,
    fault: str,
    extra: dict[str, Any],
) -> None:
    refs = make_refs(tmp_path, _records())
    cache = tmp_path / "cache.sqlite"
    _inject_after_first_answer(server, service, fault, extra)
    result = sync(refs, _sync_options(server, cache))

    records = load_records(refs)  # refs/ is whole
    state = snapshot(refs)
    first = _answered_first(server, service)
    assert len(first) >= 100
    other = "arxiv" if service == "s2" else "s2"
    for name in first:  # answered before the fault: exactly what an undisturbed run gives them
        for source in (service, other):
            assert _fields_from(source, state[name]) == _fields_from(source, undisturbed[name]), name
    assert records[UNKNOWN].sync.status == "not_found"

    if fault in ANSWERS:
        # Asked twice and answered the same: arXiv's answer, each record told why.
        assert not result.errors
        assert all(status in ("resolved", "not_found") for status in result.statuses)
    else:
        (failure,) = result.errors
        error = str(failure)
        assert "\n" not in error and error.isprintable()
        where = rf"^{service} http://127\.0\.0\.1:\d+/\S+( \(HTTP \d+\))?: "
        assert re.match(where + r".+; \d+ records not synced: ", error), error
        unsynced = [rid for rid, status, _ in result.unresolved if status == "unavailable"]
        assert unsynced and all(rid in error for rid in unsynced[:3])
        assert failure.service == service and set(failure.unsynced) == set(unsynced)
        assert {records[rid].sync.status for rid in unsynced} == {"unavailable"}

    with _server() as well:  # the service is well again; answers it gave and slmbib believed are asked again
        rerun = sync(refs, _sync_options(well, cache, refresh=fault in ANSWERS))
    assert not rerun.errors
    assert snapshot(refs) == undisturbed
