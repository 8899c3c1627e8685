"""Virtual scenario time: every wait the code under test asks for is recorded, not slept, and moves its clock.

Within :func:`virtual_sleeps`, ``time.sleep``, ``asyncio.sleep`` (and so ``anyio.sleep`` on asyncio) return at
once, record the delay, and advance a :class:`VirtualClock`; ``time.monotonic``, ``time.time`` and
``time.perf_counter`` (and their ``_ns`` twins) read the real clock *plus the waits asked for so far*. A fetcher
that waits until a deadline (``while monotonic() < deadline: sleep(1)``), keeps a TTL cache, or sleeps until a
rate limit's reset timestamp sees time pass consistently, and nothing really waits. The clock is an offset on
the real one rather than a frozen one so that a loop polling the clock *without* sleeping still ends, and
readings taken before the scenario (a cache's timestamp) stay comparable.

Who reads virtual time: every caller except catalog-guard's own modules, the standard library and the test
runner (pytest, pluggy, xdist/execnet, coverage). The decision is made per call from the calling frame's module,
so the product's own deadlines and limits (``Meter``, the observer's latency clock) stay real even when they hold
a reference that was rebound, and the standard library's event loops, locks and queues, which serve every thread
of the process, keep real time. The fetcher's own event loop is the exception: :meth:`VirtualClock.event_loop`
builds it on virtual time, and it jumps to its next timer when every task waits (:class:`_ScenarioLoop`).

How the functions are reached: ``time.sleep`` and the clocks are builtins, whose behaviour cannot be replaced, so
every *reference* to them that can be found is rebound for the block and put back afterwards: the ``time`` and
``asyncio`` module attributes; every loaded module's globals (``from time import sleep, monotonic``); the
defaults of functions and methods defined at module or class level (``sleep=time.sleep``); ``functools.partial``
objects holding one; the attributes of objects held in module globals (``self._sleep = time.sleep`` on a
module-level client); and the fetcher's own closure cells, defaults, ``partial`` and bound instance. A fake that
outlives the block (kept by an object made during the scenario) sleeps and reads the clock for real.

Why not a library: time-machine changes the builtins at the C level (so captured references are covered), but
for every caller in the process, the product's own deadlines included, and it leaves ``sleep`` and
``perf_counter`` real; freezegun finds references the same way as this module but misses defaults, closures and
partials, freezes the clock (a poll loop without a sleep never ends), decides who keeps real time by scanning up
to five frames (a fetcher called by catalog-guard would read real time) and leaves ``sleep`` real too. Both
would still need this module's rebinding for the sleeps, so one mechanism does both.

Limits (docs/architecture.md, "Virtual time"): a real ``sleep`` or clock kept in a container, in an attribute of
an object that no module global or the fetcher holds, or in ``__slots__``; ``threading.Event.wait``,
``queue.get(timeout=)`` and other standard-library timeouts, trio; ``datetime.now()`` and ``time.localtime()``;
sync sleeps in several threads of one fetcher add up instead of overlapping.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.machinery
import math
import selectors
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any

_REAL_TIME_SLEEP = time.sleep
_REAL_ASYNC_SLEEP = asyncio.sleep
_REAL_MONOTONIC = time.monotonic
_REAL_MONOTONIC_NS = time.monotonic_ns
_REAL_TIME = time.time
_REAL_TIME_NS = time.time_ns
_REAL_PERF_COUNTER = time.perf_counter
_REAL_PERF_COUNTER_NS = time.perf_counter_ns
_REAL: dict[int, Any] = {
    id(f): f
    for f in (
        _REAL_TIME_SLEEP,
        _REAL_ASYNC_SLEEP,
        _REAL_MONOTONIC,
        _REAL_MONOTONIC_NS,
        _REAL_TIME,
        _REAL_TIME_NS,
        _REAL_PERF_COUNTER,
        _REAL_PERF_COUNTER_NS,
    )
}
_REAL_IDS = frozenset(_REAL)
# Callers that keep real time (top-level package names): the product, the test runner, and the standard library.
_KEEPERS = frozenset({"catalog_guard", "_pytest", "pytest", "pluggy", "xdist", "execnet", "coverage"})


@functools.cache
def _keeps_real_time(module: str) -> bool:
    top = module.partition(".")[0]
    return top in _KEEPERS or top in sys.stdlib_module_names


class VirtualClock:
    """One scenario's time: the real clocks plus the waits asked for so far, and the record of those waits.

    ``waits`` is the caller's list: each ``sleep`` appends its delay. While :attr:`active`, the clock functions
    answer virtual time to callers outside :data:`_KEEPERS` and the standard library; afterwards every fake
    behaves as the real function it stands for."""

    def __init__(self, waits: list[float]) -> None:
        self.waits = waits
        self.active = True
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        """Seconds of waits asked for so far: how far virtual time is ahead of the real clocks."""
        return self._offset

    def _advance(self, seconds: float) -> None:
        with self._lock:
            self.waits.append(seconds)
            self._offset += seconds

    def sleep(self, seconds: float) -> None:
        if not self.active:
            return _REAL_TIME_SLEEP(seconds)
        seconds = float(seconds)
        if seconds < 0 or math.isnan(seconds):
            raise ValueError("sleep length must be non-negative")
        self._advance(seconds)
        return None

    async def async_sleep(self, delay: float, result: Any = None) -> Any:
        if not self.active or delay == math.inf:  # sleep(inf) means "until cancelled" (anyio.sleep_forever)
            return await _REAL_ASYNC_SLEEP(delay, result)
        loop = asyncio.get_running_loop()
        if delay > 0 and isinstance(loop, _ScenarioLoop) and loop.clock is self:
            # on the scenario's own loop a wait is a timer like any other: the loop moves the clock to it when
            # every task waits, so concurrent waits overlap as they would in real time
            with self._lock:
                self.waits.append(float(delay))
            future: asyncio.Future[Any] = loop.create_future()
            timer = loop.call_later(delay, _resolve, future, result)
            try:
                return await future
            finally:
                timer.cancel()
        if delay > 0:
            self._advance(float(delay))
        await _REAL_ASYNC_SLEEP(0)  # still yield to the loop: libraries use sleep(0) to let others run
        return result

    def _jump(self, seconds: float) -> None:
        """Move the clock without a wait being asked for: the scenario loop reaching its next timer."""
        with self._lock:
            self._offset += seconds

    def _virtual(self, depth: int = 2) -> bool:
        return self.active and not _keeps_real_time(sys._getframe(depth).f_globals.get("__name__") or "")

    def monotonic(self) -> float:
        return _REAL_MONOTONIC() + (self._offset if self._virtual() else 0.0)

    def monotonic_ns(self) -> int:
        return _REAL_MONOTONIC_NS() + (round(self._offset * 1e9) if self._virtual() else 0)

    def time(self) -> float:
        return _REAL_TIME() + (self._offset if self._virtual() else 0.0)

    def time_ns(self) -> int:
        return _REAL_TIME_NS() + (round(self._offset * 1e9) if self._virtual() else 0)

    def perf_counter(self) -> float:
        return _REAL_PERF_COUNTER() + (self._offset if self._virtual() else 0.0)

    def perf_counter_ns(self) -> int:
        return _REAL_PERF_COUNTER_NS() + (round(self._offset * 1e9) if self._virtual() else 0)

    def event_loop(self) -> asyncio.AbstractEventLoop:
        """A fresh event loop on this scenario's time (``asyncio.Runner(loop_factory=...)``), see
        :class:`_ScenarioLoop`; other threads' loops stay real."""
        return _ScenarioLoop(self)

    def fakes(self) -> dict[int, Any]:
        """Real function's id → its stand-in (bound once, so that identity checks and undo work)."""
        return {
            id(_REAL_TIME_SLEEP): self.sleep,
            id(_REAL_ASYNC_SLEEP): self.async_sleep,
            id(_REAL_MONOTONIC): self.monotonic,
            id(_REAL_MONOTONIC_NS): self.monotonic_ns,
            id(_REAL_TIME): self.time,
            id(_REAL_TIME_NS): self.time_ns,
            id(_REAL_PERF_COUNTER): self.perf_counter,
            id(_REAL_PERF_COUNTER_NS): self.perf_counter_ns,
        }


