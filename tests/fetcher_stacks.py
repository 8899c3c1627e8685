"""One Hub fetcher per HTTP stack, written as a team would write it, in a correct and a buggy twin.

The correct fetcher follows the ``Link: <...>; rel="next"`` cursor, keeps each id once, and waits out a 429
(``RateLimit t=``) or a 5xx a few times before raising. Its twin is the same code that stops after page 1.
Each waits with a sleep captured at import (``from time import sleep``, ``from asyncio import sleep``): the
scenario time must still be virtual. None of them knows catalog-guard exists; the seam answers them all.

The walk itself (retries, dedupe, cursor) is shared so that the stacks differ only in how one page is fetched:
``(status, headers, body)`` for a URL.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
import sys
import threading
import time
from asyncio import sleep as async_sleep
from collections.abc import Awaitable, Callable, Iterator, Mapping
from time import sleep
from types import FrameType
from typing import Any

import httpx

from catalog_guard.retry import parse_ratelimit

FIRST_PAGE = "https://huggingface.co/api/models"  # what HfApi().list_models() asks first: the same evidence
ATTEMPTS = 4
Page = tuple[int, Mapping[str, str], bytes]
_NEXT = re.compile(r'<([^>]+)>\s*;\s*rel="?next"?')


def _next_link(headers: Mapping[str, str]) -> str | None:
    found = _NEXT.search(headers.get("link") or headers.get("Link") or "")
    return found.group(1) if found else None


def _wait(status: int, headers: Mapping[str, str]) -> float | None:
    """Seconds to wait before retrying, or ``None``: not retryable."""
    if status == 429:
        _, reset = parse_ratelimit(headers.get("ratelimit") or headers.get("RateLimit"))
        return float((reset or 1) + 1)
    return 2.0 if status >= 500 else None


def _keep(models: dict[str, Any], body: bytes) -> None:
    for model in json.loads(body):
        models.setdefault(model["id"], model)


def walk(get: Callable[[str], Page], pages: int | None = None) -> list[Any]:
    models: dict[str, Any] = {}
    url: str | None = FIRST_PAGE
    for _ in itertools.count() if pages is None else range(pages):
        if url is None:
            break
        for attempt in range(ATTEMPTS):
            status, headers, body = get(url)
            wait = _wait(status, headers)
            if wait is None or attempt == ATTEMPTS - 1:
                break
            sleep(wait)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
        _keep(models, body)
        url = _next_link(headers)
    return list(models.values())


async def walk_async(get: Callable[[str], Awaitable[Page]], pages: int | None = None) -> list[Any]:
    models: dict[str, Any] = {}
    url: str | None = FIRST_PAGE
    for _ in itertools.count() if pages is None else range(pages):
        if url is None:
            break
        for attempt in range(ATTEMPTS):
            status, headers, body = await get(url)
            wait = _wait(status, headers)
            if wait is None or attempt == ATTEMPTS - 1:
                break
            await async_sleep(wait)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
        _keep(models, body)
        url = _next_link(headers)
    return list(models.values())


# --- the stacks --------------------------------------------------------------------------------------------------


def httpx_sync(pages: int | None = None) -> list[Any]:
    with httpx.Client(timeout=30) as client:

        def get(url: str) -> Page:
            response = client.get(url)
            return response.status_code, response.headers, response.content

        return walk(get, pages)


async def httpx_async(pages: int | None = None) -> list[Any]:
    async with httpx.AsyncClient(timeout=30) as client:

        async def get(url: str) -> Page:
            response = await client.get(url)
            return response.status_code, response.headers, response.content

        return await walk_async(get, pages)


def httpx2_sync(pages: int | None = None) -> list[Any]:
    import httpx2

    def get(url: str) -> Page:
        response = httpx2.get(url, timeout=30)  # module-level, a fresh client per call
        return response.status_code, response.headers, response.content

    return walk(get, pages)


def requests_sync(pages: int | None = None) -> list[Any]:
    import requests

    with requests.Session() as session:

        def get(url: str) -> Page:
            response = session.get(url, timeout=30)
            return response.status_code, response.headers, response.content

        return walk(get, pages)


async def aiohttp_async(pages: int | None = None) -> list[Any]:
    import aiohttp

    async with aiohttp.ClientSession() as session:

        async def get(url: str) -> Page:
            async with session.get(url) as response:
                return response.status, dict(response.headers), await response.read()

        return await walk_async(get, pages)


def urllib3_sync(pages: int | None = None) -> list[Any]:
    import urllib3

    pool = urllib3.PoolManager(retries=False)

    def get(url: str) -> Page:
        response = pool.request("GET", url)
        return response.status, dict(response.headers), response.data

    return walk(get, pages)


def hf_list_models(pages: int | None = None) -> list[Any]:
    """``HfApi().list_models()`` (requests on huggingface_hub 0.x, httpx/httpx2 on 1.x/2.x), deduplicated, the
    whole listing retried after a 429; the buggy twin keeps the first page's worth."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    for attempt in range(ATTEMPTS):
        try:
            listing = HfApi().list_models()
            if pages is not None:
                listing = itertools.islice(listing, 1000 * pages)
            return list({model.id: model for model in listing}.values())  # ModelInfo objects, read by .id
        except HfHubHTTPError as error:
            response = error.response
            wait = _wait(response.status_code, response.headers) if response is not None else None
            if wait is None or attempt == ATTEMPTS - 1:
                raise
            sleep(wait)
    raise AssertionError("unreachable")


STACKS: dict[str, Callable[..., Any]] = {
    "httpx": httpx_sync,
    "httpx-async": httpx_async,
    "httpx2": httpx2_sync,
    "requests": requests_sync,
    "aiohttp": aiohttp_async,
    "urllib3": urllib3_sync,
    "huggingface_hub": hf_list_models,
}


# --- the witness that nothing really slept ------------------------------------------------------------------------

_TIME_SLEEP = time.sleep
_ASYNC_SLEEP_CODE = asyncio.sleep.__code__


@contextlib.contextmanager
def real_sleeps() -> Iterator[list[str]]:
    """Within the block, every call of the real ``time.sleep`` and every real ``asyncio.sleep`` of a positive
    delay, in this thread or one started inside the block, is listed (``sys.setprofile`` sees C calls too, so a
    reference the virtual clock missed cannot hide). Virtual time still yields with ``asyncio.sleep(0)``, which
    is not a wait."""
    seen: list[str] = []
    # a coroutine's frame is "called" again at each resumption: counted once (held, so that its id stays unique)
    started: dict[int, FrameType] = {}

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        if event == "c_call" and arg is _TIME_SLEEP:
            seen.append(f"time.sleep called from {frame.f_code.co_filename}:{frame.f_lineno}")
        elif event == "call" and frame.f_code is _ASYNC_SLEEP_CODE and id(frame) not in started:
            started[id(frame)] = frame
            delay = frame.f_locals.get("delay")
            if isinstance(delay, int | float) and delay > 0:
                seen.append(f"asyncio.sleep({delay}) from {frame.f_back.f_code.co_filename if frame.f_back else '?'}")

    previous = sys.getprofile()
    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(previous)
        threading.setprofile(None)  # type: ignore[arg-type]
