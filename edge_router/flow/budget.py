"""Budgets per API key and per tenant: what each spent this UTC day and month, and what
happens once a limit is reached.

Spending is the sum of the audit trail's ``cost_usd`` over the period: read at startup
(so budgets survive restarts; ``config`` refuses budgets without an audit trail that
holds a whole period) and, with a trail shared by several routers, every ``SYNC_S``;
kept in memory and raised by every recorded answer (``account``, called by
``flow.recorder``, which also prices each answer: ``answer_cost``). A request is
admitted while spent < limit; the answer that crosses the limit completes, and the
ones after it meet the budget's ``on_budget``: ``local`` (reason ``budget_local``:
nothing more goes to a cloud) or ``refuse`` (429, code ``budget_exceeded``, with
``Retry-After`` until the period resets). Requests
running at the same time can each pass the check, so a budget can be overshot by what
the requests in flight cost.

Example::

    budgets = Budgets.load(settings.auth, audit_reader)
    verdict = budgets.check(identity)      # None, or the budget that is spent
    budgets.add("ci", "acme", 0.0021)      # after each priced answer
"""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from edge_router.errors import RouterError
from edge_router.record.audit import AuditRecord
from edge_router.record.audit_query import AuditReader
from edge_router.record.audit_schema import AuditError
from edge_router.record.costs import Budget, BudgetAction, Pricer
from edge_router.routing.pipeline import Evaluation, Identity

if TYPE_CHECKING:
    from edge_router.state import AppState

log = logging.getLogger("edge_router.flow.budget")

SYNC_S = 30.0
"""How often a router sharing its audit trail with others (``audit.url``) re-reads the
period's spending from it."""
Scope = Literal["key", "tenant"]
Period = Literal["day", "month"]
PERIODS: tuple[Period, ...] = ("day", "month")


class _Budgeted(Protocol):
    @property
    def budget(self) -> Budget: ...


class _Key(_Budgeted, Protocol):
    @property
    def id(self) -> str: ...


class BudgetSource(Protocol):
    """Where budgets are configured: ``api.auth.AuthSettings`` (keys and tenants)."""

    @property
    def keys(self) -> Sequence[_Key]: ...
    @property
    def tenants(self) -> Mapping[str, _Budgeted]: ...


class BudgetExceeded(RouterError):
    """429: the caller's key or tenant has spent its budget and ``on_budget`` refuses."""

    status = 429
    type = "rate_limit_error"
    code = "budget_exceeded"


def period_start(period: Period, now: float) -> float:
    t = datetime.fromtimestamp(now, UTC)
    t = t.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "month":
        t = t.replace(day=1)
    return t.timestamp()


def period_end(period: Period, now: float) -> float:
    t = datetime.fromtimestamp(period_start(period, now), UTC)
    if period == "day":
        return t.timestamp() + 86400
    year, month = (t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)
    return t.replace(year=year, month=month).timestamp()


