"""The manifest: every named recording, the upstream it talks to and the function that makes its traffic.

Why one manifest serves both directions: a recording is a function that makes traffic through whatever clients
and base URLs it is given (:class:`Traffic`). The recorder hands it clients aimed at the fakes or at the live
hosts inside a recording cassette; a replay (:mod:`catalog_guard.corpus.replay`) hands the *same* function plain
``httpx`` clients aimed at the canonical hosts inside the same cassette in record mode ``none``. The requests are
therefore the same by construction, and a cassette with an interaction that the code no longer asks for fails
loudly as partly unplayed instead of feeding the checks stale traffic. (So a change to what a recording asks, the
observation plan above all, makes its cassettes stale: re-record them, ``catalog-guard record --only NAME``.)
"""

from __future__ import annotations

import asyncio
import difflib
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from catalog_guard import gateways
from catalog_guard.bounded import tls_context
from catalog_guard.corpus.location import (
    BASELINE,
    CURRENT,
    GATEWAY,
    GROUPS,
    PROVIDERS,
    UnknownRecordingError,
    canonical_base_url,
    cassette_path,
)
from catalog_guard.gateways import HUGGINGFACE
from catalog_guard.history import HISTORY
from catalog_guard.hub import LIST_PATH, STRATEGIES, HubResult, Strategy, fetch_hub
from catalog_guard.observe import Observation, ObservePlan, observe
from catalog_guard.providers import GATEWAY_SPECS, ProviderResult, fetch_provider

HISTORY_LIMIT = 50_000  # the seed reports fetched every gateway with limit=50000

# The quirks recording: what the Hub does that broke the gateway's fetchers (docs/upstreams.md §H1.5, §H2.3, §H2.4).
QUIRK_FILTER = {"inference_provider": "hf-inference"}
QUIRK_PAGE = 100
QUIRK_OFFSETS = (0, 100, 200)
QUIRK_BAD_SORT = "trending"
QUIRK_EXPAND = ("downloads", "likes")
QUIRK_EXPAND_LIMIT = 10


# ------------------------------------------------------------------------------------------------ traffic


def _no_sleep(_seconds: float) -> None:
    return None


def _no_progress(_step: str) -> None:
    return None


def _client() -> httpx.Client:
    return httpx.Client(verify=tls_context())


def _async_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(verify=tls_context())


@dataclass(frozen=True)
class Traffic:
    """What a recording needs to make its requests: client factories, where each upstream is, and credentials.

    ``base_urls`` and ``tokens`` are keyed by upstream (``huggingface``, a gateway name of the providers,
    ``gateway``); a missing base URL is the canonical one, a missing token is "send none" (the fetchers would
    otherwise read the environment, and a replay must not depend on it).
    """

    client: Callable[[], httpx.Client] = _client
    async_client: Callable[[], httpx.AsyncClient] = _async_client
    base_urls: Mapping[str, str] = field(default_factory=dict)
    tokens: Mapping[str, str] = field(default_factory=dict)
    sleep: Callable[[float], Any] = _no_sleep
    progress: Callable[[str], None] = _no_progress

    def base_url(self, upstream: str) -> str:
        return self.base_urls.get(upstream) or canonical_base_url(upstream)

    def token(self, upstream: str) -> str:
        return self.tokens.get(upstream) or ""


# ------------------------------------------------------------------------------------------------ recordings


@dataclass(frozen=True)
class HubQuirks:
    """The Hub's quirks as the quirks cassette holds them: ``offset`` pages, the refused sort, an expand page."""

    offset_ids: dict[int, list[str]]
    offset_statuses: dict[int, int]
    bad_sort_status: int
    bad_sort_error: str
    expand_status: int
    expand_items: list[dict[str, Any]]


