"""Each contract check passes on the reference gateway and fails, with its own name and a useful message, on a
gateway that breaks exactly its promise.

The gallery (tests/test_gallery.py) shows the *known* regressions caught; here every check also gets a minimal
tampering of the reference gateway's responses, so checks that no historical regression exercised (schema,
paging arithmetic, alias, early stop) have a demonstrated failing case too.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from typing import Any

import httpx
import pytest
from syrupy.assertion import SnapshotAssertion

from catalog_guard import checks, latency
from catalog_guard import universe as u
from catalog_guard.fakes.clock import SimulatedClock
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


def said(found: Mapping[str, checks.CheckResult]) -> dict[str, list[dict[str, Any]]]:
    """What the failing checks say, word for word: each violation's check, message, evidence and cause. Messages
    are the product's output ("say why"), so a failing case compares them with its snapshot in
    ``tests/__snapshots__/``: a reworded message or a renamed evidence key is a reviewed change there
    (``--snapshot-update``), and a check that says less than before fails."""
    return {name: [dataclasses.asdict(v) for v in result.violations] for name, result in sorted(found.items())}


@pytest.fixture(scope="module")
def reference() -> Observation:
    return observed(FakeGateway(current_state()))


def test_reference_gateway_passes_every_check(reference: Observation) -> None:
    assert failing(reference) == {}
    assert len(checks.CHECKS) == len(checks.run_checks(reference, universe_context()))


def gateway_of(request: httpx.Request) -> str:
    return request.url.params.get("gateway", "")


def test_schema_flags_a_model_without_id(snapshot_json: SnapshotAssertion) -> None:
    def drop_id(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "groq" and body["data"]:
            body["data"][0]["id"] = ""
        return body

    found = failing(observed(tampered(drop_id)))
    assert said(found) == snapshot_json
    assert "schema" in found
    assert any("id" in v.message for v in found["schema"].violations)


def test_paging_arithmetic_flags_a_lying_has_more(snapshot_json: SnapshotAssertion) -> None:
    def lie(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "google":
            body["has_more"] = not body["has_more"]
        return body

    seen = observed(tampered(lie), ObservePlan(gateways=("google",), include_all=False))
    found = failing(seen)
    assert said(found) == snapshot_json
    assert "paging-arithmetic" in found


def test_paging_arithmetic_flags_a_wrong_next_offset(snapshot_json: SnapshotAssertion) -> None:
    def skip_ahead(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "huggingface" and body.get("has_more"):
            body["next_offset"] = body["offset"] + body["returned"] + 7
        return body

    found = failing(observed(tampered(skip_ahead), ObservePlan(gateways=("huggingface",), include_all=False)))
    assert said(found) == snapshot_json
    assert "paging-arithmetic" in found
    messages = [v.message for v in found["paging-arithmetic"].violations]
    assert any("next_offset=" in message for message in messages)
    assert any("walk collected" in message for message in messages)  # the skipped models are missing too


def test_alias_flags_a_diverging_alias(snapshot_json: SnapshotAssertion) -> None:
    def stale_alias(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "hug":
            body["data"] = body["data"][:-1]
            body["returned"] -= 1
        return body

    found = failing(observed(tampered(stale_alias)))
    assert said(found) == snapshot_json
    assert "alias" in found


def test_offset_progression_flags_an_early_short_page(snapshot_json: SnapshotAssertion) -> None:
    def short_first_page(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "huggingface" and body["offset"] == 0 and body["limit"] == 100:
            body["data"] = body["data"][:60]
            body["returned"] = 60
            body["next_offset"] = 100  # the gateway still pages by limit: 40 models fall through
        return body

    found = failing(observed(tampered(short_first_page), ObservePlan(gateways=("huggingface",), include_all=False)))
    assert said(found) == snapshot_json
    assert "offset-progression" in found


def test_page_bounds_flags_an_echoed_offset_that_lies(snapshot_json: SnapshotAssertion) -> None:
    def wrong_offset(request: httpx.Request, body: Body) -> Body | None:
        body["offset"] = 0
        return body

    found = failing(observed(tampered(wrong_offset), ObservePlan(gateways=("groq",), include_all=False)))
    assert "page-bounds" not in found  # groq fits in one page: offset 0 is the truth there
    found = failing(observed(tampered(wrong_offset), ObservePlan(gateways=("huggingface",), include_all=False)))
    assert said(found) == snapshot_json
    assert "page-bounds" in found


def test_coverage_floor_and_count_tolerance_are_configurable(snapshot_json: SnapshotAssertion) -> None:
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
    found = failing(seen)
    assert said(found) == snapshot_json
    assert {"coverage", "count-floor"} <= set(found)
    loose = failing(seen, coverage_floor=ratio, count_tolerance=1 - ratio + 1e-9)
    assert "coverage" not in loose
    assert "count-floor" not in loose


def test_violation_messages_say_what_went_wrong(snapshot_json: SnapshotAssertion) -> None:
    from catalog_guard.fakes.gateway import Regression

    found = failing(observed(FakeGateway(current_state(), Regression.G4), ObservePlan(gateways=("huggingface",))))
    assert said(found) == snapshot_json
    message = found["coverage"].violations[0].message
    upstream = len(u.hub_order(u.build().hub_models))
    assert f"of the {upstream:,} models" in message
    assert found["coverage"].violations[0].evidence["covered"] < upstream


def test_page_bounds_flags_returned_that_is_not_len_data(snapshot_json: SnapshotAssertion) -> None:
    def miscount(request: httpx.Request, body: Body) -> Body | None:
        body["returned"] = len(body["data"]) + 1
        return body

    found = failing(observed(tampered(miscount), ObservePlan(gateways=("groq",), include_all=False)))
    assert said(found) == snapshot_json
    assert any("returned=" in v.message for v in found["page-bounds"].violations)


def test_page_bounds_flags_envelope_fields_of_the_wrong_type(snapshot_json: SnapshotAssertion) -> None:
    def stringly(request: httpx.Request, body: Body) -> Body | None:
        body["total"] = str(body["total"])
        return body

    found = failing(observed(tampered(stringly), ObservePlan(gateways=("groq",), include_all=False)))
    assert said(found) == snapshot_json
    assert any("wrong type" in v.message for v in found["page-bounds"].violations)


def test_page_bounds_flags_an_echoed_limit_that_lies(snapshot_json: SnapshotAssertion) -> None:
    def other_limit(request: httpx.Request, body: Body) -> Body | None:
        body["limit"] = 50
        return body

    found = failing(observed(tampered(other_limit), ObservePlan(gateways=("groq",), include_all=False)))
    assert said(found) == snapshot_json
    assert any("answered limit=50" in v.message for v in found["page-bounds"].violations)


def test_offset_progression_flags_a_walk_that_differs_from_the_single_listing(snapshot_json: SnapshotAssertion) -> None:
    def reordered(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "google" and request.url.params.get("limit") == "1000":
            body["data"] = list(reversed(body["data"]))
        return body

    found = failing(observed(tampered(reordered), ObservePlan(gateways=("google",), include_all=False)))
    assert said(found) == snapshot_json
    assert any("differ from position" in v.message for v in found["offset-progression"].violations)


def test_stable_bodies_flags_a_body_that_changes_between_identical_requests(snapshot_json: SnapshotAssertion) -> None:
    calls = iter(range(10_000))

    def clock(request: httpx.Request, body: Body) -> Body | None:
        body["timestamp"] = f"2025-10-17T00:00:{next(calls) % 60:02d}Z"
        return body

    found = failing(observed(tampered(clock), ObservePlan(gateways=("groq",), include_all=False)))
    assert said(found) == snapshot_json
    assert any("different bodies" in v.message for v in found["stable-bodies"].violations)


def test_bad_parameters_flags_a_4xx_without_a_message(snapshot_json: SnapshotAssertion) -> None:
    gateway = FakeGateway(current_state())

    def mute(request: httpx.Request) -> httpx.Response:
        response = gateway(request)
        return httpx.Response(400, json={}) if response.status_code == 400 else response

    found = failing(observed(mute, ObservePlan(gateways=("groq",), include_all=False)))
    assert said(found) == snapshot_json
    assert any("without an error message" in v.message for v in found["bad-parameters"].violations)


def test_routable_flags_a_probe_that_could_not_be_sent(snapshot_json: SnapshotAssertion) -> None:
    gateway = FakeGateway(current_state())

    def refuse_chat(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/chat/completions":
            raise httpx.ConnectError("connection refused", request=request)
        return gateway(request)

    found = failing(observed(refuse_chat, ObservePlan(gateways=("groq",), include_all=False)))
    assert said(found) == snapshot_json
    assert "could not be sent" in found["routable"].violations[0].message


def test_no_duplicates_flags_a_provider_row_listed_twice_in_all(snapshot_json: SnapshotAssertion) -> None:
    def doubled(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "all" and body["offset"] == 0 and "unique" not in str(request.url):
            body["data"][1] = body["data"][0]
        return body

    found = failing(observed(tampered(doubled), ObservePlan(gateways=("groq",), include_unique=False)))
    assert said(found) == snapshot_json
    [message] = [v.message for v in found["no-duplicates"].violations if "(gateway, model) rows" in v.message]
    # the rows themselves, and the request where the walk starts repeating
    assert "rows listed more than once (openrouter: " in message
    assert ": the page at offset 0 (GET https://" in message
    assert "repeats openrouter: " in message


def test_no_duplicates_leaves_rows_without_a_string_id_to_the_schema_check() -> None:
    """Two rows of one provider whose id is not a string are not one model listed twice: schema reports them."""

    def unnamed(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "all" and body["offset"] == 0 and "unique" not in str(request.url):
            first, second = body["data"][0], body["data"][1]
            body["data"][1] = {**second, "id": 7, "source_gateway": first.get("source_gateway")}
            body["data"][0] = {**first, "id": 7}
        return body

    found = failing(observed(tampered(unnamed), ObservePlan(gateways=("groq",), include_unique=False)))
    assert "schema" in found
    assert "no-duplicates" not in found, [v.message for v in found["no-duplicates"].violations]


def test_no_duplicates_names_the_large_limit_request_and_the_ids_it_repeats() -> None:
    def doubled(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "groq" and "limit=1000&" in str(request.url):
            body["data"][1] = body["data"][0]
        return body

    found = failing(observed(tampered(doubled), ObservePlan(gateways=("groq",), include_all=False)))
    [violation] = found["no-duplicates"].violations
    repeated = violation.evidence["examples"]
    assert len(repeated) == 1
    assert violation.message.startswith("groq: one request of limit=1000 (GET https://")
    assert violation.message.endswith(f"(1 repeated: {repeated[0]})")
    assert "limit=1000&offset=0" in violation.evidence["url"]


def serving(answers: dict[str, httpx.Response]) -> Callable[[httpx.Request], httpx.Response]:
    """The reference gateway, with ``answers[gateway]`` for every listing request of those gateways."""
    gateway = FakeGateway(current_state())

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/models" and gateway_of(request) in answers:
            return answers[gateway_of(request)]
        return gateway(request)

    return handler


LONG_REFUSAL = httpx.Response(404, json={"error": {"message": "unknown gateway; " + "the known ones are " * 30}})
QUIET = ObservePlan(gateways=("groq", "cerebras", "google"), include_all=False, probe_parameters=False)
NOT_FOUND = httpx.Response(404, json={"error": {"message": "unknown gateway"}})
EMPTY = httpx.Response(200, json={"data": [], "total": 0, "returned": 0, "offset": 0, "limit": 100, "has_more": False})


@pytest.mark.parametrize(
    ("answers", "plan"),
    [
        pytest.param({"groq": NOT_FOUND, "cerebras": EMPTY}, QUIET, id="a-404-and-a-quiet-empty-page"),
        pytest.param({"cerebras": httpx.Response(503, json={"error": "overloaded"})}, QUIET, id="an-outage"),
        pytest.param(dict.fromkeys(QUIET.gateways, NOT_FOUND), QUIET, id="nothing-served"),
        pytest.param({"groq": LONG_REFUSAL}, QUIET, id="what-it-answered-is-quoted-up-to-300-characters"),
        pytest.param(
            {"hug": EMPTY},
            ObservePlan(gateways=("huggingface",), include_all=False, probe_parameters=False),
            id="an-alias-without-models",
        ),
    ],
)
def test_known_gateways_flags_gateways_that_serve_no_models(
    answers: dict[str, httpx.Response], plan: ObservePlan, snapshot_json: SnapshotAssertion
) -> None:
    found = failing(observed(serving(answers), plan))
    assert said(found) == snapshot_json
    assert "known-gateways" in found


def test_all_completeness_flags_a_listing_that_leaves_out_a_gateways_model(snapshot_json: SnapshotAssertion) -> None:
    left_out = current_state().catalog("groq")[0]["id"]

    def leave_out(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "all":  # the row is there, under another id: the paging still adds up
            body["data"] = [{**r, "id": "acme/in-place-of"} if r["id"] == left_out else r for r in body["data"]]
            body["note"] = "every gateway's models"
        return body

    plan = ObservePlan(gateways=("groq", "cerebras"), limit=1000, probe_parameters=False, probe_routing=False)
    found = failing(observed(tampered(leave_out), plan))
    assert said(found) == snapshot_json
    assert "all-completeness" in found


# ---------------------------------------------------------------------------------------------------------------
# Issue 11: the families the first thirteen checks did not name.

GROQ = ObservePlan(gateways=("groq",), include_all=False)


def with_row(gateway: str, make: Callable[[Body], Body]) -> Tamper:
    """Tamper: every 200 page of ``gateway`` at offset 0 gets one more row, ``make(first row)``, at its end."""

    def add(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == gateway and body["offset"] == 0 and body["data"]:
            body["data"].append(make(body["data"][0]))
            body["returned"] += 1
            body["total"] += 1
        return body

    return add


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        (" meta-llama/Llama-3.1-8B", "leading or trailing whitespace"),
        ("meta-llama/Llama-3.1-8B\t", "leading or trailing whitespace"),
        ("meta-llama/Llama 3.1-8B", "whitespace inside"),
        ("meta-llama/Llama-3.1-8B\x00", "a control or invisible character"),
        ("meta-llama/Llama-3.1\u200b-8B", "a control or invisible character"),
        ("acme/cafe\u0301", "not in Unicode NFC form"),
        ("a" * (checks.MAX_ID_LENGTH + 1), f"longer than {checks.MAX_ID_LENGTH} characters"),
    ],
)
def test_id_hygiene_names_what_is_wrong_with_one_id(model: str, problem: str) -> None:
    assert problem in checks.id_problems(model)


@pytest.mark.parametrize(
    "model",
    [
        "meta-llama/Llama-3.1-8B",
        "acme/caf\u00e9",
        "a" * checks.MAX_ID_LENGTH,
        "acme/" + "\u00e9" * (checks.MAX_ID_LENGTH - 5),  # the same bound off the printable-ASCII fast path
        "x:free",
    ],
)
def test_id_hygiene_finds_nothing_wrong_with_a_clean_id(model: str) -> None:
    assert checks.id_problems(model) == []  # exactly MAX_ID_LENGTH is allowed; one more is not (above)


def test_id_hygiene_twins_differ_only_in_case_space_form_or_prefix_not_in_a_known_suffix() -> None:
    key = checks.twin_key
    assert key("Org/Model-7B") == key("org/model-7b") == key("org/model-7b ") == key("org/ model-7b")
    assert key("models/gemini-2.0-flash") == key("gemini-2.0-flash")
    assert key("accounts/fireworks/models/llama-v3") == key("llama-v3")
    assert key("acme/cafe\u0301") == key("acme/caf\u00e9")
    assert key("openai/gpt-4.1") != key("openai/gpt-41")  # G12: a dot is part of the name
    assert key("meta-llama/llama-3-8b:free") != key("meta-llama/llama-3-8b")  # OpenRouter's two offers


@pytest.mark.parametrize(
    ("gateway", "twin"),
    [
        ("groq", lambda row: {**row, "id": row["id"].upper()}),
        ("groq", lambda row: {**row, "id": row["id"] + " "}),
        ("groq", lambda row: {**row, "id": chr(ord(row["id"][0]) + 0xFEE0) + row["id"][1:]}),  # fullwidth
        ("google", lambda row: {**row, "id": row["id"].removeprefix("models/")}),
    ],
    ids=["case", "trailing-space", "compatibility-form", "wrapper"],
)
def test_id_hygiene_flags_one_model_listed_twice(
    gateway: str, twin: Callable[[Body], Body], snapshot_json: SnapshotAssertion
) -> None:
    found = failing(observed(tampered(with_row(gateway, twin)), ObservePlan(gateways=(gateway,), include_all=False)))
    assert said(found) == snapshot_json
    assert "id-hygiene" in found
    assert any(gateway in v.message for v in found["id-hygiene"].violations)


def test_id_hygiene_passes_a_known_suffix_variant_as_its_own_offer() -> None:
    free = with_row("groq", lambda row: {**row, "id": row["id"] + ":free"})
    assert "id-hygiene" not in failing(observed(tampered(free), GROQ))


def test_phantom_does_not_count_what_the_gateway_curates(snapshot_json: SnapshotAssertion) -> None:
    allowed = checks.ContractConfig().skew.allowed(len(current_state().catalog("groq")))

    def house(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "groq" and body["offset"] == 0:
            body["data"] += [{**body["data"][0], "id": f"groq-house/router-{n}"} for n in range(allowed + 2)]
            body["returned"] = body["total"] = len(body["data"])
        return body

    seen = observed(tampered(house), GROQ)
    found = failing(seen)
    assert said(found) == snapshot_json
    assert "groq-house/router-0" in found["phantom"].violations[0].message
    assert "phantom" not in failing(seen, curated=(("groq", "groq-house/*"),))
    assert "phantom" not in failing(seen, curated=(("*", "groq-house/router-*"),))
    assert "phantom" in failing(seen, curated=(("google", "groq-house/*"),))  # another gateway's allowance
    assert "phantom" in failing(seen, curated=(("groq", "groq-house/router-1"),))  # one id curated, the rest not


def end_probe(offsets: Callable[[int, int], bool], answer: Callable[[Body], Body]) -> Tamper:
    """Tamper: the groq answers whose (offset, total) satisfy ``offsets`` become ``answer(body)``."""

    def rewrite(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "groq" and offsets(body["offset"], body["total"]):
            return answer(body)
        return body

    return rewrite


def last_page_again(body: Body) -> Body:
    rows = current_state().catalog("groq")
    return {**body, "data": rows[-body["limit"] :], "returned": len(rows[-body["limit"] :])}


def test_paging_ends_flags_the_last_page_again_at_offset_total(snapshot_json: SnapshotAssertion) -> None:
    found = failing(observed(tampered(end_probe(lambda o, t: o == t, last_page_again)), GROQ))
    assert said(found) == snapshot_json
    assert any("offset-at-total" in v.message for v in found["paging-ends"].violations)
    assert not any("offset-past-total" in v.message for v in found["paging-ends"].violations)


def test_paging_ends_flags_the_last_page_again_past_the_end_but_accepts_a_4xx(snapshot_json: SnapshotAssertion) -> None:
    found = failing(observed(tampered(end_probe(lambda o, t: o > t, last_page_again)), GROQ))
    assert said(found) == snapshot_json
    assert [v.evidence["probe"] for v in found["paging-ends"].violations] == ["offset-past-total"]
    gateway = FakeGateway(current_state())

    def refuse_past_the_end(request: httpx.Request) -> httpx.Response:
        offset = int(request.url.params.get("offset", 0))
        if gateway_of(request) == "groq" and offset > len(current_state().catalog("groq")):
            return httpx.Response(400, json={"error": {"message": "offset past the end"}})
        return gateway(request)

    assert "paging-ends" not in failing(observed(refuse_past_the_end, GROQ))


def test_paging_ends_flags_a_4xx_at_exactly_offset_total(snapshot_json: SnapshotAssertion) -> None:
    gateway = FakeGateway(current_state())
    total = len(current_state().catalog("groq"))

    def refuse_at_the_end(request: httpx.Request) -> httpx.Response:
        if gateway_of(request) == "groq" and request.url.params.get("offset") == str(total):
            return httpx.Response(400, json={"error": {"message": "offset out of range"}})
        return gateway(request)

    found = failing(observed(refuse_at_the_end, GROQ))
    assert said(found) == snapshot_json
    assert [v.evidence["probe"] for v in found["paging-ends"].violations] == ["offset-at-total"]


def test_paging_ends_flags_a_last_row_that_says_there_is_more(snapshot_json: SnapshotAssertion) -> None:
    def more(body: Body) -> Body:
        return {**body, "has_more": True, "next_offset": body["offset"] + 1}

    found = failing(observed(tampered(end_probe(lambda o, t: o == t - 1, more)), GROQ))
    assert said(found) == snapshot_json
    assert [v.evidence["probe"] for v in found["paging-ends"].violations] == ["last-row"]


def test_paging_ends_flags_limit_bounds_off_by_one(snapshot_json: SnapshotAssertion) -> None:
    gateway = FakeGateway(current_state())

    def bounds(request: httpx.Request) -> httpx.Response:
        limit = request.url.params.get("limit")
        if limit == "1000":  # the documented maximum, refused
            return httpx.Response(400, json={"error": {"message": "limit must be below 1000"}})
        if limit == "1001":  # one past it, served
            return gateway(httpx.Request("GET", request.url.copy_set_param("limit", 1000)))
        return gateway(request)

    found = failing(observed(bounds, GROQ))
    assert said(found) == snapshot_json
    messages = [v.message for v in found["paging-ends"].violations]
    assert any("limit=1000 (the documented maximum) answered 400" in m for m in messages)
    assert any("limit-one-past-maximum" in m and "answered 200" in m for m in messages)


def test_provenance_flags_rows_attributed_to_the_wrong_gateway(snapshot_json: SnapshotAssertion) -> None:
    def relabel(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "all" and "unique" not in str(request.url):
            body["data"] = [
                {**r, "source_gateway": "cerebras"} if r["source_gateway"] == "groq" else r for r in body["data"]
            ]
        return body

    plan = ObservePlan(gateways=("groq", "cerebras"), include_unique=False)
    found = failing(observed(tampered(relabel), plan))
    assert said(found) == snapshot_json
    messages = [v.message for v in found["provenance"].violations]
    assert any("attributed to cerebras, listed by groq" in m for m in messages)
    assert any("appear only under another gateway's name" in m for m in messages)
    assert "all-completeness" not in found  # every id is there: only its provenance is wrong


def test_provenance_flags_unique_rows_that_name_too_few_providers(snapshot_json: SnapshotAssertion) -> None:
    shared = _shared_pair()

    def first_only(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "all" and "unique_models" in str(request.url):
            body["data"] = [{**r, "providers": r["providers"][:1]} for r in body["data"]]
            if body["offset"] == 0:  # rows it cannot judge are skipped, not a reason to stop judging the rest
                body["data"][:2] = [{**body["data"][0], "providers": shared[0]}, {"providers": [shared[0]]}]
        return body

    found = failing(observed(tampered(first_only), ObservePlan(gateways=shared)))
    assert said(found) == snapshot_json
    assert any("name the wrong providers" in v.message for v in found["provenance"].violations)


def _shared_pair() -> tuple[str, str]:
    """Two gateways of the reference that list a model in common (computed, not assumed)."""
    state = current_state()
    names = [g for g in state.catalogs if state.catalog(g)]
    for index, first in enumerate(names):
        ids = {row["id"] for row in state.catalog(first)}
        for second in names[index + 1 :]:
            if ids & {row["id"] for row in state.catalog(second)}:
                return first, second
    raise AssertionError("the reference lists no model on two gateways")


def slow(seconds: float, clock: SimulatedClock) -> Callable[[httpx.Request], httpx.Response]:
    """The reference gateway, each groq page taking ``seconds`` on ``clock``."""
    gateway = FakeGateway(current_state())

    def handler(request: httpx.Request) -> httpx.Response:
        if gateway_of(request) == "groq":
            clock.advance(seconds)
        return gateway(request)

    return handler


def observed_on(clock: SimulatedClock, handler: Callable[[httpx.Request], httpx.Response]) -> Observation:
    target = GatewayTarget(base_url=GATEWAY_URL, handler=handler, clock=clock.now)
    with target.client() as client:
        return observe(client, GATEWAY_URL, GROQ, sleep=target.sleep(), clock=target.timer())


def test_latency_flags_a_p95_over_the_budget_not_one_at_it(snapshot_json: SnapshotAssertion) -> None:
    budget = latency.DEFAULT_BUDGET
    clock = SimulatedClock()
    at_budget = observed_on(clock, slow(budget, clock))
    assert "latency" not in failing(at_budget)
    over = observed_on(clock, slow(budget + 0.001, clock))
    found = failing(over)
    assert said(found) == snapshot_json
    assert found["latency"].violations[0].evidence["gateway"] == "groq"
    assert "latency" not in failing(over, latency_budget=None)  # off
    assert "latency" not in failing(over, latency_budget=0)  # off too


def test_no_duplicates_shows_a_duplication_factor_that_never_reads_as_none() -> None:
    assert checks.duplication_factor(1_390, 1_377) == "1.01x"  # 13 repeats in 1,390 rows: not "1.0x"
    assert checks.duplication_factor(50_000, 100) == "500.0x"
    assert checks.duplication_factor(1_000_001, 1_000_000) == "1.000001x"
    assert checks.duplication_factor(100, 100) == "1.0x"


def boundary_repeat(request: httpx.Request, body: Body) -> Body | None:
    """The unique_models walk repeats the previous page's last row at the top of each later page."""
    if "unique_models" in str(request.url) and body["offset"] > 0 and body["limit"] == 100:
        rows = FakeGateway(current_state())(
            httpx.Request("GET", request.url.copy_set_param("offset", body["offset"] - 1))
        )
        body["data"] = json.loads(rows.content)["data"]
    return body


