"""Large bibliographies: parse, merge and export a generated .bib of N entries, and how that grows.

Each run is its own process (:mod:`benchmarks.bib_pipeline`), which times its
stages itself; the parent reads the process's wall time and peak memory.  The
whole process, interpreter start-up included, is what is set against
bibtex-tidy, whose figure includes node's start-up too; the two are run in
turns so that a busy moment of the machine falls on both.  Growth is judged on
the stages' CPU time, which other processes on a shared machine disturb less
than wall time.

The round trip through ``refs/`` (``slmbib import FILE.bib`` then
``slmbib export``) is measured as well: it is what a maintainer runs, and it
pays for one YAML file per paper, which a one-shot deduplicator does not keep.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import gen_bib, tidy
from .measure import REPO, Row, Run, mebibytes, run, seconds, slmbib_command

#: Merging 10 times the entries may take at most this many times as long: linear, with slack for noise.
GROWTH_LIMIT = 12.0
MEMORY_LIMIT = 2 * 2**30
STAGES = ("parse", "merge", "export")


@dataclass(frozen=True)
class BibPlan:
    small: int
    large: int
    small_runs: int
    large_runs: int
    roundtrip_runs: int
    #: Also run bibtex-tidy on the large file (once: it takes about a minute at 100,000).
    tidy_large: bool
    #: Hold the merge's growth to its limit: only medians of several runs are steady enough.
    judge_growth: bool


@dataclass
class Size:
    """Every run of one file size: slmbib's pipeline and, when it ran, bibtex-tidy."""

    entries: int
    expected_works: int
    runs: list[tuple[Run, dict[str, float]]] = field(default_factory=list)
    tidy_runs: list[Run] = field(default_factory=list)
    tidy_works: int = 0

    def median(self, figure: str) -> float:
        return statistics.median(figures[figure] for _, figures in self.runs)

    @property
    def total(self) -> float:
        return statistics.median(done.seconds for done, _ in self.runs)

    @property
    def peak(self) -> int:
        return max(done.max_rss for done, _ in self.runs)

    @property
    def works(self) -> int:
        return int(self.runs[0][1]["works"])


def generated(work: Path, count: int) -> tuple[Path, int]:
    """The generated file of ``count`` entries (made again only when the generator changed), and its works."""
    version = hashlib.sha256(Path(gen_bib.__file__).read_bytes()).hexdigest()[:12]
    path = work / "data" / f"synthetic-{count}-{version}.bib"
    if not path.exists():
        gen_bib.write(count, path)
    return path, int(json.loads(path.with_suffix(".bib.json").read_text())["works"])


def measure_size(work: Path, count: int, runs: int, tidy_command: Path | None, tidy_runs: int) -> Size:
    source, works = generated(work, count)
    size = Size(entries=count, expected_works=works)
    output = work / "out" / f"slmbib-{count}.bib"
    output.parent.mkdir(parents=True, exist_ok=True)
    pipeline = [sys.executable, "-m", "benchmarks.bib_pipeline", str(source), str(output)]
    for index in range(runs):
        done = run(pipeline, cwd=REPO).check("benchmarks.bib_pipeline")
        size.runs.append((done, json.loads(done.stdout)))
        if tidy_command is not None and index < tidy_runs:
            tidied = work / "out" / f"bibtex-tidy-{count}.bib"
            size.tidy_runs.append(tidy.deduplicate(tidy_command, source, tidied))
            size.tidy_works = tidy.count_entries(tidied)
    return size


def roundtrip(work: Path, count: int, runs: int) -> tuple[float, int]:
    """Median time of ``slmbib import FILE.bib`` + ``export`` into an empty refs/, and the peak memory."""
    source, _ = generated(work, count)
    times, peak = [], 0
    for _ in range(runs):
        refs = work / "roundtrip" / "refs"
        shutil.rmtree(refs.parent, ignore_errors=True)
        base = [*slmbib_command(), "--quiet", "--refs", str(refs)]
        imported = run([*base, "import", str(source)]).check("slmbib import")
        exported = run([*base, "export", str(refs.parent / "out.bib")]).check("slmbib export")
        times.append(imported.seconds + exported.seconds)
        peak = max(peak, imported.max_rss, exported.max_rss)
    shutil.rmtree(work / "roundtrip", ignore_errors=True)
    return statistics.median(times), peak


def bench_large_bib(work: Path, plan: BibPlan) -> list[Row]:
    installed = tidy.install(work)
    if installed.command is None:
        print(f"  bibtex-tidy baseline skipped: {installed.skipped}", file=sys.stderr)
    small = measure_size(work, plan.small, plan.small_runs, installed.command, plan.small_runs)
    large = measure_size(work, plan.large, plan.large_runs, installed.command, int(plan.tidy_large))
    trip_time, trip_peak = roundtrip(work, plan.small, plan.roundtrip_runs)

    rows = []
    for size in (small, large):
        rows.extend(_size_rows(size, installed.skipped))
    rows.append(
        Row(
            f"bib {small.entries:,}: `slmbib import` + `export` via refs/",
            f"{seconds(trip_time)}, {mebibytes(trip_peak)}",
            f"one-shot run {seconds(small.total)}",
            ratio=trip_time / small.total,
        )
    )
    # The targets speak of 10 times the entries; a plan with another factor scales them.
    factor = large.entries / small.entries
    limit = GROWTH_LIMIT * factor / 10
    for stage in STAGES:
        big, little = large.median(f"{stage}_cpu"), small.median(f"{stage}_cpu")
        row = Row(f"bib growth {large.entries:,} / {small.entries:,}: {stage} (CPU)", seconds(big))
        row.baseline, row.ratio = seconds(little), big / little
        if stage == "merge" and plan.judge_growth:
            row.target, row.ok = f"<= {limit:.0f}x", big / little <= limit
        rows.append(row)
    rows.append(
        Row(
            f"bib {large.entries:,}: peak memory",
            mebibytes(large.peak),
            target="<= 2 GiB",
            ok=large.peak <= MEMORY_LIMIT,
        )
    )
    return rows


def _size_rows(size: Size, tidy_skipped: str) -> list[Row]:
    label = f"bib {size.entries:,}"
    stages = " / ".join(seconds(size.median(f"{stage}_cpu")) for stage in STAGES)
    mine = f"{seconds(size.total)}, {mebibytes(size.peak)}"
    rows = [Row(f"{label}: parse / merge / export (CPU)", stages)]
    if size.tidy_runs:
        theirs = statistics.median(done.seconds for done in size.tidy_runs)
        peak = max(done.max_rss for done in size.tidy_runs)
        rows.append(
            Row(
                f"{label}: dedup + write, whole process",
                mine,
                f"bibtex-tidy {seconds(theirs)}, {mebibytes(peak)}",
                ratio=size.total / theirs,
                target="< 1x",
                ok=size.total < theirs,
            )
        )
        found = f"bibtex-tidy {size.tidy_works:,}"
    else:
        skipped = f"bibtex-tidy skipped: {tidy_skipped}" if tidy_skipped else ""
        rows.append(Row(f"{label}: dedup + write, whole process", mine, skipped))
        found = ""
    rows.append(
        Row(
            f"{label}: distinct works found",
            f"{size.works:,}",
            found,
            target=f"= {size.expected_works:,} generated",
            ok=size.works == size.expected_works,
        )
    )
    return rows
