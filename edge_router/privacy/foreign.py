"""Person names in Han, Arabic-script and Cyrillic text, by script-aware rules.

The scanner's English NER cannot read these scripts: it labels arbitrary runs of
Chinese or Arabic as people and misses the names (``scripts.py``; ``refine.py``
drops what it finds there). ``ScriptNameRecognizer`` reads them instead:

* **Han** (Chinese, Japanese kanji): a family name from a list (the common ones,
  plus the mimesis zh and ja lists), then one or two characters, where only a
  person can stand: after 给/跟/和/请/叫/谢谢/亲爱的/我叫/作者: or a relation (室友, 同事,
  ...), or before a title or a speech verb (先生/女士/老师/经理/说/さん/san). Nicknames
  小X/老X/阿X count after such a cue or addressed ("小雯，"), minus the everyday words
  they also spell (老师, 小时). Latin words after a cue are pinyin ("亲爱的Xu Mingyuan").
* **Arabic script** (Arabic, Persian): a word after a vocative, a greeting, a
  relation ("أختي", "برادرم"), "tell X" (به X بگو), "I am X" (من X هستم) or a
  sign-off, or before "جان"; and a listed first name followed by a listed family
  name anywhere. Names there are also ordinary words (نور: light), so a listed
  word alone is not enough.
* **Cyrillic**: listed names after undoing case endings, patronymics, family names
  next to them, names after greetings, "tell" verbs and relations, signatures
  (``cyrillic_names.py``). Spans are PERSON, judged by the framing rules of any name.

Example::

    rec = ScriptNameRecognizer(load_name_lists())
    rec.analyze("跟小丽说我晚点到", ["PERSON"])   # one PERSON: 小丽
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from presidio_analyzer import EntityRecognizer, RecognizerResult
from presidio_analyzer.nlp_engine import NlpArtifacts

from edge_router.privacy.cyrillic_names import SCORE_CUED, SCORE_LISTED, CyrillicNames, adjacent
from edge_router.privacy.foreign_cues import (
    ARABIC_AFTER,
    ARABIC_BEFORE,
    ARABIC_CONTACT,
    ARABIC_REPLY,
    ARABIC_SEND,
    ARABIC_SEND_NOUNS,
    ARABIC_STOP,
    ARABIC_TELL,
    ARABIC_VERB_BEFORE,
    HAN_AFTER,
    HAN_AFTER_AT_START,
    HAN_BEFORE,
    HAN_COMMON_SURNAMES,
    HAN_EVERYDAY_WORDS,
    HAN_NICKNAME_WORDS,
    HAN_STOP_CHARS,
    LATIN_AFTER_VOCATIVE,
    PERSIAN_STATES,
    PINYIN_AFTER_CUE,
    SCRIPT_PLACEHOLDERS,
    arabic_norm,
    family_shaped,
    self_id_end,
)
from edge_router.privacy.han_names import shared_tagger
from edge_router.privacy.namelists import NameLists

_HAN = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_HAN_RUN = re.compile(f"[{_HAN}]+")
_ARABIC_WORD = re.compile(r"[\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff\u064b-\u065f\u200c]+")


class ScriptNameRecognizer(EntityRecognizer):
    """PERSON spans in Han, Arabic-script and Cyrillic text; see module docstring."""

    def __init__(self, names: NameLists | None, supported_language: str = "en") -> None:
        first = names.first if names else frozenset()
        last = names.last if names else frozenset()
        han = re.compile(f"[{_HAN}]+")
        # Two-character family names from the lists (zh compounds, Japanese); single
        # characters only from the common list: rarer ones are everyday characters too.
        self._han_surnames = HAN_COMMON_SURNAMES | {
            w for w in last if han.fullmatch(w) and len(w) == 2
        }
        self._tagger = shared_tagger(HAN_COMMON_SURNAMES, HAN_EVERYDAY_WORDS)
        self._arabic_first = frozenset(arabic_norm(w) for w in first if _ARABIC_WORD.fullmatch(w))
        self._arabic_last = frozenset(arabic_norm(w) for w in last if _ARABIC_WORD.fullmatch(w))
        self._cyrillic = CyrillicNames(first, last)
        super().__init__(
            supported_entities=["PERSON"],
            name="ScriptNameRecognizer",
            supported_language=supported_language,
        )

    def load(self) -> None:
        """Nothing to load: the lists are injected."""

    def analyze(
        self, text: str, entities: list[str], nlp_artifacts: NlpArtifacts | None = None
    ) -> list[RecognizerResult]:
        if (entities and "PERSON" not in entities) or text.isascii():
            return []
        meta = {
            RecognizerResult.RECOGNIZER_NAME_KEY: type(self).__name__,
            RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
        }
        found: dict[tuple[int, int], float] = {}
        for finder in (self._han, self._arabic, self._cyrillic.find):
            for start, end, score in finder(text):
                found[(start, end)] = max(score, found.get((start, end), 0.0))
        return [
            RecognizerResult("PERSON", s, e, score, recognition_metadata=meta)
            for (s, e), score in found.items()
            if text[s:e] not in SCRIPT_PLACEHOLDERS  # "张三", "فلان": anyone, no one
        ]

    # ---- Han ------------------------------------------------------------------------

    def _han(self, text: str) -> Iterator[tuple[int, int, float]]:
        if not _HAN_RUN.search(text):
            return
        for match in PINYIN_AFTER_CUE.finditer(text):
            group = 1 if match.group(1) else 2
            yield match.start(group), match.end(group), SCORE_CUED
        last = -1  # where the last name found ended
        cued: list[tuple[int, int]] = []
        for run in _HAN_RUN.finditer(text):
            # The next item of a list of names: "参会人员：王伟、李娜、张敏".
            listed = last >= 0 and text[last : run.start()].strip() == "、"
            for found in self._han_run(text, run.start(), run.end(), listed=listed):
                last = found[1]
                cued.append(found[:2])
                yield found
        # Names no cue points at (han_names.py), where no cued name overlaps them.
        for start, end in self._tagger.names(text):
            if all(end <= s or e <= start for s, e in cued):
                yield start, end, SCORE_LISTED

    def _han_run(
        self, text: str, start: int, end: int, *, listed: bool = False
    ) -> Iterator[tuple[int, int, float]]:
        run = text[start:end]
        before_run = text[max(0, start - 12) : start]
        after_run = text[end : end + 8]
        # A short run that is all name, set off by Latin text or punctuation:
        # "email to 田中健太 san", "作者: 赵俊杰 zhaojj@...".
        if (
            2 <= len(run) <= 4
            and self._surname_at(run, 0)
            and (
                listed
                or HAN_BEFORE.search(before_run)
                or HAN_AFTER.match(after_run)
                or (_vocative(run, before_run, after_run) and not self._tagger.is_word(run))
            )
        ):
            yield start, end, SCORE_CUED
            return
        if (
            len(run) == 2
            and _nickname_at(run, 0)
            and (run[0] == "阿" or run[1] in self._han_surnames or not self._tagger.is_word(run))
            and _vocative(run, before_run, after_run)
        ):
            yield start, end, SCORE_CUED  # "：小周，明天的会..."
            return
        i = 0
        while i < len(run):
            found = self._han_name_at(text, run, start, i)
            if found is None:
                i += 1
                continue
            yield start + i, start + found, SCORE_CUED
            i = found

    def _han_name_at(self, text: str, run: str, offset: int, i: int) -> int | None:
        """End (in ``run``) of a name starting at ``run[i]``, or None."""
        pre = bool(HAN_BEFORE.search(text[max(0, offset + i - 8) : offset + i]))
        if _nickname_at(run, i):
            end = i + 2
            after = text[offset + end : offset + end + 4]
            if pre and (
                end == len(run)
                or HAN_AFTER.match(after)
                or HAN_AFTER_AT_START.match(after)
                or run[end] in HAN_STOP_CHARS
            ):
                return end
            # No cue before, but what a person does after: "小王明天请假", "阿明说他要搬".
            if (
                HAN_AFTER.match(after) or (i == 0 and HAN_AFTER_AT_START.match(after))
            ) and not self._tagger.is_word(run[i:end]):
                return end
        surname = self._surname_at(run, i)
        if not surname or run[i : i + 2] in HAN_EVERYDAY_WORDS:
            return None
        g = i + surname
        for length in (2, 1):
            end = g + length
            if end > len(run) or any(c in HAN_STOP_CHARS for c in run[g:end]):
                continue
            after = text[offset + end : offset + end + 4]
            if HAN_AFTER.match(after) or (i == 0 and HAN_AFTER_AT_START.match(after)):
                return end
        if not pre:
            return None
        for length in (2, 1):
            end = g + length
            if end > len(run) or any(c in HAN_STOP_CHARS for c in run[g:end]):
                continue
            if end == len(run) or run[end] in HAN_STOP_CHARS or length == 1:
                return end
        return None

    def _surname_at(self, run: str, i: int) -> int:
        """Length of the family name starting at ``run[i]`` (2, 1 or 0 for none)."""
        if run[i : i + 2] in self._han_surnames and i + 2 < len(run):
            return 2
        return 1 if run[i] in self._han_surnames and i + 1 < len(run) else 0

    # ---- Arabic script ----------------------------------------------------------------

    def _arabic(self, text: str) -> Iterator[tuple[int, int, float]]:
        words = list(_ARABIC_WORD.finditer(text))
        if not words:
            return
        for match in LATIN_AFTER_VOCATIVE.finditer(text):
            yield match.start(1), match.end(1), SCORE_CUED
        norms = [arabic_norm(m.group(0)) for m in words]
        taken: set[int] = set()
        for k, word in enumerate(norms):
            if k in taken or word in ARABIC_STOP or len(word) < 2 or _in_cue(norms, k):
                continue
            listed = self._arabic_listed(word)
            cued = (
                (k > 0 and _relation(norms[k - 1]))
                or (
                    k > 0
                    and norms[k - 1] in ARABIC_VERB_BEFORE
                    and (
                        listed
                        or (k + 1 < len(norms) and self._arabic_listed(norms[k + 1], last=True))
                    )
                )
                or (k + 1 < len(norms) and norms[k + 1] in ARABIC_AFTER)
                or (listed and _sent_to(norms, k))
            )
            # "من سارا احمدی هستم", or a listed name right before it: "مهتاب هستم"; not
            # "من خسته هستم" (I am tired).
            opens = (k > 0 and norms[k - 1] == "من" and word not in PERSIAN_STATES) or (
                listed and self_id_end(norms, k) == k + 1
            )
            self_end = self_id_end(norms, k) if opens else 0
            nxt = k + 1 < len(norms) and (  # a listed family name, or one shaped like it
                self._arabic_listed(norms[k + 1], last=True) or family_shaped(norms[k + 1])
            )
            if not (cued or self_end) and not (
                listed and nxt and adjacent(text, words[k], words[k + 1])
            ):
                continue
            end = k
            if self_end:  # the whole name up to "هستم"
                end = self_end - 1
                cued = True
            elif (
                nxt and norms[k + 1] not in ARABIC_STOP and adjacent(text, words[k], words[k + 1])
            ) or (cued and _nisba_after(norms, k) and adjacent(text, words[k], words[k + 1])):
                end = k + 1
            taken.update(range(k, end + 1))
            # A kunya is part of the name: "أبو سامي" (Sami's father), not just "سامي".
            first = k - 1 if k > 0 and norms[k - 1] in _KUNYA else k
            yield words[first].start(), words[end].end(), SCORE_CUED if cued else SCORE_LISTED

    def _arabic_listed(self, word: str, *, last: bool = False) -> bool:
        forms = [word] + ([word[1:]] if word[:1] in "وبل" and len(word) > 3 else [])
        names = self._arabic_last if last else self._arabic_first | self._arabic_last
        return any(f in names for f in forms)


def _nickname_at(run: str, i: int) -> bool:
    """Does a nickname 小X/老X/阿X start at ``run[i]`` (not an everyday word: 老师, 小时)?"""
    return run[i] in "小老阿" and i + 1 < len(run) and run[i : i + 2] not in HAN_NICKNAME_WORDS


def _vocative(run: str, before: str, after: str) -> bool:
    """A short name addressed at a message's start: "：林怡然，报表明天交"."""
    opens = not before.strip(" \t") or before.rstrip(" \t")[-1] in ":：\n\"“「'‘"
    return opens and len(run) <= 3 and run not in HAN_EVERYDAY_WORDS and after[:1] in "，,"


