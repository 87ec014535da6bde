"""Chinese person names that no cue points at, from jieba's part-of-speech tagger.

The cue rules in ``foreign.py`` find a Chinese name only where something marks it
(给/跟/请, a relation, 先生 after it, a list label), because Chinese is written without
spaces and a family-name character starts many everyday words (周末, 方式). A name
that opens a plain statement ("陈静怡下周要去上海出差") or sits in a pasted document
was missed, and those prompts went to the cloud with the name in them.

jieba (MIT, pure Python, the field's common Chinese segmenter) splits the text into
words and tags each; its ``nr`` tag marks a person name, from its dictionary or, for a
name it has never seen, from its hidden Markov model. A tagged word counts here only
when it is two or three Han characters, starts with a common family name and is no
everyday word, so "周末" or a place stays out. Text with kana is Japanese, which jieba
cannot read, and is skipped.

jieba's dictionary also knows famous names (鲁迅 1,507 uses in its corpus, 孙悟空 247,
周杰伦 89) and holds everyday words and places it wrongly tags as names (谢谢, 王府井). A
word the dictionary has seen ``FAMOUS`` times or more is therefore left to the cue rules
in ``foreign.py``, exactly as before this tagger: what the tagger adds is the names it
has rarely or never seen (王小明 3, 张建国 13, and every name its model infers), which
are the private people's. A frequent name that is also a common one (李娜, 李强) is
found only where a cue marks it, as it was.

Example::

    tagger = HanTagger(frozenset({"陈", "王"}), frozenset())
    list(tagger.names("陈静怡下周要去上海出差"))   # [(0, 3)]
"""

from __future__ import annotations

import functools
import logging
import re
import tempfile
from collections.abc import Iterator

import jieba
import jieba.posseg

_KANA = re.compile("[\u3040-\u30ff]")
_NAME = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]{2,3}")
# Uses in jieba's corpus from which a dictionary name counts as well known (or as a
# dictionary error) and is left to the cue rules: 周杰伦 89, 莫言 33; 张建国 13, 王小明 3.
FAMOUS = 30


class HanTagger:
    """jieba's tagger with its own dictionary state, loaded once (about 2 s, 65 MB)."""

    def __init__(self, surnames: frozenset[str], everyday: frozenset[str]) -> None:
        # jieba logs its dictionary loading at DEBUG on its own logger; keep it quiet.
        logging.getLogger("jieba").setLevel(logging.WARNING)
        self._surnames = surnames
        self._everyday = everyday
        tokenizer = jieba.Tokenizer()
        # jieba loads a dictionary cache from the shared temp dir whenever one exists,
        # so anyone on the machine could plant one that hides names; build it in a
        # private directory instead, removed once loaded.
        with tempfile.TemporaryDirectory(prefix="edge-router-jieba-") as private:
            tokenizer.tmp_dir = private
            tokenizer.initialize()
        self._tagger = jieba.posseg.POSTokenizer(tokenizer)
        self._frequency: dict[str, int] = tokenizer.FREQ

    def names(self, text: str) -> Iterator[tuple[int, int]]:
        """(start, end) of each person name the tagger finds in Chinese ``text``."""
        if _KANA.search(text):
            return
        at = 0
        for pair in self._tagger.cut(text):
            word, flag = pair.word, pair.flag
            start, at = at, at + len(word)
            if (
                flag == "nr"
                and _NAME.fullmatch(word)
                and (word[0] in self._surnames or word[:2] in self._surnames)
                and word[:2] not in self._everyday
                and self._frequency.get(word, 0) < FAMOUS
            ):
                yield start, at

    def is_word(self, text: str) -> bool:
        """Is ``text`` a word jieba's dictionary has seen often (王府井, 周末), no private name?"""
        return self._frequency.get(text, 0) >= FAMOUS


@functools.cache
def shared_tagger(surnames: frozenset[str], everyday: frozenset[str]) -> HanTagger:
    """One tagger per process: every language's recognizer set uses the same one."""
    return HanTagger(surnames, everyday)
