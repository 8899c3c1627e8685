"""The cassette layer: the ``catalog-guard`` format, the atomic persister, the scrub policy and strict replay.

Every check here has a case that makes it fail: the diff-size check is shown to catch vcrpy's own JSON layout, the
secret scanner is shown to find a planted token, the unplayed check names the URI it did not play, and so on.
Traffic comes from in-process fakes (``httpx.MockTransport`` via :class:`FakeInternet`); no socket is opened.
"""

from __future__ import annotations

import base64
import copy
import difflib
import gzip
import io
import json
from collections.abc import Callable
from importlib import metadata
from pathlib import Path
from typing import Any

import httpx
import pytest
import vcr
from hypothesis import example, given, settings
from hypothesis import strategies as st
from vcr import matchers as vcr_matchers
from vcr.errors import CannotOverwriteExistingCassetteException
from vcr.persisters.filesystem import CassetteNotFoundError
from vcr.request import Request
from vcr.serialize import deserialize as vcr_deserialize
from vcr.serialize import serialize as vcr_serialize

from catalog_guard.cassettes import (
    REDACTED,
    AtomicPersister,
    CassetteError,
    ScrubPolicy,
    known_secrets,
    live_provenance,
    make_vcr,
    scan_for_secrets,
    scrub,
    synthetic_provenance,
    use_cassette,
)
from catalog_guard.cassettes import format as cassette_format
from catalog_guard.cassettes.replay import query as query_matcher
from catalog_guard.cassettes.scrub import TOKEN_SHAPES
from catalog_guard.errors import CatalogGuardError
from catalog_guard.fakes.transport import FakeInternet

HUB = "huggingface.co"
PROVIDER = "api.provider.test"
HF_TOKEN = "hf_Q7vLm2XkP9rTz4WcYb8NdJf3GhA6sE1uKo"
GOOGLE_KEY = "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
STRANGER_KEY = "sk-proj-Zx81HqLwPm3Vd7TkRn5YsBc2"  # not in the environment: caught by its shape only
NO_SECRETS = ScrubPolicy(secrets={})


def hub_models(count: int = 1000, *, changed: bool = False) -> list[dict[str, Any]]:
    """Hub-shaped model objects; ``changed``: model 741 has one more download (99 -> 100, so the body length
    changes too, and with it ``content-length``)."""
    models = []
    for k in range(count):
        model_id = f"org{k % 37}/model-{k:04d}"
        models.append(
            {
                "_id": f"{k:024x}",
                "id": model_id,
                "likes": count - k,
                "trendingScore": (k * 7) % 50,
                "private": False,
                "downloads": (100 if changed else 99) if k == 741 else k * 13,
                "tags": ["transformers", "text-generation", "region:us"],
                "pipeline_tag": "text-generation",
                "library_name": "transformers",
                "createdAt": "2024-05-01T12:00:00.000Z",
                "modelId": model_id,
            }
        )
    return models


def hub_handler(models: list[dict[str, Any]], page: int = 500) -> Callable[[httpx.Request], httpx.Response]:
    """A Hub-like listing: a bare JSON array, the next page in ``Link``, deterministic headers."""

    def handle(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params.get("cursor", "0"))
        rows = models[start : start + page]
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Request-Id": f"fake-{start:06d}",
            "Date": "Tue, 21 Oct 2025 10:00:00 GMT",
            "Server": "fake",
            "Set-Cookie": "session=abc; Path=/",
        }
        if start + page < len(models):
            headers["Link"] = f'<{request.url.copy_set_param("cursor", start + page)}>; rel="next"'
        return httpx.Response(200, headers=headers, content=json.dumps(rows, separators=(",", ":")).encode())

    return handle


