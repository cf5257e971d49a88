"""What a command does with a wrong folder, a mixed import, a lax service URL and a broken record.

Each case once slipped through: a command run where there is no refs/ created one and reported
success; `import good.md bad.bib` wrote the list before refusing the .bib; the arXiv pacing guard
compared the URL string; messages showed a Python exception's repr, no line, or a 309-digit wait.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from slmbib.cli import main

from ..replay_server import ReplayServer
from ..sync_corpus import service_urls

LIST = (
    "## Papers\n\n| Model | Year | Paper |\n|---|---|---|\n"
    "| MobileLLM | 2024 | [Paper](https://arxiv.org/abs/2402.14905) |\n"
)


def _run(folder: Path, *args: str) -> tuple[int, str, str]:
    before = os.getcwd()
    os.chdir(folder)
    try:
        result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    finally:
        os.chdir(before)
    return result.exit_code, result.stdout, result.stderr


def _tree(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


@pytest.mark.parametrize(
    "args",
    [
        ["cite"],
        ["cite", "--readme", "README.md"],
        ["export", "-"],
        ["export", "out.bib"],
        ["list"],
        ["list", "--json"],
        ["rekey", "--all"],
        ["sync", "--s2-api-url", "http://127.0.0.1:9", "--arxiv-api-url", "http://127.0.0.1:9"],
        ["sync", "--dry-run", "--s2-api-url", "http://127.0.0.1:9", "--arxiv-api-url", "http://127.0.0.1:9"],
        ["render"],
        ["check"],
        ["import"],
        ["add", "2402.14905", "--section", "Papers"],
    ],
    ids=lambda args: " ".join(args[:2]),
)
def test_a_command_where_there_is_no_refs_says_so_and_creates_nothing(
    tmp_path: Path, args: list[str]
) -> None:
    (tmp_path / "README.md").write_text(LIST, encoding="utf-8")
    code, out, err = _run(tmp_path, *args)
    assert (code, out) == (1, "")
    assert err == "Error: refs: no reference database here; `slmbib init [LIST.md]` starts one\n"
    assert _tree(tmp_path) == ["README.md"]


def test_import_of_a_good_list_and_a_bad_bib_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text(LIST, encoding="utf-8")
    (tmp_path / "bad.bib").write_text("@article{a,\n  title = {Unclosed {brace},\n}\n", encoding="utf-8")
    assert _run(tmp_path, "init")[0] == 0  # an empty database: no list yet
    before = _tree(tmp_path)
    code, _, err = _run(tmp_path, "import", "good.md", "bad.bib")
    assert code == 1
    assert err.startswith("Error: bad.bib:") and err.count("\n") == 1, err
    assert _tree(tmp_path) == before
    # ... and into a folder with no refs/ yet: not even refs/ is created.
    (tmp_path / "new").mkdir()
    code, _, _ = _run(tmp_path, "--refs", "new/refs", "import", "good.md", "bad.bib")
    assert code == 1 and not (tmp_path / "new" / "refs").exists()


@pytest.mark.parametrize(
    "url",
    [
        "https://export.arxiv.org/api/query/",
        "http://export.arxiv.org/api/query",
        "HTTPS://EXPORT.ARXIV.ORG/api/query",
        "https://arxiv.org/api/query",
        "https://export.arxiv.org./api/query",
    ],
)
def test_arxiv_pacing_below_its_terms_is_refused_however_the_url_is_written(tmp_path: Path, url: str) -> None:
    (tmp_path / "README.md").write_text(LIST, encoding="utf-8")
    assert _run(tmp_path, "init")[0] == 0
    code, _, err = _run(tmp_path, "sync", "--arxiv-api-url", url, "--arxiv-interval", "1")
    assert code == 2
    assert "arXiv asks for 3 s or more between requests" in err


@pytest.mark.parametrize(
    ("record", "says"),
    [
        (
            "id: x\nlistings:\n- source: a.md\n  line: 3\n  cells: [1, 2]\n",
            "refs/papers/x.yaml:2: 'listings' cannot be read: a list where a mapping belongs",
        ),
        (
            "id: x\nlistings:\n- source: a.md\n  line: three\n",
            "refs/papers/x.yaml:2: 'listings' cannot be read: "
            "invalid literal for int() with base 10: 'three'",
        ),
    ],
)
def test_a_malformed_record_is_named_by_its_member_and_line(tmp_path: Path, record: str, says: str) -> None:
    (tmp_path / "refs" / "papers").mkdir(parents=True)
    (tmp_path / "refs" / "papers" / "x.yaml").write_text(record, encoding="utf-8")
    assert _run(tmp_path, "list") == (1, "", f"Error: {says}\n")


def test_an_unsafe_pinned_key_is_named_with_its_line(tmp_path: Path) -> None:
    (tmp_path / "refs" / "papers").mkdir(parents=True)
    (tmp_path / "refs" / "papers" / "x.yaml").write_text("id: x\nkey: a b\n", encoding="utf-8")
    assert _run(tmp_path, "export", "-") == (
        1,
        "",
        "Error: refs/papers/x.yaml:2: unsafe citation key 'a b'\n",
    )


def test_a_wait_of_10_to_the_308_seconds_is_said_in_words(tmp_path: Path) -> None:
    (tmp_path / "README.md").write_text(LIST, encoding="utf-8")
    assert _run(tmp_path, "init")[0] == 0
    with ReplayServer() as server:
        server.inject("s2", "429", retry_after=1e308)
        code, _, err = _run(
            tmp_path,
            "sync",
            *service_urls(server),
            "--s2-interval",
            "0",
            "--arxiv-interval",
            "0",
        )
    error = err.strip().splitlines()[-1]
    assert code == 1
    assert "the server asks to wait over 1,000 years, more than the " in error
    assert not re.search(r"\d{10}", error)


def test_a_mixed_import_skips_a_broken_entry_as_a_bib_import_alone_does(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text(LIST, encoding="utf-8")
    (tmp_path / "part.bib").write_text(
        "@article{a, title = {A Paper}, author = {A B}, year = 2020}\n@article{b title}\n", encoding="utf-8"
    )
    assert _run(tmp_path, "init")[0] == 0
    code, _, err = _run(tmp_path, "import", "good.md", "part.bib")
    assert code == 0, err
    assert "part.bib:2: expected ',' after the key" in err and "part.bib: 1 entry read" in err
