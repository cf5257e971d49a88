"""Sync: requests sent against the minimum, wall time against the pacing floor, and the per-entry way.

slmbib's figures come from :func:`benchmarks.sync_bench.measure_sync` (a
synthetic corpus on the loopback replay server, pacing enforced, with a
latency on every answer).  The baseline is :mod:`benchmarks.per_entry`, one
request per record per service at the same pacing against the same kind of
server; it is run on a few records and its time scaled to N by the time per
record, which if anything flatters it (its first request waits for nothing).
"""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import Iterator
from dataclasses import dataclass

from .measure import Row, seconds
from .per_entry import PerEntry, per_entry_sync
from .sync_bench import REAL_ARXIV_INTERVAL, REAL_S2_INTERVAL, SyncFigures, measure_sync

#: Wall time may exceed the pacing floor by this factor.
FLOOR_LIMIT = 1.2
#: Each answer's delay, as a share of the arXiv spacing: 0.3 s at the real 3 s.
LATENCY_SHARE = 0.1


@dataclass(frozen=True)
class SyncPlan:
    #: (records, pacing scale): 1 is the services' real spacing (S2 1 s, arXiv 3 s).
    sizes: tuple[tuple[int, float], ...]
    #: Records the per-entry baseline is run on, at each pacing.
    sample: int


def bench_sync(plan: SyncPlan) -> list[Row]:
    rows: list[Row] = []
    baselines: dict[float, PerEntry | str] = {}
    for records, scale in plan.sizes:
        s2, arxiv = REAL_S2_INTERVAL * scale, REAL_ARXIV_INTERVAL * scale
        latency = arxiv * LATENCY_SHARE
        print(f"  sync {records:,} records, spacing {s2:g} s / {arxiv:g} s", file=sys.stderr, flush=True)
        with _collector_as_the_command_sets_it():
            figures = measure_sync(records, s2_interval=s2, arxiv_interval=arxiv, latency=latency)
        if scale not in baselines:
            try:
                baselines[scale] = _per_entry(plan.sample, s2, arxiv, latency)
            except Exception as exc:  # the baseline failing must not lose slmbib's own figures
                baselines[scale] = f"{type(exc).__name__}: {exc}".splitlines()[0][:80]
        rows.extend(_rows(figures, baselines[scale], scale))
    return rows


@contextlib.contextmanager
def _collector_as_the_command_sets_it() -> Iterator[None]:
    """The collector settings of the ``slmbib`` command, for the sync run in this process.

    The replay server runs in this process too: with the default settings a full
    collection over 20,000 records stops every thread long enough for the server to stamp
    a request late and refuse the next, well-spaced one.  A real service shares no pauses.
    """
    from slmbib.cli import GC_THRESHOLDS

    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)


def _per_entry(sample: int, s2: float, arxiv: float, latency: float) -> PerEntry:
    from tests.replay_server import ReplayServer

    with ReplayServer(s2_interval=s2, arxiv_interval=arxiv, latency=latency) as server:
        ids = server.add_synthetic(sample)
        done = per_entry_sync(server.s2_api_url, server.arxiv_api_url, ids, s2, arxiv)
        counted = {"s2": server.count("s2"), "arxiv": server.count("arxiv")}
        # A request refused for a late arrival stamp was sent again: the server counts both.
        if sum(counted.values()) - server.pacing_violations != sum(done.requests.values()):
            raise RuntimeError(
                f"the per-entry baseline lost requests: sent {done.requests}, counted {counted}"
            )
        return done


def _rows(figures: SyncFigures, baseline: PerEntry | str, scale: float) -> list[Row]:
    spacing = f"S2 {figures.s2_interval:g} s, arXiv {figures.arxiv_interval:g} s"
    label = f"sync {figures.records:,} ({spacing}{'' if scale == 1 else f': real x{scale:g}'})"
    minimal = (figures.s2_requests, figures.arxiv_requests) == (figures.s2_minimum, figures.arxiv_minimum)
    floor = figures.floor
    return [
        Row(
            f"{label}: requests S2 + arXiv",
            f"{figures.s2_requests} + {figures.arxiv_requests}, {figures.pacing_violations} refused",
            f"minimum {figures.s2_minimum} + {figures.arxiv_minimum}; "
            f"per-entry {figures.records:,} + {figures.records:,}",
            target="= minimum, 0 refused",
            ok=minimal and figures.pacing_violations == 0,
        ),
        Row(
            f"{label}: wall time",
            seconds(figures.wall),
            f"pacing floor {seconds(floor)}",
            ratio=figures.wall / floor,
            target=f"<= {FLOOR_LIMIT:g}x",
            ok=figures.wall <= FLOOR_LIMIT * floor,
        ),
        _against_per_entry(label, figures, baseline),
    ]


def _against_per_entry(label: str, figures: SyncFigures, baseline: PerEntry | str) -> Row:
    row = Row(f"{label}: against a per-entry tool", seconds(figures.wall))
    if isinstance(baseline, str):
        row.baseline = f"baseline failed: {baseline}"
        return row
    estimate = baseline.seconds / baseline.records * figures.records
    row.baseline = f"~{seconds(estimate)} (timed on {baseline.records} records)"
    row.ratio = figures.wall / estimate
    return row
