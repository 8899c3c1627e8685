"""Reusable contract test classes, in the style of pandas' extension tests: subclass, point, run.

A backend team writes, in its own repository::

    from catalog_guard.contract import FetcherContract, GatewayContract, GatewayTarget

    class TestOurHubFetcher(FetcherContract):
        fetcher = staticmethod(our_app.catalog.fetch_huggingface_models)

    class TestOurGateway(GatewayContract):
        target = GatewayTarget(app=our_app.asgi)

and gets one test per contract check. Every test calls the same functions as ``catalog-guard audit``
(:mod:`catalog_guard.checks`, :mod:`catalog_guard.fetcher_checks`); the classes only wire fixtures.
Without writing a class: ``pytest --pyargs catalog_guard.contract_tests --gateway-url URL`` and/or
``--fetcher module:function``.
"""

from __future__ import annotations

import concurrent.futures
import os
from collections.abc import Callable, Iterator, Mapping
from typing import Any, ClassVar

import pytest

from catalog_guard import checks, fetcher_checks, truth
from catalog_guard.observe import Observation, ObservePlan, observe
from catalog_guard.target import TOKEN_ENV, GatewayTarget

PendingTruth = truth.Truth | concurrent.futures.Future[truth.Truth]


def _fail_on(results: list[Any], *, require_all_truth: bool = False) -> None:
    """Fail the calling test with every violation's message (not a bare ``assert False``); a check that could
    not judge some gateway is skipped with the reason, never passed (failed for truth it needed under
    ``require_all_truth``)."""
    messages = [f"[{v.check}] {v.message}" for result in results for v in result.violations]
    if messages:
        pytest.fail("\n".join(messages), pytrace=False)
    unjudged = [(r.name, f"{r.name} not judged for {r.unjudged()}") for r in results if getattr(r, "not_judged", ())]
    if unjudged and require_all_truth and any(name in checks.TRUTH_CHECKS for name, _ in unjudged):
        pytest.fail("\n".join(line for _, line in unjudged) + " (require_all_truth)", pytrace=False)
    if unjudged:
        pytest.skip("\n".join(line for _, line in unjudged))


