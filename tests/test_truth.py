"""Live truth over loopback fakes: a gateway is judged against its upstreams as they are at audit time.

Everything runs against one loopback server (:mod:`catalog_guard.fakes.mounted`) that serves the Hub, the twelve
providers and the gateway under test, each under its own path prefix, over a universe built from *another* seed
than the shipped corpus: its invented ids are not the corpus's, as a real gateway's are not. Every figure is
computed from the fakes.
"""

from __future__ import annotations

import functools
import json
import textwrap
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from catalog_guard import audit, cli, corpus, gallery, gateways, regressions, truth
from catalog_guard import universe as universe_module
from catalog_guard.checks import CHECKS, ContractConfig
from catalog_guard.contract import FetcherContract
from catalog_guard.fakes.gateway import FakeGateway, GatewayState, asgi_app, render_hub_model
from catalog_guard.fakes.hub import FakeHub
from catalog_guard.fakes.mounted import base_urls, mounted, upstream_fakes
from catalog_guard.fakes.transport import FakeInternet, Handler
from catalog_guard.gateways import KNOWN
from catalog_guard.limits import Limits
from catalog_guard.observe import ObservePlan
from catalog_guard.providers import GATEWAY_SPECS
from catalog_guard.serve import serving
from catalog_guard.skew import SkewAllowance
from catalog_guard.target import GatewayTarget

OTHER_SEED = 20260101  # not the shipped corpus's seed
HUB = "huggingface"
GATEWAY = "gateway"
HUB_ONLY = ObservePlan(gateways=(HUB,), include_all=False, include_unique=False)
#: one token per upstream, shaped like real ones so that scrubbing is put to the test
pytest_plugins = ["pytester"]
TOKENS = {name: f"sk-test-{name}-0123456789abcdefABCDEF" for name in truth.UPSTREAMS}


def no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture(scope="module")
def other() -> universe_module.Universe:
    return universe_module.build(OTHER_SEED)


def correct_state(world: universe_module.Universe) -> GatewayState:
    return GatewayState.from_universe(
        world, universe_module.DAY_1, universe_module.hub_order(world.hub_models), name="current"
    )


def hub_rows(state: GatewayState) -> list[dict[str, Any]]:
    return state.catalog(HUB)


@contextmanager
def loopback(
    world: universe_module.Universe, state: GatewayState, overrides: Mapping[str, Handler] | None = None
) -> Iterator[str]:
    """One loopback server: the world's upstreams and a gateway serving ``state``; yields its base URL."""

    def make(base: str) -> Any:
        handlers = {**upstream_fakes(base, world), **(overrides or {}), GATEWAY: FakeGateway(state)}
        return asgi_app(mounted(handlers))

    with serving(make) as base:
        yield base


def run(
    base: str,
    *,
    plan: ObservePlan = HUB_ONLY,
    tokens: Mapping[str, str] = TOKENS,
    judged_by: truth.Truth | Callable[[], truth.Truth] | None = None,
    config: ContractConfig | None = None,
    require_all_truth: bool = False,
) -> audit.Audit:
    """A live audit of the loopback gateway, with live truth from the loopback upstreams unless ``judged_by``."""
    fetch = judged_by or functools.partial(
        truth.fetch_live_truth,
        plan.gateways,
        tokens=tokens,
        base_urls=base_urls(base, truth.UPSTREAMS),
        sleep=no_sleep,
    )
    target = GatewayTarget(base_url=f"{base}/{GATEWAY}", limits=Limits(timeout=30))
    return audit.live_audit(target, plan, truth=fetch, config=config, require_all_truth=require_all_truth)


def failures(result: audit.Audit) -> dict[str, list[str]]:
    return {r.name: [v.message for v in r.violations] for r in result.checks if not r.passed}


def result_of(result: audit.Audit, name: str) -> Any:
    return next(r for r in result.checks if r.name == name)


# ---------------------------------------------------------------------------------------------------------------


def test_another_universe_passes_with_live_truth_and_fails_with_the_recorded_truth(
    other: universe_module.Universe,
) -> None:
    shipped = corpus.recorded_truth()[HUB]
    assert set(other.hub_ids()) != shipped, "the other universe must not be the shipped corpus"
    with loopback(other, correct_state(other)) as base:
        live = run(base, plan=ObservePlan())
        recorded = run(base, plan=ObservePlan(), judged_by=truth.load_truth())
    assert failures(live) == {}
    assert live.exit_code == 0
    assert live.truth is not None
    assert live.truth.kind == "live"
    assert live.truth.not_judged() == {}
    assert set(live.truth.ids()) == set(KNOWN)
    assert live.truth.ids()[HUB] == frozenset(m["id"] for m in universe_module.hub_order(other.hub_models))
    # no baseline was given: the count floor says so, it does not pass silently
    assert dict(result_of(live, "count-floor").not_judged)[HUB] == truth.NO_BASELINE
    assert recorded.exit_code == 1
    assert "coverage" in failures(recorded)
    assert "phantom" in failures(recorded)