@dataclass(frozen=True)
class Verdict:
    """A budget that is spent: whose, which period, and what happens now."""

    scope: Scope
    name: str
    period: Period
    limit: float
    spent: float
    action: BudgetAction
    resets_at: float

    def message(self) -> str:
        who = f"API key '{self.name}'" if self.scope == "key" else f"tenant '{self.name}'"
        when = datetime.fromtimestamp(self.resets_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        daily = "daily" if self.period == "day" else "monthly"
        return (
            f"Budget exhausted: {who} has spent ${self.spent:.4f} of its ${self.limit:.2f} "
            f"{daily} budget; requests are refused until it resets at {when} (UTC)."
        )

    def error(self, now: float) -> BudgetExceeded:
        wait = max(1, math.ceil(self.resets_at - now))
        return BudgetExceeded(
            self.message(),
            headers={
                "Retry-After": str(wait),
                # The official SDKs retry 429s unless told not to; waiting won't help here.
                "x-should-retry": "false",
                "x-edge-router-budget": f"{self.scope}:{self.period}",
            },
        )


def _limits(budget: Budget) -> list[tuple[Period, float]]:
    out: list[tuple[Period, float]] = []
    if budget.daily_usd is not None:
        out.append(("day", budget.daily_usd))
    if budget.monthly_usd is not None:
        out.append(("month", budget.monthly_usd))
    return out


class Budgets:
    """Spending of every key and tenant that has a budget, this day and this month."""

    def __init__(self, source: BudgetSource, *, now: float | None = None) -> None:
        self._budgets: dict[tuple[Scope, str], Budget] = {}
        for k in source.keys:
            if k.budget.limited:
                self._budgets[("key", k.id)] = k.budget
        for name, t in source.tenants.items():
            if t.budget.limited:
                self._budgets[("tenant", name)] = t.budget
        self._lock = threading.Lock()
        self._spent: dict[tuple[Scope, str, Period], float] = {}
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None
        now = time.time() if now is None else now
        self._starts = {p: period_start(p, now) for p in PERIODS}

    def __bool__(self) -> bool:
        return bool(self._budgets)

    @classmethod
    def load(
        cls, source: BudgetSource, reader: AuditReader | None, *, now: float | None = None
    ) -> Budgets:
        """Budgets with this period's spending summed from the audit trail."""
        budgets = cls(source, now=now)
        if reader is not None and budgets:
            budgets.sync(reader)
        return budgets

    def sync(self, reader: AuditReader) -> None:
        """Raise each spending to what the trail holds for the period. Run at startup,
        and every :data:`SYNC_S` (:meth:`watch`) where several routers share one trail
        (``audit.url``): each then counts the others' spending too. Never lowers a
        figure: this router's latest answers may still be on their way to the trail."""
        with self._lock:
            starts = dict(self._starts)
        columns: tuple[tuple[Scope, Literal["key_id", "tenant"]], ...] = (
            ("key", "key_id"),
            ("tenant", "tenant"),
        )
        found: dict[tuple[Scope, str, Period], float] = {}
        for period in PERIODS:
            for scope, column in columns:
                for name, usd in reader.spend_since(starts[period], column).items():
                    if (scope, name) in self._budgets:
                        found[(scope, name, period)] = usd
        with self._lock:
            if self._starts != starts:
                return  # a period ended meanwhile: these sums belong to the last one
            for k, usd in found.items():
                self._spent[k] = max(self._spent.get(k, 0.0), usd)

    def watch(self, reader: AuditReader, every_s: float = 0.0) -> None:
        """Sync from ``reader`` every ``every_s`` (default :data:`SYNC_S`) in a daemon
        thread, until :meth:`close`. A failed read is retried at the next tick."""
        interval = every_s or SYNC_S

        def run() -> None:
            while not self._stop.wait(interval):
                try:
                    self.sync(reader)
                except (AuditError, sqlite3.Error) as exc:
                    log.warning(
                        "budget sync from the audit trail failed",
                        extra={"fields": {"error": type(exc).__name__}},
                    )

        self._watcher = threading.Thread(target=run, name="budget-sync", daemon=True)
        self._watcher.start()

    def close(self) -> None:
        self._stop.set()
        if self._watcher is not None:
            self._watcher.join(timeout=5)

    def _who(self, key_id: str | None, tenant: str | None) -> list[tuple[Scope, str]]:
        found: list[tuple[Scope, str]] = []
        if key_id is not None and ("key", key_id) in self._budgets:
            found.append(("key", key_id))
        if tenant is not None and ("tenant", tenant) in self._budgets:
            found.append(("tenant", tenant))
        return found

    def _roll(self, now: float) -> None:
        """A new UTC day (month) starts everyone's daily (monthly) spending at 0."""
        for period in PERIODS:
            start = period_start(period, now)
            if start != self._starts[period]:
                self._starts[period] = start
                for k in [k for k in self._spent if k[2] == period]:
                    del self._spent[k]

    def add(
        self, key_id: str | None, tenant: str | None, usd: float, *, now: float | None = None
    ) -> None:
        """Count a priced answer of this key (and its tenant)."""
        if not usd > 0:
            return
        now = time.time() if now is None else now
        with self._lock:
            self._roll(now)
            for scope, name in self._who(key_id, tenant):
                for period in PERIODS:
                    k = (scope, name, period)
                    self._spent[k] = self._spent.get(k, 0.0) + usd

    def spent(self, scope: Scope, name: str, period: Period) -> float:
        with self._lock:
            self._roll(time.time())
            return self._spent.get((scope, name, period), 0.0)

    def check(self, identity: Identity | None, *, now: float | None = None) -> Verdict | None:
        """The budget of the caller's key or tenant that is spent, or None. A refusing
        budget wins over one that keeps requests local."""
        if identity is None or not self._budgets:
            return None
        now = time.time() if now is None else now
        found: list[Verdict] = []
        with self._lock:
            self._roll(now)
            for scope, name in self._who(identity.key_id, identity.tenant):
                budget = self._budgets[(scope, name)]
                for period, limit in _limits(budget):
                    spent = self._spent.get((scope, name, period), 0.0)
                    if spent >= limit:
                        end = period_end(period, now)
                        found.append(
                            Verdict(scope, name, period, limit, spent, budget.on_budget, end)
                        )
        refusing = [v for v in found if v.action == "refuse"]
        return (refusing or found)[0] if found else None


def budget_gate(
    state: AppState, identity: Identity | None
) -> tuple[Identity | None, Verdict | None]:
    """The caller's spent budget, if any, and the identity to evaluate with: it carries
    ``on_budget`` into ``decide()``, so fallbacks and the audit see the same decision."""
    verdict = state.budgets.check(identity) if state.budgets is not None else None
    if verdict is None or identity is None:
        return identity, None
    state.metrics.budget.labels(verdict.scope, verdict.period, verdict.action).inc()
    return replace(identity, over_budget=verdict.action), verdict


def enforce(verdict: Verdict | None, ev: Evaluation) -> None:
    """Raise the 429 of a refusing budget, carrying the evaluation (``ev``) so the
    refusal is audited with its decision."""
    if verdict is not None and verdict.action == "refuse":
        refusal = verdict.error(time.time())
        refusal.evaluation = ev
        raise refusal


ANSWERED = (200, 499)
"""Statuses of requests that ran: answered, or a stream the client left (priced on
what it used, when known)."""


def answer_cost(
    pricer: Pricer | None,
    *,
    route: str,
    provider: str | None,
    model: str | None,
    status: int,
    usage: Mapping[str, Any] | None,
    endpoint: str,
    cache: str | None,
) -> float | None:
    """``cost_usd`` for an audit record: None where nothing ran (refusals, dry runs) or
    the price is unknown, 0 for a cache hit (no model ran)."""
    if pricer is None or endpoint == "route" or (status not in ANSWERED and not usage):
        # A refusal ran nothing; a reply the guard refused after it ran (403 with the
        # provider's usage) was paid for and is priced.
        return None
    if cache == "hit":
        return 0.0
    return pricer.cost(route, provider, model, usage)


def account(state: AppState, rec: AuditRecord) -> None:
    """Count a recorded answer's cost: metrics, and the key's and tenant's budgets."""
    pricer = state.pricer
    if pricer is None:
        return
    m = state.metrics
    if rec.cost_usd:
        label = pricer.price_key(rec.provider, rec.model)
        m.cost.labels(rec.route, rec.provider or "-", label).inc(rec.cost_usd)
        if state.budgets is not None:
            state.budgets.add(rec.key_id, rec.tenant, rec.cost_usd)
    if rec.route == "local" and rec.status == 200 and rec.cache != "hit":
        usage = {"prompt_tokens": rec.prompt_tokens, "completion_tokens": rec.completion_tokens}
        avoided = pricer.avoided(usage) if rec.endpoint in ("chat", "completions") else None
        if avoided:
            m.cost_avoided.inc(avoided)


async def strip_usage(
    chunks: AsyncIterator[dict[str, Any]], used: Callable[[Mapping[str, Any]], None]
) -> AsyncIterator[dict[str, Any]]:
    """A cloud stream the router asked usage for on its own account, as the client asked
    for it: the usage chunk handed to ``used`` instead, ``usage: null`` fields dropped."""
    async for c in chunks:
        usage = c.get("usage")
        if isinstance(usage, Mapping) and not c.get("choices"):
            used(usage)
            continue
        yield {k: v for k, v in c.items() if k != "usage"} if "usage" in c else c
