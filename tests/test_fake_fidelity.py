"""Fake fidelity: the fakes must answer every recorded request the way the recording says the upstream did.

For each cassette, every recorded request is sent again, in order, to the fake that stands for its upstream (a
fresh :class:`~catalog_guard.fakes.upstreams.FakeUpstreams` set: the universe's Hub, the first day's providers,
the correct gateway, the historical deployments). The answer must match the recording in:

- the status;
- the header contract: a ``Link`` of the shape ``<absolute url>; rel="next"`` on the same host, present exactly when
  the recording has one; ``RateLimit`` and ``RateLimit-Policy`` where the upstream sent them; an ``ETag`` where
  the gateway sent one; a JSON ``content-type`` where the recording has one;
- the envelope: the same top-level keys (``object``/``data``, ``models``/``nextPageToken``, the gateway's paging
  fields) and the same paging values (``nextPageToken`` present or not, ``total``, ``has_more``, ``next_offset``);
- the ids, in order.

The shipped cassettes were recorded from these very fakes, so today this holds by construction and guards the
fakes against accidental change. Its real use comes when the corpus is re-recorded **live**
(``catalog-guard record``): then these tests fail exactly where the fakes have drifted from the real services (a
new envelope key, a page size, a header the Hub stopped sending, a model the fake does not list), which is the
list of things to fix in ``catalog_guard.fakes`` before the suite's synthetic scenarios can be trusted again.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from catalog_guard import corpus, universe
from catalog_guard.cassettes import REDACTED
from catalog_guard.fakes.providers import make_fake
from catalog_guard.fakes.upstreams import FakeUpstreams

SHIPPED = corpus.find_cassettes_dir(environ={})
NAMES = list(corpus.MANIFEST)
LINK_NEXT = re.compile(r'^<(https?://[^>\s]+)>; rel="next"$')
RATE_LIMIT_HEADERS = ("ratelimit", "ratelimit-policy")
PAGING_FIELDS = ("total", "returned", "offset", "limit", "has_more", "next_offset", "gateway")
CREDENTIALS = {"authorization": "Bearer catalog-guard-fidelity-token", "x-goog-api-key": "fidelity-token"}


def request_of(recorded: corpus.Interaction) -> httpx.Request:
    """The recorded request, with a stand-in credential where the recording has ``<REDACTED>``."""
    headers = {}
    for name, values in recorded.request_headers.items():
        value = values[0]
        if value == REDACTED or value.endswith(f" {REDACTED}"):
            value = CREDENTIALS.get(name, "catalog-guard-fidelity-token")
        headers[name] = value
    return httpx.Request(recorded.method, recorded.uri, headers=headers, content=recorded.request_body)


def parsed(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def ids(body: Any) -> list[str | None] | None:
    items = corpus.body_items(body)
    return None if items is None else [corpus.item_id(item) for item in items]


def differences(recorded: corpus.Interaction, answer: httpx.Response) -> list[str]:
    """How the fake's ``answer`` departs from the ``recorded`` response (empty: it keeps the contract)."""
    found: list[str] = []
    where = f"{recorded.method} {recorded.uri}"
    if answer.status_code != recorded.status:
        found.append(f"{where}: status {answer.status_code}, recorded {recorded.status}")
    found += _header_differences(where, recorded, answer)
    before, after = parsed(recorded.body), parsed(answer.content)
    if isinstance(before, dict) != isinstance(after, dict) or isinstance(before, list) != isinstance(after, list):
        found.append(f"{where}: body is {type(after).__name__}, recorded {type(before).__name__}")
        return found
    if isinstance(before, dict) and isinstance(after, dict):
        if sorted(before) != sorted(after):
            found.append(f"{where}: envelope keys {sorted(after)}, recorded {sorted(before)}")
        if ("nextPageToken" in before) != ("nextPageToken" in after):
            found.append(f"{where}: nextPageToken {'missing' if 'nextPageToken' in before else 'unexpected'}")
        for name in PAGING_FIELDS:
            if name in before and before.get(name) != after.get(name):
                found.append(f"{where}: {name}={after.get(name)!r}, recorded {before[name]!r}")
    if ids(before) != ids(after):
        recorded_ids, fake_ids = ids(before) or [], ids(after) or []
        missing = sorted(set(recorded_ids) - set(fake_ids), key=str)[:3]
        extra = sorted(set(fake_ids) - set(recorded_ids), key=str)[:3]
        found.append(
            f"{where}: ids differ ({len(fake_ids)} vs {len(recorded_ids)} recorded; "
            f"missing {missing}, extra {extra}, or another order)"
        )
    return found


