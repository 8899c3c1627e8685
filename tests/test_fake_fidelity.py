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

A paging token is the upstream's own opaque value: where a recorded request follows a recorded ``Link`` or
``nextPageToken``, the fake's own token for that step is sent instead (:func:`replayed`), so what is compared is
that the fake pages where the upstream paged, not the bytes of its tokens.

The shipped cassettes were recorded from these very fakes, so today this holds by construction and guards the
fakes against accidental change. Its real use comes when the corpus is re-recorded **live**
(``catalog-guard record``). A live cassette is not compared with the universe's invented catalogs: its fake is
built from what it recorded (:func:`~catalog_guard.fakes.upstreams.recorded_upstreams`: the Hub over the recorded
cursor walk's models, a provider over its recorded rows), so these tests fail exactly where the fakes' *behaviour*
has drifted from the real services (a new envelope key, a page size, a header the Hub stopped sending, another
order), which is the list of things to fix in ``catalog_guard.fakes`` before the suite's synthetic scenarios can
be trusted again. A live ``gateway/current`` is skipped: that gateway is what the contract checks judge, and the
fake gateway is the reference, not a model of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
import pytest

import live_corpus
from catalog_guard import corpus, gateways, universe
from catalog_guard.cassettes import REDACTED
from catalog_guard.fakes.hub import FakeHub
from catalog_guard.fakes.providers import make_fake
from catalog_guard.fakes.upstreams import FakeUpstreams, recorded_upstreams
from catalog_guard.records import any_id

SHIPPED = corpus.find_cassettes_dir(environ={})
NAMES = list(corpus.MANIFEST)
LINK_NEXT = re.compile(r'^<(https?://[^>\s]+)>; rel="next"$')
RATE_LIMIT_HEADERS = ("ratelimit", "ratelimit-policy")
PAGING_FIELDS = ("total", "returned", "offset", "limit", "has_more", "next_offset", "gateway")
CREDENTIALS = {"authorization": "Bearer catalog-guard-fidelity-token", "x-goog-api-key": "fidelity-token"}


def request_of(recorded: corpus.Interaction, tokens: dict[tuple[str, str], str] | None = None) -> httpx.Request:
    """The recorded request, with a stand-in credential where the recording has ``<REDACTED>``, and each query
    parameter found in ``tokens`` (``(name, recorded value) -> the fake's value``) replaced."""
    headers = {}
    for name, values in recorded.request_headers.items():
        value = values[0]
        if value == REDACTED or value.endswith(f" {REDACTED}"):
            value = CREDENTIALS.get(name, "catalog-guard-fidelity-token")
        headers[name] = value
    url = httpx.URL(recorded.uri)
    for name, value in url.params.multi_items():
        if tokens and (name, value) in tokens:
            url = url.copy_set_param(name, tokens[(name, value)])
    return httpx.Request(recorded.method, url, headers=headers, content=recorded.request_body)


def next_link(header: str | None) -> httpx.URL | None:
    match = LINK_NEXT.match(header or "")
    return httpx.URL(match[1]) if match else None


def learn_tokens(recorded: corpus.Interaction, answer: httpx.Response, tokens: dict[tuple[str, str], str]) -> None:
    """Where the recording and the fake each gave a next step, map the recorded token to the fake's: every query
    parameter of the next ``Link`` that differs (the Hub's ``cursor``), and ``nextPageToken`` (Google)."""
    before, after = next_link(recorded.header("link")), next_link(answer.headers.get("link"))
    if before is not None and after is not None:
        for name, value in before.params.multi_items():
            theirs = after.params.get(name)
            if theirs is not None and theirs != value:
                tokens[(name, value)] = theirs
    if b"nextPageToken" in recorded.body:
        recorded_body, answer_body = parsed(recorded.body), parsed(answer.content)
        if isinstance(recorded_body, dict) and isinstance(answer_body, dict):
            mine, theirs = recorded_body.get("nextPageToken"), answer_body.get("nextPageToken")
            if isinstance(mine, str) and isinstance(theirs, str) and mine != theirs:
                tokens[("pageToken", mine)] = theirs


def replayed(
    interactions: Iterable[corpus.Interaction],
    handle: Callable[[httpx.Request], httpx.Response],
    *,
    follow_tokens: bool = True,
) -> Iterator[tuple[corpus.Interaction, httpx.Response]]:
    """Every recorded request sent again, in order, to ``handle``, with the fake's own paging tokens where the
    recording followed the upstream's (``follow_tokens=False``: the recorded tokens, verbatim)."""
    tokens: dict[tuple[str, str], str] = {}
    for recorded in interactions:
        answer = handle(request_of(recorded, tokens))
        if follow_tokens:
            learn_tokens(recorded, answer, tokens)
        yield recorded, answer


def parsed(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def ids(body: Any) -> list[str | None] | None:
    items = corpus.body_items(body)
    return None if items is None else [any_id(item) for item in items]


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


def fakes_for(name: str, directory: Path = SHIPPED) -> FakeUpstreams:
    """The fakes cassette ``name`` is held to: the universe's for a synthetic cassette; for a live one, fakes over
    the recorded data, so that the behaviour is compared and not the universe's invented ids (skips where no fair
    fake exists)."""
    if not corpus.is_live(name, directory):
        return FakeUpstreams()
    recording = corpus.MANIFEST[name]
    if recording.upstream == corpus.GATEWAY:
        pytest.skip(
            f"{name} was recorded live from a gateway: that gateway is judged by the contract checks; the fake "
            "gateway is the reference implementation, not a model of it"
        )
    if recording.upstream == gateways.HUGGINGFACE and not corpus.is_live("huggingface/cursor", directory):
        pytest.skip(
            f"{name} is live but huggingface/cursor is synthetic, and the Hub fake is built from the recorded cursor "
            "walk: re-record the Hub as a whole (catalog-guard record --only huggingface)"
        )
    return recorded_upstreams(directory)


def fidelity_differences(
    name: str, directory: Path = SHIPPED, fakes: FakeUpstreams | None = None, *, follow_tokens: bool = True
) -> list[str]:
    """How the fake departs from every recorded interaction of cassette ``name`` (default fakes: :func:`fakes_for`)."""
    cassette = corpus.read_cassette(corpus.cassette_path(name, directory))
    internet = (fakes or fakes_for(name, directory)).internet(corpus.MANIFEST[name])
    pairs = replayed(cassette.interactions, internet.handle, follow_tokens=follow_tokens)
    return [line for recorded, answer in pairs for line in differences(recorded, answer)]


@pytest.mark.parametrize("name", NAMES)
def test_the_fake_answers_every_recorded_request_as_recorded(name: str) -> None:
    found = fidelity_differences(name)
    assert found == [], f"{len(found)} difference(s) between the fake and {name}:\n" + "\n".join(found[:20])


@pytest.mark.parametrize("name", ["providers/groq", "providers/google"])
def test_a_live_provider_cassette_is_held_to_a_fake_over_its_recorded_rows(name: str, tmp_path: Path) -> None:
    directory = live_corpus.copy_corpus(tmp_path / "cassettes")
    live_corpus.record_live(directory, name)
    # Held to the universe's fake, as before, a live recording differs by construction: other ids.
    assert any("ids differ" in line for line in fidelity_differences(name, directory, FakeUpstreams()))
    # Held to a fake over its own recorded rows, the behaviour is compared, and it is the same.
    assert fidelity_differences(name, directory) == []
    # A synthetic neighbour in the same corpus is still held to the universe's fake.
    assert fidelity_differences("providers/xai", directory) == []


def test_the_real_services_page_tokens_are_followed_by_the_fakes_own(tmp_path: Path) -> None:
    directory = live_corpus.copy_corpus(tmp_path / "cassettes")
    live_corpus.record_live(directory, "providers/google")
    verbatim = fidelity_differences("providers/google", directory, follow_tokens=False)
    assert any("status 400, recorded 200" in line for line in verbatim)  # the fake cannot read Google's token
    assert fidelity_differences("providers/google", directory) == []


def test_a_live_gateway_recording_is_not_held_to_the_reference_gateway(tmp_path: Path) -> None:
    name = "gateway/current"
    path = corpus.cassette_path(name, tmp_path)
    path.parent.mkdir(parents=True)
    provenance = {"kind": "live", "recorded_at": live_corpus.RECORDED_AT, "hosts": [corpus.MANIFEST[name].host]}
    path.write_text(json.dumps({"format": "catalog-guard-cassette/1", "provenance": provenance, "interactions": []}))
    with pytest.raises(pytest.skip.Exception, match="judged by the contract checks"):
        fakes_for(name, tmp_path)


def test_a_recorded_hub_cursor_is_followed_by_the_fakes_own() -> None:
    """The Hub's cursor is opaque: a recording of the real Hub carries the Hub's own, which the fake cannot read."""
    first, second, *rest = corpus.read_cassette(corpus.cassette_path("huggingface/cursor", SHIPPED)).interactions
    link = next_link(first.header("link"))
    assert link is not None
    assert httpx.URL(second.uri).params["cursor"] == link.params["cursor"]
    real = link.copy_set_param("cursor", "eyJyZWFsIjoiaHViIn0")
    interactions = [
        replace(first, headers={**first.headers, "link": [f'<{real}>; rel="next"']}),
        replace(second, uri=str(httpx.URL(second.uri).copy_set_param("cursor", "eyJyZWFsIjoiaHViIn0"))),
        *rest,
    ]
    hub = FakeHub.from_universe(universe.build())
    verbatim = [line for r, a in replayed(interactions, hub, follow_tokens=False) for line in differences(r, a)]
    assert any("status 400, recorded 200" in line for line in verbatim)
    hub = FakeHub.from_universe(universe.build())
    assert [line for r, a in replayed(interactions, hub) for line in differences(r, a)] == []


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
