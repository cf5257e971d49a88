"""``init``, ``import`` and ``list``: start refs/, read lists and bibliographies into it, show it."""

from __future__ import annotations

from pathlib import Path

import click

from ..errors import printable
from .options import LISTS, given_or_recorded_lists, refs_folder, say


@click.command("init")
@LISTS
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
    from ..commands.init import init_project

    for line in init_project(refs_folder(ctx), list(lists)).lines():
        say(ctx, line)


@click.command("import")
@LISTS
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
    from ..commands.init import import_paths, init_project, record_lists
    from ..store import require_refs

    refs = refs_folder(ctx)
    if lists and not refs.exists():
        for line in init_project(refs, list(lists)).lines():
            say(ctx, line)
        return
    require_refs(refs)
    paths = given_or_recorded_lists(refs, lists)
    for line in import_paths(refs, paths):
        say(ctx, line)
    for name in record_lists(refs, paths):
        say(ctx, f"{refs}/config.yaml: list recorded: {name}")


@click.command("list")
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
    from ..commands.listing import list_records, records_as_json

    records = list_records(refs_folder(ctx))
    if as_json:
        click.echo(records_as_json(records))
        return
    for record in records:
        flags = f"  [{', '.join(record.flags)}]" if record.flags else ""
        # A listed name is whatever the list said: no escape sequence of it reaches the terminal.
        click.echo(
            "\t".join(printable(part) for part in (record.id, record.key or "-", record.title + flags))
        )
