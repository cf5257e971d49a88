"""`slmbib sync` against a hostile server: what it sends may be anything, and nothing it sends gets
past the service edge unchecked, into refs/, the cache, or the terminal."""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import sqlite3
import subprocess
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from slmbib.cli import main
from slmbib.enriching.syncing import sync
from slmbib.store import load_records

from ..replay_server import ReplayServer, gzip_bomb, huge_body
from ..sync_corpus import (
    MOBILELLM,
    SLMBIB,
    XGLM,
    cli_args,
    make_refs,
    options,
    record,
    serve_papers,
    snapshot,
    subprocess_env,
)
from .harness import fill

KEY = "slmbib-hostile-key-93be1c"
TRIES = 5  # the command's default: a fault injected this many times is all a request gets
ESCAPES = ("\x1b", "\x9b", "\x07")


@pytest.fixture
def served(replay_server: ReplayServer) -> ReplayServer:
    serve_papers(replay_server)
    return replay_server


def papers() -> list[Any]:
    return [
        record("mobilellm", "MobileLLM", arxiv=MOBILELLM["arxiv_id"]),
        record("xglm", "XGLM", doi=XGLM["doi"]),
    ]


def run(server: ReplayServer, refs: Path, cache: Path, *more: str, key: str | None = KEY) -> Result:
    """The command in this process; an exception (a traceback for the user) fails the test."""
    env = {"S2_API_KEY": key} if key else {}
    args = cli_args(server, refs, cache, "--timeout", "3", *more)
    return CliRunner().invoke(main, args, env=env, catch_exceptions=False)


def run_process(server: ReplayServer, refs: Path, cache: Path, *more: str) -> Result:
    """The command as its own process: its log lines go to its own stderr."""
    finished = subprocess.run(
        [*SLMBIB, *cli_args(server, refs, cache, "--timeout", "3", *more)],
        env={**subprocess_env(), "S2_API_KEY": KEY},
        capture_output=True,
        text=True,
        timeout=120,
    )
    return Result(
        runner=CliRunner(),
        stdout_bytes=finished.stdout.encode(),
        stderr_bytes=finished.stderr.encode(),
        output_bytes=(finished.stdout + finished.stderr).encode(),
        return_value=None,
        exit_code=finished.returncode,
        exception=None,
    )


def assert_one_line_error(result: Result) -> str:
    assert result.exit_code == 1, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and "Traceback" not in result.stderr
    return errors[0]


def assert_clean(*texts: str) -> None:
    for text in texts:
        assert KEY not in text
        assert not any(escape in text for escape in ESCAPES), repr(text)


def stored(refs: Path, cache: Path) -> str:
    """What refs/ and the cache hold as text: record files, their values read back, cached answers."""
    records = load_records(refs)
    values = json.dumps([r.to_dict() for r in records.values()], ensure_ascii=False)
    files = b"".join(snapshot(refs).values()).decode()
    answers = ""
    if cache.exists():
        with contextlib.closing(sqlite3.connect(cache)) as db:
            answers = "".join(row[0] for row in db.execute("SELECT answer FROM answers"))
    return values + files + answers


@pytest.fixture
def expected(served: ReplayServer, tmp_path: Path) -> dict[str, bytes]:
    refs = make_refs(tmp_path / "clean", papers())
    assert sync(refs, options(served, tmp_path / "clean" / "cache.sqlite")).statuses == {"resolved": 2}
    served.requests.clear()
    return snapshot(refs)


# -- item 2: the key never follows a redirect --------------------------------------------------------


