"""What a request is about: ``code``, ``math``, ``medical``, ``legal``, ``finance``,
``general`` or an operator's own domain, decided locally in a fraction of a millisecond.

Two parts, both plain dictionary lookups per feature. A prompt's features are its words
(no stop words), six-letter stems of long words, word pairs, and the symbols code and
formulas are made of.

- A cue-word model learnt at startup (milliseconds) from the built-in seeds
  (``routing.domain_seeds``) plus the operator's examples (``domains.custom`` in the
  config). Each domain weighs a feature by how much more often its seeds have it than all
  seeds do (a log ratio, kept only where positive); a prompt's score for a domain is the
  sum of its features' weights. So a handful of examples is enough, and a feature no seed
  has weighs nothing. A domain the operator gave examples for (its own, or a built-in
  one it extended) wins when it beats ``general`` by ``margin`` here and no other
  domain scores higher.
- For the built-in domains, a linear model fitted offline (``routing/domain_weights.tsv``,
  written by ``bench/domain_fit.py`` from the seeds, the hand-written training prompts
  of ``bench/data/domain_train.jsonl`` and the dev half of the shared labelled
  prompts), plus ``CUE_SCALE`` times the cue-word scores, so an operator's extra
  examples for a built-in domain still count. A specialised domain needs ``FIT_MARGIN``
  more evidence than ``general``.

The local embedding model was the other option; one embedding costs far more than the
2 ms budget. Nothing leaves the machine and no text is kept: a prompt becomes a domain
name, from the config or the built-ins.

Example::

    clf = DomainClassifier.build(DomainSettings())
    clf.classify(["Write a Python function that parses JSON and fix my KeyError."])  # "code"
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from importlib.resources import files

from pydantic import Field, field_validator

from edge_router.frozen import Frozen
from edge_router.routing.domain_seeds import BUILTIN_DOMAINS, seed_examples
from edge_router.routing.policy import Policy, PolicyError

GENERAL = "general"
_NAME = r"^[a-z][a-z0-9_-]{0,31}$"
# Only the end of a long prompt is read: the question is usually there, and the time per
# prompt stays bounded whatever the client sends.
_MAX_CHARS = 4000
_WORD = re.compile(r"[a-z][a-z0-9_']*|[0-9]+|[^\sa-z0-9]")
_SYMBOLS = frozenset("{}()[]=<>;#$%^*+/\\|&~`")
_STOP_WORDS = (
    "a an the of to in on at by for with and or is are was were be been it its this that "
    "these those as from which what who how why when where i you he she we they me my "
    "your his her our their do does did can could would should will shall may might not "
    "no if then than so such there here into about following one two"
)
_STOP = frozenset(_STOP_WORDS.split())
_REPEATS = 4
# How much more fitted evidence than general a built-in domain needs; chosen on half of
# the dev prompts (bench/domain_fit.py) with the fit made on the other half.
FIT_MARGIN = 0.5
WEIGHTS = "domain_weights.tsv"


class CustomDomain(Frozen):
    """An operator's domain, learnt from example prompts (or more examples for a
    built-in domain of the same name)."""

    name: str = Field(pattern=_NAME)
    """Its name: in explain, headers, the audit trail, metrics and policy `domains:`."""
    examples: tuple[str, ...] = Field(min_length=1)
    """Prompts typical of the domain; a handful is enough, more is better."""
    keywords: tuple[str, ...] = ()
    """Words or short phrases that point at the domain on their own."""


class DomainSettings(Frozen):
    """The ``domains`` section: every request is labelled with one domain."""

    enabled: bool = True
    """Classify requests by domain; when off every request is `general`."""
    custom: tuple[CustomDomain, ...] = ()
    """Operator domains: `[{name: hr, examples: [...], keywords: [...]}]`; a built-in
    name (code, math, medical, legal, finance, general) adds examples to that domain."""
    margin: float = Field(default=2.5, ge=0)
    """How much more cue-word evidence a domain in `custom` needs than `general` to win
    (one distinctive cue weighs at most about 1); the other built-in domains are
    decided by the fitted weights."""

    @field_validator("custom")
    @classmethod
    def _unique(cls, custom: tuple[CustomDomain, ...]) -> tuple[CustomDomain, ...]:
        names = [d.name for d in custom]
        if len(set(names)) != len(names):
            raise ValueError("custom domain names must be unique")
        return custom

    def names(self) -> tuple[str, ...]:
        """Every domain a request may be labelled with (built-ins first)."""
        extra = [d.name for d in self.custom if d.name not in BUILTIN_DOMAINS]
        return (*BUILTIN_DOMAINS, *extra)


def features(text: str) -> list[str]:
    """The features of ``text``: words (no stop words, no single letters but x, y, z and
    n), six-letter stems of long words, word pairs, numbers and code/formula symbols and
    their pairs ("()", "=>"). A word counts once (a passage that repeats "energy" is not
    more about physics); a number or symbol up to ``_REPEATS`` times (a formula is)."""
    tokens = _WORD.findall(text[-_MAX_CHARS:].lower())
    out: list[str] = []
    seen: Counter[str] = Counter()

    def add(f: str, repeats: int = 1) -> None:
        seen[f] += 1
        if seen[f] <= repeats:
            out.append(f)

    prev = ""
    for tok in tokens:
        if tok[0].isalpha():
            if tok in _STOP or (len(tok) == 1 and tok not in "xyzn"):
                prev = ""
                continue
            add(tok)
            if len(tok) > 7:
                add(tok[:6] + "~")
            if prev:
                add(prev + " " + tok)
            prev = tok
        elif tok[0].isdigit():
            add("<num>", _REPEATS)
            prev = ""
        elif tok in _SYMBOLS:
            add(tok, _REPEATS)
            if prev in _SYMBOLS:
                add(prev + tok, _REPEATS)
            prev = tok
        else:
            prev = ""
    return out


def _train(docs: Mapping[str, Sequence[str]], alpha: float = 0.5) -> dict[str, dict[str, float]]:
    """Per domain, the weight of each feature: how much more often it occurs in that
    domain's seeds than in all seeds (log ratio), kept only where positive. A feature no
    domain is about (or that the prompt has and no seed does) weighs nothing, so a long
    prompt doesn't drift towards the domain with the fewest seeds, as plain naive Bayes
    does."""
    counts: dict[str, Counter[str]] = {}
    for name, texts in docs.items():
        c: Counter[str] = Counter()
        for t in texts:
            c.update(set(features(t)))  # presence: one long seed can't dominate
        counts[name] = c
    everything: Counter[str] = Counter()
    for c in counts.values():
        everything.update(c)
    v = len(everything)
    n_all = sum(everything.values()) + alpha * v
    weights: dict[str, dict[str, float]] = {}
    for name, c in counts.items():
        n = sum(c.values()) + alpha * v
        w = {
            f: math.log((k + alpha) / n) - math.log((everything[f] + alpha) / n_all)
            for f, k in c.items()
        }
        weights[name] = {f: x for f, x in w.items() if x > 0}
    return weights


class Fitted:
    """The built-in domains' fitted weights (``routing/domain_weights.tsv``, package data:
    a JSON header line, then per feature a tab and its weights): a linear model
    over the same features, per feature one weight per built-in domain."""

    def __init__(self) -> None:
        text = files("edge_router.routing").joinpath(WEIGHTS).read_text(encoding="utf-8")
        header, _, table = text.partition("\n")
        head = json.loads(header)
        self.domains: tuple[str, ...] = tuple(head["domains"])
        # The header's fitted intercepts ("bias") are kept for the record only: classify
        # leaves them out (see there).
        self.cue_scale = float(head["cue_scale"])
        self.weights: dict[str, tuple[float, ...]] = {}
        for line in table.splitlines():
            feat, ws = line.split("\t")
            self.weights[feat] = tuple(float(x) for x in ws.split())


_FITTED: Fitted | None = None


def fitted() -> Fitted:
    """The fitted weights, parsed once per process (tens of milliseconds)."""
    global _FITTED
    if _FITTED is None:
        _FITTED = Fitted()
    return _FITTED


class DomainClassifier:
    """Labels prompts with a domain (see the module docstring)."""

    def __init__(
        self,
        docs: Mapping[str, Sequence[str]],
        *,
        margin: float = 2.5,
        fitted: Fitted | None = None,
        operator: Collection[str] = (),
    ) -> None:
        if GENERAL not in docs:
            raise ValueError("the general domain needs examples")
        self.domains = tuple(docs)
        self.margin = margin
        self._weights = _train(docs)
        self._fitted = fitted
        # Domains the operator gave examples for: decided by the cue words, which hold them.
        self._operator = frozenset(operator)

    @classmethod
    def build(cls, settings: DomainSettings) -> DomainClassifier:
        """The built-in seeds, fitted weights and the operator's domains (trained now, in
        milliseconds)."""
        docs = {name: list(texts) for name, texts in seed_examples().items()}
        for d in settings.custom:
            docs.setdefault(d.name, []).extend([*d.examples, *d.keywords])
        operator = [d.name for d in settings.custom]
        return cls(docs, margin=settings.margin, fitted=fitted(), operator=operator)

    @classmethod
    def from_seeds(cls, margin: float = 2.5) -> DomainClassifier:
        """The cue-word model alone, from the built-in seeds (what the fit builds on)."""
        return cls(seed_examples(), margin=margin)

    def _cue_scores(self, feats: Sequence[str]) -> dict[str, float]:
        return {name: sum(w.get(f, 0.0) for f in feats) for name, w in self._weights.items()}

    def scores(self, texts: Iterable[str]) -> dict[str, float]:
        """Cue-word evidence per domain: the summed weights of the prompt's features."""
        return self._cue_scores(features("\n".join(texts)))

    def classify(self, texts: Iterable[str]) -> str:
        """The domain of a request's user texts; ``general`` unless one stands out."""
        feats = features("\n".join(texts))
        scores = self._cue_scores(feats)
        best = max((n for n in scores if n != GENERAL), key=scores.__getitem__, default=GENERAL)
        if best != GENERAL and scores[best] - scores[GENERAL] < self.margin:
            best = GENERAL
        fit = self._fitted
        if fit is None or (best != GENERAL and (best in self._operator or best not in fit.domains)):
            return best  # no fitted weights, or a domain the operator gave examples for stands out
        # The fitted intercepts are left out: fitted with every domain weighted the same,
        # they favour the small domains, and a prompt with no evidence (everyday chat,
        # which the fit data barely has) must stay general.
        total = [0.0] * len(fit.domains)
        for f in set(feats):
            if (ws := fit.weights.get(f)) is not None:
                total = [t + w for t, w in zip(total, ws, strict=True)]
        for i, name in enumerate(fit.domains):
            total[i] += fit.cue_scale * scores.get(name, 0.0)
        g = fit.domains.index(GENERAL)
        top = max((i for i in range(len(total)) if i != g), key=total.__getitem__)
        return fit.domains[top] if total[top] - total[g] >= FIT_MARGIN else GENERAL


