"""Normalisation before detection (privacy/normalize.py, spelled.py, parts.py): what each
pass undoes, what it leaves alone, and that offsets always map back to the original."""

from __future__ import annotations

import base64
import itertools
import sys
import unicodedata

import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from edge_router.privacy import normalize
from edge_router.privacy.normalize import normalise
from edge_router.privacy.parts import join_windows, split_findings
from edge_router.privacy.spelled import digits, emails
from edge_router.privacy.types import TextField

EMAIL = "jane.doe@example.org"


def original_of(text: str, value: str) -> str:
    """The original characters behind the first ``value`` in the normalised text."""
    norm = normalise(text)
    start = norm.text.index(value)
    s, e = norm.span(start, start + len(value))
    return text[s:e]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # invisible characters go, inside a value too
        ("mail jane\u200b.doe@exa\u200dmple.org", f"mail {EMAIL}"),
        ("x\u00ady\u2060z\ufeff", "xyz"),  # soft hyphen, word joiner, BOM
        ("ca\u202erd\u202c 4111", "card 4111"),  # bidi controls
        ("a\u2800b\u3164c", "abc"),  # blank fillers
        # NFKC per character
        ("card ４１１１ １１１１", "card 4111 1111"),
        ("ｊａｎｅ＠ｅｘａｍｐｌｅ．ｏｒｇ", "jane@example.org"),
        ("\ufb01ne\u00a0day", "fine day"),
        # Cyrillic and Greek look-alikes inside Latin words only
        ("jаnе.dое@ехаmplе.оrg", EMAIL),
        ("Ηello Μοscow", "Hello Moscow"),
        # percent and HTML escapes
        ("jane.doe%40example.org", EMAIL),
        ("jane.doe&#64;example.org", EMAIL),
        ("jane.doe&#x40;example&period;org", EMAIL),
        ("jane.doe&commat;example.org", EMAIL),
        ('<a href="mailto:jane.doe&#64;example.org">', f'<a href="mailto:{EMAIL}">'),
        ("a&amp;b %41%42", "a&b AB"),
        ("caf%C3%A9", "café"),
        # escapes of hidden characters and spaces, folded by the Unicode pass after
        ("jane.doe&#8203;@example.org", EMAIL),
        ("jane.doe%E2%80%8B@example.org", EMAIL),
        ("a&nbsp;b", "a b"),
        # spelled-out emails
        ("jane.doe [at] example [dot] org", EMAIL),
        ("jane.doe (at) example (dot) org", EMAIL),
        ("jane.doe {AT} example {DOT} org", EMAIL),
        ("jane.doe[@]example[.]org", EMAIL),
        ("jane dot doe at example dot org", EMAIL),
        ("write to jane.doe @ example . org!", f"write to {EMAIL}!"),
        ("jane.doe @ example.org", EMAIL),
        ("mail to jane.doe at example.org", f"mail to {EMAIL}"),  # a mailbox, not a word
        ("mail to jane.doe  AT  example.org", f"mail to {EMAIL}"),
        ("jane.doe@example[dot]org", EMAIL),
        # spread-out digits
        ("ssn 5 3 6 2 2 1 2 3 4", "ssn 536221234"),
        ("ssn 5-3-6-2-2-1-2-3-4.", "ssn 536221234."),
        ("card 4111.1111.1111.1111", "card 4111111111111111"),
        ("card 4111 / 1111 / 1111 / 1111", "card 4111111111111111"),
        ("amex 3782.822463.10005", "amex 378282246310005"),
        ("ssn 536 - 22 - 1234", "ssn 536-22-1234"),
        ("nino AB  12  34  56  C", "nino AB123456C"),
        ("nino A B 1 2 3 4 5 6 C", "nino AB123456C"),
        ("nino AB-12-34-56-C", "nino AB123456C"),
        # ideographic full stops between Latin letters read as dots (IDNA's separators)
        ("jane.doe@example\u3002org", EMAIL),
        ("jane.doe@example\uff61org", EMAIL),
        ("写信给 jane.doe@example\u3002org\u3002谢谢", f"写信给 {EMAIL}\u3002谢谢"),
        # digits of other scripts, dashes between digits
        ("card ٤١١١ ١١١١ ١١١١ ١١١١", "card 4111 1111 1111 1111"),
        ("کد ملی ۵۳۶-۲۲-۱۲۳۴", "کد ملی 536-22-1234"),
        ("ssn 536\u201022\u20101234", "ssn 536-22-1234"),
        ("ssn 536 \u2013 22 \u2013 1234", "ssn 536-22-1234"),
        ("from 1990\u20132000 \u2014 a decade", "from 1990-2000 \u2014 a decade"),
        # an address written a character at a time
        ("mail j a n e @ e x a m p l e . o r g please", "mail jane@example.org please"),
        ("j a n e @ e x a m p l e . o r g.", "jane@example.org."),
        # words spelled a letter at a time
        ("to D a n a  K o w a l s k i now", "to Dana  Kowalski now"),
        ("to D-a-n-a K-o-w-a-l-s-k-i.", "to Dana Kowalski."),
        # digits said in words, in the four languages, some written
        ("call four one five five five five two six seven one", "call 4155552671"),
        ("call four-one-five, five-five-five, two-six-seven-one", "call 4155552671"),
        ("ssn Zero Seven Eight, zero five, one one two zero.", "ssn 078-05-1120."),
        ("ring FOUR one five 555 2671", "ring 4155552671"),
        (
            "mi número es seis uno dos, tres cuatro cinco, seis siete ocho nueve",
            "mi número es 612-345-6789",
        ),
        (
            "numéro: zéro six, douze? non: zéro six un deux trois quatre cinq six",
            "numéro: zéro six, douze? non: 06123456",
        ),
        ("Nummer null eins sieben zwei drei vier fünf sechs", "Nummer 01723456"),
        ("İstanbul: four one five five five five two six seven one", "İstanbul: 4155552671"),
    ],
)
def test_normalises(text: str, expected: str) -> None:
    assert normalise(text).text == expected


