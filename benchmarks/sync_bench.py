"""How close `slmbib sync` comes to what the services' pacing allows.

Syncs N records (arXiv ids of a synthetic corpus) against the loopback replay server with its
pacing enforced, and reports per service the requests sent against the minimum (ceil(N/500) for
Semantic Scholar, ceil(N/100) for arXiv) and the requests the server refused for coming too fast,
then the wall time against the pacing floor.  The two services are paced independently and asked
concurrently, so the floor is the larger over the two of n - 1 spacings for n requests, plus one
answer's latency (:attr:`SyncFigures.floor`, which the full benchmark uses too).  Each sync runs
in a child process, as against a real service.

The real spacing (S2 1 s, arXiv 3 s) would make 2,000 records a one-minute run, so the spacing is
scaled down (by default to a tenth) and said so in the output; the smaller the spacing, the more
the work between requests (reading and writing refs/, one YAML file per record) shows in the ratio.

    python benchmarks/sync_bench.py [--quick] [--sizes 200,2000] [--runs 3]
                                    [--s2-interval S] [--arxiv-interval S] [--latency S]

Importable: :func:`measure_sync` returns the figures of one run as a :class:`SyncFigures`.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
for path in (REPO / "src", REPO):  # this checkout's slmbib, and the test suite's replay server
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from tests.replay_server import ReplayServer  # noqa: E402

from slmbib.enriching.syncing import SyncOptions, sync  # noqa: E402
from slmbib.models import Listing, Record  # noqa: E402
from slmbib.store import save_records  # noqa: E402

REAL_S2_INTERVAL = 1.0
REAL_ARXIV_INTERVAL = 3.0
S2_BATCH = 500
ARXIV_BATCH = 100


@dataclass(frozen=True)
class SyncFigures:
    records: int
    s2_interval: float
    arxiv_interval: float
    s2_requests: int
    arxiv_requests: int
    s2_minimum: int
    arxiv_minimum: int
    #: Requests the server answered 429 because they came too soon after the previous one.
    pacing_violations: int
    wall: float
    resolved: int
    #: The server's delay before each answer.
    latency: float = 0.0

    @property
    def floor(self) -> float:
        """The least wall time the pacing allows: the slower service's last request, answered.

        A service's first request waits for nothing, so ``n`` requests need ``n - 1``
        spacings, then one answer's latency: tighter than ``n x spacing``, under which
        a run of two requests could take nearly twice what it must and still look fine.
        """
        s2 = (self.s2_requests - 1) * self.s2_interval
        arxiv = (self.arxiv_requests - 1) * self.arxiv_interval
        return max(s2, arxiv) + self.latency

    @property
    def ratio(self) -> float:
        return self.wall / self.floor


def measure_sync(
    records: int,
    *,
    s2_interval: float = REAL_S2_INTERVAL / 10,
    arxiv_interval: float = REAL_ARXIV_INTERVAL / 10,
    latency: float = 0.0,
    work: Path | None = None,
) -> SyncFigures:
    """Sync ``records`` fresh records against a paced replay server; time the sync alone.

    The sync runs in a child process, as against a real service: sharing the server's interpreter,
    its work would delay the server thread's arrival stamps and make well-spaced requests look early.
    """
    with (
        tempfile.TemporaryDirectory(dir=work) as folder,
        ReplayServer(s2_interval=s2_interval, arxiv_interval=arxiv_interval, latency=latency) as server,
    ):
        ids = server.add_synthetic(records)
        refs = Path(folder) / "refs"
        save_records(
            refs,
            [
                Record(
                    f"arxiv-{arxiv_id}",
                    identifiers={"arxiv": arxiv_id},
                    listings=(Listing("refs/lists/bench.md", n + 3, "Benchmark", f"Model {n}"),),
                )
                for n, arxiv_id in enumerate(ids)
            ],
        )
        options = {
            "s2_api_url": server.s2_api_url,
            "arxiv_api_url": server.arxiv_api_url,
            "cache_path": str(Path(folder) / "cache.sqlite"),
            "s2_interval": s2_interval,
            "arxiv_interval": arxiv_interval,
        }
        child = subprocess.run(
            [sys.executable, __file__, "--child", str(refs), json.dumps(options)],
            capture_output=True,
            text=True,
            check=True,
        )
        timed = json.loads(child.stdout)
        return SyncFigures(
            records=records,
            s2_interval=s2_interval,
            arxiv_interval=arxiv_interval,
            s2_requests=server.count("s2"),
            arxiv_requests=server.count("arxiv"),
            s2_minimum=math.ceil(records / S2_BATCH),
            arxiv_minimum=math.ceil(records / ARXIV_BATCH),
            pacing_violations=server.pacing_violations,
            wall=timed["wall"],
            resolved=timed["resolved"],
            latency=latency,
        )


def _child(refs: str, options: str) -> None:
    """In the child process: one timed sync, its figures printed as JSON."""
    settings = json.loads(options)
    settings["cache_path"] = Path(settings["cache_path"])
    started = time.perf_counter()
    result = sync(Path(refs), SyncOptions(**settings))
    wall = time.perf_counter() - started
    print(json.dumps({"wall": wall, "resolved": result.statuses["resolved"]}))


def report(figures: list[SyncFigures]) -> str:
    first = figures[0]
    lines = [
        f"sync against the loopback replay server, pacing enforced at S2 {first.s2_interval:g} s / "
        f"arXiv {first.arxiv_interval:g} s (the services ask for {REAL_S2_INTERVAL:g} s / "
        f"{REAL_ARXIV_INTERVAL:g} s: scaled by {first.arxiv_interval / REAL_ARXIV_INTERVAL:g})",
        "",
        f"{'records':>8} {'service':>7} {'requests':>9} {'minimum':>8} {'too fast':>9}",
    ]
    for f in figures:
        lines.append(
            f"{f.records:>8} {'s2':>7} {f.s2_requests:>9} {f.s2_minimum:>8} {f.pacing_violations:>9}"
        )
        lines.append(f"{'':>8} {'arxiv':>7} {f.arxiv_requests:>9} {f.arxiv_minimum:>8}")
    lines += ["", f"{'records':>8} {'resolved':>9} {'wall s':>8} {'floor s':>8} {'ratio':>6}"]
    lines += [
        f"{f.records:>8} {f.resolved:>9} {f.wall:>8.2f} {f.floor:>8.2f} {f.ratio:>6.2f}" for f in figures
    ]
    lines.append("(too fast: requests the server refused with 429 for breaking its pacing; counted for both)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="200 records, one run")
    parser.add_argument("--sizes", default="200,2000", help="record counts, comma-separated")
    parser.add_argument("--s2-interval", type=float, default=REAL_S2_INTERVAL / 10)
    parser.add_argument("--arxiv-interval", type=float, default=REAL_ARXIV_INTERVAL / 10)
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the server waits before answering"
    )
    parser.add_argument("--work", type=Path, help="folder for the temporary refs/ (default: the system's)")
    parser.add_argument("--runs", type=int, default=3, help="runs per size; the median is shown")
    parser.add_argument("--child", nargs=2, metavar=("REFS", "OPTIONS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0
    sizes = [200] if args.quick else [int(size) for size in args.sizes.split(",")]
    figures = []
    for size in sizes:
        runs = [
            measure_sync(
                size,
                s2_interval=args.s2_interval,
                arxiv_interval=args.arxiv_interval,
                latency=args.latency,
                work=args.work,
            )
            for _ in range(1 if args.quick else args.runs)
        ]
        figures.append(sorted(runs, key=lambda run: run.wall)[len(runs) // 2])  # the median run
    print(report(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