@dataclass(frozen=True)
class Recording:
    """One named recording: the upstream it talks to and the function that makes its traffic.

    ``check`` says why a result is not a trustworthy recording (``None``: it is); ``live`` is false for
    recordings that only exist synthetically (past gateway deployments); ``state`` names the gateway state
    (``current`` or a :data:`~catalog_guard.history.HISTORY` key).
    """

    name: str
    upstream: str
    make: Callable[[Traffic], Any] = field(repr=False)
    check: Callable[[Any], str | None] = field(repr=False)
    live: bool = True
    state: str | None = None

    @property
    def group(self) -> str:
        return self.name.split("/", 1)[0]

    @property
    def host(self) -> str:
        return httpx.URL(canonical_base_url(self.upstream)).host

    def path(self, cassettes_dir: str | os.PathLike[str] | None = None) -> Path:
        return cassette_path(self.name, cassettes_dir)


def _hub_recording(strategy: Strategy) -> Recording:
    def make(traffic: Traffic) -> HubResult:
        with traffic.client() as client:
            return fetch_hub(
                client,
                strategy=strategy,
                token=traffic.token(HUGGINGFACE),
                sleep=traffic.sleep,
                base_url=traffic.base_url(HUGGINGFACE),
            )

    def check(result: HubResult) -> str | None:
        if result.error is not None:
            return f"the {strategy} walk failed: {type(result.error).__name__}: {result.error}"
        if strategy == "cursor" and not result.complete:
            return f"the cursor walk did not reach the end ({result.stop_reason})"
        return None

    return Recording(f"{HUGGINGFACE}/{strategy}", HUGGINGFACE, make, check)


def _quirks(traffic: Traffic) -> HubQuirks:
    url = traffic.base_url(HUGGINGFACE).rstrip("/") + LIST_PATH
    token = traffic.token(HUGGINGFACE)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    offset_ids: dict[int, list[str]] = {}
    offset_statuses: dict[int, int] = {}
    with traffic.client() as client:
        for offset in QUIRK_OFFSETS:
            params = httpx.QueryParams({**QUIRK_FILTER, "limit": QUIRK_PAGE, "offset": offset})
            response = client.get(url, params=params, headers=headers)
            offset_statuses[offset] = response.status_code
            offset_ids[offset] = [str(item.get("id")) for item in _json_list(response)] if response.is_success else []
        bad = client.get(url, params={**QUIRK_FILTER, "sort": QUIRK_BAD_SORT, "limit": 10}, headers=headers)
        expand_params = httpx.QueryParams([*QUIRK_FILTER.items(), *(("expand", e) for e in QUIRK_EXPAND)])
        expand_params = expand_params.add("limit", QUIRK_EXPAND_LIMIT)
        expand = client.get(url, params=expand_params, headers=headers)
    return HubQuirks(
        offset_ids=offset_ids,
        offset_statuses=offset_statuses,
        bad_sort_status=bad.status_code,
        bad_sort_error=bad.text[:300],
        expand_status=expand.status_code,
        expand_items=_json_list(expand) if expand.is_success else [],
    )


def _json_list(response: httpx.Response) -> list[dict[str, Any]]:
    try:
        body = response.json()
    except ValueError:
        return []
    return [item for item in body if isinstance(item, dict)] if isinstance(body, list) else []


def _check_quirks(quirks: HubQuirks) -> str | None:
    """Only an *unusable* answer fails the recording: if the Hub changed a quirk, the new evidence is recorded
    and ``tests/test_corpus.py`` shows the change to a reviewer."""
    statuses = [*quirks.offset_statuses.values(), quirks.bad_sort_status, quirks.expand_status]
    unusable = [status for status in statuses if status == 429 or status >= 500]
    return f"the Hub answered {unusable} (rate limited or failing): no evidence recorded" if unusable else None


def _provider_recording(name: str) -> Recording:
    def make(traffic: Traffic) -> ProviderResult:
        spec = GATEWAY_SPECS[name].with_base_url(traffic.base_url(name))

        async def fetch() -> ProviderResult:
            async with traffic.async_client() as client:
                return await fetch_provider(client, spec, token=traffic.token(name), sleep=traffic.sleep)

        return asyncio.run(fetch())

    def check(result: ProviderResult) -> str | None:
        if result.complete:
            return None
        return f"{name}: the catalog is incomplete ({result.stop_reason}: {result.error})"

    return Recording(f"{PROVIDERS}/{name}", name, make, check)


