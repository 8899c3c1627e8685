"""The fault matrix: ``catalog-guard audit`` against a hostile loopback server always ends, with a typed outcome.

Each case is one row of ``docs/reliability.md`` (where ``scripts/measure_reliability.py`` measures the time and
memory it takes with the default limits). Here the limits are passed small, so the suite stays fast; nothing
asserts a duration. What is asserted: the exit code (2 when a limit or a missing answer stopped the judgement,
1 only for a contract violation), the one line on stderr that names the limit, the report of what was seen on
stdout, and never a traceback.
"""

from __future__ import annotations

import math
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import pytest

from catalog_guard.cli import main
from catalog_guard.fakes.hostile import HostileServer, Rule, Settings, always, on_param
from catalog_guard.limits import Limits
from catalog_guard.serve import reference_gateway

# recorded truth: the upstreams' live listings are beyond loopback, and the faults here are the gateway's
# one request after another: each case's first limit is then the one named (concurrent chains would race to it)
QUICK = ["--gateway", "groq", "--no-progress", "--format", "json", "--truth", "recorded", "--concurrency", "1"]


@dataclass(frozen=True)
class Case:
    rule: Rule
    args: tuple[str, ...]
    exit: int
    says: tuple[str, ...]  # every one of these is on the single stderr line (or, for exit 1, in the report)
    settings: Settings = field(default_factory=Settings)
    reference: bool = False  # the rule's other requests are answered by the reference gateway


CASES: dict[str, Case] = {
    "hung server": Case(always("hung"), ("--timeout", "0.3"), 2, ("never answered", "--timeout")),
    "slow drip": Case(
        always("drip"), ("--timeout", "0.3"), 2, ("--max-failures", "--timeout"), Settings(drip_interval=0.02)
    ),
    "endless body": Case(always("endless"), ("--max-body", "200000"), 2, ("--max-body", "more than 200,000 bytes")),
    "huge body": Case(
        always("huge"), ("--max-body", "1000000"), 2, ("--max-body", "content-length"), Settings(huge_bytes=5_000_000)
    ),
    "deep JSON": Case(always("deep"), (), 1, ('"schema"', "MalformedResponseError")),
    "429 Retry-After 299 forever": Case(always("rate-limited"), (), 2, ("--max-wait", "300 s")),
    "429 Retry-After 0 forever": Case(
        always("rate-limited"), ("--wait-budget", "1.5"), 2, ("--wait-budget",), Settings(retry_after="0")
    ),
    "Retry-After ³": Case(
        always("rate-limited"), ("--wait-budget", "0.5"), 2, ("--wait-budget",), Settings(retry_after="³")
    ),
    "Retry-After of 5,000 digits": Case(
        always("rate-limited"), (), 2, ("--max-wait", "practically forever"), Settings(retry_after="9" * 5000)
    ),
    "RateLimit of 5,000 digits": Case(
        always("rate-limited"),
        (),
        2,
        ("--max-wait", "practically forever"),
        Settings(retry_after=None, ratelimit='"api";r=0;t=' + "9" * 5000),
    ),
    "connection reset": Case(always("reset"), (), 2, ("never answered", "reset")),
    "not HTTP": Case(always("garbage"), (), 2, ("never answered", "RemoteProtocolError")),
    "one probe reset": Case(
        on_param("reset", offset="-5"),
        (),
        2,
        ("1 request(s) got no usable answer", "probe negative-offset"),
        reference=True,
    ),
    "run deadline": Case(always("drip"), ("--deadline", "0.5", "--timeout", "5"), 2, ("--deadline",)),
    "request budget": Case(lambda _request, _n: None, ("--max-requests", "3"), 2, ("--max-requests",), reference=True),
}


@pytest.fixture(scope="module")
def reference() -> object:
    return reference_gateway()


@pytest.mark.parametrize("name", list(CASES))
def test_every_fault_ends_with_a_typed_outcome(
    name: str, reference: object, capsys: pytest.CaptureFixture[str]
) -> None:
    case = CASES[name]
    handler = reference if case.reference else None
    with HostileServer(case.rule, handler, case.settings) as url:  # type: ignore[arg-type]
        code = main(["audit", "--gateway-url", url, *QUICK, *case.args])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == case.exit, err
    assert '"checks"' in out, f"the report of what was seen is printed whatever stopped the run: {err}"
    if case.exit == 2:
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith("catalog-guard audit: not judged: "), err
        for words in case.says:
            assert words in lines[0], (words, lines[0])
    else:
        assert err.strip() == ""
        for words in case.says:
            assert words in out, words


