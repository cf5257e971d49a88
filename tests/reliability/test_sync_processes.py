"""``slmbib sync`` as separate processes: killed at random points, run twice at once, given an API key.

The services are the loopback replay server of the test process; each sync
is a child process, paced so that a run takes about a second and writes its
records one after another as their answers arrive.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ..replay_server import ReplayServer, synthetic_corpus
from ..sync_corpus import make_refs, record, service_urls
from .harness import Scenario, kill_at_random_points, run_slmbib, slmbib_process, snapshot, uninterrupted

RUNS = 20
TITLED = 6  # one title match each: the requests a run spaces out
WITH_ARXIV_ID = 6
S2_INTERVAL = 0.03


@pytest.fixture(scope="module")
def server() -> Iterator[ReplayServer]:
    with ReplayServer() as started:
        started.add_synthetic(TITLED + WITH_ARXIV_ID)
        yield started


@pytest.fixture(scope="module")
def start(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose records are as import leaves them: a name, and an arXiv id or a title."""
    papers = synthetic_corpus(TITLED + WITH_ARXIV_ID)
    records = [record(f"arxiv-{p.arxiv_id}", f"Model {n}", arxiv=p.arxiv_id) for n, p in enumerate(papers)]
    records = records[:WITH_ARXIV_ID] + [
        record(f"name-{n:02d}", f"Method {n}", title=p.title) for n, p in enumerate(papers[WITH_ARXIV_ID:])
    ]
    project = tmp_path_factory.mktemp("sync-start")
    make_refs(project, records)
    return project


def _sync(server: ReplayServer, *more: str) -> list[str]:
    return [
        "sync",
        *service_urls(server),
        *("--s2-interval", str(S2_INTERVAL), "--arxiv-interval", "0.1", "--timeout", "5"),
        *more,
    ]


def _command(server: ReplayServer) -> Callable[[Path], list[str]]:
    # The cache sits beside the project, so that the project holds refs/ only.
    return lambda project: [*_sync(server), "--cache", str(project.with_suffix(".sqlite"))]


@pytest.fixture(scope="module")
def syncing(server: ReplayServer, start: Path, tmp_path_factory: pytest.TempPathFactory) -> Scenario:
    scenario = uninterrupted(start, tmp_path_factory.mktemp("sync"), _command(server))
    assert scenario.writes == TITLED + WITH_ARXIV_ID
    return scenario


def test_sync_killed_at_random_points_resumes_to_the_same_result(syncing: Scenario, tmp_path: Path) -> None:
    killed = kill_at_random_points(syncing, tmp_path, RUNS, lambda project: None)
    assert killed.partial >= RUNS // 4, killed


def test_two_syncs_at_once_never_interleave(server: ReplayServer, syncing: Scenario, tmp_path: Path) -> None:
    """Each run sends its own API key, so the server's log tells whose every request was."""
    refusals = 0
    for round_ in range(3):
        project = Path(shutil.copytree(syncing.start, tmp_path / f"round{round_}"))
        server.requests.clear()
        runs = []
        for name in ("first", "second"):
            cache = str(tmp_path / f"{round_}-{name}.sqlite")  # each run must ask the server itself
            runs.append(
                slmbib_process(project / "refs", *_sync(server, "--cache", cache), env={"S2_API_KEY": name})
            )
        errors = [process.communicate(timeout=120)[1] for process in runs]
        codes = [process.returncode for process in runs]
        senders = [request.headers.get("x-api-key") for request in server.requests if request.service == "s2"]
        for name, code, stderr in zip(("first", "second"), codes, errors, strict=True):
            if code:
                refusal = (
                    f"Error: {project / 'refs'} is in use by another slmbib run; try again when it ends\n"
                )
                assert stderr.endswith(refusal), stderr
                assert name not in senders  # refused before asking anything
            else:
                assert name in senders, stderr
        # One run's requests all come before the other's: never both at once.
        assert sum(1 for one, next_ in itertools.pairwise(senders) if one != next_) <= 1, senders
        assert codes.count(0) >= 1
        assert snapshot(project) == syncing.expected
        refusals += codes.count(1)
    assert refusals >= 1  # the runs did overlap


KEY = "slmbibSECRETkey-7f3c9a2e51"
TRIES = 5  # how often a request is tried before the service is given up


def test_the_api_key_appears_nowhere_but_in_its_header(replay_server: ReplayServer, tmp_path: Path) -> None:
    """Runs with -vv, --dry-run, a failing service and a refused key: grep every output and every file."""
    replay_server.add_synthetic(4)
    papers = synthetic_corpus(4)
    records = [record(f"arxiv-{p.arxiv_id}", f"M{n}", arxiv=p.arxiv_id) for n, p in enumerate(papers)]
    make_refs(tmp_path / "project", records)
    refs = tmp_path / "project" / "refs"
    cache = tmp_path / "project" / ".slmbib" / "cache.sqlite"
    base = [
        "sync",
        *service_urls(replay_server),
        *("--s2-interval", "0", "--arxiv-interval", "0", "--timeout", "1"),
    ]
    env = {"S2_API_KEY": KEY, "SLMBIB_CACHE": str(cache)}
    shown: list[str] = []

    def run(*args: str) -> int:
        done = run_slmbib(refs, "-vv", *args, env=env)
        shown.extend([done.stdout, done.stderr])
        return done.returncode

    assert run(*base, "--dry-run") == 1  # would change every record
    replay_server.inject("s2", "500")  # a retry, logged at -vv
    assert run(*base) == 0
    replay_server.inject("arxiv", "500", times=TRIES)
    replay_server.inject("s2", "429", times=TRIES)
    assert run(*base, "--refresh") == 1  # both services fail: errors name them, with their URLs
    replay_server.inject("s2", "raw", status=403, body=b'{"message":"Forbidden"}')
    assert run(*base, "--refresh") == 1  # S2's answer to a bad key
    assert run("export", str(tmp_path / "project" / "survey.bib")) == 0
    assert run("list", "--json") == 0

    assert any("Forbidden" in text for text in shown) and any("HTTP 500" in text for text in shown)
    leaked = [text for text in shown if KEY in text]
    assert leaked == []
    files = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert cache in files and (refs / "papers" / f"arxiv-{papers[0].arxiv_id}.yaml") in files
    assert [path for path in files if KEY.encode() in path.read_bytes()] == []
    sent = {request.headers.get("x-api-key") for request in replay_server.requests if request.service == "s2"}
    assert sent == {KEY}
    assert not [r for r in replay_server.requests if r.service == "arxiv" and "x-api-key" in r.headers]
