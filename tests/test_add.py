"""`slmbib add` against the loopback replay server: a paper placed in a section, synced, then rendered."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from slmbib.cli import main
from slmbib.commands.add import add_paper, clean_line, paper_link
from slmbib.commands.check import check_lists
from slmbib.commands.render import render_readme
from slmbib.enriching.syncing import sync
from slmbib.errors import SlmbibError
from slmbib.models import ListedLink, Value
from slmbib.reading.listimport import import_lists
from slmbib.store import load_records

from .replay_server import ReplayServer, synthetic_corpus
from .seeds import SEED_001
from .sync_corpus import (
    LAMINI,
    MOBILELLM,
    SLMBIB,
    SMOOTHQUANT,
    TINYLLAMA,
    TINYSTORIES,
    XGLM,
    closed_url,
    options,
    serve_named_papers,
    serve_papers,
    service_urls,
    subprocess_env,
)
from .workspace import run

MOBILE = "SLM Paper List > Task-specific SLM Applications > SLM in Mobile-device"
SCRATCH = "SLM Paper List > Advanced enhancement methods for SLM > Training from scratch"
OCTOPUS = {
    "arxiv_id": "2404.01744",
    "title": "Octopus v2: On-device language model for super agent",
    "authors": ["Wei Chen", "Zhiyuan Li"],
    "published": "2024-04-02",
}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """README.md is seed 001, imported and rendered once (markers in place)."""
    shutil.copy(SEED_001, tmp_path / "README.md")
    import_lists(tmp_path / "refs", [tmp_path / "README.md"])
    render_readme(tmp_path / "refs", tmp_path / "README.md", init=True)
    return tmp_path


@pytest.fixture
def served(replay_server: ReplayServer) -> ReplayServer:
    for paper in (OCTOPUS, MOBILELLM):
        replay_server.add_paper(**paper)
    return replay_server


def _snapshot(refs: Path) -> dict[str, bytes]:
    return {str(p.relative_to(refs)): p.read_bytes() for p in sorted(refs.rglob("*.yaml"))}


def test_a_new_paper_is_synced_placed_and_rendered(project: Path, served: ReplayServer) -> None:
    refs, readme = project / "refs", project / "README.md"
    result = add_paper(refs, "arXiv:2404.01744v2", MOBILE, options=options(served, project / "cache.sqlite"))
    assert (result.record_id, result.created, result.placed, result.status) == (
        "arxiv-2404.01744",
        True,
        True,
        "resolved",
    )
    assert (result.source, result.name) == ("README.md", "Octopus v2")
    record = load_records(refs)["arxiv-2404.01744"]
    assert record.fields["title"] == Value(OCTOPUS["title"], "arxiv")  # a preprint: arXiv's own details
    (listing,) = record.listings
    assert (listing.section, listing.name, listing.year) == (MOBILE, "Octopus v2", "2024")
    assert listing.links == (ListedLink("Paper", "https://arxiv.org/abs/2404.01744"),)

    rendered = render_readme(refs, readme)
    assert rendered.changed == [MOBILE]
    region = readme.read_text().split(f"<!-- slmbib:begin {MOBILE} -->")[1].split("<!-- slmbib:end -->")[0]
    assert region.splitlines()[-2] == "| Octopus v2 | 2024 | [Link](https://arxiv.org/abs/2404.01744) |  |  |"
    # Read back, the new row is the same listing, and the list stays as clean as it was.
    import_lists(refs, [readme])
    (again,) = load_records(refs)["arxiv-2404.01744"].listings
    assert (again.name, again.year, again.links) == (listing.name, listing.year, listing.links)
    assert render_readme(refs, readme).up_to_date
    assert not [f for f in check_lists([readme], refs).findings if "Octopus" in f.message]


def test_a_paper_refs_has_is_reused_and_never_placed_twice(project: Path, served: ReplayServer) -> None:
    refs = project / "refs"
    sync_options = options(served, project / "cache.sqlite")
    result = add_paper(refs, "https://arxiv.org/pdf/2402.14905v1.pdf", MOBILE, options=sync_options)
    assert (result.record_id, result.created, result.placed) == ("arxiv-2402.14905", False, True)
    record = load_records(refs)["arxiv-2402.14905"]
    assert [x.section for x in record.listings].count(MOBILE) == 1
    assert len(record.listings) == 3  # the two rows of seed 001, and the new one
    before = _snapshot(refs)
    again = add_paper(refs, "2402.14905", SCRATCH, options=sync_options)
    assert (again.record_id, again.placed) == ("arxiv-2402.14905", False)
    assert _snapshot(refs) == before


def test_a_paper_the_services_do_not_know_stays_placed_by_its_identifier(
    project: Path, served: ReplayServer
) -> None:
    refs = project / "refs"
    result = add_paper(
        refs,
        "10.1145/3643832.3661878",
        MOBILE,
        name="On-device LLMs",
        options=options(served, project / "c.db"),
    )
    assert (result.record_id, result.status, result.name) == (
        "doi-10.1145-3643832.3661878",
        "not_found",
        "On-device LLMs",
    )
    (listing,) = load_records(refs)[result.record_id].listings
    assert listing.links == (ListedLink("Paper", "https://doi.org/10.1145/3643832.3661878"),)


def test_a_paper_placed_under_an_unknown_id_is_not_searched_for_by_that_id(
    project: Path, served: ReplayServer
) -> None:
    result = add_paper(
        project / "refs", "doi:10.5555/3666122.1", MOBILE, options=options(served, project / "c.db")
    )
    assert (result.status, result.name) == ("not_found", "doi:10.5555/3666122.1")
    assert [r.path.rsplit("/", 1)[-1] for r in served.requests if r.service == "s2"] == ["batch"]
    assert "no title or name to search by" in load_records(project / "refs")[result.record_id].sync.reason


def test_unknown_section_is_refused_before_anything_is_asked(
    project: Path, replay_server: ReplayServer
) -> None:
    refs = project / "refs"
    before = _snapshot(refs)
    with pytest.raises(
        SlmbibError, match=r"no section 'SLM in Mobile' .* did you mean '.*SLM in Mobile-device'\?$"
    ):
        add_paper(refs, "2404.01744", "SLM in Mobile", options=options(replay_server, project / "c.db"))
    with pytest.raises(SlmbibError, match=r"did you mean '.*> SLM in Mobile-device'\?$"):
        add_paper(
            refs, "2404.01744", "SLM in Mobile devices", options=options(replay_server, project / "c.db")
        )
    assert _snapshot(refs) == before
    assert replay_server.requests == []


def test_a_section_two_lists_have_needs_list(tmp_path: Path, served: ReplayServer) -> None:
    table = "## Papers\n\n| Method | Year | Paper |\n|---|---|---|\n"
    table += "| A | 2024 | [Link](https://arxiv.org/abs/{}) |\n"
    for name, arxiv in (("a.md", "2401.00001"), ("b.md", "2401.00002")):
        (tmp_path / name).write_text(table.format(arxiv))
    refs = tmp_path / "refs"
    import_lists(refs, [tmp_path / "a.md", tmp_path / "b.md"])
    sync_options = options(served, tmp_path / "c.db")
    with pytest.raises(
        SlmbibError, match=r"^section 'Papers' is in several lists \(a.md, b.md\): name one with --list$"
    ):
        add_paper(refs, "2404.01744", "Papers", options=sync_options)
    result = add_paper(refs, "2404.01744", "Papers", list_source="b.md", options=sync_options)
    assert (result.source, result.name) == ("b.md", "Octopus v2")
    assert render_readme(refs, tmp_path / "b.md", init=True).changed == ["Papers"]
    assert (
        "| Octopus v2 | 2024 | [Link](https://arxiv.org/abs/2404.01744) |" in (tmp_path / "b.md").read_text()
    )


@pytest.mark.parametrize(
    ("given", "url", "identifiers"),
    [
        ("2404.01744", "https://arxiv.org/abs/2404.01744", {"arxiv": "2404.01744"}),
        ("arXiv:2404.01744v2", "https://arxiv.org/abs/2404.01744", {"arxiv": "2404.01744"}),
        ("hep-th/9901001", "https://arxiv.org/abs/hep-th/9901001", {"arxiv": "hep-th/9901001"}),
        ("doi:10.18653/v1/2022.emnlp-main.616", "https://doi.org/10.18653/v1/2022.emnlp-main.616",
         {"doi": "10.18653/v1/2022.emnlp-main.616"}),
        ("https://aclanthology.org/2024.acl-long.824/", "https://aclanthology.org/2024.acl-long.824/",
         {"acl": "2024.acl-long.824", "doi": "10.18653/v1/2024.acl-long.824"}),
        ("https://openreview.net/forum?id=hSyW5go0v8", "https://openreview.net/forum?id=hSyW5go0v8",
         {"openreview": "hSyW5go0v8"}),
    ],
)  # fmt: skip
def test_paper_link_forms(given: str, url: str, identifiers: dict[str, str]) -> None:
    found = paper_link(given)
    assert (found.url, found.identifiers) == (url, identifiers)


@pytest.mark.parametrize("given", ["MobileLLM", "https://github.com/facebookresearch/MobileLLM", "URL", ""])
def test_what_names_no_paper_is_refused(given: str) -> None:
    with pytest.raises(SlmbibError, match="is no arXiv id, DOI or paper URL with an identifier"):
        paper_link(given)


def _cli(project: Path, server: ReplayServer, *args: str) -> tuple[int, str, str]:
    service = ["--s2-api-url", server.s2_api_url, "--arxiv-api-url", server.arxiv_api_url]
    return run("--refs", str(project / "refs"), "add", *args, *service, "--cache", str(project / "c.db"))


def test_cli_add_then_render(project: Path, served: ReplayServer) -> None:
    code, out, err = _cli(project, served, "2404.01744", "--section", MOBILE, "--name", "Octopus")
    assert (code, out) == (0, "arxiv-2404.01744\n")
    assert err == (
        f"added arxiv-2404.01744 (new, resolved) to README.md: {MOBILE} as 'Octopus'\n"
        "run `slmbib render README.md` to write the row\n"
    )
    code, _, err = _cli(project, served, "2404.01744", "--section", MOBILE)
    assert code == 0 and err == f"arxiv-2404.01744 (existing, resolved) is in README.md: {MOBILE} already\n"


def test_cli_add_when_a_service_is_down(project: Path, served: ReplayServer) -> None:
    closed = closed_url()  # connections are refused
    code, out, err = run(
        "--refs", str(project / "refs"), "add", "2404.01744", "--section", MOBILE, "--s2-api-url", closed,
        "--arxiv-api-url", f"{closed}/api/query", "--cache", str(project / "c.db"),
    )  # fmt: skip
    assert code == 1
    assert out == "arxiv-2404.01744\n"
    assert "(new, unavailable)" in err and f"s2 {closed}" in err
    # Placed all the same, under the identifier as given, for a later `slmbib sync` to complete.
    (listing,) = load_records(project / "refs")["arxiv-2404.01744"].listings
    assert (listing.section, listing.name) == (MOBILE, "2404.01744")


# -- checklists ---------------------------------------------------------------------------------

DISTILLATION = "SLM Paper List > Advanced enhancement methods for SLM > Distillation for SLM"
HUMMINGBIRDS = "A Survey of Hummingbird Migration Patterns"
# How people write one paper a line: bullets, numbers, check boxes, BibTeX braces, quotes, punctuation.
FORMS = (
    "- {}",
    "* {}.",
    "+ {}",
    "12. {}",
    "3) {};",
    "- [ ] {}",
    "- [x] {}:",
    "{{{}}}",
    "{{{{{}}}}},",
    '"{}",',
    "\t{}  ",
    "\u2022 {}",
    "- {}.",
)


def _braced(title: str) -> str:
    """As BibTeX keeps case: each capitalised word in braces, ``{Efficient} {Small} ...``."""
    return " ".join(f"{{{word}}}" if word[:1].isupper() else word for word in title.split())


def _checklist(titles: list[str], ids: list[str]) -> list[tuple[str, str, bool]]:
    """100 lines: (line, the status it must get, whether S2 is asked about it)."""
    lines: list[tuple[str, str, bool]] = [
        # Listed already, found with no request: identifiers, names, a title refs/ has.
        ("- arXiv:2402.14905v2", "listed", False),
        ("- https://arxiv.org/pdf/2306.07629", "listed", False),
        ("- doi:10.5555/3666122.3666563", "listed", False),
        ("- https://dl.acm.org/doi/10.5555/3666122.3667691", "listed", False),
        ("- QLoRA", "listed", False),
        ("- PEQA", "listed", False),
        ("- Alpaca", "listed", False),
        ("- {BitNet} b1.58", "listed", False),
        ("- MobileLLM", "listed", False),
        (f"- {_braced(MOBILELLM['title'])}", "listed", False),  # synced before: refs/ has its title
        ("## Seeds, by title", "", False),  # a heading names no paper
        # Listed already, known once S2 gives the title's ids.
        (f"1. {TINYSTORIES['title']}", "listed", True),
        (f"2. {{{SMOOTHQUANT['title']}}}.", "listed", True),
        (f"3. {TINYLLAMA['title']}", "listed", True),
        ("", "", False),
        # Found: titles and names S2 knows, verified; identifiers refs/ does not have.
        (f"- {XGLM['title']}", "found", True),
        ("- Attention is All you Need", "found", True),  # the recorded title match
        ("- LaMini-LM", "found", True),
        ("- 2404.01744", "found", False),
        (f"- https://arxiv.org/abs/{ids[-1]}v1", "found", False),
        ("---", "", False),  # a rule names no paper
        # Ambiguous and not found: never a wrong paper.
        ("- Orca", "ambiguous", True),
        # S2's QLoRA paper, while refs/ lists a row QLoRA by an ACM id S2 does not know: maybe the same.
        ("- {QLoRA}: Efficient Finetuning of Quantized {LLMs}", "ambiguous", True),
        ("- National Flag of Canada Day", "not_found", True),  # recorded wrong title match
        ("- Gravity hill", "not_found", True),  # recorded wrong match, by name
        ("- Vicuna", "not_found", True),  # only "Alpaca against Vicuna" has it
        (f"- {HUMMINGBIRDS}", "not_found", True),
        ("- Quantum Annealing for Sourdough Fermentation", "not_found", True),
        ("- https://github.com/facebookresearch/MobileLLM", "not_found", False),
        ("", "", False),
        # Repeated: the same title, name or paper earlier in the list.
        (f"- {HUMMINGBIRDS.lower()}", "repeated", False),
        ("- lamini-lm", "repeated", False),
        ("", "", False),
    ]
    for number, title in enumerate(titles):
        lines.append((FORMS[number % len(FORMS)].format(title), "found", True))
        if len(lines) == 100 - 5:
            break
    lines += [
        (f"- {_braced(titles[0])}", "repeated", False),
        (f"- {titles[1].upper()}", "repeated", False),
        (f"- {{{{{titles[2]}}}}}", "repeated", False),
        (f"- arXiv:{ids[3]}", "repeated", False),  # the paper of the fourth title above, by its id
        ("- [ ]", "", False),  # nor does an empty item
    ]
    assert len(lines) == 100
    return lines


@dataclass
class Checklist:
    server: ReplayServer
    titles: list[str]
    ids: list[str]
    lines: list[tuple[str, str, bool]]
    path: Path


@pytest.fixture
def checklist(project: Path, served: ReplayServer) -> Checklist:
    """The seed's papers, named papers and 70 others served; MobileLLM synced; the checklist written."""
    serve_papers(served)
    serve_named_papers(served)
    ids = served.add_synthetic(70)
    titles = [paper.title for paper in synthetic_corpus(70)][:69]
    sync(project / "refs", options(served, project / "c.db", only=("arxiv-2402.14905",)))
    lines = _checklist(titles, ids)
    path = project / "new-papers.md"
    path.write_text("".join(f"{text}\n" for text, _, _ in lines))
    served.requests.clear()
    return Checklist(served, titles, ids, lines, path)


