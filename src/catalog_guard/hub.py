"""The Hugging Face reference fetcher for ``GET /api/models``: the truth the gateway's listing is checked against.

Three strategies, because the regression suite has to show the gateway's historical approaches next to the right
one, measured by the same code:

- ``cursor`` (the reference): follow ``Link: rel="next"`` with ``limit=1000`` to the end and dedupe by id (keyset
  pages over counts that move can repeat a model). On the universe: every model, in two requests.
- ``sort-union`` (seed 004): the first page of ``sort=likes`` and of ``sort=downloads``, ``full=true``, merged.
- ``single`` (seed 002): one page of ``limit=1000``, ``full=true``.

The last two are *complete as requests* but throw away the ``rel="next"`` the Hub sent, so their result records
``truncated`` and is not ``complete``: nobody can mistake 1,204 or 1,000 for the catalog. Walking, retrying and
the typed errors all come from :mod:`catalog_guard.paging`; this module only plans the walks and reads them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

import httpx

from catalog_guard.errors import CatalogGuardError, IncompleteCatalogError, MalformedResponseError
from catalog_guard.gateways import HUB_URL
from catalog_guard.paging import (
    LinkHeader,
    Pagination,
    Single,
    Sleep,
    Walk,
    WalkSettings,
    bare_array,
    stop_reason,
    walk,
)
from catalog_guard.records import ModelRecord, id_of

Strategy = Literal["cursor", "sort-union", "single"]
STRATEGIES: tuple[Strategy, ...] = get_args(Strategy)

LIST_PATH = "/api/models"
GATEWAY = "huggingface"
PAGE_SIZE = 1000
DEFAULT_PARAMS: Mapping[str, Any] = {"inference_provider": "hf-inference"}
UNION_SORTS = ("likes", "downloads")


@dataclass
class HubResult:
    """What one strategy fetched, and whether it is the whole catalog.

    ``ids`` are unique, in first-seen order; ``duplicates`` counts the items that repeated an id already seen.
    ``requests`` counts every request sent, retries included. ``truncated`` is true when a page carried a
    ``rel="next"`` that the strategy did not follow. ``complete`` is true only if every walk reached its end,
    nothing was truncated and every item had an id.
    """

    strategy: Strategy
    walks: list[Walk]
    ids: list[str]
    duplicates: int
    requests: int
    complete: bool
    truncated: bool
    error: CatalogGuardError | None
    _models: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @classmethod
    def from_walks(cls, strategy: Strategy, walks: list[Walk]) -> HubResult:
        seen: dict[str, dict[str, Any]] = {}
        duplicates = 0
        error = next((w.error for w in walks if w.error is not None), None)
        for item in (item for w in walks for item in w.items):
            model_id = id_of(item)
            if model_id is None:
                error = error or MalformedResponseError(f"a Hub model without an id: {str(item)[:120]}")
            elif model_id in seen:
                duplicates += 1
            else:
                seen[model_id] = item
        truncated = any(_ignored_next(page.status, page.headers, page.next_url) for w in walks for page in w.pages)
        return cls(
            strategy=strategy,
            walks=walks,
            ids=list(seen),
            duplicates=duplicates,
            requests=sum(w.requests for w in walks),
            complete=bool(walks) and all(w.complete for w in walks) and not truncated and error is None,
            truncated=truncated,
            error=error,
            _models=list(seen.values()),
        )

    @property
    def stop_reason(self) -> str:
        return stop_reason(self.complete, self.error, truncated=self.truncated)

    def models(self) -> list[dict[str, Any]]:
        """The unique models, or :class:`IncompleteCatalogError`: a partial catalog is never a shorter list."""
        if not self.complete:
            raise IncompleteCatalogError(
                f"the Hub {self.strategy} fetch is not the whole catalog ({self.stop_reason}): "
                f"{len(self.ids)} models in {self.requests} requests",
                reason=self.stop_reason,
            )
        return list(self._models)

    def records(self) -> list[ModelRecord]:
        """The models as :class:`ModelRecord` of gateway ``huggingface``. The Hub has no display name, so the
        name is the repo id, and the repo id is its own ``hugging_face_id``."""
        return [
            ModelRecord(id=model["id"], gateway=GATEWAY, name=model["id"], hugging_face_id=model["id"], raw=model)
            for model in self.models()
        ]


def _ignored_next(status: int, headers: Mapping[str, str], next_url: str | None) -> bool:
    """A page whose ``Link`` offered a next page that the walk did not take."""
    return next_url is None and "next" in httpx.Response(status, headers=headers).links


def plan(strategy: Strategy, params: Mapping[str, Any]) -> list[tuple[Pagination, dict[str, Any]]]:
    """The walks a strategy makes: ``(pagination, query)`` for each, in order."""
    if strategy == "cursor":  # full objects, as the gateway needs them (and as the seeds' fetchers asked)
        return [(LinkHeader(limit=PAGE_SIZE), {**params, "full": "true"})]
    one_page = {**params, "limit": PAGE_SIZE, "full": "true"}
    if strategy == "single":
        return [(Single(), one_page)]
    if strategy == "sort-union":
        return [(Single(), {**one_page, "sort": sort}) for sort in UNION_SORTS]
    raise ValueError(f"unknown strategy {strategy!r}; expected one of {', '.join(STRATEGIES)}")


def auth_headers(token: str | None) -> dict[str, str]:
    """``Authorization: Bearer`` from ``token``, else from ``HF_TOKEN``; an empty token sends none.

    A token moves the rate-limit bucket from the caller's IP (500 per 5 minutes) to the account (1,000+).
    """
    value = os.environ.get("HF_TOKEN") if token is None else token
    return {"Authorization": f"Bearer {value}"} if value else {}


def fetch_hub(
    client: httpx.Client,
    *,
    strategy: Strategy = "cursor",
    params: Mapping[str, Any] | None = None,
    token: str | None = None,
    settings: WalkSettings | None = None,
    sleep: Sleep = time.sleep,
    base_url: str = HUB_URL,
) -> HubResult:
    """Fetch the Hub's model listing with ``strategy``; never raises for upstream trouble.

    ``params`` defaults to ``inference_provider=hf-inference`` (the gateway's listing); list values become
    repeated keys. Retries, waits and guards come from ``settings`` (:class:`~catalog_guard.paging.WalkSettings`);
    ``sleep`` is injectable so tests never wait. A walk that fails stops the strategy: later walks would only
    spend requests on a result that is already incomplete.
    """
    url = f"{base_url.rstrip('/')}{LIST_PATH}"
    headers = auth_headers(token)
    done: list[Walk] = []
    for pagination, query in plan(strategy, DEFAULT_PARAMS if params is None else params):
        done.append(
            walk(
                client,
                url,
                pagination=pagination,
                extract=bare_array,
                params=query,
                headers=headers,
                settings=settings,
                sleep=sleep,
            )
        )
        if not done[-1].complete:
            break
    return HubResult.from_walks(strategy, done)
