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
from .export import ORDERS
from .write import FORMATS


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
    """Read paper lists (markdown) or bibliographies (.bib) into refs/.

    With no LISTS, re-imports every list kept in refs/lists/.  Rows naming one
    paper become one record; nothing is written when a list has an unreadable line.
    A .bib file's entries merge into refs/ as written (LaTeX kept), with source
    `bib`; any entry that cannot be read stops the import of all of them.
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
        click.echo(f"{record.id}\t{record.key or '-'}\t{record.title}{flags}")


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
    from .export import export

    to_stdout = str(output) == "-"
    result = export(_refs(ctx), None if to_stdout else output, fmt, order, sections, strict)
    if to_stdout:
        click.echo(result.text, nl=False)
    for line in result.lines():
        _say(ctx, line)


@main.command("cite")
@click.option(
    "--readme",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Put the block into this README, in place of its citation placeholder.",
)
@click.pass_context
def cite_command(ctx: click.Context, readme: Path | None) -> None:
    """Print the survey's own BibTeX citation block (from refs/survey.yaml)."""
    from .survey import citation_block, update_readme

    block = citation_block(_refs(ctx))
    if readme is None:
        click.echo(block, nl=False)
        return
    update = update_readme(readme, block)
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