@pytest.mark.parametrize(
    "where", ["elsewhere", "loop", "file:///etc/passwd", "ftp://127.0.0.1/x", "relative"], ids=str
)
def test_a_redirect_is_not_followed_and_the_key_goes_nowhere_else(
    served: ReplayServer, tmp_path: Path, where: str
) -> None:
    refs = make_refs(tmp_path, papers())
    with ReplayServer() as elsewhere:
        location = {
            "elsewhere": elsewhere.s2_api_url + "/graph/v1/paper/batch",
            "loop": "",  # the server's default: the same path again
            "relative": "/s2/graph/v1/paper/batch?again=1",
        }.get(where, where)
        served.inject("s2", "redirect", times=TRIES, **({"location": location} if location else {}))
        result = run(served, refs, tmp_path / "cache.sqlite")
        assert elsewhere.requests == []
    line = assert_one_line_error(result)
    assert "not followed" in line
    assert len([r for r in served.requests if r.service == "s2"]) == 1  # not retried, not followed
    assert_clean(result.stderr, result.stdout)
    assert {r.sync.status for r in load_records(refs).values()} == {"unavailable"}


# -- items 3 and 4: what a server says is redacted before it is printed or stored --------------------


def test_an_error_that_echoes_the_key_shows_and_stores_it_nowhere(
    served: ReplayServer, tmp_path: Path
) -> None:
    refs, cache = make_refs(tmp_path, papers()), tmp_path / "cache.sqlite"
    served.inject("s2", "echo_key", times=TRIES)
    result = run_process(served, refs, cache)
    line = assert_one_line_error(result)
    assert "[redacted]" in line
    assert_clean(result.stderr, result.stdout, stored(refs, cache))
    assert KEY in json.dumps([r.headers for r in served.requests])  # it was sent, and echoed


def test_terminal_escapes_from_a_server_reach_neither_the_terminal_nor_refs(
    served: ReplayServer, tmp_path: Path
) -> None:
    refs, cache = make_refs(tmp_path, papers()), tmp_path / "cache.sqlite"
    served.inject("s2", "escapes", times=TRIES, status=503)  # retried: each try logs a line
    served.inject("arxiv", "escapes", times=TRIES, status=400)
    result = run_process(served, refs, cache)
    assert_one_line_error(result)
    assert "retrying" in result.stderr and "owned" in result.stderr  # the message is shown, escaped
    assert_clean(result.stderr, result.stdout, stored(refs, cache))


def test_terminal_escapes_in_answers_are_removed_before_they_are_stored(
    served: ReplayServer, tmp_path: Path
) -> None:
    refs, cache = make_refs(tmp_path, papers()), tmp_path / "cache.sqlite"
    evil = "MobileLLM\x1b]0;owned\x07\x1b[2J: \u202eOptimizing\x9b1m"
    served.inject("s2", "paper_fields", times=TRIES, fields={"title": evil, "venue": "ICML\x1b[31m"})
    result = run(served, refs, cache)
    assert result.exit_code == 0, result.stderr
    assert_clean(result.stderr, result.stdout, stored(refs, cache))
    assert load_records(refs)["xglm"].get("title") == "MobileLLM]0;owned[2J: Optimizing1m"


def test_list_prints_listed_names_without_their_escapes(tmp_path: Path) -> None:
    refs = make_refs(tmp_path, [record("evil", "Evil\x1b]0;owned\x07\x1b[2J Model")])
    result = CliRunner().invoke(main, ["--refs", str(refs), "list"], catch_exceptions=False)
    assert result.exit_code == 0 and "Evil\\x1b]0;owned\\x07\\x1b[2J Model" in result.stdout
    assert_clean(result.stdout)


# -- item 5: the key on the command line ---------------------------------------------------------------


def test_help_and_readme_say_to_prefer_the_environment_for_the_key() -> None:
    text = CliRunner().invoke(main, ["sync", "--help"], terminal_width=200).stdout
    assert "prefer setting S2_API_KEY" in " ".join(text.split())
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert "visible to every user in `ps`" in " ".join(readme.split())


# -- items 6 and 7: wrong types are refused at the edge, never cached, and a bad cache never crashes ---

