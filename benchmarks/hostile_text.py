"""Remote text shaped to be slow: the time to write it must grow linearly.

A title of ``a`` + n ``!`` + ``a`` once made the title encoder backtrack
quadratically (100,000 characters: 145 s of ``export``); a record with n
authors or an n-character title is written capped (``citation.MAX_AUTHORS``,
``citation.MAX_TITLE``), so writing it costs reading it.  Each shape is timed
(CPU, best of a few runs, in this process) at n and 10n; linear growth is a
ratio near 10, quadratic near 100.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from .measure import Row, seconds

#: Ratios above this for a tenfold input are not linear (quadratic would be 100).
LINEAR_LIMIT = 15.0


def _best(work: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.process_time()
        work()
        times.append(time.process_time() - started)
    return min(times)


def _row(name: str, unit: str, n: int, make: Callable[[int], Callable[[], object]], runs: int) -> Row:
    small, large = _best(make(n), runs), _best(make(10 * n), runs)
    ratio = large / max(small, 1e-6)
    return Row(
        f"hostile text, {name}: {10 * n:,} / {n:,} {unit} (CPU)",
        seconds(large),
        seconds(small),
        ratio=ratio,
        target=f"<= {LINEAR_LIMIT:g}x",
        ok=ratio <= LINEAR_LIMIT,
    )


def bench_hostile_text(n: int, runs: int) -> list[Row]:
    from slmbib.latex import protect_title
    from slmbib.models import Record, Value
    from slmbib.writing.write import render

    def title(size: int) -> Callable[[], object]:
        text = "a" + "!" * size + "a"
        return lambda: protect_title(text)

    def record(size: int, what: str) -> Record:
        fields = {"year": Value(2024, "arxiv"), "title": Value("A Title", "arxiv")}
        if what == "authors":
            fields["authors"] = Value([f"Given{i} Family{i}" for i in range(size)], "arxiv")
        else:
            fields["title"] = Value("a" + "!" * size + "a", "arxiv")
            fields["authors"] = Value(["Ada Lovelace"], "arxiv")
        return Record(id="x", key="x2024", identifiers={"arxiv": "2401.00001"}, fields=fields)

    def export(what: str) -> Callable[[int], Callable[[], object]]:
        def make(size: int) -> Callable[[], object]:
            chosen = record(size, what)
            return lambda: render([chosen], "bibtex")

        return make

    return [
        _row("title encoding", "characters", n, title, runs),
        _row("export of one title", "characters", n, export("title"), runs),
        _row("export of one author list", "authors", n, export("authors"), runs),
    ]
