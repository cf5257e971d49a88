"""README.md cannot drift from the code: its command reference is the commands' own --help."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _check_with(script: str) -> None:
    result = subprocess.run(
        [sys.executable, str(REPO / "scripts" / script), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_command_reference_is_up_to_date() -> None:
    _check_with("cli_reference.py")


def test_readme_opens_with_the_two_commands_and_ci_runs_the_second() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8").splitlines()
    start = readme.index("```sh") + 1
    main_job, tests = readme[start : start + 2]
    assert main_job.endswith("pip install . && slmbib export survey.bib")
    assert tests.endswith("pip install '.[test]' && python -m pytest -q")
    # .ci/run evaluates the first README line that installs the test extra: it must be this one.
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "grep -m1 -F \"pip install '.[test]'\" README.md" in ci
    assert next(line for line in readme if "pip install '.[test]'" in line) == tests


def test_own_list_section_runs_as_written() -> None:
    """From a folder holding only a real list: every command of the section, and what it printed."""
    _check_with("own_list_tour.py")