WRONG_TYPES = [
    {"publicationTypes": 5},
    {"authors": 5},
    {"authors": [5, None, "x"]},
    {"publicationDate": "2024-13-45"},
    {"publicationDate": 20240101},
    {"journal": 5},
    {"venue": 5},
    {"externalIds": [1, 2]},
    {"title": {"text": "x"}},
    {"year": "2024"},
    {"title": "x" * 200_000},
]


@pytest.mark.parametrize("fields", WRONG_TYPES, ids=lambda f: json.dumps(f)[:40])
def test_wrong_typed_fields_make_s2_unavailable_and_are_never_cached(
    served: ReplayServer, expected: dict[str, bytes], tmp_path: Path, fields: dict[str, Any]
) -> None:
    refs, cache = make_refs(tmp_path, papers()), tmp_path / "cache.sqlite"
    served.inject("s2", "paper_fields", times=TRIES, fields=fields)
    result = run(served, refs, cache)
    assert "unusable answer" in assert_one_line_error(result)
    assert {r.sync.status for r in load_records(refs).values()} == {"unavailable"}
    with contextlib.closing(sqlite3.connect(cache)) as db:
        assert db.execute("SELECT count(*) FROM answers WHERE service = 's2'").fetchone() == (0,)
    assert run(served, refs, cache).exit_code == 0  # the next run, against a good server, recovers
    assert snapshot(refs) == expected


@pytest.mark.parametrize("more", [[], ["--refresh"], ["--dry-run"]], ids=lambda m: " ".join(m) or "plain")
def test_a_bad_answer_cached_by_an_older_version_is_asked_again(
    served: ReplayServer, expected: dict[str, bytes], tmp_path: Path, more: list[str]
) -> None:
    refs, cache = make_refs(tmp_path, papers()), tmp_path / "cache.sqlite"
    assert run(served, refs, cache).exit_code == 0
    refs_before = make_refs(tmp_path / "again", papers())
    with contextlib.closing(sqlite3.connect(cache)) as db, db:
        for key, answer in db.execute("SELECT key, answer FROM answers WHERE service = 's2'").fetchall():
            broken = {**json.loads(answer), "publicationTypes": 5, "authors": [5, None], "journal": 5}
            db.execute("UPDATE answers SET answer = ? WHERE key = ?", (json.dumps(broken), key))
        db.execute("UPDATE answers SET answer = '{\"id\": 5}' WHERE service = 'arxiv'")
    result = run(served, refs_before, cache, *more)
    assert result.exit_code == (1 if more == ["--dry-run"] else 0), result.stderr
    assert "Traceback" not in result.stderr
    if more != ["--dry-run"]:
        assert snapshot(refs_before) == expected


# -- item 8: odd text, deep JSON and malformed URLs ---------------------------------------------------


def test_a_lone_surrogate_in_a_title_is_dropped_not_a_crash(served: ReplayServer, tmp_path: Path) -> None:
    refs, cache = make_refs(tmp_path, papers()), tmp_path / "cache.sqlite"
    served.inject("s2", "paper_fields", times=TRIES, fields={"title": "Tiny\ud800 Models \udfff"})
    assert run(served, refs, cache).exit_code == 0
    assert load_records(refs)["xglm"].get("title") == "Tiny Models"


@pytest.mark.parametrize("service", ["s2", "arxiv"])
def test_deeply_nested_json_is_an_unusable_answer(served: ReplayServer, tmp_path: Path, service: str) -> None:
    refs, cache = make_refs(tmp_path, papers()), tmp_path / "cache.sqlite"
    served.inject(service, "deep", times=TRIES, depth=200_000)
    line = assert_one_line_error(run(served, refs, cache))
    assert f"{service} " in line and "unusable answer" in line