class GatewayContract:
    """Every check of docs/contract.md §1 against one gateway deployment.

    Set ``target`` (a :class:`GatewayTarget`: a base URL, an ASGI app, or an httpx handler) or override the
    ``gateway_target`` fixture; without either, ``--gateway-url`` is used. ``plan`` and ``config`` narrow or
    loosen the contract (fewer gateways, a coverage floor below 100 %, a count tolerance).
    """

    target: ClassVar[GatewayTarget | None] = None
    optional: ClassVar[bool] = False  # the --pyargs runner skips, rather than fails, without --gateway-url
    plan: ClassVar[ObservePlan] = ObservePlan()
    config: ClassVar[checks.ContractConfig] = checks.ContractConfig()
    #: ``"live"``, ``"recorded"`` or a ``--save-truth`` directory (else ``--catalog-guard-truth``; else live for
    #: a URL, recorded for an in-process app or handler, whose fakes are the recorded world)
    truth: ClassVar[str | None] = None
    baseline: ClassVar[str | None] = None  # a previous audit's JSON report (else --catalog-guard-baseline)
    base_urls: ClassVar[Mapping[str, str]] = {}  # where live truth is fetched from (else --catalog-guard-base-url)
    require_all_truth: ClassVar[bool] = False  # an upstream without truth fails its checks instead of skipping

    @pytest.fixture(scope="class")
    def gateway_target(self, request: pytest.FixtureRequest) -> GatewayTarget:
        if self.target is not None:
            return self.target
        url = request.config.getoption("--gateway-url", default=None)
        if not url:
            if self.optional:
                pytest.skip("no --gateway-url given")
            pytest.fail(
                "GatewayContract needs a gateway: set `target`, override `gateway_target`, or pass --gateway-url",
                pytrace=False,
            )
        token = request.config.getoption("--gateway-token", default=None) or os.environ.get(TOKEN_ENV)
        return GatewayTarget(base_url=url, token=token)

    @pytest.fixture(scope="class")
    def contract_truth(self, request: pytest.FixtureRequest, gateway_target: GatewayTarget) -> Iterator[PendingTruth]:
        """The truth the coverage, phantom and count checks compare against (:mod:`catalog_guard.truth`); live
        truth is fetched on another thread while :meth:`observation` observes the gateway."""
        option = request.config.getoption
        choice = self.truth or option("--catalog-guard-truth", default=None)
        choice = choice or (truth.RECORDED if gateway_target.in_process else truth.LIVE)
        given = dict(option("--catalog-guard-base-url", default=None) or [])
        try:
            chosen = truth.choose(
                choice,
                self.plan.gateways,
                environ=os.environ,
                base_urls={**given, **self.base_urls} if choice == truth.LIVE else None,
                baseline=self.baseline or option("--catalog-guard-baseline", default=None),
            )
        except truth.TruthError as error:
            pytest.fail(str(error), pytrace=False)
        if isinstance(chosen, truth.Truth):
            yield chosen
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            yield pool.submit(chosen)

    @pytest.fixture(scope="class")
    def contract_context(self, contract_truth: PendingTruth) -> checks.Context:
        judged = contract_truth if isinstance(contract_truth, truth.Truth) else contract_truth.result()
        return judged.context(self.config)

    @pytest.fixture(scope="class")
    def observation(self, gateway_target: GatewayTarget, contract_truth: PendingTruth) -> Iterator[Observation]:
        with gateway_target.client() as client:
            yield observe(
                client,
                gateway_target.base_url,
                self.plan,
                headers=gateway_target.headers(),
                sleep=gateway_target.sleep(),
                clock=gateway_target.timer(),
            )

    def _check(self, name: str, observation: Observation, context: checks.Context) -> None:
        _fail_on(checks.run_checks(observation, context, [name]), require_all_truth=self.require_all_truth)

    def test_schema(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("schema", observation, contract_context)

    def test_page_bounds(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("page-bounds", observation, contract_context)

    def test_no_duplicates(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("no-duplicates", observation, contract_context)

    def test_offset_progression(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("offset-progression", observation, contract_context)

    def test_paging_arithmetic(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("paging-arithmetic", observation, contract_context)

    def test_bad_parameters(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("bad-parameters", observation, contract_context)

    def test_known_gateways(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("known-gateways", observation, contract_context)

    def test_alias(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("alias", observation, contract_context)

    def test_all_completeness(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("all-completeness", observation, contract_context)

    def test_coverage(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("coverage", observation, contract_context)

    def test_phantom(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("phantom", observation, contract_context)

    def test_count_floor(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("count-floor", observation, contract_context)

    def test_stable_bodies(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("stable-bodies", observation, contract_context)

    def test_routable(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("routable", observation, contract_context)

    def test_id_hygiene(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("id-hygiene", observation, contract_context)

    def test_paging_ends(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("paging-ends", observation, contract_context)

    def test_provenance(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("provenance", observation, contract_context)

    def test_latency(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("latency", observation, contract_context)


class FetcherContract:
    """A Hugging Face catalog fetcher against the recorded Hub and the fake Hub's scenarios.

    Set ``fetcher`` (any zero-argument callable, e.g. a function that calls module-level ``httpx.get``) or
    override the ``catalog_fetcher`` fixture; without either, ``--fetcher module:function`` is used. The
    fetcher may return model dicts, ids, or an object with ``complete``/``models()``; it may raise on upstream
    trouble. What it may not do is return a shorter catalog as if it were whole.
    """

    fetcher: ClassVar[Any] = None  # a zero-argument callable; wrap plain functions in staticmethod()
    optional: ClassVar[bool] = False  # the --pyargs runner skips, rather than fails, without --fetcher
    request_slack: ClassVar[int] = 1

    @pytest.fixture(scope="class")
    def catalog_fetcher(self, request: pytest.FixtureRequest) -> Callable[[], Any]:
        if self.fetcher is not None:
            chosen: Callable[[], Any] = self.fetcher
            return chosen
        spec = request.config.getoption("--fetcher", default=None)
        if not spec:
            if self.optional:
                pytest.skip("no --fetcher given")
            pytest.fail(
                "FetcherContract needs a fetcher: set `fetcher`, override `catalog_fetcher`, "
                "or pass --fetcher module:function",
                pytrace=False,
            )
        return fetcher_checks.load_fetcher(spec)

    @pytest.fixture(scope="class")
    def recorded_models(self) -> list[dict[str, Any]]:
        from catalog_guard.corpus import recorded_hub_models

        return recorded_hub_models()

    def _check(self, scenario: str, fetcher: Callable[[], Any], models: list[dict[str, Any]]) -> None:
        outcome = fetcher_checks.run_scenario(scenario, fetcher, models, request_slack=self.request_slack)
        _fail_on([outcome])

    def test_recorded_hub(self, catalog_fetcher: Callable[[], Any], recorded_models: list[dict[str, Any]]) -> None:
        self._check("recorded-hub", catalog_fetcher, recorded_models)

    def test_offset_ignored(self, catalog_fetcher: Callable[[], Any], recorded_models: list[dict[str, Any]]) -> None:
        self._check("offset-ignored", catalog_fetcher, recorded_models)

    def test_rate_limited_then_success(
        self, catalog_fetcher: Callable[[], Any], recorded_models: list[dict[str, Any]]
    ) -> None:
        self._check("rate-limited-then-success", catalog_fetcher, recorded_models)

    def test_server_errors(self, catalog_fetcher: Callable[[], Any], recorded_models: list[dict[str, Any]]) -> None:
        self._check("server-errors", catalog_fetcher, recorded_models)

    def test_drifting_sort_keys(
        self, catalog_fetcher: Callable[[], Any], recorded_models: list[dict[str, Any]]
    ) -> None:
        self._check("drifting-sort-keys", catalog_fetcher, recorded_models)
