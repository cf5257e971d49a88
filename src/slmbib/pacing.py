"""Polite HTTP to one remote service: pacing, bounded retries, explicit timeouts.

One :class:`PacedClient` per service per run.  Its contract:

* Requests go one at a time over one connection, and each starts at least
  ``interval`` seconds (plus a small safety margin) after the previous one
  started, retries included, so a service that limits requests per second
  never sees us exceed it.
* HTTP 429 and 5xx, dropped connections, read timeouts and bodies the caller
  cannot use are retried, at most ``tries`` attempts in all.  The wait before a
  retry is the server's ``Retry-After`` when it sends one, else
  ``backoff * 2**n``.  A server asking for more than ``max_retry_wait`` seconds
  is not waited for: the request fails at once and says why.
* A connection that cannot be opened (refused, no route, no DNS, connect
  timeout) is not retried: the service is unreachable, and saying so at once
  beats retrying for minutes as peer tools do.
* Every failure is an :class:`ApiError` naming the service, the URL without its
  query, the status and the reason.  Request headers never appear in it, nor in
  the log: the S2 API key travels in one.
"""

from __future__ import annotations

import email.utils
import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

import httpx

from . import __version__
from .errors import ApiError

log = logging.getLogger(__name__)

T = TypeVar("T")

USER_AGENT = f"slmbib/{__version__}"

#: Statuses that mean "not now" rather than "never": worth another try.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Failures after the connection was made: the answer was lost, not refused.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, httpx.DecodingError)


class UnusableAnswer(Exception):
    """Raised by a response parser: the body is broken (truncated, HTML, wrong shape); worth a retry."""


class RefusedAnswer(Exception):
    """Raised by a response parser: the body must not be used, and asking again will not help."""


def safety_margin(interval: float) -> float:
    """How much longer than ``interval`` to wait: 5 % of it, at most 50 ms.

    A service judges spacing by when requests *arrive*, and network and scheduling jitter
    can bring two arrivals closer together than they were sent.
    """
    return min(0.05 * interval, 0.05)


class Pacer:
    """Spaces the starts of successive requests at least ``interval`` seconds apart (plus a margin)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval + safety_margin(interval)
        self._last_start: float | None = None
        self._lock = threading.Lock()

    def wait(self, at_least: float = 0.0) -> None:
        """Sleep until a request may start (and ``at_least`` seconds from now), then claim the slot."""
        with self._lock:
            now = time.monotonic()
            ready = now + at_least
            if self._last_start is not None:
                ready = max(ready, self._last_start + self.interval)
            if ready > now:
                time.sleep(ready - now)
            self._last_start = time.monotonic()


def retry_after_seconds(value: str | None) -> float | None:
    """The wait a ``Retry-After`` header asks for (seconds or an HTTP date); None if absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _duration(seconds: float) -> str:
    """A wait as a person reads it: a server may ask for 10**308 seconds."""
    for unit, size in (("years", 31_557_600), ("days", 86_400), ("h", 3600)):
        if seconds >= size:
            return "over 1,000 years" if seconds >= 1000 * 31_557_600 else f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def error_detail(response: httpx.Response) -> str:
    """A short, one-line reason from an error body: S2's ``error``/``message``, else the reason phrase."""
    try:
        data = json.loads(response.content)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for name in ("error", "message"):
            if isinstance(data.get(name), str) and data[name].strip():
                return " ".join(data[name].split())[:200]
    return response.reason_phrase or "error"


class PacedClient:
    """An ``httpx.Client`` for one service, with the pacing and retry policy of the module docstring."""

    def __init__(
        self,
        service: str,
        *,
        interval: float,
        timeout: float,
        tries: int = 5,
        backoff: float | None = None,
        max_retry_wait: float = 120.0,
    ) -> None:
        self.service = service
        self.pacer = Pacer(interval)
        self.tries = max(1, tries)
        self.backoff = interval if backoff is None else backoff
        self.max_retry_wait = max_retry_wait
        self.requests = 0
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=True,
        )

    def close(self) -> None:
        self._client.close()

    def request(
        self,
        method: str,
        url: str,
        parse: Callable[[httpx.Response], T],
        *,
        params: Any = None,
        json_body: Any = None,
        headers: Mapping[str, str] | None = None,
        accept: Collection[int] = (200,),
    ) -> T:
        """Send one request (with retries) and return ``parse(response)``.

        ``accept`` lists the statuses handed to ``parse``; ``parse`` raises
        :class:`UnusableAnswer` for a body worth retrying, :class:`RefusedAnswer`
        for one that is not.
        """
        shown = url.split("?", 1)[0]
        wait = 0.0
        for attempt in range(1, self.tries + 1):
            self.pacer.wait(wait)
            self.requests += 1
            log.debug("%s: %s %s (try %d)", self.service, method, shown, attempt)
            status: int | None = None
            try:
                response = self._client.request(method, url, params=params, json=json_body, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise ApiError(self.service, shown, f"cannot connect: {_reason(exc)}") from None
            except httpx.LocalProtocolError:
                # Its message quotes the offending header, which may be the API key.
                raise ApiError(self.service, shown, "the request could not be sent (bad header)") from None
            except _TRANSIENT as exc:
                problem = f"no complete answer ({_reason(exc)})"
                retry_after = None
            else:
                status = response.status_code
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                if status in accept:
                    try:
                        return parse(response)
                    except UnusableAnswer as exc:
                        problem = f"unusable answer: {exc}"
                    except RefusedAnswer as exc:
                        raise ApiError(self.service, shown, f"refused the answer: {exc}", status) from None
                elif status in RETRYABLE_STATUSES:
                    problem = error_detail(response)
                else:
                    raise ApiError(self.service, shown, error_detail(response), status)
            if attempt == self.tries:
                break
            if retry_after is not None and retry_after > self.max_retry_wait:
                raise ApiError(
                    self.service,
                    shown,
                    f"{problem}; the server asks to wait {_duration(retry_after)}, "
                    f"more than the {self.max_retry_wait:g} s slmbib waits",
                    status,
                )
            wait = retry_after if retry_after is not None else self.backoff * 2 ** (attempt - 1)
            log.info("%s: %s; retrying in %.1f s", self.service, problem, wait)
        raise ApiError(self.service, shown, f"{problem} (gave up after {self.tries} tries)", status)


def _reason(exc: Exception) -> str:
    """An httpx exception as a short reason; httpx messages carry no headers, only the failure."""
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


class ServiceClient:
    """Base of the clients of one service: what they share is their :class:`PacedClient`."""

    http: PacedClient

    @property
    def requests(self) -> int:
        """Requests sent so far, retries included."""
        return self.http.requests

    def close(self) -> None:
        self.http.close()