class FixedDomain:
    """A classifier that labels everything ``general`` (``domains.enabled: false``)."""

    domains: tuple[str, ...] = (GENERAL,)

    def classify(self, texts: Iterable[str]) -> str:
        return GENERAL


def build_classifier(settings: DomainSettings) -> DomainClassifier | FixedDomain:
    return DomainClassifier.build(settings) if settings.enabled else FixedDomain()


def check_policy_names(
    policies: Mapping[str, Policy],
    *,
    domains: Collection[str],
    providers: Collection[str],
    models: Collection[str] | None,
) -> None:
    """Fail fast (``PolicyError``) on a rule naming a domain, provider or model the config
    doesn't have: a typo would otherwise never match, or route nowhere. ``models`` None:
    some provider passes any model name through."""
    problems: list[str] = []
    for name, policy in sorted(policies.items()):
        for r in policy.rules:
            where = f"{policy.source}: policy {name}, rule {r.name}"
            for d in sorted((r.domains or frozenset()) - set(domains)):
                problems.append(f"{where}: unknown domain {d!r}; known: {sorted(domains)}")
            if r.provider is not None and r.provider not in providers:
                problems.append(f"{where}: unknown provider {r.provider!r}")
            if r.model is not None and models is not None and r.model not in models:
                problems.append(f"{where}: model {r.model!r} is not served here")
    if problems:
        raise PolicyError(problems)