def test_one_reset_probe_is_a_finding_and_the_audit_goes_on(
    reference: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """The reset is reported on its request; every other part of the observation is there and passes."""
    import json

    with HostileServer(on_param("reset", offset="-5"), reference) as url:  # type: ignore[arg-type]
        assert main(["audit", "--gateway-url", url, *QUICK]) == 2
    report = json.loads(capsys.readouterr().out)
    assert report["verdict"] == "NOT JUDGED"
    assert [w["ended"] for w in report["walks"]] == ["end"]
    failed = [c["name"] for c in report["checks"] if not c["passed"]]
    assert failed == ["bad-parameters"], "only the probe that got no answer is missing"


# --- the bounds themselves, below the CLI --------------------------------------------------------------------


@pytest.fixture
def drip() -> Iterator[str]:
    with HostileServer(always("drip"), settings=Settings(drip_interval=0.01)) as url:
        yield url


def test_httpx_read_timeout_alone_never_ends_a_drip(drip: str) -> None:
    """Why the bounded transport exists: a per-read timeout of 0.05 s is never tripped by a byte every 0.01 s.
    (The loop stops after 30 bytes, which took longer than the timeout, yet httpx raised nothing.)"""
    received = 0
    with httpx.stream("GET", drip, timeout=0.05) as response:
        for _ in response.iter_raw():
            received += 1
            if received >= 30:
                break
    assert received == 30


def test_the_bounded_transport_ends_the_same_drip(drip: str) -> None:
    from catalog_guard.errors import ResponseTimeout
    from catalog_guard.limits import Limits
    from catalog_guard.target import GatewayTarget

    target = GatewayTarget(base_url=drip, limits=Limits(timeout=0.2))
    meter = target.meter()
    with target.client(meter) as client, pytest.raises(ResponseTimeout) as raised:
        client.get(drip)
    assert raised.value.limit == "--timeout"


def test_a_body_is_cut_off_at_the_cap_while_streaming() -> None:
    from catalog_guard.errors import ResponseTooLarge
    from catalog_guard.limits import Limits
    from catalog_guard.target import GatewayTarget

    with HostileServer(always("endless")) as url:
        target = GatewayTarget(base_url=url, limits=Limits(max_body=100_000))
        with target.client() as client, pytest.raises(ResponseTooLarge, match="more than 100,000 bytes"):
            client.get(url)


def test_a_gzip_bomb_counts_by_what_it_inflates_to() -> None:
    import gzip

    from catalog_guard.errors import ResponseTooLarge
    from catalog_guard.limits import Limits
    from catalog_guard.target import GatewayTarget

    bomb = gzip.compress(b" " * 5_000_000)
    assert len(bomb) < 10_000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=bomb, headers={"content-encoding": "gzip"})

    target = GatewayTarget(handler=handler, limits=Limits(max_body=1_000_000))
    with target.client() as client, pytest.raises(ResponseTooLarge):
        client.get("http://gateway.catalog-guard.test/v1/models")


# --- deep JSON in every reader -------------------------------------------------------------------------------

DEEP = b"[" * 100_000 + b"]" * 100_000


def deep_handler(status: int = 200) -> httpx.MockTransport:
    return httpx.MockTransport(lambda request: httpx.Response(status, content=DEEP))


def test_deep_json_is_a_malformed_page_for_walk_gateway() -> None:
    from catalog_guard.errors import MalformedResponseError
    from catalog_guard.gateway_client import walk_gateway

    with httpx.Client(transport=deep_handler()) as client:
        walk = walk_gateway(client, "http://gw.test", "groq")
    assert isinstance(walk.error, MalformedResponseError)
    assert "nested too deep" in str(walk.error)


def test_deep_json_is_a_malformed_page_for_fetch_hub() -> None:
    from catalog_guard.errors import MalformedResponseError
    from catalog_guard.hub import fetch_hub

    with httpx.Client(transport=deep_handler()) as client:
        result = fetch_hub(client, token="")
    assert isinstance(result.error, MalformedResponseError)
    assert not result.complete