def walk_hub(client: httpx.Client, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    url: str | None = f"https://{HUB}/api/models?sort=likes&limit=500"
    items: list[dict[str, Any]] = []
    while url:
        response = client.get(url, headers=headers)
        response.raise_for_status()
        items.extend(response.json())
        url = response.links.get("next", {}).get("url")
    return items


def record_hub(path: Path, models: list[dict[str, Any]], **options: Any) -> FakeInternet:
    internet = FakeInternet({HUB: hub_handler(models)})
    with use_cassette(path, record_mode="once", policy=NO_SECRETS, **options), internet.client() as client:
        walk_hub(client)
    return internet


# ------------------------------------------------------------------------------------------ body rendering


@pytest.mark.parametrize(
    "text",
    [
        '[{"id": "a", "n": 1e5}, {"id":"b\\"c", "x": [1, 2]}, 0.10000000000000001, "caf\\u00e9", "café"]',
        '{"object": "list", "data": [ {"id":"a"} ,\n {"id":"b"} ], "has_more": false}',
        '{"models": [], "nextPageToken": "t"}',
        '{"a": 1, "a": 2, "data": [{"k": 1, "k": 2}]}',
        "[]",
        '[\n  [1, 2],\n  {"nested": {"deep": [true, null]}}\n]',
    ],
)
def test_json_lines_put_each_element_on_a_line_and_change_whitespace_only(text: str) -> None:
    lines = cassette_format.json_lines(text)
    assert lines is not None
    rendered = "\n".join(lines)
    assert json.loads(rendered) == json.loads(text)
    assert cassette_format.compact_json(rendered) == cassette_format.compact_json(text)  # whitespace only
    assert all("\n" not in line for line in lines)
    assert cassette_format.json_lines(rendered) == lines  # the rendering is a fixed point


JSON_TOKENS = st.one_of(
    st.text(alphabet=' ab\t\n"\\é', max_size=6).map(json.dumps),  # strings, with whitespace and escapes inside
    st.sampled_from(["{", "}", "[", "]", ":", ",", "true", "null", "-1.5e3", "0"]),
)


@settings(max_examples=300)
@given(tokens=st.lists(JSON_TOKENS, max_size=30), spaces=st.lists(st.sampled_from(["", " ", "\n", " \t\r\n"])))
def test_compact_json_drops_exactly_the_whitespace_between_tokens(tokens: list[str], spaces: list[str]) -> None:
    """Whitespace between tokens goes, whitespace in strings stays; already compact text (httpx and the fakes
    send compact JSON) is returned as it is, without being cut into tokens."""
    spaced = "".join(token + (spaces[n] if n < len(spaces) else "") for n, token in enumerate(tokens))
    compact = "".join(tokens)
    assert cassette_format.compact_json(spaced) == compact
    assert cassette_format.compact_json(compact) is compact


@pytest.mark.parametrize(
    "text",
    ['{"a": [1], "b": [2]}', '{"a": 1}', "{}", '"text"', "[1 2]", "tru e", "[1, 2] x", '{"a": [1,]}', "plain text"],
)
def test_json_lines_refuse_what_is_not_one_splittable_json_document(text: str) -> None:
    assert cassette_format.json_lines(text) is None


# ------------------------------------------------------------------------------------------ the serializer


def _cassette_dict() -> dict[str, Any]:
    """vcrpy's in-memory cassette: the kinds of interaction the suite records."""
    envelope = (
        b'{\n  "object": "list",\n  "data": [\n    {"id": "m1", "n": 1.0},\n    {"id": "m2", "n": 2e3}\n  ],\n'
        b'  "has_more": false\n}'
    )
    plain = b"upstream says no"
    binary = bytes(range(256))
    interactions = [
        (Request("GET", "https://h.test/api/models?limit=2", b"", {"Accept": "*/*"}),
         {"status": {"code": 200, "message": "OK"},
          "headers": {"Content-Type": ["application/json"], "Content-Length": ["999"], "Vary": ["a", "b"]},
          "body": {"string": b'[ {"id": "a"}, {"id": "b"} ]'}}),
        (Request("GET", "https://h.test/v1/models", b"", {"Accept": "application/json"}),
         {"status": {"code": 200, "message": "OK"},
          "headers": {"content-type": ["application/json"], "content-length": ["1"]},
          "body": {"string": envelope}}),
        (Request("POST", "https://h.test/v1/chat", b'{"model": "m1"}', {"Content-Type": "application/json"}),
         {"status": {"code": 401, "message": "Unauthorized"},
          "headers": {"content-type": ["text/plain"], "content-length": [str(len(plain))]},
          "body": {"string": plain}}),
        (Request("GET", "https://h.test/blob", b"", {}),
         {"status": {"code": 200, "message": "OK"},
          "headers": {"content-type": ["application/octet-stream"], "content-length": ["256"]},
          "body": {"string": binary}}),
        (Request("HEAD", "https://h.test/v1/models", b"", {}),
         {"status": {"code": 200, "message": "OK"},
          "headers": {"content-type": ["application/json"], "content-length": ["1234"]},
          "body": {"string": b""}}),
    ]  # fmt: skip
    return {
        "requests": [request for request, _ in interactions],
        "responses": [response for _, response in interactions],
        "metadata": {"provenance": {"seed": 1, "kind": "synthetic"}, "other": [1, 2]},
    }


def test_round_trip_gives_the_same_interactions_and_the_same_bodies() -> None:
    original = _cassette_dict()
    requests, responses, metadata = vcr_deserialize(
        vcr_serialize(copy.deepcopy(original), cassette_format), cassette_format
    )
    assert metadata == original["metadata"]
    assert len(requests) == len(original["requests"])
    for before, after in zip(original["requests"], requests, strict=True):
        assert (after.method, after.uri, after.body) == (before.method, before.uri, before.body)
        assert {k.lower(): v for k, v in after.headers.items()} == {k.lower(): v for k, v in before.headers.items()}
    for before, after in zip(original["responses"], responses, strict=True):
        assert after["status"] == before["status"]
        old, new = before["body"]["string"], after["body"]["string"]
        content_type = before["headers"].get("content-type", before["headers"].get("Content-Type"))[0]
        if "json" in content_type and old:
            assert json.loads(new) == json.loads(old)
            assert cassette_format.compact_json(new.decode()) == cassette_format.compact_json(old.decode())
        else:
            assert new == old  # text and binary bodies: byte for byte
        headers = {name.lower(): values for name, values in before["headers"].items()}
        expected_length = headers["content-length"] if before["body"]["string"] == b"" else [str(len(new))]
        assert after["headers"].pop("content-length") == expected_length  # HEAD keeps its own, others are fixed
        headers.pop("content-length")
        assert after["headers"] == headers


def test_stored_layout_splits_json_lists_and_marks_binary() -> None:
    document = json.loads(vcr_serialize(_cassette_dict(), cassette_format))
    assert list(document) == ["format", "provenance", "metadata", "interactions"]
    assert document["format"] == "catalog-guard-cassette/1"
    assert document["provenance"] == {"kind": "synthetic", "seed": 1}
    first, envelope, text, binary, _ = (item["response"] for item in document["interactions"])
    assert first["body_lines"] == ["[", '{"id":"a"},', '{"id":"b"}', "]"]
    assert envelope["body_lines"] == ['{"object":"list","data":[', '{"id":"m1","n":1.0},', '{"id":"m2","n":2e3}',
                                      '],"has_more":false}']  # fmt: skip
    assert text["body"] == "upstream says no"
    assert base64.b64decode(binary["body_base64"]) == bytes(range(256))
    assert list(first["headers"]) == sorted(first["headers"]) == ["content-length", "content-type", "vary"]
    assert first["headers"]["vary"] == ["a", "b"]


def test_same_interactions_give_identical_bytes() -> None:
    first = vcr_serialize(_cassette_dict(), cassette_format)
    assert vcr_serialize(_cassette_dict(), cassette_format) == first
    reordered = _cassette_dict()
    reordered["metadata"] = {"other": [1, 2], "provenance": {"kind": "synthetic", "seed": 1}}
    assert vcr_serialize(reordered, cassette_format) == first
    requests, responses, metadata = vcr_deserialize(first, cassette_format)
    again = {"requests": requests, "responses": responses, "metadata": metadata}
    assert vcr_serialize(again, cassette_format) == first  # load + save is a fixed point
    assert first.startswith('{\n  "format": "catalog-guard-cassette/1",\n')


def test_a_still_compressed_body_is_refused() -> None:
    cassette = _cassette_dict()
    cassette["responses"][0]["headers"]["Content-Encoding"] = ["gzip"]
    with pytest.raises(ValueError, match="decode_compressed_response"):
        vcr_serialize(cassette, cassette_format)


def test_a_gzip_response_is_stored_decoded(tmp_path: Path) -> None:
    body = json.dumps([{"id": "a"}, {"id": "b"}]).encode()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
                              content=gzip.compress(body, mtime=0))  # fmt: skip

    with use_cassette(tmp_path / "gz", record_mode="once", policy=NO_SECRETS):
        httpx.Client(transport=httpx.MockTransport(handler)).get("https://h.test/x")
    response = json.loads((tmp_path / "gz.json").read_text())["interactions"][0]["response"]
    assert "content-encoding" not in response["headers"]
    assert response["body_lines"] == ["[", '{"id":"a"},', '{"id":"b"}', "]"]


