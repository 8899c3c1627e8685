"""An httpx transport that holds every request to a :class:`~catalog_guard.limits.Meter`'s limits.

Why not httpx's own settings: ``httpx.Timeout`` bounds each *socket operation* (connect, one read, one write),
not a response. A server that sends one byte every two seconds never trips a 5 s read timeout and is never cut
off, and a body that never ends is read (and held) for ever; httpx has no total deadline and no size cap. So
this transport wraps the real one and:

- counts the request against the run (deadline, ``--max-requests``) before sending it;
- gives the connection and the response head at most what is left of the response's deadline
  (``min(now + timeout, the run's deadline)``), through the per-request ``timeout`` extension;
- reads the body itself, chunk by chunk, decoded, with the same deadline and the size cap checked after every
  chunk, so a dripping or endless body is cut off on time and never held past ``max_body``; a watchdog timer
  shuts the socket down at the deadline, so a body that stalls between chunks cannot outlive it by a read
  timeout either;
- turns what went wrong into the typed errors of :mod:`catalog_guard.errors` and tells the meter how each
  request went (a gateway that never answered, or that failed or throttled ``max_failures`` requests in a row,
  stops the run).

The response handed back carries the whole (decoded) body in memory, so the rest of catalog-guard reads it as
usual; its ``content-encoding`` header is dropped because the content is no longer encoded.
"""

from __future__ import annotations

import functools
import os
import socket
import ssl
import threading
from typing import Any

import httpx

from catalog_guard.errors import (
    CatalogGuardError,
    RateLimitedError,
    ResponseTimeout,
    ResponseTooLarge,
    TransportError,
)
from catalog_guard.limits import OPTIONS, Meter


class _Bounds:
    """What the sync and async transports share: the per-request deadline, the typed errors, the size cap.

    ``host_health``: whether how each request went tells the meter about the health of the one host under
    observation (a gateway that never answered, or failed ``max_failures`` times in a row, stops the run). The
    live truth's upstreams are fetched under the audit's own meter, so they share its deadline, request budget,
    waits and stop, but with ``host_health=False``: an upstream that fails is that upstream's result, and an
    upstream that answers must not make an unreachable gateway look alive.
    """

    def __init__(self, meter: Meter, host_health: bool = True) -> None:
        self.meter = meter
        self.host_health = host_health

    def answered(self) -> None:
        if self.host_health:
            self.meter.answered = True

    def failed(self, url: str, failure: CatalogGuardError) -> None:
        if self.host_health:
            self.meter.failed(url, failure)

    def start(self, request: httpx.Request) -> float:
        """Count the request against the run and give the socket operations what is left of its deadline."""
        meter = self.meter
        meter.before_request(str(request.url))
        ends = min(meter.clock() + meter.limits.timeout, meter.ends_at)
        left = max(ends - meter.clock(), 0.001)
        request.extensions["timeout"] = {
            "connect": min(meter.limits.connect_timeout, left),
            "read": left,
            "write": left,
            "pool": left,
        }
        return ends

    def no_response(self, url: str, ends: float, error: Exception) -> CatalogGuardError:
        """The typed error for a request that got no response (and tell the meter)."""
        if isinstance(error, httpx.TimeoutException | TimeoutError):
            failure: CatalogGuardError = self.late(url, ends, "no response")
        else:
            failure = TransportError(f"{type(error).__name__} for {url}: {error}", url=url)
        self.failed(url, failure)
        return failure

    def late(self, url: str, ends: float, what: str) -> CatalogGuardError:
        """The error for a response still unfinished at ``ends``: the run's deadline or the response's own."""
        if ends >= self.meter.ends_at - 1e-6:
            return self.meter.stop(self.meter.deadline_error(url))
        timeout = self.meter.limits.timeout
        return ResponseTimeout(
            f"{url}: {what} within {timeout:g} s (--timeout, for the whole response)",
            limit=OPTIONS["timeout"],
            url=url,
        )

    def check_declared(self, response: httpx.Response, url: str) -> None:
        cap = self.meter.limits.max_body
        declared = response.headers.get("content-length", "")
        if declared.isascii() and declared.isdigit() and len(declared) < 20 and int(declared) > cap:
            raise _too_large(url, cap, f"declares content-length {declared}")

    def add(self, body: bytearray, chunk: bytes, url: str, ends: float) -> None:
        body += chunk
        cap = self.meter.limits.max_body
        if len(body) > cap:
            raise _too_large(url, cap, f"sent more than {cap:,} bytes")
        if self.meter.clock() >= ends:
            raise self.late(url, ends, f"body unfinished ({len(body):,} bytes)")

    def body_failed(
        self, url: str, ends: float, body: bytearray, error: Exception, timed_out: bool
    ) -> CatalogGuardError:
        if timed_out or self.meter.clock() >= ends:
            return self.late(url, ends, f"body unfinished ({len(body):,} bytes)")
        return TransportError(
            f"{type(error).__name__} for {url} after {len(body):,} bytes of the body: {error}", url=url
        )

    def finish(self, response: httpx.Response, request: httpx.Request, content: bytes) -> httpx.Response:
        """The response as the client will see it: whole, decoded, and counted by the meter."""
        url = str(request.url)
        if response.status_code == 429:  # an answer, but not a usable one: a gateway throttling every retry
            self.failed(url, RateLimitedError(f"429 from {url}", url=url, status=429))
        elif self.host_health:
            self.meter.usable()
        # raw bytes: a header that is not ASCII (``Retry-After: ³``) must reach the checks, not crash a re-encoding
        headers = [(k, v) for k, v in response.headers.raw if k.lower() != b"content-encoding"]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=content,
            extensions={k: v for k, v in response.extensions.items() if k != "network_stream"},
            request=request,
        )