def test_alias_does_not_blame_the_flag_when_the_unique_models_walk_is_broken(snapshot_json: SnapshotAssertion) -> None:
    plan = ObservePlan(gateways=("huggingface", "groq"))
    seen = observed(tampered(boundary_repeat), plan)
    results = {r.name: r for r in checks.run_checks(seen, universe_context())}
    assert not results["no-duplicates"].passed
    assert results["alias"].passed  # the documented flag answers what unique_models answers, asked the same way
    # Without that like-for-like request, the walk is the only basis: the alias check names it as the cause.
    seen.unique_singles.clear()
    results = {r.name: r for r in checks.run_checks(seen, universe_context())}
    assert said({r.name: r for r in results.values() if not r.passed}) == snapshot_json
    violation = results["alias"].violations[0]
    assert violation.cause == "no-duplicates"
    assert "not the flag" in violation.message
    assert "alias" not in [r.name for r in checks.root_causes(results.values())]


def test_alias_blames_the_flag_when_the_unique_models_walk_it_is_compared_with_is_sound(
    snapshot_json: SnapshotAssertion,
) -> None:
    gateway = FakeGateway(current_state())

    def ignore_the_flag(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("unique") == "true":  # the documented flag answers the plain listing
            return gateway(httpx.Request("GET", request.url.copy_remove_param("unique")))
        return gateway(request)

    plan = ObservePlan(gateways=("groq",), limit=1000, probe_parameters=False, probe_routing=False)
    seen = observed(ignore_the_flag, plan)
    seen.unique_singles.clear()  # no like-for-like request: the unique_models walk is the basis
    found = failing(seen)
    assert said(found) == snapshot_json
    assert found["alias"].violations[0].message.endswith("the flag is ignored")
    assert found["alias"].violations[0].cause is None


def test_coverage_of_a_walk_that_did_not_end_follows_from_offset_progression(snapshot_json: SnapshotAssertion) -> None:
    gateway = FakeGateway(current_state())

    def fail_later_pages(request: httpx.Request) -> httpx.Response:
        if gateway_of(request) == "huggingface" and request.url.params.get("offset") == "500":
            return httpx.Response(500, json={"error": {"message": "boom"}})
        return gateway(request)

    results = checks.run_checks(
        observed(fail_later_pages, ObservePlan(gateways=("huggingface",), include_all=False)), universe_context()
    )
    by_name = {r.name: r for r in results}
    assert said({r.name: r for r in results if not r.passed}) == snapshot_json
    assert by_name["coverage"].causes == ("offset-progression",)
    assert "follows from offset-progression" in by_name["coverage"].summary()
    assert by_name["offset-progression"] in checks.root_causes(results)
    assert by_name["coverage"] not in checks.root_causes(results)


def test_phantom_flags_ids_the_upstream_does_not_list_beyond_the_skew_allowance(
    snapshot_json: SnapshotAssertion,
) -> None:
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
    assert said(found) == snapshot_json
    violation = found["phantom"].violations[0]
    assert violation.evidence["extra"] == sorted(f"phantom/model-{n}" for n in range(allowed + 1))
    assert "phantom/model-0" in violation.message


def test_a_check_name_is_registered_once() -> None:
    """The registry refuses a second check under a name already taken (the decorator's failing case)."""
    with pytest.raises(ValueError, match="two contract checks are named 'schema'"):
        checks.contract_check("schema", "again")(checks.check_schema)
    assert checks.CHECKS["schema"].run is checks.check_schema