def _resolve(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)


class _IdleSelector:
    """The scenario loop's selector. When the loop would block until its next timer and nothing can wake it
    sooner (no I/O ready, no executor work in flight), the clock jumps to that timer instead of waiting: time
    passes only while every task waits, as a simulation's does. Otherwise it waits for real, as usual."""

    def __init__(self, clock: VirtualClock, busy: Callable[[], bool]) -> None:
        self._real = selectors.DefaultSelector()
        self._clock = clock
        self._busy = busy

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None or timeout <= 0 or not self._clock.active or self._busy():
            return self._real.select(timeout)
        ready = self._real.select(0)
        if not ready:
            self._clock._jump(timeout)
        return ready

    def __getattr__(self, name: str) -> Any:  # register, unregister, modify, get_key, get_map, close
        return getattr(self._real, name)


class _ScenarioLoop(asyncio.SelectorEventLoop):
    """The fetcher's event loop: ``time()`` is the scenario's virtual time, and an idle loop jumps to its next
    timer (:class:`_IdleSelector`), so ``asyncio.sleep``, ``loop.time()``/``anyio.current_time()`` deadlines and
    ``asyncio.wait_for`` timeouts of an async fetcher all run on one consistent virtual clock."""

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self._in_flight = 0  # executor calls (to_thread, getaddrinfo) not finished: their result wakes the loop
        super().__init__(_IdleSelector(clock, lambda: self._in_flight > 0))  # type: ignore[arg-type]

    def time(self) -> float:
        return _REAL_MONOTONIC() + (self.clock._offset if self.clock.active else 0.0)

    def run_in_executor(  # type: ignore[override]
        self, executor: Any, func: Callable[..., Any], *args: Any
    ) -> asyncio.Future[Any]:
        future = super().run_in_executor(executor, func, *args)
        self._in_flight += 1
        future.add_done_callback(self._finished)
        return future

    def _finished(self, _future: asyncio.Future[Any]) -> None:
        self._in_flight -= 1


