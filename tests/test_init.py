"""`slmbib init` and a project's recorded lists; one exit-code convention for every command."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from slmbib.cli import main
from slmbib.commands.check import CODES
from slmbib.reading.readme import read_text

from .replay_server import ReplayServer
from .seeds import REPO

LIST = (
    "# My survey\n\n## Papers\n\n| Model | Year | Paper |\n|---|---|---|\n"
    "| MobileLLM | 2024 | [Paper](https://arxiv.org/abs/2402.14905) |\n"
)
ROW = "| TinyLlama | 2024 | [Paper](https://arxiv.org/abs/2401.02385) |\n"


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Path]:
    (tmp_path / "README.md").write_text(LIST, encoding="utf-8")
    before = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        os.chdir(before)


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_init_records_the_list_where_it_is_and_a_bare_import_rereads_it(folder: Path) -> None:
    code, _, err = _run("init")
    assert code == 0
    assert err.splitlines()[:3] == [
        "refs: created",
        "refs/config.yaml: lists recorded: README.md",
        "README.md: 1 rows read",
    ]
    assert "lists:\n- README.md\n" in (folder / "refs" / "config.yaml").read_text(encoding="utf-8")
    with (folder / "README.md").open("a", encoding="utf-8") as readme:
        readme.write(ROW)
    code, _, err = _run("import")
    assert code == 0
    assert err.splitlines()[:2] == ["README.md: 2 rows read", "records: 1 created, 0 updated, 1 unchanged"]
    # Bare check and render read the recorded list too.
    assert _run("check")[0] == 0
    code, _, err = _run("render", "--init")
    assert code == 0 and err.startswith("README.md: markers added: Papers\n")
    assert "<!-- slmbib:begin Papers -->" in (folder / "README.md").read_text(encoding="utf-8")


def test_a_list_imported_later_joins_the_recorded_ones(folder: Path) -> None:
    (folder / "docs").mkdir()
    (folder / "docs" / "more.md").write_text(LIST.replace("MobileLLM", "Other") + ROW, encoding="utf-8")
    _run("init")
    code, _, err = _run("import", "docs/more.md")
    assert code == 0 and err.endswith("refs/config.yaml: list recorded: docs/more.md\n")
    code, _, err = _run("import")
    assert err.splitlines()[:2] == ["README.md: 1 rows read", "docs/more.md: 2 rows read"]
    assert _run("import", "README.md")[2].count("recorded") == 0


def test_the_demo_without_a_config_records_nothing(project: Path) -> None:
    code, _, err = _run("import", "refs/lists/000_a65a45ae749ad8e5.md")
    assert code == 0 and "recorded" not in err
    assert not (project / "refs" / "config.yaml").exists()


def test_an_import_where_there_is_no_refs_starts_one_like_init(folder: Path) -> None:
    code, _, err = _run("import", "README.md")
    assert code == 0 and err.startswith("refs: created\nrefs/config.yaml: lists recorded: README.md\n")
    assert _run("import")[0] == 0


def test_init_refuses_a_refs_that_exists_and_writes_nothing_for_an_unreadable_list(folder: Path) -> None:
    (folder / "bad.md").write_text("| a | b |\n|---|---|\n| [x](y |\n", encoding="utf-8")
    assert _run("init", "bad.md")[0] == 1
    assert not (folder / "refs").exists()
    assert _run("init")[0] == 0
    assert _run("init") == (1, "", "Error: refs: exists already; `slmbib import LIST.md` adds a list to it\n")


CITATION = """
## Citation

