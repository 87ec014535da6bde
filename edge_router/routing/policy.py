"""Routing policies: a YAML file -> a validated, compiled :class:`Policy`.

A policy is a list of rules and a mandatory default action::

    name: default                # optional; the file stem otherwise
    description: Balanced preset
    default: auto                # action when no rule matches (required)
    rules:
      - name: credentials-local  # unique, [A-Za-z0-9_.-]+ (it appears in audit records)
        priority: 100            # optional int, default 0; higher is evaluated first
        when:                    # every condition given must hold (AND) ...
          entities: [API_KEY, PASSWORD]   # ... and a list matches if ANY item matches (OR)
          min_score: 0.5
        action: local            # local | block | redact | cloud | auto
        response: redact         # optional: this rule's reply action (below)
    response: pass               # optional, default pass: what to do with a reply
    response_local: false        # optional: guard local replies too (default: cloud only)

``response`` (``pass`` | ``redact`` | ``block``) is the reply action: personal data or a
secret in a reply that was not in the request is replaced by ``[REDACTED_<TYPE>]``
(``redact``) or ends the reply with an error (``block``); see ``privacy.guard``. The
winning rule's ``response`` applies, else the policy's. It covers replies from cloud
providers, and with ``response_local: true`` also those of the local tier.

Evaluation order: rules sorted by ``priority`` (higher first); rules with equal
priority keep their file order; the first rule whose ``when`` holds decides;
if none holds, ``default`` decides. How an action becomes a route (``auto``,
fail-closed cases) is :func:`edge_router.routing.decide.decide`'s job.

``when`` conditions (at least one per rule; a catch-all is spelled ``default``):

- ``entities``: detected entity types (``"*"`` = any type), optional ``min_score``.
- ``patterns``: Python regexes searched in every outbound text field.
- ``terms`` / ``terms_file``: a deny-list (code names, customer IDs), matched
  case-insensitively on word boundaries; the file holds one term per line,
  ``#`` comments, path relative to the policy file.
- ``models``, ``api_keys``, ``tenants``: globs (case-insensitive).
- ``headers``: ``{name: glob or [globs]}``; every named header must be present and its
  value match (names case-insensitive, value globs case-sensitive).
- ``complexity``: ``simple`` | ``complex``; ``load``: ``normal`` | ``busy`` | ``saturated``.
- ``sensitive``, ``non_text``, ``scan_failed``: booleans about the scan.
- ``domains``: what the request is about (``routing.domain``: code, math, medical, legal,
  finance, general, or an operator's domain).

A rule may also name who answers: ``provider`` (a configured provider; a cloud route
goes only there, a local route to that on-prem server when it is up) and/or ``model``
(the request is routed as if it asked for that model: a local model, a provider's model
or an alias). Names are checked against the config at startup.

When a request is redacted, every policy term and pattern match is redacted too
(not only those of the rule that fired), so a deny-listed term never leaves unmasked.

Files are validated once at startup; any problem raises :class:`PolicyError`
whose message names the file, the line and the problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from edge_router.errors import EdgeRouterError
from edge_router.frozen import Frozen
from edge_router.routing.policy_yaml import Loc, duplicate_keys, fmt_loc, line_of

Action = Literal["local", "block", "redact", "cloud", "auto"]
Response = Literal["pass", "redact", "block"]
Complexity = Literal["simple", "complex"]
LoadState = Literal["normal", "busy", "saturated"]

# Presidio's types we expect from the scanner, plus ours (credentials).
# fmt: off
KNOWN_ENTITY_TYPES: frozenset[str] = frozenset({
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "US_SSN",
    "US_BANK_NUMBER", "US_PASSPORT", "US_DRIVER_LICENSE", "US_ITIN", "UK_NHS", "UK_NINO",
    "MEDICAL_LICENSE", "IP_ADDRESS", "LOCATION", "DATE_TIME", "NRP", "URL", "CRYPTO",
    "ORGANIZATION", "SECRET", "API_KEY", "PRIVATE_KEY", "PASSWORD", "USERNAME",
})
# fmt: on
ANY_ENTITY = "*"


class PolicyError(EdgeRouterError):
    """A policy file is unreadable or invalid. ``problems`` holds one line per problem."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = tuple(problems)


def _listify(value: object) -> object:
    # YAML convenience: `models: gpt-*` means `models: [gpt-*]`.
    return (
        [value] if isinstance(value, str | int | float) and not isinstance(value, bool) else value
    )


def _listify_values(value: object) -> object:
    if isinstance(value, dict):
        return {k: _listify(v) for k, v in value.items()}
    return value


_List = Annotated[tuple[str, ...], BeforeValidator(_listify), Field(min_length=1)]


class _Frozen(Frozen):
    # YAML reads `key: 123` as a number; policy strings (keys, names) accept it as text.
    model_config = ConfigDict(frozen=True, extra="forbid", coerce_numbers_to_str=True)


