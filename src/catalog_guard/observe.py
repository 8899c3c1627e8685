"""Gather what the contract checks judge: one :class:`Observation` of a gateway's ``GET /v1/models``.

Observing and judging are separate on purpose. The same observation comes from a live backend, from the
reference server, or from a replayed cassette, and the same pure checks (:mod:`catalog_guard.checks`) judge it,
so no check is written twice and a cassette is a complete, reviewable record of everything that was judged.

What is observed, per the contract (docs/contract.md §1):

- an ``offset`` walk of every gateway at the page size under test (``limit=100``), every page kept;
- one large-``limit`` request per gateway (the single-request listing the walk must concatenate to);
- the aliases (``hug``) walked like their targets; ``gateway=all`` walked, plain and with ``unique_models``;
- the documented spelling of that flag, ``unique=true`` (a real gateway silently ignored it: G10), asked once,
  and the implemented one, ``unique_models=true``, asked the same way, so the two are compared like for like
  (a broken ``unique_models`` *walk* must not read as an ignored flag);
- probes with bad parameters (negative offset, limit 0 and above the maximum, an unknown gateway);
- probes at and past the end of the first gateway's listing (``offset = total``, ``offset > total``, the last row
  alone with ``limit=1``) and one past the largest ``limit`` (:meth:`ObservePlan.end_probes`);
- one request sent twice (bodies and ETags must not change);
- a chat completion for a listed model without a key (it must be routable: 401, not 404).
"""

from __future__ import annotations

import dataclasses
import json
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeGuard

import httpx

from catalog_guard import paging
from catalog_guard.chains import Chain, run_chains
from catalog_guard.errors import CatalogGuardError, LimitReached, RateLimitedError, RunStopped, TransportError
from catalog_guard.gateway_client import GatewayResponse, GatewayWalk, get_models, walk_gateway
from catalog_guard.gateways import ALIASES, ALL, HUGGINGFACE, KNOWN
from catalog_guard.limits import Meter
from catalog_guard.retry import RetryPolicy

if TYPE_CHECKING:
    from catalog_guard.target import GatewayTarget

UNKNOWN_GATEWAY = "no-such-gateway"


