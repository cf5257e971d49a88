"""``export``, ``cite`` and ``rekey``: the bibliography written from refs/, and its citation keys."""

from __future__ import annotations

from pathlib import Path

import click

from .options import FORMAT, ORDER, refs_folder, say, start_logging


@click.command("export")
@click.argument("output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path))
@FORMAT
@ORDER
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
        from ..writing.uptodate import export_settings, unchanged_export

        report = unchanged_export(refs_folder(ctx), output, export_settings(fmt, order, sections, strict))
        if report is not None:
            for line in report:
                say(ctx, line)
            return
    start_logging(ctx)
    from ..writing.export import export_bibliography

    result = export_bibliography(
        refs_folder(ctx), None if to_stdout else output, fmt, order, sections, strict
    )
    if to_stdout:
        click.echo(result.text, nl=False)
    for line in result.lines():
        say(ctx, line)


@click.command("cite")
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
    from ..commands.init import project_readme
    from ..store import require_refs
    from ..survey import citation_block, cite_readme

    refs = refs_folder(ctx)
    require_refs(refs)
    if readme is None:
        click.echo(citation_block(refs), nl=False)
        return
    path = Path(readme) if readme else project_readme(refs)
    found, update = cite_readme(refs, path)
    for record_id in found.created:
        say(ctx, f"{path}: own work created: {record_id} (`slmbib sync {record_id}` completes it)")
    say(ctx, f"{path}: citation block {'written' if update.changed else 'unchanged'}")


@click.command("rekey")
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
    from ..writing.export import rekey_refs

    if not targets and not everything:
        raise click.UsageError("name records by id or key, or give --all")
    for change in rekey_refs(refs_folder(ctx), targets, everything):
        click.echo(f"{change.old or '(none)'} -> {change.new}")
