"""`slmbib sync` against the loopback replay server: resolution paths, merge policy, cache, pacing, CLI."""

from __future__ import annotations

import logging
import math
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from slmbib.cli import main
from slmbib.enriching.syncing import sync
from slmbib.models import SyncStatus, Value
from slmbib.reading.listimport import import_lists
from slmbib.store import load_records, locked, save_records
from slmbib.survey import load_own

from .replay_server import ReplayServer, synthetic_corpus
from .seeds import REPO, SEED_000, SEED_001
from .sync_corpus import (
    LAMINI,
    MOBILELLM,
    QLORA,
    SLMBIB,
    SURVEY,
    TINYLLAMA,
    XGLM,
    cli_args,
    closed_url,
    make_refs,
    options,
    record,
    seed_records,
    serve_named_papers,
    serve_papers,
    snapshot,
    subprocess_env,
)


@pytest.fixture
def served(replay_server: ReplayServer) -> ReplayServer:
    serve_papers(replay_server)
    return replay_server


def test_every_resolution_path(served: ReplayServer, tmp_path: Path) -> None:
    refs = make_refs(tmp_path, seed_records())
    result = sync(refs, options(served, tmp_path / "cache.sqlite"))
    records = load_records(refs)

    # An arXiv id: one S2 batch and one arXiv query; a published paper keeps its arXiv id.
    mobile = records["arxiv-2402.14905"]
    assert mobile.sync.status == "resolved"
    assert mobile.identifiers["arxiv"] == "2402.14905" and mobile.identifiers["s2"]
    assert mobile.fields["authors"] == Value(MOBILELLM["authors"], "arxiv")
    assert mobile.fields["title"] == Value(MOBILELLM["title"], "s2")
    assert mobile.get("entry_type") == "inproceedings"
    assert mobile.get("booktitle") == "International Conference on Machine Learning"
    assert (mobile.get("year"), mobile.get("month"), mobile.get("arxiv_version")) == (2024, 2, 1)

    # A preprint stays a preprint, with arXiv's details.
    tiny = records["arxiv-2401.02385"]
    assert tiny.get("entry_type") == "preprint" and "venue" not in tiny.fields
    assert tiny.fields["title"] == Value(TINYLLAMA["title"], "arxiv")
    assert (
        tiny.get("arxiv_primary_class") == "cs.CL" and tiny.get("url") == "https://arxiv.org/abs/2401.02385"
    )

    # A DOI alone: S2 reveals the arXiv id, and arXiv is asked for it in the same run.
    xglm = records["doi-xglm"]
    assert xglm.identifiers["arxiv"] == XGLM["arxiv_id"]
    assert xglm.fields["authors"].source == "arxiv"
    assert xglm.get("doi") == XGLM["doi"] and xglm.get("entry_type") == "inproceedings"

    # A real title and nothing else: S2's title match, verified, then arXiv through the id it reveals.
    stories = records["name-tinystories"]
    assert stories.sync.status == "resolved" and stories.identifiers["arxiv"] == "2305.07759"
    assert stories.fields["authors"] == Value(["Ronen Eldan", "Yuanzhi Li"], "arxiv")
    attention = records["name-attention"]  # the recorded match; arXiv has no entry for it here
    assert attention.sync == SyncStatus("resolved", "s2: found; arxiv: no entry for 1706.03762")
    assert attention.get("booktitle") == "Neural Information Processing Systems"

    # What is not there is not made up.
    flag = records["name-flag"]
    assert flag.sync.status == "not_found" and "Marketing the Maple Leaf" in flag.sync.reason
    assert flag.identifiers == {} and set(flag.fields) == {"title"}
    alpaca = records["name-alpaca"]  # a name only: searched by it, and nothing found is taken
    assert alpaca.sync.status == "not_found" and "names 'Alpaca' (2023)" in alpaca.sync.reason
    ghost = records["arxiv-2401.99999"]
    assert ghost.sync == SyncStatus(
        "not_found", "s2: no paper for arxiv:2401.99999; arxiv: no entry for 2401.99999"
    )

    # One batch for every id, one match per real title, one search per name, one arXiv query for all ids.
    assert sorted(served.ids_requested("s2")) == sorted(
        ["ARXIV:2402.14905", "ARXIV:2401.02385", "DOI:10.18653/v1/2022.emnlp-main.616", "ARXIV:2401.99999"]
    )
    matches = [r.query["query"] for r in served.requests if r.path.endswith("/search/match")]
    assert sorted(matches) == ["Attention is All you Need", "National Flag of Canada Day", TINYSTORIES_TITLE]
    searches = [(r.query["query"], r.query["year"]) for r in served.requests if r.path.endswith("/search")]
    assert searches == [("Alpaca", "2022-2024")]
    assert served.count("arxiv") == 1
    assert sorted(served.ids_requested("arxiv")) == sorted(
        ["2402.14905", "2401.02385", "2401.99999", "2112.10668", "2305.07759", "1706.03762"]
    )
    assert result.statuses == {"resolved": 5, "not_found": 3}
    assert result.requests == {"s2": 5, "arxiv": 1}


