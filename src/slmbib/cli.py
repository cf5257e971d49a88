"""The ``slmbib`` command line: parse options, call the library, render its answer.

Each command calls one library function and prints what it returns: data to
stdout, messages to stderr.  Every :class:`SlmbibError` becomes a one-line
message and exit status 1 here, in one place; exit 2 stays click's usage error.
Heavy dependencies are imported inside the commands that need them, so that
``slmbib --help`` starts fast.
"""

from __future__ import annotations

import gc
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .choices import FORMATS, ORDERS
from .errors import SlmbibError, printable

#: Cycle-collector thresholds while a command runs (Python's defaults: 700, 10, 10).  A
#: command builds one large graph of long-lived records; with the defaults the collector
#: re-scans it over and over, a third of the time of importing and exporting 100,000
#: entries, to free almost nothing.  Short-lived cycles still go at the young collections,
#: every 50,000 allocations; the older generations, where the records live, are left alone
#: (a collection of them costs in proportion to everything read so far).
GC_THRESHOLDS = (50_000, 1000, 100)


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SlmbibError as exc:
            raise click.ClickException(str(exc)) from None


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="slmbib")
@click.option(
    "--refs",
    "refs",
    type=click.Path(file_okay=False, path_type=Path),
    default="refs",
    show_default=True,
    envvar="SLMBIB_REFS",
    help="The reference database folder [env: SLMBIB_REFS].",
)
@click.option("-v", "--verbose", count=True, help="More messages on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")
@click.pass_context
def main(ctx: click.Context, refs: Path, verbose: int, quiet: bool) -> None:
    """Keep the survey's paper list as a reference database and export it as BibTeX."""
    level = logging.ERROR if quiet else logging.DEBUG if verbose > 1 else logging.INFO
    logging.basicConfig(level=level, format="%(message)s")
    ctx.obj = {"refs": refs, "quiet": quiet}
    # Restored when the command ends, for callers that run it in their own process (tests).
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    ctx.call_on_close(lambda: gc.set_threshold(*thresholds))


def _refs(ctx: click.Context) -> Path:
    return Path(ctx.obj["refs"])


def _say(ctx: click.Context, message: str) -> None:
    if not ctx.obj["quiet"]:
        click.echo(message, err=True)


