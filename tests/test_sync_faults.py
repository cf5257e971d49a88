"""`slmbib sync` when the services misbehave or the run is killed: a correct result or a clear error,
never a broken refs/, and nothing fetched is lost."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from slmbib.cli import main
from slmbib.enriching.syncing import sync
from slmbib.models import Value
from slmbib.store import load_records

from .replay_server import ReplayServer, synthetic_corpus
from .sync_corpus import (
    MOBILELLM,
    SLMBIB,
    TINYLLAMA,
    TINYSTORIES,
    XGLM,
    cli_args,
    make_refs,
    options,
    record,
    serve_papers,
    snapshot,
    subprocess_env,
)

TRIES = 5  # SyncOptions' default: a fault injected this many times exhausts a request's tries


def fault_records() -> list[Any]:
    """Records that exercise the batch, the title match and arXiv."""
    return [
        record("mobilellm", "MobileLLM", arxiv=MOBILELLM["arxiv_id"]),
        record("tinyllama", "TinyLlama", arxiv=TINYLLAMA["arxiv_id"]),
        record("xglm", "XGLM", doi=XGLM["doi"]),
        record("tinystories", "TinyStories", title=TINYSTORIES["title"]),
    ]


@pytest.fixture
def served(replay_server: ReplayServer) -> ReplayServer:
    serve_papers(replay_server)
    return replay_server


@pytest.fixture
def expected(served: ReplayServer, tmp_path: Path) -> dict[str, bytes]:
    """refs/ after a sync that met no fault."""
    refs = make_refs(tmp_path / "clean", fault_records())
    result = sync(refs, options(served, tmp_path / "clean" / "cache.sqlite"))
    assert result.statuses == {"resolved": 4} and not result.errors
    served.requests.clear()
    return snapshot(refs)


TRANSIENT = [
    ("429", {"retry_after": 0.05}),
    ("429", {}),
    ("500", {}),
    ("502", {}),
    ("503", {}),
    ("504", {}),
    ("slow", {"delay": 1.5}),
    ("truncate", {}),
    ("drop", {}),
    ("drop", {"mid_body": True}),
    ("html", {}),
    ("html", {"status": 200}),
    ("wrong_shape", {}),
]


@pytest.mark.parametrize(
    ("service", "fault", "extra"),
    [
        *[("s2", fault, extra) for fault, extra in TRANSIENT],
        ("s2", "500", {"path_contains": "/search/match"}),
        ("s2", "wrong_shape", {"path_contains": "/search/match"}),
        *[("arxiv", fault, extra) for fault, extra in TRANSIENT],
        ("arxiv", "empty_feed", {}),
        ("arxiv", "error_entry", {}),
        ("arxiv", "error_entry", {"message": "incorrect id format for abc"}),
    ],
    ids=lambda value: value if isinstance(value, str) else "-".join(f"{k}={v}" for k, v in value.items()),
)
def test_a_passing_fault_still_gives_the_correct_result(
    served: ReplayServer,
    expected: dict[str, bytes],
    tmp_path: Path,
    service: str,
    fault: str,
    extra: dict[str, Any],
) -> None:
    refs = make_refs(tmp_path / "faulty", fault_records())
    served.inject(service, fault, **extra)
    result = sync(refs, options(served, tmp_path / "faulty" / "cache.sqlite", timeout=0.5))
    assert not result.errors
    assert snapshot(refs) == expected
    assert result.requests[service] == len([r for r in served.requests if r.service == service])
    assert served.pacing_violations == 0


def test_retry_after_is_honoured(served: ReplayServer, tmp_path: Path) -> None:
    refs = make_refs(tmp_path, fault_records())
    served.inject("s2", "429", retry_after=0.3)
    sync(refs, options(served, tmp_path / "cache.sqlite"))
    first, second = [r for r in served.requests if r.service == "s2"][:2]
    assert first.status == 429 and second.status == 200
    assert second.time - first.time >= 0.3


@pytest.mark.parametrize(
    ("service", "fault", "extra", "says"),
    [
        ("s2", "503", {"times": TRIES}, "(HTTP 503): Service Unavailable (gave up after 5 tries)"),
        ("s2", "truncate", {"times": TRIES}, "no complete answer"),
        ("arxiv", "500", {"times": TRIES}, "(HTTP 500): Internal Server Error (gave up after 5 tries)"),
        ("arxiv", "wrong_shape", {"times": TRIES}, "unusable answer: not an Atom feed"),
        ("s2", "429", {"retry_after": 3600}, "the server asks to wait 1 h"),
        ("s2", "raw", {"status": 403, "body": b'{"message":"Forbidden"}'}, "(HTTP 403): Forbidden"),
        (
            "arxiv",
            "raw",
            {
                "body": b'<?xml version="1.0"?><!DOCTYPE f [<!ENTITY a "aaaaaaaaaa">'
                b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><feed>&b;</feed>',
                "content_type": "application/atom+xml",
            },
            "refused the answer: the feed declares a DTD or entities",
        ),
    ],
    ids=[
        "s2-503",
        "s2-truncate",
        "arxiv-500",
        "arxiv-wrong-shape",
        "s2-retry-after-3600",
        "s2-403",
        "arxiv-dtd",
    ],
)
def test_a_lasting_fault_is_one_clear_error_and_keeps_what_was_fetched(
    served: ReplayServer,
    expected: dict[str, bytes],
    tmp_path: Path,
    service: str,
    fault: str,
    extra: dict[str, Any],
    says: str,
) -> None:
    refs = make_refs(tmp_path, fault_records())
    cache = tmp_path / "cache.sqlite"
    served.inject(service, fault, **extra)
    started = time.monotonic()
    run = CliRunner().invoke(main, cli_args(served, refs, cache))
    assert time.monotonic() - started < 10
    assert run.exit_code == 1
    error = run.stderr.strip().splitlines()[-1]
    assert error.startswith(f"Error: {service} http://127.0.0.1:") and says in error
    assert "records not synced: " in error and ("mobilellm" in error or "tinystories" in error)
    records = load_records(refs)  # refs/ is whole
    other = "arxiv" if service == "s2" else "s2"
    assert any(v.source == other for r in records.values() for v in r.fields.values())
    assert {r.sync.status for r in records.values()} >= {"unavailable"}

    rerun = CliRunner().invoke(main, cli_args(served, refs, cache))  # the service is back
    assert rerun.exit_code == 0, rerun.stderr
    assert snapshot(refs) == expected


def test_answers_fetched_before_a_failure_are_not_asked_again(served: ReplayServer, tmp_path: Path) -> None:
    refs = make_refs(tmp_path, fault_records())
    cache = tmp_path / "cache.sqlite"
    served.inject("s2", "500", times=TRIES, path_contains="/search/match")
    failed = sync(refs, options(served, cache))
    assert failed.errors and failed.statuses == {"resolved": 3, "unavailable": 1}
    assert load_records(refs)["mobilellm"].fields["authors"] == Value(MOBILELLM["authors"], "arxiv")
    served.requests.clear()
    resumed = sync(refs, options(served, cache))
    assert [r.path.rsplit("/", 1)[1] for r in served.requests] == ["match", "query"]
    assert resumed.statuses == {"resolved": 4} and not resumed.errors


def test_a_killed_sync_resumes_and_ends_like_an_uninterrupted_one(tmp_path: Path) -> None:
    with ReplayServer(s2_interval=0.05) as server:
        ids = server.add_synthetic(40)
        titles = [paper.title for paper in synthetic_corpus(40)[20:]]
        serve_papers(server)
        titles += [MOBILELLM["title"], TINYLLAMA["title"], XGLM["title"]]
        records = [record(f"arxiv-{i}", f"Model {n}", arxiv=i) for n, i in enumerate(ids[:20])]
        records += [record(f"name-{n:02d}", f"Method {n}", title=title) for n, title in enumerate(titles)]
        asks = 1 + len(titles)  # one batch for the arXiv ids, one title match for each title
        uninterrupted = make_refs(tmp_path / "whole", records)
        sync(uninterrupted, options(server, tmp_path / "whole" / "cache.sqlite"))

        def answered() -> int:
            # A request the server turned away for pacing (a loaded machine stamps arrivals late)
            # and the client retried is one question, not two.
            return sum(1 for r in list(server.requests) if r.service == "s2" and r.status != 429)

        refs = make_refs(tmp_path / "killed", records)
        cache = tmp_path / "killed" / "cache.sqlite"
        server.requests.clear()
        child = subprocess.Popen(
            [*SLMBIB, *cli_args(server, refs, cache)], env=subprocess_env(), stderr=subprocess.DEVNULL
        )
        deadline = time.monotonic() + 30
        while answered() < 8 and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL
        asked = answered()
        assert 8 <= asked < asks  # killed mid-run
        load_records(refs)  # every record file is whole

        server.requests.clear()
        sync(refs, options(server, cache))
        # Every answer committed before the kill is used: at most the one in flight is asked again.
        assert asks - asked <= answered() <= asks - asked + 1

        def content(refs: Path) -> dict[str, bytes]:
            # A write the kill cut short leaves a hidden *.part file, never read as a record.
            return {name: data for name, data in snapshot(refs).items() if not name.endswith(".part")}

        assert content(refs) == content(uninterrupted)
