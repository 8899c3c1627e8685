"""The contract checks: pure functions from an :class:`~catalog_guard.observe.Observation` to named violations.

One function per invariant of docs/contract.md §1. Each returns a list of :class:`Violation` (empty when the
gateway keeps the promise), each with a message a person can act on and the evidence behind it. The pytest
suite, the reusable contract classes, the pytest plugin and ``catalog-guard audit`` all call :func:`run_checks`
or a single check from :data:`CHECKS`; none of them re-implements a rule.
"""

from __future__ import annotations

import fnmatch
import math
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import httpx

from catalog_guard import latency, merge, paging
from catalog_guard.gateway_client import Envelope, GatewayResponse, GatewayWalk
from catalog_guard.gateways import ALL, KNOWN
from catalog_guard.observe import Observation, describe_error
from catalog_guard.skew import Skew, SkewAllowance


@dataclass(frozen=True)
class Violation:
    """One broken promise: which check, what went wrong in words, and the evidence."""

    check: str
    message: str
    evidence: Mapping[str, Any] = field(default_factory=dict)
    cause: str | None = None  # another failing check this one follows from (see :func:`attribute`)


@dataclass(frozen=True)
class ContractConfig:
    """The knobs a team sets for its own gateway."""

    coverage_floor: float = 1.0
    count_tolerance: float = 0.0
    max_examples: int = 5
    skew: SkewAllowance = field(default_factory=SkewAllowance)  # ids a listing may differ from its upstream by
    curated: tuple[tuple[str, str], ...] = ()
    """Models a gateway lists on purpose without an upstream (its own routers, aliases it curates): ``(gateway,
    pattern)`` pairs (gateway ``"*"``: every gateway; a shell-style pattern of ids) the phantom check does not
    count. A tuple, not a dict: a config is hashable (the recorded audit caches its verdicts per config)."""
    latency_budget: float | None = latency.DEFAULT_BUDGET
    """p95 seconds per gateway the latency check allows; ``None`` (or 0) turns the check off."""

    def __post_init__(self) -> None:
        # NaN compares false with everything: unchecked, it would switch the coverage and count checks off
        for name, value in (("--coverage-floor", self.coverage_floor), ("--count-tolerance", self.count_tolerance)):
            if not (isinstance(value, int | float) and 0.0 <= value <= 1.0):
                raise ValueError(f"{name} must be a fraction between 0 and 1, got {value!r}")
        budget = self.latency_budget
        if budget is not None and not (isinstance(budget, int | float) and 0.0 <= budget < math.inf):
            raise ValueError(f"--latency-budget must be a finite number of seconds, 0 or more, got {budget!r}")


@dataclass(frozen=True)
class Context:
    """What a check may consult besides the observation: the upstream truth, the baseline counts, the config."""

    truth: Mapping[str, frozenset[str]] = field(default_factory=dict)
    baseline: Mapping[str, int] = field(default_factory=dict)
    config: ContractConfig = field(default_factory=ContractConfig)
    #: per check, the gateways it cannot judge and why (an upstream whose truth could not be fetched, no
    #: baseline): reported as "not judged", never as passed (:mod:`catalog_guard.truth` fills it)
    not_judged: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CheckResult:
    name: str
    title: str
    violations: tuple[Violation, ...]
    not_judged: tuple[tuple[str, str], ...] = ()  # (gateway, reason) this check could not judge

    @property
    def passed(self) -> bool:
        """No violation among what was judged (see :attr:`not_judged` for what was not)."""
        return not self.violations

    @property
    def causes(self) -> tuple[str, ...]:
        """The other checks every violation here follows from (empty: this check failed on its own)."""
        named = {violation.cause for violation in self.violations}
        return tuple(sorted(c for c in named if c)) if None not in named else ()

    def unjudged(self) -> str:
        """What this check could not judge, gateways grouped by reason: ``a, b (reason); c (other reason)``."""
        by_reason: dict[str, list[str]] = {}
        for name, why in self.not_judged:
            by_reason.setdefault(why, []).append(name)
        return "; ".join(f"{', '.join(names)} ({why})" for why, names in by_reason.items())

    def summary(self) -> str:
        if self.passed and self.not_judged:
            return f"not judged: {self.unjudged()}"
        if self.passed:
            return "pass"
        first = self.violations[0].message
        more = f" (+{len(self.violations) - 1} more)" if len(self.violations) > 1 else ""
        after = f" [follows from {', '.join(self.causes)}]" if self.causes else ""
        return f"{first}{more}{after}"


CheckFunction = Callable[[Observation, Context], list[Violation]]


@dataclass(frozen=True)
class Check:
    name: str
    title: str
    run: CheckFunction


CHECKS: dict[str, Check] = {}
"""Every contract check by name, in the documented order: the order in which they are defined below."""


def contract_check(name: str, title: str) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as the check ``name``, so that a check's name and title are written once,
    beside its rule."""

    def register(run: CheckFunction) -> CheckFunction:
        if name in CHECKS:
            raise ValueError(f"two contract checks are named {name!r}")
        CHECKS[name] = Check(name, title, run)
        return run

    return register


def _examples(values: Iterable[Any], context: Context) -> list[Any]:
    return sorted(values, key=str)[: context.config.max_examples]


def _walk_story(walk: GatewayWalk) -> str:
    """How a walk went, as evidence: ``offset 0 gave 100, offset 100 gave 1, offset 200 gave 0 (last: GET url)``
    (the first three pages and the last), and how it ended when it did not end well."""
    told = [f"offset {offset} gave {len(page.items)}" for offset, page in zip(walk.offsets(), walk.pages, strict=True)]
    if len(told) > 4:
        told = [*told[:3], "...", told[-1]]
    story = ", ".join(told) if told else "no page"
    if walk.pages:
        story += f" (last: GET {walk.pages[-1].url})"
    if not walk.complete and walk.error is not None:
        story += f"; then {describe_error(walk.error)}"
    return f"its walk: {story}"


def _model_id(item: dict[str, Any]) -> str | None:
    model = item.get("id")
    return model if isinstance(model, str) else None


def _row_key(item: dict[str, Any]) -> str | None:
    """A ``gateway=all`` row's identity: the same model from two providers is two rows, ``groq: x``."""
    model = _model_id(item)
    return f"{item.get('source_gateway')}: {model}" if model is not None else None