def test_deep_json_is_a_malformed_page_for_fetch_provider() -> None:
    import asyncio

    from catalog_guard.errors import MalformedResponseError
    from catalog_guard.providers import SPECS, fetch_provider

    async def run() -> object:
        transport = httpx.MockTransport(lambda request: httpx.Response(200, content=DEEP))
        async with httpx.AsyncClient(transport=transport) as client:
            return await fetch_provider(client, SPECS["groq"], token="")

    result = asyncio.run(run())
    assert isinstance(getattr(result, "error", None), MalformedResponseError)


def test_deep_json_in_an_error_body_still_gives_the_status_error() -> None:
    from catalog_guard.gateway_client import get_models

    with httpx.Client(transport=deep_handler(400)) as client:
        response = get_models(client, "http://gw.test", {"gateway": "groq"})
    assert response.status == 400
    assert response.body is None
    assert response.error is not None


# --- odd waits -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [("3", 3), ("³", None), ("٣", None), (" 12 ", 12), ("9" * 5000, 10**9), ("0" * 20 + "7", 7), ("1e3", None)],
)
def test_retry_after_is_read_as_ascii_seconds(header: str, expected: int | None) -> None:
    from catalog_guard.retry import parse_retry_after

    assert parse_retry_after(header) == expected


def test_a_ratelimit_of_5000_digits_is_forever_not_a_crash() -> None:
    from catalog_guard.retry import parse_ratelimit

    assert parse_ratelimit('"api";r=0;t=' + "9" * 5000) == (0, 10**9)
    assert parse_ratelimit('"api";r=0;t=³') == (0, None)


def test_waits_are_charged_to_the_run() -> None:
    from catalog_guard.errors import DeadlineExceeded, WaitBudgetSpent, WaitTooLong
    from catalog_guard.limits import Limits, Meter

    now = [0.0]
    meter = Meter(Limits(max_wait=5, wait_budget=8, deadline=100), clock=lambda: now[0])
    slept: list[float] = []
    sleep = meter.sleeper(slept.append)
    sleep(4)
    sleep(4)
    with pytest.raises(WaitBudgetSpent):
        sleep(1)
    assert slept == [4, 4]
    assert isinstance(meter.stopped, WaitBudgetSpent)
    with pytest.raises(WaitTooLong):
        Meter(Limits(max_wait=5)).sleeper(slept.append)(6)
    late = Meter(Limits(deadline=10, max_wait=30), clock=lambda: now[0])
    now[0] = 8.0
    with pytest.raises(DeadlineExceeded):
        late.sleeper(slept.append)(3)


@pytest.mark.parametrize("field_name", ["timeout", "deadline", "max_body", "max_wait", "wait_budget", "max_requests"])
@pytest.mark.parametrize("bad", [math.nan, math.inf, -1, True])
def test_limits_refuse_values_that_bound_nothing(field_name: str, bad: float) -> None:
    from catalog_guard.limits import OPTIONS, Limits

    with pytest.raises(ValueError, match=OPTIONS[field_name]):
        Limits(**{field_name: bad})


# --- the async twin (provider fetches, recordings) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("fault", "limits", "error"),
    [
        ("drip", {"timeout": 0.3}, "ResponseTimeout"),
        ("hung", {"timeout": 0.3}, "ResponseTimeout"),
        ("endless", {"max_body": 100_000}, "ResponseTooLarge"),
    ],
)
def test_the_async_transport_keeps_the_same_bounds(fault: str, limits: dict[str, float], error: str) -> None:
    import asyncio

    from catalog_guard.bounded import AsyncBoundedTransport
    from catalog_guard.limits import Limits, Meter

    async def fetch(url: str) -> None:
        transport = AsyncBoundedTransport(httpx.AsyncHTTPTransport(), Meter(Limits(**limits)))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport) as client:
            await client.get(url)

    from catalog_guard.errors import LimitReached

    with (
        HostileServer(always(fault), settings=Settings(drip_interval=0.02)) as url,
        pytest.raises(LimitReached) as raised,
    ):
        asyncio.run(fetch(url))
    assert type(raised.value).__name__ == error


def test_fetch_provider_reports_a_dripping_upstream_as_its_error() -> None:
    import asyncio

    from catalog_guard.errors import ResponseTimeout
    from catalog_guard.limits import Limits
    from catalog_guard.providers import SPECS, fetch_all

    with HostileServer(always("drip"), settings=Settings(drip_interval=0.02)) as url:
        spec = SPECS["groq"].with_base_url(url)
        results = asyncio.run(fetch_all([spec], tokens={"groq": ""}, limits=Limits(timeout=0.3)))
    assert isinstance(results["groq"].error, ResponseTimeout)
    assert not results["groq"].complete


