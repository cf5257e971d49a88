"""`slmbib add` against the loopback replay server: a paper placed in a section, synced, then rendered."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from click.testing import CliRunner

from slmbib.add import add_paper, paper_link
from slmbib.check import check_lists
from slmbib.cli import main
from slmbib.errors import SlmbibError
from slmbib.listimport import import_lists
from slmbib.models import Value
from slmbib.render import render_readme
from slmbib.store import load_records

from .replay_server import ReplayServer
from .seeds import SEED_001
from .sync_corpus import MOBILELLM, options

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
    assert listing.links == ({"column": "Paper", "url": "https://arxiv.org/abs/2404.01744"},)

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
    assert listing.links == ({"column": "Paper", "url": "https://doi.org/10.1145/3643832.3661878"},)


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
    run = CliRunner().invoke(
        main,
        ["--refs", str(project / "refs"), "add", *args, *service, "--cache", str(project / "c.db")],
        catch_exceptions=False,
    )
    return run.exit_code, run.stdout, run.stderr


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
    with socket.socket() as probe:  # a port nothing listens on: connections are refused
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    run = CliRunner().invoke(
        main,
        ["--refs", str(project / "refs"), "add", "2404.01744", "--section", MOBILE, "--s2-api-url", closed,
         "--arxiv-api-url", f"{closed}/api/query", "--cache", str(project / "c.db")],
    )  # fmt: skip
    assert run.exit_code == 1
    assert run.stdout == "arxiv-2404.01744\n"
    assert "(new, unavailable)" in run.stderr and f"s2 {closed}" in run.stderr
    # Placed all the same, under the identifier as given, for a later `slmbib sync` to complete.
    (listing,) = load_records(project / "refs")["arxiv-2404.01744"].listings
    assert (listing.section, listing.name) == (MOBILE, "2404.01744")
