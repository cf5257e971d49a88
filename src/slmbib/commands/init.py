"""``slmbib init``: start a reference database for a list kept where it is.

Contract:

* A project's lists are recorded in ``refs/config.yaml``, as paths relative to
  the folder that holds ``refs/`` (a survey's README stays at the repository
  root)::

      lists:
      - README.md

  Every command given no list (``import``, ``check``, ``render``,
  ``cite --readme``) takes the recorded ones, and a list imported later joins
  them.  A ``refs/`` without the file (the committed demo) has its lists in
  ``refs/lists/*.md`` and records none.
* :func:`init_project` imports the lists given (``README.md`` when none is
  given and there is one), records the markdown ones and creates the own
  works their citation sections name (the survey, its companions); it refuses a
  ``refs/`` that exists.  An import into a folder with no ``refs/`` is the
  same thing.  Either reads every input before anything is created.
* :func:`import_paths` imports markdown lists and ``.bib`` files together:
  every file of either kind is read and checked before the first is written.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from ..errors import InputError, InputErrors, SlmbibError
from ..reading.bibread import import_bib, import_stoppers
from ..reading.listimport import import_lists, source_name
from ..reading.readme import read_list
from ..store import atomic_write, dump_yaml, lists_dir, locked, own_dir
from ..survey import read_own_works, read_readme

CONFIG_FILE = "config.yaml"
DEFAULT_LIST = "README.md"
_CONFIG_HEADER = (
    "# The lists `slmbib import`, `check` and `render` read when given none,\n"
    "# relative to the folder holding refs/.  Written by `slmbib init`.\n"
)


def config_path(refs: Path) -> Path:
    return refs / CONFIG_FILE


def is_bib(path: Path) -> bool:
    return path.suffix.lower() == ".bib"


def _recorded_names(refs: Path) -> list[str] | None:
    """The list names ``refs/config.yaml`` records, or None when there is no such file."""
    path = config_path(refs)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(str(path), 0, f"cannot read: {exc}") from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise InputError(str(path), mark.line + 1 if mark else 0, "invalid YAML") from None
    lists = data.get("lists") if isinstance(data, dict) else None
    if not isinstance(lists, list) or not all(isinstance(item, str) and item for item in lists):
        raise InputError(str(path), 1, "'lists' must be a list of file names")
    return lists


def recorded_lists(refs: Path) -> list[Path] | None:
    """The lists ``refs/config.yaml`` records, or None when there is no such file."""
    names = _recorded_names(refs)
    # Not resolved: a list is named to the user as the config names it.
    return None if names is None else [refs.parent / name for name in names]


def record_lists(refs: Path, paths: list[Path], start: bool = False) -> list[str]:
    """Add the markdown lists among ``paths`` to ``refs/config.yaml``; returns the names added.

    A project without the file (the committed demo, whose lists are kept in
    ``refs/lists/``) gets none unless ``start``: only ``init`` creates it.
    """
    names = _recorded_names(refs)
    if names is None and not start:
        return []
    known = names or []
    named = dict.fromkeys(source_name(path, refs) for path in paths if not is_bib(path))
    added = [name for name in named if name not in known]
    if added or names is None:
        with locked(refs, create=start):
            data = _CONFIG_HEADER + dump_yaml({"lists": [*known, *added]})
            atomic_write(config_path(refs), data.encode("utf-8"))
    return added


def project_lists(refs: Path) -> list[Path]:
    """The lists a command given none reads: the recorded ones, else ``refs/lists/*.md``."""
    recorded = recorded_lists(refs)
    if recorded is not None:
        return recorded
    return sorted(lists_dir(refs).glob("*.md"))


def project_readme(refs: Path) -> Path:
    """The README that ``render`` and ``cite --readme`` write when given none."""
    recorded = recorded_lists(refs)
    return recorded[0] if recorded else Path(DEFAULT_LIST)


def check_inputs(refs: Path, paths: list[Path]) -> None:
    """Read every file of ``paths``; raise one error with every problem that stops an import, a line each."""
    problems: list[InputError] = []
    for path in paths:
        if is_bib(path):
            problems.extend(import_stoppers(path))
            continue
        try:
            read_list(path, source_name(path, refs))
        except InputErrors as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputErrors(problems)


def import_paths(refs: Path, paths: list[Path]) -> list[str]:
    """Import markdown lists and ``.bib`` files into ``refs``; returns the summary lines."""
    bibs = [path for path in paths if is_bib(path)]
    markdown = [path for path in paths if not is_bib(path)]
    if bibs and markdown:
        # Each import checks its own files first; across kinds the markdown would be
        # written before a broken .bib is found.
        check_inputs(refs, paths)
    lines = import_lists(refs, markdown).lines() if markdown else []
    if bibs:
        lines += import_bib(refs, bibs).lines()
    return lines


@dataclass
class InitResult:
    refs: Path
    recorded: list[str] = field(default_factory=list)
    imported: list[str] = field(default_factory=list)
    #: (list, own work id) for each of the list's own works its citation section named.
    own_works: list[tuple[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        where = config_path(self.refs)
        out = [f"{self.refs}: created"]
        out.append(f"{where}: lists recorded: {', '.join(self.recorded) or 'none'}")
        out.extend(self.imported)
        out.extend(f"{name}: own work created: {work}" for name, work in self.own_works)
        if not self.own_works:
            out.append(
                f"{own_dir(self.refs)}: no own work found; `slmbib add --own ARXIV_ID_OR_DOI` adds one"
            )
        return out


def init_project(refs: Path, paths: list[Path]) -> InitResult:
    """Create ``refs``, import ``paths`` into it and record the markdown ones as its lists."""
    if refs.exists():
        raise SlmbibError(f"{refs}: exists already; `slmbib import LIST.md` adds a list to it")
    if not paths:
        default = refs.parent / DEFAULT_LIST
        paths = [default] if default.is_file() else []
    result = InitResult(refs)
    try:
        result.imported = import_paths(refs, paths) if paths else []
        result.recorded = record_lists(refs, paths, start=True)
        # The list's own works (the survey and its companions) are named in its citation section.
        for path in paths:
            if not is_bib(path):
                found = read_own_works(refs, path, read_readme(path))
                result.own_works += [(source_name(path, refs), work) for work in found.created]
    except BaseException:
        # refs/ did not exist before this run: a start that fails (a full disk, Ctrl-C) leaves
        # nothing behind, so that running it again is not refused as "exists already".
        shutil.rmtree(refs, ignore_errors=True)
        raise
    return result
