"""The one decision path shared by chat requests, ``/v1/route`` and ``explain``.

project the body onto what may leave (``wire.openai_chat.project``) -> scan every
string of that projection -> score complexity -> read the load snapshot ->
``decide()`` (pure) -> the outbound body: the projection, redacted when the decision
says so. Nothing else is ever handed to a provider.

Example::

    router = Router(scanner, policies, ComplexityScorer())
    ev = await router.evaluate(body, model="auto")
    report = router.report(ev)          # what explain and /v1/route print
    outbound, vault = router.outbound(ev)  # built from ev.body, the scanned projection
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from edge_router.errors import BadRequest
from edge_router.load.probe import LoadProbe
from edge_router.privacy.redaction import RedactionError, Vault, redact_body
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.types import ScanResult, TextField
from edge_router.routing.complexity import Complexity, ComplexityScorer, Klass
from edge_router.routing.decide import Decision, OverBudget, RouteContext, decide
from edge_router.routing.domain import GENERAL, DomainClassifier, DomainSettings, FixedDomain
from edge_router.routing.experiments import Assignment, Experiments
from edge_router.routing.policy import Policy, PolicyError, load_policy, load_policy_dir
from edge_router.routing.target import Availability, Target, pick_target
from edge_router.wire.openai_chat import copy_json, local_gaps, outbound_fields, project


@dataclass(frozen=True)
class Identity:
    """Who is asking: filled from the client's API key when auth is configured."""

    key_id: str | None = None
    tenant: str | None = None
    policy: str | None = None
    over_budget: OverBudget | None = None
    """Set by the dispatcher when the key's or tenant's budget is spent (``flow.budget``):
    what its ``on_budget`` says to do, which ``decide()`` applies."""


class PolicySet:
    """All loaded policies by name, and which one applies to a client."""

    def __init__(self, policies: Mapping[str, Policy], default: str) -> None:
        if default not in policies:
            raise PolicyError([f"default policy {default!r} not found among {sorted(policies)}"])
        self.policies = dict(policies)
        self.default = default

    @classmethod
    def load(cls, directory: Path, default: str) -> PolicySet:
        policies = load_policy_dir(directory) if directory.is_dir() else {}
        if default.endswith((".yaml", ".yml")) or "/" in default:
            extra = load_policy(default)
            policies[extra.name] = extra
            default = extra.name
        return cls(policies, default)

    def for_identity(self, identity: Identity | None) -> Policy:
        name = identity.policy if identity and identity.policy else self.default
        return self.policies.get(name) or self.policies[self.default]

    def named(self, name: str) -> Policy:
        try:
            return self.policies[name]
        except KeyError:
            raise PolicyError(
                [f"unknown policy {name!r}; known: {sorted(self.policies)}"]
            ) from None


@dataclass(frozen=True)
class Evaluation:
    """Everything the router concluded about one request (no raw values but ``body``).

    ``body`` is the projection of the client's body that was scanned: the only thing
    a provider may ever receive (redacted by :meth:`Router.outbound` when decided).
    """

    body: Mapping[str, Any]
    fields: tuple[TextField, ...]
    scan: ScanResult
    decision: Decision
    policy: str
    complexity: Complexity
    load: Mapping[str, Any] | None
    target: Target | None = None
    """Who answers (:func:`~edge_router.routing.target.pick_target`); None for a block,
    a cloud decision no provider can carry, or when no availability was given."""
    arm: Assignment | None = None
    """The experiment arm the request was assigned to (``routing.experiments``)."""
    domain: str = GENERAL
    """What the request is about (``routing.domain``)."""
    model: str | None = None
    """The model the winning rule's ``model`` routed the request as; None: as asked."""


AvailabilityFor = Callable[[str], Availability]
"""What the router can reach for a model name (a rule's ``model`` needs another's)."""


def user_texts(body: Mapping[str, Any]) -> tuple[list[str], int]:
    """The user's texts in order (for complexity) and the number of user turns."""
    if isinstance(body.get("text"), str):
        return [body["text"]], 1
    texts: list[str] = []
    turns = 0
    messages = body.get("messages")
    for m in messages if isinstance(messages, list) else []:
        if not isinstance(m, dict) or m.get("role") != "user":
            continue
        turns += 1
        content = m.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            texts.extend(
                p["text"]
                for p in content
                if isinstance(p, dict)
                and p.get("type") == "text"
                and isinstance(p.get("text"), str)
            )
    return texts, turns


def _max_tokens(body: Mapping[str, Any]) -> int | None:
    for key in ("max_completion_tokens", "max_tokens"):
        v = body.get(key)
        if isinstance(v, int) and not isinstance(v, bool):
            return v
    return None


# What NER reads into model ids ("meta-llama/Llama-3-8B" an organisation): not data.
_NAME_NOISE = frozenset({"ORGANIZATION", "LOCATION", "NRP", "DATE_TIME"})


