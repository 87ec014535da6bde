"""The routing decision: a pure function of the request's context and a policy.

:func:`decide` does no I/O and keeps no state, so it is tested with tables.
Resolution of the winning rule's action into a route (fail closed throughout):

- ``block`` -> route ``block``; ``local`` -> ``local``.
- a scan that failed (reason ``scan_failed``) never reaches the cloud: ``cloud``,
  ``redact`` and ``auto`` go ``local`` (redaction can't be trusted on spans we
  never found).
- ``auto`` -> ``cloud`` only if the scan is not sensitive and the machine is
  ``busy``/``saturated`` or the prompt is ``complex``; otherwise ``local``.
- ``cloud``/``redact`` (and ``auto`` resolved to cloud) with no cloud backend
  available -> ``local`` (reason ``cloud_unavailable``): data stays here.
- ``redact`` -> ``cloud`` with ``redact=True``.
- a request with parts that cannot be scanned (images, audio, files) never reaches the
  cloud either (reason ``non_text_local``), unless the operator set
  ``privacy.send_unscanned_attachments_to_cloud`` (reason ``non_text_sent`` then).
- a caller whose budget is spent (``over_budget``): ``local`` keeps a cloud route local
  (reason ``budget_local``); ``refuse`` makes any route ``block`` (``budget_refused``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Literal

from edge_router.privacy.types import Entity, ScanResult, TextField
from edge_router.routing.policy import ANY_ENTITY, Action, CompiledRule, Policy, Response

Route = Literal["local", "cloud", "block"]

SCAN_FAILED = "scan_failed"
NON_TEXT_LOCAL = "non_text_local"
BUDGET_LOCAL = "budget_local"
BUDGET_REFUSED = "budget_refused"
OverBudget = Literal["local", "refuse"]
CUSTOM_TERM = "CUSTOM_TERM"
"""Entity type given to policy term/pattern matches handed to redaction."""


@dataclass(frozen=True)
class RouteContext:
    """Everything :func:`decide` may look at; built by the pipeline per request.

    Example::

        ctx = RouteContext(scan=scan, texts=fields, model="gpt-4o", api_key_id="k1",
                           tenant=None, headers={"x-team": "finance"}, complexity=0.7,
                           complexity_class="complex", load_state="normal",
                           cloud_available=True)
    """

    scan: ScanResult
    texts: Sequence[TextField]
    model: str
    api_key_id: str | None = None
    tenant: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    """Request headers with lower-case names."""
    complexity: float | None = None
    complexity_class: Literal["simple", "complex"] | None = None
    load_state: Literal["normal", "busy", "saturated"] | None = None
    cloud_available: bool = False
    local_gaps: tuple[str, ...] = ()
    """Request fields asking for what the local tier cannot do (``wire.openai_chat.
    local_gaps``): ``auto`` sends such a non-sensitive request to a cloud."""
    domain: str = "general"
    """What the request is about (``routing.domain``), for rules' ``domains``."""
    send_unscanned_attachments: bool = False
    """The operator's ``privacy.send_unscanned_attachments_to_cloud``: without it, a
    request with an image, audio or file part never goes to a cloud, whatever the
    policy says."""
    over_budget: OverBudget | None = None
    """The caller's key or tenant has spent its budget: ``local`` keeps a cloud-bound
    request on the local tier, ``refuse`` turns any request into a refusal."""


@dataclass(frozen=True)
class Decision:
    """What to do with a request, and why (reasons never contain values).

    Example::

        d = decide(ctx, policy)
        if d.route == "cloud" and d.redact:
            body = redact_body(body, ctx.scan, vault, extra=d.extra_entities)
    """

    action: Action
    route: Route
    redact: bool
    rule: str
    reasons: tuple[str, ...]
    entity_types: tuple[str, ...]
    extra_entities: tuple[Entity, ...] = ()
    provider: str | None = None
    """The winning rule's ``provider``: the only provider that may carry the request."""
    model: str | None = None
    """The winning rule's ``model``: the request is routed as if it asked for it."""
    """Policy term/pattern matches (type ``CUSTOM_TERM``) to redact besides the scan's
    entities; only filled when ``redact`` is true."""
    response: Response = "pass"
    """What to do with the reply (the winning rule's ``response``, else the policy's)."""
    response_local: bool = False
    """The policy guards local replies too (``response_local``)."""


def scan_failed(scan: ScanResult) -> bool:
    return any(r == SCAN_FAILED or r.startswith(SCAN_FAILED + ":") for r in scan.reasons)


def _glob_any(value: str | None, globs: Sequence[str]) -> bool:
    return value is not None and any(fnmatchcase(value.lower(), g) for g in globs)