def _first_repeat(walk: GatewayWalk, key: Callable[[dict[str, Any]], str | None] = _model_id) -> str:
    """The first page holding a row (by ``key``: its id) an earlier page listed: where a walk starts repeating."""
    first_seen: dict[str, int | None] = {}
    for offset, page in zip(walk.offsets(), walk.pages, strict=True):
        for item in page.items:
            model = key(item)
            if model is not None and model in first_seen:
                earlier = first_seen[model]
                return f"the page at offset {offset} (GET {page.url}) repeats {model}, first listed at offset {earlier}"
            if model is not None:
                first_seen[model] = offset
    return ""


def _requested(url: str, name: str) -> int | None:
    """The integer query parameter ``name`` the page was requested with (``None`` if absent)."""
    return paging.int_param(httpx.URL(url), name, None)


# ---------------------------------------------------------------------------------------------------------------


@contract_check("schema", "responses match the schema; every model has an id")
def check_schema(seen: Observation, context: Context) -> list[Violation]:
    """Every 200 matches the response schema; every model has a non-empty string id."""
    from catalog_guard import schemas

    found: list[Violation] = []
    walks = seen.every_walk()
    bodies: list[tuple[str, Any]] = [(page.url, page.body) for walk in walks.values() for page in walk.pages]
    bodies += [(r.url, r.body) for r in seen.singles.values() if r.status == 200]
    for url, body in bodies:
        problems = schemas.validate(body, "gateway/models-response.json")
        if problems:
            found.append(Violation("schema", f"{url}: {problems[0]}", {"url": url, "problems": problems[:5]}))
    for name, walk in walks.items():
        if walk.missing_ids:
            found.append(
                Violation(
                    "schema",
                    f"{name}: {walk.missing_ids} models without a non-empty string id",
                    {"gateway": name, "missing_ids": walk.missing_ids},
                )
            )
    return found


@contract_check("page-bounds", "returned == len(data) <= limit; offsets echoed")
def check_page_bounds(seen: Observation, context: Context) -> list[Violation]:
    """``returned == len(data) <= limit``, ``offset >= 0``, and the echoed offset/limit are the requested ones."""
    found: list[Violation] = []
    walks = seen.every_walk()
    pages = [(name, page.url, page.body, len(page.items)) for name, walk in walks.items() for page in walk.pages]
    pages += [(name, r.url, r.body, len(r.items)) for name, r in seen.singles.items() if r.status == 200]
    for name, url, body, count in pages:
        envelope = Envelope.of(body)
        limit = _requested(url, "limit")
        offset = _requested(url, "offset")
        if limit is not None and count > limit:
            found.append(
                Violation(
                    "page-bounds",
                    f"{name}: limit={limit} answered {count} models (limit ignored)",
                    {"url": url, "limit": limit, "returned": count},
                )
            )
        if envelope.returned is not None and envelope.returned != count:
            found.append(
                Violation(
                    "page-bounds",
                    f"{name}: returned={envelope.returned} but data has {count}",
                    {"url": url, "returned": envelope.returned, "len_data": count},
                )
            )
        if envelope.limit is not None and limit is not None and envelope.limit != limit:
            found.append(
                Violation(
                    "page-bounds",
                    f"{name}: asked limit={limit}, answered limit={envelope.limit}",
                    {"url": url, "limit": envelope.limit},
                )
            )
        if envelope.offset is not None and (envelope.offset < 0 or (offset is not None and envelope.offset != offset)):
            found.append(
                Violation(
                    "page-bounds",
                    f"{name}: asked offset={offset}, answered offset={envelope.offset}",
                    {"url": url, "offset": envelope.offset},
                )
            )
        if envelope.malformed:
            found.append(
                Violation(
                    "page-bounds",
                    f"{name}: envelope fields of the wrong type: {envelope.malformed}",
                    {"url": url, "malformed": list(envelope.malformed)},
                )
            )
    return found


@contract_check("no-duplicates", "no id twice in a page, a walk or unique_models")
def check_no_duplicates(seen: Observation, context: Context) -> list[Violation]:
    """No id twice in a page, across the pages of a walk, or in the ``unique_models`` listing."""
    found: list[Violation] = []
    for name, response in seen.singles.items():
        ids = [i for i in response.ids() if i]
        counts = Counter(ids)
        doubled = tuple(sorted(model for model, n in counts.items() if n > 1))
        if doubled:
            found.append(
                Violation(
                    "no-duplicates",
                    f"{name}: one request of limit={_requested(response.url, 'limit')} (GET {response.url}) "
                    f"holds {len(ids):,} rows but {len(counts):,} unique ids "
                    f"({len(doubled):,} repeated: {_ids_said(doubled, context)})",
                    {
                        "gateway": name,
                        "url": response.url,
                        "entries": len(ids),
                        "unique": len(counts),
                        "examples": _examples(doubled, context),
                    },
                )
            )
    for name, walk in seen.every_walk().items():
        if name == ALL:
            # one row per (provider, model): the same id from two providers is legitimate, twice from one is not
            rows = Counter(key for page in walk.pages for item in page.items if (key := _row_key(item)) is not None)
            twice = tuple(sorted(row for row, n in rows.items() if n > 1))
            if twice:
                where = _first_repeat(walk, _row_key)
                found.append(
                    Violation(
                        "no-duplicates",
                        f"{name}: {len(twice):,} (gateway, model) rows listed more than once "
                        f"({_ids_said(twice, context)})" + (f": {where}" if where else ""),
                        {"gateway": name, "examples": _examples(twice, context)},
                    )
                )
            continue
        counts = Counter(walk.ids)
        repeated = {model: n for model, n in counts.items() if n > 1}
        if repeated:
            unique = len(counts)
            where = _first_repeat(walk)
            shown = _ids_said(tuple(sorted(repeated)), context)
            found.append(
                Violation(
                    "no-duplicates",
                    f"{name}: {len(walk.ids):,} entries but {unique:,} unique ids "
                    f"({len(repeated):,} repeated: {shown}; {len(walk.ids) - unique:,} extra rows, "
                    f"duplication factor {duplication_factor(len(walk.ids), unique)})"
                    + (f": {where}" if where else ""),
                    {
                        "gateway": name,
                        "entries": len(walk.ids),
                        "unique": unique,
                        "examples": _examples(repeated, context),
                    },
                )
            )
    return found


