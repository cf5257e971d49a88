"""Large bibliographies: parse, merge and export a generated .bib of N entries, and how that grows.

Each run is its own process (:mod:`benchmarks.bib_pipeline`), which times its
stages itself; the parent reads the process's wall time and peak memory.  The
whole process, interpreter start-up included, is what is set against
bibtex-tidy, whose figure includes node's start-up too; the two are run in
turns so that a busy moment of the machine falls on both.  Growth is judged on
the stages' CPU time, which other processes on a shared machine disturb less
than wall time.

The users' path through ``refs/`` (``slmbib import FILE.bib`` then
``slmbib export``, each its own process) is measured at both sizes and set
against bibtex-tidy too: it is what a maintainer runs, and it pays for one
YAML file per paper, which a one-shot deduplicator does not keep.  A second
``export`` with nothing new is timed against the first.  Beside it, the time to
create that many files of the same bytes, and nothing else, is the least any
tool keeping a file per paper could take on this disk.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from slmbib.store import PAPERS_DIR

from . import gen_bib, tidy
from .measure import REPO, Row, Run, mebibytes, run, seconds, slmbib_command

#: Merging 10 times the entries may take at most this many times as long: linear, with slack for noise.
GROWTH_LIMIT = 12.0
MEMORY_LIMIT = 2 * 2**30
#: The one-shot run against bibtex-tidy, and the users' path through refs/ against it.
ONE_SHOT_LIMIT = 0.8
TRIP_LIMIT = 1.0
#: An export with nothing new against the first export.
AGAIN_LIMIT = 0.3
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


@dataclass
class Trip:
    """The users' path through refs/: ``import FILE.bib``, ``export``, and ``export`` again."""

    imported: float
    exported: float
    again: float
    peak: int
    #: Creating the record files the import wrote, one by one, with nothing else done.
    files: int = 0
    creation: float = 0.0

    @property
    def total(self) -> float:
        return self.imported + self.exported


def roundtrip(work: Path, count: int, runs: int) -> Trip:
    """``import FILE.bib`` + ``export`` into an empty refs/, then ``export`` with nothing new: medians."""
    source, _ = generated(work, count)
    trips = []
    for number in range(runs):
        # A fresh folder each run; all are removed after the last run (see bench_large_bib).
        folder = work / "roundtrip" / f"{count}-{number}"
        base = [*slmbib_command(), "--quiet", "--refs", str(folder / "refs")]
        export = [*base, "export", str(folder / "out.bib")]
        done = [
            run([*base, "import", str(source)]).check("slmbib import"),
            run(export).check("slmbib export"),
            run(export).check("slmbib export, again"),
        ]
        trips.append(Trip(*(step.seconds for step in done), peak=max(step.max_rss for step in done)))
    files, creation = creation_floor(folder / "refs" / PAPERS_DIR, work / "roundtrip" / f"{count}-files")
    return Trip(
        imported=statistics.median(trip.imported for trip in trips),
        exported=statistics.median(trip.exported for trip in trips),
        again=statistics.median(trip.again for trip in trips),
        peak=max(trip.peak for trip in trips),
        files=files,
        creation=creation,
    )


def creation_floor(papers: Path, into: Path) -> tuple[int, float]:
    """How many record files ``papers`` holds, and the seconds it takes to create copies of them in ``into``.

    Only creating and writing each file, without syncing: less than an import, which also
    parses, merges, syncs and renames, can do.
    """
    files = [(path.name, path.read_bytes()) for path in sorted(papers.iterdir())]
    into.mkdir(parents=True)
    start = time.perf_counter()
    for name, data in files:
        with open(into / name, "xb") as out:
            out.write(data)
    return len(files), time.perf_counter() - start


def bench_large_bib(work: Path, plan: BibPlan) -> list[Row]:
    # Removing thousands of files just before an import slows the import's own file creation
    # (ext4 looks up and passes over each recently freed inode when it allocates one): the
    # folders of an earlier benchmark run go first, before the slower parts, and this run's
    # at the end, not between timed runs.
    shutil.rmtree(work / "roundtrip", ignore_errors=True)
    installed = tidy.install(work)
    if installed.command is None:
        print(f"  bibtex-tidy baseline skipped: {installed.skipped}", file=sys.stderr)
    small = measure_size(work, plan.small, plan.small_runs, installed.command, plan.small_runs)
    large = measure_size(work, plan.large, plan.large_runs, installed.command, int(plan.tidy_large))
    small_trip = roundtrip(work, plan.small, plan.roundtrip_runs)
    large_trip = roundtrip(work, plan.large, 1)
    shutil.rmtree(work / "roundtrip", ignore_errors=True)

    rows = []
    for size, trip in ((small, small_trip), (large, large_trip)):
        rows.extend(_size_rows(size, installed.skipped))
        rows.extend(_trip_rows(size, trip, judged=size is small))
    # The targets speak of 10 times the entries; a plan with another factor scales them.
    factor = large.entries / small.entries
    limit = GROWTH_LIMIT * factor / 10
    growth = large_trip.total / small_trip.total
    rows.append(
        Row(
            f"bib growth {large.entries:,} / {small.entries:,}: `import` + `export` via refs/",
            seconds(large_trip.total),
            seconds(small_trip.total),
            ratio=growth,
            target=f"<= {limit:.0f}x",
            ok=growth <= limit,
        )
    )
    for stage in STAGES:
        big, little = large.median(f"{stage}_cpu"), small.median(f"{stage}_cpu")
        row = Row(f"bib growth {large.entries:,} / {small.entries:,}: {stage} (CPU)", seconds(big))
        row.baseline, row.ratio = seconds(little), big / little
        if stage == "merge" and plan.judge_growth:
            row.target, row.ok = f"<= {limit:.0f}x", big / little <= limit
        rows.append(row)
    for what, peak in (("one-shot", large.peak), ("`import` + `export` via refs/", large_trip.peak)):
        rows.append(
            Row(
                f"bib {large.entries:,}: peak memory, {what}",
                mebibytes(peak),
                target="<= 2 GiB",
                ok=peak <= MEMORY_LIMIT,
            )
        )
    return rows


def _trip_rows(size: Size, trip: Trip, judged: bool) -> list[Row]:
    label = f"bib {size.entries:,}"
    mine = (
        f"{seconds(trip.total)} ({seconds(trip.imported)} + {seconds(trip.exported)}), {mebibytes(trip.peak)}"
    )
    row = Row(f"{label}: `slmbib import` + `export` via refs/", mine, f"one-shot run {seconds(size.total)}")
    if size.tidy_runs:
        theirs = statistics.median(done.seconds for done in size.tidy_runs)
        row.baseline, row.ratio = f"bibtex-tidy {seconds(theirs)}", trip.total / theirs
        if judged:
            row.target, row.ok = f"<= {TRIP_LIMIT:g}x", row.ratio <= TRIP_LIMIT
    floor = Row(f"{label}: creating its {trip.files:,} record files, nothing else", seconds(trip.creation))
    if size.tidy_runs:
        floor.baseline, floor.ratio = f"bibtex-tidy {seconds(theirs)}", trip.creation / theirs
    again = Row(
        f"{label}: `slmbib export` again, nothing new",
        seconds(trip.again),
        f"first export {seconds(trip.exported)}",
        ratio=trip.again / trip.exported,
        target=f"<= {AGAIN_LIMIT:g}x",
        ok=trip.again <= AGAIN_LIMIT * trip.exported,
    )
    return [row, floor, again]


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
                target=f"<= {ONE_SHOT_LIMIT:g}x",
                ok=size.total <= ONE_SHOT_LIMIT * theirs,
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
