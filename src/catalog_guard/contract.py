"""Reusable contract test classes, in the style of pandas' extension tests: subclass, point, run.

A backend team writes, in its own repository::

    from catalog_guard.contract import FetcherContract, GatewayContract, GatewayTarget

    class TestOurHubFetcher(FetcherContract):
        fetcher = staticmethod(our_app.catalog.fetch_huggingface_models)

    class TestOurGateway(GatewayContract):
        target = GatewayTarget(app=our_app.asgi)

and gets one test per contract check. Every test calls the same functions as ``catalog-guard audit``
(:mod:`catalog_guard.checks`, :mod:`catalog_guard.fetcher_checks`); the classes only wire fixtures.
Without writing a class: ``pytest --pyargs catalog_guard.contract_tests --catalog-guard-gateway-url URL`` and/or
``--catalog-guard-fetcher module:function``.

The class-scoped fixtures are classmethods: they read only class attributes (``target``, ``plan``, ``config``,
``fetcher``), and pytest deprecates class-scoped fixtures written as instance methods (``PytestRemovedIn10Warning``,
an error in any project that turns warnings into errors).
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from catalog_guard import checks, fetcher_checks, truth
from catalog_guard.checks import ContractConfig
from catalog_guard.observe import Observation, ObservePlan, observe_target
from catalog_guard.redaction import Redactor, known_secrets
from catalog_guard.target import TOKEN_ENV, GatewayTarget, LifespanError
from catalog_guard.worker_cache import once_per_run

if TYPE_CHECKING:
    from catalog_guard.fakes.upstreams import FakeUpstreams, recorded_upstreams, serve_upstreams

__all__ = [
    "ContractConfig",
    "FakeUpstreams",
    "FetcherContract",
    "GatewayContract",
    "GatewayTarget",
    "LifespanError",
    "ObservePlan",
    "recorded_upstreams",
    "serve_upstreams",
]
_LAZY = ("FakeUpstreams", "recorded_upstreams", "serve_upstreams")

PendingTruth = truth.Truth | concurrent.futures.Future[truth.Truth]


def __getattr__(name: str) -> Any:
    """The upstream fakes, imported on first use: they load the recorded corpus's machinery (about a second),
    which a session that only imports this module for FetcherContract must not pay."""
    if name in _LAZY:
        from catalog_guard.fakes import upstreams

        return getattr(upstreams, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _fail_on(
    results: list[Any],
    *,
    require_all_truth: bool = False,
    note: str = "",
    secrets: Mapping[str, str] | None = None,
) -> None:
    """Fail the calling test with every violation's message (not a bare ``assert False``), then ``note``, without
    a known secret (the environment's tokens and ``secrets``) in any encoding: a gateway may echo the token it was
    sent. A check that could not judge some gateway is skipped with the reason, never passed (failed for truth it
    needed under ``require_all_truth``)."""
    messages = [f"[{v.check}] {v.message}" for result in results for v in result.violations]
    if messages:
        redactor = Redactor({**known_secrets(), **(secrets or {})})
        pytest.fail(redactor.redact_output("\n".join([*messages, note] if note else messages)), pytrace=False)
    unjudged = [(r.name, f"{r.name} not judged for {r.unjudged()}") for r in results if getattr(r, "not_judged", ())]
    if unjudged and require_all_truth and any(name in checks.TRUTH_CHECKS for name, _ in unjudged):
        pytest.fail("\n".join(line for _, line in unjudged) + " (require_all_truth)", pytrace=False)
    if unjudged:
        pytest.skip("\n".join(line for _, line in unjudged))


class GatewayContract:
    """Every check of docs/contract.md §1 against one gateway deployment.

    Set ``target`` (a :class:`GatewayTarget`: a base URL, an ASGI app, or an httpx handler) or override the
    ``gateway_target`` fixture; without either, ``--catalog-guard-gateway-url`` is used. ``plan`` and ``config``
    narrow or loosen the contract (fewer gateways, a coverage floor below 100 %, a count tolerance). An in-process app
    that fetches its own catalogs gets the recorded upstreams with ``upstreams = "recorded"``; a lifespan that
    fails is reported with the app's traceback (:class:`LifespanError`).
    """

    target: ClassVar[GatewayTarget | None] = None
    optional: ClassVar[bool] = False  # the --pyargs runner skips, rather than fails, without a gateway URL
    plan: ClassVar[ObservePlan] = ObservePlan()
    config: ClassVar[ContractConfig] = ContractConfig()
    #: ``"live"``, ``"recorded"`` or a ``--save-truth`` directory (else ``--catalog-guard-truth``; else live for
    #: a URL, recorded for an in-process app or handler, whose fakes are the recorded world)
    truth: ClassVar[str | None] = None
    baseline: ClassVar[str | None] = None  # a previous audit's JSON report (else --catalog-guard-baseline)
    base_urls: ClassVar[Mapping[str, str]] = {}  # where live truth is fetched from (else --catalog-guard-base-url)
    require_all_truth: ClassVar[bool] = False  # an upstream without truth fails its checks instead of skipping
    # For an in-process app that fetches its own upstreams: "recorded" serves it the recorded Hub and providers
    # (serve_upstreams()), a FakeUpstreams serves those fakes (a scenario), None leaves its calls alone.
    upstreams: ClassVar[str | FakeUpstreams | None] = None

    @pytest.fixture(scope="class")
    @classmethod
    def gateway_target(cls, request: pytest.FixtureRequest) -> GatewayTarget:
        if cls.target is not None:
            return cls.target
        url = request.config.getoption("--catalog-guard-gateway-url", default=None)
        if url is not None and not url.strip():
            # given but empty (an unset CI variable): skipping would pass the gate without checking anything
            pytest.fail("--catalog-guard-gateway-url was given but is empty: no gateway to check", pytrace=False)
        if not url:
            if cls.optional:
                pytest.skip("no --catalog-guard-gateway-url given")
            pytest.fail(
                "GatewayContract needs a gateway: set `target`, override `gateway_target`, "
                "or pass --catalog-guard-gateway-url",
                pytrace=False,
            )
        token = request.config.getoption("--catalog-guard-gateway-token", default=None) or os.environ.get(TOKEN_ENV)
        return GatewayTarget(base_url=url, token=token)

    @pytest.fixture(scope="class")
    @classmethod
    def contract_truth(
        cls,
        request: pytest.FixtureRequest,
        gateway_target: GatewayTarget,
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Iterator[PendingTruth]:
        """The truth the coverage, phantom and count checks compare against (:mod:`catalog_guard.truth`); live
        truth is fetched on another thread while :meth:`observation` observes the gateway."""
        option = request.config.getoption
        choice = cls.truth or option("--catalog-guard-truth", default=None)
        choice = choice or (truth.RECORDED if gateway_target.in_process else truth.LIVE)
        given = dict(option("--catalog-guard-base-url", default=None) or [])
        baseline = cls.baseline or option("--catalog-guard-baseline", default=None)

        def pick() -> truth.Truth | truth.LiveFetch:
            return truth.choose(
                choice,
                cls.plan.gateways,
                environ=os.environ,
                base_urls={**given, **cls.base_urls} if choice == truth.LIVE else None,
                limits=gateway_target.limits,
                baseline=baseline,
            )

        try:
            # Replayed truth is the same for every xdist worker: replayed once per run and shared, like the
            # observation. Live truth is fetched while the gateway is observed, by the worker that observes.
            key = f"truth\n{choice}\n{cls.plan.gateways!r}\n{baseline}"
            chosen = pick() if choice == truth.LIVE else once_per_run(request.config, tmp_path_factory, key, pick)
        except truth.TruthError as error:
            pytest.fail(str(error), pytrace=False)
        if isinstance(chosen, truth.Truth):
            yield chosen
            return
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            yield pool.submit(chosen)

    @pytest.fixture(scope="class")
    @classmethod
    def contract_context(cls, contract_truth: PendingTruth) -> checks.Context:
        judged = contract_truth if isinstance(contract_truth, truth.Truth) else contract_truth.result()
        return judged.context(cls.config)

    @pytest.fixture(scope="class")
    @classmethod
    def observation(
        cls,
        gateway_target: GatewayTarget,
        contract_truth: PendingTruth,
        request: pytest.FixtureRequest,
        tmp_path_factory: pytest.TempPathFactory,
    ) -> Observation:
        """The class's one observation, shared by the xdist workers its tests land on (keyed by the class, the
        target's URL and the plan; see :mod:`catalog_guard.worker_cache`), with the class's ``upstreams`` served
        while it is taken. It asks for ``contract_truth`` first so that a live truth fetch runs while the gateway
        is observed. It keeps to ``gateway_target.limits``; one that a limit stopped, or with a request that got
        no answer, is not judged: every test errors with the line that says why."""
        from catalog_guard.audit import why_incomplete

        def run() -> Observation:
            with contextlib.ExitStack() as stack:
                if cls.upstreams is not None:
                    from catalog_guard.fakes.upstreams import FakeUpstreams, serve_upstreams

                    chosen = None if cls.upstreams == "recorded" else cls.upstreams
                    if chosen is not None and not isinstance(chosen, FakeUpstreams):
                        raise TypeError(f'upstreams is "recorded", a FakeUpstreams or None, not {cls.upstreams!r}')
                    stack.enter_context(serve_upstreams(chosen))
                try:
                    return observe_target(gateway_target, cls.plan)
                except LifespanError as error:
                    pytest.fail(str(error), pytrace=False)

        key = f"observation\n{request.node.nodeid}\n{gateway_target.base_url}\n{cls.plan!r}"
        seen = once_per_run(request.config, tmp_path_factory, key, run)
        reason = why_incomplete(seen)
        if reason is not None:
            pytest.fail(f"not judged: {reason}", pytrace=False)
        return seen

    @pytest.fixture(scope="class", autouse=True)
    @classmethod
    def _truth_requirement(cls, request: pytest.FixtureRequest) -> None:
        """``--catalog-guard-require-all-truth`` does for a run what ``require_all_truth = True`` does for a class
        (for a team that holds every upstream's key)."""
        if request.config.getoption("--catalog-guard-require-all-truth", default=False):
            cls.require_all_truth = True

    def _check(self, name: str, observation: Observation, context: checks.Context) -> None:
        """Run one check; a pass on an observation without a single catalog page is a failure that says nothing
        was checked (as the audit never exits 0 on one), not a pass."""
        from catalog_guard.audit import observed_nothing

        token = self.target.token if self.target is not None else None
        results = checks.run_checks(observation, context, [name])
        if all(r.passed for r in results) and observed_nothing(observation):
            pytest.fail(f"not judged: no catalog page came back, so {name} had nothing to check", pytrace=False)
        _fail_on(results, require_all_truth=self.require_all_truth, secrets={"target token": token} if token else None)

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
    override the ``catalog_fetcher`` fixture; without either, ``--catalog-guard-fetcher module:function`` is used. It
    may be a coroutine function, use any client the seam sees (httpx, httpx2, requests, urllib3, aiohttp, urllib,
    huggingface_hub), and return ids, model dicts or objects with ``.id`` in a list, a generator or a dict keyed
    by id, or an object with ``complete``/``models()``; it may raise on upstream trouble. What it may not do is
    return a shorter catalog as if it were whole. ``reset`` clears its caches before each scenario.
    """

    fetcher: ClassVar[Any] = None  # a zero-argument callable; wrap plain functions in staticmethod()
    # Called before every scenario to clear the fetcher's caches (a module-level dict, a TTL cache): each
    # scenario must reach the fake Hub. ``functools.cache``/``lru_cache`` fetchers are cleared without it.
    reset: ClassVar[Callable[[], object] | None] = None  # wrap plain functions in staticmethod()
    optional: ClassVar[bool] = False  # the --pyargs runner skips, rather than fails, without a fetcher
    request_slack: ClassVar[int] = 1

    @pytest.fixture(scope="class")
    @classmethod
    def catalog_fetcher(cls, request: pytest.FixtureRequest) -> Callable[[], Any]:
        if cls.fetcher is not None:
            chosen: Callable[[], Any] = cls.fetcher
            return chosen
        spec = request.config.getoption("--catalog-guard-fetcher", default=None)
        if not spec:
            if cls.optional:
                pytest.skip("no --catalog-guard-fetcher given")
            pytest.fail(
                "FetcherContract needs a fetcher: set `fetcher`, override `catalog_fetcher`, "
                "or pass --catalog-guard-fetcher module:function",
                pytrace=False,
            )
        return fetcher_checks.load_fetcher(spec)

    @pytest.fixture(scope="class")
    @classmethod
    def recorded_models(
        cls, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
    ) -> list[dict[str, Any]]:
        """The recorded Hub listing the scenarios serve; replayed once per run."""
        from catalog_guard.corpus import recorded_hub_models

        return once_per_run(request.config, tmp_path_factory, "recorded hub models", recorded_hub_models)

    def _check(self, scenario: str, fetcher: Callable[[], Any], models: list[dict[str, Any]]) -> None:
        result = fetcher_checks.run_scenario(
            scenario, fetcher, models, request_slack=self.request_slack, reset=type(self).reset
        )
        print(result.report())  # shown with -rA / on failure; the waits asked for were never slept
        _fail_on([result], note=result.report())

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