def history_plan() -> ObservePlan:
    """What is asked of a historical deployment: the contract's observation, with ``limit=50000`` singles as the
    seed reports made them.

    Two departures from the contract's plan keep the corpus under 50 MB (seed 000's single Hugging Face request
    alone is 50,000 entries, ~20 MB on disk) without losing evidence of what these deployments got wrong:

    - the probes and the repeated request go to the first gateway of the plan, so the plan lists Hugging Face
      last: these backends *accept* the over-maximum probe (``limit=50000``), and aimed at Hugging Face it would
      store seed 000's listing a second time, byte for byte the single request's. Aimed at OpenRouter it shows
      the same violation with 340 models;
    - ``gateway=all`` is walked, but not again with ``unique_models``: no historical state has a merge bug
      (G10/G12 are gallery modes), so that walk would only repeat the ``all`` rows deduplicated (~4 MB), and the
      seed-000 unique figure (3,668) comes from the ``limit=50000`` singles, as the seed report computed it;
    - the end probes (``offset = total`` and past it) are not sent: no historical state has a paging-end bug
      (U5-U7 are gallery modes), and the history cassettes predate those probes.
    """
    return ObservePlan(
        gateways=(*gateways.PROVIDERS, HUGGINGFACE), large_limit=HISTORY_LIMIT, include_unique=False, probe_ends=False
    )


def _gateway_recording(state: str) -> Recording:
    plan = ObservePlan() if state == CURRENT else history_plan()

    def make(traffic: Traffic) -> Observation:
        token = traffic.token(GATEWAY)
        headers = {"Authorization": f"Bearer {token}"} if token else None
        with traffic.client() as client:
            return observe(
                client, traffic.base_url(GATEWAY), plan, headers=headers, progress=traffic.progress, sleep=traffic.sleep
            )

    def check(seen: Observation) -> str | None:
        """A misbehaving gateway *is* the observation; a request that got no answer (a failed connection, a
        limit) is not: it left nothing to replay."""
        unanswered = seen.unanswered()
        if unanswered:
            label, error = unanswered[0]
            return f"{len(unanswered)} request(s) got no answer; the first: {label}: {error}"
        return None

    name = f"{GATEWAY}/{CURRENT}" if state == CURRENT else f"{GATEWAY}/history/{state}"
    return Recording(name, GATEWAY, make, check, live=state == CURRENT, state=state)


def _manifest() -> dict[str, Recording]:
    recordings = [_hub_recording(strategy) for strategy in STRATEGIES]
    recordings.append(Recording(f"{HUGGINGFACE}/quirks", HUGGINGFACE, _quirks, _check_quirks))
    recordings += [_provider_recording(name) for name in GATEWAY_SPECS]
    recordings.append(_gateway_recording(CURRENT))
    recordings += [_gateway_recording(state) for state in HISTORY]
    return {recording.name: recording for recording in recordings}


#: Every recording, by name, in recording order.
MANIFEST: dict[str, Recording] = _manifest()


def select(only: Iterable[str] | None = None, manifest: Mapping[str, Recording] | None = None) -> list[Recording]:
    """The recordings ``--only`` names, in manifest order: a group (``huggingface``, ``providers``, ``gateway``),
    an exact name, or a folder (``gateway/history``); values may be comma-separated. ``gateway/baseline`` means
    ``gateway/current`` (the baseline is computed from it). ``None`` or empty: everything."""
    chosen_manifest = MANIFEST if manifest is None else manifest
    selectors = [part.strip().strip("/") for value in (only or ()) for part in value.split(",") if part.strip()]
    if not selectors:
        return list(chosen_manifest.values())
    wanted: set[str] = set()
    for selector in selectors:
        selector = f"{GATEWAY}/{CURRENT}" if selector == BASELINE else selector
        matched = [name for name in chosen_manifest if name == selector or name.startswith(f"{selector}/")]
        if not matched:
            close = difflib.get_close_matches(selector, [*GROUPS, *chosen_manifest], n=3)
            hint = f"; did you mean {', '.join(close)}?" if close else f"; one of {', '.join(GROUPS)} or a name"
            raise UnknownRecordingError(f"no recording {selector!r}{hint}")
        wanted.update(matched)
    return [recording for name, recording in chosen_manifest.items() if name in wanted]
