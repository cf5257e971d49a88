"""The ``slmbib`` command line: parse options, call the library, render its answer.

Each command calls one library function and prints what it returns: data to
stdout, messages to stderr.  Every :class:`SlmbibError` becomes a one-line
message and exit status 1 here, in one place; exit 2 stays click's usage error.
Heavy dependencies are imported inside the commands that need them, so that
``slmbib --help`` starts fast.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import click

from . import __version__
from .errors import SlmbibError


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


def _refs(ctx: click.Context) -> Path:
    return Path(ctx.obj["refs"])


def _say(ctx: click.Context, message: str) -> None:
    if not ctx.obj["quiet"]:
        click.echo(message, err=True)


@main.command("import")
@click.argument("lists", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def import_command(ctx: click.Context, lists: tuple[Path, ...]) -> None:
    """Read paper lists (markdown) into refs/.

    With no LISTS, re-imports every list kept in refs/lists/.  Rows naming one
    paper become one record; nothing is written when a list has an unreadable line.
    """
    from .listimport import default_lists, import_lists

    paths = list(lists) or default_lists(_refs(ctx))
    if not paths:
        raise click.UsageError("no lists given and none in refs/lists/")
    summary = import_lists(_refs(ctx), paths)
    for line in summary.lines():
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
        click.echo(f"{record.id}\t{record.key or '-'}\t{record.title}{flags}")


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
    """Write README's paper tables from refs/, between slmbib:begin/end markers.

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