```bibtex
@article{wang2024comprehensive,
  title={A Comprehensive Survey of Small Language Models},
  author={Wang, Fali and Zhang, Zhiwei},
  journal={arXiv preprint arXiv:2411.03350},
  year={2024}
}
```
"""


def test_init_picks_up_the_lists_own_works_and_cite_readme_writes_the_recorded_list(folder: Path) -> None:
    (folder / "README.md").write_text(LIST + CITATION, encoding="utf-8")
    code, _, err = _run("init")
    assert code == 0 and "README.md: own work created: arxiv-2411.03350\n" in err
    code, _, err = _run("cite", "--readme")
    assert (code, err) == (0, "README.md: citation block written\n")
    assert "<!-- slmbib:citation end -->" in (folder / "README.md").read_text(encoding="utf-8")


def test_a_listed_paper_whose_title_names_a_reference_is_no_own_work(folder: Path) -> None:
    item = "\n## More\n\n- Inference with Reference, arXiv 2023 [[Paper](https://arxiv.org/abs/2304.04487)]\n"
    (folder / "README.md").write_text(LIST + item, encoding="utf-8")
    code, _, err = _run("init")
    assert code == 0 and "own work created" not in err
    assert not (folder / "refs" / "own").exists()


def test_init_says_how_to_add_own_works_when_the_list_names_none(folder: Path) -> None:
    assert _run("init")[2].endswith(
        "refs/own: no own work found; `slmbib add --own ARXIV_ID_OR_DOI` adds one\n"
    )


def test_a_broken_config_is_one_line_naming_it(folder: Path) -> None:
    (folder / "refs").mkdir()
    (folder / "refs" / "config.yaml").write_text("lists: README.md\n", encoding="utf-8")
    assert _run("import") == (1, "", "Error: refs/config.yaml:1: 'lists' must be a list of file names\n")


def test_a_missing_list_is_an_input_error_for_import_and_check_alike(folder: Path) -> None:
    _run("init")
    assert _run("import", "nosuch.md")[0] == _run("check", "nosuch.md")[0] == 1


@pytest.mark.parametrize("text", ["", "% only a comment\njust junk, no entry\n"], ids=["empty", "junk"])
def test_an_empty_or_junk_bib_is_an_error_like_an_empty_list(folder: Path, text: str) -> None:
    (folder / "empty.md").write_text("", encoding="utf-8")
    (folder / "x.bib").write_text(text, encoding="utf-8")
    _run("init")
    assert _run("import", "empty.md")[0] == 1
    code, _, err = _run("import", "x.bib")
    assert code == 1 and err.startswith("Error: x.bib:1: no BibTeX entry found")


def test_a_broken_bibs_problems_come_in_line_order(folder: Path) -> None:
    (folder / "x.bib").write_text(
        "@article{a, title = {A}, year = foo}\n@article{b title}\n@article{c, title = {C}}\n",
        encoding="utf-8",
    )
    _run("init")
    code, _, err = _run("import", "x.bib")
    # Broken entries are reported and skipped; the rest is imported.
    lines = [int(found.group(1)) for found in re.finditer(r"^x\.bib:(\d+): ", err, re.MULTILINE)]
    assert code == 0 and len(lines) == 2 and lines == sorted(lines)


def test_a_repair_that_leaves_no_word_shows_what_it_changed() -> None:
    rows = read_text(
        "| Model | Year | Paper |\n|---|---|---|\n"
        "| Tiny Â Model | 2024 | [Paper](https://arxiv.org/abs/2401.00001) |\n",
        "x.md",
    )
    assert rows[0].notes == ("repaired mis-encoded text 'Â ' -> '\\xa0'",)


def test_check_help_names_every_finding_code() -> None:
    help_text = _run("check", "--help")[1]
    listed = set(re.findall(r"[a-z]+(?:-[a-z]+)+", help_text.split("Codes")[1].split("Options:")[0]))
    assert listed == set(CODES)


@pytest.mark.parametrize("command", sorted(main.commands) if isinstance(main, click.Group) else [])
def test_every_command_says_what_it_reads_and_writes(command: str) -> None:
    help_text = _run(command, "--help")[1]
    assert "Reads:" in help_text
    assert "Writes:" in help_text or "writes nothing" in help_text


def _exit_code_table() -> dict[str, list[str]]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    table = text[text.index("<!-- exit-codes:begin -->") : text.index("<!-- exit-codes:end -->")]
    rows = [line.strip("| ").split(" | ") for line in table.splitlines() if line.startswith("| `")]
    return {cells[0].strip("`"): cells[1:] for cells in rows}


#: In one folder, in this order: (arguments, the exit status the README's table promises).
SCENARIOS = [
    (["init", "--bogus"], 2),
    (["list"], 1),
    (["init"], 0),
    (["init"], 1),
    (["import", "--bogus"], 2),
    (["import", "nosuch.md"], 1),
    (["import"], 0),
    (["list", "--bogus"], 2),
    (["list"], 0),
    (["--refs", "nowhere", "list"], 1),
    (["sync", "--arxiv-api-url", "https://export.arxiv.org/api/query", "--arxiv-interval", "1"], 2),
    (["sync", "--s2-api-url", "http://127.0.0.1:9", "--arxiv-api-url", "http://127.0.0.1:9"], 1),
    (["sync", "--s2-api-url", "{s2}", "--arxiv-api-url", "{arxiv}"], 0),
    (["check", "--ignore", "nosuch-code"], 2),
    (["check", "nosuch.md"], 1),
    (["check"], 0),
    (["render", "--bogus"], 2),
    (["--refs", "nowhere", "render"], 1),
    (["render", "--init"], 0),
    (["export"], 2),
    (["--refs", "nowhere", "export", "-"], 1),
    (["export", "out.bib"], 0),
    (["cite", "--bogus"], 2),
    (["cite"], 1),
    (["--refs", "{demo}", "cite"], 0),
    (["rekey"], 2),
    (["rekey", "nosuchkey"], 1),
    (["rekey", "--all"], 0),
    (["add", "2401.02385"], 2),
    (["add", "2401.02385", "--section", "No such section"], 1),
    (
        ["add", "2401.02385", "--section", "Papers", "--s2-api-url", "{s2}", "--arxiv-api-url", "{arxiv}"],
        0,
    ),
]


def test_the_exit_code_table_holds_for_every_command(folder: Path) -> None:
    table = _exit_code_table()
    assert isinstance(main, click.Group)
    assert set(table) == set(main.commands)
    assert all(len(cells) == 3 for cells in table.values())
    tried: dict[str, set[int]] = {}
    demo = str(shutil.copytree(REPO / "refs", folder / "demo" / "refs"))
    with ReplayServer() as server:
        for args, expected in SCENARIOS:
            args = [arg.format(s2=server.s2_api_url, arxiv=server.arxiv_api_url, demo=demo) for arg in args]
            code, _, err = _run(*args)
            assert code == expected, (args, err)
            command = next(arg for arg in args if arg in table)
            # One message style: a failure ends with one `Error: ` line (check's findings are its output).
            assert code == 0 or command == "check" or err.splitlines()[-1].startswith("Error: "), (args, err)
            tried.setdefault(command, set()).add(code)
    assert tried == {command: {0, 1, 2} for command in table}