def _real(value: Any) -> bool:
    return value is not None and _REAL.get(id(value)) is value


def _is_partial(value: Any) -> bool:
    return issubclass(type(value), functools.partial)  # type(), not isinstance: a proxy's __class__ may raise


def _holds_real(value: Any) -> bool:
    return _real(value) or (_is_partial(value) and _partial_holds_real(value))


def _any_holds_real(values: list[Any]) -> bool:
    """``any(_holds_real(v) for v in values)``, with the common answer (no) found at C speed."""
    if not _REAL_IDS.isdisjoint(map(id, values)) and any(map(_real, values)):
        return True
    if not any(issubclass(kind, functools.partial) for kind in set(map(type, values))):
        return False
    return any(_partial_holds_real(v) for v in values if _is_partial(v))


def _partial_holds_real(p: functools.partial[Any]) -> bool:
    return _real(p.func) or any(_real(a) for a in p.args) or any(_real(v) for v in p.keywords.values())


def _functions_of(namespace: dict[str, Any]) -> Iterator[FunctionType]:
    for value in list(namespace.values()):
        if type(value) is FunctionType:  # type(), not isinstance: wrapt's proxies claim to be functions
            yield value
        elif isinstance(value, type):
            for member in list(vars(value).values()):
                # only plain types are looked into: getattr on a lazy object (six.moves) would import things
                inner = member.__func__ if isinstance(member, staticmethod | classmethod) else member
                if type(inner) is FunctionType:
                    yield inner


def _holds_in_defaults(function: FunctionType) -> bool:
    defaults = [*(function.__defaults__ or ()), *(function.__kwdefaults__ or {}).values()]
    return any(_holds_real(d) for d in defaults)


# Per module (by identity), the functions whose defaults hold a real sleep or clock: looking into every class of
# every loaded module costs about 0.2 s, and modules do not grow new functions once imported (a module imported
# later is a new entry). Module globals and the attributes of the objects they hold are re-read on every call.
_HOLDERS: dict[int, tuple[ModuleType, list[FunctionType]]] = {}