class BoundedTransport(httpx.BaseTransport):
    """Wraps ``inner`` (the network, an ASGI app or a mock) so that every request keeps to ``meter.limits``
    (``host_health``: see :class:`_Bounds`)."""

    def __init__(self, inner: httpx.BaseTransport, meter: Meter, *, host_health: bool = True) -> None:
        self._inner = inner
        self.meter = meter
        self._bounds = _Bounds(meter, host_health)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        ends = self._bounds.start(request)
        try:
            response = self._inner.handle_request(request)
        except httpx.TransportError as error:
            failure = self._bounds.no_response(url, ends, error)
            if isinstance(failure, TransportError):
                raise  # the walk retries httpx's own transport errors
            raise failure from error
        self._bounds.answered()
        try:
            content = self._read(response, url, ends)
        except CatalogGuardError as failure:
            self._bounds.failed(url, failure)
            raise
        finally:
            response.close()
        return self._bounds.finish(response, request, content)

    def _read(self, response: httpx.Response, url: str, ends: float) -> bytes:
        self._bounds.check_declared(response, url)
        body = bytearray()
        with _Watchdog(response, ends - self.meter.clock()) as watchdog:
            try:
                for chunk in response.iter_bytes():  # decoded: a gzip bomb counts by what it inflates to
                    self._bounds.add(body, chunk, url, ends)
            except httpx.HTTPError as error:
                raise self._bounds.body_failed(url, ends, body, error, watchdog.fired) from error
        return bytes(body)

    def close(self) -> None:
        self._inner.close()


class AsyncBoundedTransport(httpx.AsyncBaseTransport):
    """The async twin: the whole response runs under one ``anyio.fail_after``, so no watchdog is needed."""

    def __init__(self, inner: httpx.AsyncBaseTransport, meter: Meter, *, host_health: bool = True) -> None:
        self._inner = inner
        self.meter = meter
        self._bounds = _Bounds(meter, host_health)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        import anyio

        url = str(request.url)
        ends = self._bounds.start(request)
        body = bytearray()
        response: httpx.Response | None = None
        try:
            with anyio.fail_after(max(ends - self.meter.clock(), 0.0)):
                response = await self._inner.handle_async_request(request)
                self._bounds.answered()
                self._bounds.check_declared(response, url)
                async for chunk in response.aiter_bytes():
                    self._bounds.add(body, chunk, url, ends)
        except (httpx.TransportError, TimeoutError) as error:
            if response is None:
                failure = self._bounds.no_response(url, ends, error)
                if isinstance(failure, TransportError) and isinstance(error, httpx.TransportError):
                    raise
                raise failure from error
            failure = self._bounds.body_failed(url, ends, body, error, isinstance(error, TimeoutError))
            self._bounds.failed(url, failure)
            raise failure from error
        except CatalogGuardError as failure:
            self._bounds.failed(url, failure)
            raise
        finally:
            if response is not None:
                await response.aclose()
        return self._bounds.finish(response, request, bytes(body))

    async def aclose(self) -> None:
        await self._inner.aclose()


def _too_large(url: str, cap: int, what: str) -> ResponseTooLarge:
    return ResponseTooLarge(
        f"{url}: the response {what}; --max-body allows {cap:,} bytes (cut off, not read whole)",
        limit=OPTIONS["max_body"],
        url=url,
    )


class _Watchdog:
    """Shuts the response's socket down at the deadline, waking a read that is blocked on a stalled body."""

    def __init__(self, response: httpx.Response, seconds: float) -> None:
        stream: Any = response.extensions.get("network_stream")
        self._socket: socket.socket | None = stream.get_extra_info("socket") if stream is not None else None
        self._timer = threading.Timer(max(seconds, 0.0), self._fire) if self._socket is not None else None
        self.fired = False

    def _fire(self) -> None:
        self.fired = True
        try:
            assert self._socket is not None
            self._socket.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed: the read finished as the timer fired

    def __enter__(self) -> _Watchdog:
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._timer is not None:
            self._timer.cancel()


# ------------------------------------------------------------------------------------------------ the network


def network_transport() -> httpx.HTTPTransport:
    """The transport a bounded one wraps to reach a real host: httpx's default, on the process's shared
    :func:`tls_context`."""
    return httpx.HTTPTransport(verify=tls_context())


def async_network_transport() -> httpx.AsyncHTTPTransport:
    """:func:`network_transport` for the async clients."""
    return httpx.AsyncHTTPTransport(verify=tls_context())


def tls_context() -> ssl.SSLContext:
    """httpx's default verifying context (certifi's bundle, or ``$SSL_CERT_FILE`` / ``$SSL_CERT_DIR``), built once
    per process and setting: building one loads the CA bundle (tens of milliseconds), and a run makes a client per
    walk, per recording and per upstream of the live truth. A context is safe to share between clients and
    threads; httpcore sets the same ALPN protocols on it for every HTTP/1.1 connection."""
    return _tls_context(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.cache
def _tls_context(_cert_file: str | None, _cert_dir: str | None) -> ssl.SSLContext:
    """Keyed by the variables httpx reads, so a changed setting gets its own context."""
    return httpx.create_ssl_context()