@main.command("import")
@click.argument("lists", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def import_command(ctx: click.Context, lists: tuple[Path, ...]) -> None:
    """Read paper lists (markdown) or bibliographies (.bib) into refs/.

    With no LISTS, re-imports every list kept in refs/lists/.  Rows naming one
    paper become one record; nothing is written when a list has an unreadable line.
    A .bib file's entries merge into refs/ as written (every field, LaTeX kept),
    with source `bib`; an entry BibTeX cannot read is reported by file:line and
    skipped, and the rest imported.
    """
    from .listimport import default_lists, import_lists

    paths = list(lists) or default_lists(_refs(ctx))
    if not paths:
        raise click.UsageError("no lists given and none in refs/lists/")
    bibs = [path for path in paths if path.suffix.lower() == ".bib"]
    markdown = [path for path in paths if path not in bibs]
    if markdown:
        for line in import_lists(_refs(ctx), markdown).lines():
            _say(ctx, line)
    if bibs:
        from .bibread import import_bib

        for line in import_bib(_refs(ctx), bibs).lines():
            _say(ctx, line)


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Every record as JSON (the documented format).")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Show the records of refs/."""
    from .listing import list_records, records_as_json

    records = list_records(_refs(ctx))
    if as_json:
        click.echo(records_as_json(records))
        return
    for record in records:
        flags = f"  [{', '.join(record.flags)}]" if record.flags else ""
        # A listed name is whatever the list said: no escape sequence of it reaches the terminal.
        click.echo(
            "\t".join(printable(part) for part in (record.id, record.key or "-", record.title + flags))
        )


@main.command("export")
@click.argument("output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="bibtex", show_default=True, help="Output format."
)
@click.option(
    "--order",
    type=click.Choice(ORDERS),
    default="key",
    show_default=True,
    help="Sort entries by citation key, or in the survey's order (its own entry first).",
)
@click.option(
    "--sections",
    "sections",
    multiple=True,
    metavar="SECTION",
    help="Only papers listed under SECTION (a heading, or an 'A > B' path); repeatable.",
)
@click.option("--strict", is_flag=True, help="Fail, writing nothing, if an entry has no authors yet.")
@click.pass_context
def export_command(
    ctx: click.Context, output: Path, fmt: str, order: str, sections: tuple[str, ...], strict: bool
) -> None:
    """Write the bibliography of refs/ to OUTPUT ('-' for stdout).

    One entry per paper plus the survey's own; citation keys are pinned in refs/
    the first time they are given and never change (see `slmbib rekey`).
    """
    to_stdout = str(output) == "-"
    if not to_stdout:
        # Checked before the exporter and its dependencies are even imported.
        from .uptodate import export_settings, unchanged_export

        report = unchanged_export(_refs(ctx), output, export_settings(fmt, order, sections, strict))
        if report is not None:
            for line in report:
                _say(ctx, line)
            return
    from .export import export

    result = export(_refs(ctx), None if to_stdout else output, fmt, order, sections, strict)
    if to_stdout:
        click.echo(result.text, nl=False)
    for line in result.lines():
        _say(ctx, line)


@main.command("cite")
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Put the block into this README, in place of its hand-pasted BibTeX, its citation placeholder "
    "or the block written before; own works its citation section names are created first.",
)
@click.pass_context
def cite_command(ctx: click.Context, readme: Path | None) -> None:
    """Print the BibTeX entries of the list's own works (refs/own/).

    The survey and its companions, the survey first.
    """
    from .survey import citation_block, cite_readme

    if readme is None:
        click.echo(citation_block(_refs(ctx)), nl=False)
        return
    found, update = cite_readme(_refs(ctx), readme)
    for record_id in found.created:
        _say(ctx, f"{readme}: own work created: {record_id} (`slmbib sync {record_id}` completes it)")
    _say(ctx, f"{readme}: citation block {'written' if update.changed else 'unchanged'}")


@main.command("rekey")
@click.argument("targets", nargs=-1, metavar="ID_OR_KEY...")
@click.option("--all", "everything", is_flag=True, help="Every record, the survey's included.")
@click.pass_context
def rekey_command(ctx: click.Context, targets: tuple[str, ...], everything: bool) -> None:
    """Give records the citation key their current data gives (old keys stay as aliases).

    The only command that changes a pinned key.  Prints `old -> new` for each change.
    """
    from .export import rekey_refs

    if not targets and not everything:
        raise click.UsageError("name records by id or key, or give --all")
    for change in rekey_refs(_refs(ctx), targets, everything):
        click.echo(f"{change.old or '(none)'} -> {change.new}")


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


