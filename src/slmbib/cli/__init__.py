"""The ``slmbib`` command line: parse options, call the library, render its answer.

Each command calls one library function and prints what it returns: data to
stdout, messages to stderr.  Every :class:`SlmbibError` becomes a one-line
message and exit status 1 here, in one place; exit 2 stays click's usage error.
Heavy dependencies are imported inside the commands that need them, so that
``slmbib --help`` starts fast.

The group is here; the options several commands share are in :mod:`.options`,
and the commands in one module per part of the work: :mod:`.records` (init,
import, list), :mod:`.bibliography` (export, cite, rekey), :mod:`.sync` (sync,
add) and :mod:`.lists` (check, render).
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import Any

import click

from .. import __version__
from ..errors import SlmbibError
from .bibliography import cite_command, export_command, rekey_command
from .lists import check_command, render_command
from .options import QUIET, REFS, VERBOSE, start_logging
from .records import import_command, init_command, list_command
from .sync import add_command, sync_command

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
@REFS
@VERBOSE
@QUIET
@click.pass_context
def main(ctx: click.Context, refs: Path, verbose: int, quiet: bool) -> None:
    """Keep the survey's paper list as a reference database and export it as BibTeX."""
    ctx.obj = {"refs": refs, "quiet": quiet, "verbose": verbose}
    # An export with nothing new answers from its up-to-date check alone, and importing
    # logging would be a tenth of its start-up; it starts logging when it has work to do.
    if ctx.invoked_subcommand != export_command.name:
        start_logging(ctx)
    # Restored when the command ends, for callers that run it in their own process (tests).
    thresholds = gc.get_threshold()
    gc.set_threshold(*GC_THRESHOLDS)
    ctx.call_on_close(lambda: gc.set_threshold(*thresholds))


for _command in (
    init_command,
    import_command,
    list_command,
    export_command,
    cite_command,
    rekey_command,
    sync_command,
    check_command,
    render_command,
    add_command,
):
    main.add_command(_command)
