"""The in-process upstreams a synthetic corpus is recorded from: one fresh set of fakes per recording.

Why fresh per recording: the fakes count requests (the Hub's ``X-Request-Id: fakehub-00000001``, a provider's
scripted faults by request number), so fakes shared between recordings would make a cassette's bytes depend on
which recordings ran before it, and ``--only huggingface/quirks`` would not reproduce the file a full run wrote.

Every fake answers at its *canonical* host (``huggingface.co``, ``openrouter.ai``, ...,
:data:`~catalog_guard.gateways.GATEWAY_HOST`), so a synthetic cassette replays for code calling the real
hosts. Tests swap one upstream (a Hub with one model changed, a provider that fails) through the factories, and
``tests/test_fake_fidelity.py`` uses the same sets to hold the fakes to the recordings.

:func:`recorded_upstreams` builds the same fakes over what a corpus *recorded* instead of over the universe (the
Hub over the cursor walk's models, each provider over its recorded rows). Against a live cassette that is the
fair comparison: the fake's behaviour (status, headers, envelope, paging) with the real catalog's ids, not the
synthetic universe's invented ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager

from catalog_guard import corpus, gallery
from catalog_guard import universe as universe_module
from catalog_guard.corpus import CURRENT, GATEWAY, Recording
from catalog_guard.fakes.gateway import fake_gateway
from catalog_guard.fakes.hub import FakeHub
from catalog_guard.fakes.providers import fake_providers, make_fake
from catalog_guard.fakes.transport import FakeInternet, Handler
from catalog_guard.gateways import GATEWAY_HOST, HUB_HOST, HUGGINGFACE
from catalog_guard.history import HISTORY
from catalog_guard.netguard import loopback_only
from catalog_guard.providers import GATEWAY_SPECS
from catalog_guard.records import ModelRecord

Factory = Callable[[], Handler]


class FakeUpstreams:
    """Builds the fake serving a recording: the universe's Hub, ``day``'s provider fakes, the correct gateway,
    and each historical deployment of :data:`catalog_guard.history.HISTORY`.

    ``hub``, ``providers`` (by gateway name) and ``gateway`` (the current state only) replace the defaults; each
    is a factory called once per recording.
    """

    def __init__(
        self,
        universe: universe_module.Universe | None = None,
        day: str = universe_module.DAY_1,
        *,
        hub: Factory | None = None,
        providers: Mapping[str, Factory] | None = None,
        gateway: Factory | None = None,
    ) -> None:
        self.universe = universe if universe is not None else universe_module.build()
        self.day = day
        self._hub = hub
        self._providers = dict(providers or {})
        self._gateway = gateway

    def hub(self) -> Handler:
        return self._hub() if self._hub is not None else FakeHub.from_universe(self.universe)

    def provider(self, name: str) -> Handler:
        if name in self._providers:
            return self._providers[name]()
        return fake_providers(self.universe, self.day)[GATEWAY_SPECS[name].host]

    def gateway(self, state: str = CURRENT) -> Handler:
        if state == CURRENT:
            return self._gateway() if self._gateway is not None else fake_gateway()
        return gallery.historical_gateway(HISTORY[state])

    def handlers(self, recording: Recording) -> dict[str, Handler]:
        """The fake(s) ``recording`` talks to, keyed by canonical host."""
        if recording.upstream == HUGGINGFACE:
            return {HUB_HOST: self.hub()}
        if recording.upstream == GATEWAY:
            return {GATEWAY_HOST: self.gateway(recording.state or CURRENT)}
        return {GATEWAY_SPECS[recording.upstream].host: self.provider(recording.upstream)}

    def internet(self, recording: Recording) -> FakeInternet:
        return FakeInternet(self.handlers(recording))

    def every_upstream(self) -> FakeInternet:
        """The Hub and every provider at their canonical hosts: what a gateway under test fetches from."""
        handlers = {HUB_HOST: self.hub()}
        handlers.update({spec.host: self.provider(name) for name, spec in GATEWAY_SPECS.items()})
        return FakeInternet(handlers)


def recorded_offers(records: Iterable[ModelRecord]) -> list[universe_module.Offer]:
    """Offers that render, in the provider's own shape, to the recorded rows' ids (in order, duplicates
    included), names, context lengths, Hugging Face ids and ``created`` times. The rest of a row (prices, flags)
    is the fake's own invention, as for the universe's offers."""
    offers = []
    for record in records:
        created = record.raw.get("created")
        offers.append(
            universe_module.Offer(
                id=record.id,
                name=record.name or record.id,
                context_length=record.context_length,
                hugging_face_id=record.hugging_face_id,
                created=created if isinstance(created, int) and not isinstance(created, bool) else 0,
            )
        )
    return offers


def recorded_upstreams(cassettes_dir: str | os.PathLike[str] | None = None) -> FakeUpstreams:
    """Fakes over what ``cassettes_dir`` recorded: the Hub over ``huggingface/cursor``'s models
    (:func:`catalog_guard.corpus.recorded_hub_models`), each provider over its ``providers/<name>`` rows. Each
    is replayed lazily, when its fake is first built; an incomplete recording raises
    :class:`~catalog_guard.errors.IncompleteCatalogError` naming the cassette. The gateway stays the reference
    fake: a live ``gateway/current`` is the gateway under test, not an upstream to imitate."""

    def hub() -> Handler:
        return FakeHub(corpus.recorded_hub_models(cassettes_dir=cassettes_dir))

    def provider(name: str) -> Factory:
        def build() -> Handler:
            return make_fake(name, recorded_offers(corpus.recorded_records(name, cassettes_dir=cassettes_dir)))

        return build

    return FakeUpstreams(hub=hub, providers={name: provider(name) for name in GATEWAY_SPECS})


@contextmanager
def serve_upstreams(
    upstreams: FakeUpstreams | None = None, *, cassettes_dir: str | os.PathLike[str] | None = None
) -> Iterator[FakeInternet]:
    """Within the block, the app under test's calls to huggingface.co and every provider are answered by the
    fakes, whatever HTTP client it uses (:mod:`catalog_guard.fakes.interception`), and any other connection
    beyond loopback is refused. ``upstreams`` defaults to :func:`recorded_upstreams` (the recorded corpus, or
    ``cassettes_dir``'s); pass ``FakeUpstreams()`` for the synthetic universe, or one with a factory swapped to
    serve a scenario (a Hub that answers 503). The yielded :class:`FakeInternet` holds every exchange."""
    internet = (upstreams or recorded_upstreams(cassettes_dir)).every_upstream()
    with internet.install(), loopback_only():
        yield internet