@pytest.mark.parametrize(
    "url", ["not a url", "http://[::1", "ftp://example.org/x", "http://", "https://user:pw@example.org"]
)
@pytest.mark.parametrize("option", ["--s2-api-url", "--arxiv-api-url"])
def test_a_malformed_api_url_is_a_usage_error(tmp_path: Path, option: str, url: str) -> None:
    refs = make_refs(tmp_path, papers())
    result = CliRunner().invoke(main, ["--refs", str(refs), "sync", option, url], catch_exceptions=False)
    assert result.exit_code == 2 and f"Invalid value for '{option}'" in result.stderr
    assert "Traceback" not in result.stderr and not (refs / ".lock").exists()


# -- item 9 (the cache): a full disk ------------------------------------------------------------------


def test_a_full_disk_stops_sync_in_one_line_and_leaves_no_empty_cache(
    served: ReplayServer, tmp_path: Path, small_disk: Path
) -> None:
    refs, cache = make_refs(tmp_path, papers()), small_disk / "cache.sqlite"
    fill(small_disk)
    line = assert_one_line_error(run(served, refs, cache))
    assert "cannot write the cache" in line and str(cache) in line
    assert not cache.exists()


def test_a_cache_that_fills_the_disk_midway_stays_a_valid_cache(
    served: ReplayServer, tmp_path: Path, small_disk: Path
) -> None:
    refs, cache = make_refs(tmp_path, papers()), small_disk / "cache.sqlite"
    assert run(served, refs, cache).exit_code == 0
    with contextlib.closing(sqlite3.connect(cache)) as db:
        before = db.execute("SELECT * FROM answers ORDER BY service, key").fetchall()
    fill(small_disk)
    served.add_paper(**{**MOBILELLM, "authors": [f"Author Number {i}" for i in range(3000)]})
    line = assert_one_line_error(run(served, refs, cache, "--refresh"))
    assert "cannot write the cache" in line and "full" in line
    with contextlib.closing(sqlite3.connect(cache)) as db:
        assert db.execute("SELECT * FROM answers ORDER BY service, key").fetchall() == before


def test_a_file_size_limit_on_the_cache_is_one_line_and_leaves_no_empty_cache(
    served: ReplayServer, tmp_path: Path
) -> None:
    """The same without root: a process whose files may not grow past 2 KiB (RLIMIT_FSIZE)."""
    refs, cache = make_refs(tmp_path, papers()), tmp_path / "cache.sqlite"

    def limited() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    finished = subprocess.run(
        [*SLMBIB, *cli_args(served, refs, cache)],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limited,
    )
    errors = [line for line in finished.stderr.splitlines() if line.startswith("Error:")]
    assert finished.returncode == 1 and len(errors) == 1 and "Traceback" not in finished.stderr
    assert "cannot write the cache" in errors[0] and not cache.exists()


# -- item 10: a trickle cannot hold sync (and its lock) for long ---------------------------------------


