"""Where a gateway under test lives: a URL, an in-process ASGI app, or an httpx handler.

The checks are synchronous (a walk is a sequence of dependent requests), while backends are mostly ASGI apps.
:class:`SyncASGITransport` runs the app on one event loop in a background thread (anyio's blocking portal), so
an app whose state is bound to its loop (database pools, caches) sees one loop for the whole observation,
with its lifespan started and stopped around it.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
from anyio.from_thread import BlockingPortal, start_blocking_portal

from catalog_guard.bounded import BoundedTransport, network_transport
from catalog_guard.limits import Limits, Meter

ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Any]], Callable[[Any], Awaitable[None]]], Awaitable[None]
]
Handler = Callable[[httpx.Request], httpx.Response]
URL_ENV = "CATALOG_GUARD_GATEWAY_URL"  # where the base URL of the gateway under test is read from
TOKEN_ENV = "CATALOG_GUARD_GATEWAY_TOKEN"  # where a gateway's API key is read from (never printed or stored)


class SyncASGITransport(httpx.BaseTransport):
    """httpx's ``ASGITransport`` for a synchronous client."""

    def __init__(self, app: ASGIApp, portal: BlockingPortal) -> None:
        self._transport = httpx.ASGITransport(app=app)
        self._portal = portal

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def send() -> httpx.Response:
            body = request.read()
            async_request = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self._transport.handle_async_request(async_request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content, request=request)

        return self._portal.call(send)


class LifespanError(RuntimeError):
    """The app under test did not start: its lifespan startup failed. The message carries the app's traceback."""


@contextmanager
def _lifespan(app: ASGIApp, portal: BlockingPortal) -> Iterator[None]:
    """Run the app's ASGI lifespan (startup before, shutdown after) when it speaks the protocol. A failed startup
    raises :class:`LifespanError` with what the app said: Starlette sends its traceback as the ``message`` of
    ``lifespan.startup.failed``; an app that raises instead gets its exception's traceback quoted."""
    import anyio

    send_to_app, app_receives = anyio.create_memory_object_stream[dict[str, Any]](4)
    app_sends, receive_from_app = anyio.create_memory_object_stream[dict[str, Any]](4)
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    received: list[str] = []

    async def receive() -> dict[str, Any]:
        message = await app_receives.receive()
        received.append(str(message.get("type")))
        return message

    async def run_app() -> None:
        try:
            await app(scope, receive, app_sends.send)
        except Exception as error:
            if not received:  # an app without lifespan support may raise on the unknown scope type
                await app_sends.send({"type": "lifespan.unsupported"})
            else:  # it took the startup message, then raised: that is a failed startup
                trace = "".join(traceback.format_exception(error))
                with contextlib.suppress(anyio.BrokenResourceError, anyio.ClosedResourceError):
                    app_sends.send_nowait({"type": "lifespan.startup.failed", "message": trace})

    async def exchange(message: str) -> dict[str, Any]:
        await send_to_app.send({"type": message})
        return await receive_from_app.receive()

    future = portal.start_task_soon(run_app)
    reply = portal.call(exchange, "lifespan.startup")
    started = str(reply.get("type"))
    try:
        if started.endswith("failed"):
            said = str(reply.get("message") or "").rstrip()
            raise LifespanError(
                "the ASGI app's lifespan startup failed, so nothing could be observed"
                + (f"; the app said:\n{said}" if said else " (the app sent no message)")
            )
        yield
    finally:
        if not started.endswith(("unsupported", "failed")):
            portal.call(exchange, "lifespan.shutdown")
        future.cancel()


def gateway_url(value: str | None, source: str) -> str | None:
    """A gateway base URL as given by ``source`` (a flag or a variable), checked: ``None`` when it was not given
    at all. Given but empty (an unset CI variable) or unusable is a ``ValueError``: falling back to anything
    else would pass a gate that checked nothing."""
    if value is None:
        return None
    if not value.strip():
        raise ValueError(f"{source} is set but empty: no gateway to check (unset it to mean none)")
    try:
        url = httpx.URL(value.strip())
    except httpx.InvalidURL as error:
        raise ValueError(f"{source} is not a URL ({error}): {value!r}") from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"{source} must be an http:// or https:// URL with a host, got {value!r}")
    return str(url).rstrip("/")


@dataclass(frozen=True)
class GatewayTarget:
    """A gateway to observe. Exactly one of ``app``/``handler`` may be set; with neither, ``base_url`` is
    reached over the network. ``token`` is sent as a bearer token and never printed or stored."""

    base_url: str = "http://gateway.catalog-guard.test"
    app: ASGIApp | None = None
    handler: Handler | None = None
    token: str | None = field(default=None, repr=False)
    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], float] | None = None  # what latency is read on; None: time.perf_counter

    def timer(self) -> Callable[[], float]:
        """The clock each request's latency is measured on: real time, unless a fake brought its own
        (:class:`~catalog_guard.fakes.clock.SimulatedClock`: a slow gallery mode that does not sleep)."""
        import time

        return self.clock or time.perf_counter

    @property
    def in_process(self) -> bool:
        """An app or handler in this process: nothing to wait for between retries."""
        return self.app is not None or self.handler is not None

    def sleep(self) -> Callable[[float], object]:
        """Real waits for a remote gateway; none for an in-process one (tests never sleep)."""
        import time

        return (lambda _seconds: None) if self.in_process else time.sleep

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"} if self.token else {}

    def meter(self) -> Meter:
        """A fresh account of one run against this target's :attr:`limits`."""
        return Meter(self.limits)

    def client(self, meter: Meter | None = None) -> AbstractContextManager[httpx.Client]:
        """A client whose every request keeps to ``meter`` (a fresh one by default): deadlines, size cap and
        request budget apply to in-process targets too, so a test sees what a live run would."""
        return self._client(meter or self.meter())

    @contextmanager
    def _client(self, meter: Meter) -> Iterator[httpx.Client]:
        if self.app is not None and self.handler is not None:
            raise ValueError("give GatewayTarget an app or a handler, not both")
        with ExitStack() as stack:
            inner: httpx.BaseTransport
            if self.handler is not None:
                inner = httpx.MockTransport(self.handler)
            elif self.app is not None:
                portal = stack.enter_context(start_blocking_portal())
                stack.enter_context(_lifespan(self.app, portal))
                inner = SyncASGITransport(self.app, portal)
            else:
                inner = network_transport()
            # the per-request timeouts are set by BoundedTransport from the limits; this is only their ceiling
            timeout = httpx.Timeout(self.limits.timeout, connect=self.limits.connect_timeout)
            yield stack.enter_context(httpx.Client(transport=BoundedTransport(inner, meter), timeout=timeout))