# --- the live truth: an upstream is held to the same limits, under the audit's one meter ---------------------


@dataclass(frozen=True)
class TruthCase:
    upstream: str  # the one gateway audited, whose upstream serves its live truth from the hostile server
    fault: str
    args: tuple[str, ...]
    says: tuple[str, ...]


TRUTH_CASES: dict[str, TruthCase] = {
    # the Hub's cursor walk is the sync client (the watchdog), a provider's listing the async one
    "Hub drips": TruthCase("huggingface", "drip", ("--timeout", "0.3"), ("huggingface", "--timeout")),
    "Hub hangs": TruthCase("huggingface", "hung", ("--timeout", "0.3"), ("huggingface", "--timeout")),
    "Hub 429 Retry-After 299": TruthCase(
        "huggingface", "rate-limited", (), ("--max-wait", "the Hub (live truth) asked")
    ),
    "provider sends an endless body": TruthCase(
        "openrouter", "endless", ("--max-body", "200000"), ("openrouter", "--max-body", "more than 200,000 bytes")
    ),
    "provider drips": TruthCase("openrouter", "drip", ("--timeout", "0.3"), ("openrouter", "--timeout")),
    # the one deadline of the run also ends the truth: the gateway answered long before
    "provider hangs past the run's deadline": TruthCase(
        "openrouter", "hung", ("--deadline", "1.5", "--timeout", "60"), ("--deadline",)
    ),
}


@pytest.mark.parametrize("name", list(TRUTH_CASES))
def test_a_hostile_upstream_of_the_live_truth_ends_the_audit_with_the_limit_named(
    name: str, reference: object, capsys: pytest.CaptureFixture[str]
) -> None:
    """Live truth goes through the bounded transport too: an upstream that drips, hangs, never ends its body or
    asks to wait for ever is cut off, and the audit is not judged (exit 2) with the limit named, the report of
    what was seen printed; never a pass on the truth that happened to arrive, never a hang."""
    case = TRUTH_CASES[name]
    settings = Settings(drip_interval=0.02)
    with (
        HostileServer(lambda _request, _n: None, reference) as gateway,  # type: ignore[arg-type]
        HostileServer(always(case.fault), settings=settings) as upstream,
    ):
        code = main(
            [
                "audit",
                "--gateway-url",
                gateway,
                "--gateway",
                case.upstream,
                "--no-progress",
                "--format",
                "json",
                "--concurrency",
                "1",
                "--truth",
                "live",
                "--base-url",
                f"{case.upstream}={upstream}",
                *case.args,
            ]
        )
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == 2, err
    assert '"checks"' in out, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("catalog-guard audit: not judged: "), err
    for words in case.says:
        assert words in lines[0], (words, lines[0])


def test_the_truth_fetch_and_the_observation_share_one_meter() -> None:
    """One account for the whole audit: the truth's requests count against the run's --max-requests, while an
    upstream's answers say nothing about the gateway's health (host_health=False)."""
    from catalog_guard import truth
    from catalog_guard.limits import Limits, Meter

    meter = Meter(Limits(max_requests=1000), one_host=True)
    with HostileServer(always("garbage")) as upstream:
        judged = truth.fetch_live_truth(
            ["openrouter"], tokens={}, base_urls={"openrouter": upstream}, meter=meter, sleep=lambda _s: None
        )
    assert not judged.upstreams["openrouter"].judged
    assert meter.requests >= 1, "the truth's requests were counted by the run's meter"
    assert meter.stopped is None, "an upstream's failures are its own result, not the gateway's failures in a row"
    assert not meter.answered
    assert judged.cut_off() is None, "a protocol error is the upstream's trouble, not one of our limits"


# --- TLS: the bounds hold on an encrypted stream, after the handshake ----------------------------------------