TINYSTORIES_TITLE = "TinyStories: How Small Can Language Models Be and Still Speak Coherent English?"


@pytest.mark.parametrize(
    ("fields", "status", "why"),
    [
        ({"title": "National Flag of Canada Day"}, "not_found", "another paper"),  # recorded wrong match
        ({"title": "Gravity hill"}, "not_found", "another paper"),  # recorded wrong match
        ({"title": TINYLLAMA["title"], "authors": ["Jane Doe"]}, "ambiguous", "by 'Peiyuan Zhang'"),
        ({"title": TINYLLAMA["title"], "year": 2019}, "ambiguous", "from 2024, the list says 2019"),
        (
            {"title": "Augmenting large language models with chemistry tools", "doi": "10.9999/other"},
            "ambiguous",
            "doi 10.1038/s42256-024-00832-8",
        ),
    ],
)
def test_title_matches_that_may_be_wrong_are_rejected(
    served: ReplayServer, tmp_path: Path, fields: dict[str, object], status: str, why: str
) -> None:
    original = record("name-x", "X", **fields)
    refs = make_refs(tmp_path, [original])
    sync(refs, options(served, tmp_path / "cache.sqlite"))
    synced = load_records(refs)["name-x"]
    assert any(r.path.endswith("/search/match") for r in served.requests)
    assert synced.sync.status == status and why in synced.sync.reason
    assert (synced.identifiers, synced.fields) == (original.identifiers, original.fields)
    assert served.count("arxiv") == 0


def test_a_record_whose_first_id_s2_does_not_know_is_found_by_the_next_in_the_same_batch(
    replay_server: ReplayServer, tmp_path: Path
) -> None:
    # S2 knows this paper by its DOI only; arXiv knows its id.
    replay_server.add_s2_paper(
        {
            "paperId": "5" * 40,
            "externalIds": {"DOI": XGLM["doi"], "CorpusId": 245334784},
            "title": XGLM["title"],
            "venue": XGLM["venue"],
            "publicationVenue": {"name": XGLM["venue"], "type": "conference"},
            "year": 2022,
            "publicationDate": "2022-12-01",
            "publicationTypes": ["Conference"],
            "authors": [{"authorId": str(n), "name": name} for n, name in enumerate(XGLM["authors"])],
        }
    )
    replay_server.add_arxiv_entry(XGLM["arxiv_id"], XGLM["title"], XGLM["authors"], XGLM["published"])
    refs = make_refs(tmp_path, [record("xglm", "XGLM", arxiv=XGLM["arxiv_id"], doi=XGLM["doi"])])
    result = sync(refs, options(replay_server, tmp_path / "cache.sqlite"))
    assert replay_server.ids_requested("s2") == [f"ARXIV:{XGLM['arxiv_id']}", f"DOI:{XGLM['doi']}"]
    assert result.requests["s2"] == 1
    assert load_records(refs)["xglm"].get("booktitle") == XGLM["venue"]


