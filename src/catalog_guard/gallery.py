"""The regression gallery: the reference gateway, and one switchable mode per known regression.

Endpoint regressions G1-G13 (and U1-U11, the "unlisted" ones no contract row names) are modes of
:class:`~catalog_guard.fakes.gateway.FakeGateway`. Fetcher regressions F1-F10 are *states*: the gateway's catalog
is whatever the buggy fetcher of :mod:`catalog_guard.regressions` fetched from the fake Hub or a fake provider,
exactly as a backend built on that fetcher would have listed it. Each mode names the check that must catch it
(and, for a mode whose cause lies elsewhere, the check that must *not* fail); ``catalog-guard gallery`` and the
meta-tests hold every mode to that, and the correct gateway to zero violations.

The seed days' historical deployments (:data:`catalog_guard.history.HISTORY`) are rebuilt here as gateways too
(:func:`historical_gateway`), recorded into ``cassettes/gateway/history/``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from catalog_guard import gateways, regressions
from catalog_guard import universe as universe_module
from catalog_guard.fakes.clock import SimulatedClock
from catalog_guard.fakes.gateway import (
    FakeGateway,
    GatewayState,
    Regression,
    current_state,
    render_hub_models,
    render_offer,
)
from catalog_guard.fakes.hub import FakeHub, HubFault
from catalog_guard.fakes.providers import make_fake
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.gateways import GATEWAY_URL, HUGGINGFACE
from catalog_guard.history import HistoricalState
from catalog_guard.providers import SPECS
from catalog_guard.target import GatewayTarget

CORRECT = "correct"
F9_REQUESTS = 20  # the history's loop ran 200; 20 show the same multiplication in a fraction of the time


@dataclass(frozen=True)
class Mode:
    """One gallery mode: what broke, where it was seen, and the check that must catch it."""

    name: str
    title: str
    source: str
    expected: tuple[str, ...]
    build: Callable[[], FakeGateway] = field(repr=False, compare=False)
    spared: tuple[str, ...] = ()  # checks that must NOT fail: the mode's cause lies elsewhere (root cause)

    def target(self) -> GatewayTarget:
        """The mode's gateway as a target, read on the gateway's simulated clock when it has one (U10)."""
        gateway = self.build()
        clock = gateway.clock.now if gateway.clock is not None else None
        return GatewayTarget(base_url=GATEWAY_URL, handler=gateway, clock=clock)


def _hub_fetch(fetch: Callable[[], list[dict[str, Any]]], hub: FakeHub) -> list[dict[str, Any]]:
    with FakeInternet({gateways.HUB_HOST: hub}).install():
        return fetch()


@functools.cache
def hub_listing(code: str) -> tuple[dict[str, Any], ...]:
    """What the gateway's Hub fetcher ``code`` (F1-F8) returned from the fake Hub over the universe."""
    world = universe_module.build()
    hub = FakeHub.from_universe(world, with_drift=code == "F3")
    if code == "F7":
        hub.inject(HubFault.server_error(503))
    if code == "F8":
        hub.inject(HubFault.server_error(503), at=2)
    fetchers: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "F1": regressions.f1_offset_paging_without_dedup,
        "F2": regressions.f2_dedup_and_stop_after_duplicate_batches,
        "F3": regressions.f3_stop_on_short_batch,
        "F4": regressions.f4_one_request,
        "F5": regressions.f5_sort_union,
        "F6": regressions.f6_invalid_sort_swallowed,
        "F7": regressions.f7_error_becomes_fallback,
        "F8": lambda: regressions.f8_follows_link_but_retries_only_429(lambda _seconds: None),
    }
    return tuple(_hub_fetch(fetchers[code], hub))


@functools.cache
def _state_with_hub(code: str, day: str = universe_module.DAY_1, name: str | None = None) -> GatewayState:
    """Rendered once per process: a state is immutable, and the gateways over it share what they derive from it.
    On the current day it is the current state with another Hub catalog, sharing the providers' rows."""
    if day == universe_module.DAY_1:
        return current_state().with_catalog(HUGGINGFACE, render_hub_models(hub_listing(code)), name=name or code)
    return GatewayState.from_universe(universe_module.build(), day, hub_listing(code), name=name or code)


@functools.cache
def _f9_featherless() -> tuple[dict[str, Any], ...]:
    offers = universe_module.build().catalogs[universe_module.DAY_1]["featherless"]
    spec = SPECS["featherless"]
    with FakeInternet({spec.host: make_fake("featherless", offers)}).install():
        rows = regressions.f9_offset_loop(spec.url, max_requests=F9_REQUESTS)
    # One row object per model, listed as often as the loop fetched it: rendered and encoded once.
    by_id = {offer.id: render_offer("featherless", offer) for offer in offers}
    return tuple(by_id[row["id"]] for row in rows)