@pytest.mark.parametrize(
    "text",
    [
        "Look at this dot com bubble: it burst in 2000.",
        "Look at example.com for the details.",
        "see README.md at github.com and config.yaml at example.org",
        "Meet me at home. It was late.",
        "We met at noon at the station.",
        "Find the missing number: 1 2 3 4 5 6 7 8 9 10",
        "The message reached 1 234 567 people.",
        "call me on 450 0840 or +33 (0)6 12 34 56 78",
        "Compute 10 - 5 - 3 and 2.5 - 1.5.",
        "my ssn is 536-22-1234, card 4111 1111 1111 1111, ip 192.168.100.200",
        "printf('%d %s', n, s); 50% of 100%; a && b; AT&T; x%00y &#7;",
        "x = a @ b  # matrix product",
        "user@example.org wrote on 2023-11-05",
        "Москва — столица России. Αθήνα είναι η πρωτεύουσα.",
        "café naïve Ærøskøbing Pod Floriánem 1677",
        "e\u0301 combining stays, 中文也不变, emoji 👍🏽",
        "internationalization Supercalifragilisticexpialidocious getElementByIdAndName",
        "card 4539612346517430",  # decimal digits read as hex are not decoded
        "今天天气很好\u3002明天见\u3002Hi\u3002",
        "an em dash\u2014like this \u2013 or this",  # ideographic full stops end sentences
        "count: one, two, three, four, five, six, seven, eight",  # counting, not a number
        "I ate two eggs, one apple and three pears, five times 10 in 2024",
        "one or two of the three people",
        "a b c and state-of-the-art x-y-z",  # three letters are a list, not a word
        "x y @ a . b c and a @ b . c",  # notation, too short for an address
    ],
)
def test_leaves_prose_alone(text: str) -> None:
    norm = normalise(text)
    assert norm.text == text
    assert not norm.changed


def test_hidden_characters_fall_inside_the_mapped_span() -> None:
    text = "mail jane\u200b.doe@exa\u200dmple.org now"
    assert original_of(text, EMAIL) == "jane\u200b.doe@exa\u200dmple.org"
    assert original_of("jane [at] example [dot] org", "jane@example.org") == (
        "jane [at] example [dot] org"
    )
    assert original_of("x jane&#64;example.org", "jane@example.org") == "jane&#64;example.org"
    assert original_of("ssn 5 3 6 2 2 1 2 3 4!", "536221234") == "5 3 6 2 2 1 2 3 4"
    assert original_of("card ４１１１ １１１１", "4111 1111") == "４１１１ １１１１"


def test_identity_map_without_changes() -> None:
    norm = normalise("plain text, nothing to do")
    assert norm.span(0, 5) == (0, 5)
    assert norm.span(6, 10) == (6, 10)


def test_blob_views_map_to_the_whole_blob() -> None:
    blob = base64.b64encode(EMAIL.encode()).decode()
    hexed = b"john@example.com".hex()
    text = f"decode {blob} and {hexed} please"
    norm = normalise(text)
    assert norm.text.startswith(text)
    start = norm.text.index(EMAIL)
    assert text[slice(*norm.span(start, start + len(EMAIL)))] == blob
    start = norm.text.index("john@example.com")
    assert text[slice(*norm.span(start, start + 4))] == hexed
    # the urlsafe alphabet and unpadded blobs decode too
    blob = base64.urlsafe_b64encode(b"name: Jane Doe, jane>?doe@example.org").decode()
    assert "Jane Doe" in normalise(blob.rstrip("=")).text


def test_blob_decoding_is_bounded() -> None:
    blob = base64.b64encode(b"jane.doe@example.org").decode()
    many = " ".join([blob] * 50)
    views = normalise(many).text.count(EMAIL)
    assert views == normalize._MAX_BLOBS
    # binary blobs and overlong tokens are not views
    binary = base64.b64encode(bytes(range(256))).decode()
    assert not normalise(f"img {binary}").changed
    huge = base64.b64encode(b"a@example.org " * 400).decode()
    assert len(huge) > normalize._MAX_BLOB_CHARS
    assert not normalise(huge).changed


