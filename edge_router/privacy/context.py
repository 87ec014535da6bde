"""When findings make a request sensitive: entity types, scores and the context around them.

A request is sensitive because of what it reveals about a private person, not
because it mentions someone. Identifiers, contact data, online identifiers
(USERNAME) and secrets are sensitive on their own. A person's name is sensitive
when the request ties it to private matters (another identifier, a first-person
relationship such as "my kid Lukas", a self-introduction, a health/money/legal
fact), or when that name is marked private where it stands (a greeting, a
sign-off, "write an email to Ms. X", pasted material): see ``framing.py``.

A name is only a weak signal when *that name* is invented (a story the user asks
to be made up, role play, an exercise), public (a known family name under public
framing in its own sentence: "pretend to be Elon Musk", "the novel by Dickens")
or cited ("Smith et al."). Task verbs ("summarize", "translate") weaken no one:
what users paste is about real people far more often than not. A name with none
of these is decided by ``person_alone_sensitive``.

Public framing only vouches for a name that could belong to a public figure: when
``known_names`` is given (the WordNet lemmas of the spaCy model, which list
Einstein, Beethoven, Gates, Musk, Tolstoy, ..., plus ``MODERN_PUBLIC_NAMES``), a
name whose family name is not there ("the film directed by Radka Novak") is not
weakened by "film" or "novel".

An @handle is sensitive on its own, unless every handle in the request is an account
followed or performing publicly by its own sentence ("follow @NatGeo", "@band you
were amazing at the tour") and nothing personal is near: then it is
``weak:USERNAME(public_context)``.

Reasons are machine-readable and never quote the text: ``entity:PERSON``,
``weak:PERSON(public_context)`` (public or invented), ``weak:PERSON(cited)``,
``weak:PERSON(no_personal_context)``, ``weak:USERNAME(public_context)``.

Example::

    rules = SensitivityRules(ScannerSettings())
    texts = ["Pretend to be Elon Musk"]
    rules.decide(texts, {"PERSON"}, names=["Elon Musk"])  # (False, ["weak:PERSON(...)"])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from edge_router.privacy import cues, public_names
from edge_router.privacy.framing import Framer, phrase_regex, sentence_bounds
from edge_router.privacy.notables import load_notables
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.wholeword import whole_words

__all__ = ["PERSON", "SensitivityRules", "phrase_regex"]

PERSON = "PERSON"
USERNAME = "USERNAME"

# Self-introductions and sign-offs: the writer names themself, so the name is theirs.
_SELF_ID = re.compile(
    r"\b(?:my\s+(?:full\s+|first\s+|last\s+|maiden\s+|sur)?name\s+is|my\s+name's|"
    r"call\s+me|i\s+am\s+called|i'm\s+called|sincerely|yours\s+truly)\b",
    re.IGNORECASE,
)

# "Our neighbour", "my colleague" in the other languages we read: the writer's own life.
_FOREIGN_RELATION = re.compile(
    r"\b(?:мо[йяеёи]|моего|моей|моему|моим|наш[аеи]?|нашего|нашей|нашему|нашим)\s+"
    r"(?:\w+\s+)?(?:сосед|коллег|начальни|руководител|брат|сестр|мам|пап|сын|доч|муж|жен|"
    r"друг|подруг|бабушк|дедушк|тёт|тет|дяд|племянни|учител|врач|клиент|арендатор|хозя)\w*|"
    r"\b(?:mis?|nuestr[oa]s?)\s+(?:\w+\s+)?(?:vecin|compañer|jef|herman|madre|padre|mamá|"
    r"papá|hij[oa]|espos|marido|mujer|amig|novi|abuel|tí[oa]|prim[oa]|sobrin|suegr|"
    r"inquilin|casero)\w*|"
    r"\b(?:mon|ma|mes|notre|nos)\s+(?:\w+\s+)?(?:voisin|collègue|chef|patron|frère|s(?:œ|oe)ur|"
    r"mère|père|maman|papa|fils|fille|mari|femme|ami|copain|copine|grand-mère|grand-père|"
    r"oncle|tante|cousin|neveu|nièce|locataire|propriétaire)\w*|"
    r"\b(?:mein|meine[mnrs]?|unser|unsere[mnrs]?)\s+(?:\w+\s+)?(?:nachbar|kolleg|chef|bruder|"
    r"schwester|mutter|vater|mama|papa|sohn|tochter|mann|frau|freund|oma|opa|onkel|tante|"
    r"cousin|neffe|nichte|mieter|vermieter)\w*",
    re.IGNORECASE,
)

# How a person's verdict in framing.py shows in the reasons.
_WEAK_REASON = {
    "cited": "cited",
    "public_context": "public_context",
    "notable": "notable_name",
    "invented": "public_context",
    "lone_name": "not_a_given_name",
}


class SensitivityRules:
    """Compiled from ``ScannerSettings``; ``decide`` is pure and cheap (a few regex scans)."""

    def __init__(
        self, settings: ScannerSettings, known_names: frozenset[str] = frozenset()
    ) -> None:
        """``known_names``: lower-case words a public figure's name may contain (empty: any)."""
        self._weak = settings.weak_types
        self._person_alone = settings.person_alone_sensitive
        self._framer = Framer(settings, known_names)
        self._notables = load_notables(settings.notable_names)
        self._personal = phrase_regex(settings.personal_context_words)
        relations = phrase_regex(settings.relationship_words)
        self._relation = (
            re.compile(
                r"\b(?:my|our)\s+(?:[\w-]+\s+)?(?:(?:great-)+|step-|half-)?"
                + relations.pattern.removeprefix(r"(?<![\w-])"),
                re.IGNORECASE,
            )
            if relations is not None
            else None
        )

    def personal_cue(self, texts: Sequence[str]) -> bool:
        """Does the request tie people to private matters (relationship, fact, self-ID)?"""
        return any(
            regex is not None and regex.search(text)
            for text in texts
            for regex in (self._personal, self._relation, _SELF_ID, _FOREIGN_RELATION)
        )

    def famous_apart(
        self, texts: Sequence[str], masked: Sequence[str], names: Sequence[str] | None
    ) -> bool:
        """Is every person a famous full name (``public_names`` or the notable list) with
        no personal cue in any sentence that names them? Then a relationship elsewhere
        is the writer's own ("Who was Ada Lovelace? It's for my son's homework"), not
        theirs; "my neighbour Tom Holland" keeps the cue in the name's sentence."""
        if not names or not all(
            " " in name.strip()
            and (
                public_names.is_public_name(name)
                or (self._notables is not None and self._notables.has_name(name))
            )
            for name in names
        ):
            return False
        for text, blank in zip(texts, masked, strict=True):
            bounds = sentence_bounds(text)
            for name in set(names):
                for start, _ in whole_words(text, name):
                    s_start, s_end = _sentence_at(text, bounds, start)
                    if self.personal_cue([blank[s_start:s_end]]):
                        return False
        return True

    def person_reasons(self, texts: Sequence[str], names: Sequence[str] | None) -> list[str]:
        """The PERSON reasons when no personal cue or other identifier decided already.

        One private person makes PERSON sensitive; a person with no framing either way
        is ``person_alone_sensitive``'s call; with every person weak, their reasons.
        Without ``names`` nothing can be placed, so the request counts as unframed.
        """
        verdicts = self._framer.verdicts(texts, names or [])
        if any(v in ("private", "material") for v in verdicts):
            return [f"entity:{PERSON}"]
        if not verdicts or "none" in verdicts:
            if self._person_alone:
                return [f"entity:{PERSON}"]
            return [f"weak:{PERSON}(no_personal_context)"]
        return sorted({f"weak:{PERSON}({_WEAK_REASON[v]})" for v in verdicts})

    def decide(
        self,
        texts: Sequence[str],
        types: Iterable[str],
        masked: Sequence[str] | None = None,
        names: Sequence[str] | None = None,
        handles: Sequence[tuple[int, int, int]] = (),
    ) -> tuple[bool, list[str]]:
        """(sensitive, reasons) for a request whose fields are ``texts`` with findings ``types``.

        ``masked``: the same texts with every finding blanked out (a relationship or
        health word inside a finding is no personal cue); ``names``: the PERSON spans'
        text, placed and judged one by one (``framing.Framer``); ``handles``: (field
        index, start, end) of the USERNAME spans, weak when every one is a public
        account by its own sentence and nothing personal is near.
        """
        found = set(types)
        public_handles = (
            USERNAME in found
            and bool(handles)
            and all(_public_handle(texts[i], s, e) for i, s, e in handles)
            and not self.personal_cue(masked or texts)
        )
        if public_handles:
            found.discard(USERNAME)
        strong = sorted(t for t in found if t not in self._weak and t != PERSON)
        reasons = [f"entity:{t}" for t in strong]
        if public_handles:
            reasons.append(f"weak:{USERNAME}(public_context)")
        if PERSON in found:
            if strong or (
                self.personal_cue(masked or texts)
                and not self.famous_apart(texts, masked or texts, names)
            ):
                # A name next to personal data, a relationship or a private fact.
                reasons.append(f"entity:{PERSON}")
            else:
                reasons += self.person_reasons(texts, names)
        reasons.sort(key=lambda r: (r.startswith("weak:"), r))
        sensitive = any(r.startswith("entity:") for r in reasons)
        return sensitive, reasons


def _public_handle(text: str, start: int, end: int) -> bool:
    """Is the @handle at text[start:end] an account followed or performing publicly?"""
    if not text.startswith("@", start):
        return False  # usernames in URLs and after labels: no such cue applies
    s_start, s_end = _sentence_at(text, sentence_bounds(text), start)
    sentence = text[s_start:start] + text[end:s_end]
    return bool(
        cues.PUBLIC_HANDLE.search(sentence)
        or cues.PUBLIC_ACTS.search(sentence)
        or cues.PUBLIC_ACTS_MORE.search(sentence)
    )


def _sentence_at(text: str, bounds: list[int], pos: int) -> tuple[int, int]:
    """(start, end) of the sentence holding ``pos``, from ``sentence_bounds(text)``."""
    start = max(b for b in bounds if b <= pos)
    return start, min([b for b in bounds if b > pos] or [len(text)])
