"""``check`` and ``render``: the markdown lists checked, and their tables written from refs/."""

from __future__ import annotations

from pathlib import Path

import click

from .options import LISTS, given_or_recorded_lists, refs_folder, say


def _codes(values: tuple[str, ...]) -> set[str]:
    """``--ignore a,b --ignore c`` -> {a, b, c}; an unknown code is a usage error."""
    from ..commands.check import CODES

    codes = {code.strip() for value in values for code in value.split(",") if code.strip()}
    unknown = sorted(codes - CODES.keys())
    if unknown:
        raise click.BadParameter(f"unknown code {unknown[0]!r} (see README.md, Check)", param_hint="--ignore")
    return codes


@click.command("check")
@LISTS
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
    from ..commands.check import FORMATS, check_lists
    from ..store import require_refs

    refs = refs_folder(ctx)
    if not lists:
        require_refs(refs)
    paths = given_or_recorded_lists(refs, lists)
    result = check_lists(paths, refs if refs.is_dir() else None, _codes(ignore))
    click.echo(FORMATS[output](result), nl=False)
    say(ctx, result.summary())
    ctx.exit(result.exit_code)


@click.command("render")
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
    from ..commands.init import project_readme
    from ..commands.render import render_readme

    readme = readme or project_readme(refs_folder(ctx))
    result = render_readme(refs_folder(ctx), readme, init=init, write=not check_only)
    for entry in result.unplaced:
        say(ctx, f"{readme}: not shown, its section has no markers: {entry}")
    if result.up_to_date:
        say(ctx, f"{readme}: up to date")
        return
    sections = [*result.initialised, *(s for s in result.changed if s not in result.initialised)]
    if check_only:
        click.echo(f"{readme} is out of date (run `slmbib render`): {'; '.join(sections)}", err=True)
        ctx.exit(1)
    for section in result.initialised:
        say(ctx, f"{readme}: markers added: {section}")
    for section in result.changed:
        say(ctx, f"{readme}: rendered: {section}")
