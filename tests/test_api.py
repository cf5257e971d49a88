"""The Python API: the names ``slmbib`` exports, its help, and the README's worked example."""

from __future__ import annotations

import contextlib
import inspect
import io
import pydoc
import re
import subprocess
import sys
from pathlib import Path

import slmbib

from .seeds import REPO

EXPORTED = [
    "AddResult",
    "ApiError",
    "BibImportSummary",
    "CheckResult",
    "ExportResult",
    "ImportSummary",
    "InputError",
    "InputErrors",
    "KeyChange",
    "KeyClashError",
    "Link",
    "LinkRole",
    "ListedLink",
    "Listing",
    "LockedError",
    "OwnWorks",
    "Provenance",
    "ReadmeUpdate",
    "Record",
    "RenderResult",
    "SlmbibError",
    "StrictError",
    "SyncFailure",
    "SyncOptions",
    "SyncResult",
    "SyncStatus",
    "UnknownRecordError",
    "UsageError",
    "Value",
    "__version__",
    "add_own",
    "add_paper",
    "check_lists",
    "citation_block",
    "cite_readme",
    "export_bibliography",
    "import_bib",
    "import_lists",
    "list_records",
    "records_as_json",
    "rekey_refs",
    "render_readme",
    "sync",
]

API = [name for name in EXPORTED if name != "__version__"]


def test_the_exported_names_are_pinned() -> None:
    """Removing or renaming one breaks callers: it takes a new version, not a quiet edit."""
    assert slmbib.__all__ == EXPORTED


def test_every_exported_name_is_slmbibs_own() -> None:
    for name in API:
        value = getattr(slmbib, name)
        assert value.__module__.startswith("slmbib."), name
        assert name in dir(slmbib)


def test_the_refs_folder_has_one_parameter_name() -> None:
    for name in EXPORTED:
        value = getattr(slmbib, name)
        if inspect.isfunction(value):
            parameters = set(inspect.signature(value).parameters)
            assert not parameters & {"root", "refs_root", "refs_dir"}, name


def test_importing_slmbib_loads_nothing_else() -> None:
    probe = "import slmbib, sys; print(sorted(m for m in sys.modules if m.startswith('slmbib')))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "['slmbib']"


def test_help_shows_the_api() -> None:
    shown = pydoc.render_doc(slmbib, renderer=pydoc.plaintext)
    for name in API:
        assert re.search(rf"\b{re.escape(name)}\b", shown), name
    assert f"VERSION\n    {slmbib.__version__}" in shown


def test_the_readme_example_runs_as_shown(project: Path) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Use from Python\n", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    shown = re.search(r"prints\n\n```text\n(.*?)```", section, re.DOTALL)
    assert code and shown
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code.group(1), "README.md", "exec"), {})
    assert printed.getvalue() == shown.group(1)
    assert (project / "survey.bib").read_text(encoding="utf-8").count("\n@") == 107
    assert not (project / "complete.bib").exists()
