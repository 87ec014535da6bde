"""When findings make a request sensitive: entity types, scores and the context around them.

A request is sensitive because of what it reveals about a private person, not
because it mentions someone. Identifiers, contact data and secrets are
sensitive on their own. A person's name is sensitive when the request ties it
to private matters (another identifier, a first-person relationship such as "my
kid Lukas", a self-introduction, a health/money/legal fact); under public or
task framing ("pretend to be Elon Musk", "summarize this article") with no
such tie it is only a weak signal; otherwise ``person_alone_sensitive`` decides.

Public framing only vouches for a name that could belong to a public figure: when
``known_names`` is given (the WordNet lemmas of the spaCy model, which list
Einstein, Beethoven, Gates, Musk, Tolstoy, ...), a name whose family name is not
there ("the film directed by Radka Novak") is not weakened by "film" or "novel".
Framings whose people are made up (``invented_context_words``: role play, fiction,
exercises) weaken any name.

Reasons are machine-readable and never quote the text: ``entity:PERSON``,
``weak:PERSON(public_context)``, ``weak:PERSON(task_framing)``,
``weak:PERSON(no_personal_context)``.

Example::

    rules = SensitivityRules(ScannerSettings())
    rules.decide(["Pretend to be Elon Musk"], {"PERSON"})  # (False, ["weak:PERSON(...)"])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from edge_router.privacy.settings import ScannerSettings

PERSON = "PERSON"


def phrase_regex(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One case-insensitive regex matching any phrase as whole words (flexible spaces)."""
    parts = sorted(
        {r"\s+".join(re.escape(w) for w in p.split()) for p in phrases if p.strip()},
        key=len,
        reverse=True,
    )
    if not parts:
        return None
    return re.compile(r"(?<![\w-])(?:" + "|".join(parts) + r")(?![\w-])", re.IGNORECASE)


# Self-introductions and sign-offs: the writer names themself, so the name is theirs.
_SELF_ID = re.compile(
    r"\b(?:my\s+(?:full\s+|first\s+|last\s+|maiden\s+|sur)?name\s+is|my\s+name's|"
    r"call\s+me|i\s+am\s+called|i'm\s+called|sincerely|yours\s+truly)\b",
    re.IGNORECASE,
)

# Words of a name to look up: letters (any script), apostrophes and "'s" left out.
_NAME_WORD = re.compile(r"[^\W\d_]{3,}")


class SensitivityRules:
    """Compiled from ``ScannerSettings``; ``decide`` is pure and cheap (a few regex scans)."""

    def __init__(
        self, settings: ScannerSettings, known_names: frozenset[str] = frozenset()
    ) -> None:
        """``known_names``: lower-case words a public figure's name may contain (empty: any)."""
        self._known = known_names
        self._weak = settings.weak_types
        self._person_alone = settings.person_alone_sensitive
        self._public = phrase_regex(settings.public_context_words)
        self._invented = phrase_regex(settings.invented_context_words)
        self._personal = phrase_regex(settings.personal_context_words)
        relations = phrase_regex(settings.relationship_words)
        self._relation = (
            re.compile(
                r"\b(?:my|our)\s+(?:[\w-]+\s+)?" + relations.pattern.removeprefix(r"(?<![\w-])"),
                re.IGNORECASE,
            )
            if relations is not None
            else None
        )
        verbs = phrase_regex(settings.task_verbs)
        # A task verb opening the field (after optional quoting/markup).
        self._task = (
            re.compile(r"^[\s\"'`*#>-]*(?:please[\s,]+)?(?:" + verbs.pattern + r")", re.IGNORECASE)
            if verbs is not None
            else None
        )

    def personal_cue(self, texts: Sequence[str]) -> bool:
        """Does the request tie people to private matters (relationship, fact, self-ID)?"""
        return any(
            regex is not None and regex.search(text)
            for text in texts
            for regex in (self._personal, self._relation, _SELF_ID)
        )

    def publicly_known(self, names: Sequence[str] | None) -> bool:
        """Could every one of ``names`` (PERSON spans) be a public figure's name?

        True without ``known_names`` or spans to check; otherwise the last word of 3+
        letters of each name (initials alone say nothing) must be in ``known_names``.
        """
        if not self._known or not names:
            return True
        for name in names:
            words = [w.lower() for w in _NAME_WORD.findall(name)]
            # The family name decides: WordNet lists "James" and "Daniel" for famous
            # bearers, so a common first name would vouch for anyone.
            if words and words[-1] not in self._known:
                return False
        return True

    def framing(
        self,
        texts: Sequence[str],
        masked: Sequence[str] | None = None,
        names: Sequence[str] | None = None,
    ) -> str | None:
        """'public_context' or 'task_framing' when the request frames people as not private.

        ``masked`` are the texts with findings blanked, so that a cue word inside a
        name ("Ivan King") does not count; the opening verb is read from ``texts``
        (NER sometimes swallows it into a name: "Summarize Shakespeare's").
        ``names`` are the PERSON spans; public framing other than an invented one
        (role play, fiction, exercise) needs them ``publicly_known``.
        """
        cues = masked or texts
        if self._invented is not None and any(self._invented.search(t) for t in cues):
            return "public_context"
        if (
            self._public is not None
            and any(self._public.search(t) for t in cues)
            and self.publicly_known(names)
        ):
            return "public_context"
        if self._task is not None and any(self._task.search(t) for t in texts):
            return "task_framing"
        return None

    def decide(
        self,
        texts: Sequence[str],
        types: Iterable[str],
        masked: Sequence[str] | None = None,
        names: Sequence[str] | None = None,
    ) -> tuple[bool, list[str]]:
        """(sensitive, reasons) for a request whose fields are ``texts`` with findings ``types``.

        ``masked``: the same texts with every finding blanked out (see ``framing``);
        ``names``: the PERSON spans' text (see ``publicly_known``).
        """
        found = set(types)
        strong = sorted(t for t in found if t not in self._weak and t != PERSON)
        reasons = [f"entity:{t}" for t in strong]
        if PERSON in found:
            if strong or self.personal_cue(masked or texts):
                # A name next to personal data, a relationship or a private fact.
                reasons.append(f"entity:{PERSON}")
            elif (why := self.framing(texts, masked, names)) is not None:
                reasons.append(f"weak:{PERSON}({why})")
            elif self._person_alone:
                reasons.append(f"entity:{PERSON}")
            else:
                reasons.append(f"weak:{PERSON}(no_personal_context)")
        reasons.sort(key=lambda r: (r.startswith("weak:"), r))
        sensitive = any(r.startswith("entity:") for r in reasons)
        return sensitive, reasons