def _holders(module: ModuleType, namespace: dict[str, Any]) -> list[FunctionType]:
    cached = _HOLDERS.get(id(module))
    if cached is None or cached[0] is not module:
        cached = (module, [f for f in _functions_of(namespace) if _holds_in_defaults(f)])
        _HOLDERS[id(module)] = cached
    return cached[1]


# Values whose attributes are never looked into: they cannot hold a user's ``self._sleep``, and some are lazy
# proxies whose attribute access has effects.
_OPAQUE = (type, ModuleType, FunctionType, BuiltinFunctionType, MethodType, functools.partial, str, bytes, int, float)
# Exact types of module globals that neither are a real sleep or clock nor hold one: skipped at once.
_PLAIN = frozenset({type, ModuleType, FunctionType, str, bytes, int, float, bool, type(None), tuple, frozenset})


# Exact types whose instances have no ``__dict__`` or cannot hold a fetcher's sleep (every module's ``__spec__`` and
# ``__loader__``): most of the objects in module globals.
_NO_ATTRIBUTES = frozenset({
    dict, list, set, bytearray, importlib.machinery.ModuleSpec, importlib.machinery.SourceFileLoader,
    importlib.machinery.ExtensionFileLoader, importlib.machinery.SourcelessFileLoader,
})  # fmt: skip


def _has_attributes(kind: type) -> bool:
    """Whether a module global of exact type ``kind`` is worth :meth:`_Rebinder.instance` (asked once per type
    present in a namespace, not once per value)."""
    return kind not in _PLAIN and kind not in _NO_ATTRIBUTES and not issubclass(kind, _OPAQUE)


def _attributes_of(value: Any) -> dict[str, Any] | None:
    """An object's own ``__dict__``, read without running its ``__getattr__``/``__getattribute__``."""
    if issubclass(type(value), _OPAQUE):
        return None
    try:
        attributes = object.__getattribute__(value, "__dict__")
    except Exception:
        return None
    return attributes if type(attributes) is dict else None


