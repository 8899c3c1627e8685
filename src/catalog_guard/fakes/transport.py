"""Serve fake upstreams to httpx, either as a transport or installed under code that calls ``httpx.get``.

Real gateway code calls module-level ``httpx.get(...)`` and builds its own clients, so handing it a transport
is not always possible. :meth:`FakeInternet.install` therefore swaps the handler of httpx's own
``HTTPTransport``/``AsyncHTTPTransport`` for the duration of a ``with`` block: every client, module-level call
included, is answered by the fakes, and a host no fake serves fails like an unreachable one (no socket is
ever opened).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

Handler = Callable[[httpx.Request], httpx.Response]


class _NoPool:
    """Stands in for httpcore's connection pool while fakes answer: nothing to open, nothing to close."""

    def close(self) -> None:
        return None

    async def aclose(self) -> None:
        return None

    def __enter__(self) -> _NoPool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    async def __aenter__(self) -> _NoPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


def _light_init(transport: Any, *args: Any, **kwargs: Any) -> None:
    """A transport that will never open a socket needs no SSL context: building one per module-level
    ``httpx.get`` costs about 150 ms (certifi's bundle), which made a 500-request regression take minutes."""
    transport._pool = _NoPool()


class FakeInternet:
    """Routes each request to the fake that serves its host, and remembers every request it saw."""

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = dict(handlers or {})
        self._lock = threading.Lock()
        self.requests: list[httpx.Request] = []

    def add(self, host: str, handler: Handler) -> FakeInternet:
        self._handlers[host] = handler
        return self

    @property
    def hosts(self) -> list[str]:
        return sorted(self._handlers)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.requests.append(request)
        handler = self._handlers.get(request.url.host)
        if handler is None:
            raise httpx.ConnectError(
                f"no fake serves {request.url.host} (catalog-guard never opens sockets)", request=request
            )
        request.read()
        response = handler(request)
        response.request = request
        return response

    def requests_to(self, host: str, path: str | None = None) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.host == host and (path is None or r.url.path == path)]

    def transport(self) -> httpx.MockTransport:
        """A transport for ``httpx.Client(transport=...)`` and ``httpx.AsyncClient(transport=...)``."""
        return httpx.MockTransport(self.handle)

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(transport=self.transport(), **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=self.transport(), **kwargs)

    @contextmanager
    def install(self) -> Iterator[FakeInternet]:
        """Answer every httpx request made inside the block, including ``httpx.get`` at module level."""
        sync_original = httpx.HTTPTransport.handle_request
        async_original = httpx.AsyncHTTPTransport.handle_async_request
        inits = (httpx.HTTPTransport.__init__, httpx.AsyncHTTPTransport.__init__)
        internet = self

        def handle_request(transport: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
            return internet.handle(request)

        async def handle_async_request(transport: httpx.AsyncHTTPTransport, request: httpx.Request) -> httpx.Response:
            await request.aread()
            return internet.handle(request)

        httpx.HTTPTransport.handle_request = handle_request  # type: ignore[method-assign,assignment]
        httpx.AsyncHTTPTransport.handle_async_request = handle_async_request  # type: ignore[method-assign,assignment]
        httpx.HTTPTransport.__init__ = _light_init  # type: ignore[method-assign,assignment]
        httpx.AsyncHTTPTransport.__init__ = _light_init  # type: ignore[method-assign,assignment]
        try:
            yield self
        finally:
            httpx.HTTPTransport.handle_request = sync_original  # type: ignore[method-assign]
            httpx.AsyncHTTPTransport.handle_async_request = async_original  # type: ignore[method-assign]
            httpx.HTTPTransport.__init__, httpx.AsyncHTTPTransport.__init__ = inits  # type: ignore[method-assign]