def duplication_factor(entries: int, unique: int) -> str:
    """``entries / unique`` with the fewest decimals (at least one) that keep it from reading as ``1.0x``:
    13 repeats in 1,390 rows is ``1.009x``, 500 repeats of 100 is ``500.0x``."""
    if unique <= 0:
        return "n/a"
    factor = entries / unique
    for decimals in range(1, 7):
        shown = f"{factor:.{decimals}f}"
        if entries == unique or float(shown) != 1.0:
            return f"{shown}x"
    return f"{factor:.6f}x"


def _singles(seen: Observation) -> dict[str, GatewayResponse]:
    """The one-request listings, named like the walks they must equal."""
    return {**seen.singles, **{f"{ALL} ({param})": r for param, r in seen.unique_singles.items()}}


@contract_check("offset-progression", "pages contiguous, disjoint, end properly, no early stop or loop")
def check_offset_progression(seen: Observation, context: Context) -> list[Violation]:
    """Pages are disjoint and contiguous, equal the single-request listing, end on a short or empty page, and
    neither stop early nor loop."""
    found: list[Violation] = []
    for name, walk in seen.every_walk().items():
        if not walk.pages:
            continue  # nothing was served at all: known-gateways reports that
        if not walk.complete:
            found.append(
                Violation(
                    "offset-progression",
                    f"{name}: walk did not end: {describe_error(walk.error)}",
                    {"gateway": name, "stop": walk.stop_reason, "pages": len(walk.pages)},
                )
            )
        sizes = walk.page_sizes()
        for index, size in enumerate(sizes[:-1]):
            if size < walk.limit and any(sizes[index + 1 :]):
                found.append(
                    Violation(
                        "offset-progression",
                        f"{name}: page at offset {walk.offsets()[index]} had {size} < limit {walk.limit} models, "
                        "yet later pages had more (early stop for any client that trusts short pages)",
                        {"gateway": name, "page_sizes": sizes[: index + 3]},
                    )
                )
                break
        single = _singles(seen).get(name)
        if walk.complete and single is not None and single.status == 200:
            expected = [i for i in single.ids() if i]
            walked = walk.ids[: len(expected)]  # the single request may be capped below the catalog size
            if walked != expected:
                mismatch = next(
                    (n for n, (a, b) in enumerate(zip(walked, expected, strict=False)) if a != b),
                    min(len(walked), len(expected)),
                )
                url = _page_holding(walk, mismatch)
                got, wanted = (ids[mismatch] if mismatch < len(ids) else "nothing" for ids in (walked, expected))
                found.append(
                    Violation(
                        "offset-progression",
                        f"{name}: the offset walk and the single limit={_requested(single.url, 'limit')} listing "
                        f"differ from position {mismatch} ({len(walk.ids)} walked, {len(expected)} in one request): "
                        f"there the walk has {got} (GET {url}) where one request has {wanted}",
                        {"gateway": name, "position": mismatch, "url": url, "walked": got, "single": wanted},
                    )
                )
    return found


def _page_holding(walk: GatewayWalk, position: int) -> str:
    """The URL of the walk's page that holds the item at ``position`` (the last page when the walk ended
    before it): the request to look at when the walk and the single listing part ways there."""
    end = 0
    for page in walk.pages:
        end += len(page.items)
        if position < end:
            return page.url
    return walk.pages[-1].url if walk.pages else ""


def _int(value: int | None, default: int) -> int:
    return value if value is not None else default


@contract_check("paging-arithmetic", "total, has_more and next_offset add up")
def check_paging_arithmetic(seen: Observation, context: Context) -> list[Violation]:
    """``total`` equals what the walk collects; ``has_more == (offset + returned < total)``;
    ``next_offset == offset + returned`` while ``has_more``. Each kind of error is reported once per walk."""
    found: list[Violation] = []
    for name, walk in seen.every_walk().items():
        kinds: dict[str, Violation] = {}
        for page in walk.pages:
            envelope = Envelope.of(page.body)
            offset = _int(envelope.offset, _requested(page.url, "offset") or 0)
            returned = len(page.items)
            total = envelope.total
            if total is not None and walk.complete and total != len(walk.ids):
                kinds.setdefault(
                    "total",
                    Violation(
                        "paging-arithmetic",
                        f"{name}: total={total} but the walk collected {len(walk.ids)}",
                        {"gateway": name, "total": total, "collected": len(walk.ids)},
                    ),
                )
            if total is not None and envelope.has_more is not None and envelope.has_more != (offset + returned < total):
                kinds.setdefault(
                    "has_more",
                    Violation(
                        "paging-arithmetic",
                        f"{name}: has_more={envelope.has_more} at offset {offset} with {returned} returned "
                        f"of total {total}",
                        {"gateway": name, "url": page.url},
                    ),
                )
            if envelope.has_more and envelope.next_offset is not None and envelope.next_offset != offset + returned:
                kinds.setdefault(
                    "next_offset",
                    Violation(
                        "paging-arithmetic",
                        f"{name}: next_offset={envelope.next_offset} at offset {offset} with {returned} returned "
                        f"(expected {offset + returned})",
                        {"gateway": name, "url": page.url},
                    ),
                )
        found.extend(kinds.values())
    return found


