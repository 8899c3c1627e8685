"""FakeHub behaves as docs/upstreams.md says the Hub does.

Expected orders and sets come from ``hub_models`` (an oracle written apart from the fake), and the spec's literal
facts (key names, valid sorts, header formats) are typed here from the spec, not imported from the fake, so that
a wrong constant in the fake fails a test instead of agreeing with itself.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections import Counter
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from catalog_guard.fakes.hub import FakeHub, HubFault, HubSettings
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.paging import LinkHeader, WalkSettings, bare_array, walk
from hub_models import hub_order, make_models, providers_of, served_by

URL = "https://huggingface.co/api/models"
MODELS = make_models(240, seed=1)

# docs/upstreams.md §H0.16 / §H3.1, in the spec's order; pipeline_tag and library_name only when set.
SPEC_DEFAULT_KEYS = [
    "_id", "id", "likes", "trendingScore", "private", "downloads", "tags",
    "pipeline_tag", "library_name", "createdAt", "modelId",
]  # fmt: skip
SPEC_FULL_EXTRA = {"author", "sha", "lastModified", "gated", "disabled", "siblings"}
SPEC_VALID_SORTS = [
    "trendingScore", "downloads", "likes", "createdAt", "lastModified",
    "likes7d", "likes30d", "num_parameters", "mainSize", "id",
]  # fmt: skip
# huggingface.js parseLinkHeader: absolute URL, and whitespace after ';'.
HF_JS_LINK = re.compile(r'<(https?:[/][/][^>]+)>;\s+rel="([^"]+)"')


def client_for(hub: FakeHub) -> httpx.Client:
    return FakeInternet({"huggingface.co": hub}).client()


def get(hub: FakeHub, query: str = "", headers: dict[str, str] | None = None) -> httpx.Response:
    with client_for(hub) as client:
        return client.get(f"{URL}?{query}" if query else URL, headers=headers)


def walk_ids(hub: FakeHub, params: Any = None, limit: int = 1000, **walk_settings: Any) -> list[str]:
    with client_for(hub) as client:
        result = walk(
            client,
            URL,
            pagination=LinkHeader(limit=limit),
            extract=bare_array,
            params=params,
            settings=WalkSettings(**walk_settings),
            sleep=lambda _: None,
        )
    assert result.complete, result.error
    return [item["id"] for item in result.items]


def by_id(models: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {model["id"]: model for model in models}


# -- shapes ---------------------------------------------------------------------------------------------------


def test_default_shape_has_the_spec_keys_in_the_spec_order() -> None:
    body = get(FakeHub(MODELS), "limit=1000").json()
    source = by_id(MODELS)
    assert len(body) == len(MODELS)
    for shown in body:
        expected = [key for key in SPEC_DEFAULT_KEYS if key in source[shown["id"]] or key == "modelId"]
        assert list(shown) == expected
        assert shown["modelId"] == shown["id"]
    assert any("pipeline_tag" not in shown for shown in body), "the sample should include a model without a task"


def test_full_adds_the_full_keys_and_siblings_are_file_names_only() -> None:
    models = make_models(3, seed=2)
    models[0]["siblings"] = [{"rfilename": "model.safetensors", "size": 123, "blobId": "abc"}]
    body = by_id(get(FakeHub(models), "full=true").json())
    for model in models:
        assert set(body[model["id"]]) - set(SPEC_DEFAULT_KEYS) == SPEC_FULL_EXTRA
    assert body[models[0]["id"]]["siblings"] == [{"rfilename": "model.safetensors"}]


SPELLINGS = [("true", True), ("True", True), ("1", True), ("false", False), ("0", False), ("yes", False)]


@pytest.mark.parametrize(("value", "is_full"), SPELLINGS)
def test_boolean_spellings(value: str, is_full: bool) -> None:
    body = get(FakeHub(MODELS[:5]), f"full={value}").json()
    assert all(("sha" in shown) is is_full for shown in body)


def test_expand_returns_only_id_and_the_requested_keys() -> None:
    body = get(FakeHub(MODELS[:20]), "expand=author&expand[]=likes&expand=inference").json()
    for shown in body:
        model = by_id(MODELS)[shown["id"]]
        warm = any(entry["status"] == "live" for entry in model["inferenceProviderMapping"])
        assert set(shown) == {"_id", "id", "author", "likes"} | ({"inference"} if warm else set())
    assert any("inference" not in shown for shown in body), "a model that is not warm has no 'inference' key"


def test_unknown_expand_value_is_a_400() -> None:
    response = get(FakeHub(MODELS), "expand=author&expand=notAField")
    assert response.status_code == 400
    assert "notAField" in response.json()["error"]
    assert "notAField" in response.headers["x-error-message"]


def test_expand_with_full_follows_the_setting() -> None:
    assert get(FakeHub(MODELS), "expand=likes&full=true").status_code == 200
    rejecting = FakeHub(MODELS, settings=HubSettings(expand_with_full="reject"))
    assert get(rejecting, "expand=likes&full=true").status_code == 400


# -- sort and order -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sort", ["trending", "created_at", "download", "trending_score", "Likes"])
def test_invalid_sort_is_a_400_with_the_hub_message(sort: str) -> None:
    response = get(FakeHub(MODELS), f"inference_provider=hf-inference&sort={sort}")
    assert response.status_code == 400
    assert response.json() == {"error": "Invalid sort parameter"}
    assert response.headers["x-error-message"] == "Invalid sort parameter"


@pytest.mark.parametrize("sort", SPEC_VALID_SORTS)
def test_every_valid_sort_walks_in_keyset_order(sort: str) -> None:
    models = [{**model, "likes7d": model["likes"] % 5} for model in MODELS]
    for model in models[::3]:
        model["trendingScore"] = None  # nulls come last
    ids = walk_ids(FakeHub(models), {"sort": sort}, limit=17)
    assert ids == hub_order(models, sort)


def test_default_order_is_trending_and_direction_is_ignored() -> None:
    hub = FakeHub(MODELS)
    default = get(hub, "limit=1000").json()
    assert [shown["id"] for shown in default] == hub_order(MODELS, "trendingScore")
    assert get(hub, "limit=1000&sort=trendingScore").json() == default
    assert get(hub, "limit=1000&direction=1").json() == default
    likes = get(hub, "limit=1000&sort=likes").json()
    assert get(hub, "limit=1000&sort=likes&direction=1").json() == likes


# -- pagination -----------------------------------------------------------------------------------------------


def test_link_header_keeps_the_query_in_order_and_replaces_the_cursor() -> None:
    hub = FakeHub(MODELS)
    query = "search=org&filter=en&limit=50&sort=likes&direction=-1&full=false"
    first = get(hub, query)
    link = HF_JS_LINK.fullmatch(first.headers["link"])
    assert link is not None
    next_url, rel = link.groups()
    assert rel == "next"
    assert next_url.startswith(f"{URL}?{query}&cursor=")
    second = get(hub, next_url.removeprefix(f"{URL}?"))
    third = HF_JS_LINK.fullmatch(second.headers["link"])
    assert third is not None
    third_url = third.group(1)
    assert third_url.startswith(f"{URL}?{query}&cursor=")
    assert third_url.count("cursor=") == 1
    assert third_url != next_url


def test_cursor_is_a_urlencoded_base64_keyset_filter() -> None:
    response = get(FakeHub(MODELS), "limit=10&sort=likes")
    last = response.json()[-1]
    token = httpx.URL(response.links["next"]["url"]).params["cursor"]
    decoded = json.loads(base64.b64decode(token))
    assert decoded == {
        "$or": [
            {"likes": last["likes"], "_id": {"$gt": last["_id"]}},
            {"likes": {"$lt": last["likes"]}},
            {"likes": None},
        ]
    }


def test_next_links_are_built_from_the_configured_base_url() -> None:
    hub = FakeHub(MODELS, settings=HubSettings(base_url="http://localhost:5564"))
    assert get(hub, "limit=10").links["next"]["url"].startswith("http://localhost:5564/api/models?limit=10&cursor=")


def test_no_link_on_the_last_page() -> None:
    hub = FakeHub(MODELS)
    assert "link" not in get(hub, f"limit={len(MODELS)}").headers
    assert "link" in get(hub, f"limit={len(MODELS) - 1}").headers


def test_a_cursor_for_another_sort_or_garbage_is_a_400() -> None:
    hub = FakeHub(MODELS)
    likes_cursor = httpx.URL(get(hub, "limit=10&sort=likes").links["next"]["url"]).params["cursor"]
    assert get(hub, f"limit=10&sort=likes&cursor={likes_cursor}").status_code == 200
    assert get(hub, f"limit=10&sort=createdAt&cursor={likes_cursor}").status_code == 400
    assert get(hub, "limit=10&cursor=not-base64!").json() == {"error": "Invalid cursor"}


def test_offset_is_ignored() -> None:
    hub = FakeHub(MODELS)
    first = get(hub, "limit=100&offset=0").json()
    assert get(hub, "limit=100&offset=100").json() == first
    assert get(hub, "limit=100&offset=200").json() == first


def test_skip_is_ignored_unless_the_setting_honours_it() -> None:
    order = hub_order(MODELS)
    assert [m["id"] for m in get(FakeHub(MODELS), "limit=10&skip=30").json()] == order[:10]
    honouring = FakeHub(MODELS, settings=HubSettings(honour_skip=True))
    assert [m["id"] for m in get(honouring, "limit=10&skip=30").json()] == order[30:40]


def test_page_size_default_cap_and_rejection() -> None:
    models = make_models(1100, seed=4)
    hub = FakeHub(models)
    assert len(get(hub).json()) == HubSettings().default_page_size
    assert len(get(hub, "limit=5000").json()) == HubSettings().page_cap
    assert "link" in get(hub, "limit=5000").headers, "a clamped page still says there is more"
    small = FakeHub(models, settings=HubSettings(default_page_size=7, page_cap=20))
    assert len(get(small).json()) == 7
    assert len(get(small, "limit=50").json()) == 20
    rejecting = FakeHub(models, settings=HubSettings(page_cap=20, over_cap="reject"))
    assert get(rejecting, "limit=21").status_code == 400
    assert len(get(rejecting, "limit=20").json()) == 20
    for bad in ("0", "-1", "ten"):
        assert get(hub, f"limit={bad}").status_code == 400


# -- filters --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "wanted"),
    [
        ({"inference_provider": "hf-inference"}, {"hf-inference"}),
        ({"inference_provider": "hf-inference,together"}, {"hf-inference", "together"}),
        ({"inference_provider": ["hf-inference", "fal-ai"]}, {"hf-inference", "fal-ai"}),
    ],
)
def test_inference_provider_is_an_or_over_comma_and_repeated_values(params: Any, wanted: set[str]) -> None:
    expected = [model for model in MODELS if providers_of(model) & wanted]
    assert walk_ids(FakeHub(MODELS), params, limit=40) == hub_order(expected)
    assert 0 < len(expected) < len(MODELS)


def test_inference_provider_all_means_any_provider() -> None:
    models = make_models(60, seed=5)
    models[0]["inferenceProviderMapping"] = []
    expected = [model for model in models if providers_of(model)]
    assert walk_ids(FakeHub(models), {"inference_provider": "all"}) == hub_order(expected)
    assert len(expected) < len(models)


def test_author_search_filter_and_pipeline_tag() -> None:
    hub = FakeHub(MODELS)
    assert walk_ids(hub, {"author": "org3"}) == hub_order(m for m in MODELS if m["id"].startswith("org3/"))
    wanted = [m for m in MODELS if "model-1-001" in m["id"]]
    assert walk_ids(hub, {"search": "MODEL-1-001"}) == hub_order(wanted)
    both = [m for m in MODELS if {"en", "gguf"} <= set(m["tags"])]
    assert walk_ids(hub, {"filter": ["en", "gguf"]}) == hub_order(both)
    assert 0 < len(both) < len([m for m in MODELS if "en" in m["tags"]])
    assert walk_ids(hub, {"filter": "no-such-tag"}) == []
    tasks = [m for m in MODELS if m.get("pipeline_tag") == "text-to-image"]
    assert walk_ids(hub, {"pipeline_tag": "text-to-image"}) == hub_order(tasks)


def test_private_models_only_for_their_owner() -> None:
    models = make_models(40, seed=6, private_every=4)
    private = {m["id"] for m in models if m["private"]}
    owner = models[0]["author"]
    hub = FakeHub(models, settings=HubSettings(tokens={"hf_owner": owner, "hf_other": "nobody"}))
    anonymous = set(walk_ids(hub))
    assert anonymous == {m["id"] for m in models} - private
    with client_for(hub) as client:
        mine = {m["id"] for m in client.get(URL, headers={"Authorization": "Bearer hf_owner"}).json()}
        bad = client.get(URL, headers={"Authorization": "Bearer hf_wrong"})
    assert mine == anonymous | {m["id"] for m in models if m["private"] and m["author"] == owner}
    assert mine > anonymous
    assert bad.status_code == 401
    assert bad.headers["x-error-message"] == "Invalid credentials in Authorization header"


# -- headers, quota, request log ------------------------------------------------------------------------------


def assert_hub_headers(response: httpx.Response, quota: int) -> None:
    assert re.fullmatch(r'"api";r=\d+;t=\d+', response.headers["ratelimit"])
    assert response.headers["ratelimit-policy"] == f'"fixed window";"api";q={quota};w=300'
    assert re.fullmatch(r"\S+", response.headers["x-request-id"])


def test_every_response_carries_the_hub_headers() -> None:
    quota = 4
    hub = FakeHub(MODELS, settings=HubSettings(quota_anonymous=quota)).inject(HubFault.server_error(503), at=3)
    with client_for(hub) as client:
        urls = [URL, f"{URL}?sort=trending", URL, "https://huggingface.co/api/nope", URL]
        responses = [client.get(url) for url in urls]
    assert [r.status_code for r in responses] == [200, 400, 503, 404, 429]
    for response in responses:
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        assert_hub_headers(response, quota)
    request_ids = [r.headers["x-request-id"] for r in responses]
    assert len(set(request_ids)) == len(request_ids)
    assert get(FakeHub(MODELS)).headers["x-request-id"] == request_ids[0], "request ids are deterministic"


def test_a_token_gets_the_account_quota() -> None:
    hub = FakeHub(MODELS)
    assert_hub_headers(get(hub, headers={"Authorization": "Bearer hf_x"}), HubSettings().quota_token)
    assert_hub_headers(get(hub), HubSettings().quota_anonymous)


def test_quota_runs_out_into_a_429_and_the_window_resets() -> None:
    quota, window = 3, 300
    hub = FakeHub(MODELS, settings=HubSettings(quota_anonymous=quota))
    answers = [get(hub, "limit=1") for _ in range(quota + 1)]
    assert [r.status_code for r in answers] == [200] * quota + [429]
    assert [r.headers["ratelimit"] for r in answers] == [
        f'"api";r={quota - n};t={window}' for n in range(1, quota + 1)
    ] + [f'"api";r=0;t={window}']
    assert "retry-after" not in answers[-1].headers
    hub.advance(window - 100)
    assert get(hub).headers["ratelimit"] == '"api";r=0;t=100'
    hub.advance(100)
    assert get(hub, "limit=1").status_code == 200
    assert get(hub, headers={"Authorization": "Bearer hf_x"}).status_code == 200, "the token has its own bucket"


def test_retry_after_on_429_is_a_setting() -> None:
    hub = FakeHub(MODELS, settings=HubSettings(quota_anonymous=1, retry_after_on_429=True))
    get(hub)
    limited = get(hub)
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "300"


def test_requests_are_logged_with_their_authorization() -> None:
    hub = FakeHub(MODELS)
    get(hub, "limit=1")
    get(hub, "limit=2", headers={"Authorization": "Bearer hf_secret"})
    assert hub.request_count == len(hub.requests) == 2
    assert hub.authorizations == [None, "Bearer hf_secret"]
    assert [r.number for r in hub.requests] == [1, 2]
    assert hub.requests[1].url == f"{URL}?limit=2"
    assert [r.status for r in hub.requests] == [200, 200]


# -- faults ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_server_error_at_a_request_number(status: int) -> None:
    hub = FakeHub(MODELS).inject(HubFault.server_error(status), at=2)
    assert [get(hub).status_code for _ in range(3)] == [200, status, 200]
    assert [r.fault for r in hub.requests] == [None, "status", None]


def test_fault_by_url_match_with_a_cap() -> None:
    hub = FakeHub(MODELS)
    hub.inject(HubFault.server_error(502), match="sort=likes", times=1)
    hub.inject(HubFault.server_error(504), match=re.compile(r"sort=down"))
    hub.inject(HubFault.server_error(500), match=lambda url: url.params.get("author") == "org1")
    queries = ["sort=likes", "sort=likes", "sort=downloads", "sort=downloads", "author=org1", "author=org2"]
    statuses = [get(hub, query).status_code for query in queries]
    assert statuses == [502, 200, 504, 504, 500, 200]


def test_rate_limited_fault_headers() -> None:
    hub = FakeHub(MODELS).inject(HubFault.rate_limited(reset=42, retry_after=7), at=1)
    limited = get(hub)
    assert limited.status_code == 429
    assert limited.headers["ratelimit"] == '"api";r=0;t=42'
    assert limited.headers["retry-after"] == "7"


def test_malformed_and_html_faults() -> None:
    hub = FakeHub(MODELS).inject(HubFault.malformed(), at=1).inject(HubFault.html(), at=2)
    malformed, html = get(hub), get(hub)
    assert malformed.status_code == 200
    assert malformed.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        malformed.json()
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert html.text.lstrip().startswith("<!DOCTYPE html>")


def test_link_loop_points_back_at_a_served_url() -> None:
    hub = FakeHub(MODELS).inject(HubFault.link_loop(), at=2)
    first = get(hub, "limit=10")
    second = get(hub, first.links["next"]["url"].removeprefix(f"{URL}?"))
    assert second.links["next"]["url"] == hub.requests[0].url == str(first.request.url)
    assert second.json() != first.json(), "the page itself is the real second page"


# -- drift ----------------------------------------------------------------------------------------------------


def four_models() -> list[dict[str, Any]]:
    models = make_models(4, seed=9)
    for model, score in zip(models, (40, 30, 20, 10), strict=True):
        model["trendingScore"] = score
    return models


def test_a_model_whose_count_drops_reappears() -> None:
    models = four_models()
    top = models[0]["id"]
    hub = FakeHub(models, drift={1: {top: {"trendingScore": -35}}})
    ids = walk_ids(hub, limit=2, detect_repeated_pages=False)
    assert Counter(ids)[top] == 2
    assert set(ids) == {m["id"] for m in models}
    assert hub.model(top)["trendingScore"] == 5
    assert models[0]["trendingScore"] == 40, "drift must not reach the models the hub was built from"


def test_a_model_whose_count_rises_is_skipped() -> None:
    models = four_models()
    riser = models[2]["id"]
    hub = FakeHub(models, drift={1: {riser: {"trendingScore": 30}}})
    ids = walk_ids(hub, limit=2)
    assert riser not in ids
    assert sorted(ids) == sorted(m["id"] for m in models if m["id"] != riser)


def test_drift_zero_applies_before_the_first_request_and_unknown_ids_are_refused() -> None:
    models = four_models()
    hub = FakeHub(models, drift={0: {models[3]["id"]: {"trendingScore": 100}}})
    assert get(hub, "limit=1").json()[0]["id"] == models[3]["id"]
    with pytest.raises(ValueError, match="drift names models"):
        FakeHub(models, drift={1: {"nobody/nothing": {"likes": 1}}})
    with pytest.raises(ValueError, match="listed twice"):
        FakeHub(models + models[:1])


# -- properties -----------------------------------------------------------------------------------------------


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(total=st.integers(0, 220), page_size=st.integers(1, 1000), seed=st.integers(0, 10_000))
def test_cursor_walk_yields_every_model_exactly_once(total: int, page_size: int, seed: int) -> None:
    models = make_models(total, seed=seed, value_range=6)
    hub = FakeHub(models)
    ids = walk_ids(hub, limit=page_size, budget=total + 2)
    assert ids == hub_order(models)
    assert hub.request_count == max(1, math.ceil(total / page_size))


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_keyset_under_drift(data: st.DataObject) -> None:
    """What keyset pages over a moving field imply: a model whose value never moves is yielded exactly once; one
    whose value only drops, at least once; one whose value only rises, at most once. So the deduplicated walk is a
    superset of (all models - risen models).

    Why: page *j* serves exactly the models whose key (value desc, ``_id`` asc) lies in ``(c[j-1], c[j]]`` at the
    time of request *j*, with cursors ``c`` increasing and the last page open-ended. A model that never moves sits
    in exactly one such interval. A model that only drops moves only forward in key order, so for the first page
    *j* with key <= c[j] its key is also > c[j-1] (it was > c[j-1] one page earlier and only moved forward): served
    at least once. A model that only rises moves only backward: once served at *j*, its key stays <= c[j], behind
    every later page."""
    total = data.draw(st.integers(1, 90), label="total")
    page_size = data.draw(st.integers(1, 30), label="page_size")
    models = make_models(total, seed=data.draw(st.integers(0, 1000), label="seed"), value_range=8)
    steps = math.ceil(total / page_size) + 2
    signs = data.draw(st.lists(st.sampled_from([-1, 0, 1]), min_size=total, max_size=total), label="signs")
    drift: dict[int, dict[str, dict[str, int]]] = {}
    for model, sign in zip(models, signs, strict=True):
        if sign:
            size = data.draw(st.integers(1, 6), label="size")
            for step in data.draw(st.sets(st.integers(1, steps), max_size=6), label="steps"):
                drift.setdefault(step, {})[model["id"]] = {"trendingScore": sign * size}
    moved = {model_id for deltas in drift.values() for model_id, change in deltas.items() if change["trendingScore"]}
    fell = {m["id"] for m, sign in zip(models, signs, strict=True) if sign < 0} & moved
    rose = {m["id"] for m, sign in zip(models, signs, strict=True) if sign > 0} & moved
    # Repeated-page detection is off: with tiny pages a dropped model can legitimately make a page that equals
    # an earlier one, and this property is about the Hub's keyset, not about the walk's guard.
    hub = FakeHub(models, drift=drift)
    ids = walk_ids(hub, limit=page_size, budget=10 * total + 10, detect_repeated_pages=False)
    seen = Counter(ids)
    assert set(seen) <= {m["id"] for m in models}
    assert all(seen[m["id"]] == 1 for m in models if m["id"] not in moved)
    assert all(seen[model_id] >= 1 for model_id in fell)
    assert all(seen[model_id] <= 1 for model_id in rose)
    assert set(seen) >= {m["id"] for m in models} - rose


def test_served_by_helper_agrees_with_the_hub_filter() -> None:
    """The oracle's provider filter and the hub's must agree, or every figure test compares different sets."""
    assert walk_ids(FakeHub(MODELS), {"inference_provider": "hf-inference"}) == hub_order(
        served_by(MODELS, "hf-inference")
    )
