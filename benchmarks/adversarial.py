"""Adversarial input shapes, timed at n and 10n: a linear pass takes about 10 times as long at 10n.

The shapes are those a hostile list, .bib or service answer can take (a heading
with thousands of spaces, a title of 100,000 ``!``, many rows sharing one link,
thousands of entries with one title, huge titles and author lists).  Each is
run as a real command in a child process; the time of the same command on a
trivial input (the startup, best of three) is subtracted before the ratio is
taken (work at n counts as at least :data:`FLOOR`), short runs are the best
of three, and a shape whose work at 10n stays under :data:`NEGLIGIBLE` counts
as fast whatever its (then noisy) ratio.

Every run is bounded: a child is killed after :data:`HARD_LIMIT` seconds (the
figure is then "> limit"), and when the run at n already takes longer than
:data:`BUDGET`, the run at 10n is skipped and the row says so, so the whole
benchmark cannot hang on a super-linear pass.
"""

from __future__ import annotations

import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .measure import Row, child_env, seconds, slmbib_command

#: Seconds the run at n may take before the run at 10n is skipped.
BUDGET = 20.0
#: Seconds after which any one run is stopped.
HARD_LIMIT = 60.0
#: A ratio up to this counts as linear (10 plus room for noise and n log n).
LINEAR_RATIO = 20.0
#: Below this much work at 10n (startup subtracted) a ratio is noise: the shape is simply fast.
NEGLIGIBLE = 0.5
#: Work at n is taken as at least this much: a ratio against a few milliseconds is noise.
FLOOR = 0.05
#: Runs shorter than this are repeated (best of three), as the startup is.
REPEAT_BELOW = 5.0

LINK = "https://arxiv.org/abs/2402.14905"
TABLE_HEAD = "| Model | Date | Paper |\n| ---- | ---- | ---- |\n"


@dataclass(frozen=True)
class Shape:
    name: str
    #: Writes the input for size n into the folder; returns the command's arguments after ``slmbib``.
    build: Callable[[Path, int], list[str]]
    n: int


def _list(folder: Path, text: str) -> Path:
    path = folder / "list.md"
    path.write_text(text, encoding="utf-8")
    return path


def _heading(folder: Path, n: int) -> Path:
    return _list(folder, f"# Models\n\n## S{' ' * n}x\n\n{TABLE_HEAD}| Phi-2 | 2023.12 | [Paper]({LINK}) |\n")


def _shared_link(folder: Path, n: int) -> list[str]:
    rows = "".join(f"| Model {i} | 2024.2 | [Paper]({LINK}) |\n" for i in range(n))
    return ["check", str(_list(folder, f"# Models\n\n{TABLE_HEAD}{rows}"))]


def _one_title_bib(folder: Path, n: int) -> list[str]:
    entries = "".join(
        f"@article{{key{i},\n  title = {{One Title for Every Entry}},\n"
        f"  author = {{Family{i}, Given and Other, Person}},\n  year = {{2024}},\n}}\n\n"
        for i in range(n)
    )
    path = folder / "same.bib"
    path.write_text(entries, encoding="utf-8")
    return ["import", str(path)]


def _export_record(folder: Path, title: str, authors: list[str]) -> list[str]:
    # Written with the library (this process imports the checkout's slmbib): a record as sync leaves it.
    from slmbib.models import Record, Value
    from slmbib.store import save_records

    fields = {
        "title": Value(title, "arxiv"),
        "authors": Value(authors, "arxiv"),
        "year": Value(2024, "arxiv"),
    }
    save_records(
        folder / "refs", [Record("arxiv-2402.14905", identifiers={"arxiv": "2402.14905"}, fields=fields)]
    )
    return ["export", str(folder / "out.bib")]


SHAPES = (
    Shape("import: heading of n spaces", lambda f, n: ["import", str(_heading(f, n))], 2_000),
    Shape("check: heading of n spaces", lambda f, n: ["check", str(_heading(f, n))], 2_000),
    Shape("check: n rows, one link", _shared_link, 300),
    Shape("import: n .bib entries, one title", _one_title_bib, 1_000),
    Shape(
        "export: title of n '!'", lambda f, n: _export_record(f, "a" + "!" * n + "a", ["A. Author"]), 10_000
    ),
    Shape(
        "export: title of n characters",
        lambda f, n: _export_record(f, ("Word " * n)[:n], ["A. Author"]),
        20_000,
    ),
    Shape(
        "export: n authors",
        lambda f, n: _export_record(f, "A Title", [f"Given{i} Family{i}" for i in range(n)]),
        10_000,
    ),
)


def _best(shape: Shape, n: int) -> float | None:
    """The best of three runs when they are short, else of one; None when one passed the limit."""
    best = _time(shape, n)
    for _ in range(2):
        if best is None or best > REPEAT_BELOW:
            break
        again = _time(shape, n)
        best = best if again is None else min(best, again)
    return best


def _time(shape: Shape, n: int) -> float | None:
    """Seconds of one run at size n, or None when it passed :data:`HARD_LIMIT`."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        arguments = shape.build(root, n)
        command = [*slmbib_command(), "--refs", str(root / "refs"), *arguments]
        started = time.perf_counter()
        try:
            subprocess.run(command, env=child_env(), cwd=root, capture_output=True, timeout=HARD_LIMIT)
        except subprocess.TimeoutExpired:
            return None
        return time.perf_counter() - started


def bench_adversarial() -> list[Row]:
    """One row per shape: time at n and 10n (startup subtracted), and their ratio."""
    rows = []
    for shape in SHAPES:
        n = shape.n
        startup = _best(shape, 1) or 0.0
        at_n = _best(shape, n)
        if at_n is None or at_n > BUDGET:
            shown = f"> {HARD_LIMIT:g} s" if at_n is None else seconds(at_n)
            rows.append(
                Row(
                    shape.name,
                    f"n={n}: {shown}; 10n skipped (over {BUDGET:g} s at n)",
                    target="linear",
                    ok=False,
                )
            )
            continue
        at_10n = _best(shape, 10 * n)
        if at_10n is None:
            rows.append(
                Row(shape.name, f"n={n}: {seconds(at_n)}; 10n: > {HARD_LIMIT:g} s", target="linear", ok=False)
            )
            continue
        work_n, work_10n = max(at_n - startup, FLOOR), max(at_10n - startup, 0.0)
        ratio = work_10n / work_n
        fast = work_10n < NEGLIGIBLE
        rows.append(
            Row(
                shape.name,
                f"n={n}: {seconds(at_n)}; 10n: {seconds(at_10n)}",
                baseline=f"startup {seconds(startup)}",
                ratio=ratio,
                target=f"10n/n <= {LINEAR_RATIO:g}, or under {NEGLIGIBLE:g} s at 10n",
                ok=fast or ratio <= LINEAR_RATIO,
            )
        )
    return rows
