"""Experiments: named arms that change routing, with sticky, keyed assignment.

An experiment splits traffic between arms by weight. Each arm may change three things,
and only for the requests assigned to it:

- ``policy``: the policy applied (a name from the policy directory);
- ``complexity_threshold``: the score at or above which a prompt counts as ``complex``;
- ``model``: the model a request for ``auto`` is routed as (a model the client named
  is never replaced: that would silently ignore what it asked for).

Assignment is sticky: the unit is the API key id (``sticky: key``) or the client's
session header (``sticky: session``), the other one when the first is absent; a request
with neither is not enrolled and is routed as usual. The unit is hashed with a keyed
hash (HMAC-SHA256 under a per-installation key kept beside the feedback store), so a
client cannot compute which arm an id lands in, nor pick an id for an arm, and the
same unit keeps its arm across requests and restarts. An experiment's name is part of
the hashed text, so two experiments split independently. A request takes part in the
first enabled experiment (config order) whose ``api_keys`` / ``tenants`` admit it.

A key an operator bound to a policy keeps it: such a key is not enrolled in an
experiment whose arms set a policy.

Example::

    exps = Experiments(settings.experiments, digest=hasher.digest)
    a = exps.assign(key_id="k1", tenant=None, key_policy=None, headers={})
    a.label if a else None          # "threshold:low"
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

from pydantic import Field, field_validator

from edge_router.frozen import Frozen
from edge_router.routing.policy import PolicyError

ARM_HEADER = "x-edge-router-arm"
SESSION_HEADER = "x-edge-router-session"
NAME_PATTERN = r"^[A-Za-z0-9_.-]{1,63}$"
"""Experiment and arm names: they go into metrics labels, a header and the audit
record as ``experiment:arm``, so they are short labels (no ``:``)."""


class ArmSettings(Frozen):
    """One arm of an experiment: a share of the traffic and what changes for it."""

    name: str = Field(pattern=NAME_PATTERN)
    """The arm's name (letters, digits, `_.-`); reported as `experiment:arm`."""
    weight: float = Field(default=1.0, ge=0)
    """Share of the experiment's traffic, relative to the other arms' weights."""
    policy: str | None = None
    """Policy applied to this arm's requests (a name from `policy.dir`); null = the
    usual one."""
    complexity_threshold: float | None = Field(default=None, ge=0, le=1)
    """Complexity score at or above which this arm's prompts count as `complex`; null =
    `policy.complexity_threshold`."""
    model: str | None = None
    """Model that this arm's requests for `auto` are routed as (a local model, an alias
    or a provider's model); requests naming a model keep it. null = `auto`."""


class ExperimentSettings(Frozen):
    """One entry of ``experiments:``."""

    name: str = Field(pattern=NAME_PATTERN)
    """The experiment's name (letters, digits, `_.-`), as given to `edge-router
    experiments report NAME`."""
    enabled: bool = True
    """Assign requests to arms; false leaves the experiment's history for reports."""
    sticky: Literal["key", "session"] = "key"
    """What keeps a client in one arm: `key` (the API key id; the session header when
    there is no key) or `session` (the session header; the key id when it is absent).
    A request with neither is not enrolled."""
    session_header: str = Field(default=SESSION_HEADER, pattern=r"^[a-z0-9-]{1,64}$")
    """Request header carrying the client's session id (lower case). Its value is only
    hashed, never stored."""
    api_keys: tuple[str, ...] = ()
    """Only API key ids matching one of these globs take part; empty = any caller."""
    tenants: tuple[str, ...] = ()
    """Only tenants matching one of these globs take part; empty = any caller."""
    arms: tuple[ArmSettings, ...] = Field(min_length=2)
    """The arms (at least two); the first is the control the report compares with."""

    @field_validator("arms")
    @classmethod
    def _arms_ok(cls, arms: tuple[ArmSettings, ...]) -> tuple[ArmSettings, ...]:
        names = [a.name for a in arms]
        if len(set(names)) != len(names):
            raise ValueError("arm names must be unique within an experiment")
        if sum(a.weight for a in arms) <= 0:
            raise ValueError("at least one arm needs a positive weight")
        return arms

    @field_validator("api_keys", "tenants")
    @classmethod
    def _lower(cls, globs: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(g.lower() for g in globs)

    @property
    def sets_policy(self) -> bool:
        return any(a.policy is not None for a in self.arms)


@dataclass(frozen=True)
class Assignment:
    """A request's experiment and arm."""

    experiment: str
    arm: ArmSettings

    @property
    def label(self) -> str:
        """``experiment:arm``: the audit record's ``arm`` and the response header."""
        return f"{self.experiment}:{self.arm.name}"


def check_experiments(experiments: Sequence[ExperimentSettings], policies: Collection[str]) -> None:
    """Raise PolicyError (at startup, before the port is bound) when an arm names a
    policy that is not loaded, or two experiments share a name."""
    problems = [
        f"experiment {e.name!r} arm {a.name!r}: unknown policy {a.policy!r}; "
        f"known: {sorted(policies)}"
        for e in experiments
        for a in e.arms
        if a.policy is not None and a.policy not in policies
    ]
    names = [e.name for e in experiments]
    if len(set(names)) != len(names):
        problems.append("experiment names must be unique")
    if problems:
        raise PolicyError(problems)


def _admits(value: str | None, globs: Sequence[str]) -> bool:
    if not globs:
        return True
    return value is not None and any(fnmatchcase(value.lower(), g) for g in globs)


class Experiments:
    """Assigns requests to arms (see module docstring). ``digest`` is a keyed hash
    returning hex (``ContentHasher.digest``); without the key, buckets are unguessable."""

    def __init__(
        self, experiments: Sequence[ExperimentSettings], digest: Callable[[str], str]
    ) -> None:
        self.experiments = tuple(e for e in experiments if e.enabled)
        self._digest = digest

    def _unit(self, exp: ExperimentSettings, key_id: str | None, session: str | None) -> str:
        order = [("key", key_id), ("session", session)]
        if exp.sticky == "session":
            order.reverse()
        return next((f"{kind}\x00{v}" for kind, v in order if v), "")

    def bucket(self, experiment: str, unit: str) -> float:
        """Where ``unit`` falls in [0, 1) for ``experiment``: uniform, fixed, keyed."""
        return int(self._digest(f"{experiment}\x00{unit}")[:16], 16) / 2**64

    def assign(
        self,
        *,
        key_id: str | None,
        tenant: str | None,
        key_policy: str | None,
        headers: Mapping[str, str],
    ) -> Assignment | None:
        """The arm for a request, or None when it takes part in no experiment.
        ``headers`` with lower-case names."""
        for exp in self.experiments:
            if not (_admits(key_id, exp.api_keys) and _admits(tenant, exp.tenants)):
                continue
            if key_policy and exp.sets_policy:
                continue  # an operator's binding of a key to a policy always wins
            unit = self._unit(exp, key_id, headers.get(exp.session_header) or None)
            if not unit:
                continue
            point = self.bucket(exp.name, unit) * sum(a.weight for a in exp.arms)
            for arm in exp.arms:
                if point < arm.weight:
                    return Assignment(exp.name, arm)
                point -= arm.weight
            return Assignment(exp.name, next(a for a in reversed(exp.arms) if a.weight > 0))
        return None