def test_the_seed_regressions_fail_under_the_default_skew_allowance() -> None:
    """Each Hub listing a seed backend served (101, 100, 1,000, 1,204 of 1,377) misses more than the default
    allowance forgives."""
    total = len(universe_module.hub_order(universe_module.build().hub_models))
    allowance = SkewAllowance()
    for code in ("F2", "F3", "F4", "F5"):
        served = len({model["id"] for model in gallery.hub_listing(code)})
        assert total - served > allowance.allowed(total), (code, served, total)


def test_a_gateway_serving_the_sort_union_fails_with_live_truth(other: universe_module.Universe) -> None:
    hub = FakeHub.from_universe(other)
    with FakeInternet({gateways.HUB_HOST: hub}).install():
        union = regressions.f5_sort_union()
    ordered = universe_module.hub_order(other.hub_models)
    assert len(union) < len(ordered)
    state = correct_state(other).with_catalog(HUB, [render_hub_model(m) for m in union])
    with loopback(other, state) as base:
        result = run(base)
    assert result.exit_code == 1
    [violation] = result_of(result, "coverage").violations
    assert violation.evidence["covered"] == len(union)
    assert violation.evidence["upstream"] == len(ordered)
    assert f"lists {len(union):,} of the {len(ordered):,}" in violation.message


def test_a_missing_provider_key_is_not_judged_never_passed(other: universe_module.Universe) -> None:
    # the gateway lists only half of together's catalog: without together's truth that cannot be seen, and the
    # report must say so instead of passing it
    state = correct_state(other)
    state = state.with_catalog("together", state.catalog("together")[::2])
    plan = ObservePlan(gateways=(HUB, "together", "groq"), include_all=False, include_unique=False)
    without = {name: token for name, token in TOKENS.items() if name != "together"}
    with loopback(other, state) as base:
        result = run(base, plan=plan, tokens=without)
        strict = run(base, plan=plan, tokens=without, require_all_truth=True)
        with_key = run(base, plan=plan)
    assert result.truth is not None
    reason = result.truth.not_judged()["together"]
    assert GATEWAY_SPECS["together"].token_env in reason
    coverage = result_of(result, "coverage")
    assert coverage.passed
    assert dict(coverage.not_judged) == {"together": reason}
    assert coverage.summary().startswith("not judged: together")
    assert result.exit_code == 0
    assert strict.exit_code == 2
    assert "coverage" in failures(with_key), "with the key the loss is seen"


def test_an_audit_that_judged_no_upstream_is_not_judged_never_passed(other: universe_module.Universe) -> None:
    """Without any upstream's truth nothing is compared with an upstream: a gateway that lost half of its catalog
    would pass. That is exit 2 (not judged), even without --require-all-truth; one upstream judged is enough to
    pass what was judged."""
    state = correct_state(other)
    state = state.with_catalog("together", state.catalog("together")[::2])
    alone = ObservePlan(gateways=("together",), include_all=False, include_unique=False)
    both = ObservePlan(gateways=("together", "groq"), include_all=False, include_unique=False)
    without = {name: token for name, token in TOKENS.items() if name != "together"}
    with loopback(other, state) as base:
        nothing = run(base, plan=alone, tokens=without)
        some = run(base, plan=both, tokens=without)
    assert nothing.judged_no_upstream
    assert (nothing.exit_code, nothing.verdict) == (2, "NOT JUDGED")
    assert not some.judged_no_upstream
    assert (some.exit_code, some.verdict) == (0, "PASS for what was judged")


def test_an_upstream_answering_401_is_not_judged(other: universe_module.Universe) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": {"message": "invalid api key"}})

    plan = ObservePlan(gateways=(HUB, "groq"), include_all=False, include_unique=False)
    with loopback(other, correct_state(other), {"groq": refuse}) as base:
        result = run(base, plan=plan)
    assert result.truth is not None
    assert "401" in result.truth.not_judged()["groq"]
    assert TOKENS["groq"] not in json.dumps(result.truth.summary())
    assert "groq" in dict(result_of(result, "coverage").not_judged)