def test_a_preprint_that_gets_published_takes_its_venue_and_keeps_its_arxiv_id(
    replay_server: ReplayServer, tmp_path: Path
) -> None:
    replay_server.add_paper(**TINYLLAMA)
    refs = make_refs(tmp_path, [record("tinyllama", "TinyLlama", arxiv=TINYLLAMA["arxiv_id"])])
    cache = tmp_path / "cache.sqlite"
    sync(refs, options(replay_server, cache))
    assert load_records(refs)["tinyllama"].get("entry_type") == "preprint"

    published = {**TINYLLAMA, "venue": "Conference on Language Modeling", "doi": "10.5555/colm.2024.1"}
    replay_server.add_paper(**published, publication_types=["Conference"])
    sync(refs, options(replay_server, cache))  # the preprint's answers are still fresh: nothing asked
    assert replay_server.count("s2") == 1
    result = sync(refs, options(replay_server, cache, preprint_max_age=0))
    tiny = load_records(refs)["tinyllama"]
    assert tiny.get("entry_type") == "inproceedings" and tiny.get("booktitle") == published["venue"]
    assert tiny.identifiers["arxiv"] == TINYLLAMA["arxiv_id"] and tiny.identifiers["doi"] == published["doi"]
    assert "tinyllama: entry_type: 'preprint' -> 'inproceedings' (s2)" in result.changed_values


def test_override_bib_and_manual_values_are_never_changed(served: ReplayServer, tmp_path: Path) -> None:
    override = {"title": "MobileLLM (ICML 2024)", "year": 2023}
    mine = record(
        "mobilellm", "MobileLLM", arxiv="2402.14905", year=2024, venue=Value("ICML", "bib"), override=override
    )
    refs = make_refs(tmp_path, [mine])
    override_block = (refs / "papers" / "mobilellm.yaml").read_text().split("override:")[1]
    result = sync(refs, options(served, tmp_path / "cache.sqlite"))
    synced = load_records(refs)["mobilellm"]
    assert synced.override == override
    assert (refs / "papers" / "mobilellm.yaml").read_text().split("override:")[1] == override_block
    assert "title" not in synced.fields and synced.fields["year"] == Value(2024, "readme")
    assert synced.fields["venue"] == Value("ICML", "bib")
    assert synced.get("title") == "MobileLLM (ICML 2024)"
    # The venue the .bib gave keeps its group: no entry type or booktitle from S2 beside it.
    assert not {"entry_type", "booktitle", "venue_type"} & synced.fields.keys()
    assert synced.fields["authors"] == Value(MOBILELLM["authors"], "arxiv")  # other groups are filled
    assert sorted(line.split(": ")[1] for line in result.conflicts) == ["title", "venue", "year"]
    assert all(line.startswith("mobilellm: ") for line in result.conflicts)


def test_readme_values_give_way_and_differences_are_reported(served: ReplayServer, tmp_path: Path) -> None:
    refs = make_refs(tmp_path, [record("mobilellm", "MobileLLM", arxiv="2402.14905", year=2025)])
    result = sync(refs, options(served, tmp_path / "cache.sqlite"))
    assert load_records(refs)["mobilellm"].fields["year"] == Value(2024, "s2")
    assert result.changed_values == ["mobilellm: year: 2025 -> 2024 (s2)"]
    assert "value changed: mobilellm: year: 2025 -> 2024 (s2)" in result.lines()


