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

import os
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

import pytest

from catalog_guard import checks, fetcher_checks
from catalog_guard.observe import Observation, ObservePlan, observe
from catalog_guard.target import TOKEN_ENV, GatewayTarget


def _fail_on(results: list[Any]) -> None:
    """Fail the calling test with every violation's message (not a bare ``assert False``)."""
    messages = [f"[{v.check}] {v.message}" for result in results for v in result.violations]
    if messages:
        pytest.fail("\n".join(messages), pytrace=False)


class GatewayContract:
    """Every check of gateway-contract.md §1 against one gateway deployment.

    Set ``target`` (a :class:`GatewayTarget`: a base URL, an ASGI app, or an httpx handler) or override the
    ``gateway_target`` fixture; without either, ``--gateway-url`` is used. ``plan`` and ``config`` narrow or
    loosen the contract (fewer gateways, a coverage floor below 100 %, a count tolerance).
    """

    target: ClassVar[GatewayTarget | None] = None
    optional: ClassVar[bool] = False  # the --pyargs runner skips, rather than fails, without --gateway-url
    plan: ClassVar[ObservePlan] = ObservePlan()
    config: ClassVar[checks.ContractConfig] = checks.ContractConfig()

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
    def contract_context(self) -> checks.Context:
        """The upstream truth and count baseline the coverage and count checks compare against: the recorded
        corpus shipped with catalog-guard (or re-recorded by the team)."""
        from catalog_guard.corpus import recorded_context

        return recorded_context(self.config)

    @pytest.fixture(scope="class")
    def observation(self, gateway_target: GatewayTarget) -> Iterator[Observation]:
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
        _fail_on(checks.run_checks(observation, context, [name]))

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

    def test_count_floor(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("count-floor", observation, contract_context)

    def test_stable_bodies(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("stable-bodies", observation, contract_context)

    def test_routable(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("routable", observation, contract_context)

    def test_id_hygiene(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("id-hygiene", observation, contract_context)

    def test_no_phantoms(self, observation: Observation, contract_context: checks.Context) -> None:
        self._check("no-phantoms", observation, contract_context)

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