class _Rebinder:
    """Swaps references to the real functions for the fakes, remembering how to undo each swap."""

    def __init__(self, fakes: dict[int, Any]) -> None:
        self._fakes = fakes
        self._undo: list[Callable[[], None]] = []
        self._seen: set[int] = set()

    def fake_for(self, value: Any) -> Any:
        return self._fakes.get(id(value)) if _real(value) else None

    def swapped(self, value: Any) -> Any:
        """The fake for ``value``, or ``value`` itself with any ``partial`` holding a real function rewired."""
        fake = self.fake_for(value)
        if fake is not None:
            return fake
        if _is_partial(value):
            self.partial(value)
        return value

    def partial(self, p: functools.partial[Any]) -> None:
        if id(p) in self._seen or not _partial_holds_real(p):
            return
        self._seen.add(id(p))
        # a partial's fields are read-only; its pickling hook (func, args, keywords, __dict__) sets them in place
        set_state: Callable[[tuple[Any, ...]], None] = p.__setstate__  # type: ignore[attr-defined]
        state: tuple[Any, ...] = p.__reduce__()[2]  # type: ignore[assignment]
        set_state(
            (
                self.fake_for(p.func) or p.func,
                tuple(self.fake_for(a) or a for a in p.args),
                {k: self.fake_for(v) or v for k, v in p.keywords.items()},
                state[3],
            )
        )
        self._undo.append(functools.partial(set_state, state))

    def namespace(self, namespace: dict[str, Any], *, objects: bool = True) -> None:
        """Rebind in a dict of names (a module's globals, an object's attributes); with ``objects``, also in the
        attributes of the objects it holds (one level). Run over every loaded module's globals per scenario
        (~150,000 values in a test worker), so each step first asks a question answered at C speed over the whole
        dict (any real function's id among the values? any value of a type worth looking into?) and walks the
        values one by one only where the answer is yes (~11.5 ms of CPU per scenario with 935 modules loaded, against
        ~14 ms walking every value)."""
        values = list(namespace.values())
        if not _REAL_IDS.isdisjoint(map(id, values)):
            fakes = self._fakes
            for key, value in list(namespace.items()):
                if _real(value):
                    namespace[key] = fakes[id(value)]
                    self._undo.append(functools.partial(namespace.__setitem__, key, value))
        kinds = set(map(type, values))
        partials = any(issubclass(kind, functools.partial) for kind in kinds)
        looked_into = {kind for kind in kinds if _has_attributes(kind)} if objects else set()
        if not partials and not looked_into:
            return
        for value in values:
            kind = type(value)
            if kind in looked_into:
                self.instance(value)
            elif partials and issubclass(kind, functools.partial):
                self.partial(value)

    def instance(self, value: Any) -> None:
        attributes = _attributes_of(value)
        if attributes is None or id(value) in self._seen:
            return
        self._seen.add(id(value))
        if _any_holds_real(list(attributes.values())):
            self.namespace(attributes, objects=False)

    def function(self, function: FunctionType) -> None:
        defaults = function.__defaults__
        if defaults and any(_holds_real(d) for d in defaults):
            function.__defaults__ = tuple(self.swapped(d) for d in defaults)
            self._undo.append(lambda: setattr(function, "__defaults__", defaults))
        kwdefaults = function.__kwdefaults__
        if kwdefaults and any(_holds_real(d) for d in kwdefaults.values()):
            function.__kwdefaults__ = {k: self.swapped(d) for k, d in kwdefaults.items()}
            self._undo.append(lambda: setattr(function, "__kwdefaults__", kwdefaults))
        for cell in function.__closure__ or ():
            try:
                value = cell.cell_contents
            except ValueError:  # an empty cell
                continue
            fake = self.fake_for(value)
            if fake is not None:
                cell.cell_contents = fake
                self._undo.append(functools.partial(setattr, cell, "cell_contents", value))
            elif _is_partial(value):
                self.partial(value)
            else:
                self.instance(value)

    def target(self, target: Any, depth: int = 0) -> None:
        """The callable under test: its function's closure and defaults, what a ``partial`` of it holds, and the
        object it is bound to (a method) or is (a callable instance)."""
        if depth > 3:
            return
        if _is_partial(target):
            self.partial(target)
            self.target(target.func, depth + 1)
            for value in (*target.args, *target.keywords.values()):
                self.instance(value)
            return
        for candidate in (target, getattr(target, "__func__", None), getattr(target, "__wrapped__", None)):
            if type(candidate) is FunctionType:
                self.function(candidate)
        bound = getattr(target, "__self__", None)
        for holder in (bound, target):
            if holder is not None and not isinstance(holder, ModuleType):
                self.instance(holder)

    def undo(self) -> None:
        for step in reversed(self._undo):
            step()


@contextmanager
def virtual_sleeps(into: list[float], *also: Any) -> Iterator[VirtualClock]:
    """Within the block, sleeping (sync or async, however the function was reached) appends the delay to ``into``,
    returns at once and advances the clock that ``time.monotonic``/``time``/``perf_counter`` read for the code
    under test. ``also``: callables under test whose closures, defaults, partials and instances are searched too
    (a fetcher defined inside a function is in no module's globals). Yields the scenario's :class:`VirtualClock`."""
    clock = VirtualClock(into)
    rebinder = _Rebinder(clock.fakes())
    try:
        for module in list(sys.modules.values()):
            if not isinstance(module, ModuleType):
                continue
            namespace = getattr(module, "__dict__", None)
            if not isinstance(namespace, dict) or namespace is globals():
                continue  # this module keeps the real functions: the fakes and the comparisons need them
            # the objects of the standard library's and the test runner's modules hold no fetcher's sleep
            rebinder.namespace(namespace, objects=not _keeps_real_time(getattr(module, "__name__", None) or ""))
            for function in _holders(module, namespace):
                rebinder.function(function)
        for target in also:
            rebinder.target(target)
        yield clock
    finally:
        clock.active = False
        rebinder.undo()