@functools.cache
def _f10_google() -> tuple[dict[str, Any], ...]:
    offers = universe_module.build().catalogs[universe_module.DAY_1]["google"]
    spec = SPECS["google"]
    with FakeInternet({spec.host: make_fake("google", offers)}).install():
        names = regressions.f10_first_page_only(spec.url, key="gallery-key")
    by_id = {offer.id: offer for offer in offers}
    return tuple(render_offer("google", by_id[name]) for name in names)


def _endpoint(mode: Regression) -> Callable[[], FakeGateway]:
    return lambda: FakeGateway(current_state(), mode, clock=SimulatedClock())


@functools.cache
def _state_with_provider(code: str) -> GatewayState:
    """F9 and F10: the current state with the one provider catalog their fetcher got wrong, made once."""
    if code == "F9":
        return current_state().with_catalog("featherless", _f9_featherless())
    return current_state().with_catalog("google", _f10_google())


def _fetcher(code: str) -> Callable[[], FakeGateway]:
    if code in ("F9", "F10"):
        return lambda: FakeGateway(_state_with_provider(code))
    return lambda: FakeGateway(_state_with_hub(code))


_ENDPOINT_EXPECTED = {
    "G1": ("known-gateways",), "G2": ("no-duplicates", "bad-parameters"), "G3": ("coverage",),
    "G4": ("coverage",), "G5": ("coverage",), "G6": ("page-bounds",), "G7": ("all-completeness",),
    "G8": ("bad-parameters",), "G9": ("bad-parameters",), "G10": ("alias",),
    "G11": ("stable-bodies",), "G12": ("all-completeness",), "G13": ("routable",),
    "U1": ("id-hygiene",), "U2": ("id-hygiene",), "U3": ("id-hygiene",), "U4": ("phantom",),
    "U5": ("paging-ends",), "U6": ("paging-ends",), "U7": ("paging-ends",), "U8": ("provenance",),
    "U9": ("provenance",), "U10": ("latency",), "U11": ("no-duplicates", "offset-progression"),
}  # fmt: skip
_ENDPOINT_SPARED = {"U11": ("alias",)}  # the flag works; the unique_models walk is what broke
_ENDPOINT_SOURCE = {
    "G1": "seed 003", "G2": "seed 000", "G3": "seed 001", "G4": "seed 003", "G5": "seeds 002, 004",
    "G12": "frontend history", "G13": "seed 003",
    **{f"U{n}": "issue 11 (unlisted)" for n in range(1, 12)},
}  # fmt: skip
_FETCHER_MODES = {
    "F1": ("offset paging the Hub (offset is ignored): the first page 500 times", "seed 000", ("no-duplicates",)),
    "F2": ("dedup, then stop after 3 all-duplicate batches", "gateway history", ("coverage",)),
    "F3": ("stop when a batch is shorter than limit", "seed 001", ("coverage",)),
    "F4": ("one request of limit=1000, no next page", "seed 002", ("coverage",)),
    "F5": ("union of the first pages of sort=likes and sort=downloads", "seed 004", ("coverage",)),
    "F6": ("sort=trending answered 400; the error became no models", "gateway history", ("known-gateways",)),
    "F7": ("503 turned into a 10-model hard-coded fallback", "gateway history", ("count-floor", "coverage")),
    "F8": ("retried only 429: one transient 503 lost the later pages", "gateway history", ("coverage",)),
    "F9": ("the offset loop on Featherless, which ignores limit/offset", "gateway history", ("no-duplicates",)),
    "F10": ("Google's nextPageToken ignored: the first 50 models only", "gateway history", ("count-floor", "coverage")),
}


def _modes() -> dict[str, Mode]:
    modes = {CORRECT: Mode(CORRECT, "the reference gateway", "catalog-guard", (), lambda: FakeGateway(current_state()))}
    for regression in Regression:
        modes[regression.name] = Mode(
            regression.name,
            str(regression.value),
            _ENDPOINT_SOURCE.get(regression.name, "gateway history"),
            _ENDPOINT_EXPECTED[regression.name],
            _endpoint(regression),
            _ENDPOINT_SPARED.get(regression.name, ()),
        )
    for code, (title, source, expected) in _FETCHER_MODES.items():
        modes[code] = Mode(code, title, source, expected, _fetcher(code))
    return modes


MODES: dict[str, Mode] = _modes()


def mode_names() -> list[str]:
    return list(MODES)


def historical_gateway(state: HistoricalState) -> FakeGateway:
    """A deployment of :data:`catalog_guard.history.HISTORY` rebuilt: the catalog its fetcher listed on its day,
    served with the endpoint regressions it had."""
    catalog = _state_with_hub(state.fetcher, state.day, state.name)
    # Every historical backend accepted limit=50000: that is how the seed reports fetched each catalog.
    return FakeGateway(catalog, tuple(Regression[name] for name in state.regressions), max_limit=50_000)
