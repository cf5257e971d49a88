"""The one error hierarchy of slmbib.

::

    SlmbibError                 anything slmbib reports to its user
    ├── InputError              a file it was given: carries path and line
    ├── ApiError                a remote service: carries service, URL and status
    └── LockedError             another slmbib run holds refs/

The command line turns every ``SlmbibError`` into a one-line message and a
non-zero exit; nothing else is caught there.
"""

from __future__ import annotations


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