def _match(rule: CompiledRule, ctx: RouteContext) -> list[str] | None:
    """The reasons this rule holds for ``ctx``, or None. Conditions are ANDed."""
    why: list[str] = []
    scan = ctx.scan
    if rule.entities is not None:
        hits = sorted(
            {
                e.type
                for e in scan.entities
                if e.score >= rule.min_score
                and (e.type in rule.entities or ANY_ENTITY in rule.entities)
            }
        )
        if not hits:
            return None
        why += [f"entity:{t}" for t in hits]
    if rule.patterns:
        if not any(p.search(t.text) for p in rule.patterns for t in ctx.texts):
            return None
        why.append("pattern")
    if rule.terms is not None:
        if not any(rule.terms.search(t.text) for t in ctx.texts):
            return None
        why.append("term")
    if rule.models:
        if not _glob_any(ctx.model, rule.models):
            return None
        why.append("model")
    if rule.api_keys:
        if not _glob_any(ctx.api_key_id, rule.api_keys):
            return None
        why.append("api_key")
    if rule.tenants:
        if not _glob_any(ctx.tenant, rule.tenants):
            return None
        why.append("tenant")
    for name, globs in rule.headers:
        value = ctx.headers.get(name)
        if value is None or not any(fnmatchcase(value, g) for g in globs):
            return None
        why.append(f"header:{name}")
    if rule.complexity is not None:
        if ctx.complexity_class not in rule.complexity:
            return None
        why.append(f"complexity:{ctx.complexity_class}")
    if rule.load is not None:
        if ctx.load_state not in rule.load:
            return None
        why.append(f"load:{ctx.load_state}")
    if rule.domains is not None:
        if ctx.domain not in rule.domains:
            return None
        why.append(f"domain:{ctx.domain}")
    for flag, actual in (
        ("sensitive", scan.sensitive),
        ("non_text", bool(scan.non_text_parts)),
        ("scan_failed", scan_failed(scan)),
    ):
        wanted = getattr(rule, flag)
        if wanted is not None:
            if wanted != actual:
                return None
            why.append(flag if actual else f"not_{flag}")
    return why


def custom_entities(policy: Policy, texts: Sequence[TextField]) -> tuple[Entity, ...]:
    """Spans of every term/pattern in ``policy`` found in ``texts`` (for redaction)."""
    out: list[Entity] = []
    for matcher in policy.custom_matchers:
        for t in texts:
            for m in matcher.finditer(t.text):
                if m.end() > m.start():
                    out.append(Entity(CUSTOM_TERM, m.start(), m.end(), 1.0, t.path))
    return tuple(out)


def decide(ctx: RouteContext, policy: Policy) -> Decision:
    """Evaluate ``policy`` against ``ctx`` and resolve the action into a route. Pure."""
    rule_name, action, reasons = "default", policy.default, ["default"]
    provider = model = None
    response = policy.response
    for rule in policy.rules:
        why = _match(rule, ctx)
        if why is not None:
            rule_name, action, reasons = rule.name, rule.action, why
            provider, model = rule.provider, rule.model
            response = rule.response or policy.response
            break

    route: Route
    redact = False
    failed = scan_failed(ctx.scan)
    if action == "block":
        route = "block"
    elif action == "local":
        route = "local"
    elif failed:
        route = "local"
        reasons.append(SCAN_FAILED)
    elif ctx.scan.non_text_parts and not ctx.send_unscanned_attachments:
        route = "local"
        reasons.append(NON_TEXT_LOCAL)
    else:
        if action == "auto":
            if ctx.scan.sensitive:
                route = "local"
                reasons.append("auto:sensitive")
            elif ctx.load_state in ("busy", "saturated"):
                route = "cloud"
                reasons.append(f"auto:load_{ctx.load_state}")
            elif ctx.complexity_class == "complex":
                route = "cloud"
                reasons.append("auto:complex")
            elif ctx.local_gaps:
                route = "cloud"
                reasons.append("auto:local_incapable")
            else:
                route = "local"
                reasons.append("auto:local_capable")
        else:
            route = "cloud"
            redact = action == "redact"
        if route == "cloud" and ctx.over_budget == "local":
            route, redact = "local", False
            reasons.append(BUDGET_LOCAL)
        if route == "cloud" and not ctx.cloud_available:
            route, redact = "local", False
            reasons.append("cloud_unavailable")
        if route == "cloud" and ctx.scan.non_text_parts:
            reasons.append("non_text_sent")

    if ctx.over_budget == "refuse" and route != "block":
        # The dispatcher answers 429 (not the policy's 403) for this reason.
        route, redact = "block", False
        reasons.append(BUDGET_REFUSED)

    extra = custom_entities(policy, ctx.texts) if redact else ()
    return Decision(
        action=action,
        route=route,
        redact=redact,
        rule=rule_name,
        reasons=tuple(reasons),
        entity_types=tuple(sorted(ctx.scan.entity_types)),
        extra_entities=extra,
        response=response,
        response_local=policy.response_local,
        provider=provider,
        model=model,
    )
