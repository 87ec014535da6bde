"""Every reason code a decision can carry, and what it means: the one source of truth.

``explain`` prints these meanings beside each code, and the README's "Reason codes"
table is this table (a test compares them), so a new code needs a line here.
Codes name types, rules and states, never values.

Example::

    describe("auto:local_capable")   # "`auto` kept a simple, non-sensitive prompt ..."
    describe("entity:EMAIL_ADDRESS") # matches the `entity:<TYPE>` line
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Reason:
    code: str
    """The code, or a pattern with one ``<placeholder>`` (``entity:<TYPE>``)."""
    source: str
    """Who adds it: the scanner, a policy rule's conditions, or the decision."""
    meaning: str
    """One line for people (Markdown backticks allowed)."""


_SCAN, _RULE, _DECISION = "scanner", "rule condition", "decision"

REASONS: tuple[Reason, ...] = (
    Reason(
        "entity:<TYPE>",
        "scanner, rule condition",
        "a finding of that type makes the request sensitive, or matched the rule's `entities`",
    ),
    Reason(
        "weak:PERSON(cited)",
        _SCAN,
        'a name cited as an author ("Smith et al., 2020"): not sensitive on its own',
    ),
    Reason(
        "weak:PERSON(public_context)",
        _SCAN,
        "a public figure acting publicly, or an invented person (a story, an exercise): "
        "not sensitive on its own",
    ),
    Reason(
        "weak:PERSON(notable_name)",
        _SCAN,
        "a full name that is a Wikipedia title and rare as a name (`privacy.notable_names`), "
        'or a famous name with no cue ("why did Kafka write...", '
        "`privacy/famous_surnames.txt`), with no private cue of its own: not sensitive on "
        "its own",
    ),
    Reason(
        "weak:PERSON(not_a_given_name)",
        _SCAN,
        "a one-word name in Latin letters that is no known given name, with no title, "
        "initial or private cue (opt-in: `privacy.weak_lone_names`): a family name, "
        "character or brand named alone, not sensitive on its own",
    ),
    Reason(
        "weak:PERSON(no_personal_context)",
        _SCAN,
        "a lone name with no personal context, and `privacy.person_alone_sensitive` is off",
    ),
    Reason(
        "weak:USERNAME(public_context)",
        _SCAN,
        "an @handle its sentence shows as followed or performing publicly, with nothing "
        "personal near it: not sensitive on its own",
    ),
    Reason("non_text_part", _SCAN, "an image, audio or file part that cannot be scanned"),
    Reason(
        "scan_failed",
        "scanner, decision",
        "the scan failed or timed out: the request stays local (or a rule's "
        "`scan_failed: true` held)",
    ),
    Reason("default", _DECISION, "no rule matched; the policy's `default` action applied"),
    Reason("pattern", _RULE, "one of the rule's `patterns` matched an outbound text"),
    Reason("term", _RULE, "one of the rule's `terms` (or `terms_file`) occurs in an outbound text"),
    Reason("model", _RULE, "the requested model matched the rule's `models`"),
    Reason("api_key", _RULE, "the caller's key id matched the rule's `api_keys`"),
    Reason("tenant", _RULE, "the caller's tenant matched the rule's `tenants`"),
    Reason("header:<name>", _RULE, "that request header matched the rule's `headers`"),
    Reason(
        "complexity:<class>",
        _RULE,
        "the prompt's complexity class (`simple`/`complex`) matched the rule's `complexity`",
    ),
    Reason(
        "load:<state>",
        _RULE,
        "the machine's load state (`normal`/`busy`/`saturated`) matched the rule's `load`",
    ),
    Reason(
        "domain:<name>",
        _RULE,
        "what the request is about (`code`, `math`, `medical`, `legal`, `finance`, `general` "
        "or an operator's domain) matched the rule's `domains`",
    ),
    Reason("sensitive", _RULE, "`sensitive: true` held: the scan found personal data"),
    Reason("not_sensitive", _RULE, "`sensitive: false` held: the scan found nothing sensitive"),
    Reason("non_text", _RULE, "`non_text: true` held: the request has an image, audio or file"),
    Reason("not_non_text", _RULE, "`non_text: false` held: the request is text only"),
    Reason("not_scan_failed", _RULE, "`scan_failed: false` held: the scan completed"),
    Reason("auto:sensitive", _DECISION, "`auto` kept a sensitive request local"),
    Reason(
        "auto:load_busy",
        _DECISION,
        "`auto` sent a non-sensitive request to the cloud because the machine is busy",
    ),
    Reason(
        "auto:load_saturated",
        _DECISION,
        "`auto` sent a non-sensitive request to the cloud because the machine is saturated",
    ),
    Reason(
        "auto:complex",
        _DECISION,
        "`auto` sent a non-sensitive, complex prompt to the cloud (a larger model answers it "
        "better)",
    ),
    Reason(
        "auto:local_capable",
        _DECISION,
        "`auto` kept a simple, non-sensitive prompt local: the local model can answer it "
        "and the machine is not busy",
    ),
    Reason(
        "auto:local_incapable",
        _DECISION,
        "`auto` sent a non-sensitive request to the cloud because it asks for something "
        "the local model cannot do (legacy functions, audio, web search)",
    ),
    Reason(
        "cloud_unavailable",
        _DECISION,
        "the cloud was chosen but no provider is usable (none configured, offline, or all "
        "unreachable): served locally",
    ),
    Reason(
        "budget_local",
        _DECISION,
        "the caller's key or tenant has spent its budget and its `on_budget` is `local`: "
        "served locally instead of in the cloud",
    ),
    Reason(
        "budget_refused",
        _DECISION,
        "the caller's key or tenant has spent its budget and its `on_budget` is `refuse`: "
        "answered 429 (`budget_exceeded`) until the period resets",
    ),
    Reason(
        "non_text_local",
        _DECISION,
        "attachments never go to a cloud: served locally whatever the rule said",
    ),
    Reason(
        "non_text_sent",
        _DECISION,
        "attachments went to a cloud because the operator set "
        "`privacy.send_unscanned_attachments_to_cloud`",
    ),
)


def _compile(code: str) -> re.Pattern[str]:
    parts = re.split(r"<[A-Za-z]+>", code)
    return re.compile(r"[^,\s]+".join(re.escape(p) for p in parts) + r"\Z")


_MATCHERS = tuple((_compile(r.code), r) for r in REASONS)


def lookup(code: str) -> Reason | None:
    """The documented reason ``code`` is an instance of, or None."""
    return next((r for pattern, r in _MATCHERS if pattern.match(code)), None)


def describe(code: str) -> str:
    """The meaning of ``code`` for people (backticks dropped); unknown codes say so."""
    reason = lookup(code)
    return reason.meaning.replace("`", "") if reason else "(undocumented reason code)"


def markdown() -> str:
    """The README's reason-code table."""
    lines = ["| code | from | meaning |", "|---|---|---|"]
    lines += [f"| `{r.code}` | {r.source} | {r.meaning} |" for r in REASONS]
    return "\n".join(lines)
