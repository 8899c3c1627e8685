"""Typed errors for upstream trouble.

Every way an upstream can fail gets its own class, so that a caller (and a contract check) can tell a rate
limit from a broken page from a pagination loop. None of them is ever turned into an empty or shorter list:
the whole point of catalog-guard is that a catalog either is complete or says it is not.
"""

from __future__ import annotations


class CatalogGuardError(Exception):
    """Base class of every error catalog-guard raises on purpose."""


class UpstreamError(CatalogGuardError):
    """An upstream answered, but not with a usable page."""

    def __init__(self, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class ClientError(UpstreamError):
    """A 4xx other than 429: the request itself is wrong (e.g. ``sort=trending`` on the Hub)."""


class RateLimitedError(UpstreamError):
    """429 that outlived the retry policy."""


class ServerError(UpstreamError):
    """5xx that outlived the retry policy."""


class MalformedResponseError(UpstreamError):
    """A 2xx whose body is not the JSON shape the endpoint promises."""


class HtmlErrorPageError(MalformedResponseError):
    """A proxy or CDN answered with an HTML page where JSON was expected."""


class TransportError(UpstreamError):
    """The connection failed (refused, reset, timed out) after every retry."""


class PaginationError(CatalogGuardError):
    """The walk over pages cannot be trusted."""


class PaginationLoopError(PaginationError):
    """A page or a next link repeated: following it would produce duplicates forever."""


class RequestBudgetExceeded(PaginationError):
    """The walk needed more requests than its budget allows."""


class ForeignHostError(PaginationError):
    """A next link points at another host; following it could leak credentials."""


class CredentialsInLinkError(PaginationError):
    """A next link carries ``user:password@``: following it would send those instead of the caller's token (httpx
    turns URL userinfo into Basic auth). The message names the link without its userinfo."""


class IncompleteCatalogError(CatalogGuardError):
    """A caller asked for the models of a walk that did not finish."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class LimitReached(CatalogGuardError):
    """One of catalog-guard's own bounds (:class:`catalog_guard.limits.Limits`) cut a request or a run short.

    ``limit`` names the option that sets the bound (``--timeout``, ``--deadline``, ...), so the line that reports
    it tells the user which knob stopped the tool. Hitting a limit is never a contract violation: the tool could
    not judge (exit 2). ``stops_run`` says whether the whole observation stops (a deadline, a spent budget) or
    only this request fails and the observation goes on (a response too slow or too large).
    """

    stops_run = True

    def __init__(self, message: str, *, limit: str, url: str = "") -> None:
        super().__init__(message)
        self.limit = limit
        self.url = url

    def __reduce__(self) -> tuple[object, ...]:  # keyword-only fields survive pickling (xdist-shared observations)
        return (_rebuild, (type(self), str(self), {"limit": self.limit, "url": self.url}))


class ResponseTimeout(LimitReached):
    """One whole response (connect, headers and every byte of the body) took longer than ``--timeout``."""

    stops_run = False


class ResponseTooLarge(LimitReached):
    """A response body grew past ``--max-body``; it was cut off while streaming, never held whole."""

    stops_run = False


class DeadlineExceeded(LimitReached):
    """The whole run (an audit, a contract observation) reached ``--deadline``."""


class WaitTooLong(LimitReached):
    """An upstream asked to wait (``Retry-After``, ``RateLimit``) longer than ``--max-wait`` allows at once."""


class WaitBudgetSpent(LimitReached):
    """Waiting between retries used up ``--wait-budget`` seconds in all."""


class RequestLimitReached(LimitReached):
    """The run sent ``--max-requests`` requests in all."""


class RunStopped(CatalogGuardError):
    """A request that was not sent because the run had already stopped (``cause`` says why)."""

    def __init__(self, cause: CatalogGuardError) -> None:
        super().__init__(f"not sent: the run stopped earlier ({type(cause).__name__})")
        self.cause = cause

    def __reduce__(self) -> tuple[object, ...]:
        return (type(self), (self.cause,))


def _rebuild(cls: type[LimitReached], message: str, fields: dict[str, str]) -> LimitReached:
    return cls(message, **fields)
