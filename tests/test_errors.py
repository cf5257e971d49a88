"""Every exception slmbib defines or raises is under SlmbibError, defined in errors.py.

The test reads the package's source: a new ``raise ValueError(...)`` or a new
exception class anywhere else fails it.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import slmbib
from slmbib import errors
from slmbib.errors import KeyClashError, SlmbibError

#: Exceptions of other libraries raised as part of their own protocol, and caught again inside
#: slmbib before a caller could see them (the module named turns each into a SlmbibError).
_PROTOCOL = {
    (
        "slmbib.enriching.cache",
        "DatabaseError",
    ): "an outdated cache is refused like a corrupt one, then rebuilt",
    (
        "slmbib.enriching.s2",
        "ObjectNotFoundException",
    ): "the semanticscholar package's 'not found', caught in S2Client",
    ("slmbib.store", "ConstructorError"): "PyYAML's error with the node's line, turned into an InputError",
    (
        "slmbib.store",
        "ValueError",
    ): "json's parse_constant hook refusing NaN in the record cache, caught as json's own",
}


def _modules() -> Iterator[ModuleType]:
    for info in pkgutil.walk_packages(slmbib.__path__, "slmbib."):
        yield importlib.import_module(info.name)


def _raised(module: ModuleType) -> Iterator[tuple[int, str]]:
    """(line, name) of every ``raise Name(...)`` / ``raise a.b.Name(...)`` in the module."""
    tree = ast.parse(Path(str(module.__file__)).read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            if isinstance(target, ast.Name):
                yield node.lineno, target.id
            elif isinstance(target, ast.Attribute):
                yield node.lineno, ast.unparse(target)


def _resolve(module: ModuleType, name: str) -> object:
    value: object = module
    for part in name.split("."):
        value = getattr(value, part, None)
    return value


def test_every_exception_class_is_defined_in_errors_under_slmbib_error() -> None:
    for module in _modules():
        for value in vars(module).values():
            if isinstance(value, type) and issubclass(value, BaseException):
                if value.__module__ == module.__name__:
                    assert module is errors, f"{module.__name__} defines {value.__name__}"
                if value.__module__ == "slmbib.errors":
                    assert issubclass(value, SlmbibError), value


def test_every_raised_exception_is_a_slmbib_error() -> None:
    seen = 0
    for module in _modules():
        for line, name in _raised(module):
            raised = _resolve(module, name)
            if not isinstance(raised, type):
                continue  # re-raising a caught exception held in a variable
            seen += 1
            short = name.rsplit(".", 1)[-1]
            if module.__name__.split(".")[:2] == ["slmbib", "cli"] and raised.__module__.startswith("click"):
                continue  # the click layer turns errors into exit statuses
            if (module.__name__, short) in _PROTOCOL:
                continue
            assert issubclass(raised, SlmbibError), f"{module.__name__}:{line} raises {name}"
    assert seen > 50


def test_a_key_clash_is_no_value_error() -> None:
    """A caller catching ValueError around a command must not swallow a clash the CLI reports."""
    assert not issubclass(KeyClashError, ValueError)
