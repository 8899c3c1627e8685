"""Why a result is wrong, read from the recorded exchange: the first request that went wrong and the evidence.

A symptom ("got 1,204 of 1,377") tells a team that something broke; the exchange the seam recorded (every URL,
status, ``Link`` header and body) usually says what. Each function here looks for one cause and returns a
:class:`Finding` (a sentence that quotes the evidence, and the evidence as data) or ``None``:

- :func:`unrecovered_failure`: the first request answered 4xx/5xx that no later request to the same URL made
  good (a 429 never retried, a 400 for ``sort=trending``, the 503 a fetcher gave up on);
- :func:`ignored_parameter`: requests that differ only in a parameter (``offset``) got the same body, so the
  upstream ignores it;
- :func:`unfollowed_link`: a response named its next page in ``Link: <...>; rel="next"`` and that URL was never
  requested.

The fetcher scenarios (:mod:`catalog_guard.fetcher_checks`) and the gateway checks quote these sentences.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from catalog_guard.fakes.interception import Exchange

MAX_EXAMPLES = 5


@dataclass(frozen=True)
class Finding:
    """One cause: a sentence quoting the evidence, and the evidence as data."""

    sentence: str
    evidence: dict[str, Any] = field(default_factory=dict)


def examples(values: Iterable[Any], limit: int = MAX_EXAMPLES) -> list[str]:
    """Up to ``limit`` values, sorted, as strings."""
    return sorted(map(str, values))[:limit]


def quoted(values: Iterable[Any], limit: int = MAX_EXAMPLES) -> str:
    """``e.g. a, b, c`` for a message (empty when there is nothing to show)."""
    shown = examples(values, limit)
    return f"e.g. {', '.join(shown)}" if shown else ""


def _key(url: str | httpx.URL) -> str:
    """A URL compared by meaning: query parameters in any order, percent-encoding normalised."""
    parsed = httpx.URL(str(url))
    params: list[tuple[str, Any]] = sorted(parsed.params.multi_items())
    return str(parsed.copy_with(query=None, fragment=None)) + "?" + str(httpx.QueryParams(params))


def _error_text(response: httpx.Response) -> str:
    said = str(response.headers.get("x-error-message", ""))
    if said:
        return said[:120]
    try:
        body = json.loads(response.content or b"null")
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("error", "message", "detail"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value[:120]
            if isinstance(value, dict) and isinstance(value.get("message"), str):
                return str(value["message"])[:120]
    return ""


def unrecovered_failure(exchanges: Sequence[Exchange]) -> Finding | None:
    """The first 4xx/5xx whose URL was never answered 2xx later (a retried 429 that then succeeded is fine)."""
    for number, exchange in enumerate(exchanges, 1):
        if exchange.status < 400:
            continue
        key = _key(exchange.url)
        later = [e for e in exchanges[number:] if _key(e.url) == key]
        if any(e.status < 300 for e in later):
            continue
        attempts = 1 + len(later)
        text = _error_text(exchange.response)
        sentence = f"request {number} (GET {exchange.url}) answered {exchange.status}"
        if text:
            sentence += f" ({text})"
        if exchange.status == 429 and not later:
            limit = exchange.response.headers.get("ratelimit")
            sentence += f" and was never retried{f' (RateLimit: {limit})' if limit else ''}"
        elif attempts > 1:
            sentence += f", {attempts} times, and the fetcher gave up"
        return Finding(
            sentence,
            {"request": number, "url": exchange.url, "status": exchange.status, "attempts": attempts},
        )
    return None


def ignored_parameter(exchanges: Sequence[Exchange]) -> Finding | None:
    """Requests whose URLs differ but whose 200 bodies are byte-identical to an earlier one: the parameters that
    differ (``offset``) are ignored by the upstream."""
    first_with: dict[bytes, int] = {}
    repeats: list[tuple[int, int]] = []
    for number, exchange in enumerate(exchanges, 1):
        if exchange.status != 200 or not exchange.response.content:
            continue
        body = exchange.response.content
        earlier = first_with.setdefault(body, number)
        if earlier != number and _key(exchanges[earlier - 1].url) != _key(exchange.url):
            repeats.append((number, earlier))
    if not repeats:
        return None
    number, earlier = repeats[0]
    before = httpx.URL(exchanges[earlier - 1].url).params
    after = httpx.URL(exchanges[number - 1].url).params
    differing = sorted({k for k in {*before.keys(), *after.keys()} if before.get_list(k) != after.get_list(k)})
    names = ", ".join(f"`{name}`" for name in differing) or "the parameters"
    span = f"requests {number}-{repeats[-1][0]}" if len(repeats) > 1 else f"request {number}"
    values = ", ".join(f"{k}={after.get(k)}" for k in differing)
    return Finding(
        f"the upstream ignores {names}: {span} ({len(repeats):,} in all, the first with {values}) returned "
        f"request {earlier}'s models again",
        {"ignored": differing, "repeats": len(repeats), "first": number, "same_as": earlier},
    )


def unfollowed_link(exchanges: Sequence[Exchange]) -> Finding | None:
    """The first ``Link: <url>; rel="next"`` whose URL was never requested."""
    requested = {_key(e.url) for e in exchanges}
    for number, exchange in enumerate(exchanges, 1):
        link = exchange.next_link()
        if link and _key(link) not in requested:
            return Finding(
                f'request {number} (GET {exchange.url}) answered {exchange.status} with `Link: <{link}>; rel="next"`,'
                f" which was never requested (the fetcher stopped after {len(exchanges)} request"
                f"{'' if len(exchanges) == 1 else 's'})",
                {"request": number, "url": exchange.url, "next": link},
            )
    return None


def causes(exchanges: Sequence[Exchange]) -> list[Finding]:
    """Every cause found, the first failure first."""
    found = (unrecovered_failure(exchanges), ignored_parameter(exchanges), unfollowed_link(exchanges))
    return [finding for finding in found if finding is not None]