def test_a_checklist_dry_run_classifies_every_line(project: Path, checklist: Checklist) -> None:
    server, titles, ids, lines = checklist.server, checklist.titles, checklist.ids, checklist.lines
    refs = project / "refs"
    before, readme = _snapshot(refs), (project / "README.md").read_bytes()
    cache = project / "dry.db"

    code, out, _ = _cli_with(project, server, cache, "--from", str(checklist.path), "--section", DISTILLATION,
                             "--dry-run", "--json")  # fmt: skip
    assert code == 1  # papers would be added
    report = [json.loads(line) for line in out.splitlines()]
    expected = [(number, text, status) for number, (text, status, _) in enumerate(lines, 1) if status]
    assert [(r["line"], r["text"], r["status"]) for r in report] == expected
    # Nothing written: not refs/, not the list, not the cache.
    assert _snapshot(refs) == before and (project / "README.md").read_bytes() == readme
    assert not cache.exists()
    # One question per title or name S2 must be asked about; identifiers and repeats cost nothing.
    asked = [r for r in server.requests if r.service == "s2"]
    assert all(r.path.endswith(("/paper/search/match", "/paper/search")) for r in asked)
    assert len(asked) == sum(1 for _, _, asks in lines if asks)

    by_line = {r["line"]: r for r in report}
    records = load_records(refs)
    # Listed: the record and its row.
    qlora = by_line[5]
    row = records[qlora["record"]].listings[0]
    assert (qlora["record"], qlora["where"]) == ("doi-10.5555-3666122.3666563", f"README.md:{row.line}")
    assert by_line[12]["record"] == "arxiv-2305.07759" and by_line[12]["where"].startswith("README.md:")
    # Found: S2's paper with its ids, authors and year, and the record it would become.
    lamini = by_line[18]
    assert (lamini["title"], lamini["year"], lamini["record"]) == (LAMINI["title"], 2023, "arxiv-2304.14402")
    assert lamini["authors"] == LAMINI["authors"] and lamini["identifiers"]["arxiv"] == LAMINI["arxiv_id"]
    # Ambiguous names its candidates; repeated lines name the line they repeat and its record.
    assert "Orca: Progressive" in by_line[22]["detail"] and "Serving System" in by_line[22]["detail"]
    assert (by_line[31]["where"], by_line[32]["where"]) == ("line 27", "line 18")
    assert (by_line[23]["record"], by_line[23]["where"]) == (qlora["record"], qlora["where"])
    fourth = next(r for r in report if r["text"] == FORMS[3].format(titles[3]))
    assert (by_line[99]["where"], by_line[99]["record"]) == (f"line {fourth['line']}", f"arxiv-{ids[3]}")
    assert fourth["record"] == f"arxiv-{ids[3]}"

    # The same as text, one line per paper with where it came from.
    code, out, _ = _cli_with(project, server, cache, "--from", str(checklist.path), "--section", DISTILLATION,
                             "--dry-run")  # fmt: skip
    text = out.splitlines()
    assert code == 1 and len(text) == len(expected)
    assert (
        text[4] == f"{checklist.path}:5: listed: 'QLoRA'; doi-10.5555-3666122.3666563 at README.md:{row.line}"
    )
    assert text[0].startswith(
        f"{checklist.path}:1: listed: 'arXiv:2402.14905v2'; arxiv-2402.14905 at README.md:"
    )