def test_a_trickling_server_is_given_up_on_at_the_deadline(served: ReplayServer, tmp_path: Path) -> None:
    refs, cache = make_refs(tmp_path, papers()), tmp_path / "cache.sqlite"
    # A byte every half second: the answer would take minutes, each read well within --timeout.
    served.inject("s2", "trickle", times=TRIES, delay=0.5, headers=True)
    started = time.monotonic()
    finished = subprocess.run(
        [*SLMBIB, *cli_args(served, refs, cache, "--timeout", "2")],
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert finished.returncode == 1 and "took longer than 2 s" in finished.stderr
    assert time.monotonic() - started < 60  # five tries of at most 2 s each, not minutes
    assert "Traceback" not in finished.stderr


# -- item 11: an answer's size is capped after decompression -------------------------------------------


@pytest.mark.parametrize(("fault", "size"), [("gzip_bomb", 300 * 2**20), ("huge", 40 * 2**20)])
def test_a_huge_answer_costs_a_few_megabytes(
    served: ReplayServer, tmp_path: Path, fault: str, size: int
) -> None:
    (gzip_bomb if fault == "gzip_bomb" else huge_body)(size)  # built before memory is counted
    refs, cache = make_refs(tmp_path, papers()), tmp_path / "cache.sqlite"
    served.inject("s2", fault, times=TRIES, size=size)
    tracemalloc.start()
    try:
        result = sync(refs, options(served, cache))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result.errors and "refused an answer larger than 8 MiB" in str(result.errors[0])
    assert peak < 16 * 2**20, f"{peak / 2**20:.0f} MiB"  # the 8 MiB cap, and little else
    assert len([r for r in served.requests if r.service == "s2"]) == 1  # refused, not retried


@pytest.mark.parametrize("service", ["s2", "arxiv"])
def test_a_compressed_answer_is_read_whole(
    served: ReplayServer, expected: dict[str, bytes], tmp_path: Path, service: str
) -> None:
    refs = make_refs(tmp_path, papers())
    served.inject(service, "gzip", times=10)
    assert not sync(refs, options(served, tmp_path / "cache.sqlite")).errors
    assert snapshot(refs) == expected


# -- item 16: one Ctrl-C stops sync ------------------------------------------------------------------

#: slmbib as a terminal starts it, Ctrl-C raising KeyboardInterrupt: a process started from a
#: background job inherits SIGINT ignored, and Python then leaves it ignored.
SLMBIB_IN_A_TERMINAL = [
    SLMBIB[0],
    "-c",
    "import signal; signal.signal(signal.SIGINT, signal.default_int_handler); " + SLMBIB[2],
]


@pytest.mark.parametrize(
    ("service", "fault", "extra"),
    [
        ("s2", "429", {"retry_after": 100}),
        ("s2", "slow", {"delay": 100}),
        ("arxiv", "429", {"retry_after": 100}),
    ],
    ids=["s2-retry-after", "s2-request", "arxiv-retry-after"],
)
def test_one_interrupt_stops_sync_in_a_wait(
    served: ReplayServer, tmp_path: Path, service: str, fault: str, extra: dict[str, Any]
) -> None:
    refs, cache = make_refs(tmp_path, papers()), tmp_path / "cache.sqlite"
    served.inject(service, fault, **extra)
    process = subprocess.Popen(
        [*SLMBIB_IN_A_TERMINAL, *cli_args(served, refs, cache, "--timeout", "200")],
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not [r for r in served.requests if r.service == service] and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # inside the wait now
        interrupted = time.monotonic()
        os.kill(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert time.monotonic() - interrupted < 15
    assert process.returncode != 0 and "Aborted!" in stderr and "Traceback" not in stderr


# -- item 21: --cache names a file that is not a cache ----------------------------------------------


def other_database(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE answers (question TEXT, reply TEXT)")
        db.execute("CREATE TABLE notes (body TEXT)")
        db.execute("INSERT INTO notes VALUES ('keep me')")


def marked_database(path: Path) -> None:
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.execute("PRAGMA application_id = 1234")
        db.execute("CREATE TABLE things (x)")


@pytest.mark.parametrize(
    "make",
    [
        lambda path: path.write_text("my notes, not a database\n"),
        lambda path: path.write_bytes(b"SQLite format 3\0 but really not"),
        other_database,
        marked_database,
    ],
    ids=["text", "fake-header", "other-tables", "other-application"],
)
@pytest.mark.parametrize("more", [[], ["--dry-run"]], ids=["sync", "dry-run"])
def test_a_file_that_is_not_an_slmbib_cache_is_refused_and_left_alone(
    served: ReplayServer, tmp_path: Path, make: Any, more: list[str]
) -> None:
    refs, notes = make_refs(tmp_path, papers()), tmp_path / "notes.txt"
    make(notes)
    before = notes.read_bytes()
    line = assert_one_line_error(run(served, refs, notes, *more))
    assert "not an slmbib cache" in line and notes.read_bytes() == before
    assert served.requests == []
