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
* Every request has a total deadline of ``timeout`` seconds, from connecting to
  the last byte of the answer (a server that trickles its answer cannot hold a
  run, and its lock, for longer), and answers are read with a byte cap,
  :data:`MAX_ANSWER_BYTES` after decompression (a gzip bomb costs at most that).
  A longer answer is refused, not retried.
* Redirects are not followed: the API key would travel with them, and an API
  that moved is a configuration to fix, said in one line.
* Every failure is an :class:`ApiError` naming the service, the URL without its
  query, the status and the reason.  Request headers never appear in it, nor in
  the log: the S2 API key travels in one; the server's words pass through
  :func:`~slmbib.errors.printable` (control characters escaped, secrets hidden).
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import logging
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import httpcore
import httpx

from .. import __version__
from ..errors import AnswerTooLarge, ApiError, RefusedAnswer, SlmbibError, UnusableAnswer, printable

log = logging.getLogger(__name__)

T = TypeVar("T")

USER_AGENT = f"slmbib/{__version__}"
#: The most an answer may hold, decompressed.  A batch of 500 S2 papers is about 1 MB.
MAX_ANSWER_BYTES = 8 * 1024 * 1024
#: Encodings slmbib decompresses itself, within the byte cap.
_ENCODINGS = {"gzip": zlib.MAX_WBITS | 16, "deflate": zlib.MAX_WBITS, "identity": None, "": None}
#: Most bytes inflated at a time: a bomb's chunk never expands past this in one step.
_PIECE = 2**16

#: Statuses that mean "not now" rather than "never": worth another try.
RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Failures after the connection was made: the answer was lost, not refused.
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError, httpx.DecodingError)


#: Loggers of the HTTP libraries: httpx logs each request at INFO, httpcore and semanticscholar
#: log request headers (the API key among them) at DEBUG.
_HTTP_LOGGERS = ("httpx", "httpcore", "semanticscholar")


@contextlib.contextmanager
def quiet_http_loggers() -> Iterator[None]:
    """Only errors from the HTTP libraries' loggers meanwhile, whatever the caller configured.

    slmbib reports requests in its own summary, and a log must never show request headers.
    """
    loggers = [logging.getLogger(name) for name in _HTTP_LOGGERS]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


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


def check_api_url(url: str, what: str) -> str:
    """``url`` if it can be an API root (``http(s)://host...``); :class:`SlmbibError` saying why not."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise SlmbibError(f"{what} {printable(url)!r} is not a URL ({printable(str(exc))})") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise SlmbibError(f"{what} {printable(url)!r} is not an http:// or https:// URL with a host")
    if parsed.userinfo or parsed.fragment:
        raise SlmbibError(f"{what} {printable(url)!r} may not hold a user name, password or #fragment")
    return url


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write waits at most until its backend's deadline."""

    def __init__(self, stream: httpcore.NetworkStream, backend: _DeadlineBackend) -> None:
        self._stream = stream
        self._backend = backend

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            return self._stream.read(max_bytes, self._backend.remaining(timeout, httpcore.ReadTimeout))
        except httpcore.ReadTimeout:
            self._backend.say_if_expired(httpcore.ReadTimeout)
            raise

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            self._stream.write(buffer, self._backend.remaining(timeout, httpcore.WriteTimeout))
        except httpcore.WriteTimeout:
            self._backend.say_if_expired(httpcore.WriteTimeout)
            raise

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return _DeadlineStream(self._stream.start_tls(*args, **kwargs), self._backend)

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.SyncBackend):
    """Opens connections that honour one deadline, set per request (see :class:`PacedClient`).

    httpx times each read and write apart; a server sending a byte a second never trips that.
    """

    def __init__(self) -> None:
        self.deadline: float | None = None
        self.seconds = 0.0

    def remaining(self, timeout: float | None, error: type[Exception]) -> float | None:
        if self.deadline is None:
            return timeout
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise error(f"the answer took longer than {self.seconds:g} s")
        return left if timeout is None else min(timeout, left)

    def say_if_expired(self, error: type[Exception]) -> None:
        """A socket timeout that ends at the deadline is the deadline's: the message says so."""
        if self.deadline is not None and time.monotonic() > self.deadline - 0.05:
            raise error(f"the answer took longer than {self.seconds:g} s")

    def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        return _DeadlineStream(super().connect_tcp(*args, **kwargs), self)


