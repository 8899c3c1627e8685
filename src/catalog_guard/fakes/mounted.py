"""Several fakes behind one loopback server, each under its own path prefix (``/huggingface``, ``/groq``, ...).

Why: a live-truth audit reaches the gateway *and* thirteen upstreams over real sockets, each at a base URL that
``--base-url NAME=URL`` can move. Thirteen servers would cost thirteen uvicorn threads per test; one server that
routes ``/<name>/...`` to fake ``name`` with the prefix stripped serves them all, and each fake sees the request
it would see at its own host. The Hub's ``Link`` header is absolute, so the fake Hub is told its prefixed base.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from catalog_guard import universe as universe_module
from catalog_guard.fakes.hub import FakeHub, HubSettings
from catalog_guard.fakes.providers import fake_providers
from catalog_guard.fakes.transport import Handler
from catalog_guard.gateways import HUGGINGFACE
from catalog_guard.providers import GATEWAY_SPECS


def mounted(handlers: Mapping[str, Handler]) -> Handler:
    """A handler that answers ``/<name>/<path>`` with ``handlers[name]`` asked for ``/<path>``; 404 otherwise."""

    def handle(request: httpx.Request) -> httpx.Response:
        name, _, rest = request.url.path.lstrip("/").partition("/")
        handler = handlers.get(name)
        if handler is None:
            return httpx.Response(404, json={"error": f"nothing mounted at /{name}"})
        inner = httpx.Request(
            request.method, request.url.copy_with(path=f"/{rest}"), headers=request.headers, content=request.content
        )
        response = handler(inner)
        response.request = request
        return response

    return handle


def base_urls(base_url: str, names: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Where each mounted fake is, for ``--base-url NAME=URL``."""
    return {name: f"{base_url.rstrip('/')}/{name}" for name in names}


def upstream_fakes(
    base_url: str, universe: universe_module.Universe, day: str = universe_module.DAY_1
) -> dict[str, Handler]:
    """The universe's Hub and ``day``'s providers, keyed by upstream name, for :func:`mounted` at ``base_url``."""
    hub = FakeHub.from_universe(universe, settings=HubSettings(base_url=f"{base_url.rstrip('/')}/{HUGGINGFACE}"))
    by_host = fake_providers(universe, day)
    return {HUGGINGFACE: hub, **{name: by_host[spec.host] for name, spec in GATEWAY_SPECS.items()}}
