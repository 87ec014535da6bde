"""Which script and language a text is written in, cheaply, so name rules fit the text.

The scanner's NER is an English model. On Chinese, Arabic or Persian text it
labels arbitrary runs of characters as people; on Cyrillic, Spanish, French or
German it takes capitalised nouns, greetings and function words for names
("Hausverwaltung", "Bonjour", "resume la obra de ..."); and re-casing lower-case
prose for it only makes sense in English. So each text gets a ``Profile``:

* the share of its letters in each script (Latin, Cyrillic, Han, Arabic, Kana,
  Hangul), counted with one regex per script;
* for Latin text, a language guess from very frequent function words
  (English, Spanish, French, German): a few set look-ups per word, no model.

Text in another script is read by the script's own rules (``foreign.py``); a
non-English Latin text keeps NER but trims and checks its names (``refine.py``).

Example::

    profile("¿Quién fue Frida Kahlo y por qué se pintaba a sí misma?").lang   # "es"
    profile("跟小丽说我晚点到").script                                          # "han"
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spacy.lang.de.stop_words import STOP_WORDS as _DE_STOP
from spacy.lang.es.stop_words import STOP_WORDS as _ES_STOP
from spacy.lang.fr.stop_words import STOP_WORDS as _FR_STOP

# Letters of each script we tell apart. Arabic covers Persian and Urdu letters too.
_SCRIPTS: dict[str, re.Pattern[str]] = {
    "latin": re.compile(r"[A-Za-z\u00c0-\u024f]"),
    "cyrillic": re.compile(r"[\u0400-\u04ff]"),
    "han": re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"),
    "kana": re.compile(r"[\u3040-\u30ff]"),
    "hangul": re.compile(r"[\uac00-\ud7af]"),
    "arabic": re.compile(r"[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]"),
}
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
_WORDS = re.compile(r"[a-zà-ÿß]+|[¿¡]")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words frequent in one language and rare in the others' prose. Words two
# of them share ("de", "la", "en", "un") count for both.
_HINTS: dict[str, frozenset[str]] = {
    "en": _words(
        "the and is are you i my to of this that with for it please can what how be have "
        "was me your an on not do does about from will would should"
    ),
    "es": _words(
        "el los las que y un una por para con mi es del al se lo como cómo pero está le su "
        "muy qué yo mis hola gracias porque cuando también dile escribe ¿ ¡ la de en tu"
    ),
    "fr": _words(
        "le les des du et est un une je il elle nous vous pour avec qui ce cette ne pas à "
        "au aux mon ma mes sur dans ça très merci bonjour moi dis la de en tu"
    ),
    "de": _words(
        "der die das und ist ich du nicht ein eine einen mit für zu den dem von auf im wir "
        "sie bitte dass wie was mein meine sind auch hat hallo danke bei aus nach zur zum ins "
        "eure euer eures oder aber noch schon wird kann muss soll dir mir uns euch"
    ),
}
# Function words of the Latin-script languages other than English (spaCy's lists), plus
# greetings and sign-offs, which never start a name there either.
STOP_WORDS: dict[str, frozenset[str]] = {
    "es": frozenset(_ES_STOP) | {"hola", "gracias", "saludos", "quién", "cómo", "qué"},
    "fr": frozenset(_FR_STOP) | {"bonjour", "salut", "merci", "bisous", "cordialement"},
    "de": frozenset(_DE_STOP) | {"hallo", "danke", "gruß", "grüße", "bitte", "liebe", "lieber"},
}
# Weekdays and months (English abbreviations; full names in the other languages): a
# word, never a name, in a list or a name's place ("lundi : Solène", "said Mai").
CALENDAR_EN = _words(
    "mon tue tues wed thu thur thurs fri sat sun jan feb mar apr jun jul aug sep sept oct nov dec"
)
CALENDAR = CALENDAR_EN | _words(
    "lunes martes miércoles jueves viernes sábado domingo lundi mardi mercredi jeudi "
    "vendredi samedi dimanche montag dienstag mittwoch donnerstag freitag samstag sonntag "
    "enero febrero abril mayo junio julio agosto septiembre octubre noviembre diciembre "
    "janvier février avril mai juin juillet août septembre octobre novembre décembre januar "
    "februar märz juni juli oktober dezember"
)
# Imperatives that open prompts in the other languages ("Rédige un mail", "Traduce
# esto", "Übersetze bitte"), folded as ``namelists.fold`` folds (no accents): a word
# opening a prompt capitalised, not a name. English verbs come from WordNet.
PROMPT_VERBS = _words(
    "redige redigez traduis traduisez ecris ecrivez corrige corrigez reformule reformulez "
    "resume resumez explique expliquez fais faites donne donnez propose proposez aide "
    "aidez cree creez prepare preparez transforme transformez compare comparez trouve "
    "trouvez ameliore ameliorez verifie verifiez "
    "redacta traduce escribe corrige reformula resume explica haz dame dime ayudame "
    "crea prepara compara enumera busca revisa mejora convierte ordena "
    "schreib schreibe ubersetze ubersetz fasse korrigiere formuliere erklare erklar mach "
    "mache gib hilf erstelle vergleiche prufe verbessere ordne"
)
# Letters only one of the languages uses: each one counts as a hint too.
_LETTERS = {"es": re.compile("[ñ¿¡]"), "fr": re.compile("[çèêëœ]"), "de": re.compile("[äöüß]")}


@dataclass(frozen=True)
class Profile:
    """What a text is written in: ``script`` (the most letters), ``lang`` and shares."""

    script: str  # "latin", "cyrillic", "han", "kana", "hangul", "arabic" or "none"
    lang: str  # "en", "es", "fr", "de" for Latin text; else the script's name
    shares: tuple[tuple[str, float], ...] = ()

    def share(self, script: str) -> float:
        """Fraction of the text's letters in ``script``."""
        return dict(self.shares).get(script, 0.0)

    @property
    def english(self) -> bool:
        """Latin text in English (or in no language we can tell): the NER model's own."""
        return self.lang == "en"


