"""Each module calls only modules below it, never one that called it: read from the imports, and
watched while a record goes through sync and export.

The import graph is read from the source with ``ast``: every import a module runs (at the top or
inside a function), leaving out those under ``if TYPE_CHECKING:``, which only name types.  The calls
are watched with a profile hook on a sync over recorded answers and the export that follows.
"""

from __future__ import annotations

import ast
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

from slmbib.writing.export import export_bibliography

from .seeds import REPO
from .test_sync_clients import arxiv_query, run, s2_batch

PACKAGE = REPO / "src" / "slmbib"


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of ``tree`` outside ``if TYPE_CHECKING:`` blocks."""
    nodes: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            pending.extend(node.orelse)
            continue
        nodes.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return nodes


def import_graph() -> dict[str, set[str]]:
    """Each module of the package, and the modules of the package it imports."""
    paths = {_module(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        imported: set[str] = set()
        for node in _runtime_nodes(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join([*base, *([node.module] if node.module else [])])
                # ``from . import s2`` imports the module s2; ``from .s2 import Paper`` imports s2.
                imported.update(
                    f"{target}.{alias.name}" if f"{target}.{alias.name}" in paths else target
                    for alias in node.names
                )
            elif isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
        graph[module] = {name for name in imported if name in paths and name != module}
    return graph


def _reaches(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    pending = list(graph[start])
    while pending:
        module = pending.pop()
        if module not in seen:
            seen.add(module)
            pending.extend(graph[module])
    return seen


def test_no_module_imports_one_that_imports_it() -> None:
    graph = import_graph()
    assert "slmbib.enriching.syncing.plan" in graph  # the walk sees the sub-packages
    cycles = sorted(module for module in graph if module in _reaches(graph, module))
    assert cycles == []


def test_sync_goes_down_from_the_command_to_the_services() -> None:
    graph = import_graph()
    # The plan, the fetch loop and the applier do not call up into the run that calls them.
    for part in ("plan", "fetch", "apply"):
        assert "slmbib.enriching.syncing" not in graph[f"slmbib.enriching.syncing.{part}"], part
    # What the answers mean is judged from their types alone, never by asking a service.
    assert not {"slmbib.enriching.s2", "slmbib.enriching.arxiv", "slmbib.enriching.pacing"} & _reaches(
        graph, "slmbib.enriching.resolve"
    )
    # The services convert answers into those types; they know nothing of sync.
    for service in ("slmbib.enriching.s2", "slmbib.enriching.arxiv"):
        assert not {name for name in _reaches(graph, service) if "syncing" in name or "resolve" in name}


#: The one way a module below hands control back up: the response parser a service module gives the
#: paced client, which calls it inside its retry loop (an unusable answer is worth another try).
PARSERS = {
    ("slmbib.enriching.pacing", "slmbib.enriching.s2"),
    ("slmbib.enriching.pacing", "slmbib.enriching.arxiv"),
}


def test_a_record_through_sync_and_export_calls_each_module_on_the_way_down(tmp_path: Path) -> None:
    calls: set[tuple[str, str]] = set()

    def watch(frame: FrameType, event: str, arg: Any) -> None:
        if event == "call" and frame.f_back is not None:
            callee, caller = frame.f_globals.get("__name__", ""), frame.f_back.f_globals.get("__name__", "")
            if callee != caller and callee.startswith("slmbib.") and caller.startswith("slmbib."):
                calls.add((caller, callee))

    threading.setprofile(watch)
    sys.setprofile(watch)
    try:
        run(tmp_path, s2_batch, arxiv_query)
        export_bibliography(tmp_path / "refs", tmp_path / "refs.bib")
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
    assert {
        ("slmbib.enriching.syncing", "slmbib.enriching.syncing.fetch"),
        ("slmbib.writing.export", "slmbib.writing.write"),
    } <= calls
    both_ways = {(a, b) for a, b in calls if (b, a) in calls and (a, b) not in PARSERS}
    assert both_ways == {(b, a) for a, b in PARSERS}