@pytest.fixture(scope="module")
def tls() -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A throwaway certificate authority (trustme): a server context for 127.0.0.1, and a client context that
    trusts it and nothing else."""
    trustme = pytest.importorskip("trustme")  # a test dependency (pyproject.toml, the test extra)
    authority = trustme.CA()
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("127.0.0.1").configure_cert(server)
    client = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    authority.configure_trust(client)
    return server, client


def _tls_get(url: str, client_context: ssl.SSLContext, limits: Limits, asynchronous: bool) -> httpx.Response:
    """One GET through the bounded transport (sync: the watchdog; async: ``anyio.fail_after``) over TLS."""
    import asyncio

    from catalog_guard.bounded import AsyncBoundedTransport, BoundedTransport
    from catalog_guard.limits import Meter

    if not asynchronous:
        transport = BoundedTransport(httpx.HTTPTransport(verify=client_context), Meter(limits))
        with httpx.Client(transport=transport) as client:
            return client.get(url)

    async def fetch() -> httpx.Response:
        bounded = AsyncBoundedTransport(httpx.AsyncHTTPTransport(verify=client_context), Meter(limits))
        async with httpx.AsyncClient(transport=bounded) as client:
            return await client.get(url)

    return asyncio.run(fetch())


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_tls_server_is_answered_through_the_bounded_transport(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], reference: object, asynchronous: bool
) -> None:
    """The passing case: the handshake and a whole response over TLS, so the failing cases below fail after it."""
    server, client = tls
    with HostileServer(lambda _request, _n: None, reference, tls=server) as url:  # type: ignore[arg-type]
        assert url.startswith("https://")
        response = _tls_get(f"{url}/v1/models?gateway=groq", client, Limits(timeout=10), asynchronous)
    assert response.status_code == 200
    assert response.json()["data"]


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize(
    ("fault", "says"),
    [("hung", "no response within"), ("drip", "body unfinished"), ("stall", "body unfinished")],
)
def test_the_per_response_deadline_ends_a_tls_server_that_drips_or_hangs_after_the_handshake(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], fault: str, says: str, asynchronous: bool
) -> None:
    """After the handshake the server hangs (no head), drips a byte at a time, or stalls mid-body with the
    connection open: the whole-response deadline ends each, on the sync transport (whose watchdog shuts the
    TLS socket down under a blocked read) and the async one."""
    from catalog_guard.errors import ResponseTimeout

    server, client = tls
    with (
        HostileServer(always(fault), settings=Settings(drip_interval=0.02), tls=server) as url,
        pytest.raises(ResponseTimeout) as raised,
    ):
        _tls_get(f"{url}/v1/models", client, Limits(timeout=0.5), asynchronous)
    assert raised.value.limit == "--timeout"
    assert says in str(raised.value)


def test_the_watchdog_shuts_the_tls_socket_under_a_stalled_read(
    tls: tuple[ssl.SSLContext, ssl.SSLContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sync transport's watchdog reaches the TLS socket (httpcore's ``network_stream`` hands it the
    ``ssl.SSLSocket``) and its shutdown wakes the blocked read: a typed timeout, not an ``ssl`` error."""
    from catalog_guard import bounded
    from catalog_guard.errors import ResponseTimeout

    fired: list[object] = []
    fire = bounded._Watchdog._fire

    def spy(self: bounded._Watchdog) -> None:
        fired.append(self._socket)
        fire(self)

    monkeypatch.setattr(bounded._Watchdog, "_fire", spy)
    server, client = tls
    # the head comes 0.25 s in: a per-read timeout would end the stalled body at ~0.75 s, the watchdog at 0.5 s
    stalled = Settings(drip_interval=0.25)
    with HostileServer(always("stall"), settings=stalled, tls=server) as url, pytest.raises(ResponseTimeout):
        _tls_get(url, client, Limits(timeout=0.5), asynchronous=False)
    assert len(fired) == 1
    assert isinstance(fired[0], ssl.SSLSocket)


def test_a_run_of_answers_each_cut_off_by_a_limit_names_that_limit_not_only_max_failures() -> None:
    """Three bodies in a row over --max-body stop the run by --max-failures; the line must still say it was
    --max-body that refused each one, or the user raises the wrong limit."""
    from catalog_guard.errors import CatalogGuardError, ResponseTooLarge, TransportError
    from catalog_guard.limits import OPTIONS, Limits, Meter

    def run(error: CatalogGuardError) -> str:
        meter = Meter(Limits(max_failures=3))
        meter.usable()  # the gateway answered once: failures from now on are a run, not "never answered"
        for _ in range(3):
            meter.failed("http://gw.test/v1/models", error)
        assert meter.stopped is not None
        return str(meter.stopped)

    cut = run(ResponseTooLarge("the body went past 10 bytes", limit=OPTIONS["max_body"]))
    assert cut.startswith("3 requests in a row were cut off by --max-body (--max-failures)")
    reset = run(TransportError("connection reset"))
    assert reset.startswith("3 requests in a row got no usable answer (--max-failures)")