ENGLISH = Profile("latin", "en", (("latin", 1.0),))


def profile(text: str) -> Profile:
    """The script and language of ``text`` (see module docstring)."""
    if not _NON_ASCII.search(text) and not _may_be_latin_foreign(text):
        return ENGLISH
    counts = {name: len(regex.findall(text)) for name, regex in _SCRIPTS.items()}
    total = sum(counts.values())
    if not total:
        return Profile("none", "en")
    shares = tuple((k, v / total) for k, v in counts.items() if v)
    script = max(counts, key=lambda k: counts[k])
    lang = latin_language(text) if script == "latin" else script
    return Profile(script, lang, shares)


def latin_language(text: str) -> str:
    """ "es", "fr" or "de" when that language's function words outnumber English ones
    (at least two of them), else "en"."""
    low = text.lower()
    counts = {lang: len(letters.findall(low)) for lang, letters in _LETTERS.items()}
    counts["en"] = 0
    for word in _WORDS.findall(low):
        for lang, hints in _HINTS.items():
            if word in hints:
                counts[lang] += 1
    best = max(("es", "fr", "de"), key=lambda k: counts[k])
    if counts[best] >= 2 and counts[best] > counts["en"]:
        return best
    return "en"


def script_of(span: str) -> str:
    """The script most of ``span``'s letters are in ("latin" when it has none)."""
    if not _NON_ASCII.search(span):
        return "latin"
    counts = {name: len(regex.findall(span)) for name, regex in _SCRIPTS.items()}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] else "latin"


# ASCII-only Spanish, French or German is possible ("dile a la tia que ..."): look for
# a few of their function words before deciding a plain-ASCII text is English.
_FOREIGN_ASCII = re.compile(
    r"\b(?:que|los|las|del|por|para|les|des|une|est|avec|pour|dans|der|die|das|und|ist|"
    r"ich|nicht|mit|dem|bitte)\b",
    re.IGNORECASE,
)


def _may_be_latin_foreign(text: str) -> bool:
    return _FOREIGN_ASCII.search(text) is not None