def _api_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A malformed service URL is a usage error, found before anything is locked or asked."""
    from .pacing import check_api_url

    if value is None:
        return None
    try:
        return check_api_url(value, "the URL")
    except SlmbibError as exc:
        raise click.BadParameter(str(exc)) from None


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


@main.command("sync")
@click.argument("record_ids", nargs=-1)
@click.option(
    "--s2-api-url",
    envvar="SLMBIB_S2_API_URL",
    callback=_api_url,
    help="Semantic Scholar root, to which /graph/v1/... is appended "
    "[env: SLMBIB_S2_API_URL; default: https://api.semanticscholar.org].",
)
@click.option(
    "--arxiv-api-url",
    envvar="SLMBIB_ARXIV_API_URL",
    callback=_api_url,
    help="The arXiv API query endpoint [env: SLMBIB_ARXIV_API_URL; default: https://export.arxiv.org/api/query].",
)
@click.option(
    "--s2-api-key",
    envvar="S2_API_KEY",
    help="Semantic Scholar API key, sent as x-api-key and never written anywhere; prefer setting "
    "S2_API_KEY, since a command line is visible to every user in `ps` [env: S2_API_KEY].",
)
@click.option(
    "--cache",
    "cache_path",
    envvar="SLMBIB_CACHE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The answer cache [env: SLMBIB_CACHE; default: .slmbib/cache.sqlite beside refs/].",
)
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
@click.option(
    "--s2-interval",
    type=click.FloatRange(min=0),
    help="Seconds between Semantic Scholar requests [default: 1].",
)
@click.option(
    "--arxiv-interval",
    type=click.FloatRange(min=0),
    help="Seconds between arXiv requests; arXiv's terms ask for 3 or more [default: 3].",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    help="Seconds a request may take, from connecting to the answer's last byte, before it is "
    "retried [default: 30].",
)
@click.pass_context
def sync_command(ctx: click.Context, /, record_ids: tuple[str, ...], **given: Any) -> None:
    """Enrich records from Semantic Scholar and arXiv (all records, or RECORD_IDS).

    Batched, paced, cached and resumable: answers are saved as they arrive, so
    an interrupted sync continues where it stopped.  Exits 1 when a service
    could not be reached (after saving what was fetched), and with --dry-run
    when something would change.
    """
    from .arxiv import DEFAULT_API_URL, MIN_INTERVAL
    from .enrich import SyncOptions, sync

    # The services' client libraries log each request (httpx at INFO, semanticscholar a warning
    # per unknown id): slmbib's summary reports those, and a log must never show request headers.
    for noisy in ("httpx", "httpcore", "semanticscholar"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    options = SyncOptions(
        only=record_ids, **{name: value for name, value in given.items() if value is not None}
    )
    if options.arxiv_api_url == DEFAULT_API_URL and options.arxiv_interval < MIN_INTERVAL:
        raise click.BadParameter(
            f"arXiv asks for {MIN_INTERVAL:g} s or more between requests", param_hint="--arxiv-interval"
        )
    progress, is_bar = _progress(ctx)
    result = sync(_refs(ctx), options, progress=progress)
    if is_bar:
        click.echo(err=True)
    if options.dry_run:
        click.echo(result.diff, nl=False)
    for line in result.lines():
        _say(ctx, line)
    if result.errors:
        raise click.ClickException(" | ".join(result.errors))
    if options.dry_run and result.changed:
        ctx.exit(1)


def _codes(values: tuple[str, ...]) -> set[str]:
    """``--ignore a,b --ignore c`` -> {a, b, c}; an unknown code is a usage error."""
    from .check import CODES

    codes = {code.strip() for value in values for code in value.split(",") if code.strip()}
    unknown = sorted(codes - CODES.keys())
    if unknown:
        raise click.BadParameter(f"unknown code {unknown[0]!r} (see README.md, Check)", param_hint="--ignore")
    return codes


@main.command("check")
@click.argument("lists", nargs=-1, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json", "github"]),
    default="text",
    show_default=True,
    help="text: file:line: severity: code: message; json: one document; github: workflow annotations.",
)
@click.option("--ignore", multiple=True, metavar="CODE[,CODE]", help="Drop findings with these codes.")
@click.pass_context
def check_command(ctx: click.Context, lists: tuple[Path, ...], output: str, ignore: tuple[str, ...]) -> None:
    """Find the mistakes of paper lists (markdown); exit 1 when one is an error.

    With no LISTS, checks every list kept in refs/lists/.  Findings that need the
    papers (year, title, unknown identifier) use the records `slmbib sync` filled.
    """
    from .check import FORMATS, check_lists
    from .listimport import default_lists

    paths = list(lists) or default_lists(_refs(ctx))
    if not paths:
        raise click.UsageError("no lists given and none in refs/lists/")
    result = check_lists(paths, _refs(ctx), _codes(ignore))
    click.echo(FORMATS[output](result), nl=False)
    _say(ctx, result.summary())
    ctx.exit(result.exit_code)


@main.command("render")
@click.argument("readme", default="README.md", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 when README is out of date.")
@click.option(
    "--init", is_flag=True, help="Put markers around each paper table refs/ has rows of (first run)."
)
@click.pass_context
def render_command(ctx: click.Context, readme: Path, check_only: bool, init: bool) -> None:
    """Write README's paper tables and lists from refs/, between slmbib:begin/end markers.

    Everything outside the markers is left as it is.
    """
    from .render import render_readme

    result = render_readme(_refs(ctx), readme, init=init, write=not check_only)
    for entry in result.unplaced:
        _say(ctx, f"{readme}: not shown, its section has no markers: {entry}")
    if result.up_to_date:
        _say(ctx, f"{readme}: up to date")
        return
    sections = [*result.initialised, *(s for s in result.changed if s not in result.initialised)]
    if check_only:
        click.echo(f"{readme} is out of date (run `slmbib render`): {'; '.join(sections)}", err=True)
        ctx.exit(1)
    for section in result.initialised:
        _say(ctx, f"{readme}: markers added: {section}")
    for section in result.changed:
        _say(ctx, f"{readme}: rendered: {section}")


#: What `add` needs of sync's options: where the services are, the key, the cache, how long to wait.
_ADD_SYNC_OPTIONS = ("s2_api_url", "arxiv_api_url", "s2_api_key", "cache_path", "timeout")


@main.command("add")
@click.argument("paper")
@click.option("--section", help="The section path, as `slmbib list --json` shows it.")
@click.option("--own", is_flag=True, help="Add it as one of the list's own works (`slmbib cite`) instead.")
@click.option("--name", default="", help="The name to list it under [default: from the paper's title].")
@click.option(
    "--list",
    "list_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The list to place it in, when several have the section.",
)
@click.pass_context
def add_command(
    ctx: click.Context,
    /,
    paper: str,
    section: str | None,
    own: bool,
    name: str,
    list_path: Path | None,
    **given: Any,
) -> None:
    """Add a paper (arXiv id, DOI or URL) to a section: create or reuse its record, sync it.

    Prints the record id.  `slmbib render` then writes the new row into the list.
    With --own, the paper becomes one of the list's own works instead.
    """
    from .add import add_own, add_paper
    from .enrich import SyncOptions
    from .listimport import source_name

    for noisy in ("httpx", "httpcore", "semanticscholar"):  # as in sync: no request lines, no headers
        logging.getLogger(noisy).setLevel(logging.ERROR)
    options = SyncOptions(**{key: value for key, value in given.items() if value is not None})
    if own == bool(section):
        raise click.UsageError("give --section SECTION, or --own")
    if own:
        record_id, created, synced = add_own(_refs(ctx), paper, options)
        click.echo(record_id)
        status = synced.statuses.most_common(1)[0][0] if synced.statuses else "not synced"
        _say(ctx, f"own work {record_id} ({'new' if created else 'existing'}, {status})")
        if synced.errors:
            raise click.ClickException(" | ".join(synced.errors))
        return
    assert section is not None
    chosen = source_name(list_path, _refs(ctx)) if list_path else ""
    result = add_paper(_refs(ctx), paper, section, name=name, list_source=chosen, options=options)
    click.echo(result.record_id)
    record = (
        f"{result.record_id} ({'new' if result.created else 'existing'}, {result.status or 'not synced'})"
    )
    if result.placed:
        _say(ctx, f"added {record} to {result.source}: {section} as {result.name!r}")
        _say(ctx, f"run `slmbib render {result.source}` to write the row")
    else:
        _say(ctx, f"{record} is in {result.source}: {section} already")
    if result.sync.errors:
        raise click.ClickException(" | ".join(result.sync.errors))


add_command.params.extend(param for param in sync_command.params if param.name in _ADD_SYNC_OPTIONS)
