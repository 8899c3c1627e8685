"""Serve fake upstreams to code under test, either as an httpx transport or installed under its own clients.

Real gateway code calls module-level ``httpx.get(...)``, builds its own clients, or uses ``requests``,
``aiohttp``, ``httpx2`` or huggingface_hub, so handing it a transport is not always possible.
:meth:`FakeInternet.install` therefore answers, for the duration of a ``with`` block, every request of every
client :mod:`catalog_guard.fakes.interception` (vcrpy's patches) covers, and a host no fake serves fails like
an unreachable one (no socket is ever opened).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx

from catalog_guard.fakes.interception import Exchange, intercept

Handler = Callable[[httpx.Request], httpx.Response]


class FakeInternet:
    """Routes each request to the fake that serves its host, and remembers every request it saw."""

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = dict(handlers or {})
        self._lock = threading.Lock()
        self.requests: list[httpx.Request] = []
        self.exchanges: list[Exchange] = []  # every answered request with its response, in order

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
        response.read()
        with self._lock:
            self.exchanges.append(Exchange(request, response))
        return response

    def route(self, host: str) -> Handler | None:
        """The handler serving ``host`` (``None``: unserved)."""
        return self._handlers.get(host)

    def _seen(self, exchange: Exchange) -> None:
        with self._lock:
            self.requests.append(exchange.request)
            self.exchanges.append(exchange)

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
        """Answer every request made inside the block by httpx, httpx2, requests, urllib3, aiohttp or
        ``urllib.request``, including module-level ``httpx.get`` and clients built before the block."""
        with intercept(self.route, self._seen):
            yield self