class When(_Frozen):
    """The conditions of one rule (see the module docstring)."""

    entities: _List | None = None
    min_score: float | None = Field(default=None, ge=0.0, le=1.0)
    patterns: _List | None = None
    terms: _List | None = None
    terms_file: str | None = None
    models: _List | None = None
    api_keys: _List | None = None
    tenants: _List | None = None
    headers: (
        Annotated[dict[str, _List], BeforeValidator(_listify_values), Field(min_length=1)] | None
    ) = None
    complexity: (
        Annotated[tuple[Complexity, ...], BeforeValidator(_listify), Field(min_length=1)] | None
    ) = None
    load: (
        Annotated[tuple[LoadState, ...], BeforeValidator(_listify), Field(min_length=1)] | None
    ) = None
    sensitive: bool | None = None
    non_text: bool | None = None
    scan_failed: bool | None = None
    domains: (
        Annotated[
            tuple[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_-]{0,31}$")], ...],
            BeforeValidator(_listify),
            Field(min_length=1),
        ]
        | None
    ) = None

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...] | None) -> tuple[str, ...] | None:
        for p in patterns or ():
            try:
                re.compile(p)
            except re.error as exc:
                raise ValueError(f"invalid regex: {exc}") from None
        return patterns

    @field_validator("terms")
    @classmethod
    def _non_blank(cls, terms: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if terms and any(not t.strip() for t in terms):
            raise ValueError("terms must not be blank")
        return terms


class Rule(_Frozen):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=64)
    description: str = ""
    priority: int = 0
    when: When
    action: Action
    provider: str | None = Field(default=None, min_length=1, max_length=64)
    """Send matching requests to this provider only (see the module docstring)."""
    model: str | None = Field(default=None, min_length=1, max_length=256)
    """Route matching requests as if they asked for this model."""
    response: Response | None = None


class PolicySpec(_Frozen):
    """The file's schema; :func:`load_policy` turns it into a compiled :class:`Policy`."""

    version: Literal[1] = 1
    name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_.-]+$", max_length=64)
    description: str = ""
    extra_entity_types: tuple[str, ...] = ()
    """Entity types beyond the built-in list (from custom recognizers); typos are errors."""
    entities_required: tuple[str, ...] = ()
    """Hint for the scanner: types this policy relies on being detected."""
    rules: tuple[Rule, ...] = ()
    default: Action
    response: Response = "pass"
    response_local: bool = False


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready for :func:`edge_router.routing.decide.decide`; globs are lower-case."""

    name: str
    priority: int
    index: int
    action: Action
    response: Response | None = None
    entities: frozenset[str] | None = None
    min_score: float = 0.0
    patterns: tuple[re.Pattern[str], ...] = ()
    terms: re.Pattern[str] | None = None
    models: tuple[str, ...] = ()
    api_keys: tuple[str, ...] = ()
    tenants: tuple[str, ...] = ()
    headers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    complexity: frozenset[str] | None = None
    load: frozenset[str] | None = None
    sensitive: bool | None = None
    non_text: bool | None = None
    scan_failed: bool | None = None
    domains: frozenset[str] | None = None
    provider: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class Policy:
    """A compiled policy; ``rules`` are already in evaluation order.

    Example::

        policy = load_policy(Path("policies/default.yaml"))
        decision = decide(ctx, policy)   # edge_router.routing.decide
    """

    name: str
    default: Action
    rules: tuple[CompiledRule, ...]
    description: str = ""
    source: str = "<string>"
    entities_required: tuple[str, ...] = ()
    response: Response = "pass"
    response_local: bool = False

    @property
    def custom_matchers(self) -> tuple[re.Pattern[str], ...]:
        """Every rule's terms and patterns: what redaction must hide besides entities."""
        out: list[re.Pattern[str]] = []
        for r in self.rules:
            out.extend(r.patterns)
            if r.terms is not None:
                out.append(r.terms)
        return tuple(out)


