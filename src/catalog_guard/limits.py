"""Every bound catalog-guard puts on a gateway it observes, in one typed object, and the meter that enforces them.

A deploy gate is only worth having if it always ends: a gateway that drips one byte every two seconds, sends a
body that never ends, answers ``429 Retry-After: 299`` forever or accepts a connection and never answers must
each stop the tool within a known time and memory, with the report of what was seen and a line naming the bound
that stopped it (exit 2: not judged, never "passed"). :class:`Limits` holds the bounds (the CLI's options map to
its fields one to one); :class:`Meter` is one run's account against them, shared by the HTTP transport
(:mod:`catalog_guard.bounded`) and the waits between retries.

Two kinds of bound, on purpose:

- **per request** (``timeout``, ``max_body``): the request fails with a typed error, which is a finding on that
  request; the observation goes on with the next one.
- **per run** (``deadline``, ``max_requests``, ``max_wait``, ``wait_budget``): the run stops; every later request
  fails at once with :class:`~catalog_guard.errors.RunStopped`, and the report says which bound it was.

A gateway that never answered at all (the first request fails without a response) also stops the run: nothing
will be learnt by sending the other requests to a closed port or a hung server.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields

from catalog_guard.errors import (
    CatalogGuardError,
    DeadlineExceeded,
    LimitReached,
    RequestLimitReached,
    RunStopped,
    TransportError,
    WaitBudgetSpent,
    WaitTooLong,
)

MiB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    """The bounds of one run. Defaults are for a CI job gating a deploy; each field is a CLI option.

    - ``timeout`` (``--timeout``, 20 s): one whole response, connect to last byte. A page of 1,000 models is a
      few hundred kB; 20 s is generous for it and keeps a hung server's cost to 20 s.
    - ``deadline`` (``--deadline``, 600 s): the whole observation. The full contract against a real gateway is a
      few hundred requests; ten minutes fits a CI step.
    - ``max_body`` (``--max-body``, 32 MiB): one response body. The largest real listing (the Hub's
      ``limit=1000&full=true`` page, a provider's whole catalog) is a few MB; parsed JSON costs 5-30x its bytes
      in Python objects, so 32 MiB keeps one body under ~1 GB even in the worst shape.
    - ``max_wait`` (``--max-wait``, 30 s): any single wait a gateway asks for (``Retry-After``, ``RateLimit``).
    - ``wait_budget`` (``--wait-budget``, 120 s): all waits between retries together.
    - ``max_requests`` (``--max-requests``, 2000): requests in all, retries included.
    - ``max_failures`` (``--max-failures``, 3): requests in a row without a usable answer (no response, a body
      cut off by a limit, a 429) before the run stops: a gateway that drips, hangs or throttles every request
      would otherwise cost ``timeout`` (or a wait) per request until the deadline. A gateway that never
      answered at all stops the run at its first failure; a 429 is an answer, so it only counts in the row.
    """

    timeout: float = 20.0
    deadline: float = 600.0
    max_body: int = 32 * MiB
    max_wait: float = 30.0
    wait_budget: float = 120.0
    max_requests: int = 2000
    max_failures: int = 3

    def __post_init__(self) -> None:
        for spec in fields(self):
            value = getattr(self, spec.name)
            option = OPTIONS[spec.name]
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValueError(f"{option} must be a finite number, got {value!r}")
            smallest = 0 if spec.name in ("max_wait", "wait_budget") else 1 if spec.type == "int" else 0.001
            if value < smallest:
                raise ValueError(f"{option} must be at least {smallest}, got {value!r}")

    @property
    def connect_timeout(self) -> float:
        """Seconds to open a connection: at most 10 s, and never more than the whole response may take."""
        return min(self.timeout, 10.0)


#: The option that sets each field, for messages that tell the user which knob to turn.
OPTIONS: dict[str, str] = {
    "timeout": "--timeout",
    "deadline": "--deadline",
    "max_body": "--max-body",
    "max_wait": "--max-wait",
    "wait_budget": "--wait-budget",
    "max_requests": "--max-requests",
    "max_failures": "--max-failures",
}

Clock = Callable[[], float]
Sleep = Callable[[float], object]


@dataclass
class Meter:
    """One run's account against its :class:`Limits`: elapsed time, requests sent, seconds waited, and the error
    that stopped the run (``stopped``), if one did. One meter per observation, shared by its threads."""

    limits: Limits = field(default_factory=Limits)
    clock: Clock = time.monotonic
    started: float = field(default=-1.0)
    requests: int = 0
    waited: float = 0.0
    answered: bool = False
    failures_in_a_row: int = 0
    stopped: CatalogGuardError | None = None
    one_host: bool = True  # False for concurrent fetches of many upstreams: one dead host must not stop the rest
    # a concurrent observation's chains share the meter: every account is kept under one (re-entrant) lock
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.started < 0:
            self.started = self.clock()

    @property
    def ends_at(self) -> float:
        """The clock reading of the run's deadline."""
        return self.started + self.limits.deadline

    def remaining(self) -> float:
        return self.ends_at - self.clock()

    def stop(self, error: CatalogGuardError) -> CatalogGuardError:
        """Record the first error that stops the run and return it (later ones do not replace it)."""
        with self._lock:
            if self.stopped is None:
                self.stopped = error
        return error

    def before_request(self, url: str) -> None:
        """Raise if the run has stopped, its deadline passed or its request budget is spent; else count one."""
        with self._lock:
            self._count(url)

    def _count(self, url: str) -> None:
        if self.stopped is not None:
            raise RunStopped(self.stopped)
        if self.remaining() <= 0:
            raise self.stop(self.deadline_error(url))
        if self.requests >= self.limits.max_requests:
            raise self.stop(
                RequestLimitReached(
                    f"gave up after {self.limits.max_requests} requests (--max-requests) before {url}",
                    limit=OPTIONS["max_requests"],
                    url=url,
                )
            )
        self.requests += 1

    def deadline_error(self, url: str) -> DeadlineExceeded:
        return DeadlineExceeded(
            f"the run reached its deadline of {self.limits.deadline:g} s (--deadline) at {url}",
            limit=OPTIONS["deadline"],
            url=url,
        )

    def usable(self) -> None:
        """A request got its whole response (whatever its status)."""
        with self._lock:
            self.answered = True
            self.failures_in_a_row = 0

    def failed(self, url: str, error: CatalogGuardError) -> None:
        """A request got no usable answer. Stop the run if the gateway never answered anything yet (it is
        unreachable) or if ``max_failures`` requests in a row failed (it stopped answering). A meter over many
        hosts (``one_host=False``) stops only for its limits: each host's failures stay in its own result."""
        with self._lock:
            self._fail(url, error)

    def _fail(self, url: str, error: CatalogGuardError) -> None:
        if self.stopped is not None or (isinstance(error, LimitReached) and error.stops_run) or not self.one_host:
            return
        self.failures_in_a_row += 1
        if not self.answered:
            never = f"the gateway never answered: the first request failed: {error}"
            self.stop(
                type(error)(never, limit=error.limit, url=url)
                if isinstance(error, LimitReached)
                else TransportError(never, url=url)
            )
        elif self.failures_in_a_row >= self.limits.max_failures:
            # a run of responses each cut off by a per-request limit names that limit too: "--max-failures"
            # alone would hide that it was --max-body or --timeout that refused each answer
            how = f"were cut off by {error.limit}" if isinstance(error, LimitReached) else "got no usable answer"
            self.stop(
                LimitReached(
                    f"{self.failures_in_a_row} requests in a row {how} (--max-failures); the last: {error}",
                    limit=OPTIONS["max_failures"],
                    url=url,
                )
            )

    def sleeper(self, sleep: Sleep, asker: str = "the gateway") -> Sleep:
        """``sleep`` that first charges the wait to this run: a wait over ``max_wait``, past the wait budget or
        past the deadline stops the run instead of sleeping. ``asker`` is who asked for the waits, for the
        message (the gateway, or an upstream of the live truth)."""

        def charged(seconds: float) -> object:
            with self._lock:
                self._charge(seconds, asker)
            return sleep(seconds)

        return charged

    def _charge(self, seconds: float, asker: str) -> None:
        limits = self.limits
        if seconds > limits.max_wait:
            raise self.stop(
                WaitTooLong(
                    f"{asker} asked to wait {_seconds(seconds)} before a retry; --max-wait allows "
                    f"{limits.max_wait:g} s",
                    limit=OPTIONS["max_wait"],
                )
            )
        if self.waited + seconds > limits.wait_budget:
            raise self.stop(
                WaitBudgetSpent(
                    f"a further wait of {_seconds(seconds)} would exceed the --wait-budget of "
                    f"{limits.wait_budget:g} s ({self.waited:g} s waited already)",
                    limit=OPTIONS["wait_budget"],
                )
            )
        if seconds >= self.remaining():
            raise self.stop(
                DeadlineExceeded(
                    f"a wait of {_seconds(seconds)} would pass the --deadline of {limits.deadline:g} s",
                    limit=OPTIONS["deadline"],
                )
            )
        self.waited += seconds


def _seconds(value: float) -> str:
    return f"{value:g} s" if value < 1e9 else "practically forever"
