"""``catalog-guard serve``: the reference gateway over the recorded catalogs, as a real HTTP server.

The correct deployment serves exactly what the cassettes recorded upstream (the Hub's cursor walk and each
provider's list), so a live audit of it against that recorded truth (``--truth recorded``) must pass;
``--regression MODE`` swaps in any gallery mode, which is the easiest way to watch the gate fail.
"""

from __future__ import annotations

import functools
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from catalog_guard import corpus, gallery
from catalog_guard.corpus.replay import Version
from catalog_guard.fakes.gateway import FakeGateway, GatewayState, Regression, asgi_app, render_hub_model, render_offer
from catalog_guard.target import ASGIApp
from catalog_guard.universe import Offer

SNAPSHOT_TIME = "2025-10-17T00:00:00Z"


def recorded_state(cassettes_dir: str | os.PathLike[str] | None = None) -> GatewayState:
    """The gateway's catalogs rebuilt from the recorded upstream listings of ``cassettes_dir`` (default: the
    shipped corpus), kept while the corpus is unchanged (:meth:`~catalog_guard.corpus.Corpus.version`)."""
    recorded = corpus.open_corpus(cassettes_dir)
    return _recorded_state(recorded, recorded.version())


@functools.cache
def _recorded_state(recorded: corpus.Corpus, _version: Version) -> GatewayState:
    catalogs = {"huggingface": [render_hub_model(model) for model in recorded.hub_models()]}
    for name in corpus.provider_names():
        records = recorded.provider(name).records()
        offers = [Offer(r.id, r.name or r.id, r.context_length, r.hugging_face_id) for r in records]
        catalogs[name] = [render_offer(name, offer) for offer in offers]
    return GatewayState(catalogs, SNAPSHOT_TIME, "recorded")


def reference_gateway(regression: str | None = None) -> FakeGateway:
    """The recorded reference gateway, or a gallery mode (``G1``-``G13`` on the recorded catalogs, ``F1``-``F10``
    as the gallery builds them)."""
    if regression is None or regression == gallery.CORRECT:
        return FakeGateway(recorded_state())
    if regression in Regression.__members__:
        return FakeGateway(recorded_state(), Regression[regression])
    if regression in gallery.MODES:
        return gallery.MODES[regression].build()
    raise KeyError(f"unknown regression mode {regression!r}; one of {', '.join(gallery.MODES)}")


def reference_app(regression: str | None = None) -> ASGIApp:
    return asgi_app(reference_gateway(regression))


@contextmanager
def serving(make: Callable[[str], ASGIApp], *, host: str = "127.0.0.1", timeout: float = 5.0) -> Iterator[str]:
    """Serve ``make(base_url)`` with uvicorn in a background thread on a free loopback port; yield the base URL.

    ``make`` receives the URL before the app exists, for fakes that build absolute links (the Hub's ``Link``).
    The server is always stopped, also when the block raises. For tests and local tools: bind loopback only.
    """
    import uvicorn

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # Accepted sockets inherit it: without it every response waits ~40 ms for a delayed ACK (headers and body are
    # two writes), and a 200-request observation takes seconds instead of a fraction.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    listener.bind((host, 0))
    base_url = f"http://{host}:{listener.getsockname()[1]}"
    server = uvicorn.Server(uvicorn.Config(make(base_url), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("uvicorn stopped before it started")
            if time.monotonic() > deadline:
                raise TimeoutError(f"uvicorn did not start within {timeout} s")
            time.sleep(0.01)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout)
        listener.close()