@contract_check("bad-parameters", "bad parameters get a 4xx with a message")
def check_bad_parameters(seen: Observation, context: Context) -> list[Violation]:
    """Negative offset, out-of-range or non-integer limit and unknown gateways get a 4xx with a message."""
    found: list[Violation] = []
    for name, response in seen.probes.items():
        if not 400 <= response.status < 500:
            found.append(
                Violation(
                    "bad-parameters",
                    f"{name}: {response.url} answered {response.status}, "
                    f"not a 4xx ({len(response.items)} models returned)",
                    {"probe": name, "url": response.url, "status": response.status, "returned": len(response.items)},
                )
            )
        elif not _has_message(response):
            found.append(
                Violation(
                    "bad-parameters",
                    f"{name}: {response.status} without an error message",
                    {"probe": name, "url": response.url},
                )
            )
    return found


def _has_message(response: GatewayResponse) -> bool:
    body = response.body
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return True
            if isinstance(value, dict) and str(value.get("message", "")).strip():
                return True
            if isinstance(value, list) and _validation_messages(value):
                return True
    return bool(response.headers.get("x-error-message"))


def _validation_messages(errors: list[Any]) -> bool:
    """FastAPI's (pydantic's) 422 says why as ``{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}``: a
    list of errors, each with its ``msg`` (or ``message``). Every one must say something."""
    return bool(errors) and all(
        isinstance(error, dict) and str(error.get("msg") or error.get("message") or "").strip() for error in errors
    )


def unserved_gateways(seen: Observation) -> dict[str, str]:
    """The gateways asked for that gave no usable page (a 404, an error), in plan order, each with what it
    answered. The other checks skip them: :func:`check_known_gateways` reports them once, together."""
    unserved: dict[str, str] = {}
    for name, _ in _in_plan_order(dict.fromkeys(seen.plan.gateways)):
        walk = seen.walks.get(name)
        if walk is None or walk.pages:
            continue
        status = getattr(walk.error, "status", None)
        unserved[name] = f"{status}" if status is not None else describe_error(walk.error)[:80] or "no page"
    return unserved


def _first_answer(seen: Observation, name: str) -> str:
    """The evidence of the first unserved gateway: what it said, in its own words (the error's message, which
    quotes the status and the body's message), so that a 401 says which credentials it refused."""
    walk = seen.walks.get(name)
    said = describe_error(walk.error if walk is not None else None)
    return f" First, {name} answered: {said[:300]}" if said else ""


@contract_check("known-gateways", "every known gateway (and alias) serves models")
def check_known_gateways(seen: Observation, context: Context) -> list[Violation]:
    """Every known gateway answers 200 with models: a 404, an error, or a quiet ``200 []`` is a lost catalog.
    Gateways without a usable page are one finding, listed together with the fix if serving fewer is intended."""
    found: list[Violation] = []
    unserved = unserved_gateways(seen)
    if unserved:
        served = [name for name in seen.plan.gateways if name not in unserved]
        listed = ", ".join(f"{name} ({answer})" for name, answer in unserved.items())
        found.append(
            Violation(
                "known-gateways",
                f"serves {len(served)} of the {len(seen.plan.gateways)} gateways asked for; not served: {listed}. "
                + (
                    "Is the base URL right?"
                    if not served
                    else f"If the deployment serves only {', '.join(served)} on purpose, judge it on those: "
                    f"plan = ObservePlan(gateways={tuple(served)!r})"
                    if all(answer.startswith("4") for answer in unserved.values())
                    else "A 5xx or a failed request is an outage of that gateway, not a choice"
                )
                + _first_answer(seen, next(iter(unserved))),
                {"unserved": dict(unserved), "served": served},
            )
        )
    for name, _ in _in_plan_order(dict.fromkeys(seen.plan.gateways)):
        walk = seen.walks.get(name)
        if walk is not None and walk.pages and not walk.pages[0].items:
            found.append(
                Violation(
                    "known-gateways",
                    f"{name}: answered {walk.pages[0].status} with no models ({walk.pages[0].url})",
                    {"gateway": name, "url": walk.pages[0].url},
                )
            )
    for alias, walk in seen.aliases.items():
        if seen.plan.aliases.get(alias) in unserved:
            continue  # its target is reported above
        if not walk.pages or not walk.pages[0].items:
            first = walk.pages[0] if walk.pages else None
            why = describe_error(walk.error) or (
                f"answered {first.status} with an empty list ({first.url})" if first else "no page was answered"
            )
            found.append(Violation("known-gateways", f"alias {alias}: no models: {why}", {"gateway": alias}))
    return found


@contract_check("alias", "aliases list what their targets list")
def check_alias(seen: Observation, context: Context) -> list[Violation]:
    """An alias lists exactly what its target lists: ``hug`` = ``huggingface``, and the documented flag
    ``unique=true`` = ``unique_models=true``."""
    found: list[Violation] = []
    for alias, target in seen.plan.aliases.items():
        walk, target_walk = seen.aliases.get(alias), seen.walks.get(target)
        if walk is None or target_walk is None:
            continue
        if walk.ids != target_walk.ids:
            found.append(
                Violation(
                    "alias",
                    f"{alias} lists {len(walk.ids)} models, {target} lists {len(target_walk.ids)}; the listings differ",
                    {"alias": alias, "target": target},
                )
            )
    for flag, target in seen.plan.flag_aliases.items():
        found += _flag_alias(seen, flag, target)
    return found


