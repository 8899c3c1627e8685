"""Virtual waits: every ``time.sleep``/``asyncio.sleep`` the code under test asks for is recorded, not slept.

Patching the module attributes (``time.sleep``) is not enough: a fetcher that did ``from time import sleep``
at import, or took ``sleep=time.sleep`` as a default argument, holds the real function, and the product's own
reference fetcher then really waited 4 s in the 429 scenario. ``time.sleep`` is a builtin, so its behaviour
cannot be changed in place (the clock-level libraries, time-machine and freezegun, move the clock's readings but
leave ``sleep`` real). :func:`virtual_sleeps` therefore rebinds every *reference* to the real functions it can
reach, for the duration of a block, and puts each back afterwards:

- the ``time``/``asyncio`` module attributes;
- every loaded module's globals (``from time import sleep``, ``from asyncio import sleep``);
- default arguments of functions and methods defined at module or class level (``sleep=time.sleep``);
- the closure cells and defaults of the callable under test itself.

Limits (docs/architecture.md): a real ``sleep`` kept in a ``functools.partial``, an instance attribute or a
container is not found; ``threading.Event.wait``/``Condition.wait`` and ``anyio.sleep``/trio wait for real;
the clock (``time.monotonic``) is not moved, so code that waits by polling the clock waits for real.
"""

from __future__ import annotations

import asyncio
import functools
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FunctionType, ModuleType
from typing import Any

_REAL_TIME_SLEEP = time.sleep
_REAL_ASYNC_SLEEP = asyncio.sleep


def _functions_of(namespace: dict[str, Any]) -> Iterator[FunctionType]:
    for value in list(namespace.values()):
        if isinstance(value, FunctionType):
            yield value
        elif isinstance(value, type):
            for member in list(vars(value).values()):
                # only plain types are looked into: getattr on a lazy object (six.moves) would import things
                inner = member.__func__ if isinstance(member, staticmethod | classmethod) else member
                if isinstance(inner, FunctionType):
                    yield inner


# Per module (by identity), the functions whose defaults hold a real sleep: looking into every class of every
# loaded module costs about 0.2 s, and modules do not grow new functions once imported (a module imported later
# is a new entry). Module globals are re-read on every call.
_HOLDERS: dict[int, tuple[ModuleType, list[FunctionType]]] = {}


def _holds_sleep(function: FunctionType) -> bool:
    defaults = [*(function.__defaults__ or ()), *(function.__kwdefaults__ or {}).values()]
    return any(d is _REAL_TIME_SLEEP or d is _REAL_ASYNC_SLEEP for d in defaults)


def _holders(module: ModuleType, namespace: dict[str, Any]) -> list[FunctionType]:
    cached = _HOLDERS.get(id(module))
    if cached is None or cached[0] is not module:
        cached = (module, [f for f in _functions_of(namespace) if _holds_sleep(f)])
        _HOLDERS[id(module)] = cached
    return cached[1]


class _Rebinder:
    """Swaps references to the real sleeps for the fakes, remembering how to undo each swap."""

    def __init__(self, fakes: dict[int, Any]) -> None:
        self._fakes = fakes
        self._undo: list[Callable[[], None]] = []

    def fake_for(self, value: Any) -> Any:
        return self._fakes.get(id(value)) if value is _REAL_TIME_SLEEP or value is _REAL_ASYNC_SLEEP else None

    def namespace(self, namespace: dict[str, Any]) -> None:
        for key, value in list(namespace.items()):
            fake = self.fake_for(value)
            if fake is not None:
                namespace[key] = fake
                self._undo.append(functools.partial(namespace.__setitem__, key, value))

    def function(self, function: FunctionType) -> None:
        defaults = function.__defaults__
        if defaults and any(self.fake_for(d) is not None for d in defaults):
            function.__defaults__ = tuple(self.fake_for(d) or d for d in defaults)
            self._undo.append(lambda: setattr(function, "__defaults__", defaults))
        kwdefaults = function.__kwdefaults__
        if kwdefaults and any(self.fake_for(d) is not None for d in kwdefaults.values()):
            function.__kwdefaults__ = {k: self.fake_for(d) or d for k, d in kwdefaults.items()}
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

    def undo(self) -> None:
        for step in reversed(self._undo):
            step()


@contextmanager
def virtual_sleeps(into: list[float], *also: Any) -> Iterator[list[float]]:
    """Within the block, sleeping (sync or async, however the function was reached) appends the delay to
    ``into`` and returns at once. ``also``: callables under test whose closures and defaults are searched too
    (a fetcher defined inside a function is in no module's globals)."""

    def fake_sleep(seconds: float) -> None:
        into.append(float(seconds))

    async def fake_async_sleep(delay: float, result: Any = None) -> Any:
        if delay > 0:
            into.append(float(delay))
        await _REAL_ASYNC_SLEEP(0)  # still yield to the loop: libraries use sleep(0) to let others run
        return result

    rebinder = _Rebinder({id(_REAL_TIME_SLEEP): fake_sleep, id(_REAL_ASYNC_SLEEP): fake_async_sleep})
    try:
        for module in list(sys.modules.values()):
            if not isinstance(module, ModuleType):
                continue
            namespace = getattr(module, "__dict__", None)
            if not isinstance(namespace, dict) or namespace is globals():
                continue  # this module keeps the real functions: the fakes and the comparisons need them
            rebinder.namespace(namespace)
            for function in _holders(module, namespace):
                rebinder.function(function)
        for target in also:
            candidates = (target, getattr(target, "__func__", None), getattr(target, "__wrapped__", None))
            for candidate in candidates:
                if isinstance(candidate, FunctionType):
                    rebinder.function(candidate)
        yield into
    finally:
        rebinder.undo()
