"""Run every benchmark and print one table: ``python -m benchmarks [--quick]``.

Each figure is a median of several runs, set beside a baseline measured in
the same run, because absolute times on a shared machine drift from one
minute to the next while ratios hold.  The full run takes a few minutes;
``--quick`` uses smaller sizes and single runs and takes under one.  Work
files (generated bibliographies, bibtex-tidy's npm install) go to
``.slmbib/bench/`` (git-ignored) unless ``--work`` says otherwise.
"""

from __future__ import annotations

import argparse
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .adversarial import bench_adversarial
from .hostile_text import bench_hostile_text
from .large_bib import BibPlan, bench_large_bib
from .list_read import ListPlan, bench_list_read
from .measure import REPO, SRC, Row, format_table
from .startup import bench_startup
from .sync import SyncPlan, bench_sync


@dataclass(frozen=True)
class Plan:
    startup_runs: int
    bib: BibPlan
    sync: SyncPlan
    lists: ListPlan
    #: The smaller size of the hostile-text shapes (the larger is ten times it), and the runs of each.
    hostile_text: tuple[int, int] = (100_000, 3)
    #: Whether the adversarial shapes run without being asked for (``--only adversarial``): they take minutes.
    adversarial: bool = True


FULL = Plan(
    startup_runs=20,
    bib=BibPlan(
        small=10_000,
        large=100_000,
        small_runs=5,
        large_runs=3,
        roundtrip_runs=3,
        tidy_large=True,
        judge_growth=True,
    ),
    sync=SyncPlan(sizes=((200, 1.0), (2_000, 1.0), (20_000, 0.2)), sample=5),
    lists=ListPlan(items=5_000, runs=3, hostile=3_000),
)
QUICK = Plan(
    startup_runs=5,
    bib=BibPlan(
        small=1_000,
        large=10_000,
        small_runs=3,
        large_runs=1,
        roundtrip_runs=1,
        tidy_large=True,
        judge_growth=False,
    ),
    sync=SyncPlan(sizes=((200, 1.0),), sample=3),
    lists=ListPlan(items=5_000, runs=1, hostile=1_000),
    hostile_text=(10_000, 1),
    adversarial=False,
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, single runs: under a minute")
    parser.add_argument(
        "--only",
        choices=("startup", "bib", "sync", "text", "lists", "adversarial"),
        action="append",
        help="run only this part (repeatable)",
    )
    parser.add_argument("--work", type=Path, default=REPO / ".slmbib" / "bench", help="work folder")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    # The sync benchmark runs in this process: make it import the checkout's slmbib, as the children do.
    sys.path.insert(0, str(SRC))
    args.work.mkdir(parents=True, exist_ok=True)

    parts: dict[str, Callable[[], list[Row]]] = {
        "startup": lambda: bench_startup(args.work, plan.startup_runs),
        "bib": lambda: bench_large_bib(args.work, plan.bib),
        "sync": lambda: bench_sync(plan.sync),
        "lists": lambda: bench_list_read(args.work, plan.lists),
        "text": lambda: bench_hostile_text(*plan.hostile_text),
        "adversarial": bench_adversarial,
    }
    rows: list[Row] = []
    failed: list[str] = []
    started = time.perf_counter()
    for name, part in parts.items():
        if args.only and name not in args.only:
            continue
        if name == "adversarial" and not (plan.adversarial or args.only):
            print("adversarial: skipped by --quick (ask with --only adversarial)", file=sys.stderr)
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        part_started = time.perf_counter()
        try:
            rows.extend(part())
        except Exception as exc:  # one part's failure must not throw away the others' rows
            traceback.print_exc()
            failed.append(name)
            rows.append(
                Row(f"{name}: FAILED", f"{type(exc).__name__}: {exc}".splitlines()[0][:100], ok=False)
            )
        print(f"  {name}: {time.perf_counter() - part_started:.0f} s", file=sys.stderr, flush=True)
    print(format_table(rows))
    print(
        f"\n{'quick' if args.quick else 'full'} run, {time.perf_counter() - started:.0f} s"
        + (f"; failed: {', '.join(failed)}" if failed else ""),
        file=sys.stderr,
    )
    return 0 if all(row.ok is not False for row in rows) else 1