# ------------------------------------------------------------------------------------------ reviewable diffs


def _changed_lines(old: str, new: str) -> list[str]:
    diff = difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
    return [line for line in diff if line[:1] in "+-" and not line.startswith(("+++", "---"))]


def test_one_changed_model_is_a_diff_of_at_most_three_small_lines(tmp_path: Path) -> None:
    record_hub(tmp_path / "before", hub_models())
    record_hub(tmp_path / "after", hub_models(changed=True))
    old, new = (tmp_path / "before.json").read_text(), (tmp_path / "after.json").read_text()
    assert len(old) > 200_000
    added = [line for line in _changed_lines(old, new) if line.startswith("+")]
    assert 1 <= len(added) <= 3
    assert all(len(line) < 1_000 for line in added)
    assert any("model-0741" in line and '\\"downloads\\":100' in line for line in added)


def test_the_diff_check_catches_a_one_line_body(tmp_path: Path) -> None:
    """The failing case of the check above: vcrpy's own JSON serializer rewrites one huge line."""

    def record(name: str, models: list[dict[str, Any]]) -> str:
        recorder = vcr.VCR(serializer="json", decode_compressed_response=True)
        with recorder.use_cassette(str(tmp_path / name)), FakeInternet({HUB: hub_handler(models)}).client() as c:
            walk_hub(c)
        return (tmp_path / name).read_text()

    added = [line for line in _changed_lines(record("a", hub_models()), record("b", hub_models(changed=True)))
             if line.startswith("+")]  # fmt: skip
    assert any(len(line) > 50_000 for line in added)


# ------------------------------------------------------------------------------------------ the persister