def _header_differences(where: str, recorded: corpus.Interaction, answer: httpx.Response) -> list[str]:
    found: list[str] = []
    recorded_link, link = recorded.header("link"), answer.headers.get("link")
    if (recorded_link is None) != (link is None):
        found.append(f"{where}: Link {'missing' if link is None else 'unexpected'}")
    elif recorded_link is not None and link is not None:
        expected, actual = LINK_NEXT.match(recorded_link), LINK_NEXT.match(link)
        if actual is None:
            found.append(f'{where}: Link {link!r} is not <absolute url>; rel="next"')
        elif expected is not None and httpx.URL(actual[1]).host != httpx.URL(expected[1]).host:
            found.append(f"{where}: Link leads to {httpx.URL(actual[1]).host}, recorded {httpx.URL(expected[1]).host}")
    for name in RATE_LIMIT_HEADERS:
        if recorded.header(name) is not None and name not in answer.headers:
            found.append(f"{where}: {name} header missing")
    if recorded.header("etag") is not None and "etag" not in answer.headers:
        found.append(f"{where}: ETag missing")
    if "json" in (recorded.header("content-type") or "") and "json" not in answer.headers.get("content-type", ""):
        found.append(f"{where}: content-type {answer.headers.get('content-type')!r}, recorded JSON")
    return found


@pytest.mark.parametrize("name", NAMES)
def test_the_fake_answers_every_recorded_request_as_recorded(name: str) -> None:
    recording = corpus.MANIFEST[name]
    cassette = corpus.read_cassette(corpus.cassette_path(name, SHIPPED))
    internet = FakeUpstreams().internet(recording)
    found: list[str] = []
    for recorded in cassette.interactions:
        found += differences(recorded, internet.handle(request_of(recorded)))
    assert found == [], f"{len(found)} difference(s) between the fake and {name}:\n" + "\n".join(found[:20])


# ------------------------------------------------------------------------------------------------ failing cases


def recorded_page(name: str, index: int = 0) -> corpus.Interaction:
    return corpus.read_cassette(corpus.cassette_path(name, SHIPPED)).interactions[index]


def answer_of(recorded: corpus.Interaction, **changes: Any) -> httpx.Response:
    headers = {name: values[0] for name, values in recorded.headers.items()}
    headers.update(changes.pop("headers", {}))
    for name in changes.pop("drop_headers", ()):
        headers.pop(name, None)
    return httpx.Response(changes.pop("status", recorded.status), headers=headers, content=changes.pop("content"))


def test_an_identical_answer_has_no_differences() -> None:
    recorded = recorded_page("huggingface/cursor")
    assert differences(recorded, answer_of(recorded, content=recorded.body)) == []


def test_a_missing_link_and_rate_limit_are_differences() -> None:
    recorded = recorded_page("huggingface/cursor")
    assert recorded.header("link") is not None
    answer = answer_of(recorded, content=recorded.body, drop_headers=("link", "ratelimit"))
    found = differences(recorded, answer)
    assert any("Link missing" in line for line in found)
    assert any("ratelimit header missing" in line for line in found)


def test_a_link_of_another_shape_or_host_is_a_difference() -> None:
    recorded = recorded_page("huggingface/cursor")
    relative = answer_of(recorded, content=recorded.body, headers={"link": '</api/models?cursor=x>; rel="next"'})
    foreign = answer_of(
        recorded, content=recorded.body, headers={"link": '<https://hub.example/api/models?cursor=x>; rel="next"'}
    )
    assert any("is not <absolute url>" in line for line in differences(recorded, relative))
    assert any("Link leads to hub.example" in line for line in differences(recorded, foreign))


def test_a_missing_model_and_a_lost_page_token_are_differences() -> None:
    recorded = recorded_page("providers/google")
    body = json.loads(recorded.body)
    assert "nextPageToken" in body
    body["models"] = body["models"][1:]
    del body["nextPageToken"]
    found = differences(recorded, answer_of(recorded, content=json.dumps(body).encode()))
    assert any("nextPageToken missing" in line for line in found)
    assert any("envelope keys" in line for line in found)
    assert any("ids differ" in line for line in found)


def test_a_status_and_a_paging_field_that_changed_are_differences() -> None:
    recorded = recorded_page("gateway/current")
    body = json.loads(recorded.body)
    body["has_more"] = not body["has_more"]
    found = differences(recorded, answer_of(recorded, content=json.dumps(body).encode(), status=500))
    assert any("status 500" in line for line in found)
    assert any("has_more=" in line for line in found)


def test_the_requests_go_out_with_a_stand_in_credential() -> None:
    recorded = recorded_page("providers/groq")
    assert recorded.request_headers["authorization"] == [REDACTED]
    assert request_of(recorded).headers["authorization"] == CREDENTIALS["authorization"]


def test_a_fake_that_drifted_from_the_recording_is_caught() -> None:
    recording = corpus.MANIFEST["providers/groq"]
    offers = universe.build().catalogs[universe.DAY_1]["groq"]
    drifted = FakeUpstreams(providers={"groq": lambda: make_fake("groq", offers[1:])}).internet(recording)
    cassette = corpus.read_cassette(corpus.cassette_path(recording.name, SHIPPED))
    found = [line for i in cassette.interactions for line in differences(i, drifted.handle(request_of(i)))]
    assert len(found) == 1
    assert "ids differ" in found[0]
    assert offers[0].id in found[0]
