"""One run of the large-bibliography pipeline, in its own process: parse, merge, export.

    python -m benchmarks.bib_pipeline IN.bib OUT.bib

Prints JSON: each stage's wall and CPU seconds, the entries read and the
distinct works left after merging.  It calls the same library functions as
``slmbib import FILE.bib`` and ``slmbib export``, minus the YAML files of
``refs/`` in between: that is the work bibtex-tidy does (read, deduplicate,
write), so the two are compared on equal terms.  It runs with the collector
settings of the ``slmbib`` command.
"""

from __future__ import annotations

import gc
import json
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from slmbib.cli import GC_THRESHOLDS
from slmbib.merge import merge_records
from slmbib.models import Record
from slmbib.reading.bibread import parse_bib
from slmbib.store import atomic_write
from slmbib.writing.citation import listed_names
from slmbib.writing.keys import assign_keys
from slmbib.writing.write import render

T = TypeVar("T")


def timed(figures: dict[str, float], stage: str, work: Callable[[], T]) -> T:
    wall, cpu = time.perf_counter(), time.process_time()
    result = work()
    figures[stage] = time.perf_counter() - wall
    figures[f"{stage}_cpu"] = time.process_time() - cpu
    return result


def read(source: Path) -> list[Record]:
    entries, problems = parse_bib(source)
    if problems:
        raise SystemExit("\n".join(map(str, problems[:5])))
    # Provisional ids, as import gives entries before they become records of refs/.
    return [replace(record, id=f"bib{index:06d}") for index, (_, record) in enumerate(entries)]


def export(records: list[Record], output: Path) -> None:
    keyed, _ = assign_keys({record.id: record for record in records})
    ordered = sorted(keyed.values(), key=lambda record: record.key.lower())
    rendered = render(ordered, "bibtex", names=listed_names(ordered))
    atomic_write(output, rendered.text.encode("utf-8"))


def main(source: Path, output: Path) -> dict[str, float]:
    figures: dict[str, float] = {}
    records = timed(figures, "parse", lambda: read(source))
    merged = timed(figures, "merge", lambda: merge_records(records))
    timed(figures, "export", lambda: export(merged.records, output))
    return {"entries": len(records), "works": len(merged.records), **figures}


if __name__ == "__main__":
    gc.set_threshold(*GC_THRESHOLDS)
    print(json.dumps(main(Path(sys.argv[1]), Path(sys.argv[2]))))
