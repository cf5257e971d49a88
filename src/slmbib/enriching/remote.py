"""Where text from a remote service becomes safe: the checks every S2 and arXiv answer passes once.

The service modules (``s2``, ``arxiv``) convert each answer, as soon as it is
read and before it is cached or applied, into small frozen objects built from
these functions; the cache converts what it reads back the same way, so an
answer stored by an older version is checked too.  Their contract:

* a value has the type the service documents, or is missing (``null``);
  anything else makes the whole answer :class:`~slmbib.enriching.pacing.UnusableAnswer`
  (a wrong type means a broken or hostile server, and half an answer applied
  would be wrong data);
* text is one line: whitespace runs become one space, other control and
  format characters (terminal escapes, bidi overrides, lone surrogates) are
  removed, and any secret of the run (the S2 key) is replaced by
  ``[redacted]``;
* sizes are capped: :data:`MAX_TEXT` characters a value and :data:`MAX_ITEMS`
  items a list.  A longer value makes the answer unusable rather than being
  cut, since a cut title is a wrong title.

Messages (errors, log lines, ``sync.reason``) go through
:func:`slmbib.errors.printable`, which hides the same secrets and escapes
control characters instead of dropping them.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from ..errors import UnusableAnswer, hide_secrets

#: Longest text value accepted (the longest real titles are a few hundred characters).
MAX_TEXT = 2_000
#: Most items accepted in a list (author lists of the largest collaborations stay below it).
MAX_ITEMS = 10_000
#: Categories of characters that are dropped from remote text (control, format, surrogate, private,
#: unassigned); whitespace among them has become a plain space first.
_DROPPED = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})


def load_json(body: bytes) -> Any:
    """A JSON body, or :class:`UnusableAnswer` (not JSON, or nested deeper than Python can follow)."""
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise UnusableAnswer("not JSON (or nested too deeply)") from None


def clean(text: str) -> str:
    """``text`` on one line, without control or format characters, secrets hidden."""
    text = " ".join(text.split())
    if not text.isprintable():
        text = "".join(c for c in text if unicodedata.category(c) not in _DROPPED)
        text = " ".join(text.split())
    return hide_secrets(text)


def text(value: Any, name: str) -> str:
    """A text value (``""`` when missing), cleaned; :class:`UnusableAnswer` for any other type."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise UnusableAnswer(f"{name} is a {type(value).__name__}, not text")
    if len(value) > MAX_TEXT:
        raise UnusableAnswer(f"{name} is {len(value)} characters long")
    return clean(value)


def integer(value: Any, name: str) -> int | None:
    """A whole number (``None`` when missing); :class:`UnusableAnswer` for any other type."""
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 2**53:
        raise UnusableAnswer(f"{name} is not a plausible whole number")
    return value


def mapping(value: Any, name: str) -> dict[str, Any]:
    """An object (``{}`` when missing); :class:`UnusableAnswer` for any other type."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise UnusableAnswer(f"{name} is a {type(value).__name__}, not an object")
    return value


def items(value: Any, name: str) -> list[Any]:
    """A list (``[]`` when missing), at most :data:`MAX_ITEMS` long; :class:`UnusableAnswer` otherwise."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnusableAnswer(f"{name} is a {type(value).__name__}, not a list")
    if len(value) > MAX_ITEMS:
        raise UnusableAnswer(f"{name} has {len(value)} items")
    return value


def texts(value: Any, name: str) -> tuple[str, ...]:
    """A list of text values, each cleaned, empty ones left out."""
    cleaned = (text(item, name) for item in items(value, name))
    return tuple(item for item in cleaned if item)
