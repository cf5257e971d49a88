"""The ``slmbib`` command line: parse options, call the library, render its answer.

Each command calls one library function and prints what it returns: data to
stdout, messages to stderr.  Every :class:`SlmbibError` becomes a one-line
message and exit status 1 here, in one place; exit 2 stays click's usage error.
Heavy dependencies are imported inside the commands that need them, so that
``slmbib --help`` starts fast.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from . import __version__
from .choices import FORMATS, ORDERS
from .errors import SlmbibError, printable

if TYPE_CHECKING:
    from .syncing import SyncOptions

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


@main.command("init")
@click.argument("lists", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def init_command(ctx: click.Context, lists: tuple[Path, ...]) -> None:
    """Start a reference database (refs/) for paper lists that stay where they are.

    \b
    Reads:  LISTS (markdown; .bib files are imported, not recorded)
            [default: README.md beside refs/, if there is one].
    Writes: refs/ with one record per paper, the own works the lists'
            citation sections name (refs/own/), and refs/config.yaml naming
            the lists, so that `import`, `check`, `render` and
            `cite --readme` given none read them.

    Refuses a refs/ that exists; writes nothing when a list has an unreadable line.
    """
    from .init import init_project

    for line in init_project(_refs(ctx), list(lists)).lines():
        _say(ctx, line)


@main.command("import")
@click.argument("lists", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def import_command(ctx: click.Context, lists: tuple[Path, ...]) -> None:
    """Read paper lists (markdown) or bibliographies (.bib) into refs/.

    
    Reads:  LISTS [default: the lists refs/config.yaml records, else refs/lists/*.md].
    Writes: refs/papers/*.yaml; a new list's name into refs/config.yaml.
            Where there is no refs/, it is created as by `slmbib init LISTS`.

    Rows naming one paper become one record.  Every file is read and checked
    first: nothing is written when one cannot be read at all (empty, not UTF-8,
    no entry).  An odd row or entry is reported by file:line and the rest
    imported.  A .bib file's entries merge into refs/ as written (every field,
    LaTeX kept), with source `bib`.
    """
    from .init import import_paths, init_project, project_lists, record_lists
    from .store import require_refs

    refs = _refs(ctx)
    if lists and not refs.exists():
        for line in init_project(refs, list(lists)).lines():
            _say(ctx, line)
        return
    require_refs(refs)
    paths = list(lists) or project_lists(refs)
    if not paths:
        raise click.UsageError(f"no lists given and none recorded in {refs}/config.yaml")
    for line in import_paths(refs, paths):
        _say(ctx, line)
    for name in record_lists(refs, paths):
        _say(ctx, f"{refs}/config.yaml: list recorded: {name}")


@main.command("list")
@click.option("--json", "as_json", is_flag=True, help="Every record as JSON (the documented format).")
@click.pass_context
def list_command(ctx: click.Context, as_json: bool) -> None:
    """Show the records of refs/ on stdout.

    \b
    Reads:  refs/ (writes nothing).
    Prints: one line per record, sorted by id: id, citation key ('-' before
            the first export), title, then flags in brackets (unlisted,
            no-paper-link, placeholder-link), separated by tabs.
    """
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

    \b
    Reads:  refs/.
    Writes: OUTPUT, and the citation keys it gives into refs/papers/*.yaml.

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
    from .export import export_bibliography

    result = export_bibliography(_refs(ctx), None if to_stdout else output, fmt, order, sections, strict)
    if to_stdout:
        click.echo(result.text, nl=False)
    for line in result.lines():
        _say(ctx, line)


@main.command("cite")
@click.option(
    "--readme",
    is_flag=False,
    flag_value="",
    metavar="[FILE]",
    help="Put the block into FILE in place of its hand-pasted BibTeX, its citation placeholder or the "
    "block written before; own works its citation section names are created first "
    "[FILE default: the first list refs/config.yaml records, else README.md].",
)
@click.pass_context
def cite_command(ctx: click.Context, readme: str | None) -> None:
    """Print the BibTeX entries of the list's own works (refs/own/) on stdout.

    \b
    Reads:  refs/own/*.yaml, refs/papers/*.yaml (for clash-free keys).
    Writes: the own works' keys into refs/own/ the first time; with
            --readme, the block into the README instead of stdout.

    The survey and its companions, the survey first.
    """
    from .init import project_readme
    from .store import require_refs
    from .survey import citation_block, cite_readme

    require_refs(_refs(ctx))
    if readme is None:
        click.echo(citation_block(_refs(ctx)), nl=False)
        return
    path = Path(readme) if readme else project_readme(_refs(ctx))
    found, update = cite_readme(_refs(ctx), path)
    for record_id in found.created:
        _say(ctx, f"{path}: own work created: {record_id} (`slmbib sync {record_id}` completes it)")
    _say(ctx, f"{path}: citation block {'written' if update.changed else 'unchanged'}")


@main.command("rekey")
@click.argument("targets", nargs=-1, metavar="ID_OR_KEY...")
@click.option("--all", "everything", is_flag=True, help="Every record, the survey's included.")
@click.pass_context
def rekey_command(ctx: click.Context, targets: tuple[str, ...], everything: bool) -> None:
    """Give records the citation key their current data gives (old keys stay as aliases).

    \b
    Reads:  refs/.
    Writes: the new keys into refs/papers/*.yaml and refs/own/*.yaml.
    Prints: `old -> new` on stdout for each change.

    The only command that changes a pinned key.
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


def _sync_options(given: dict[str, Any], only: tuple[str, ...] = ()) -> SyncOptions:
    """The options given on the command line; a value the library refuses is a usage error."""
    from .errors import UsageError
    from .syncing import SyncOptions

    try:
        return SyncOptions(only=only, **{name: value for name, value in given.items() if value is not None})
    except UsageError as exc:
        raise click.BadParameter(str(exc), param_hint="--arxiv-interval") from None


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
    envvar="SLMBIB_S2_INTERVAL",
    type=click.FloatRange(min=0),
    help="Seconds between Semantic Scholar requests [env: SLMBIB_S2_INTERVAL; default: 1].",
)
@click.option(
    "--arxiv-interval",
    envvar="SLMBIB_ARXIV_INTERVAL",
    type=click.FloatRange(min=0),
    help="Seconds between arXiv requests; arXiv's terms ask for 3 or more "
    "[env: SLMBIB_ARXIV_INTERVAL; default: 3].",
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

    \b
    Reads:  refs/, the answer cache, the two services.
    Writes: refs/papers/*.yaml, refs/own/*.yaml, the cache (none with --dry-run).

    Batched, paced, cached and resumable: answers are saved as they arrive, so
    an interrupted sync continues where it stopped.  Exits 1 when a service
    could not be reached (after saving what was fetched), and with --dry-run
    when something would change.
    """
    from .syncing import sync

    options = _sync_options(given, only=record_ids)
    progress, is_bar = _progress(ctx)
    result = sync(_refs(ctx), options, progress=progress)
    if is_bar:
        click.echo(err=True)
    if options.dry_run:
        click.echo(result.diff, nl=False)
    for line in result.lines():
        _say(ctx, line)
    if result.errors:
        raise click.ClickException(" | ".join(map(str, result.errors)))
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
@click.argument("lists", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
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

    \b
    Reads:  LISTS [default: the lists refs/config.yaml records, else
            refs/lists/*.md], and refs/ when it exists (writes nothing).
    Prints: file:line: severity: code: message on stdout; a count on stderr.
    \b
    Codes (see README.md, Check):
      error:   unreadable-line placeholder-link local-link copied-links
               misplaced-paper-link mis-encoded-text
      warning: shared-links misplaced-link stray-paper-link not-a-paper-link
               anonymous-code-link duplicate-row year-mismatch
               unknown-identifier title-mismatch bad-ignore ignored-cells
      info:    incomplete-item shared-paper listed-elsewhere pinned-arxiv-version
               tracking-query

    Year, title and unknown-identifier findings use the records `slmbib sync` filled.
    """
    from .check import FORMATS, check_lists
    from .init import project_lists
    from .store import require_refs

    refs = _refs(ctx)
    if not lists:
        require_refs(refs)
    paths = list(lists) or project_lists(refs)
    if not paths:
        raise click.UsageError(f"no lists given and none recorded in {refs}/config.yaml")
    result = check_lists(paths, refs if refs.is_dir() else None, _codes(ignore))
    click.echo(FORMATS[output](result), nl=False)
    _say(ctx, result.summary())
    ctx.exit(result.exit_code)


@main.command("render")
@click.argument("readme", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Write nothing; exit 1 when README is out of date.")
@click.option(
    "--init", is_flag=True, help="Put markers around each paper table refs/ has rows of (first run)."
)
@click.pass_context
def render_command(ctx: click.Context, readme: Path | None, check_only: bool, init: bool) -> None:
    """Write README's paper tables and lists from refs/, between slmbib:begin/end markers.

    \b
    Reads:  refs/ and README [default: the first list refs/config.yaml
            records, else README.md].
    Writes: README, between its markers only (nothing with --check).

    Everything outside the markers is left as it is.
    """
    from .init import project_readme
    from .render import render_readme

    readme = readme or project_readme(_refs(ctx))
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


#: What `add` needs of sync's options: where the services are, the key, the cache, the pacing.
_ADD_SYNC_OPTIONS = ("s2_api_url", "arxiv_api_url", "s2_api_key", "cache_path", "timeout", "s2_interval")


@main.command("add")
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
    from .add import add_own, add_paper, paper_link, section_list
    from .errors import SlmbibError
    from .listimport import source_name

    if not papers and checklist is None:
        raise click.UsageError("give PAPERS or --from FILE")
    if own == bool(section):
        raise click.UsageError("give --section SECTION, or --own")
    single = len(papers) == 1 and checklist is None
    if name and not single:
        raise click.UsageError("--name names one paper: give exactly one")
    options = _sync_options({**given, "dry_run": dry_run})
    if own:
        if not single or dry_run or as_json:
            raise click.UsageError("--own adds one paper, by its id: no --from, --dry-run or --json")
        record_id, created, synced = add_own(_refs(ctx), papers[0], options)
        click.echo(record_id)
        status = synced.statuses.most_common(1)[0][0] if synced.statuses else "not synced"
        _say(ctx, f"own work {record_id} ({'new' if created else 'existing'}, {status})")
        if synced.errors:
            raise click.ClickException(" | ".join(map(str, synced.errors)))
        return
    assert section is not None
    chosen = source_name(list_path, _refs(ctx)) if list_path else ""
    section_list(_refs(ctx), section, chosen)  # an unknown section is refused before anything is asked
    identifier = False
    if single and not (dry_run or as_json):
        with contextlib.suppress(SlmbibError):
            identifier = bool(paper_link(papers[0]))
    if identifier:
        result = add_paper(_refs(ctx), papers[0], section, name=name, list_source=chosen, options=options)
        click.echo(result.record_id)
        _report_added(ctx, [result])
        if result.sync.errors:
            raise click.ClickException(" | ".join(map(str, result.sync.errors)))
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

    from .add import STATUSES, add_found, check_papers, read_checklist

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

        lines = check_papers(_refs(ctx), entries, options, progress)
    results = (
        [] if options.dry_run else add_found(_refs(ctx), lines, section, list_source=chosen, options=options)
    )
    for label, line in zip(labels, lines, strict=True):
        click.echo(
            json.dumps(line.as_json(), ensure_ascii=False) if as_json else f"{label}: {line.describe()}"
        )
    counts = Counter(line.status for line in lines)
    shown = ", ".join(f"{counts[s]} {s.replace('_', ' ')}" for s in STATUSES if counts[s])
    _say(ctx, f"papers: {len(lines)}: {shown or 'none'}")
    _report_added(ctx, results)
    errors = sorted({str(error) for result in results for error in result.sync.errors})
    if errors:
        raise click.ClickException(" | ".join(errors))
    if options.dry_run and counts["found"]:
        ctx.exit(1)


def _report_added(ctx: click.Context, results: list[Any]) -> None:
    for result in results:
        record = (
            f"{result.record_id} ({'new' if result.created else 'existing'}, {result.status or 'not synced'})"
        )
        if result.placed:
            _say(ctx, f"added {record} to {result.source}: {result.section} as {result.name!r}")
        else:
            _say(ctx, f"{record} is in {result.source}: {result.section} already")
    placed = Counter(result.source for result in results if result.placed)
    for source, count in placed.items():
        _say(ctx, f"run `slmbib render {source}` to write the {'row' if count == 1 else 'rows'}")


add_command.params.extend(param for param in sync_command.params if param.name in _ADD_SYNC_OPTIONS)