def _flag_alias(seen: Observation, flag: str, target: str) -> list[Violation]:
    """The documented flag against the implemented one, asked the same way (one large request each). Only an
    observation without that request falls back to the ``target`` walk, and then a walk that is itself broken is
    named as the likely cause instead of the flag."""
    probe, single, target_walk = (
        seen.flag_probes.get(flag),
        seen.unique_singles.get(target),
        seen.unique_walks.get(target),
    )
    if probe is None or (single is None and target_walk is None):
        return []
    rows = probe.items  # whole rows: a one-row-per-model listing also carries each model's providers
    if single is not None:
        if probe.status == single.status and rows == single.items:
            return []  # the flag does what the implemented one does, even if both were refused (paging-ends)
        expected, basis, trouble = single.items, f"{target}=true asked the same way ({single.status})", ""
    elif target_walk is not None:
        expected = [item for page in target_walk.pages for item in page.items][: len(rows)]
        basis, trouble = f"the {target}=true walk", _walk_trouble(target_walk)
    else:
        return []
    if probe.status == 200 and rows == expected:
        return []
    position = next(
        (n for n, (a, b) in enumerate(zip(rows, expected, strict=False)) if a != b), min(len(rows), len(expected))
    )
    evidence = {"flag": flag, "target": target, "status": probe.status, "position": position}
    said = f"gateway=all&{flag}=true (the documented flag) answered {probe.status} with a listing that differs from"
    if trouble and probe.status == 200:
        return [
            Violation(
                "alias",
                f"{said} {basis} from position {position}, but that walk is itself broken ({trouble}): the likely "
                f"cause is the paging of the {target} listing, not the flag",
                evidence,
                cause="no-duplicates" if "repeated" in trouble else "offset-progression",
            )
        ]
    return [Violation("alias", f"{said} {basis} from position {position}: the flag is ignored", evidence)]


def _walk_trouble(walk: GatewayWalk) -> str:
    """What is wrong with a walk on its own (repeated ids, no proper end), in words; empty if nothing is."""
    if not walk.complete:
        return f"it did not end: {describe_error(walk.error)}"
    repeated = len(walk.ids) - len(set(walk.ids))
    return f"{repeated:,} ids repeated across its pages" if repeated else ""


@contract_check("all-completeness", "gateway=all holds every gateway's models")
def check_all_completeness(seen: Observation, context: Context) -> list[Violation]:
    """``gateway=all`` (plain and ``unique_models``) holds every gateway's ids."""
    found: list[Violation] = []
    listings = [(ALL, seen.all_walk), *((f"all ({param})", walk) for param, walk in seen.unique_walks.items())]
    for label, walk in listings:
        if walk is None:
            continue
        listed = set(walk.ids)
        left_out: dict[str, int] = {}
        examples: list[str] = []
        for name, gateway_walk in seen.walks.items():
            missing = set(gateway_walk.ids) - listed
            if missing:
                left_out[name] = len(missing)
                examples += _examples(missing, context)[:2]
        if left_out:
            note = Envelope.of(walk.pages[0].body).fields.get("note") if walk.pages else None
            said = f" while its note says {note!r}" if note else ""
            found.append(
                Violation(
                    "all-completeness",
                    f"{label} leaves out models of {len(left_out)} gateways{said}: "
                    + ", ".join(f"{g} {n}" for g, n in sorted(left_out.items()))
                    + f" (e.g. {_ids_said(tuple(examples), context)}; {_walk_story(walk)})",
                    {"listing": label, "left_out": left_out, "examples": examples},
                )
            )
    return found