def _read_capped(chunks: Iterable[bytes], encoding: str) -> bytes:
    """The body from its raw chunks, decompressed, or :class:`AnswerTooLarge` past :data:`MAX_ANSWER_BYTES`.

    Decompressed here, a bounded piece at a time: httpx would inflate a whole chunk at once.
    """
    wbits = _ENCODINGS.get(encoding.strip().lower(), -1)
    if wbits == -1:
        raise UnusableAnswer(f"an answer in an encoding not asked for ({printable(encoding)[:40]})")
    inflate = zlib.decompressobj(wbits) if wbits is not None else None
    body = bytearray()
    for chunk in chunks:
        data = chunk
        while True:
            if inflate is None:
                piece, data = data, b""
            else:
                try:
                    piece = inflate.decompress(data, _PIECE)
                except zlib.error:
                    raise UnusableAnswer("broken compression") from None
                data = inflate.unconsumed_tail
            body += piece
            if len(body) > MAX_ANSWER_BYTES:
                raise AnswerTooLarge
            # A full piece may leave output inside zlib even when all input is taken: ask again.
            if not data and (inflate is None or len(piece) < _PIECE):
                break
    if inflate is not None:
        body += inflate.flush()
        if len(body) > MAX_ANSWER_BYTES:
            raise AnswerTooLarge
    return bytes(body)


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
                return printable(" ".join(data[name].split())[:200])
    return printable(response.reason_phrase or "error")


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
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.service = service
        self.pacer = Pacer(interval)
        self.tries = max(1, tries)
        self.backoff = interval if backoff is None else backoff
        self.max_retry_wait = max_retry_wait
        self.requests = 0
        self._deadline = _DeadlineBackend()
        self._deadline.seconds = timeout
        self._client = httpx.Client(
            headers={"User-Agent": USER_AGENT, "Accept-Encoding": "gzip, deflate"},
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            transport=transport,
        )
        # httpx has no total timeout: its connection pools (the direct one, and any proxy's from
        # the environment) are given the deadline backend, the one hook httpcore offers.
        for transport in (self._client._transport, *self._client._mounts.values()):
            pool = getattr(transport, "_pool", None)
            if isinstance(pool, httpcore.ConnectionPool):
                pool._network_backend = self._deadline

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
                response = self._send(method, url, params=params, json=json_body, headers=headers)
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                raise ApiError(self.service, shown, f"cannot connect: {_reason(exc)}") from None
            except httpx.LocalProtocolError:
                # Its message quotes the offending header, which may be the API key.
                raise ApiError(self.service, shown, "the request could not be sent (bad header)") from None
            except AnswerTooLarge:
                limit = f"{MAX_ANSWER_BYTES // 2**20} MiB"
                raise ApiError(self.service, shown, f"refused an answer larger than {limit}") from None
            except _TRANSIENT as exc:
                problem = f"no complete answer ({_reason(exc)})"
                retry_after = None
            except UnusableAnswer as exc:
                problem = f"unusable answer: {exc}"
                retry_after = None
            else:
                status = response.status_code
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                if response.is_redirect:
                    where = printable(response.headers.get("Location", ""))[:200]
                    problem = f"redirects to {where!r}, which is not followed"
                    raise ApiError(self.service, shown, problem, status)
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
            log.info("%s: %s; retrying in %.1f s", self.service, printable(problem), wait)
        raise ApiError(self.service, shown, f"{problem} (gave up after {self.tries} tries)", status)

    def _send(self, method: str, url: str, **arguments: Any) -> httpx.Response:
        """One exchange within the deadline, the body read under the byte cap."""
        self._deadline.deadline = time.monotonic() + self._deadline.seconds
        try:
            with self._client.stream(method, url, **arguments) as streamed:
                body = _read_capped(streamed.iter_raw(), streamed.headers.get("Content-Encoding", ""))
        finally:
            self._deadline.deadline = None
        # The body is already decompressed: the parser gets a response without the encoding headers.
        kept = [
            (name, value)
            for name, value in streamed.headers.multi_items()
            if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(streamed.status_code, headers=kept, content=body, request=streamed.request)


def _reason(exc: Exception) -> str:
    """An httpx exception as a short reason; httpx messages carry no headers, only the failure."""
    text = printable(" ".join(str(exc).split()))
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