@dataclass(frozen=True)
class ObservePlan:
    """What to ask a gateway. The defaults are the contract; a team narrows ``gateways`` for a quick run."""

    gateways: tuple[str, ...] = KNOWN
    limit: int = 100
    large_limit: int = 1000
    max_limit: int = 1000
    aliases: Mapping[str, str] = field(default_factory=lambda: dict(ALIASES))
    include_all: bool = True
    include_unique: bool = True  # with include_all: also walk ``gateway=all`` with each of ``unique_params``
    unique_params: tuple[str, ...] = ("unique_models",)
    flag_aliases: Mapping[str, str] = field(default_factory=lambda: {"unique": "unique_models"})
    probe_parameters: bool = True
    probe_ends: bool = True  # offset at and past the end, the last row alone, limit one past the maximum
    probe_routing: bool = True
    walk_budget: int | None = None  # per walk; None: enough for 50,000 models at ``limit``, and at least 400

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= self.max_limit:
            raise ValueError(f"the page size (--limit) must be between 1 and {self.max_limit}, got {self.limit}")

    def budget(self) -> int:
        return self.walk_budget if self.walk_budget is not None else max(400, 50_000 // max(self.limit, 1) + 10)

    def probes(self) -> dict[str, dict[str, Any]]:
        """Requests a correct gateway must refuse with a 4xx and a message."""
        first = self.gateways[0] if self.gateways else HUGGINGFACE
        return {
            "negative-offset": {"gateway": first, "limit": self.limit, "offset": -5},
            "zero-limit": {"gateway": first, "limit": 0, "offset": 0},
            "limit-above-maximum": {"gateway": first, "limit": self.max_limit * 50, "offset": 0},
            "non-integer-limit": {"gateway": first, "limit": "ten", "offset": 0},
            "unknown-gateway": {"gateway": UNKNOWN_GATEWAY, "limit": self.limit, "offset": 0},
        }

    def end_probes(self, gateway: str, total: int) -> dict[str, dict[str, Any]]:
        """Requests at the ends of ``gateway``'s listing of ``total`` models, which a walk never sends: a client
        that pages until an empty page asks ``offset = total``; one that trusts ``has_more`` may ask past it."""
        probes: dict[str, dict[str, Any]] = {
            "offset-at-total": {"gateway": gateway, "limit": self.limit, "offset": total},
            "offset-past-total": {"gateway": gateway, "limit": self.limit, "offset": total + self.limit},
        }
        if total > 0:
            probes["last-row"] = {"gateway": gateway, "limit": 1, "offset": total - 1}
        probes["limit-one-past-maximum"] = {"gateway": gateway, "limit": self.max_limit + 1, "offset": 0}
        return probes


@dataclass(frozen=True)
class RouteProbe:
    """A chat completion for a listed model, sent without a key."""

    model: str
    status: int
    body: str


@dataclass
class Observation:
    """Everything observed of one gateway deployment."""

    base_url: str
    plan: ObservePlan
    walks: dict[str, GatewayWalk] = field(default_factory=dict)
    singles: dict[str, GatewayResponse] = field(default_factory=dict)
    aliases: dict[str, GatewayWalk] = field(default_factory=dict)
    all_walk: GatewayWalk | None = None
    unique_walks: dict[str, GatewayWalk] = field(default_factory=dict)
    flag_probes: dict[str, GatewayResponse] = field(default_factory=dict)
    unique_singles: dict[str, GatewayResponse] = field(default_factory=dict)  # ``param=true``, one large request
    probes: dict[str, GatewayResponse] = field(default_factory=dict)
    end_probes: dict[str, GatewayResponse] = field(default_factory=dict)
    repeats: list[tuple[GatewayResponse, GatewayResponse]] = field(default_factory=list)
    route: RouteProbe | None = None
    errors: dict[str, str] = field(default_factory=dict)
    stopped: CatalogGuardError | None = None  # the limit (or unreachable gateway) that stopped the observation

    def unanswered(self) -> list[tuple[str, CatalogGuardError]]:
        """Every request that got no usable answer, labelled (``walk groq``, ``probe zero-limit``): refused,
        reset, cut off by a limit, or not sent after the run stopped. Each is a finding on that request; any of
        them means the observation is incomplete and cannot be judged as a whole (exit 2)."""
        found: list[tuple[str, CatalogGuardError]] = []
        walks = self.every_walk()
        found += [(f"walk {name}", walk.error) for name, walk in walks.items() if _unanswered(walk.error)]
        responses = {
            **{f"single {k}": r for k, r in self.singles.items()},
            **{f"flag {k}": r for k, r in self.flag_probes.items()},
            **{f"probe {k}": r for k, r in self.probes.items()},
            **{f"repeat {i}": r for i, pair in enumerate(self.repeats) for r in pair},
        }
        found += [(label, r.error) for label, r in responses.items() if _unanswered(r.error)]
        found += [(f"{label} probe", TransportError(message)) for label, message in self.errors.items()]
        return found

    def every_walk(self, *, unique: bool = True) -> dict[str, GatewayWalk]:
        """Every walk observed, by name, in one order: each gateway's, each alias's, ``all``, then (with
        ``unique``) each ``all`` walk with a unique flag as ``all (<flag>)``. The one way to enumerate them."""
        walks = {**self.walks, **self.aliases}
        if self.all_walk is not None:
            walks[ALL] = self.all_walk
        if unique:
            walks.update({f"{ALL} ({param})": walk for param, walk in self.unique_walks.items()})
        return walks

    def listed(self, gateway: str) -> list[str]:
        walk = self.walks.get(gateway)
        return list(walk.ids) if walk else []

    def progression(self) -> dict[str, list[dict[str, Any]]]:
        """Per gateway walk: offset, page size and first/last id of each page (the snapshot shape)."""
        result: dict[str, list[dict[str, Any]]] = {}
        for name, walk in sorted(self.every_walk(unique=False).items()):
            rows = []
            for offset, page in zip(walk.offsets(), walk.pages, strict=True):
                ids = [item.get("id") for item in page.items]
                rows.append(
                    {
                        "offset": offset,
                        "returned": len(ids),
                        "first": ids[0] if ids else None,
                        "last": ids[-1] if ids else None,
                    }
                )
            result[name] = rows
        return result


Progress = Callable[[str], None]


def observe(
    client: httpx.Client,
    base_url: str,
    plan: ObservePlan | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    progress: Progress | None = None,
    sleep: paging.Sleep | None = None,
    clock: paging.Clock = time.perf_counter,
    concurrency: int = 1,
    meter: Meter | None = None,
) -> Observation:
    """Ask ``base_url`` everything the contract checks need. Never raises for a misbehaving gateway: what it
    did is the observation, and a request that got no answer is a finding on that request
    (:meth:`Observation.unanswered`). ``meter`` (the one ``client``'s transport reports to, see
    :func:`observe_target`) also charges the waits between retries to the run's limits and records in
    ``stopped`` the limit that ended the run early.

    ``concurrency`` is how many independent chains of requests (a walk, a probe) run at once
    (:func:`catalog_guard.chains.run_chains`); each walk stays page after page, and the observation is the same
    whatever order the responses arrive in. 1, the default, is the sequential order. The repeated request comes
    after the first gateway's walk (last of all sequentially; concurrently, in that walk's own chain, with the end
    probes): it asks exactly what the walk's first page asked, and a replayed cassette must hand each its own
    recorded answer. The routing probe goes last, after every walk.
    """
    plan = plan or ObservePlan()
    seen = Observation(base_url=base_url, plan=plan)
    if meter is not None:
        sleep = meter.sleeper(sleep or time.sleep)
    # A gateway is ours to judge, not to nurse: two retries, then its 5xx is part of the observation.
    settings = paging.WalkSettings(budget=plan.budget(), retry=RetryPolicy(max_retries=2))
    if meter is not None:  # the meter's --max-wait is then the one cap on a single wait
        settings = dataclasses.replace(settings, give_up_after=math.inf)
    note = progress or (lambda _step: None)
    wait = sleep if sleep is not None else time.sleep
    walks: dict[tuple[str, str], GatewayWalk] = {}
    responses: dict[tuple[str, str], GatewayResponse] = {}

    def walk(slot: tuple[str, str], gateway: str, extra: Mapping[str, Any] | None = None) -> Chain:
        def chain() -> None:
            note(f"walk {gateway}")
            walks[slot] = walk_gateway(
                client,
                base_url,
                gateway,
                limit=plan.limit,
                headers=headers,
                settings=settings,
                extra_params=extra,
                sleep=wait,
                clock=clock,
            )

        return chain

    def ask(slot: tuple[str, str], label: str, params: Mapping[str, Any]) -> Chain:
        def chain() -> None:
            note(label)
            responses[slot] = get_models(client, base_url, params, headers=headers, clock=clock)

        return chain

    first = plan.gateways[0] if plan.gateways else HUGGINGFACE

    def ask_now(params: Mapping[str, Any]) -> GatewayResponse:
        return get_models(client, base_url, params, headers=headers, clock=clock)

    def ends_and_repeat() -> None:
        """The end probes (they need the first gateway's walk: its total) and the repeated request."""
        first_walk = walks.get(("walk", first))
        if plan.probe_ends and first_walk is not None and first_walk.pages:
            total = first_walk.reported_total()
            for name, params in plan.end_probes(first, total if total is not None else len(first_walk.ids)).items():
                note(f"probe {name}")
                seen.end_probes[name] = ask_now(params)
        repeat = {"gateway": first, "limit": plan.limit, "offset": 0}
        note("repeat")
        seen.repeats.append((ask_now(repeat), ask_now(repeat)))

    # Concurrently, the end probes and the repeat continue the first gateway's own chain instead of waiting, one
    # after another, for every walk to end (~8 requests on the critical path). Their order relative to that walk
    # and its single request is the sequential one, so identical requests still get their recorded answers in
    # the same order; sequentially (concurrency 1, how the corpus is recorded) they stay last, as recorded.
    chained_ends = concurrency > 1 and len(plan.gateways) > 0

    def walk_then_single(gateway: str) -> Chain:
        single = {"gateway": gateway, "limit": plan.large_limit, "offset": 0}
        steps: list[Chain] = [walk(("walk", gateway), gateway), ask(("single", gateway), f"single {gateway}", single)]
        if chained_ends and gateway == first:
            steps.append(ends_and_repeat)

        def chain() -> None:
            for step in steps:
                step()

        return chain

    # (chain, long) in the sequential order: each gateway's walk and single request, the aliases, gateway=all
    # (plain, then with each uniqueness flag), the flag spellings, the bad-parameter probes.
    ordered: list[tuple[Chain, bool]] = [(walk_then_single(gateway), False) for gateway in plan.gateways]
    ordered += [(walk(("alias", a), a), False) for a, target in plan.aliases.items() if target in plan.gateways]
    if plan.include_all:
        ordered.append((walk(("all", ALL), ALL), True))
        if plan.include_unique:
            ordered += [(walk(("unique", param), ALL, {param: "true"}), True) for param in plan.unique_params]
            for param in plan.unique_params:  # the same listing in one request: what the flag is compared with
                params = {"gateway": ALL, param: "true", "limit": plan.large_limit, "offset": 0}
                ordered.append((ask(("unique-single", param), f"single all {param}", params), False))
            for alias, target in plan.flag_aliases.items():
                if target in plan.unique_params:
                    params = {"gateway": ALL, alias: "true", "limit": plan.large_limit, "offset": 0}
                    ordered.append((ask(("flag", alias), f"flag {alias}", params), False))
    if plan.probe_parameters:
        ordered += [(ask(("probe", name), f"probe {name}", params), False) for name, params in plan.probes().items()]
    if concurrency > 1:
        # The gateway=all walks hold every gateway's pages: started first, the wall time is theirs, not theirs
        # plus whatever happened to be queued before them.
        ordered.sort(key=lambda entry: not entry[1])
    run_chains([chain for chain, _ in ordered], concurrency)

    for gateway in plan.gateways:
        seen.walks[gateway] = walks["walk", gateway]
        seen.singles[gateway] = responses["single", gateway]
    seen.aliases = {alias: walks["alias", alias] for alias in plan.aliases if ("alias", alias) in walks}
    seen.all_walk = walks.get(("all", ALL))
    seen.unique_walks = {param: walks["unique", param] for param in plan.unique_params if ("unique", param) in walks}
    seen.flag_probes = {alias: responses["flag", alias] for alias in plan.flag_aliases if ("flag", alias) in responses}
    seen.probes = {name: responses["probe", name] for name in plan.probes() if ("probe", name) in responses}
    seen.unique_singles = {
        param: responses["unique-single", param]
        for param in plan.unique_params
        if ("unique-single", param) in responses
    }

    if not chained_ends:
        ends_and_repeat()
    if plan.probe_routing:
        seen.route = _probe_route(client, base_url, seen)
    if meter is not None:
        seen.stopped = meter.stopped
    return seen


def observe_target(
    target: GatewayTarget,
    plan: ObservePlan | None = None,
    *,
    on_response: Callable[[httpx.Response], None] | None = None,
    concurrency: int = 1,
    meter: Meter | None = None,
) -> Observation:
    """Observe ``target`` within its :class:`~catalog_guard.limits.Limits` (one meter for the whole run): the one
    way the audit, the contract classes and the gallery observe a gateway. ``meter``: the run's account when the
    caller shares it (the live audit's truth fetch runs under the same one); default, a fresh one."""
    meter = meter or target.meter()
    with target.client(meter) as client:
        if on_response is not None:
            client.event_hooks = {"response": [on_response]}
        return observe(
            client,
            target.base_url,
            plan,
            headers=target.headers(),
            sleep=target.sleep(),
            clock=target.timer(),
            concurrency=concurrency,
            meter=meter,
        )


def _unanswered(error: CatalogGuardError | None) -> TypeGuard[CatalogGuardError]:
    """No answer to judge: no response, one cut off by a limit, or a 429 that outlived the retries (a gateway
    that throttles the suite has not shown whether it keeps the contract)."""
    return isinstance(error, TransportError | LimitReached | RunStopped | RateLimitedError)


def _probe_route(client: httpx.Client, base_url: str, seen: Observation) -> RouteProbe | None:
    """Send a chat completion for the first listed model with no credentials at all."""
    model = next((ids[0] for ids in (seen.listed(g) for g in seen.plan.gateways) if ids), None)
    if model is None:
        return None
    url = base_url.rstrip("/") + "/v1/chat/completions"
    payload = {"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 1}
    try:
        response = client.post(url, content=json.dumps(payload), headers={"content-type": "application/json"})
    except (httpx.RequestError, CatalogGuardError) as error:
        seen.errors["route"] = f"{type(error).__name__}: {error}"
        return None
    return RouteProbe(model=model, status=response.status_code, body=response.text[:300])


def describe_error(error: CatalogGuardError | None) -> str:
    return f"{type(error).__name__}: {error}" if error else ""
