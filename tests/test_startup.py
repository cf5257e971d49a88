"""``slmbib --help`` loads only click and the CLI itself.

Start-up time is measured by ``python -m benchmarks``; what this test guards is
its cause: a heavy import at the top of the cli package (or of a module it imports)
would make every command, and every ``--help``, pay for YAML, bibtexparser,
httpx and the rest.  Each command imports what it needs when it runs.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import slmbib
from slmbib.cli import main

HEAVY = ("yaml", "httpx", "bibtexparser", "pylatexenc", "semanticscholar", "defusedxml", "ftfy", "sqlite3")
#: The only parts of slmbib that ``--help`` may load: the click layer (slmbib.cli and its modules) and these.
LIGHT = {"slmbib", "slmbib.choices", "slmbib.errors"}

_PROBE = """
import json, sys
import slmbib
from slmbib.cli import main
try:
    main(sys.argv[1:], prog_name="slmbib")
except SystemExit:
    pass
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
"""


def modules_loaded_by(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(done.stderr.strip().splitlines()[-1]))


COMMANDS = [(), *((name,) for name in sorted(main.commands))]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda command: " ".join(command) or "-")
def test_help_loads_no_heavy_module(command: tuple[str, ...]) -> None:
    loaded = modules_loaded_by(*command, "--help")
    assert "click" in loaded  # the probe did run the CLI
    heavy = sorted(name for name in loaded if name.split(".")[0] in HEAVY)
    ours = sorted(
        name
        for name in loaded
        if name.split(".")[0] == "slmbib" and name not in LIGHT and name.split(".")[:2] != ["slmbib", "cli"]
    )
    assert heavy == [] and ours == []


def test_an_up_to_date_export_reads_no_record(project: Path) -> None:
    """The everyday `slmbib export survey.bib` with nothing new: no YAML, no record, no rewrite."""
    assert "yaml" in modules_loaded_by("export", "survey.bib")  # the first one exports
    written = (project / "survey.bib").stat()
    loaded = modules_loaded_by("export", "survey.bib")
    assert sorted(name for name in loaded if name.split(".")[0] in (*HEAVY, "logging")) == []
    assert (project / "survey.bib").stat().st_mtime_ns == written.st_mtime_ns

    # Any record changed, and the export runs in full again.
    record = next((project / "refs" / "papers").glob("*.yaml"))
    text = record.read_text()
    record.write_text(re.sub(r"(?m)^key: .*$", "key: zzzrenamed2024", text, count=1))
    assert "yaml" in modules_loaded_by("export", "survey.bib")
    assert (project / "survey.bib").stat().st_mtime_ns != written.st_mtime_ns
    assert b"{zzzrenamed2024," in (project / "survey.bib").read_bytes()


@pytest.mark.parametrize(
    ("command", "first_run"),
    [(("export", "survey.bib"), True), (("export", "survey.bib"), False), (("import",), False)],
    ids=["first export", "export of a changed refs", "import"],
)
def test_a_command_that_works_shows_the_library_messages(
    project: Path, command: tuple[str, ...], first_run: bool
) -> None:
    """Logging starts late for `export`, only once it has work to do: its messages still show."""
    if not first_run:
        subprocess.run(
            [sys.executable, "-m", "slmbib", *command], check=True, capture_output=True, timeout=120
        )
        next((project / "refs" / "papers").glob("*.yaml")).touch()
    left_over = project / "refs" / "papers" / ".x.yaml.tmp1.part"
    left_over.write_text("half a record")

    def run(*options: str) -> str:
        left_over.write_text("half a record")
        done = subprocess.run(
            [sys.executable, "-m", "slmbib", *options, *command], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        return done.stderr

    assert f"removed refs/papers/{left_over.name}, left by an interrupted run" in run()
    assert "left by an interrupted run" not in run("--quiet")


def test_an_export_is_up_to_date_only_with_the_files_it_reads() -> None:
    from slmbib import store
    from slmbib.writing import uptodate

    assert (uptodate._PAPERS, uptodate._OWN, uptodate._SURVEY) == (
        store.PAPERS_DIR,
        store.OWN_DIR,
        store.SURVEY_FILE,
    )


def test_an_export_is_up_to_date_only_with_the_code_of_every_subpackage() -> None:
    import slmbib.cli
    from slmbib.writing import uptodate

    folders = uptodate._code_folders()
    assert folders[0] == Path(slmbib.__file__).parent
    assert Path(slmbib.cli.__file__).parent in folders
    assert all(folder.name != "__pycache__" for folder in folders)


def test_python_dash_m_runs_the_same_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "slmbib", "--version"], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout) == (0, f"slmbib, version {slmbib.__version__}\n")