@pytest.mark.parametrize("side", ["missing", "extra"])
def test_skew_within_the_allowance_passes_and_beyond_it_fails_naming_the_ids(
    other: universe_module.Universe, side: str
) -> None:
    state = correct_state(other)
    rows = hub_rows(state)
    allowed = SkewAllowance().allowed(len(rows))
    assert allowed > 0

    def skewed(count: int) -> tuple[GatewayState, list[str]]:
        if side == "missing":
            return state.with_catalog(HUB, rows[count:]), sorted(row["id"] for row in rows[:count])
        phantoms = [{**row, "id": f"phantom-org/model-{n:03d}"} for n, row in enumerate(rows[:count])]
        return state.with_catalog(HUB, rows + phantoms), sorted(row["id"] for row in phantoms)

    check = "coverage" if side == "missing" else "phantom"
    within, _ = skewed(allowed)
    beyond, ids = skewed(allowed + 1)
    with loopback(other, within) as base:
        assert failures(run(base)) == {}
    with loopback(other, beyond) as base:
        result = run(base)
    assert set(failures(result)) == {check}
    [violation] = result_of(result, check).violations
    assert violation.evidence[side] == ids
    assert violation.evidence["allowed"] == allowed


def test_saved_truth_replays_to_the_same_verdict(other: universe_module.Universe, tmp_path: Path) -> None:
    state = correct_state(other)
    state = state.with_catalog(HUB, hub_rows(state)[:1000])  # fails coverage: something to replay
    plan = ObservePlan(gateways=(HUB, "groq", "google"), include_all=False, include_unique=False)
    with loopback(other, state) as base:
        live = run(base, plan=plan)
        assert live.truth is not None
        written = truth.save_truth(live.truth, tmp_path, secrets={k: v for k, v in TOKENS.items()})
        replayed = run(base, plan=plan, judged_by=truth.load_truth(tmp_path, plan.gateways))
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == [
        "huggingface/cursor.json",
        "providers/google.json",
        "providers/groq.json",
    ]
    for path in written:
        text = path.read_text()
        assert not any(token in text for token in TOKENS.values())
        provenance = json.loads(text)["provenance"]
        assert provenance["kind"] == "live"
        assert provenance["recorded_at"] == live.truth.fetched_at
        assert "127.0.0.1" in provenance["note"]
        assert "127.0.0.1" not in text.replace(provenance["note"], "")
    assert replayed.truth is not None
    assert replayed.truth.ids() == live.truth.ids()
    verdict = [(r.name, r.passed, [v.message for v in r.violations]) for r in live.checks]
    assert [(r.name, r.passed, [v.message for v in r.violations]) for r in replayed.checks] == verdict
    assert not live.passed