def test_a_checklist_places_the_found_papers_then_render_and_export_show_them(
    project: Path, checklist: Checklist
) -> None:
    server, titles, ids, lines = checklist.server, checklist.titles, checklist.ids, checklist.lines
    refs = project / "refs"

    code, out, err = _cli_with(project, server, project / "c.db", "--from", str(checklist.path), "--section",
                               DISTILLATION)  # fmt: skip
    assert code == 0, err
    found = [text for text, status, _ in lines if status == "found"]
    assert f"papers: {len(out.splitlines())}: " in err and f"{len(found)} found" in err
    # S2: one question per title or name, then one batch for the papers given by identifier (the
    # others' answers are cached under their ids); arXiv: one query for every arXiv id placed.
    s2 = [r for r in server.requests if r.service == "s2"]
    batches = [r for r in s2 if r.path.endswith("/paper/batch")]
    assert len(batches) == 1 and len(s2) == 1 + sum(1 for _, _, asks in lines if asks)
    assert sorted(server.ids_requested("s2")) == sorted(["ARXIV:2404.01744", f"ARXIV:{ids[-1]}"])

    records = load_records(refs)
    placed = [r for r in records.values() if any(x.section == DISTILLATION for x in r.listings)]
    assert len(placed) == 3 + len(found)  # the section's three rows, and one per paper found
    assert render_readme(refs, project / "README.md").changed == [DISTILLATION]
    region = (project / "README.md").read_text().split(f"<!-- slmbib:begin {DISTILLATION} -->")[1]
    region = region.split("<!-- slmbib:end -->")[0]
    for title in (*titles[:3], "LaMini-LM", "XGLM" if ":" in XGLM["title"] else XGLM["title"]):
        assert f"| {title} |" in region
    assert "| Octopus v2 | 2024 | [Link](https://arxiv.org/abs/2404.01744) |" in region
    assert "| LaMini-LM | 2023 | [Link](https://arxiv.org/abs/2304.14402) |" in region
    assert render_readme(refs, project / "README.md").up_to_date
    assert "Orca" not in region and "Flag" not in region and "Gravity" not in region

    run = CliRunner().invoke(main, ["--refs", str(refs), "export", "--sections", DISTILLATION, "-"])
    assert run.exit_code == 0, run.stderr
    exported = run.stdout.replace("{", "").replace("}", "")
    for title in (LAMINI["title"], XGLM["title"], *titles[:20]):
        assert f"title = {title}," in exported, title

    # Again: every paper is listed now, nothing is added.
    code, out, err = _cli_with(project, server, project / "c.db", "--from", str(checklist.path), "--section",
                               DISTILLATION, "--dry-run")  # fmt: skip
    assert code == 0 and not re.search(r"\d+ found", err), err