def _in_plan_order(values: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The contract's gateway order (Hugging Face first), then any others alphabetically."""
    order = {name: index for index, name in enumerate(KNOWN)}
    return sorted(values.items(), key=lambda item: (order.get(item[0], len(order)), item[0]))


MAX_IDS_SHOWN = 100


def _ids_shown(ids: tuple[str, ...]) -> list[str]:
    """The differing ids a violation carries: all of them for a skew-sized difference, the first 100 of a loss."""
    return list(ids[:MAX_IDS_SHOWN])


def _ids_said(ids: tuple[str, ...], context: Context) -> str:
    """The first few differing ids, for a message: ``a, b, c (+12 more)``."""
    shown = context.config.max_examples
    more = f" (+{len(ids) - shown:,} more)" if len(ids) > shown else ""
    return ", ".join(ids[:shown]) + more


@contract_check("coverage", "each gateway covers its upstream's listing")
def check_coverage(seen: Observation, context: Context) -> list[Violation]:
    """Each gateway lists its upstream's listing: it fails when it lists less than ``coverage_floor`` of it *and*
    misses more ids than the skew allowance forgives (:mod:`catalog_guard.skew`)."""
    found: list[Violation] = []
    allowance = context.config.skew
    unserved = unserved_gateways(seen)
    for name, truth in _in_plan_order(context.truth):
        if name not in seen.walks or not truth or name in unserved:
            continue  # not asked, nothing to cover, or not served at all (known-gateways reports that)
        skew = Skew.measure(seen.walks[name].ids, truth)
        covered = len(truth) - len(skew.missing)
        ratio = covered / len(truth)
        if ratio < context.config.coverage_floor and skew.missing_exceeds(allowance):
            found.append(
                Violation(
                    "coverage",
                    f"{name}: lists {covered:,} of the {len(truth):,} models its upstream lists ({ratio:.1%}, "
                    f"floor {context.config.coverage_floor:.1%}, {allowance.describe(len(truth))}); missing "
                    + _ids_said(skew.missing, context)
                    + f": {_walk_story(seen.walks[name])}",
                    {
                        "gateway": name,
                        "covered": covered,
                        "upstream": len(truth),
                        "ratio": round(ratio, 4),
                        "allowed": allowance.allowed(len(truth)),
                        "missing_count": len(skew.missing),
                        "missing": _ids_shown(skew.missing),
                        "missing_examples": list(skew.missing[: context.config.max_examples]),
                    },
                )
            )
    return found


def curated(context: Context, gateway: str, model_id: str) -> bool:
    """Whether ``gateway`` may list ``model_id`` without an upstream (``ContractConfig.curated``)."""
    return any(
        owner in (gateway, "*") and fnmatch.fnmatchcase(model_id, pattern) for owner, pattern in context.config.curated
    )


@contract_check("phantom", "each gateway lists only what its upstream lists")
def check_phantom(seen: Observation, context: Context) -> list[Violation]:
    """Each gateway lists only what its upstream lists: ids only in the gateway beyond the skew allowance are
    phantoms (a stale cache, a hard-coded fallback list, another gateway's models). Models the gateway curates
    itself (``ContractConfig.curated``) are not counted."""
    found: list[Violation] = []
    allowance = context.config.skew
    for name, truth in _in_plan_order(context.truth):
        if name not in seen.walks or not truth:
            continue
        listed = [model for model in seen.walks[name].ids if not curated(context, name, model)]
        skew = Skew.measure(listed, truth)
        if skew.extra_exceeds(allowance):
            found.append(
                Violation(
                    "phantom",
                    f"{name}: lists {len(skew.extra):,} models its upstream does not list "
                    f"({allowance.describe(len(truth))}): " + _ids_said(skew.extra, context),
                    {
                        "gateway": name,
                        "upstream": len(truth),
                        "allowed": allowance.allowed(len(truth)),
                        "extra_count": len(skew.extra),
                        "extra": _ids_shown(skew.extra),
                    },
                )
            )
    return found


@contract_check("count-floor", "counts stay at or above the baseline")
def check_count_floor(seen: Observation, context: Context) -> list[Violation]:
    """No gateway's unique count drops below the recorded baseline by more than the tolerance."""
    found: list[Violation] = []
    unserved = unserved_gateways(seen)
    for name, baseline in _in_plan_order(context.baseline):
        if name not in seen.walks or name in unserved:
            continue  # not asked, or not served at all (known-gateways reports that)
        count = len(set(seen.walks[name].ids))
        floor = baseline * (1 - context.config.count_tolerance)
        if count < floor:
            change = (count - baseline) / baseline if baseline else 0.0
            found.append(
                Violation(
                    "count-floor",
                    f"{name}: {count:,} models, baseline {baseline:,} ({change:+.1%}, "
                    f"tolerance {context.config.count_tolerance:.1%}): {_walk_story(seen.walks[name])}",
                    {"gateway": name, "count": count, "baseline": baseline},
                )
            )
    return found


@contract_check("stable-bodies", "identical requests, identical bodies and ETags")
def check_stable_bodies(seen: Observation, context: Context) -> list[Violation]:
    """Identical requests give identical bodies and the same ETag."""
    found: list[Violation] = []
    for first, second in seen.repeats:
        if first.text != second.text:
            found.append(
                Violation(
                    "stable-bodies", f"{first.url}: two identical requests got different bodies", {"url": first.url}
                )
            )
        etags = (first.headers.get("etag"), second.headers.get("etag"))
        if etags[0] != etags[1]:
            found.append(
                Violation(
                    "stable-bodies",
                    f"{first.url}: ETag changed between identical requests ({etags[0]} then {etags[1]})",
                    {"url": first.url, "etags": list(etags)},
                )
            )
    return found


@contract_check("routable", "a listed model can be routed (401 without a key, not 404)")
def check_routable(seen: Observation, context: Context) -> list[Violation]:
    """A listed model can be routed: without a key the completion is refused (401/403), not unknown (404)."""
    route = seen.route
    if route is None:
        if "route" in seen.errors:
            return [
                Violation(
                    "routable",
                    f"the chat-completion probe could not be sent: {seen.errors['route']}",
                    {"error": seen.errors["route"]},
                )
            ]
        return []  # not probed (plan.probe_routing off, or nothing listed: known-gateways reports that)
    if route.status in (401, 403):
        return []
    return [
        Violation(
            "routable",
            f"chat completion for listed model {route.model} without a key answered {route.status}, expected 401",
            {"model": route.model, "status": route.status},
        )
    ]


# ---------------------------------------------------------------------------------------------------------------
# Regressions no contract row named (U1-U11): id hygiene, phantoms, paging ends, provenance, latency.

MAX_ID_LENGTH = 256
"""Longer than any real catalog id (Hub repo ids are at most 96 characters; provider ids far less): an id this
long is a body or a path pasted where the id belongs."""

_INVISIBLE = frozenset({"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"})


def id_problems(model_id: str) -> list[str]:
    """What is wrong with one id on its own, in words (empty for a clean id). An empty id is the schema
    check's: it is no id at all.

    A printable ASCII id without a space has none of these problems (no whitespace, no control character, NFC by
    construction): it is answered without the per-character Unicode lookups, which were a tenth of the recorded
    audit (seven deployments' ids, ~16,000 each)."""
    if model_id.isascii() and model_id.isprintable() and " " not in model_id and len(model_id) <= MAX_ID_LENGTH:
        return []
    problems = []
    if model_id != model_id.strip():
        problems.append("leading or trailing whitespace")
    elif any(ch.isspace() for ch in model_id):
        problems.append("whitespace inside")
    if any(unicodedata.category(ch) in _INVISIBLE for ch in model_id):
        problems.append("a control or invisible character")
    if unicodedata.normalize("NFC", model_id) != model_id:
        problems.append("not in Unicode NFC form")
    if len(model_id) > MAX_ID_LENGTH:
        problems.append(f"longer than {MAX_ID_LENGTH} characters")
    return problems


def twin_key(model_id: str) -> str:
    """What two ids of one model share when a gateway lists it twice: letter case, Unicode form (NFKC),
    whitespace anywhere and a provider prefix the canonical merge strips (``models/``, ``accounts/<a>/models/``,
    ``@slug/``) do not make a different model. A known ``:suffix`` does (``x:free`` is its own offer)."""
    folded = unicodedata.normalize("NFKC", "".join(model_id.split())).casefold()
    return merge.strip_prefix(folded)


@contract_check("id-hygiene", "each model under one clean id (no case, space or wrapper twins)")
def check_id_hygiene(seen: Observation, context: Context) -> list[Violation]:
    """Each gateway lists each model under one clean id: no whitespace around or inside, no control characters,
    NFC, at most :data:`MAX_ID_LENGTH` characters, and no two ids of one listing that differ only in case,
    whitespace, Unicode form or a provider prefix (a client keyed by exact id shows such a model twice)."""
    found: list[Violation] = []
    for name, walk in _in_plan_order(seen.walks):
        unique = sorted(set(walk.ids))
        dirty: dict[str, list[str]] = defaultdict(list)
        for model in unique:
            for problem in id_problems(model):
                dirty[problem].append(model)
        for problem, models in dirty.items():
            found.append(
                Violation(
                    "id-hygiene",
                    f"{name}: {len(models):,} ids with {problem}, e.g. {models[0]!r}",
                    {"gateway": name, "problem": problem, "examples": [repr(m) for m in _examples(models, context)]},
                )
            )
        groups: dict[str, list[str]] = defaultdict(list)
        for model in unique:
            groups[twin_key(model)].append(model)
        twins = [ids for ids in groups.values() if len(ids) > 1]
        if twins:
            found.append(
                Violation(
                    "id-hygiene",
                    f"{name}: {len(twins):,} models listed under more than one id, e.g. "
                    + " and ".join(repr(m) for m in twins[0]),
                    {
                        "gateway": name,
                        "examples": [[repr(m) for m in ids] for ids in twins[: context.config.max_examples]],
                    },
                )
            )
    return found


@contract_check("paging-ends", "offset at and past the end is empty; limit bounds exact")
def check_paging_ends(seen: Observation, context: Context) -> list[Violation]:
    """Paging at its ends (the requests a walk never sends): ``offset = total`` answers 200 with no models and
    no ``has_more``; past ``total`` no models either (a 4xx with a message is also an answer a client stops on);
    ``offset = total - 1`` with ``limit=1`` is the walk's last model alone with nothing more; ``limit`` at the
    documented maximum is served and one past it refused with a 4xx."""
    found: list[Violation] = []
    first = seen.plan.gateways[0] if seen.plan.gateways else None
    walk = seen.walks.get(first) if first else None
    for name, response in seen.end_probes.items():
        found += _end_probe(name, response, walk)
    refused = [
        (gateway, r)
        for gateway, r in seen.singles.items()
        if _requested(r.url, "limit") == seen.plan.max_limit
        and r.status != 200
        and gateway in seen.walks
        and seen.walks[gateway].pages
    ]
    if refused:
        gateway, response = refused[0]
        found.append(
            Violation(
                "paging-ends",
                f"limit={seen.plan.max_limit} (the documented maximum) answered {response.status} for "
                f"{len(refused)} gateways, e.g. {gateway}: the bound is off by one",
                {"url": response.url, "status": response.status, "gateways": [g for g, _ in refused]},
            )
        )
    return found


def _end_probe(name: str, response: GatewayResponse, walk: GatewayWalk | None) -> list[Violation]:
    envelope = response.envelope()
    evidence = {"probe": name, "url": response.url, "status": response.status, "returned": len(response.items)}
    if name == "limit-one-past-maximum":
        if 400 <= response.status < 500:
            return []
        message = f"{name}: {response.url} answered {response.status} ({len(response.items)} models), not a 4xx"
        return [Violation("paging-ends", message, evidence)]
    if response.status >= 500 or (name == "offset-at-total" and response.status != 200):
        what = "an empty page" if name == "offset-at-total" else "an empty page or a 4xx"
        return [Violation("paging-ends", f"{name}: {response.url} answered {response.status}, not {what}", evidence)]
    if response.status != 200:
        if _has_message(response):
            return []  # past the end, a 4xx that says why is an answer a client stops on
        return [Violation("paging-ends", f"{name}: {response.status} without an error message", evidence)]
    if name == "last-row":
        last = walk.ids[-1] if walk is not None and walk.complete and walk.ids else None
        ids = response.ids()
        if len(ids) != 1 or (last is not None and ids[0] != last) or envelope.has_more:
            return [
                Violation(
                    "paging-ends",
                    f"{name}: {response.url} answered {len(ids)} models ({ids[:2]!r}) with has_more="
                    f"{envelope.has_more}; expected the walk's last model {last!r} alone and no more",
                    {**evidence, "expected": last, "has_more": envelope.has_more},
                )
            ]
        return []
    if response.items or envelope.has_more:
        first = response.ids()[0] if response.items else None
        return [
            Violation(
                "paging-ends",
                f"{name}: {response.url} answered {len(response.items)} models (from {first!r}) with has_more="
                f"{envelope.has_more} instead of an empty page: a client that pages until an empty page never stops",
                {**evidence, "has_more": envelope.has_more},
            )
        ]
    return []


@contract_check("provenance", "every row of all / unique_models names the right gateways")
def check_provenance(seen: Observation, context: Context) -> list[Violation]:
    """Every row of ``gateway=all`` names (``source_gateway``) a gateway that lists that model, and every
    gateway's models appear under its own name; every ``unique_models`` row's ``providers`` are exactly the
    walked gateways that list it. Rows without the field are not judged (the schema does not require it); only
    complete walks are trusted as the reference."""
    found: list[Violation] = []
    lists = {name: set(walk.ids) for name, walk in seen.walks.items() if walk.complete}
    if seen.all_walk is not None and seen.all_walk.complete:
        rows = [item for page in seen.all_walk.pages for item in page.items]
        pairs = {(row.get("source_gateway"), row.get("id")) for row in rows}
        wrong = sorted(
            (str(source), str(model))
            for source, model in pairs
            if isinstance(source, str) and source in lists and model not in lists[source]
        )
        if wrong:
            source, model = wrong[0]
            owners = sorted(g for g, ids in lists.items() if model in ids)
            found.append(
                Violation(
                    "provenance",
                    f"{ALL}: {len(wrong):,} rows name a gateway that does not list the model, e.g. {model!r} "
                    f"attributed to {source}, listed by {', '.join(owners) or 'no walked gateway'}",
                    {"listing": ALL, "rows": len(wrong), "examples": _examples(map(str, wrong), context)},
                )
            )
        listed_ids = {model for _, model in pairs}
        complete = {g for g, ids in lists.items() if ids <= listed_ids}  # else all-completeness reports the gateway
        unclaimed = sorted(
            (gateway, model)
            for gateway, ids in lists.items()
            if gateway in complete
            for model in ids
            if model in listed_ids and (gateway, model) not in pairs
        )
        if unclaimed:
            gateway, model = unclaimed[0]
            found.append(
                Violation(
                    "provenance",
                    f"{ALL}: {len(unclaimed):,} models of a gateway appear only under another gateway's name, "
                    f"e.g. {gateway}'s {model!r}",
                    {"listing": ALL, "rows": len(unclaimed), "examples": _examples(map(str, unclaimed), context)},
                )
            )
    for param, walk in seen.unique_walks.items():
        found += _providers(f"{ALL} ({param})", walk, lists, context)
    return found


def _providers(label: str, walk: GatewayWalk, lists: Mapping[str, set[str]], context: Context) -> list[Violation]:
    """A one-row-per-model listing: each row's ``providers`` against the walked gateways that list it."""
    wrong: list[str] = []
    for row in (item for page in walk.pages for item in page.items):
        providers, model = row.get("providers"), row.get("id")
        if not isinstance(providers, list) or not isinstance(model, str):
            continue
        named = {p for p in providers if isinstance(p, str)}
        listing = {g for g, ids in lists.items() if model in ids}
        if {g for g in named if g in lists} != listing:
            missing, extra = sorted(listing - named), sorted((named & set(lists)) - listing)
            wrong.append(f"{model!r}: providers {sorted(named)}, missing {missing}, not listing it {extra}")
    if not wrong:
        return []
    return [
        Violation(
            "provenance",
            f"{label}: {len(wrong):,} rows name the wrong providers, e.g. {wrong[0]}",
            {"listing": label, "rows": len(wrong), "examples": wrong[: context.config.max_examples]},
        )
    ]


@contract_check("latency", "p95 latency per gateway within the budget")
def check_latency(seen: Observation, context: Context) -> list[Violation]:
    """No gateway's p95 request latency exceeds ``ContractConfig.latency_budget`` (off when ``None`` or 0)."""
    budget = context.config.latency_budget
    if not budget:
        return []
    found = []
    for name, figures in latency.by_gateway(seen).items():
        if figures.p95 > budget:
            found.append(
                Violation(
                    "latency",
                    f"{name}: p95 {figures.p95:.2f} s over the {budget:g} s budget (p50 {figures.p50:.2f} s, "
                    f"max {figures.max:.2f} s, {figures.requests} requests)",
                    {"gateway": name, "budget": budget, **vars(figures)},
                )
            )
    return found


# ---------------------------------------------------------------------------------------------------------------
# Root causes: a check that fails *because* another failed says so.

DEPENDS_ON: dict[str, tuple[str, ...]] = {
    "coverage": ("known-gateways", "offset-progression"),
    "count-floor": ("known-gateways", "offset-progression"),
    "phantom": ("id-hygiene",),
    "all-completeness": ("offset-progression",),
    "provenance": ("all-completeness",),
    "alias": ("no-duplicates", "offset-progression", "paging-arithmetic"),
}
"""Which failing checks can explain a violation of another, on the same gateway: an unfinished walk lists fewer
models (coverage, count-floor); a twin id is not in the upstream (phantom)."""


def _subject(violation: Violation) -> str | None:
    value = violation.evidence.get("gateway", violation.evidence.get("listing"))
    return str(value) if value is not None else None


def attribute(results: list[CheckResult]) -> list[CheckResult]:
    """Mark each violation that follows from another failing check on the same gateway (or listing) with that
    check as its ``cause``, unless it names one already. Only a cause on the same subject counts: a broken
    Hugging Face walk explains nothing about Groq."""
    failing: dict[str, set[str | None]] = {r.name: {_subject(v) for v in r.violations} for r in results if not r.passed}
    attributed = []
    for result in results:
        candidates = [c for c in DEPENDS_ON.get(result.name, ()) if c in failing]
        violations = []
        for violation in result.violations:
            cause = violation.cause or next(
                (c for c in candidates if _subject(violation) is not None and _subject(violation) in failing[c]), None
            )
            violations.append(replace(violation, cause=cause))
        attributed.append(replace(result, violations=tuple(violations)))
    return attributed


def root_causes(results: Iterable[CheckResult]) -> list[CheckResult]:
    """The failing checks that do not wholly follow from another: what a report leads with."""
    return [r for r in results if not r.passed and not r.causes]


def run_checks(
    seen: Observation, context: Context | None = None, names: Iterable[str] | None = None
) -> list[CheckResult]:
    """Run the named checks (all by default) in their documented order."""
    context = context or Context()
    wanted = list(names) if names is not None else list(CHECKS)
    return attribute(
        [
            CheckResult(
                name, CHECKS[name].title, tuple(CHECKS[name].run(seen, context)), _not_judged(seen, context, name)
            )
            for name in wanted
        ]
    )


#: The checks that compare with the upstream truth, and the one that compares with the count baseline: what an
#: upstream whose truth could not be fetched, or a missing baseline, leaves unjudged.
TRUTH_CHECKS: tuple[str, ...] = ("coverage", "phantom")
BASELINE_CHECKS: tuple[str, ...] = ("count-floor",)


def _not_judged(seen: Observation, context: Context, name: str) -> tuple[tuple[str, str], ...]:
    """What ``name`` could not judge among the gateways this observation asked for."""
    reasons = context.not_judged.get(name, {})
    return tuple((gateway, why) for gateway, why in _in_plan_order(reasons) if gateway in seen.walks)