def test_invisible_class_covers_every_format_character() -> None:
    missing = [
        f"U+{c:04X}"
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) == "Cf" and not normalize._INVISIBLE.match(chr(c))
    ]
    assert missing == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Unicode case folding once let "İ" into a label the walk could not follow
        ("İ (dot) AB12 @j  . zero", "İ (dot) AB12 @j  . zero"),
        ("İ FİVE four one five five five five two six", "İ FİVE 41555526"),
        ("jane.doe [DOT] x [At] example [Dot] org", "jane.doe.x@example.org"),
    ],
)
def test_case_folding_stays_ascii(text: str, expected: str) -> None:
    assert normalise(text).text == expected


def test_pass_edits() -> None:
    assert emails("jo [at] example [dot] org") == [(2, 8, "@"), (15, 22, ".")]
    assert emails("jo@example.org") == []  # nothing to undo
    assert digits("1 2 3 4 5 6 7") == [(i, i + 1, "") for i in range(1, 13, 2)]


# Pieces obfuscation is made of, for generated texts.
PIECES = [
    "\u200b", "\u00ad", "\u202e", "\ufe0f", "４", "ｊ", "\ufb01", "½", "а", "о", "Μ", "é",
    "e\u0301", "%40", "%4", "%C3%A9", "%ff", "&#64;", "&amp;", "&commat;", "&#", "&bogus;",
    " [at] ", " (dot) ", " at ", " dot ", " @ ", " . ", "@", ".", "-", " ", "\n", "jane",
    "example", "org", "com", "this", "5 ", "1", "4111", "AB", "12 ", "C", "_", "/", "+", "=",
    "ZmFrZUBleGFtcGxlLm9yZw==", "6a6f686e406578616d706c652e636f6d", "QUJDREVGR0hJSktMTU5PUA",
    "four ", "one, ", "five-", "zero ", "nueve ", "İ", "٤", "۵", "\u2013", "\u2010", "\u3002",
    "j ", "a ", "n ", "e ", "D-", "a-", "k",
]  # fmt: skip


@hsettings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=40).map("".join))
def test_spans_map_back_to_valid_covering_spans(text: str) -> None:
    norm = normalise(text)
    n = len(norm.text)
    chars = [norm.span(i, i + 1) for i in range(n)]
    for s, e in chars:
        assert 0 <= s < e <= len(text)
    main = n if norm._main < 0 else norm._main
    # Along the normalised original, characters map in order.
    for (s1, e1), (s2, e2) in itertools.pairwise(chars[:main]):
        assert s1 <= s2 and e1 <= e2
    # A span covers every character inside it, hidden ones between them included.
    for start in range(0, n, 3):
        for end in range(start + 1, n + 1, 4):
            s, e = norm.span(start, end)
            assert 0 <= s < e <= len(text)
            assert all(s <= cs and ce <= e for cs, ce in chars[start:end])
    # Unchanged text reads the same; changes only ever shorten or keep what is there.
    if not norm.changed:
        assert norm.text == text


@given(st.text(alphabet="abcdefghij klmnop,;!?'ABCXYZ\n", max_size=200))
def test_plain_prose_is_untouched(text: str) -> None:
    assert normalise(text).text == text


def _fields(*texts: str, path: str = "messages[3].content[{}].text") -> list[TextField]:
    return [TextField(path.format(i), t) for i, t in enumerate(texts)]


def test_windows_join_consecutive_parts_of_one_message() -> None:
    fields = [
        TextField("messages[0].content", "hello"),
        *_fields("please mail jane.doe@exa", "mple.org today"),
        TextField("messages[4].content[0].text", "other message"),
        *_fields("a", "b", path="system[{}].text"),
    ]
    windows = join_windows(fields)
    assert [w.text for w in windows] == [
        "please mail jane.doe@example.org today",
        "ab",
    ]
    assert windows[0].pieces == ((1, 0, 24), (2, 0, 14))


def test_windows_are_bounded_and_run_on_through_short_parts() -> None:
    long = "word " * 200
    fields = _fields(long + "jane.doe@exa", "mple", ".org " + long)
    (window,) = join_windows(fields)
    assert "jane.doe@example.org" in window.text
    assert len(window.text) < 600
    (i0, s0, _), (i1, _, _), (i2, _, e2) = window.pieces
    assert (i0, i1, i2) == (0, 1, 2)
    assert fields[0].text[s0 - 1] == " " and fields[2].text[e2] == " "


def test_split_findings_share_crossing_values_only() -> None:
    fields = _fields("mail jane.doe@exa", "mple.org. Ann", "a says hi")
    windows = join_windows(fields)
    joined = windows[0].text
    start = joined.index("jane")
    found = {
        joined: (
            ("EMAIL_ADDRESS", start, start + len(EMAIL), 1.0),
            ("PERSON", joined.index("Anna"), joined.index("Anna") + 4, 0.85),  # NER: skipped
            ("URL", 0, 4, 0.5),  # inside one part: that part's own scan has it
        )
    }
    out = split_findings([(), (), ()], windows, found)
    assert out == [
        [("EMAIL_ADDRESS", 5, 17, 1.0)],
        [("EMAIL_ADDRESS", 0, 8, 1.0)],
        [],
    ]
