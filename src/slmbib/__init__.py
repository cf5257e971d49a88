"""slmbib: the reference database and bibliography of the Small Language Models survey.

Each command of the ``slmbib`` command line is a function here that takes the
``refs/`` folder first, returns what the command prints, and raises a
:class:`SlmbibError` for what the command reports as ``Error: ...``:

=====================================  ====================================================
``import_lists(refs, paths)``          ``slmbib import LIST.md ...``: an :class:`ImportSummary`
``import_bib(refs, paths)``            ``slmbib import FILE.bib ...``: a :class:`BibImportSummary`
``list_records(refs)``                 ``slmbib list``: the :class:`Record` list, by id
``records_as_json(records)``           ``slmbib list --json``: that list as the documented JSON
``sync(refs, options)``                ``slmbib sync``: a :class:`SyncResult`; see :class:`SyncOptions`
``export_bibliography(refs, output)``  ``slmbib export``: an :class:`ExportResult`
``rekey_refs(refs, targets)``          ``slmbib rekey``: the :class:`KeyChange` list
``citation_block(refs)``               ``slmbib cite``: the entries of the list's own works
``cite_readme(refs, readme)``          ``slmbib cite --readme``: :class:`OwnWorks`, :class:`ReadmeUpdate`
``check_lists(paths, refs)``           ``slmbib check``: a :class:`CheckResult`
``render_readme(refs, path)``          ``slmbib render``: a :class:`RenderResult`
``add_paper(refs, paper, section)``    ``slmbib add``: an :class:`AddResult`
``add_own(refs, paper)``               ``slmbib add --own``: its id, whether new, its sync's result
=====================================  ====================================================

The names are imported on first use, so ``import slmbib`` stays as light as
``slmbib --help``.  Libraries log through :mod:`logging`; configuring output is
the caller's business (a sync keeps the HTTP libraries' own loggers quiet
while it runs, as their debug logs would show request headers).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: Every public name, and the module that defines it.
_HOMES = {
    # commands
    "add_own": "commands.add",
    "add_paper": "commands.add",
    "check_lists": "commands.check",
    "citation_block": "survey",
    "cite_readme": "survey",
    "export_bibliography": "writing.export",
    "import_bib": "reading.bibread",
    "import_lists": "reading.listimport",
    "list_records": "commands.listing",
    "records_as_json": "commands.listing",
    "rekey_refs": "writing.export",
    "render_readme": "commands.render",
    "sync": "enriching.syncing",
    # the record model
    "Link": "models",
    "LinkRole": "models",
    "ListedLink": "models",
    "Listing": "models",
    "Provenance": "models",
    "Record": "models",
    "SyncStatus": "models",
    "Value": "models",
    # options and results
    "SyncOptions": "enriching.syncing",
    "AddResult": "commands.add",
    "BibImportSummary": "reading.bibread",
    "CheckResult": "commands.check",
    "ExportResult": "writing.export",
    "ImportSummary": "reading.listimport",
    "KeyChange": "writing.keys",
    "OwnWorks": "survey",
    "ReadmeUpdate": "survey",
    "RenderResult": "commands.render",
    "SyncResult": "enriching.syncing",
    # errors
    "ApiError": "errors",
    "InputError": "errors",
    "InputErrors": "errors",
    "KeyClashError": "errors",
    "LockedError": "errors",
    "SlmbibError": "errors",
    "StrictError": "errors",
    "SyncFailure": "errors",
    "UnknownRecordError": "errors",
    "UsageError": "errors",
}

__all__ = [
    "AddResult",
    "ApiError",
    "BibImportSummary",
    "CheckResult",
    "ExportResult",
    "ImportSummary",
    "InputError",
    "InputErrors",
    "KeyChange",
    "KeyClashError",
    "Link",
    "LinkRole",
    "ListedLink",
    "Listing",
    "LockedError",
    "OwnWorks",
    "Provenance",
    "ReadmeUpdate",
    "Record",
    "RenderResult",
    "SlmbibError",
    "StrictError",
    "SyncFailure",
    "SyncOptions",
    "SyncResult",
    "SyncStatus",
    "UnknownRecordError",
    "UsageError",
    "Value",
    "__version__",
    "add_own",
    "add_paper",
    "check_lists",
    "citation_block",
    "cite_readme",
    "export_bibliography",
    "import_bib",
    "import_lists",
    "list_records",
    "records_as_json",
    "rekey_refs",
    "render_readme",
    "sync",
]

if TYPE_CHECKING:
    from .commands.add import AddResult, add_own, add_paper
    from .commands.check import CheckResult, check_lists
    from .commands.listing import list_records, records_as_json
    from .commands.render import RenderResult, render_readme
    from .enriching.syncing import SyncOptions, SyncResult, sync
    from .errors import (
        ApiError,
        InputError,
        InputErrors,
        KeyClashError,
        LockedError,
        SlmbibError,
        StrictError,
        SyncFailure,
        UnknownRecordError,
        UsageError,
    )
    from .models import Link, LinkRole, ListedLink, Listing, Provenance, Record, SyncStatus, Value
    from .reading.bibread import BibImportSummary, import_bib
    from .reading.listimport import ImportSummary, import_lists
    from .survey import OwnWorks, ReadmeUpdate, citation_block, cite_readme
    from .writing.export import ExportResult, export_bibliography, rekey_refs
    from .writing.keys import KeyChange


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'slmbib' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{home}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
