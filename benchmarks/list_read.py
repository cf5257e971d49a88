"""Reading paper lists: a generated list of N items in the shapes real lists use; hostile shapes at n and 10n.

The list is made of the shapes of ``tests/data/lists`` and the seeds (bulleted
items with an underlined venue, items over two lines with badges, numbered
items, table rows with linked bold titles), each with an arXiv id of its own.
The reading is timed inside a child process (:func:`main`), so that the
figure is the reader's, not the interpreter's start-up; the whole file must be
read in under a second at 5,000 items.

The hostile shapes are those that once took minutes: a heading of thousands of
spaces, a reference string of thousands of sentences, and ``slmbib check`` on
rows that all share one link.  Ten times the input may take at most
``GROWTH_LIMIT`` times as long.
"""

from __future__ import annotations

import gc
import json
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from .measure import REPO, Row, run, seconds

READ_LIMIT = 1.0
GROWTH_LIMIT = 15.0

_SHAPES = (
    "- Tiny Model {n}: Thinking Big, <ins>NeurIPS, 2024</ins> [[Paper](https://arxiv.org/abs/{id})] "
    "[[Code](https://github.com/lab/tiny{n})]",
    "- **Tiny Model {n}: Thinking Big**  \n  *Ada Lee, Bo Chen, Cy Dee*. "
    "[[pdf](https://arxiv.org/pdf/{id})], 2024.05. ![](https://img.shields.io/badge/ICML2024-orange) ![](https://img.shields.io/badge/Tiny-blue)",
    "{k}. **Tiny Model {n}: Thinking Big.** *Ada Lee, Bo Chen*. ACL 2024 Long, "
    "[[pdf]](https://arxiv.org/abs/{id}) [[code]](https://github.com/lab/tiny{n})",
    "| [**Tiny Model {n}: Thinking Big**](https://arxiv.org/abs/{id}) | arXiv | 2024-02 | "
    "[Github](https://github.com/lab/tiny{n}) | |",
)
_HEADERS = ("", "", "", "| Title | Venue | Date | Code | Data |\n|:--|:--:|:--:|:--:|:--:|")


@dataclass(frozen=True)
class ListPlan:
    items: int
    runs: int
    #: The hostile shapes' sizes n (each is also run at 10n).
    hostile: int


def generated_list(items: int) -> str:
    """A list of ``items`` papers, in sections of 50 items of one shape each."""
    parts = ["# A generated paper list\n"]
    for start in range(0, items, 50):
        shape = (start // 50) % len(_SHAPES)
        parts.append(f"\n## Section {start // 50}\n")
        if _HEADERS[shape]:
            parts.append("\n" + _HEADERS[shape])
        else:
            parts.append("")
        for k, n in enumerate(range(start, min(start + 50, items)), start=1):
            arxiv = f"24{n // 99999 % 12 + 1:02d}.{n % 99999:05d}"
            parts.append(_SHAPES[shape].format(n=n, k=k, id=arxiv))
    return "\n".join(parts) + "\n"


def hostile(kind: str, n: int) -> str:
    if kind == "heading":
        return (
            "## S"
            + " " * n
            + "x\n\n| Model | Paper |\n|---|---|\n| A | [Paper](https://arxiv.org/abs/2401.00001) |\n"
        )
    if kind == "reference":
        return (
            "## S\n\n1. "
            + "Ada Lee. " * n
            + "2024. Title. Venue. [[pdf]](https://arxiv.org/abs/2401.00001)\n"
        )
    rows = "".join(
        f"| {''.join(chr(97 + int(d)) for d in str(i))}lm | [Paper](https://example.org/shared) |\n"
        for i in range(n)
    )
    return "## S\n\n| Model | Paper |\n|---|---|\n" + rows


def main(argv: list[str]) -> int:
    """``python -m benchmarks.list_read read|check FILE``: the CPU seconds it took, as JSON."""
    from slmbib.commands.check import check_lists
    from slmbib.reading.readme import read_document, scan_text

    what, path = argv[0], Path(argv[1])
    # CPU time: on a shared machine the wall clock counts other people's work too.
    start = time.process_time()
    if what == "read":
        scan = scan_text(read_document(path, path.name), path.name)
        # The reader pauses the cycle collector: its deferred pass over the rows read counts too.
        gc.collect(1)
        count = len(scan.rows)
    else:
        count = len(check_lists([path]).findings)
    print(json.dumps({"seconds": time.process_time() - start, "count": count}))
    return 0


def _timed(work: Path, what: str, text: str, runs: int) -> tuple[float, int]:
    path = work / "lists" / f"{what}-{len(text)}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    figures = [
        json.loads(
            run([sys.executable, "-m", "benchmarks.list_read", what, str(path)], cwd=REPO).check(what).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(f["seconds"] for f in figures), int(figures[0]["count"])


def bench_list_read(work: Path, plan: ListPlan) -> list[Row]:
    took, rows = _timed(work, "read", generated_list(plan.items), plan.runs)
    out = [
        Row(
            f"read a list of {plan.items:,} items ({rows:,} rows read)",
            seconds(took),
            target=f"< {READ_LIMIT:.0f} s",
            ok=took < READ_LIMIT and rows == plan.items,
        )
    ]
    for kind, what, unit in (
        ("heading", "read", "spaces in a heading"),
        ("reference", "read", "sentences in an item"),
        ("shared", "check", "rows sharing one link, checked"),
    ):
        small, _ = _timed(work, what, hostile(kind, plan.hostile), plan.runs)
        large, _ = _timed(work, what, hostile(kind, 10 * plan.hostile), plan.runs)
        growth = large / max(small, 1e-4)
        out.append(
            Row(
                f"{plan.hostile:,} -> {10 * plan.hostile:,} {unit}",
                f"{seconds(small)} -> {seconds(large)}",
                ratio=growth,
                target=f"< {GROWTH_LIMIT:.0f}x",
                ok=growth < GROWTH_LIMIT or large < 0.05,
            )
        )
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
