"""Each contract check passes on the reference gateway and fails, with its own name and a useful message, on a
gateway that breaks exactly its promise.

The gallery (tests/test_gallery.py) shows the *known* regressions caught; here every check also gets a minimal
tampering of the reference gateway's responses, so checks that no historical regression exercised (schema,
paging arithmetic, alias, early stop) have a demonstrated failing case too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from catalog_guard import checks
from catalog_guard import universe as u
from catalog_guard.fakes.gateway import FakeGateway, current_state
from catalog_guard.gateways import GATEWAY_URL
from catalog_guard.observe import Observation, ObservePlan, observe
from catalog_guard.target import GatewayTarget

Body = dict[str, Any]
Tamper = Callable[[httpx.Request, Body], Body | None]


def universe_context(**config: Any) -> checks.Context:
    """Truth and baseline computed from the universe the reference gateway serves."""
    world = u.build()
    truth = {"huggingface": frozenset(m["id"] for m in u.hub_order(world.hub_models))}
    truth |= {g: frozenset(o.id for o in offers) for g, offers in world.catalogs[u.DAY_1].items()}
    return checks.Context(
        truth=truth, baseline={g: len(ids) for g, ids in truth.items()}, config=checks.ContractConfig(**config)
    )


def tampered(tamper: Tamper) -> Callable[[httpx.Request], httpx.Response]:
    """The reference gateway, with ``tamper`` rewriting the JSON body of its 200 ``/v1/models`` answers."""
    gateway = FakeGateway(current_state())

    def handler(request: httpx.Request) -> httpx.Response:
        response = gateway(request)
        if response.status_code != 200 or request.url.path != "/v1/models":
            return response
        body = tamper(request, json.loads(response.content))
        if body is None:
            return response
        return httpx.Response(200, json=body, headers={"ETag": response.headers.get("etag", "")})

    return handler


PLAN = ObservePlan(gateways=("huggingface", "groq", "google"))


def observed(handler: Callable[[httpx.Request], httpx.Response], plan: ObservePlan = PLAN) -> Observation:
    target = GatewayTarget(base_url=GATEWAY_URL, handler=handler)
    with target.client() as client:
        return observe(client, GATEWAY_URL, plan, sleep=target.sleep())


def failing(seen: Observation, **config: Any) -> dict[str, checks.CheckResult]:
    return {r.name: r for r in checks.run_checks(seen, universe_context(**config)) if not r.passed}


@pytest.fixture(scope="module")
def reference() -> Observation:
    return observed(FakeGateway(current_state()))


def test_reference_gateway_passes_every_check(reference: Observation) -> None:
    assert failing(reference) == {}
    assert len(checks.CHECKS) == len(checks.run_checks(reference, universe_context()))


def gateway_of(request: httpx.Request) -> str:
    return request.url.params.get("gateway", "")


def test_schema_flags_a_model_without_id() -> None:
    def drop_id(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "groq" and body["data"]:
            body["data"][0]["id"] = ""
        return body

    found = failing(observed(tampered(drop_id)))
    assert "schema" in found
    assert any("id" in v.message for v in found["schema"].violations)


def test_paging_arithmetic_flags_a_lying_has_more() -> None:
    def lie(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "google":
            body["has_more"] = not body["has_more"]
        return body

    seen = observed(tampered(lie), ObservePlan(gateways=("google",), include_all=False))
    assert "paging-arithmetic" in failing(seen)


def test_paging_arithmetic_flags_a_wrong_next_offset() -> None:
    def skip_ahead(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "huggingface" and body.get("has_more"):
            body["next_offset"] = body["offset"] + body["returned"] + 7
        return body

    found = failing(observed(tampered(skip_ahead), ObservePlan(gateways=("huggingface",), include_all=False)))
    assert "paging-arithmetic" in found
    messages = [v.message for v in found["paging-arithmetic"].violations]
    assert any("next_offset=" in message for message in messages)
    assert any("walk collected" in message for message in messages)  # the skipped models are missing too


def test_alias_flags_a_diverging_alias() -> None:
    def stale_alias(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "hug":
            body["data"] = body["data"][:-1]
            body["returned"] -= 1
        return body

    assert "alias" in failing(observed(tampered(stale_alias)))


def test_offset_progression_flags_an_early_short_page() -> None:
    def short_first_page(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "huggingface" and body["offset"] == 0 and body["limit"] == 100:
            body["data"] = body["data"][:60]
            body["returned"] = 60
            body["next_offset"] = 100  # the gateway still pages by limit: 40 models fall through
        return body

    found = failing(observed(tampered(short_first_page), ObservePlan(gateways=("huggingface",), include_all=False)))
    assert "offset-progression" in found


def test_page_bounds_flags_an_echoed_offset_that_lies() -> None:
    def wrong_offset(request: httpx.Request, body: Body) -> Body | None:
        body["offset"] = 0
        return body

    found = failing(observed(tampered(wrong_offset), ObservePlan(gateways=("groq",), include_all=False)))
    assert "page-bounds" not in found  # groq fits in one page: offset 0 is the truth there
    found = failing(observed(tampered(wrong_offset), ObservePlan(gateways=("huggingface",), include_all=False)))
    assert "page-bounds" in found


def test_coverage_floor_and_count_tolerance_are_configurable() -> None:
    def drop_some(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "google":
            body["data"] = [m for m in body["data"] if not m["id"].endswith("1")]
        return body

    plan = ObservePlan(gateways=("google",), include_all=False, probe_parameters=False)
    seen = observed(tampered(drop_some), plan)
    listed = len(set(seen.walks["google"].ids))
    upstream = len(u.build().catalogs[u.DAY_1]["google"])
    assert listed < upstream
    ratio = listed / upstream
    assert {"coverage", "count-floor"} <= set(failing(seen))
    loose = failing(seen, coverage_floor=ratio, count_tolerance=1 - ratio + 1e-9)
    assert "coverage" not in loose
    assert "count-floor" not in loose


def test_violation_messages_say_what_went_wrong() -> None:
    from catalog_guard.fakes.gateway import Regression

    found = failing(observed(FakeGateway(current_state(), Regression.G4), ObservePlan(gateways=("huggingface",))))
    message = found["coverage"].violations[0].message
    upstream = len(u.hub_order(u.build().hub_models))
    assert f"of the {upstream:,} models" in message
    assert found["coverage"].violations[0].evidence["covered"] < upstream


def test_page_bounds_flags_returned_that_is_not_len_data() -> None:
    def miscount(request: httpx.Request, body: Body) -> Body | None:
        body["returned"] = len(body["data"]) + 1
        return body

    found = failing(observed(tampered(miscount), ObservePlan(gateways=("groq",), include_all=False)))
    assert any("returned=" in v.message for v in found["page-bounds"].violations)


def test_page_bounds_flags_envelope_fields_of_the_wrong_type() -> None:
    def stringly(request: httpx.Request, body: Body) -> Body | None:
        body["total"] = str(body["total"])
        return body

    found = failing(observed(tampered(stringly), ObservePlan(gateways=("groq",), include_all=False)))
    assert any("wrong type" in v.message for v in found["page-bounds"].violations)


def test_page_bounds_flags_an_echoed_limit_that_lies() -> None:
    def other_limit(request: httpx.Request, body: Body) -> Body | None:
        body["limit"] = 50
        return body

    found = failing(observed(tampered(other_limit), ObservePlan(gateways=("groq",), include_all=False)))
    assert any("answered limit=50" in v.message for v in found["page-bounds"].violations)


def test_offset_progression_flags_a_walk_that_differs_from_the_single_listing() -> None:
    def reordered(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "google" and request.url.params.get("limit") == "1000":
            body["data"] = list(reversed(body["data"]))
        return body

    found = failing(observed(tampered(reordered), ObservePlan(gateways=("google",), include_all=False)))
    assert any("differ from position" in v.message for v in found["offset-progression"].violations)


def test_stable_bodies_flags_a_body_that_changes_between_identical_requests() -> None:
    calls = iter(range(10_000))

    def clock(request: httpx.Request, body: Body) -> Body | None:
        body["timestamp"] = f"2025-10-17T00:00:{next(calls) % 60:02d}Z"
        return body

    found = failing(observed(tampered(clock), ObservePlan(gateways=("groq",), include_all=False)))
    assert any("different bodies" in v.message for v in found["stable-bodies"].violations)


def test_bad_parameters_flags_a_4xx_without_a_message() -> None:
    gateway = FakeGateway(current_state())

    def mute(request: httpx.Request) -> httpx.Response:
        response = gateway(request)
        return httpx.Response(400, json={}) if response.status_code == 400 else response

    found = failing(observed(mute, ObservePlan(gateways=("groq",), include_all=False)))
    assert any("without an error message" in v.message for v in found["bad-parameters"].violations)


def test_routable_flags_a_probe_that_could_not_be_sent() -> None:
    gateway = FakeGateway(current_state())

    def refuse_chat(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/chat/completions":
            raise httpx.ConnectError("connection refused", request=request)
        return gateway(request)

    found = failing(observed(refuse_chat, ObservePlan(gateways=("groq",), include_all=False)))
    assert "could not be sent" in found["routable"].violations[0].message


def test_no_duplicates_flags_a_provider_row_listed_twice_in_all() -> None:
    def doubled(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "all" and body["offset"] == 0 and "unique" not in str(request.url):
            body["data"][1] = body["data"][0]
        return body

    found = failing(observed(tampered(doubled), ObservePlan(gateways=("groq",), include_unique=False)))
    assert any("(gateway, model) rows" in v.message for v in found["no-duplicates"].violations)


def test_phantom_flags_ids_the_upstream_does_not_list_beyond_the_skew_allowance() -> None:
    allowed = checks.ContractConfig().skew.allowed(len(u.build().catalogs[u.DAY_1]["groq"]))

    def invent(count: int) -> Tamper:
        def tamper(request: httpx.Request, body: Body) -> Body | None:
            if gateway_of(request) == "groq" and body["offset"] == 0:
                body["data"] += [{**body["data"][0], "id": f"phantom/model-{n}"} for n in range(count)]
                body["returned"] = len(body["data"])
                body["total"] = len(body["data"])
            return body

        return tamper

    plan = ObservePlan(gateways=("groq",), include_all=False, probe_parameters=False, probe_routing=False)
    assert "phantom" not in failing(observed(tampered(invent(allowed)), plan))
    found = failing(observed(tampered(invent(allowed + 1)), plan))
    violation = found["phantom"].violations[0]
    assert violation.evidence["extra"] == sorted(f"phantom/model-{n}" for n in range(allowed + 1))
    assert "phantom/model-0" in violation.message


def test_a_check_name_is_registered_once() -> None:
    """The registry refuses a second check under a name already taken (the decorator's failing case)."""
    with pytest.raises(ValueError, match="two contract checks are named 'schema'"):
        checks.contract_check("schema", "again")(checks.check_schema)
    assert checks.CHECKS["schema"].run is checks.check_schema