def _valid_cassette(tmp_path: Path) -> Path:
    record_hub(tmp_path / "hub", hub_models(40))
    return tmp_path / "hub.json"


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[: len(data) // 2], id="truncated"),
        pytest.param(lambda data: data[:-3], id="truncated-at-the-end"),
        pytest.param(lambda data: b"", id="empty"),
        pytest.param(lambda data: b"\xff\xfe" + data, id="not-utf8"),
        pytest.param(lambda data: data.replace(b"catalog-guard-cassette/1", b"something-else/9"), id="format"),
        pytest.param(lambda data: data.replace(b'"body_lines": [', b'"body_lines": [1, '), id="bad-body"),
        pytest.param(lambda data: b"interactions:\n- request: {}\n", id="yaml"),
    ],
)
def test_a_damaged_cassette_raises_naming_the_file(tmp_path: Path, damage: Callable[[bytes], bytes]) -> None:
    path = _valid_cassette(tmp_path)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(CassetteError, match=str(path)) as caught:
        AtomicPersister.load_cassette(path, cassette_format)
    assert isinstance(caught.value, CatalogGuardError)
    assert caught.value.path == str(path)


def test_a_damaged_cassette_is_never_recorded_over(tmp_path: Path) -> None:
    path = _valid_cassette(tmp_path)
    damaged = path.read_bytes()[:1000]
    path.write_bytes(damaged)
    for mode in ("none", "once", "new_episodes", "all"):
        with pytest.raises(CassetteError, match=str(path)):
            record_hub_mode(path, mode)
        assert path.read_bytes() == damaged


def record_hub_mode(path: Path, mode: str) -> None:
    internet = FakeInternet({HUB: hub_handler(hub_models(40))})
    with use_cassette(path, record_mode=mode, policy=NO_SECRETS), internet.client() as client:
        walk_hub(client)


def test_a_missing_file_is_cassette_not_found_for_vcrpy(tmp_path: Path) -> None:
    with pytest.raises(CassetteNotFoundError):
        AtomicPersister.load_cassette(tmp_path / "nothing.json", cassette_format)


