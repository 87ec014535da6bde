"""What spaCy's NER made of each token, and where a token stands in its sentence.

``gazetteer.GazetteerNameRecognizer`` looks names up in lists, and needs per token
whether NER already put it in a person, a place or a thing, whether it opens a
sentence or a line, and the regular English endings back to a WordNet lemma.

Example::

    kinds = entity_kinds(doc, any_case=False)   # PERSON, PLACE, THING, ... or 0 per token
"""

from __future__ import annotations

from spacy.tokens import Doc, Token

# NER labels for places: a listed word or pair inside one is a place ("Buenos Aires",
# "San Francisco"), however much it looks like a name.
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
# Other things NER names; a single listed word inside one is more often part of a
# company or product than a person, so there only a first name + surname counts.
THING_LABELS = frozenset({"ORG", "NORP", "PRODUCT", "EVENT", "WORK_OF_ART", "LANGUAGE", "LAW"})


# What NER made of a token: part of a person, a place or a thing (or of a one-token one).
PERSON, PLACE, THING, PLACE_ONE, THING_ONE = 1, 2, 3, 4, 5
PLACES, THINGS = frozenset({PLACE, PLACE_ONE}), frozenset({THING, THING_ONE})
# Tokens before a word that make it the first of a sentence, a line or a quote.
OPENERS = frozenset({".", "!", "?", ":", ";", '"', "“", "'", "(", "-", "*", "#", ">", "…"})


def entity_kinds(doc: Doc, any_case: bool) -> list[int]:
    """Per token: 0 outside entities, else the kind of entity NER put it in."""
    kind = [0] * len(doc)
    for ent in doc.ents:
        label = ent.label_
        if label in ("PERSON", "PER"):
            flag = PERSON
        elif any_case:
            # Lower-case prose reaches NER re-cased, where every word looks like the
            # name of something; its places and organisations mean little.
            continue
        elif label in PLACE_LABELS:
            flag = PLACE_ONE if len(ent) == 1 else PLACE
        elif label in THING_LABELS:
            flag = THING_ONE if len(ent) == 1 else THING
        else:
            continue
        for i in range(ent.start, ent.end):
            kind[i] = flag
    return kind


def line_initial(token: Token) -> bool:
    """First on its line (after indentation)."""
    if token.i == 0:
        return True
    before = token.doc[token.i - 1]
    return "\n" in before.whitespace_ or "\n" in before.text or before.is_space


def sentence_initial(token: Token) -> bool:
    if token.i == 0:
        return True
    before = token.doc[token.i - 1]
    return before.text in OPENERS or "\n" in before.whitespace_ or "\n" in before.text


# Regular English endings back to the lemma the WordNet index lists.
INFLECTIONS = (
    ("ies", "y"),
    ("ses", "s"),
    ("xes", "x"),
    ("zes", "z"),
    ("ches", "ch"),
    ("shes", "sh"),
    ("oes", "o"),
    ("s", ""),
    ("ed", ""),
    ("ed", "e"),
    ("ing", ""),
    ("ing", "e"),
    ("er", ""),
    ("est", ""),
)
