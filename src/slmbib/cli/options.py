"""What the commands share: their options, and the values the group's options leave in the context.

Each option that more than one command takes is one decorator here, so that its
name, help and check are written once.  Like the rest of the click layer, this
module imports only click and the standard library at the top: the library
modules are imported by the functions that need them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..choices import FORMATS, ORDERS
from ..errors import SlmbibError

if TYPE_CHECKING:
    from ..enriching.syncing import SyncOptions

REFS = click.option(
    "--refs",
    "refs",
    type=click.Path(file_okay=False, path_type=Path),
    default="refs",
    show_default=True,
    envvar="SLMBIB_REFS",
    help="The reference database folder [env: SLMBIB_REFS].",
)
VERBOSE = click.option("-v", "--verbose", count=True, help="More messages on stderr.")
QUIET = click.option("-q", "--quiet", is_flag=True, help="Only errors on stderr.")


def refs_folder(ctx: click.Context) -> Path:
    """The reference database folder the group's ``--refs`` names."""
    return Path(ctx.obj["refs"])


def start_logging(ctx: click.Context) -> None:
    """Send the library's log messages to stderr, at the level ``-v`` and ``-q`` ask for."""
    import logging

    quiet, verbose = ctx.obj["quiet"], ctx.obj["verbose"]
    level = logging.ERROR if quiet else logging.DEBUG if verbose > 1 else logging.INFO
    logging.basicConfig(level=level, format="%(message)s")


def say(ctx: click.Context, message: str) -> None:
    """A message on stderr, unless ``-q``."""
    if not ctx.obj["quiet"]:
        click.echo(message, err=True)


LISTS = click.argument("lists", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))


def given_or_recorded_lists(refs: Path, lists: Sequence[Path]) -> list[Path]:
    """The lists given, else those refs/config.yaml records; none at all is a usage error."""
    from ..commands.init import project_lists

    paths = list(lists) or project_lists(refs)
    if not paths:
        raise click.UsageError(f"no lists given and none recorded in {refs}/config.yaml")
    return paths


FORMAT = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="bibtex", show_default=True, help="Output format."
)
ORDER = click.option(
    "--order",
    type=click.Choice(ORDERS),
    default="key",
    show_default=True,
    help="Sort entries by citation key, or in the survey's order (its own entry first).",
)


def _api_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A malformed service URL is a usage error, found before anything is locked or asked."""
    from ..enriching.pacing import check_api_url

    if value is None:
        return None
    try:
        return check_api_url(value, "the URL")
    except SlmbibError as exc:
        raise click.BadParameter(str(exc)) from None


# The options of the two services, which `sync` and `add` both ask.
S2_API_URL = click.option(
    "--s2-api-url",
    envvar="SLMBIB_S2_API_URL",
    callback=_api_url,
    help="Semantic Scholar root, to which /graph/v1/... is appended "
    "[env: SLMBIB_S2_API_URL; default: https://api.semanticscholar.org].",
)
ARXIV_API_URL = click.option(
    "--arxiv-api-url",
    envvar="SLMBIB_ARXIV_API_URL",
    callback=_api_url,
    help="The arXiv API query endpoint [env: SLMBIB_ARXIV_API_URL; default: https://export.arxiv.org/api/query].",
)
S2_API_KEY = click.option(
    "--s2-api-key",
    envvar="S2_API_KEY",
    help="Semantic Scholar API key, sent as x-api-key and never written anywhere; prefer setting "
    "S2_API_KEY, since a command line is visible to every user in `ps` [env: S2_API_KEY].",
)
CACHE = click.option(
    "--cache",
    "cache_path",
    envvar="SLMBIB_CACHE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The answer cache [env: SLMBIB_CACHE; default: .slmbib/cache.sqlite beside refs/].",
)
S2_INTERVAL = click.option(
    "--s2-interval",
    envvar="SLMBIB_S2_INTERVAL",
    type=click.FloatRange(min=0),
    help="Seconds between Semantic Scholar requests [env: SLMBIB_S2_INTERVAL; default: 1].",
)
ARXIV_INTERVAL = click.option(
    "--arxiv-interval",
    envvar="SLMBIB_ARXIV_INTERVAL",
    type=click.FloatRange(min=0),
    help="Seconds between arXiv requests; arXiv's terms ask for 3 or more "
    "[env: SLMBIB_ARXIV_INTERVAL; default: 3].",
)
TIMEOUT = click.option(
    "--timeout",
    type=click.FloatRange(min=0.1),
    help="Seconds a request may take, from connecting to the answer's last byte, before it is "
    "retried [default: 30].",
)


def sync_options(given: dict[str, Any], only: tuple[str, ...] = ()) -> SyncOptions:
    """The options given on the command line; a value the library refuses is a usage error."""
    from ..enriching.syncing import SyncOptions
    from ..errors import UsageError

    try:
        return SyncOptions(only=only, **{name: value for name, value in given.items() if value is not None})
    except UsageError as exc:
        raise click.BadParameter(str(exc), param_hint="--arxiv-interval") from None


def fail_on(errors: Sequence[object]) -> None:
    """Exit 1 with the services' failures on one line, when there are any."""
    if errors:
        raise click.ClickException(" | ".join(map(str, errors)))
