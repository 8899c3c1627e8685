"""How long to wait before asking an upstream again, and when to give up.

The policy is pure: it looks at a response and an attempt number and returns a delay, or ``None`` for "do not
retry". Sleeping is done by the caller with an injected function, so tests never really sleep and a clock can
record what would have been waited.

The rules follow huggingface_hub's ``http_backoff`` (1.22+), which the Hub's own docs point to:
retry 408, 429 and 5xx; on a 429 whose ``RateLimit`` header says ``r=0`` wait ``t + 1`` seconds; otherwise honour an
integer ``Retry-After``; otherwise back off 1, 2, 4, 8, 8 seconds; give up after ``max_retries`` retries.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import httpx

_RATELIMIT = re.compile(r"""(?:^|[;,\s])(r|t)\s*=\s*([0-9]+)""", re.ASCII)
#: Any number of seconds with more digits than this is "practically forever": a wait no limit allows. It keeps
#: ``int()`` away from a 5,000-digit header (Python refuses to convert more than 4,300 digits).
_MAX_DIGITS = 9
FOREVER = 10**_MAX_DIGITS


def _seconds(digits: str) -> int:
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= _MAX_DIGITS else FOREVER


def parse_ratelimit(value: str | None) -> tuple[int | None, int | None]:
    """Return ``(remaining, seconds_to_reset)`` from an IETF draft ``RateLimit`` header such as
    ``"api";r=0;t=155``. Missing parts are ``None``."""
    if not value:
        return None, None
    found = {key: _seconds(number) for key, number in _RATELIMIT.findall(value)}
    return found.get("r"), found.get("t")


def parse_retry_after(value: str | None) -> int | None:
    """Delay-seconds form only (ASCII digits: ``³`` passes ``str.isdigit`` but is no number); an HTTP-date or
    anything else is ignored (as huggingface_hub does), and the caller backs off instead."""
    if value is None:
        return None
    value = value.strip()
    return _seconds(value) if value.isascii() and value.isdigit() else None


@dataclass(frozen=True)
class RetryPolicy:
    """When to retry and for how long to wait. ``max_retries=5`` means at most 6 attempts per request."""

    max_retries: int = 5
    base_wait: float = 1.0
    max_wait: float = 8.0
    retry_statuses: frozenset[int] = field(default_factory=lambda: frozenset({408, 429, 500, 502, 503, 504}))

    def is_retryable(self, status: int) -> bool:
        return status in self.retry_statuses

    def backoff(self, retry: int) -> float:
        """Exponential backoff for the ``retry``-th retry (1-based): 1, 2, 4, 8, 8, ..."""
        return float(min(self.base_wait * (2 ** (retry - 1)), self.max_wait))

    def delay(self, response: httpx.Response, retry: int) -> float | None:
        """Seconds to wait before the ``retry``-th retry of this response, or ``None`` to stop retrying."""
        if not self.is_retryable(response.status_code) or retry > self.max_retries:
            return None
        if response.status_code == 429:
            remaining, reset = parse_ratelimit(response.headers.get("ratelimit"))
            if remaining == 0 and reset is not None:
                return float(reset + 1)
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        if retry_after is not None:
            return float(retry_after + 1)
        return self.backoff(retry)

    def delay_after_transport_error(self, retry: int) -> float | None:
        """Network errors (refused, reset, timeout) are retried with plain backoff."""
        return None if retry > self.max_retries else self.backoff(retry)


NO_RETRY = RetryPolicy(max_retries=0)