def _cli_with(project: Path, server: ReplayServer, cache: Path, *args: str) -> tuple[int, str, str]:
    service = [*service_urls(server), "--s2-interval", "0"]
    run = CliRunner().invoke(
        main,
        ["--refs", str(project / "refs"), "add", *args, *service, "--cache", str(cache)],
        catch_exceptions=False,
    )
    return run.exit_code, run.stdout, run.stderr


@pytest.mark.parametrize(
    ("written", "cleaned"),
    [
        ("- [ ] {LLM}s are {{Knowledge Distillation}} Students.", "LLMs are Knowledge Distillation Students"),
        ("  12. Scaling \\& Pruning;", "Scaling & Pruning"),
        ("+ \u201cQuoted Title Here\u201d,", "Quoted Title Here"),
        ("* What Is It?", "What Is It?"),
        ("- 2404.01744", "2404.01744"),
        ("   ", ""),
        ("-", ""),
        ("- [ ]", ""),
    ],
)
def test_checklist_lines_are_cleaned(written: str, cleaned: str) -> None:
    assert clean_line(written) == cleaned


def test_title_lookups_and_the_sync_after_them_keep_s2_s_pacing(project: Path, tmp_path: Path) -> None:
    with ReplayServer(s2_interval=1.0) as server:
        serve_papers(server)
        serve_named_papers(server)
        checklist = tmp_path / "todo.md"
        checklist.write_text(f"- {XGLM['title']}\n- LaMini-LM\n- Orca\n- 2404.01744\n")
        # In a process of its own, as against a real service (see test_sync's pacing test).
        child = subprocess.run(
            [*SLMBIB, "--refs", str(project / "refs"), "add", "--from", str(checklist),
             "--section", DISTILLATION, "--s2-api-url", server.s2_api_url,
             "--arxiv-api-url", server.arxiv_api_url, "--s2-interval", "1",
             "--cache", str(tmp_path / "c.db")],
            env=subprocess_env(), capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert child.returncode == 0, child.stderr
        assert "papers: 4: 3 found, 1 ambiguous" in child.stderr
        # Three lookups, then the sync's one batch (for the id), each one interval after the last.
        assert server.count("s2") == 4 and server.pacing_violations == 0


def test_a_checklist_when_s2_is_down_fails_in_one_line_and_places_nothing(
    project: Path, tmp_path: Path
) -> None:
    closed = closed_url()  # connections are refused
    checklist = tmp_path / "todo.md"
    checklist.write_text(f"- {XGLM['title']}\n- LaMini-LM\n")
    before = _snapshot(project / "refs")
    run = CliRunner().invoke(
        main,
        ["--refs", str(project / "refs"), "add", "--from", str(checklist), "--section", DISTILLATION,
         "--s2-api-url", closed, "--cache", str(tmp_path / "c.db")],
    )  # fmt: skip
    assert run.exit_code == 1 and run.stdout == ""
    assert run.stderr.splitlines()[-1].startswith(f"Error: s2 {closed}/graph/v1/paper/search/match")
    assert _snapshot(project / "refs") == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "give PAPERS or --from FILE"),
        (("2404.01744",), "give --section SECTION, or --own"),
        (("2404.01744", "--own", "--dry-run"), "--own adds one paper, by its id"),
        (("2404.01744", "2402.14905", "--section", MOBILE, "--name", "X"), "--name names one paper"),
    ],
)
def test_add_usage_errors_ask_nothing(
    project: Path, replay_server: ReplayServer, args: tuple[str, ...], message: str
) -> None:
    code, out, err = _cli_with(project, replay_server, project / "c.db", *args)
    assert (code, out) == (2, "") and message in err
    assert replay_server.requests == []
