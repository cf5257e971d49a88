"""``sync`` and ``add``: the commands that ask Semantic Scholar and arXiv."""

from __future__ import annotations

import contextlib
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .options import (
    ARXIV_API_URL,
    ARXIV_INTERVAL,
    CACHE,
    S2_API_KEY,
    S2_API_URL,
    S2_INTERVAL,
    TIMEOUT,
    fail_on,
    refs_folder,
    say,
    sync_options,
)

_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def _age(ctx: click.Context, param: click.Parameter, value: str | None) -> float | None:
    """A duration in seconds from ``30d``, ``12h``, ``90m``, ``45s`` or ``2w``; a bare number is days."""
    if value is None:
        return None
    text = value.strip().lower()
    unit = _AGE_UNITS.get(text[-1:])
    try:
        seconds = float(text[:-1] if unit else text) * (unit or _AGE_UNITS["d"])
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a duration such as 30d, 12h or 90m") from None
    if seconds < 0:
        raise click.BadParameter(f"{value!r} is negative")
    return seconds


def _progress(ctx: click.Context) -> tuple[Callable[[int, int, str], None] | None, bool]:
    """A progress bar on a terminal, plain lines otherwise, nothing with -q; and whether it is a bar."""
    if ctx.obj["quiet"]:
        return None, False
    if sys.stderr.isatty():

        def bar(done: int, total: int, message: str) -> None:
            filled = 30 * done // max(total, 1)
            line = f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {message}"
            click.echo(f"{line:<79}"[:79], nl=False, err=True)

        return bar, True

    def lines(done: int, total: int, message: str) -> None:
        click.echo(f"sync: {done}/{total} records settled ({message})", err=True)

    return lines, False


@click.command("sync")
@click.argument("record_ids", nargs=-1)
@S2_API_URL
@ARXIV_API_URL
@S2_API_KEY
@CACHE
@click.option(
    "--max-age", callback=_age, help="Reuse cached answers about published papers this long [default: 30d]."
)
@click.option(
    "--preprint-max-age",
    callback=_age,
    help="Reuse cached answers about preprints and papers not found this long [default: 7d].",
)
@click.option("--refresh", is_flag=True, help="Ask the services again for every record, ignoring the cache.")
@click.option(
    "--dry-run", is_flag=True, help="Print what would change as a diff; write nothing; exit 1 if any."
)
@S2_INTERVAL
@ARXIV_INTERVAL
@TIMEOUT
@click.pass_context
def sync_command(ctx: click.Context, /, record_ids: tuple[str, ...], **given: Any) -> None:
    """Enrich records from Semantic Scholar and arXiv (all records, or RECORD_IDS).

    \b
    Reads:  refs/, the answer cache, the two services.
    Writes: refs/papers/*.yaml, refs/own/*.yaml, the cache (none with --dry-run).

    Batched, paced, cached and resumable: answers are saved as they arrive, so
    an interrupted sync continues where it stopped.  Exits 1 when a service
    could not be reached (after saving what was fetched), and with --dry-run
    when something would change.
    """
    from ..enriching.syncing import sync

    options = sync_options(given, only=record_ids)
    progress, is_bar = _progress(ctx)
    result = sync(refs_folder(ctx), options, progress=progress)
    if is_bar:
        click.echo(err=True)
    if options.dry_run:
        click.echo(result.diff, nl=False)
    for line in result.lines():
        say(ctx, line)
    fail_on(result.errors)
    if options.dry_run and result.changed:
        ctx.exit(1)


