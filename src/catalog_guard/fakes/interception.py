"""The one seam between code under test and the fakes: vcrpy's patches, answered by handlers instead of a file.

Why vcrpy: it already patches, and keeps patching as the libraries move, every HTTP client a gateway is written
with: ``http.client`` (and so ``urllib.request``), ``urllib3`` and ``requests`` (huggingface_hub 0.x),
``aiohttp``, ``httpx`` and its fork ``httpx2`` (huggingface_hub 1.x/2.x, FastAPI's and the OpenAI SDK's
clients), plus boto3, httplib2 and tornado. Each of its stubs asks a *cassette* two questions:
``can_play_response_for(request)`` and ``play_response(request)``. ``HandlerCassette`` is a cassette with
no file: it answers from the fake handlers (``Callable[[httpx.Request], httpx.Response]``) and records every
exchange, so one class serves every client and no library is patched by catalog-guard itself.

What the seam does not see, and what happens then (docs/architecture.md, "Interception"):

- clients vcrpy does not patch (pycurl, niquests, curl_cffi, grpc, raw sockets, a subprocess running curl):
  their connection is refused by :func:`catalog_guard.netguard.loopback_only` before any lookup, and
  :func:`catalog_guard.netguard.client_behind` names the library from the stack so the message can say what to change;
- in-process transports (``MockTransport``, ``ASGITransport``, ``WSGITransport`` of httpx/httpx2) are left
  alone: they reach no network, and the gateway under test is itself called through one of them;
- a host no fake serves is refused with :class:`~catalog_guard.netguard.NetworkRefused` (loopback hosts pass
  through to the real connection, for tests with a server on 127.0.0.1);
- responses are whole bodies: a streamed response is read before the client sees it.
"""

from __future__ import annotations

import contextlib
import functools
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from catalog_guard.netguard import NetworkRefused, is_loopback

Handler = Callable[[httpx.Request], httpx.Response]


@dataclass(frozen=True)
class Exchange:
    """One request the seam answered and what the fake said (the evidence a diagnosis quotes)."""

    request: httpx.Request
    response: httpx.Response

    @property
    def url(self) -> str:
        return str(self.request.url)

    @property
    def status(self) -> int:
        return self.response.status_code

    def next_link(self) -> str | None:
        """The ``rel="next"`` URL of the response's ``Link`` header, if any."""
        link = self.response.links.get("next")
        return link.get("url") if link else None


@functools.cache
def _cassette_class() -> type[Any]:
    """:class:`HandlerCassette`, built on first use: importing vcrpy imports every client it patches (about a
    second), which a module merely importing catalog-guard must not pay."""
    from vcr.cassette import Cassette
    from vcr.request import Request as VcrRequest

    class HandlerCassette(Cassette):  # type: ignore[misc]
        """A vcrpy cassette that plays what ``route(host)`` answers; ``record`` sees every exchange."""

        def __init__(self, route: Callable[[str], Handler | None], record: Callable[[Exchange], None]) -> None:
            super().__init__(path="<catalog-guard fakes>", record_mode="none")
            self._route = route
            self._record = record
            self.custom_patches = _deferred_pool_patches()

        def can_play_response_for(self, request: VcrRequest) -> bool:
            host = request.host
            if self._route(host) is not None:
                return True
            if is_loopback(host):
                return False  # a real server on this machine: the real connection is used
            raise NetworkRefused(f"no fake serves {host} (catalog-guard never opens sockets to the internet)")

        @property
        def write_protected(self) -> bool:
            return False  # so that loopback requests pass through

        def append(self, request: VcrRequest, response: Any) -> None:
            return None  # nothing is ever written: there is no file

        def play_response(self, request: VcrRequest) -> dict[str, Any]:
            handler = self._route(request.host)
            if handler is None:  # pragma: no cover - can_play_response_for said yes
                raise NetworkRefused(f"no fake serves {request.host}")
            body = request.body or b""
            real = httpx.Request(request.method, request.uri, headers=list(request.headers.items()), content=body)
            response = handler(real)
            response.request = real
            content = response.read()
            self._record(Exchange(real, response))
            headers: dict[str, list[str]] = {}
            for name, value in response.headers.multi_items():
                if name.lower() in ("content-encoding", "content-length", "transfer-encoding"):
                    continue  # the body handed over is decoded and whole
                headers.setdefault(name, []).append(value)
            headers["Content-Length"] = [str(len(content))]
            return {
                "status": {"code": response.status_code, "message": response.reason_phrase},
                "headers": headers,
                "body": {"string": content},
            }

    return HandlerCassette