def _read_yaml(text: str, source: str) -> tuple[Any, yaml.Node]:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise PolicyError([f"{source}:1: policy file is empty"])
        dups = list(duplicate_keys(node))
        if dups:
            raise PolicyError([f"{source}:{line}: {msg}" for line, msg in dups])
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise PolicyError([f"{source}:{line}: invalid YAML: {exc.problem or exc}"]) from None
    except yaml.YAMLError as exc:
        raise PolicyError([f"{source}:1: invalid YAML: {exc}"]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise PolicyError([f"{source}:{node.start_mark.line + 1}: top level must be a mapping"])
    return data, node


# ---- compile ------------------------------------------------------------------


def _terms_regex(terms: Sequence[str]) -> re.Pattern[str]:
    # Lookarounds instead of \b so terms that start or end with punctuation ("ACME-7.") still
    # need a non-word character (or the text's edge) on both sides. Longest first: "ab cd" wins
    # over "ab" in the alternation.
    alts = "|".join(re.escape(t.strip()) for t in sorted(set(terms), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alts})(?!\w)", re.IGNORECASE)


def _read_terms(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [s for s in (ln.split("#", 1)[0].strip() for ln in lines) if s]


def _lower(xs: Sequence[str] | None) -> tuple[str, ...]:
    return tuple(x.lower() for x in xs or ())


def _compile(
    spec: PolicySpec, base_dir: Path | None
) -> tuple[list[CompiledRule], list[tuple[Loc, str]]]:
    problems: list[tuple[Loc, str]] = []
    known = KNOWN_ENTITY_TYPES | set(spec.extra_entity_types) | {ANY_ENTITY}
    for j, t in enumerate(spec.entities_required):
        if t not in known:
            problems.append((("entities_required", j), f"unknown entity type {t!r}"))
    seen: set[str] = set()
    compiled: list[CompiledRule] = []
    for i, r in enumerate(spec.rules):
        w, loc = r.when, ("rules", i)
        if r.name in seen:
            problems.append(((*loc, "name"), f"duplicate rule name {r.name!r}"))
        seen.add(r.name)
        if all(getattr(w, f) is None for f in When.model_fields if f != "min_score"):
            problems.append(
                ((*loc, "when"), "rule has no conditions (use `default` for a catch-all)")
            )
        if w.min_score is not None and w.entities is None:
            problems.append(((*loc, "when", "min_score"), "min_score needs `entities`"))
        for j, t in enumerate(w.entities or ()):
            if t not in known:
                problems.append(((*loc, "when", "entities", j), f"unknown entity type {t!r}"))
        terms = list(w.terms or ())
        if w.terms_file is not None:
            path = Path(w.terms_file)
            if not path.is_absolute() and base_dir is not None:
                path = base_dir / path
            try:
                terms += _read_terms(path)
            except (OSError, UnicodeDecodeError) as exc:
                why = getattr(exc, "strerror", None) or "not UTF-8 text"
                problems.append(((*loc, "when", "terms_file"), f"cannot read {path}: {why}"))
        compiled.append(
            CompiledRule(
                name=r.name,
                priority=r.priority,
                index=i,
                action=r.action,
                response=r.response,
                entities=frozenset(w.entities) if w.entities is not None else None,
                min_score=w.min_score or 0.0,
                patterns=tuple(re.compile(p) for p in w.patterns or ()),
                terms=_terms_regex(terms) if terms else None,
                models=_lower(w.models),
                api_keys=_lower(w.api_keys),
                tenants=_lower(w.tenants),
                headers=tuple((k.lower(), v) for k, v in (w.headers or {}).items()),
                complexity=frozenset(w.complexity) if w.complexity else None,
                load=frozenset(w.load) if w.load else None,
                sensitive=w.sensitive,
                non_text=w.non_text,
                scan_failed=w.scan_failed,
                domains=frozenset(w.domains) if w.domains else None,
                provider=r.provider,
                model=r.model,
            )
        )
    compiled.sort(key=lambda c: (-c.priority, c.index))
    return compiled, problems


def parse_policy(
    text: str,
    source: str = "<string>",
    *,
    default_name: str = "policy",
    base_dir: Path | None = None,
) -> Policy:
    """Validate and compile policy YAML; ``source`` is used in error messages."""
    data, root = _read_yaml(text, source)

    def fail(problems: Iterable[tuple[Loc, str]]) -> PolicyError:
        located = sorted((line_of(root, loc), fmt_loc(loc), msg) for loc, msg in problems)
        return PolicyError([f"{source}:{line}: {where}: {msg}" for line, where, msg in located])

    try:
        spec = PolicySpec.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        raise fail((e["loc"], e["msg"].removeprefix("Value error, ")) for e in errors) from None
    rules, problems = _compile(spec, base_dir)
    if problems:
        raise fail(problems)
    return Policy(
        name=spec.name or default_name,
        default=spec.default,
        rules=tuple(rules),
        description=spec.description,
        source=source,
        entities_required=spec.entities_required,
        response=spec.response,
        response_local=spec.response_local,
    )


def load_policy(path: Path | str) -> Policy:
    """Read one policy file. Raises :class:`PolicyError` naming file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError([f"{path}: cannot read: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise PolicyError([f"{path}: not UTF-8 text"]) from None
    return parse_policy(text, str(path), default_name=path.stem, base_dir=path.parent)


def load_policy_dir(directory: Path | str) -> dict[str, Policy]:
    """Every ``*.yaml``/``*.yml`` in ``directory``, keyed by policy name; all problems at once."""
    directory = Path(directory)
    policies: dict[str, Policy] = {}
    problems: list[str] = []
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if not files:
        raise PolicyError([f"{directory}: no policy files (*.yaml)"])
    for f in files:
        try:
            p = load_policy(f)
        except PolicyError as exc:
            problems.extend(exc.problems)
            continue
        if p.name in policies:
            problems.append(f"{f}:1: policy name {p.name!r} also used by {policies[p.name].source}")
        policies[p.name] = p
    if problems:
        raise PolicyError(problems)
    return policies


def check_policy_file(path: Path | str) -> list[str]:
    """Problems in one policy file (empty when valid); for ``edge-router policy check``."""
    try:
        load_policy(path)
    except PolicyError as exc:
        return list(exc.problems)
    return []