class Router:
    """Scanner + policies + complexity + load -> Evaluation (see module docstring)."""

    def __init__(
        self,
        scanner: PrivacyScanner,
        policies: PolicySet,
        complexity: ComplexityScorer,
        *,
        load: LoadProbe | None = None,
        cloud_available: Callable[[], bool] = lambda: False,
        forward_fields: Collection[str] = (),
        known_models: Collection[str] = (),
        experiments: Experiments | None = None,
        domains: DomainClassifier | FixedDomain | None = None,
    ) -> None:
        self.scanner = scanner
        self.domains = domains or DomainClassifier.build(DomainSettings())
        self.experiments = experiments
        self.forward_fields = frozenset(forward_fields)
        # Names from the operator's config are not client data and are not scanned (NER
        # reads "onprem-llm" as a place); any other name a provider would pass through is.
        self.known_models = frozenset({"auto", *known_models})
        self.policies = policies
        self.complexity = complexity
        # Decisions read decision_snapshot(), which changes nothing (admission is the
        # dispatcher's); without a probe the state is unknown and auto stays local.
        self._load = load
        self._cloud_available = cloud_available

    async def evaluate(
        self,
        body: Mapping[str, Any],
        *,
        model: str,
        identity: Identity | None = None,
        headers: Mapping[str, str] | None = None,
        policy: Policy | None = None,
        cloud_available: bool | None = None,
        availability: Availability | AvailabilityFor | None = None,
    ) -> Evaluation:
        projected = self.project(body)
        fields, non_text = self.scan_fields(projected)
        return await self.evaluate_fields(
            projected,
            fields,
            non_text,
            model=model,
            identity=identity,
            headers=headers,
            policy=policy,
            cloud_available=cloud_available,
            availability=availability,
        )

    async def evaluate_fields(
        self,
        projected: Mapping[str, Any],
        fields: Sequence[TextField],
        non_text: Sequence[str] = (),
        *,
        model: str,
        identity: Identity | None = None,
        headers: Mapping[str, str] | None = None,
        policy: Policy | None = None,
        cloud_available: bool | None = None,
        complexity: Complexity | None = None,
        availability: Availability | AvailabilityFor | None = None,
    ) -> Evaluation:
        """Scan and decide for a projection another wire format built (embeddings):
        ``fields`` must list every string of ``projected`` that may leave, and
        ``non_text`` the parts that cannot be scanned."""
        scope = (identity.tenant or identity.key_id or "") if identity else ""
        scan = await self.scanner.ascan(fields, non_text, scope=scope)
        return self.evaluate_scanned(
            projected,
            fields,
            scan,
            model=model,
            identity=identity,
            headers=headers,
            policy=policy,
            cloud_available=cloud_available,
            complexity=complexity,
            availability=availability,
        )

    def assign(
        self, identity: Identity | None, headers: Mapping[str, str] | None
    ) -> Assignment | None:
        """The experiment arm for a request (deterministic: the dispatcher, a fallback's
        fresh decision and ``/v1/route`` all get the same one), or None."""
        if self.experiments is None:
            return None
        return self.experiments.assign(
            key_id=identity.key_id if identity else None,
            tenant=identity.tenant if identity else None,
            key_policy=identity.policy if identity else None,
            headers={k.lower(): v for k, v in (headers or {}).items()},
        )

    def scan_fields(self, projected: Mapping[str, Any]) -> tuple[list[TextField], list[str]]:
        """What of a projection the scanner reads (``wire.openai_chat.outbound_fields``),
        less a model name from the operator's config; ``explain`` scans the same."""
        fields, non_text = outbound_fields(projected)
        if projected.get("model") in self.known_models:
            fields = [f for f in fields if f.path != "model"]
        return fields, non_text

    def project(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """What of ``body`` may leave: see ``wire.openai_chat.project``."""
        return project(body, extra=self.forward_fields)

    def evaluate_scanned(
        self,
        body: Mapping[str, Any],
        fields: Sequence[TextField],
        scan: ScanResult,
        *,
        model: str,
        identity: Identity | None = None,
        headers: Mapping[str, str] | None = None,
        policy: Policy | None = None,
        cloud_available: bool | None = None,
        complexity: Complexity | None = None,
        availability: Availability | AvailabilityFor | None = None,
    ) -> Evaluation:
        """Decide for an already-scanned projection (explain scans in batches).
        ``complexity`` replaces the prompt scorer's (a request that is not a prompt).

        ``availability`` (what the router can reach for this model) makes the
        evaluation name its target; unless ``cloud_available`` says otherwise, a cloud
        is then available exactly when the snapshot has a provider for the model. Given
        as a function of the model name, it also lets a rule's ``model`` re-target."""
        snap_for = availability if callable(availability) else None
        snap = snap_for(model) if snap_for is not None else availability
        assert not callable(snap)
        cloud_given = cloud_available
        if any(e.field == "model" and e.type not in _NAME_NOISE for e in scan.entities):
            # The name goes upstream, into headers and the audit row: never with data in it.
            raise BadRequest(
                "Invalid value for 'model': the name looks like it contains personal data.",
                param="model",
            )
        arm = self.assign(identity, headers) if policy is None else None
        if arm is not None and arm.arm.policy and arm.arm.policy not in self.policies.policies:
            arm = None  # its policy went away in a reload: routed as usual, not as the arm
        pol = policy or (
            self.policies.named(arm.arm.policy)
            if arm is not None and arm.arm.policy
            else self.policies.for_identity(identity)
        )
        cx = complexity
        texts, turns = user_texts(body)
        # Classified from the client's own texts, here: the label is all that is kept.
        domain = self.domains.classify(texts or [f.text for f in fields])
        if cx is None:
            cx = self.complexity.score(texts, max_tokens=_max_tokens(body), turns=max(turns, 1))
        if arm is not None and arm.arm.complexity_threshold is not None:
            # The score does not depend on the threshold; only the class does.
            klass: Klass = "complex" if cx.score >= arm.arm.complexity_threshold else "simple"
            cx = replace(cx, klass=klass)
        load = self._load.decision_snapshot().as_dict() if self._load is not None else None
        state = load["state"] if load else None
        if cloud_available is None:
            cloud_available = bool(snap.cloud()) if snap is not None else self._cloud_available()
        ctx = RouteContext(
            scan=scan,
            texts=tuple(fields),
            model=model,
            api_key_id=identity.key_id if identity else None,
            tenant=identity.tenant if identity else None,
            headers={k.lower(): v for k, v in (headers or {}).items()},
            complexity=cx.score,
            complexity_class=cx.klass,
            load_state=state if state in ("normal", "busy", "saturated") else None,
            cloud_available=cloud_available,
            local_gaps=local_gaps(body),
            send_unscanned_attachments=self.scanner.settings.send_unscanned_attachments_to_cloud,
            over_budget=identity.over_budget if identity else None,
            domain=domain,
        )
        decision = decide(ctx, pol)
        routed = decision.model if decision.model not in (None, model) else None
        if routed is not None and snap_for is not None:
            snap = snap_for(routed)  # a rule named another model: what reaches that one
        if snap is not None and cloud_given is None and (routed or decision.provider):
            # The rule named who answers: a cloud is available only if that one is. The
            # same rule wins again (only the cloud's availability changed), resolved anew.
            usable = bool(snap.cloud(decision.provider))
            if usable != ctx.cloud_available:
                decision = decide(replace(ctx, cloud_available=usable), pol)
        # The target is chosen right after decide(), outside it: decide() stays about
        # policy and data, pick_target() about who is up and how busy.
        target = pick_target(decision, snap) if snap is not None else None
        ev = Evaluation(body, tuple(fields), scan, decision, pol.name, cx, load, target, arm)
        return replace(ev, domain=domain, model=routed)

    def outbound(
        self, ev: Evaluation, *, redact: bool | None = None
    ) -> tuple[dict[str, Any], Vault]:
        """The body a provider may receive (the scanned projection, redacted when the
        decision says so; always a fresh copy) and the vault to restore the reply.
        ``redact=False`` is for trusted on-prem servers, which see what the local model
        would.

        Raises RedactionError (fail closed) when a redacting decision cannot be applied.
        """
        vault = Vault()
        if not (ev.decision.redact if redact is None else redact):
            return copy_json(ev.body), vault
        redacted = redact_body(
            dict(ev.body), ev.scan, vault, extra=ev.decision.extra_entities, texts=ev.fields
        )
        return redacted, vault

    def report(self, ev: Evaluation) -> dict[str, Any]:
        """The JSON shape of ``explain`` lines and ``POST /v1/route`` responses."""
        d = ev.decision
        outbound: list[Any] | None = None
        if d.route == "cloud":
            try:
                out, _ = self.outbound(ev)
            except RedactionError:
                out = None
            if out is not None:
                outbound = (
                    out["messages"]
                    if isinstance(out.get("messages"), list)
                    else [{"role": "user", "content": out.get("text", "")}]
                )
        return {
            "sensitive": ev.scan.sensitive,
            "route": d.route,
            "action": d.action,
            "redact": d.redact,
            "policy": ev.policy,
            "rule": d.rule,
            # What the reply guard will do with the answer (``response:`` in the policy).
            "response": d.response,
            "response_local": d.response_local,
            "reasons": [*d.reasons, *(r for r in ev.scan.reasons if r not in d.reasons)],
            "entities": [e.as_dict() for e in ev.scan.entities],
            "non_text_parts": list(ev.scan.non_text_parts),
            "complexity": round(ev.complexity.score, 4),
            "complexity_class": ev.complexity.klass,
            "complexity_reasons": list(ev.complexity.reasons),
            "domain": ev.domain,
            **({"arm": ev.arm.label} if ev.arm is not None else {}),  # experiments only
            "load": dict(ev.load) if ev.load else None,
            "target": ev.target.as_dict() if ev.target is not None else None,
            "outbound": outbound,
        }