def test_a_second_run_sends_no_request_and_changes_no_byte(served: ReplayServer, tmp_path: Path) -> None:
    refs = make_refs(tmp_path, seed_records())
    cache = tmp_path / "cache.sqlite"
    sync(refs, options(served, cache))
    before, sent = snapshot(refs), len(served.requests)
    result = sync(refs, options(served, cache))
    assert len(served.requests) == sent and result.requests == {"s2": 0, "arxiv": 0}
    assert result.cache_hits > 0 and result.changed == []
    assert snapshot(refs) == before


def test_cache_ages_refresh_and_max_age(served: ReplayServer, tmp_path: Path) -> None:
    records = [
        record("mobilellm", "MobileLLM", arxiv="2402.14905"),  # published: kept for max_age
        record("tinyllama", "TinyLlama", arxiv="2401.02385"),  # a preprint: kept for preprint_max_age
    ]
    refs = make_refs(tmp_path, records)
    cache = tmp_path / "cache.sqlite"
    sync(refs, options(served, cache))
    tinyllama_s2 = load_records(refs)["tinyllama"].identifiers["s2"]

    def asked(**changes: object) -> tuple[list[str], list[str]]:
        s2_before, arxiv_before = len(served.ids_requested("s2")), len(served.ids_requested("arxiv"))
        sync(refs, options(served, cache, **changes))
        return served.ids_requested("s2")[s2_before:], served.ids_requested("arxiv")[arxiv_before:]

    assert asked(preprint_max_age=0) == ([tinyllama_s2], ["2401.02385"])
    assert len(asked(max_age=0)[0]) == 1  # published answers are old too; the preprint is fresh again
    assert sorted(asked(refresh=True)[1]) == ["2401.02385", "2402.14905"]
    assert asked() == ([], [])


def test_records_found_to_be_one_paper_are_merged(served: ReplayServer, tmp_path: Path) -> None:
    by_doi = record("doi-xglm", "XGLM", doi=XGLM["doi"])
    by_acl = record("acl-xglm", "XGLM 564M", acl=XGLM["acl_id"])
    refs = make_refs(tmp_path, [by_doi, by_acl])
    result = sync(refs, options(served, tmp_path / "cache.sqlite"))
    assert f"ACL:{XGLM['acl_id']}" in served.ids_requested("s2")
    assert result.merged == [("acl-xglm", "doi-xglm")]
    assert "merged: doi-xglm into acl-xglm" in result.lines()
    records = load_records(refs)
    assert list(records) == ["acl-xglm"]
    assert {listing.name for listing in records["acl-xglm"].listings} == {"XGLM", "XGLM 564M"}
    assert records["acl-xglm"].get("booktitle") == XGLM["venue"]