def _in_process_transports() -> set[Any]:
    found: set[Any] = set()
    for name in ("httpx", "httpx2"):
        module = sys.modules.get(name)
        if module is not None:
            found |= {module.MockTransport, module.ASGITransport, module.WSGITransport}
    return found


@contextlib.contextmanager
def intercept(route: Callable[[str], Handler | None], record: Callable[[Exchange], None]) -> Iterator[None]:
    """Within the block, every request of every client vcrpy patches is answered by ``route(host)``."""
    from vcr.patch import CassettePatcherBuilder

    cassette = _cassette_class()(route, record)
    skipped = _in_process_transports()
    with contextlib.ExitStack() as stack:
        for patcher in CassettePatcherBuilder(cassette).build():
            getter = getattr(patcher, "getter", None)  # unittest.mock's _patch: what it patches
            if getter is not None and getter() in skipped:
                continue
            stack.enter_context(patcher)
        yield


# --- cheap transports ---------------------------------------------------------------------------------------------


class _DeferredPool:
    """Stands in for httpcore's connection pool until something needs the real one. Building a network transport
    loads certifi's bundle into an SSL context (about 150 ms); a fetcher calling module-level ``httpx.get`` 500
    times would spend minutes on pools the fakes never use. A request that passes through (loopback) builds it."""

    def __init__(self, build: Callable[[], Any]) -> None:
        self._build = build
        self._real: Any = None
        self._lock = threading.Lock()

    def _pool(self) -> Any:
        with self._lock:
            if self._real is None:
                self._real = self._build()
            return self._real

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool(), name)

    def close(self) -> None:
        if self._real is not None:
            self._real.close()

    async def aclose(self) -> None:
        if self._real is not None:
            await self._real.aclose()

    def __enter__(self) -> _DeferredPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> _DeferredPool:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


def _deferred_init(original: Callable[..., None]) -> Callable[..., None]:
    def init(transport: Any, *args: Any, **kwargs: Any) -> None:
        def build() -> Any:
            cls: Any = type(transport)
            fresh = cls.__new__(cls)
            original(fresh, *args, **kwargs)
            return fresh._pool

        transport._pool = _DeferredPool(build)

    return init


def _deferred_pool_patches() -> list[tuple[Any, str, Any]]:
    patches: list[tuple[Any, str, Any]] = []
    for name in ("httpx", "httpx2"):
        module = sys.modules.get(name)
        if module is None:
            continue
        for cls in (module.HTTPTransport, module.AsyncHTTPTransport):
            patches.append((cls, "__init__", _deferred_init(cls.__init__)))
    return patches


def unseen_client_advice(host: str, client: str | None) -> str:
    """What reached for a socket around the seam, and what to change (a connection refused by the netguard)."""
    who = f"through {client}, which catalog-guard cannot intercept" if client else "outside the HTTP clients"
    return (
        f"the fetcher opened its own connection to {host} {who}, so it cannot be judged against the recorded Hub "
        "(and would reach the live service; the connection was refused before any lookup). Make the request with "
        "httpx, httpx2, requests, urllib3, aiohttp or urllib.request (what catalog-guard intercepts), or give the "
        "fetcher an injectable client and pass one built on FakeInternet.transport()"
    )