@click.command("add")
@click.argument("papers", nargs=-1)
@click.option(
    "--from",
    "checklist",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A checklist: one paper a line (id, URL, title or name); bullets, numbers and braces are ignored.",
)
@click.option("--section", help="The section path, as `slmbib list --json` shows it.")
@click.option("--own", is_flag=True, help="Add it as one of the list's own works (`slmbib cite`) instead.")
@click.option("--name", default="", help="The name to list it under [default: from the paper's title].")
@click.option(
    "--list",
    "list_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The list to place it in, when several have the section.",
)
@click.option(
    "--dry-run", is_flag=True, help="Print what each paper is; write nothing; exit 1 if one would be added."
)
@click.option(
    "--json", "as_json", is_flag=True, help="Print the report as JSON, one object per paper a line."
)
# What `add` needs of sync's options: where the services are, the key, the cache, the pacing.
@S2_API_URL
@ARXIV_API_URL
@S2_API_KEY
@CACHE
@S2_INTERVAL
@TIMEOUT
@click.pass_context
def add_command(
    ctx: click.Context,
    /,
    papers: tuple[str, ...],
    checklist: Path | None,
    section: str | None,
    own: bool,
    name: str,
    list_path: Path | None,
    dry_run: bool,
    as_json: bool,
    **given: Any,
) -> None:
    """Add papers to a section: by arXiv id, DOI or URL, by title, or by name.

    
    Reads:  refs/, the lists, --from FILE, the answer cache, the two services.
    Writes: the found papers' records in refs/papers/ (refs/own/ with --own),
            the list's listings of them, the cache.

    Each of PAPERS (and each line of --from) is reported as listed already
    (record and row), repeated, found (the S2 paper, verified as sync does),
    ambiguous or not found; the found ones are placed in the section and
    synced.  For one identifier, prints the record id.  `slmbib render` then
    writes the new rows into the list.  With --own, one paper (by id) becomes
    one of the list's own works instead.
    """
    from ..commands.add import add_own, add_paper, paper_link, section_list
    from ..errors import SlmbibError
    from ..reading.listimport import source_name

    if not papers and checklist is None:
        raise click.UsageError("give PAPERS or --from FILE")
    if own == bool(section):
        raise click.UsageError("give --section SECTION, or --own")
    single = len(papers) == 1 and checklist is None
    if name and not single:
        raise click.UsageError("--name names one paper: give exactly one")
    options = sync_options({**given, "dry_run": dry_run})
    refs = refs_folder(ctx)
    if own:
        if not single or dry_run or as_json:
            raise click.UsageError("--own adds one paper, by its id: no --from, --dry-run or --json")
        record_id, created, synced = add_own(refs, papers[0], options)
        click.echo(record_id)
        status = synced.statuses.most_common(1)[0][0] if synced.statuses else "not synced"
        say(ctx, f"own work {record_id} ({'new' if created else 'existing'}, {status})")
        fail_on(synced.errors)
        return
    assert section is not None
    chosen = source_name(list_path, refs) if list_path else ""
    section_list(refs, section, chosen)  # an unknown section is refused before anything is asked
    identifier = False
    if single and not (dry_run or as_json):
        with contextlib.suppress(SlmbibError):
            identifier = bool(paper_link(papers[0]))
    if identifier:
        result = add_paper(refs, papers[0], section, name=name, list_source=chosen, options=options)
        click.echo(result.record_id)
        _report_added(ctx, [result])
        fail_on(result.sync.errors)
        return
    _add_many(ctx, papers, checklist, section, chosen, options, as_json)


def _add_many(
    ctx: click.Context,
    papers: tuple[str, ...],
    checklist: Path | None,
    section: str,
    chosen: str,
    options: Any,
    as_json: bool,
) -> None:
    """Check every paper given, report each, and (without --dry-run) place the found ones."""
    import json

    from ..commands.add import STATUSES, add_found, check_papers, read_checklist

    refs = refs_folder(ctx)
    entries = [(number, text) for number, text in enumerate(papers, 1)]
    labels = [f"argument {number}" for number, _ in entries]
    if checklist is not None:
        read = read_checklist(checklist)
        entries += read
        labels += [f"{checklist}:{number}" for number, _ in read]
    with contextlib.ExitStack() as stack:
        progress = None
        if len(entries) > 1 and not ctx.obj["quiet"]:
            bar = stack.enter_context(
                click.progressbar(length=len(entries), label="checking", file=sys.stderr)
            )

            def progress(done: int, total: int, message: str) -> None:
                bar.update(done - bar.pos)

        lines = check_papers(refs, entries, options, progress)
    results = [] if options.dry_run else add_found(refs, lines, section, list_source=chosen, options=options)
    for label, line in zip(labels, lines, strict=True):
        click.echo(
            json.dumps(line.as_json(), ensure_ascii=False) if as_json else f"{label}: {line.describe()}"
        )
    counts = Counter(line.status for line in lines)
    shown = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in STATUSES if counts[s])
    say(ctx, f"papers: {len(lines)}: {shown or 'none'}")
    _report_added(ctx, results)
    fail_on(sorted({str(error) for result in results for error in result.sync.errors}))
    if options.dry_run and counts["found"]:
        ctx.exit(1)


def _report_added(ctx: click.Context, results: list[Any]) -> None:
    for result in results:
        record = (
            f"{result.record_id} ({'new' if result.created else 'existing'}, {result.status or 'not synced'})"
        )
        if result.placed:
            say(ctx, f"added {record} to {result.source}: {result.section} as {result.name!r}")
        else:
            say(ctx, f"{record} is in {result.source}: {result.section} already")
    placed = Counter(result.source for result in results if result.placed)
    for source, count in placed.items():
        say(ctx, f"run `slmbib render {source}` to write the {'row' if count == 1 else 'rows'}")