@pytest.mark.parametrize("failing", ["os.replace", "os.fsync", "serializer"])
def test_a_failed_save_leaves_the_old_file_byte_identical(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = _valid_cassette(tmp_path)
    before = path.read_bytes()
    requests, responses, *_ = AtomicPersister.load_cassette(path, cassette_format)
    cassette = {"requests": requests, "responses": [copy.deepcopy(r) for r in responses]}
    cassette["responses"][0]["body"]["string"] = b'["changed"]'

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise OSError("disk full")

    with monkeypatch.context() as patch:
        if failing == "serializer":
            cassette["responses"][0]["headers"]["content-encoding"] = ["br"]
            expected: type[Exception] = ValueError
        else:
            patch.setattr(failing, boom)
            expected = OSError
        with pytest.raises(expected):
            AtomicPersister.save_cassette(path, cassette, cassette_format)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hub.json"]  # no temporary file left behind
    cassette["responses"][0]["headers"].pop("content-encoding", None)
    AtomicPersister.save_cassette(path, cassette, cassette_format)  # and a save that works does replace it
    assert path.read_bytes() != before
    assert oct(path.stat().st_mode & 0o777) != oct(0o600)


# ------------------------------------------------------------------------------------------ record and replay


def test_record_then_replay_with_a_plain_client_never_touches_the_network(tmp_path: Path, no_sockets: None) -> None:
    models = hub_models(1200)
    internet = record_hub(tmp_path / "hub", models)
    assert len(internet.requests) == 3
    with use_cassette(tmp_path / "hub", policy=NO_SECRETS) as cassette, httpx.Client() as client:
        replayed = walk_hub(client)
    assert replayed == models
    assert cassette.play_count == 3
    assert len(internet.requests) == 3  # the fake was not asked again


def test_replay_also_works_through_a_mock_transport_client(tmp_path: Path) -> None:
    internet = record_hub(tmp_path / "hub", hub_models(100))
    with use_cassette(tmp_path / "hub", policy=NO_SECRETS), internet.client() as client:
        assert len(walk_hub(client)) == 100
    assert len(internet.requests) == 1


def test_replayed_response_has_a_consistent_content_length_and_no_volatile_headers(tmp_path: Path) -> None:
    record_hub(tmp_path / "hub", hub_models(30))
    with use_cassette(tmp_path / "hub", policy=NO_SECRETS), httpx.Client() as client:
        response = client.get(f"https://{HUB}/api/models?sort=likes&limit=500")
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["x-request-id"] == "fake-000000"  # deterministic in the fake: kept
    for dropped in ("date", "server", "set-cookie"):
        assert dropped not in response.headers


def test_a_missing_cassette_fails_at_once_with_the_record_command(tmp_path: Path) -> None:
    path = tmp_path / "providers" / "groq.json"
    with pytest.raises(CassetteError) as caught, use_cassette(path, cassette_dir=tmp_path):
        raise AssertionError("the block must not run")
    message = str(caught.value)
    assert str(path) in message
    assert "'none'" in message
    assert "catalog-guard record --only providers/groq" in message


def test_an_unmatched_request_says_which_cassette_and_how_to_re_record(tmp_path: Path) -> None:
    record_hub(tmp_path / "hub", hub_models(30))
    with (
        pytest.raises(CannotOverwriteExistingCassetteException) as caught,
        use_cassette(tmp_path / "hub", policy=NO_SECRETS),
        httpx.Client() as client,
    ):
        client.get(f"https://{HUB}/api/models?sort=downloads&limit=500")
    notes = "\n".join(getattr(caught.value, "__notes__", []))
    assert str(tmp_path / "hub.json") in notes
    assert "catalog-guard record --only hub" in notes


def test_a_partly_unplayed_cassette_fails_naming_the_unplayed_uri(tmp_path: Path) -> None:
    record_hub(tmp_path / "hub", hub_models(1200))
    with (
        pytest.raises(CassetteError) as caught,
        use_cassette(tmp_path / "hub", policy=NO_SECRETS),
        httpx.Client() as client,
    ):
        client.get(f"https://{HUB}/api/models?sort=likes&limit=500")  # page 1 of 3 only
    message = str(caught.value)
    assert "2 of 3 interactions" in message
    assert f"GET https://{HUB}/api/models?sort=likes&limit=500&cursor=500" in message
    assert f"GET https://{HUB}/api/models?sort=likes&limit=500&cursor=1000" in message
    assert "catalog-guard record --only hub" in message


def test_a_fully_played_cassette_passes_the_unplayed_check(tmp_path: Path) -> None:
    record_hub(tmp_path / "hub", hub_models(1200))
    with use_cassette(tmp_path / "hub", policy=NO_SECRETS), httpx.Client() as client:
        walk_hub(client)


@pytest.mark.parametrize(
    ("recorded", "incoming", "matches"),
    [
        ("?a=1&b=2", "?b=2&a=1", True),
        ("?a=&b=1", "?b=1", True),
        ("?q=a+b", "?q=a%20b", True),
        ("?x=1", "?x=2", False),
        ("?x=1", "?x=1&y=2", False),
    ],
)
def test_the_cached_query_matcher_agrees_with_vcrpy(recorded: str, incoming: str, matches: bool) -> None:
    left, right = (
        Request("GET", f"https://h.test/p{recorded}", b"", {}),
        Request("GET", f"https://h.test/p{incoming}", b"", {}),
    )
    for matcher in (vcr_matchers.query, query_matcher):
        if matches:
            assert matcher(left, right) is None
        else:
            with pytest.raises(AssertionError, match=r"\[\('x', '1'\)\] != \[\('x', '"):
                matcher(left, right)


def test_make_vcr_is_strict_and_uses_the_format(tmp_path: Path) -> None:
    recorder = make_vcr(cassette_dir=tmp_path)
    assert recorder.record_mode == "none"
    assert recorder.match_on == ("method", "scheme", "host", "port", "path", "query")
    assert recorder.decode_compressed_response is True
    assert recorder.serializers["catalog-guard"] is cassette_format
    assert recorder.persister is AtomicPersister
    assert recorder.matchers["query"] is query_matcher
    with pytest.raises(ValueError, match="record_mode"):
        make_vcr(record_mode="rerecord")


# ------------------------------------------------------------------------------------------ secrets


def echo_handler(request: httpx.Request) -> httpx.Response:
    """A provider that echoes the credentials it was sent, as error pages and debug endpoints do."""
    body = {
        "object": "list",
        "data": [{"id": "m1", "owned_by": "org/sk-learn-classifier-v2-large"}],
        "debug": {"auth": request.headers.get("authorization"), "url": str(request.url),
                  "google": request.headers.get("x-goog-api-key"), "leaked": STRANGER_KEY},
    }  # fmt: skip
    headers = {"Link": f'<{request.url}>; rel="self"', "Set-Cookie": f"token={HF_TOKEN}"}
    return httpx.Response(200, headers=headers, json=body)


def record_echo(path: Path, policy: ScrubPolicy) -> dict[str, Any]:
    headers = {
        "Authorization": f"Bearer {HF_TOKEN}",
        "x-goog-api-key": GOOGLE_KEY,
        "Cookie": "session=cookie-value-123",
    }
    with use_cassette(path, record_mode="once", policy=policy), FakeInternet({PROVIDER: echo_handler}).client() as c:
        return dict(c.get(f"https://{PROVIDER}/v1/models?key={GOOGLE_KEY}&limit=5", headers=headers).json())


def test_planted_secrets_never_reach_the_file_and_replay_still_matches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", HF_TOKEN)
    monkeypatch.setenv("GEMINI_API_KEY", GOOGLE_KEY)
    policy = ScrubPolicy()
    live = record_echo(tmp_path / "echo", policy)
    assert live["debug"]["auth"] == f"Bearer {HF_TOKEN}"  # the fake really echoed it
    text = (tmp_path / "echo.json").read_text()
    for secret in (HF_TOKEN, GOOGLE_KEY, STRANGER_KEY, "cookie-value-123"):
        assert secret not in text
    assert "org/sk-learn-classifier-v2-large" in text  # a model name that merely starts like a key is kept
    assert scan_for_secrets(tmp_path, policy=policy) == []
    document = json.loads(text)["interactions"][0]
    assert document["request"]["headers"]["authorization"] == REDACTED
    assert "cookie" not in document["request"]["headers"]
    assert "set-cookie" not in document["response"]["headers"]
    assert f"key={REDACTED}&limit=5" in document["request"]["uri"]
    headers = {"Authorization": f"Bearer {HF_TOKEN}", "x-goog-api-key": GOOGLE_KEY}
    with use_cassette(tmp_path / "echo", policy=policy), httpx.Client() as client:  # the real key still matches
        replayed = client.get(f"https://{PROVIDER}/v1/models?key={GOOGLE_KEY}&limit=5", headers=headers)
    assert replayed.json()["debug"]["auth"] == f"Bearer {REDACTED}"
    assert int(replayed.headers["content-length"]) == len(replayed.content)


def test_the_scanner_reports_a_planted_token_with_file_and_line(tmp_path: Path) -> None:
    record_echo(tmp_path / "echo", NO_SECRETS)
    path = tmp_path / "echo.json"
    lines = path.read_text().splitlines()
    lines.insert(5, f'    "x-leak": "{HF_TOKEN}",')
    lines.insert(9, '        "authorization": "Basic dXNlcjpwYXNz",')
    path.write_text("\n".join(lines) + "\n")
    findings = scan_for_secrets(tmp_path, policy=NO_SECRETS)
    assert [(f.file, f.line, f.what) for f in findings] == [
        (path, 6, "Hugging Face token"),
        (path, 10, "unredacted authorization header"),
    ]
    assert HF_TOKEN not in str(findings[0])


def test_the_scanner_finds_known_values_and_shapes_in_any_cassette(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(
        f"uri: https://x.test/?api_key=abc123\nAuthorization: Bearer eyJ0eXAiOiJKV1Q1\nvalue: hunter2-secret-9\n"
        f"{GOOGLE_KEY}\n"
    )
    policy = ScrubPolicy(secrets={"MY_SERVICE_TOKEN": "hunter2-secret-9"})
    found = [(f.line, f.what) for f in scan_for_secrets(tmp_path, policy=policy)]
    assert found == [
        (1, "query parameter api_key"),
        (2, "Bearer token"),
        (3, "value of $MY_SERVICE_TOKEN"),
        (4, "Google API key"),
    ]


# Pieces of text that make each pattern of the scanner match, almost match or be ruled out, in any case (also the
# characters re's IGNORECASE matches to i, s and k), on one line or split across lines.
SCAN_PIECES = [
    *(shape.prefix for shape in TOKEN_SHAPES), "aB3dE5fG7hJ9kL1mN3pQ", "0123456789ABCDEF", "abcdefghijklmnopqrst",
    *(f"\n{shape.prefix}aB3dE5fG7hJ9kL1mN3pQ0123456789ABCDEF" for shape in TOKEN_SHAPES),
    "\nBearer aB3dE5fG7hJ9kL1mN3pQ",
    "Bearer ", "bEaReR\t", "?key=", "&Token=", "?api_KEY=", "&access_token=", "%3CREDACTED%3E", REDACTED,
    '"authorization": "', '"Cookie":"', '"set-cookie":  "', '"x-goog-API-key": "', '"AUTHORİZATİON":"', '"cookıe": "',
    '"ſet-cookie": "', '"x-api-\u212aey": "', "\u212aey=", "\u0130", "\n", "\r", " ", "x", '"', "\u2028",
    "hunter2-secret-9",
]  # fmt: skip


@settings(max_examples=300)
@example([HF_TOKEN, "\n", HF_TOKEN], {})  # a hint at the start of the line after another
@given(st.lists(st.sampled_from(SCAN_PIECES), max_size=40), st.sampled_from([{}, {"MY_TOKEN": "hunter2-secret-9"}]))
def test_the_text_scan_finds_what_each_line_holds(pieces: list[str], secrets: dict[str, str]) -> None:
    """findings_in_text looks only at lines holding a pattern's hint: it finds exactly what findings_in finds
    line by line, where a hint it missed would lose a finding."""
    policy = ScrubPolicy(secrets=secrets)
    text = "".join(pieces)
    line_by_line = [(n, what) for n, line in enumerate(io.StringIO(text), start=1) for what in policy.findings_in(line)]
    assert list(policy.findings_in_text(text)) == line_by_line


def test_every_secret_header_name_holds_a_hint_of_the_text_scan() -> None:
    assert all(any(hint in name for hint in scrub._SECRET_HEADER_HINTS) for name in scrub._SECRET_HEADER_NAMES)


SCRUB_SAMPLES = [
    f"Authorization: Bearer {HF_TOKEN}",
    f"https://x.test/a?key={GOOGLE_KEY}&token=abc&pageToken=keep&access_token=x1",
    f'{{"k": "{STRANGER_KEY}", "g": "gsk_{"A1b2" * 13}", "x": "xai-{"Zz9" * 10}", "f": "fw_{"Q7" * 12}"}}',
    "AKIAIOSFODNN7EXAMPLE and sk-or-v1-" + "0123456789abcdef" * 4,
    "org/sk-learn-classifier-v2-large, hf_transfer, Bearer authentication, bearer token",
]


@pytest.mark.parametrize("sample", SCRUB_SAMPLES)
def test_scrubbing_is_idempotent_and_deterministic(sample: str) -> None:
    policy = ScrubPolicy(secrets={"HF_TOKEN": HF_TOKEN})
    once = policy.scrub_text(sample)
    assert policy.scrub_text(once) == once
    assert ScrubPolicy(secrets={"HF_TOKEN": HF_TOKEN}).scrub_text(sample) == once
    assert policy.scrub_bytes(sample.encode()) == once.encode()
    assert policy.findings_in(once) == []


def test_scrubbing_replaces_tokens_and_keeps_ordinary_text() -> None:
    policy = ScrubPolicy(secrets={})
    scrubbed = [policy.scrub_text(sample) for sample in SCRUB_SAMPLES]
    assert scrubbed[0] == f"Authorization: Bearer {REDACTED}"
    assert scrubbed[1] == f"https://x.test/a?key={REDACTED}&token={REDACTED}&pageToken=keep&access_token={REDACTED}"
    assert scrubbed[2].count(REDACTED) == 4
    assert scrubbed[3] == f"{REDACTED} and {REDACTED}"
    assert scrubbed[4] == SCRUB_SAMPLES[4]


def test_response_hook_fixes_content_length_and_returns_clean_responses_untouched() -> None:
    policy = ScrubPolicy(secrets={})
    body = f'{{"echo": "{HF_TOKEN}"}}'.encode()
    response = {"status": {"code": 200, "message": "OK"}, "body": {"string": body},
                "headers": {"Content-Length": [str(len(body))], "Date": ["x"], "X-Amz-Cf-Pop": ["FRA"],
                            "X-Request-Id": ["r1"]}}  # fmt: skip
    scrubbed = policy.before_record_response(copy.deepcopy(response))
    assert scrubbed["body"]["string"] == f'{{"echo": "{REDACTED}"}}'.encode()
    assert scrubbed["headers"] == {"Content-Length": [str(len(scrubbed["body"]["string"]))], "X-Request-Id": ["r1"]}
    assert policy.before_record_response(scrubbed) is scrubbed  # idempotent, and no copy when clean


def test_known_secrets_come_from_the_recorder_environment() -> None:
    environ = {
        "HF_TOKEN": HF_TOKEN,
        "OPENROUTER_API_KEY": "sk-or-v1-abcdef123456",
        "GEMINI_API_KEY": GOOGLE_KEY,
        "SHORT_KEY": "12345",  # below the floor: such a value occurs all over ordinary text
        "TEST_KEY": "tk9x2q",  # six characters: a short test key is still a secret
        "HOME": "/home/user-with-a-long-name",
        "ODD_TOKEN": "REDACTED",
        "ANGLE_KEY": "<abcdefgh>",
    }
    assert known_secrets(environ) == {
        "GEMINI_API_KEY": GOOGLE_KEY,
        "HF_TOKEN": HF_TOKEN,
        "OPENROUTER_API_KEY": "sk-or-v1-abcdef123456",
        "TEST_KEY": "tk9x2q",
    }


def test_a_planted_six_character_key_is_scrubbed_and_a_shorter_value_is_left_alone(tmp_path: Path) -> None:
    policy = ScrubPolicy(known_secrets({"CEREBRAS_API_KEY": "tk9x2q", "SHORT_KEY": "12345"}))
    text = 'url: https://x.test/v1?limit=12345\nbody: {"echo": "sent tk9x2q"}\n'
    assert policy.scrub_text(text) == f'url: https://x.test/v1?limit=12345\nbody: {{"echo": "sent {REDACTED}"}}\n'
    (tmp_path / "c.yaml").write_text(text)
    assert [(f.line, f.what) for f in scan_for_secrets(tmp_path, policy=policy)] == [(2, "value of $CEREBRAS_API_KEY")]


@pytest.mark.parametrize(
    ("planted", "scrubbed"),
    [
        ("https://x.test/m?apiKey=Plant3dKey&limit=5", f"https://x.test/m?apiKey={REDACTED}&limit=5"),
        ("https://x.test/m?limit=5&KEY=plantedkey", f"https://x.test/m?limit=5&KEY={REDACTED}"),
        ("https://x.test/m?Token=plantedtoken#x", f"https://x.test/m?Token={REDACTED}#x"),
        ("https://x.test/m?API_KEY=a1&Access_Token=b2", f"https://x.test/m?API_KEY={REDACTED}&Access_Token={REDACTED}"),
        ("https://x.test/m?pageToken=keep&monkey=keep", "https://x.test/m?pageToken=keep&monkey=keep"),
    ],
)
def test_planted_query_secrets_are_scrubbed_in_any_case(planted: str, scrubbed: str, tmp_path: Path) -> None:
    policy = ScrubPolicy(secrets={})
    assert policy.scrub_text(planted) == scrubbed
    assert policy.scrub_bytes(planted.encode()) == scrubbed.encode()
    assert policy.scrub_text(scrubbed) == scrubbed
    (tmp_path / "c.json").write_text(json.dumps({"link": planted}))
    assert bool(scan_for_secrets(tmp_path, policy=policy)) is (planted != scrubbed)


@pytest.mark.parametrize(
    "token",
    [
        "catalog-guard-gateway-token",
        "PlantedBearerTokenWithoutDigits",
        "abcdefghijklmnopqrstuvwxyz",
        "a.b_c~d+e/f=g-hijklmno",
    ],
)
def test_a_planted_bearer_token_without_digits_is_scrubbed(token: str, tmp_path: Path) -> None:
    policy = ScrubPolicy(secrets={})
    for bearer in ("Bearer", "bearer", "BEARER", "BeArEr"):
        text = f'{{"debug": "{bearer} {token}"}}'
        assert policy.scrub_text(text) == f'{{"debug": "{bearer} {REDACTED}"}}'
        assert policy.scrub_bytes(text.encode()) == f'{{"debug": "{bearer} {REDACTED}"}}'.encode()
    (tmp_path / "c.json").write_text(json.dumps({"debug": f"Bearer {token}"}))
    assert [f.what for f in scan_for_secrets(tmp_path, policy=policy)] == ["Bearer token"]


@settings(max_examples=300)
@given(pieces=st.lists(st.sampled_from(SCAN_PIECES), max_size=60))
def test_the_scanner_finds_what_every_rule_finds_line_by_line(pieces: list[str], tmp_path_factory: Any) -> None:
    """scan_for_secrets, end to end on a file: what it reports is what running every rule on every line reports
    (the text scan's own equivalence is test_the_text_scan_finds_what_each_line_holds)."""
    text = "".join(pieces)
    path = tmp_path_factory.mktemp("scan") / "c.json"
    path.write_text(text)
    text = path.read_text()  # as the scanner reads a file: universal newlines ("\r" ends a line too)
    every_line = [
        (number, what)
        for number, line in enumerate(io.StringIO(text), start=1)
        for what in NO_SECRETS.findings_in(line)
    ]
    assert [(f.line, f.what) for f in scan_for_secrets(path, policy=NO_SECRETS)] == every_line


@pytest.mark.parametrize(
    "text",
    [f"Authorization: Bearer {REDACTED}", f"bearer {REDACTED}", "Bearer authentication", "use a bearer token here"],
)
def test_redacted_bearers_and_prose_stay_as_they_are(text: str) -> None:
    policy = ScrubPolicy(secrets={})
    assert policy.scrub_text(text) == text
    assert policy.findings_in(text) == []


# ------------------------------------------------------------------------------------------ provenance


def test_provenance_round_trips_through_the_cassette(tmp_path: Path) -> None:
    provenance = synthetic_provenance(20251017, "catalog-guard-universe", "1", [HUB, HUB])
    assert provenance["hosts"] == [HUB]
    assert set(provenance["recorded_with"]) == {"catalog_guard", "vcrpy", "httpx"}
    assert provenance["recorded_with"]["vcrpy"] == metadata.version("vcrpy")
    record_hub(tmp_path / "hub", hub_models(40), provenance=provenance)
    document = json.loads((tmp_path / "hub.json").read_text())
    assert document["provenance"] == provenance
    with use_cassette(tmp_path / "hub", policy=NO_SECRETS) as cassette, httpx.Client() as client:
        walk_hub(client)
        assert cassette.get_metadata("provenance", None) == provenance
    live = live_provenance([HUB], "2025-10-21T10:00:00Z")
    internet = FakeInternet({HUB: hub_handler(hub_models(40))})
    with use_cassette(tmp_path / "hub", record_mode="all", provenance=live, policy=NO_SECRETS), internet.client() as c:
        walk_hub(c)
    assert json.loads((tmp_path / "hub.json").read_text())["provenance"] == live


def test_re_recording_from_the_fakes_gives_byte_identical_files(tmp_path: Path) -> None:
    provenance = synthetic_provenance(7, "test-hub", "1", [HUB])
    record_hub(tmp_path / "one", hub_models(1200), provenance=provenance)
    record_hub(tmp_path / "two", hub_models(1200), provenance=synthetic_provenance(7, "test-hub", "1", [HUB]))
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()
    internet = FakeInternet({HUB: hub_handler(hub_models(1200))})
    with (
        use_cassette(tmp_path / "one", record_mode="all", provenance=provenance, policy=NO_SECRETS),
        internet.client() as c,
    ):
        walk_hub(c)
    assert (tmp_path / "one.json").read_bytes() == (tmp_path / "two.json").read_bytes()


def test_the_re_record_check_catches_a_clock_in_provenance(tmp_path: Path) -> None:
    """The failing case of the determinism check: provenance with a wall-clock time differs between runs."""
    first = live_provenance([HUB], "2025-10-21T10:00:00Z")
    second = live_provenance([HUB], "2025-10-21T10:00:01Z")
    record_hub(tmp_path / "one", hub_models(10), provenance=first)
    record_hub(tmp_path / "two", hub_models(10), provenance=second)
    assert (tmp_path / "one.json").read_bytes() != (tmp_path / "two.json").read_bytes()


@pytest.fixture(autouse=True)
def _isolated_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the relative default cassette directory (``cassettes/``) away from the project's real one."""
    monkeypatch.chdir(tmp_path)
