"""Every boundary a contract check depends on, pinned from both sides: exactly at the boundary passes, one step
past it fails.

tests/test_checks.py shows that each check fails on a gateway that breaks its promise; that alone would not notice
a check loosened by one (``count > limit + 1``, a coverage floor lowered by 0.01, a short page tested with
``size < limit - 1``). Mutation testing (scripts/mutation.py, docs/mutation-testing.md) found those survivors;
the cases here kill them. Every figure is computed from the reference gateway's own answers or the universe.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import httpx
import pytest

from catalog_guard import checks
from catalog_guard.observe import Observation, ObservePlan
from catalog_guard.skew import EXACT, SkewAllowance
from test_checks import Body, failing, gateway_of, observed, tampered, universe_context

ONE = ObservePlan(gateways=("huggingface",), include_all=False, probe_parameters=False, probe_routing=False)
GROQ = ObservePlan(gateways=("groq",), include_all=False, probe_parameters=False, probe_routing=False)


def violations(seen: Observation, name: str, **config: Any) -> list[checks.Violation]:
    result = failing(seen, **config).get(name)
    return list(result.violations) if result else []


def is_walk_page(request: httpx.Request, gateway: str, offset: int) -> bool:
    """A page of ``gateway``'s offset walk (the walk pages at the plan's limit; the single asks for 1,000)."""
    params = request.url.params
    return gateway_of(request) == gateway and params.get("limit") == "100" and params.get("offset") == str(offset)


# -- page-bounds: exactly ``limit`` models vs ``limit + 1`` ------------------------------------------------------


def test_a_page_of_exactly_limit_models_passes_and_one_more_fails(reference: Observation) -> None:
    full = reference.walks["huggingface"].pages[0]
    assert len(full.items) == reference.plan.limit  # the reference's first Hugging Face page is exactly full
    assert violations(reference, "page-bounds") == []

    def one_more(request: httpx.Request, body: Body) -> Body | None:
        if is_walk_page(request, "huggingface", 0):
            body["data"].append({**body["data"][0], "id": "extra/one-past-the-limit"})
            body["returned"] = len(body["data"])
        return body

    found = violations(observed(tampered(one_more), ONE), "page-bounds")
    assert [v.evidence["returned"] for v in found] == [ONE.limit + 1]
    assert found[0].evidence["limit"] == ONE.limit
    assert "limit ignored" in found[0].message


def test_a_large_limit_single_is_bounded_too() -> None:
    def overfull(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "groq" and request.url.params.get("limit") == "1000":
            body["data"] = body["data"] * 60  # 19 x 60 = 1,140 rows for limit=1000
            body["returned"] = len(body["data"])
        return body

    found = violations(observed(tampered(overfull), GROQ), "page-bounds")
    assert any(v.evidence.get("limit") == 1000 and v.evidence["returned"] > 1000 for v in found)


def test_an_echoed_offset_below_zero_is_flagged_even_without_a_requested_offset() -> None:
    def negative(request: httpx.Request, body: Body) -> Body | None:
        body["offset"] = -1
        return body

    found = violations(observed(tampered(negative), GROQ), "page-bounds")
    assert found
    assert all(v.evidence["offset"] == -1 for v in found if "offset" in v.evidence)


# -- coverage: exactly the floor vs one model below it -----------------------------------------------------------


def drop(gateway: str, count: int) -> Any:
    """The reference gateway without the last ``count`` models of ``gateway`` (every request, walk and single)."""

    def tamper(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) != gateway:
            return body
        listed = body["data"]
        kept = [m for m in listed if m["id"] not in dropped]
        body["data"], body["returned"] = kept, len(kept)
        if "total" in body:
            body["total"] -= count
        return body

    truth = sorted(universe_context().truth[gateway])
    dropped = set(truth[-count:])
    return tamper


def test_one_missing_model_fails_the_default_floor_without_skew() -> None:
    seen = observed(tampered(drop("groq", 1)), GROQ)
    found = violations(seen, "coverage", skew=EXACT)
    upstream = len(universe_context().truth["groq"])
    assert [(v.evidence["covered"], v.evidence["upstream"]) for v in found] == [(upstream - 1, upstream)]


def test_missing_ids_exactly_at_the_skew_allowance_pass_and_one_more_fails() -> None:
    upstream = len(universe_context().truth["groq"])
    allowed = SkewAllowance().allowed(upstream)
    assert allowed >= 1  # the default forgives at least one id of a 19-model catalog
    assert violations(observed(tampered(drop("groq", allowed)), GROQ), "coverage") == []
    found = violations(observed(tampered(drop("groq", allowed + 1)), GROQ), "coverage")
    assert [v.evidence["missing_count"] for v in found] == [allowed + 1]


def test_coverage_exactly_at_the_floor_passes_and_one_model_below_fails() -> None:
    upstream = len(universe_context().truth["groq"])
    floor = (upstream - 2) / upstream
    at_floor = observed(tampered(drop("groq", 2)), GROQ)
    assert violations(at_floor, "coverage", coverage_floor=floor, skew=EXACT) == []
    below = observed(tampered(drop("groq", 3)), GROQ)
    found = violations(below, "coverage", coverage_floor=floor, skew=EXACT)
    assert [v.evidence["covered"] for v in found] == [upstream - 3]
    assert len(found[0].evidence["missing_examples"]) == 3


def test_missing_examples_are_capped_by_max_examples() -> None:
    seen = observed(tampered(drop("groq", 7)), GROQ)
    found = violations(seen, "coverage", max_examples=4, skew=EXACT)
    examples = found[0].evidence["missing_examples"]
    assert len(examples) == 4
    assert examples == sorted(examples)


# -- count-floor: exactly the baseline (less the tolerance) vs one below ---------------------------------------


def with_baseline(seen: Observation, baseline: int, tolerance: float = 0.0) -> list[checks.Violation]:
    context = universe_context(count_tolerance=tolerance)
    context = dataclasses.replace(context, truth={}, baseline={"groq": baseline})
    return checks.check_count_floor(seen, context)


def test_a_count_exactly_at_the_baseline_passes_and_one_below_fails(reference_groq: Observation) -> None:
    count = len(set(reference_groq.walks["groq"].ids))
    assert with_baseline(reference_groq, count) == []
    found = with_baseline(reference_groq, count + 1)
    assert [(v.evidence["count"], v.evidence["baseline"]) for v in found] == [(count, count + 1)]


def test_the_count_tolerance_is_a_fraction_of_the_baseline(reference_groq: Observation) -> None:
    count = len(set(reference_groq.walks["groq"].ids))
    # a baseline of count + 1 with a tolerance of exactly 1/(count+1) puts the floor exactly at count
    assert with_baseline(reference_groq, count + 1, tolerance=1 / (count + 1)) == []
    assert with_baseline(reference_groq, count + 2, tolerance=1 / (count + 2)) != []


# -- offset-progression: the last page exactly full vs a page one short ----------------------------------------


def test_a_page_one_short_of_the_limit_before_more_pages_is_an_early_stop() -> None:
    def one_short(request: httpx.Request, body: Body) -> Body | None:
        if is_walk_page(request, "huggingface", 0):
            body["data"] = body["data"][:-1]
            body["returned"] = len(body["data"])
            body["next_offset"] = 100
        return body

    found = violations(observed(tampered(one_short), ONE), "offset-progression")
    early = [v for v in found if "early stop" in v.message]
    assert [v.evidence["page_sizes"][0] for v in early] == [ONE.limit - 1]


def test_a_catalog_that_is_an_exact_multiple_of_the_limit_ends_cleanly(reference_groq: Observation) -> None:
    size = len(reference_groq.walks["groq"].ids)
    exact = ObservePlan(gateways=("groq",), limit=size, include_all=False, probe_parameters=False)
    seen = observed(tampered(lambda request, body: body), exact)
    assert seen.walks["groq"].page_sizes()[0] == size
    assert failing(seen) == {}


def test_has_more_true_on_an_exactly_full_last_page_is_flagged(reference_groq: Observation) -> None:
    size = len(reference_groq.walks["groq"].ids)
    exact = ObservePlan(gateways=("groq",), limit=size, include_all=False, probe_parameters=False)

    def claims_more(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "groq" and body["offset"] == 0 and request.url.params.get("limit") == str(size):
            body["has_more"] = True
            body["next_offset"] = size
        return body

    found = violations(observed(tampered(claims_more), exact), "paging-arithmetic")
    assert any("has_more=True" in v.message for v in found)


# -- no-duplicates: exactly one row twice ----------------------------------------------------------------------


def test_exactly_one_duplicated_row_is_flagged_with_its_id() -> None:
    def one_twice(request: httpx.Request, body: Body) -> Body | None:
        if is_walk_page(request, "huggingface", 100):
            first = body["data"][0]
            body["data"][-1] = dict(first)  # page 2 lists its first model twice, dropping its last
        return body

    found = violations(observed(tampered(one_twice), ONE), "no-duplicates")
    walk = [v for v in found if "entries" in v.evidence and v.evidence.get("gateway") == "huggingface"]
    assert len(walk) == 1
    evidence = walk[0].evidence
    assert evidence["entries"] - evidence["unique"] == 1
    assert len(evidence["examples"]) == 1


def test_exactly_one_duplicated_row_in_a_single_listing_is_flagged() -> None:
    def one_twice(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "groq" and request.url.params.get("limit") == "1000":
            body["data"][-1] = dict(body["data"][0])
        return body

    found = violations(observed(tampered(one_twice), GROQ), "no-duplicates")
    single = [v for v in found if "one request" in v.message]
    assert [v.evidence["entries"] - v.evidence["unique"] for v in single] == [1]


# -- stable-bodies: an ETag differing in one character ---------------------------------------------------------


def test_an_etag_differing_in_one_character_is_flagged() -> None:
    from catalog_guard.fakes.gateway import FakeGateway, current_state

    gateway = FakeGateway(current_state())
    calls: list[str] = []

    def flip(request: httpx.Request) -> httpx.Response:
        response = gateway(request)
        etag = response.headers.get("etag")
        if etag is None or request.url.path != "/v1/models":
            return response
        calls.append(str(request.url))
        if calls.count(str(request.url)) == 2:  # the second of two identical requests
            last = etag[-2]
            flipped = etag[:-2] + ("0" if last != "0" else "1") + etag[-1:]
            return httpx.Response(response.status_code, content=response.content, headers={"ETag": flipped})
        return response

    found = violations(observed(flip, GROQ), "stable-bodies")
    assert [len(v.evidence["etags"]) for v in found] == [2]
    first, second = found[0].evidence["etags"]
    assert len(first) == len(second)
    assert sum(a != b for a, b in zip(first, second, strict=True)) == 1


# -- schema: the large-limit singles are read too --------------------------------------------------------------


def test_a_schema_break_in_the_large_limit_single_is_found() -> None:
    def bad_single(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "groq" and request.url.params.get("limit") == "1000":
            body["data"][0]["id"] = 7
        return body

    found = violations(observed(tampered(bad_single), GROQ), "schema")
    assert len(found) == 1
    assert "limit=1000" in found[0].evidence["url"]


# -- every violation names the check it belongs to --------------------------------------------------------------


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(drop("groq", 3), id="coverage"),
        pytest.param(lambda r, b: {**b, "returned": len(b["data"]) + 1}, id="page-bounds"),
        pytest.param(lambda r, b: {**b, "has_more": not b.get("has_more")}, id="paging-arithmetic"),
    ],
)
def test_every_violation_carries_its_own_check_name(tamper: Any) -> None:
    seen = observed(tampered(tamper), GROQ)
    results = checks.run_checks(seen, universe_context())
    assert any(not r.passed for r in results)
    for result in results:
        assert all(v.check == result.name for v in result.violations), result.name


@pytest.fixture(scope="module")
def reference() -> Observation:
    return observed(tampered(lambda request, body: body), ObservePlan(gateways=("huggingface", "groq")))


@pytest.fixture(scope="module")
def reference_groq() -> Observation:
    return observed(tampered(lambda request, body: body), GROQ)


# -- bad-parameters: what counts as "a 4xx with a message" ------------------------------------------------------


def refusing_with(body: Any, headers: dict[str, str] | None = None) -> Any:
    """The reference gateway, answering every refused request with ``body`` (and ``headers``) instead."""
    from catalog_guard.fakes.gateway import FakeGateway, current_state

    gateway = FakeGateway(current_state())

    def handler(request: httpx.Request) -> httpx.Response:
        response = gateway(request)
        if response.status_code == 400:
            return httpx.Response(400, json=body, headers=headers or {})
        return response

    return handler


PROBES = ObservePlan(gateways=("groq",), include_all=False, probe_routing=False)


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        pytest.param({"error": "limit must be between 1 and 1000"}, None, id="error-string"),
        pytest.param({"detail": "limit must be between 1 and 1000"}, None, id="detail-string"),
        pytest.param({"message": "limit must be between 1 and 1000"}, None, id="message-string"),
        pytest.param({"error": {"message": "limit must be between 1 and 1000"}}, None, id="error-object"),
        pytest.param({}, {"X-Error-Message": "limit must be between 1 and 1000"}, id="header-only"),
        pytest.param(
            {"detail": [{"loc": ["query", "limit"], "msg": "Input should be less than or equal to 1000"}]},
            None,
            id="fastapi-422-detail-list",
        ),
        pytest.param({"detail": [{"message": "limit too large"}]}, None, id="detail-list-message"),
    ],
)
def test_every_documented_way_of_saying_why_counts_as_a_message(body: Any, headers: dict[str, str] | None) -> None:
    assert violations(observed(refusing_with(body, headers), PROBES), "bad-parameters") == []


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({}, id="empty"),
        pytest.param({"error": "   "}, id="blank-string"),
        pytest.param({"error": {"message": ""}}, id="empty-object-message"),
        pytest.param({"error": {"code": 400}}, id="object-without-message"),
        pytest.param({"reason": "limit out of range"}, id="undocumented-key"),
        pytest.param(["limit out of range"], id="not-an-object"),
        pytest.param({"detail": []}, id="empty-detail-list"),
        pytest.param({"detail": [{"loc": ["query", "limit"], "msg": ""}]}, id="detail-list-without-msg"),
        pytest.param({"detail": [{"msg": "too large"}, "?"]}, id="detail-list-not-all-errors"),
    ],
)
def test_a_4xx_that_does_not_say_why_is_flagged(body: Any) -> None:
    found = violations(observed(refusing_with(body), PROBES), "bad-parameters")
    assert found
    assert all(v.evidence["probe"] in PROBES.probes() for v in found)
    assert all("without an error message" in v.message for v in found)


def test_a_model_without_an_id_is_counted_per_walk() -> None:
    def anonymous(request: httpx.Request, body: Body) -> Body | None:
        if gateway_of(request) == "groq":
            for model in body["data"][:2]:
                del model["id"]
        return body

    found = violations(observed(tampered(anonymous), GROQ), "schema")
    counted = [v for v in found if "missing_ids" in v.evidence]
    assert [(v.evidence["gateway"], v.evidence["missing_ids"]) for v in counted] == [("groq", 2)]


# -- what a result says: the first violation, how many more, what it follows from --------------------------------


def result(*messages: str, causes: tuple[str | None, ...] = (), not_judged: tuple[tuple[str, str], ...] = ()) -> Any:
    causes = causes or (None,) * len(messages)
    found = tuple(checks.Violation("coverage", m, cause=c) for m, c in zip(messages, causes, strict=True))
    return checks.CheckResult("coverage", "title", found, not_judged)


def test_a_result_summary_is_pass_not_judged_or_its_first_violation_and_how_many_more() -> None:
    assert result().summary() == "pass"
    unjudged = (("groq", "no truth"), ("google", "no baseline"), ("cerebras", "no truth"))
    assert result(not_judged=unjudged).summary() == "not judged: groq, cerebras (no truth); google (no baseline)"
    assert result("a", not_judged=unjudged).summary() == "a"  # a violation outranks what was not judged
    assert result("a").summary() == "a"  # exactly one: no "more"
    assert result("a", "b").summary() == "a (+1 more)"
    assert result("a", "b", "c").summary() == "a (+2 more)"


def test_a_result_follows_from_other_checks_only_if_every_violation_does() -> None:
    both = result("a", "b", causes=("offset-progression", "known-gateways"))
    assert both.causes == ("known-gateways", "offset-progression")
    assert both.summary() == "a (+1 more) [follows from known-gateways, offset-progression]"
    assert result("a", "b", causes=("offset-progression", None)).causes == ()
    assert result("a", causes=("offset-progression",)).summary() == "a [follows from offset-progression]"


def test_a_cause_counts_only_on_the_same_gateway_or_listing() -> None:
    def failed(name: str, **evidence: Any) -> checks.CheckResult:
        return checks.CheckResult(name, name, (checks.Violation(name, "x", evidence),))

    results = [
        failed("offset-progression", gateway="groq"),
        failed("all-completeness", listing="all"),
        failed("coverage", gateway="groq"),
        failed("count-floor", gateway="google"),
        failed("provenance", listing="all"),
        failed("phantom", gateway="groq"),
    ]
    causes = {r.name: r.violations[0].cause for r in checks.attribute(results)}
    assert causes == {
        "offset-progression": None,
        "all-completeness": None,
        "coverage": "offset-progression",
        "count-floor": None,  # Groq's broken walk explains nothing about Google
        "provenance": "all-completeness",  # the subject of a listing's violation is its label
        "phantom": None,  # id-hygiene did not fail
    }
    no_subject = [failed("offset-progression", url="https://x/1"), failed("coverage", url="https://x/2")]
    assert checks.attribute(no_subject)[1].violations[0].cause is None  # two findings without a subject: unrelated


# -- the registry: a check's name and title, written once ---------------------------------------------------------


def test_a_check_is_registered_under_its_name_with_its_title_and_left_unchanged() -> None:
    def rule(seen: Observation, context: checks.Context) -> list[checks.Violation]:
        return []

    try:
        assert checks.contract_check("mutation-test-only", "a title said once")(rule) is rule
        assert checks.CHECKS["mutation-test-only"] == checks.Check("mutation-test-only", "a title said once", rule)
    finally:
        del checks.CHECKS["mutation-test-only"]


# -- how many ids a message shows --------------------------------------------------------------------------------


def test_a_message_shows_max_examples_ids_and_counts_the_rest() -> None:
    context = universe_context(max_examples=3)
    assert checks._ids_said(("a", "b", "c"), context) == "a, b, c"  # exactly max_examples: nothing more
    assert checks._ids_said(("a", "b", "c", "d"), context) == "a, b, c (+1 more)"
    assert checks._ids_said(tuple(f"m{n}" for n in range(1_203)), context) == "m0, m1, m2 (+1,200 more)"


def test_examples_are_sorted_as_text_and_capped() -> None:
    context = universe_context(max_examples=3)
    assert checks._examples([("b", 2), ("a", 10), ("a", 9), ("c", 1)], context) == [("a", 10), ("a", 9), ("b", 2)]


def test_a_duplication_factor_of_nothing_is_not_a_number() -> None:
    assert checks.duplication_factor(5, 0) == "n/a"
    assert checks.duplication_factor(5, 1) == "5.0x"  # one unique id is a factor, not "n/a"
    assert checks.duplication_factor(10_000_001, 10_000_000) == "1.000000x"  # beyond six decimals: the last resort


# -- how a walk is told as evidence ------------------------------------------------------------------------------


def walk_of(sizes: list[int], *, complete: bool = True, error: Exception | None = None) -> Any:
    from catalog_guard.gateway_client import GatewayWalk
    from catalog_guard.paging import Page

    url = "https://gw.test/v1/models?gateway=groq&limit=5&offset={}"
    pages = [
        Page(n, url.format(5 * n), 200, {}, {}, [{"id": f"m{n}-{i}"} for i in range(size)], None)
        for n, size in enumerate(sizes)
    ]
    return GatewayWalk("groq", 5, pages, complete=complete, error=error)  # type: ignore[arg-type]


def test_a_walk_is_told_page_by_page_up_to_four_pages_then_the_first_three_and_the_last() -> None:
    last = "(last: GET https://gw.test/v1/models?gateway=groq&limit=5&offset={})"
    assert checks._walk_story(walk_of([5, 5, 5, 3])) == (
        f"its walk: offset 0 gave 5, offset 5 gave 5, offset 10 gave 5, offset 15 gave 3 {last.format(15)}"
    )
    assert checks._walk_story(walk_of([5, 5, 5, 5, 1])) == (
        f"its walk: offset 0 gave 5, offset 5 gave 5, offset 10 gave 5, ..., offset 20 gave 1 {last.format(20)}"
    )


def test_a_walk_story_says_how_an_unfinished_walk_ended_and_when_there_was_no_page() -> None:
    from catalog_guard.errors import ServerError

    ended = checks._walk_story(walk_of([5], complete=False, error=ServerError("503 from the gateway")))
    assert ended.endswith("offset=0); then ServerError: 503 from the gateway")
    assert "then" not in checks._walk_story(walk_of([5], complete=False))  # stopped, but no error to tell
    assert checks._walk_story(walk_of([], complete=False)) == "its walk: no page"


# -- what a broken unique_models walk is said to be, when the flag is judged against it -----------------------------


def test_a_walk_that_did_not_end_or_repeats_is_named_and_a_sound_one_is_not() -> None:
    from catalog_guard.errors import ServerError

    assert checks._walk_trouble(walk_of([5, 5])) == ""
    assert checks._walk_trouble(walk_of([5], complete=False, error=ServerError("boom"))) == (
        "it did not end: ServerError: boom"
    )
    repeated = walk_of([2, 2])
    repeated.ids = ["a", "b", "a", "b"]
    assert checks._walk_trouble(repeated) == "2 ids repeated across its pages"


def test_a_gateway_that_left_no_page_and_no_error_is_unserved_without_a_quote() -> None:
    from catalog_guard.gateway_client import GatewayWalk

    plan = ObservePlan(gateways=("groq",), include_all=False)
    seen = Observation("https://gw.test", plan, walks={"groq": GatewayWalk("groq", 100)})
    [violation] = checks.check_known_gateways(seen, checks.Context())
    assert (
        violation.message == "serves 0 of the 1 gateways asked for; not served: groq (no page). Is the base URL right?"
    )


def test_an_alias_without_models_says_what_it_answered_or_that_nothing_was() -> None:
    from catalog_guard.gateway_client import GatewayWalk

    served = walk_of([3])
    empty = walk_of([0])
    plan = ObservePlan(gateways=("huggingface",), include_all=False)
    for alias, said in (
        (GatewayWalk("hug", 100), "no page was answered"),
        (empty, "answered 200 with an empty list (https://gw.test/v1/models?gateway=groq&limit=5&offset=0)"),
    ):
        seen = Observation("https://gw.test", plan, walks={"huggingface": served}, aliases={"hug": alias})
        [violation] = checks.check_known_gateways(seen, checks.Context())
        assert violation.message == f"alias hug: no models: {said}"


# -- paging-ends: what each end probe may answer ------------------------------------------------------------------


def answered(status: int, body: Any = None) -> Any:
    from catalog_guard.gateway_client import GatewayResponse

    return GatewayResponse("https://gw.test/v1/models?gateway=groq", status, {}, body, "", [], None)


@pytest.mark.parametrize("status", [400, 404, 422, 499])
def test_one_past_the_maximum_limit_passes_with_any_4xx(status: int) -> None:
    assert checks._end_probe("limit-one-past-maximum", answered(status), None) == []


@pytest.mark.parametrize("status", [200, 399, 500, 503])
def test_one_past_the_maximum_limit_fails_with_anything_but_a_4xx(status: int) -> None:
    [violation] = checks._end_probe("limit-one-past-maximum", answered(status), None)
    assert (
        violation.message
        == f"limit-one-past-maximum: https://gw.test/v1/models?gateway=groq answered {status} (0 models), not a 4xx"
    )


@pytest.mark.parametrize(
    ("name", "status", "said"),
    [
        (
            "offset-past-total",
            500,
            "offset-past-total: https://gw.test/v1/models?gateway=groq answered 500, not an empty page or a 4xx",
        ),
        (
            "offset-at-total",
            500,
            "offset-at-total: https://gw.test/v1/models?gateway=groq answered 500, not an empty page",
        ),
        (
            "offset-at-total",
            404,
            "offset-at-total: https://gw.test/v1/models?gateway=groq answered 404, not an empty page",
        ),
        ("offset-past-total", 499, "offset-past-total: 499 without an error message"),
    ],
)
def test_past_the_end_a_5xx_or_a_4xx_without_a_message_fails(name: str, status: int, said: str) -> None:
    [violation] = checks._end_probe(name, answered(status, {}), None)
    assert (violation.check, violation.message) == ("paging-ends", said)
    assert violation.evidence == {
        "probe": name,
        "url": "https://gw.test/v1/models?gateway=groq",
        "status": status,
        "returned": 0,
    }


def test_past_the_end_a_4xx_that_says_why_passes() -> None:
    assert checks._end_probe("offset-past-total", answered(499, {"error": "offset past the end"}), None) == []


def test_the_last_row_probe_quotes_the_first_two_ids_it_got() -> None:
    from catalog_guard.gateway_client import GatewayResponse

    rows = [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    got = GatewayResponse("https://gw.test/last", 200, {}, {"data": rows}, "", rows, None)
    [violation] = checks._end_probe("last-row", got, None)
    assert violation.message == (
        "last-row: https://gw.test/last answered 3 models (['a', 'b']) with has_more=None; expected the walk's last "
        "model None alone and no more"
    )


# -- paging-arithmetic: a page that does not echo its offset is judged at the offset it was asked for ------------------


def test_a_page_without_an_echoed_offset_is_judged_at_its_requested_offset() -> None:
    def no_offset(request: httpx.Request, body: Body) -> Body | None:
        body.pop("offset", None)
        if is_walk_page(request, "huggingface", 100):
            body["has_more"] = not body["has_more"]
        return body

    found = violations(observed(tampered(no_offset), ONE), "paging-arithmetic")
    total = len(universe_context().truth["huggingface"])
    # the walk stops there (has_more=False), so its total is wrong too; the has_more error names offset 100
    assert f"huggingface: has_more=False at offset 100 with 100 returned of total {total}" in [v.message for v in found]


# -- the config: fractions between 0 and 1, both ends included ------------------------------------------------------


@pytest.mark.parametrize("value", [0, 0.0, 0.5, 1, 1.0])
def test_a_floor_and_a_tolerance_from_zero_to_one_are_accepted(value: float) -> None:
    config = checks.ContractConfig(coverage_floor=value, count_tolerance=value)
    assert (config.coverage_floor, config.count_tolerance) == (value, value)


@pytest.mark.parametrize("value", [-0.01, 1.01, float("nan"), "0.9", None])
@pytest.mark.parametrize("knob", ["coverage_floor", "count_tolerance"])
def test_a_floor_or_a_tolerance_outside_zero_to_one_is_refused_naming_the_option(knob: str, value: Any) -> None:
    option = "--" + knob.replace("_", "-")
    said = f"{option} must be a fraction between 0 and 1, got {value!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(said)}$"):
        checks.ContractConfig(**{knob: value})


@pytest.mark.parametrize("budget", [None, 0, 0.0, 2.5, 10])
def test_a_latency_budget_of_none_or_zero_or_more_seconds_is_accepted(budget: float | None) -> None:
    assert checks.ContractConfig(latency_budget=budget).latency_budget == budget


@pytest.mark.parametrize("budget", [-5, -0.01, float("nan"), float("inf"), "10"])
def test_a_negative_or_endless_latency_budget_is_refused_naming_the_option(budget: Any) -> None:
    said = f"--latency-budget must be a finite number of seconds, 0 or more, got {budget!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(said)}$"):
        checks.ContractConfig(latency_budget=budget)


# -- what is reported as not judged, and in which order ----------------------------------------------------------------


def test_not_judged_lists_the_walked_gateways_in_the_contracts_order(reference_groq: Observation) -> None:
    seen = dataclasses.replace(
        reference_groq, walks={**reference_groq.walks, "huggingface": reference_groq.walks["groq"]}
    )
    reasons = {"groq": "no truth", "zeta": "no truth", "huggingface": "no baseline", "google": "not walked"}
    context = dataclasses.replace(universe_context(), not_judged={"coverage": reasons})
    results = {r.name: r for r in checks.run_checks(seen, context, names=["coverage", "schema"])}
    assert list(results) == ["coverage", "schema"]  # the named checks only, in the order asked
    assert results["coverage"].not_judged == (("huggingface", "no baseline"), ("groq", "no truth"))
    assert results["schema"].not_judged == ()


def test_gateways_are_ordered_as_the_contract_lists_them_then_alphabetically() -> None:
    names = {"zeta": 1, "groq": 1, "alpha": 1, "huggingface": 1, "openrouter": 1}
    order = [name for name, _ in checks._in_plan_order(names)]
    assert order == ["huggingface", "openrouter", "groq", "alpha", "zeta"]


def test_without_a_context_the_checks_run_with_the_default_config(reference_groq: Observation) -> None:
    results = checks.run_checks(reference_groq)
    assert [(r.name, r.title) for r in results] == [(c.name, c.title) for c in checks.CHECKS.values()]
    assert all(r.passed for r in results)  # no truth, no baseline: nothing to fall short of


def test_an_unserved_gateway_is_described_by_its_status_or_its_error_in_80_characters() -> None:
    from catalog_guard.errors import CatalogGuardError, ClientError
    from catalog_guard.gateway_client import GatewayWalk

    plan = ObservePlan(gateways=("groq", "google", "cerebras", "xai"), include_all=False)
    walks = {
        "groq": GatewayWalk("groq", 100, error=CatalogGuardError("x" * 100)),
        "google": GatewayWalk("google", 100, error=ClientError("gone", status=410)),
        "cerebras": GatewayWalk("cerebras", 100),
        "xai": walk_of([5]),
    }
    unserved = checks.unserved_gateways(Observation("https://gw.test", plan, walks=walks))
    assert unserved == {"groq": ("CatalogGuardError: " + "x" * 100)[:80], "google": "410", "cerebras": "no page"}


# -- alias: the documented flag against the implemented one, on prepared answers -------------------------------


def response(status: int, ids: list[str], url: str = "https://gw.test/v1/models?gateway=all&unique=true") -> Any:
    from catalog_guard.gateway_client import GatewayResponse

    rows = [{"id": i} for i in ids]
    return GatewayResponse(url, status, {}, {"data": rows}, "", rows, None)


def flagged(
    probe: Any, single: Any = None, walk: Any = None, *, flag: str = "unique", target: str = "unique_models"
) -> list[tuple[str, dict[str, Any], str | None]]:
    seen = Observation("https://gw.test", ObservePlan(gateways=("groq",)))
    if probe is not None:
        seen.flag_probes[flag] = probe
    if single is not None:
        seen.unique_singles[target] = single
    if walk is not None:
        seen.unique_walks[target] = walk
    return [(v.message, dict(v.evidence), v.cause) for v in checks._flag_alias(seen, flag, target)]


def rows_walk(*pages: list[str], complete: bool = True, error: Exception | None = None) -> Any:
    walk = walk_of([len(page) for page in pages], complete=complete, error=error)
    for page, ids in zip(walk.pages, pages, strict=True):
        page.items[:] = [{"id": i} for i in ids]
    walk.ids = [i for page in pages for i in page]
    return walk


SAID = "gateway=all&unique=true (the documented flag) answered {} with a listing that differs from"


def test_the_flag_is_judged_only_with_a_probe_and_something_to_compare_it_with() -> None:
    assert flagged(None, response(200, ["a"])) == []
    assert flagged(response(200, ["a"])) == []


def test_the_flag_answering_what_the_implemented_one_answers_passes_even_when_both_refuse() -> None:
    assert flagged(response(200, ["a", "b"]), response(200, ["a", "b"])) == []
    assert flagged(response(400, []), response(400, [])) == []


def test_the_flag_differing_from_the_implemented_one_asked_the_same_way_is_ignored() -> None:
    evidence = {"flag": "unique", "target": "unique_models", "status": 200, "position": 1}
    assert flagged(response(200, ["a", "x", "c"]), response(200, ["a", "b", "c"])) == [
        (
            f"{SAID.format(200)} unique_models=true asked the same way (200) from position 1: the flag is ignored",
            evidence,
            None,
        )
    ]
    shorter = flagged(response(200, ["a", "b"]), response(200, ["a", "b", "c"]))  # a prefix differs at its end
    assert [e["position"] for _, e, _ in shorter] == [2]
    refused = flagged(response(400, ["a", "b"]), response(200, ["a", "b"]))
    assert [(e["status"], e["position"]) for _, e, _ in refused] == [(400, 2)]
    assert refused[0][0].startswith(SAID.format(400) + " unique_models=true asked the same way (200) from position 2")


def test_without_the_like_for_like_request_the_flag_is_judged_against_the_walk() -> None:
    walk = rows_walk(["a", "b"], ["c", "d"])
    assert flagged(response(200, ["a", "b", "c"]), walk=walk) == []  # the probe's rows are the walk's first rows
    assert flagged(response(200, ["a", "x", "c"]), walk=walk) == [
        (
            f"{SAID.format(200)} the unique_models=true walk from position 1: the flag is ignored",
            {"flag": "unique", "target": "unique_models", "status": 200, "position": 1},
            None,
        )
    ]
    assert flagged(response(400, ["a", "b", "c"]), walk=walk)[0][0].startswith(SAID.format(400))


def test_a_broken_walk_is_named_as_the_cause_instead_of_the_flag() -> None:
    from catalog_guard.errors import ServerError

    repeating = rows_walk(["a", "b"], ["b", "c"])
    [(message, evidence, cause)] = flagged(response(200, ["a", "x"]), walk=repeating)
    assert message == (
        f"{SAID.format(200)} the unique_models=true walk from position 1, but that walk is itself broken (1 ids "
        "repeated across its pages): the likely cause is the paging of the unique_models listing, not the flag"
    )
    assert (evidence["position"], cause) == (1, "no-duplicates")
    unfinished = rows_walk(["a", "b"], complete=False, error=ServerError("503"))
    [(message, _, cause)] = flagged(response(200, ["x"]), walk=unfinished)
    assert "(it did not end: ServerError: 503)" in message
    assert cause == "offset-progression"
    [(message, _, cause)] = flagged(response(400, ["x"]), walk=unfinished)  # a refused flag is the flag's fault
    assert (message.endswith("the flag is ignored"), cause) == (True, None)


def test_a_request_without_a_limit_or_offset_is_not_held_to_one() -> None:
    url = "https://gw.test/v1/models?gateway=groq"  # the gateway's defaults apply: nothing was asked
    single = response(200, [f"m{n}" for n in range(19)], url=url)
    single.body.update({"returned": 19, "offset": 0})
    seen = Observation("https://gw.test", ObservePlan(gateways=("groq",)), singles={"groq": single})
    assert checks.check_page_bounds(seen, checks.Context()) == []


def test_the_walk_and_the_single_listing_part_ways_at_a_named_request_and_ids() -> None:
    """Where the walk and the one-request listing differ, the message names the walk's page holding that position
    and the two ids there; a walk that ends early has 'nothing' there, and the last page is the one to look at."""
    walk = walk_of([5, 5, 2])
    assert checks._page_holding(walk, 0) == walk.pages[0].url
    assert checks._page_holding(walk, 4) == walk.pages[0].url
    assert checks._page_holding(walk, 5) == walk.pages[1].url
    assert checks._page_holding(walk, 11) == walk.pages[2].url
    assert checks._page_holding(walk, 12) == walk.pages[2].url  # past the end: the page it ended on
    assert checks._page_holding(walk_of([]), 0) == ""


def test_a_walk_shorter_than_the_single_listing_has_nothing_there(reference_groq: Observation) -> None:
    walk = reference_groq.walks["groq"]
    short = dataclasses.replace(walk, pages=walk.pages, ids=walk.ids[:-1])
    seen = dataclasses.replace(reference_groq, walks={**reference_groq.walks, "groq": short})
    [violation] = [v for v in violations(seen, "offset-progression") if "single" in v.evidence]
    assert violation.evidence["walked"] == "nothing"
    assert violation.evidence["single"] == walk.ids[-1]
    assert violation.evidence["position"] == len(walk.ids) - 1
    assert violation.evidence["url"] == walk.pages[-1].url
    assert f"there the walk has nothing (GET {walk.pages[-1].url}) where one request has {walk.ids[-1]}" in (
        violation.message
    )
