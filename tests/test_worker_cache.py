"""A contract class observes its gateway once per pytest run, also when xdist spreads its tests over workers.

The gateway under test logs every request it answers to a file; a ``-n 2`` run of a ``GatewayContract`` class
must leave exactly one observation's worth of requests. With the sharing switched off
(``CATALOG_GUARD_WORKER_CACHE=0``) two workers each compute their own: what the test guards against (shown on
``once_per_run`` directly, without a second ``-n 2`` session).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

import pytest

from catalog_guard import gallery
from catalog_guard.checks import CHECKS
from catalog_guard.fakes.transport import FakeInternet
from catalog_guard.gateways import GATEWAY_HOST, GATEWAY_URL
from catalog_guard.observe import ObservePlan, observe
from catalog_guard.worker_cache import SWITCH, once_per_run
from inner_sessions import WITHOUT_UNUSED_PLUGINS

pytest_plugins = ["pytester"]

CONTRACT = """
from catalog_guard import gallery
from catalog_guard.contract import GatewayContract
from catalog_guard.gateways import GATEWAY_URL
from catalog_guard.observe import ObservePlan
from catalog_guard.target import GatewayTarget

gateway = gallery.MODES[gallery.CORRECT].build()


def logged(request):
    with open({log!r}, "a", encoding="utf-8") as handle:
        handle.write(str(request.url) + "\\n")
    return gateway(request)


class TestLogged(GatewayContract):
    target = GatewayTarget(base_url=GATEWAY_URL, handler=logged)
    plan = ObservePlan(gateways=("groq",), include_all=False)
"""


def one_observation() -> int:
    internet = FakeInternet({GATEWAY_HOST: gallery.MODES[gallery.CORRECT].build()})
    with internet.client() as client:
        observe(client, GATEWAY_URL, ObservePlan(gateways=("groq",), include_all=False))
    return len(internet.requests)


@pytest.mark.slow
def test_a_contract_class_observes_once_under_xdist(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    log = pytester.path / "requests.log"
    pytester.makepyfile(test_logged=CONTRACT.format(log=str(log)))
    monkeypatch.delenv(SWITCH, raising=False)
    result = pytester.runpytest_subprocess(
        *WITHOUT_UNUSED_PLUGINS, "-n", "2", "-p", "no:cacheprovider", "-p", "no:randomly", "-q"
    )
    outcomes = result.parseoutcomes()  # a one-gateway plan fails some checks (coverage); only the count matters
    ran = outcomes.get("passed", 0) + outcomes.get("failed", 0) + outcomes.get("skipped", 0)
    assert ran == len(CHECKS), result.stdout.str()
    assert len(log.read_text(encoding="utf-8").splitlines()) == one_observation()


class Worker:
    """What ``once_per_run`` reads of an xdist worker's config (pytest-xdist sets ``workerinput``)."""

    workerinput: ClassVar[dict[str, str]] = {"workerid": "gw0"}


@pytest.mark.parametrize(("switch", "computed"), [(None, 1), ("0", 2)], ids=["shared", "switched-off"])
def test_two_workers_compute_once_unless_switched_off(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch, switch: str | None, computed: int
) -> None:
    """Two workers of one run (same temporary root) asking for one key: the second loads what the first
    stored; with the switch off (what every worker did before) each computes its own."""
    if switch is None:
        monkeypatch.delenv(SWITCH, raising=False)
    else:
        monkeypatch.setenv(SWITCH, switch)
    calls: list[int] = []
    key = f"two workers {uuid.uuid4()}"

    def compute() -> dict[str, int]:
        calls.append(1)
        return {"calls": len(calls)}

    first = once_per_run(Worker(), tmp_path_factory, key, compute)  # type: ignore[arg-type]
    second = once_per_run(Worker(), tmp_path_factory, key, compute)  # type: ignore[arg-type]
    assert len(calls) == computed
    assert first == {"calls": 1}
    assert second == {"calls": computed}


def test_outside_xdist_the_value_is_computed_each_time(
    pytestconfig: pytest.Config, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """In a plain session (and in an in-process pytester session inside a worker) nothing is shared: the class
    fixture's own scope already makes it once."""
    calls: list[int] = []
    key = f"test-key {uuid.uuid4()}"

    def compute() -> int:
        calls.append(1)
        return len(calls)

    if hasattr(pytestconfig, "workerinput"):
        # this test itself runs in a worker: the second call loads what the first stored
        assert once_per_run(pytestconfig, tmp_path_factory, key, compute) == 1
        assert once_per_run(pytestconfig, tmp_path_factory, key, compute) == 1
        assert calls == [1]
    else:
        assert once_per_run(pytestconfig, tmp_path_factory, key, compute) == 1
        assert once_per_run(pytestconfig, tmp_path_factory, key, compute) == 2