def test_the_command_fetches_saves_and_replays_live_truth_with_a_baseline(
    other: universe_module.Universe, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(corpus.HF_TOKEN_ENV, TOKENS[HUB])
    for name, spec in GATEWAY_SPECS.items():
        assert spec.token_env is not None
        monkeypatch.setenv(spec.token_env, TOKENS[name])
    saved, report = tmp_path / "truth", tmp_path / "report.json"
    state = correct_state(other)
    with loopback(other, state) as base:
        common = ["audit", "--gateway-url", f"{base}/{GATEWAY}", "--no-progress", "--gateway", HUB]
        overrides = [f"--base-url={name}={url}" for name, url in base_urls(base, truth.UPSTREAMS).items()]
        assert cli.main([*common, *overrides, "--save-truth", str(saved), "--require-all-truth"]) == 0
        table = capsys.readouterr()
        assert cli.main([*common, "--truth", str(saved), "--format", "json", "--output", str(report)]) == 0
        replay = capsys.readouterr().out
        # the saved truth holds the Hub only: together is not judged, which --require-all-truth refuses
        assert cli.main([*common, "--gateway", "together", "--truth", str(saved), "--require-all-truth"]) == 2
        strict = capsys.readouterr()
    with loopback(other, state.with_catalog(HUB, hub_rows(state)[:-50])) as base:
        shrunk = ["audit", "--gateway-url", f"{base}/{GATEWAY}", "--no-progress", "--gateway", HUB]
        assert cli.main([*shrunk, "--truth", str(saved), "--baseline", str(report), "--format", "json"]) == 1
        fell = json.loads(capsys.readouterr().out)
    first = table.out.splitlines()[0]
    assert "truth: live" in first
    assert "1 of 1 upstreams judged" in first
    assert "saved the live truth as 1 cassettes" in table.err
    assert not any(token in table.out + table.err + replay for token in TOKENS.values())
    assert json.loads(replay)["truth"]["kind"] == "recorded"
    assert json.loads(replay)["truth"]["data"] == "live"
    assert "NOT JUDGED: together: no providers/together cassette" in strict.out
    assert "--require-all-truth: no truth for together" in strict.err
    failed = {c["name"] for c in fell["checks"] if not c["passed"]}
    assert {"coverage", "count-floor"} <= failed


def test_truth_options_need_a_live_gateway(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["audit", "--truth", "live"]) == 2
    assert "--truth applies to a live audit" in capsys.readouterr().err
    assert cli.main(["audit", "--gateway-url", "http://127.0.0.1:9", "--truth", "/no/such/dir"]) == 2
    assert "--truth '/no/such/dir'" in capsys.readouterr().err


def test_a_failing_report_is_not_a_baseline(tmp_path: Path) -> None:
    report = tmp_path / "failed.json"
    report.write_text(json.dumps({"passed": False, "walks": [{"gateway": HUB, "unique": 10}]}))
    with pytest.raises(truth.TruthError, match="did not pass"):
        truth.read_baseline(report)
    report.write_text(json.dumps({"passed": True, "walks": [{"gateway": HUB, "unique": 10}, {"gateway": "hug"}]}))
    assert truth.read_baseline(report) == {HUB: 10}


def test_the_pyargs_runner_takes_the_same_truth_choices(
    other: universe_module.Universe, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, spec in GATEWAY_SPECS.items():
        assert spec.token_env is not None
        monkeypatch.setenv(spec.token_env, TOKENS[name])
    with loopback(other, correct_state(other)) as base:
        common = ["-p", "no:cacheprovider", "-q", "-rs", "--pyargs", "catalog_guard.contract_tests"]
        common += ["--catalog-guard-gateway-url", f"{base}/{GATEWAY}"]
        overrides = [f"--catalog-guard-base-url={n}={url}" for n, url in base_urls(base, truth.UPSTREAMS).items()]
        live = pytester.runpytest_inprocess(*common, *overrides)  # live is the default for a URL
        recorded = pytester.runpytest_inprocess(*common, "--catalog-guard-truth", "recorded")
    # count-floor has no baseline with live truth: skipped with the reason, not passed; the fetcher runner skips
    fetcher_tests = [name for name in dir(FetcherContract) if name.startswith("test_")]
    live.assert_outcomes(passed=len(CHECKS) - 1, skipped=len(fetcher_tests) + 1)
    live.stdout.fnmatch_lines(["*count-floor not judged for huggingface, openrouter, *, google (no count baseline*"])
    recorded.assert_outcomes(passed=len(CHECKS) - 2, failed=2, skipped=len(fetcher_tests))
    recorded.stdout.fnmatch_lines(["*TestGatewayContract.test_coverage*", "*TestGatewayContract.test_phantom*"])


def test_gateway_contract_class_attributes_choose_the_truth(
    other: universe_module.Universe, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, spec in GATEWAY_SPECS.items():
        assert spec.token_env is not None
        if name == "together":
            monkeypatch.delenv(spec.token_env, raising=False)
        else:
            monkeypatch.setenv(spec.token_env, TOKENS[name])
    with loopback(other, correct_state(other)) as base:
        source = textwrap.dedent(
            f"""
            from catalog_guard.contract import GatewayContract, GatewayTarget
            from catalog_guard.observe import ObservePlan


            class TestStaging(GatewayContract):
                target = GatewayTarget(base_url="{base}/{GATEWAY}")
                plan = ObservePlan(gateways=("huggingface", "together"), include_all=False, include_unique=False)
                truth = "live"
                base_urls = {base_urls(base, truth.UPSTREAMS)!r}
                require_all_truth = {{require}}
            """
        )
        for require, options in ((True, ()), (False, ("--catalog-guard-require-all-truth",))):
            pytester.makepyfile(test_staging=source.replace("{require}", str(require)))
            run = pytester.runpytest_inprocess("-p", "no:cacheprovider", "-q", "-rs", *options)
            # together's key is not set: the checks that need its truth fail under require_all_truth, never pass
            run.assert_outcomes(passed=len(CHECKS) - 3, failed=2, skipped=1)
            run.stdout.fnmatch_lines(
                ["*coverage not judged for together (TOGETHER_API_KEY is not set*require_all_truth*"]
            )