def test_requests_are_batched_to_the_minimum_and_paced(tmp_path: Path) -> None:
    with ReplayServer(s2_interval=0.5, arxiv_interval=0.5) as server:
        ids = server.add_synthetic(501)
        refs = make_refs(tmp_path, [record(f"arxiv-{i}", f"M{n}", arxiv=i) for n, i in enumerate(ids)])
        # In a process of its own, as against a real service: sharing the server's interpreter,
        # the client's work could delay the server's arrival stamps and fake a pacing violation.
        child = subprocess.run(
            [*SLMBIB, *cli_args(server, refs, tmp_path / "cache.sqlite")],
            env=subprocess_env(),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert child.returncode == 0, child.stderr
        assert server.count("s2") == math.ceil(501 / 500) == 2
        assert server.count("arxiv") == math.ceil(501 / 100) == 6
        assert server.pacing_violations == 0
        assert all(r.status == 200 for r in server.requests)
        assert "records: 501 synced: 501 resolved" in child.stderr


@pytest.mark.parametrize(
    ("unknown_first", "known"),
    [(3, 90), (20, 600)],  # 93 ids: one batch, not two; 620 ids: two batches, not three
)
def test_every_id_goes_into_the_first_batches(
    replay_server: ReplayServer, tmp_path: Path, unknown_first: int, known: int
) -> None:
    replay_server.add_synthetic(known)
    papers = synthetic_corpus(known)
    # Records whose first id (an arXiv id S2 does not know) is not the one S2 knows them by (their DOI).
    mixed = [p for p in papers if p.doi][:unknown_first]
    records = [record(f"mixed-{n}", f"B{n}", arxiv=f"2499.{n:05d}", doi=p.doi) for n, p in enumerate(mixed)]
    records += [
        record(f"arxiv-{p.arxiv_id}", f"M{n}", arxiv=p.arxiv_id)
        for n, p in enumerate(papers)
        if p not in mixed
    ]
    records += [
        record("title-only", "T", "2023", title="A Survey of Hummingbird Migration Patterns"),
        record("name-only", "LaMini-LM", "2023.4"),
    ]
    result = sync(make_refs(tmp_path, records), options(replay_server, tmp_path / "cache.sqlite"))
    sent = replay_server.ids_requested("s2")
    assert len(sent) == len(set(sent)) == known + unknown_first
    batches = [r for r in replay_server.requests if r.path.endswith("/paper/batch")]
    assert len(batches) == math.ceil(len(sent) / 500)
    # Plus one request per title and per name, nothing more.
    texts = [r.path.rsplit("/", 2)[-2:] for r in replay_server.requests if "/search" in r.path]
    assert sorted(texts) == [["paper", "search"], ["search", "match"]]
    assert result.requests["s2"] == len(batches) + 2
    assert result.statuses["resolved"] == known


def test_rows_known_only_by_a_name_are_found_by_it_and_never_by_a_wrong_paper(
    replay_server: ReplayServer, tmp_path: Path
) -> None:
    serve_named_papers(replay_server)
    records = [
        record("name-lamini", "LaMini-LM", "2023.4"),  # its row links Dolly's model card and blog
        record("doi-qlora", "QLoRA", "2024", doi="10.5555/3666122.3666563"),  # ACM's id, unknown to S2
        record("doi-peqa", "PEQA", "2024", doi="10.5555/3666122.3667691"),  # its title does not name it
        record("name-orca", "Orca", "2023"),  # two papers head their titles "Orca:"
        record("name-alpaca", "Alpaca", "2023"),  # "Alpaca against Vicuna" is another paper
        record("name-gravity", "Gravity hill", "2025"),  # the recorded wrong match, same year
    ]
    result = sync(make_refs(tmp_path, records), options(replay_server, tmp_path / "cache.sqlite"))
    got = load_records(tmp_path / "refs")
    lamini, qlora = got["name-lamini"], got["doi-qlora"]
    assert lamini.sync.status == "resolved" and lamini.identifiers["arxiv"] == LAMINI["arxiv_id"]
    assert lamini.fields["authors"] == Value(LAMINI["authors"], "arxiv")
    assert qlora.sync.status == "resolved" and qlora.identifiers["arxiv"] == QLORA["arxiv_id"]
    assert qlora.get("title") == QLORA["title"] and qlora.get("booktitle") == QLORA["venue"]
    assert qlora.identifiers["doi"] == "10.5555/3666122.3666563"  # kept: the listed id is not lost
    for wrong, status, why in [
        ("doi-peqa", "not_found", "no paper for doi:10.5555/3666122.3667691; no paper's title names 'PEQA'"),
        ("name-orca", "ambiguous", "several papers are named 'Orca' (2023): "),
        ("name-alpaca", "not_found", "names 'Alpaca' (2023) (plain words"),
        ("name-gravity", "not_found", "S2's first result is 'Explanation of Gravity Hill of Mainpat"),
    ]:
        assert got[wrong].sync.status == status and why in got[wrong].sync.reason, wrong
        assert set(got[wrong].identifiers) <= {"doi"} and "authors" not in got[wrong].fields
    assert all(t in got["name-orca"].sync.reason for t in ("Progressive", "Serving"))  # both named
    # One batch for the two DOIs (404s both), then one search per name, each narrowed to its year ± 1.
    assert sorted(replay_server.ids_requested("s2")) == [
        "DOI:10.5555/3666122.3666563",
        "DOI:10.5555/3666122.3667691",
    ]
    searches = [
        (r.query["query"], r.query["year"]) for r in replay_server.requests if r.path.endswith("/search")
    ]
    assert sorted(searches) == [
        ("Alpaca", "2022-2024"),
        ("Gravity hill", "2024-2026"),
        ("LaMini-LM", "2022-2024"),
        ("Orca", "2022-2024"),
        ("PEQA", "2023-2025"),
        ("QLoRA", "2023-2025"),
    ]
    assert result.requests["s2"] == 7
    # Found once, asked never again: the second run is answered by the cache.
    before = len(replay_server.requests)
    sync(tmp_path / "refs", options(replay_server, tmp_path / "cache.sqlite"))
    assert len(replay_server.requests) == before


def test_the_seed_rows_lamini_and_qlora_resolve_by_name(replay_server: ReplayServer, tmp_path: Path) -> None:
    serve_named_papers(replay_server)
    refs = tmp_path / "refs"
    import_lists(refs, [SEED_000, SEED_001])
    by_name = {x.name: r.id for r in load_records(refs).values() for x in r.listings}
    targets = (by_name["LaMini-LM"], by_name["QLoRA"], by_name["PEQA"], by_name["Alpaca"])
    sync(refs, options(replay_server, tmp_path / "cache.sqlite", only=targets))
    got = load_records(refs)
    assert [got[t].get("title") for t in targets[:2]] == [LAMINI["title"], QLORA["title"]]
    assert [got[t].sync.status for t in targets] == ["resolved", "resolved", "not_found", "not_found"]


def test_dry_run_prints_the_diff_writes_nothing_and_exits_1(served: ReplayServer, tmp_path: Path) -> None:
    refs = make_refs(tmp_path, seed_records())
    cache = tmp_path / "cache.sqlite"
    before = snapshot(refs)
    runner = CliRunner()
    dry = runner.invoke(main, cli_args(served, refs, cache, "--dry-run"), catch_exceptions=False)
    assert dry.exit_code == 1, dry.stderr
    assert snapshot(refs) == before and not cache.exists()
    assert f"+++ {refs / 'papers' / 'arxiv-2402.14905.yaml'}" in dry.stdout
    assert f"+    value: '{MOBILELLM['title']}'" in dry.stdout
    assert "would change: 8 records" in dry.stderr

    done = runner.invoke(main, cli_args(served, refs, cache), catch_exceptions=False)
    assert done.exit_code == 0, done.stderr
    sent = len(served.requests)
    again = runner.invoke(main, cli_args(served, refs, cache, "--dry-run"), catch_exceptions=False)
    assert (again.exit_code, again.stdout, len(served.requests)) == (0, "", sent)


def test_cli_takes_its_settings_from_the_environment(served: ReplayServer, tmp_path: Path) -> None:
    refs = make_refs(tmp_path, [record("mobilellm", "MobileLLM", arxiv="2402.14905")])
    cache = tmp_path / "elsewhere" / "answers.sqlite"
    env = {
        "SLMBIB_REFS": str(refs),
        "SLMBIB_S2_API_URL": served.s2_api_url,
        "SLMBIB_ARXIV_API_URL": served.arxiv_api_url,
        "SLMBIB_CACHE": str(cache),
        "S2_API_KEY": "test-key-0001",
    }
    run = CliRunner().invoke(main, ["sync", "--arxiv-interval", "0", "--s2-interval", "0"], env=env)
    assert run.exit_code == 0, run.stderr
    assert [r.headers.get("x-api-key") for r in served.requests if r.service == "s2"] == ["test-key-0001"]
    assert all(r.headers["User-Agent"].startswith("slmbib/") for r in served.requests)
    assert sqlite3.connect(cache).execute("SELECT count(*) FROM answers").fetchone()[0] > 0
    assert run.stderr.splitlines()[-1].startswith("requests: s2 1, arxiv 1; cache hits: 0; time: ")


def test_the_public_arxiv_service_is_never_asked_faster_than_its_terms_allow(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The default URL, the public service: refused before anything is asked.
    monkeypatch.delenv("SLMBIB_ARXIV_API_URL")
    refs = make_refs(tmp_path, [])
    run = CliRunner().invoke(main, ["--refs", str(refs), "sync", "--arxiv-interval", "1"])
    assert run.exit_code == 2 and "arXiv asks for 3 s or more" in run.stderr


def test_sync_of_some_records_leaves_the_others_alone(served: ReplayServer, tmp_path: Path) -> None:
    refs = make_refs(tmp_path, seed_records())
    before = snapshot(refs)
    run = CliRunner().invoke(main, cli_args(served, refs, tmp_path / "c.sqlite", "arxiv-2401.02385"))
    assert run.exit_code == 0, run.stderr
    changed = {name for name, data in snapshot(refs).items() if before.get(name) != data}
    assert changed == {"papers/arxiv-2401.02385.yaml"}
    unknown = CliRunner().invoke(main, cli_args(served, refs, tmp_path / "c.sqlite", "no-such-record"))
    assert unknown.exit_code == 1 and "no record 'no-such-record'" in unknown.stderr


def test_an_unreachable_service_fails_fast_and_keeps_what_was_fetched(
    served: ReplayServer, tmp_path: Path
) -> None:
    closed = closed_url()  # connections are refused
    refs = make_refs(tmp_path, seed_records())
    args = cli_args(served, refs, tmp_path / "c.sqlite", "--arxiv-api-url", f"{closed}/api/query")
    started = time.monotonic()
    run = CliRunner().invoke(main, args)
    assert time.monotonic() - started < 5
    assert run.exit_code == 1
    error = run.stderr.strip().splitlines()[-1]
    assert error.startswith(f"Error: arxiv {closed}/api/query: cannot connect: ")
    assert "records not synced: arxiv-2401.02385, arxiv-2401.99999, arxiv-2402.14905 and 3 more" in error
    records = load_records(refs)
    mobile = records["arxiv-2402.14905"]  # S2's answer is kept; arXiv's part waits for the next run
    assert mobile.sync.status == "unavailable" and mobile.fields["authors"].source == "s2"
    assert mobile.sync.reason.startswith("s2: found; arxiv: unavailable: cannot connect")

    both = cli_args(served, refs, tmp_path / "c.sqlite", "--refresh", "--s2-api-url", closed)
    started = time.monotonic()
    run = CliRunner().invoke(main, [*both, "--arxiv-api-url", f"{closed}/api/query"])
    assert time.monotonic() - started < 5 and run.exit_code == 1
    assert run.stderr.count("Error: ") == 1 and " | arxiv " in run.stderr
    assert load_records(refs)["arxiv-2402.14905"].fields == mobile.fields  # nothing lost


def test_a_run_writes_records_as_answers_arrive(served: ReplayServer, tmp_path: Path) -> None:
    refs = make_refs(tmp_path, seed_records())
    seen: list[int] = []

    def progress(done: int, total: int, message: str) -> None:
        seen.append(sum(1 for r in load_records(refs).values() if r.sync))

    sync(refs, options(served, tmp_path / "cache.sqlite"), progress=progress)
    # A record is written once its answers are in: the title-only and name-only records after their
    # match or search, the others after arXiv's answer; nothing before the first answer.
    assert seen == sorted(seen) and seen[0] == 0 and seen[-1] == 8
    assert any(1 < written < 8 for written in seen)


def test_a_broken_cache_file_is_replaced(served: ReplayServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    refs = make_refs(tmp_path, [record("mobilellm", "MobileLLM", arxiv="2402.14905")])
    sync(refs, options(served, cache))
    # An slmbib cache (its header says so) whose pages are garbage: SQLite cannot read it.
    cache.write_bytes(cache.read_bytes()[:100] + b"\xff" * 4000)
    assert sync(refs, options(served, cache, refresh=True)).statuses == {"resolved": 1}
    save_records(refs, [])  # refs/ still loads and saves
    assert sqlite3.connect(cache).execute("SELECT count(*) FROM answers").fetchone()[0] > 0


def test_the_api_key_is_sent_and_never_written_or_shown(
    served: ReplayServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    key = "slmbib-test-key-4f7a91"
    caplog.set_level(logging.DEBUG)
    refs = make_refs(tmp_path, seed_records())
    cache = tmp_path / "cache.sqlite"
    runner = CliRunner()
    shown = []
    served.inject("s2", "500", path_contains="/search/match")  # a retry, logged
    for more in (["--dry-run"], [], ["--refresh"]):
        if more == ["--refresh"]:
            served.inject(
                "s2", "raw", status=403, body=b'{"message":"Forbidden"}'
            )  # S2's answer to a bad key
        run = runner.invoke(main, ["-vv", *cli_args(served, refs, cache, *more)], env={"S2_API_KEY": key})
        shown += [run.stdout, run.stderr]
    assert "(HTTP 403): Forbidden" in shown[-1]
    sent = [r.headers.get("x-api-key") for r in served.requests if r.service == "s2"]
    assert sent and set(sent) == {key}
    assert not [r for r in served.requests if r.service == "arxiv" and "x-api-key" in r.headers]
    assert key not in "".join(shown) + caplog.text
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert cache in written and not [path for path in written if key.encode() in path.read_bytes()]
    assert key not in repr(options(served, cache, s2_api_key=key))

    bad = runner.invoke(main, cli_args(served, refs, cache, "--s2-api-key", "line\nbreak-7c1"))
    assert bad.exit_code == 1 and "S2_API_KEY is not a valid API key" in bad.stderr
    assert "break-7c1" not in bad.stderr


def test_the_survey_record_is_synced_in_its_own_file(replay_server: ReplayServer, tmp_path: Path) -> None:
    replay_server.add_paper(**SURVEY)
    refs = make_refs(tmp_path, [record("mobilellm", "MobileLLM", arxiv="2402.14905")])
    # The record as earlier versions kept it, its preprint's venue and year entered by hand.
    shutil.copy(REPO / "tests" / "data" / "legacy-survey.yaml", refs / "survey.yaml")
    result = sync(refs, options(replay_server, tmp_path / "cache.sqlite"))
    synced = load_own(refs)["survey"]
    assert synced.identifiers["doi"] == "10.1145/3768165"
    assert synced.get("arxiv_primary_class") == "cs.CL" and synced.sync.status == "resolved"
    # Its hand-entered values stay, with their groups; S2's published version is reported.
    assert synced.fields["entry_type"] == Value("preprint", "manual") and "journal" not in synced.fields
    assert synced.fields["year"] == Value(2024, "manual") and "month" not in synced.fields
    assert "survey: entry_type: kept 'preprint' (manual), s2 says 'article'" in result.conflicts
    assert sorted(p.name for p in (refs / "papers").iterdir()) == ["mobilellm.yaml"]
    assert "survey" in result.changed
    # Moved into refs/own/ when written.
    assert not (refs / "survey.yaml").exists() and (refs / "own" / "survey.yaml").exists()


def test_a_second_sync_on_the_same_refs_is_refused_while_one_runs(
    served: ReplayServer, tmp_path: Path
) -> None:
    refs = make_refs(tmp_path, seed_records())
    before = snapshot(refs)
    with locked(refs):  # another run holds refs/
        run = CliRunner().invoke(main, cli_args(served, refs, tmp_path / "c.sqlite"))
    assert run.exit_code == 1 and "in use by another slmbib run" in run.stderr
    assert served.requests == [] and snapshot(refs) == before
