"""Run the README's "Use slmbib for your own list" section and write each command's output into it.

The section's ``console`` blocks hold commands (``$ slmbib ...``) each followed by
what it prints (stdout and stderr as a terminal shows them, then ``(exit status
N)`` when not 0; a pipeline's status is its first failure's).
``python scripts/own_list_tour.py`` runs every command, as written, in a new
folder holding only ``README.md`` (a copy of the real list in
``tests/data/lists/``), with ``sync`` pointed at the loopback stand-in for
Semantic Scholar and arXiv (``tests/replay_server.py``, through the
``SLMBIB_*_API_URL`` variables, its pacing off), and rewrites the outputs;
``--check`` exits 1 when what the README shows is not what the commands print
(the test suite runs that).
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
LIST = REPO / "tests" / "data" / "lists" / "AIoT-MLSys-Lab+Efficient-LLMs-Survey.md"
BEGIN = "<!-- own-list:begin -->"
END = "<!-- own-list:end -->"
PROMPT = "$ "
BLOCK = re.compile(r"^```console\n(.*?)^```\n", re.MULTILINE | re.DOTALL)
# What differs from run to run: the time a sync took.
VARYING = (re.compile(r"time: \d+\.\d s"), "time: 0.0 s")

sys.path.insert(0, str(REPO))
from tests.replay_server import ReplayServer  # noqa: E402 - the repository root is on the path now


def _normalised(output: str) -> str:
    pattern, replacement = VARYING
    return pattern.sub(replacement, output)


def _run(command: str, folder: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    status = f"(exit status {done.returncode})\n" if done.returncode else ""
    return _normalised(done.stdout + status)


def _rerun_block(body: str, folder: Path, env: dict[str, str]) -> str:
    commands = [line[len(PROMPT) :] for line in body.splitlines() if line.startswith(PROMPT)]
    return "".join(PROMPT + command + "\n" + _run(command, folder, env) for command in commands)


def section_as_run(text: str) -> str:
    """The README with every command's output in the own-list section replaced by a fresh run."""
    start, end = text.index(BEGIN), text.index(END)
    with tempfile.TemporaryDirectory() as work, ReplayServer() as server:
        folder = Path(work)
        shutil.copyfile(LIST, folder / "README.md")
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "SLMBIB_S2_API_URL": server.s2_api_url,
            "SLMBIB_ARXIV_API_URL": server.arxiv_api_url,
            # The stand-in does not pace: the tour need not wait for the real services' spacing.
            "SLMBIB_S2_INTERVAL": "0",
            "SLMBIB_ARXIV_INTERVAL": "0",
            "COLUMNS": "100",
        }
        for name in ("SLMBIB_REFS", "SLMBIB_CACHE", "S2_API_KEY"):
            env.pop(name, None)
        section = BLOCK.sub(
            lambda block: "```console\n" + _rerun_block(block.group(1), folder, env) + "```\n",
            text[start:end],
        )
    return text[:start] + section + text[end:]


def run(check: bool) -> int:
    text = README.read_text(encoding="utf-8")
    new = section_as_run(text)
    if _normalised(new) == _normalised(text):
        return 0
    if check:
        sys.stdout.writelines(
            difflib.unified_diff(
                text.splitlines(keepends=True), new.splitlines(keepends=True), "README.md", "as run"
            )
        )
        print("README.md's own-list section is out of date: run python scripts/own_list_tour.py")
        return 1
    README.write_text(new, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(run(check="--check" in sys.argv[1:]))
