"""Exercises: word problems, quizzes and exam questions, whose people are made up.

A word problem's question ("How many apples does Tom have left?") frames everyone in
its paragraph as invented (``framing``); so do answer options under a question and an
empty "Answer:" slot. Questions about someone's real life that look like one ("how many
days of PTO does X have left this year", "how long do i boil eggs for Oisín") are not.

Example::

    is_exercise("Tavita has 12 eggs. How many are left if she uses 5?")   # True
"""

from __future__ import annotations

import re

# Someone's real leave or age, which no puzzle asks about: "how many days of PTO does X
# have left this year", "how old is X now, born 2011".
REAL_DAYS = (
    r"(?:pto|annual\s+leave|sick\s+days|vacation\s+days|holiday\s+allowance|"
    r"left\s+this\s+year|now,?\s+born)"
)
# Exercises: a word problem's question frames everyone in its paragraph.
EXERCISE = re.compile(
    # "how long do i boil eggs for Oisín" asks about the user's own life, not a puzzle.
    r"\b(?:how\s+(?:many|much|old|long|far|fast|tall|often)"
    r"(?!\s+(?:\w+\s+)?(?:do|should|can|will|did|would|must)\s+(?:i|we)\b)"
    rf"(?![^.?!\n]*\b{REAL_DAYS}\b)|"  # "how many days of PTO does X have left"
    r"what\s+(?:is|was|were|are)\s+"
    r"the\s+total|in\s+total|word\s+problem|math(?:s)?\s+problem|puzzle|riddle|"
    r"brain\s*teaser|quiz|true\s+or\s+false|which\s+of\s+the\s+following|"
    r"multiple[-\s]choice)\b",
    re.IGNORECASE,
)
# Exam format: answer options on their own lines ("A. ...", "(b) ...") under a question,
# or an empty "Answer:" slot to fill in.
OPTION_LINE = re.compile(r"(?m)^[ \t]*\(?[A-Ha-h][.)][ \t]+\S")
ANSWER_SLOT = re.compile(r"(?im)^[ \t]*answer[ \t]*:[ \t]*$")


def is_exercise(paragraph: str) -> bool:
    """Is ``paragraph`` an exercise (word problem, quiz, exam question) as a whole?"""
    if EXERCISE.search(paragraph) or ANSWER_SLOT.search(paragraph):
        return True
    return len(OPTION_LINE.findall(paragraph)) >= 2 and "?" in paragraph