_KUNYA = frozenset({"ابو", "ام"})


def _nisba_after(norms: list[str], k: int) -> bool:
    """Is the word after a cued first name a family name of the "-ی" (nisba) form, as
    most Persian and many Arabic ones are ("نگار رحیمی", "رنا الحلبي")?"""
    if k + 1 >= len(norms):
        return False
    word = norms[k + 1]
    return (
        len(word) >= 4
        and word.endswith("ی")
        and word not in ARABIC_STOP
        and word not in ARABIC_AFTER
        and word not in ARABIC_BEFORE
    )


def _relation(word: str) -> bool:
    """A cue word, also with "to" or "and" joined in front: "لأختي" (to my sister)."""
    return (
        word in ARABIC_BEFORE
        or (word[:1] in "لو" and word[1:] in ARABIC_BEFORE)
        # "للأستاذ" (to the teacher): the article's alif drops after "to".
        or (word[:2] == "لل" and "ا" + word[1:] in ARABIC_BEFORE)
        # A kunya, "father/mother of": "أبو سامي", "أم خالد".
        or word in _KUNYA
    )


def _in_cue(norms: list[str], k: int) -> bool:
    """Is the k-th word itself a cue word (a greeting, a relation)?"""
    return norms[k] in ARABIC_BEFORE or norms[k] in ARABIC_AFTER


def _sent_to(norms: list[str], k: int) -> bool:
    """Is the k-th word whom a message is sent, a reply written or a word passed to?"""
    before = norms[k - 1] if k > 0 else ""
    two_before = norms[k - 2] if k > 1 else ""
    if norms[k] in ARABIC_SEND_NOUNS:
        return False
    return (
        (before == "الى" and two_before in ARABIC_SEND)
        or (before == "على" and two_before in ARABIC_REPLY)
        or (norms[k][:1] == "ل" and before in ARABIC_TELL)
        or before in ARABIC_CONTACT
    )
