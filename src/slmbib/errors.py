"""The one error hierarchy of slmbib.

::

    SlmbibError                 anything slmbib reports to its user
    ├── InputError              a file it was given: carries path and line
    ├── BibSyntaxError          a .bib block BibTeX would not read (caught by the .bib reader, which skips it)
    ├── InputErrors             every unreadable line of the lists or .bib files given, one InputError each
    ├── KeyClashError           two records claim one citation key, or a pinned key is unsafe
    ├── UnknownRecordError      no record has the id or citation key asked for
    ├── UsageError              a value no function of slmbib takes (also a ValueError)
    ├── StrictError             export --strict: entries lack what their type requires
    ├── ApiError                a remote service: carries service, URL and status
    ├── SyncFailure             a service failed during a sync: its ApiError and the records left unsynced
    ├── UnusableAnswer          a service's answer is broken (truncated, HTML): asked again
    ├── RefusedAnswer           a service's answer must not be used (a DTD in a feed): not asked again
    ├── AnswerTooLarge          a service's answer is over the size cap: not read further
    ├── CacheError              the cache file cannot be used (not a cache, or not writable)
    ├── LockedError             another slmbib run holds refs/
    └── MissingRefsError        there is no refs/ where a command needs one

The command line turns every ``SlmbibError`` into a one-line message and a
non-zero exit; nothing else is caught there.  ``UnusableAnswer`` and
``RefusedAnswer`` never leave the HTTP layer: the paced client, which retries
on the first, turns both into an ``ApiError``.
"""

from __future__ import annotations

from collections.abc import Sequence


class SlmbibError(Exception):
    """Base of every error slmbib reports; ``str()`` is the one-line message."""


#: Values that must never be printed or stored (the S2 API key); see :func:`keep_secret`.
_SECRETS: set[str] = set()
REDACTED = "[redacted]"


def keep_secret(value: str) -> None:
    """Hide ``value`` from every message and every stored remote text from now on.

    A server may echo a request header back (in an error body, or even in a
    title); whatever slmbib prints or stores passes through :func:`hide_secrets`.
    """
    if value:
        _SECRETS.add(value)


def hide_secrets(text: str) -> str:
    for secret in _SECRETS:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


def printable(text: str) -> str:
    """``text`` with secrets hidden and line breaks and control characters escaped (``\\n``, ``\\x1b``).

    Messages quote lists, record files and server answers, which may hold
    anything: escaping keeps a message on one line and keeps escape sequences
    from reaching the user's terminal.
    """
    text = hide_secrets(text)
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


class InputError(SlmbibError):
    """A problem in a file: ``path:line: message`` (line is 1-based, 0 if unknown)."""

    def __init__(self, path: str, line: int, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        super().__init__(printable(f"{path}:{line}: {message}" if line else f"{path}: {message}"))


class ApiError(SlmbibError):
    """A remote service failed or answered something unusable."""

    def __init__(self, service: str, url: str, message: str, status: int | None = None) -> None:
        self.service = service
        self.url = url
        self.status = status
        self.message = message
        where = f"{service} {url}"
        if status is not None:
            where += f" (HTTP {status})"
        super().__init__(printable(f"{where}: {message}"))


class LockedError(SlmbibError):
    """Another slmbib process is writing the same refs/."""


class InputErrors(SlmbibError):
    """Every problem of the files given; ``str()`` has one ``path:line: message`` line per problem."""

    def __init__(self, problems: Sequence[InputError]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(problem) for problem in self.problems))


class KeyClashError(SlmbibError):
    """Two records claim one key (``other_id`` is the first claimant), or a pinned key is unsafe."""

    def __init__(self, record_id: str, message: str, other_id: str = "", key: str = "") -> None:
        self.record_id = record_id
        self.other_id = other_id
        self.key = key
        super().__init__(message)


class UnknownRecordError(SlmbibError):
    """No record has the id or citation key ``name``."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        super().__init__(message)


class UsageError(SlmbibError, ValueError):
    """A caller passed a value the function does not take: an unknown format, an unsafe record id."""


class StrictError(SlmbibError):
    """``export --strict``: some entries lack what their type requires."""


class SyncFailure(SlmbibError):
    """A service that failed during a sync (``error``), and the ids of the records it left unsynced."""

    def __init__(self, error: ApiError, unsynced: Sequence[str]) -> None:
        self.error = error
        self.service = error.service
        self.unsynced = tuple(unsynced)
        shown = ", ".join(self.unsynced[:3]) + (
            f" and {len(self.unsynced) - 3} more" if len(self.unsynced) > 3 else ""
        )
        super().__init__(f"{error}; {len(self.unsynced)} records not synced{': ' + shown if shown else ''}")


class UnusableAnswer(SlmbibError):
    """Raised by a response parser: the body is broken (truncated, HTML, wrong shape); worth a retry."""


class RefusedAnswer(SlmbibError):
    """Raised by a response parser: the body must not be used, and asking again will not help."""


class AnswerTooLarge(SlmbibError):
    """Raised while reading an answer: it is over the size cap, and is not read further."""


class CacheError(SlmbibError):
    """The cache file cannot be used (not a cache, or not writable)."""


class MissingRefsError(SlmbibError):
    """The reference database a command reads or changes does not exist (only imports create it)."""


class BibSyntaxError(SlmbibError):
    """A block BibTeX itself would not read; ``offset`` is where in the file."""

    def __init__(self, offset: int, message: str) -> None:
        super().__init__(message)
        self.offset = offset
