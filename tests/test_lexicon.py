"""Ordinary words of Spanish, French, German and Russian (issue 12): how the list is
built, how it is read, and what the scanner does with it. Unit tests use small
hand-made inputs; the last group reads the real list that install.sh builds from the
registry packages, through real scanners with and without it."""

from __future__ import annotations

import numpy as np
import pytest
from privacy_fixtures import (  # noqa: F401 - pytest fixture
    assert_found_and_redacted,
    check_pinned_data,
    scanner,
)

from edge_router.privacy.lexicon import Lexicon, load_lexicon
from edge_router.privacy.lexicon_build import listed_names, words_of
from edge_router.privacy.notables import Notables, key
from edge_router.privacy.scanner import PrivacyScanner
from edge_router.privacy.settings import ScannerSettings
from edge_router.privacy.types import TextField

# ---- build rules ----------------------------------------------------------------------

FIRST = {"rosa": {"ES": 7}, "masha": {"RU": 200}, "маша": {"RU": 117}, "emma": {"GB": 10}}
LAST = {
    "moreno": {"ES": 9},
    "cita": {"ES": 1138},
    "fecha": {"ES": 3953},
    "salas": {"ES": 182, "MX": 90, "PE": 56},
    "reformas": {"ES": 1946},
}


def test_dictionary_forms_are_words() -> None:
    words = words_of({"Fecha": "fecha", "fechas": "fecha", "clienta": "cliente"}, "es", {}, {})
    assert words == {"fecha", "fechas", "clienta"}


def test_a_form_ranked_as_a_common_name_anywhere_is_left_off() -> None:
    # "Rosa" 7th, "Moreno" 9th in Spain; "Emma" ranks in Britain only (no German ranks).
    words = words_of({"rosa": "rosa", "moreno": "moreno", "Emma": "Emma"}, "es", FIRST, LAST)
    assert words == set()
    assert words_of({"emma": "emma"}, "de", FIRST, LAST) == set()


def test_a_rare_rank_does_not_make_a_word_a_name() -> None:
    # Ranked, but below the 2,000 commonest: the data set ranks almost any word somewhere.
    assert words_of({"fecha": "fecha"}, "es", FIRST, LAST) == {"fecha"}


def test_a_middling_rank_counts_in_two_countries_only() -> None:
    # "Salas" ranks 56th-182nd in three countries: a name; "Reformas" ranks 1,946th in
    # Spain alone (profile data has words as names now and then), "Cita" 1,138th: words.
    words = words_of({"salas": "sala", "reformas": "reforma", "cita": "cita"}, "es", FIRST, LAST)
    assert words == {"reformas", "cita"}


def test_a_form_whose_lemma_is_a_common_name_is_left_off() -> None:
    assert words_of({"rosas": "rosa"}, "es", FIRST, LAST) == set()


def test_a_russian_form_of_a_common_name_is_left_off() -> None:
    # "маши" is a form of махать, and the genitive of Маша.
    assert words_of({"маши": "махать", "коляска": "коляска"}, "ru", FIRST, LAST) == {"коляска"}


def test_the_language_own_name_lists_are_left_off() -> None:
    # German names have no ranks in names-dataset: mimesis' German lists keep them.
    listed = listed_names("de")
    assert {"fuchs", "sommer"} <= listed
    assert words_of({"Fuchs": "Fuchs", "Anschrift": "Anschrift"}, "de", {}, {}) == {"anschrift"}


# ---- the lexicon ----------------------------------------------------------------------


def _lexicon(*entries: tuple[str, str]) -> Lexicon:
    keys = np.array(sorted({key([lang, w]) for lang, w in entries}), dtype=np.uint64)
    return Lexicon(Notables(keys))


WORDS = _lexicon(("es", "fecha"), ("es", "clienta"), ("ru", "белинский"), ("ru", "коляска"))


def _ordinary(text: str, span: str, lang: str) -> bool:
    at = text.index(span)
    return WORDS.ordinary(text, at, at + len(span), lang)


def test_words_of_the_text_language_are_ordinary() -> None:
    assert _ordinary("columnas Fecha (A), Clienta (B)", "Fecha", "es")
    assert _ordinary("columnas Fecha (A), Clienta (B)", "Clienta", "es")


def test_every_word_must_be_on_the_list() -> None:
    assert not _ordinary("la Fecha Ortiz", "Fecha Ortiz", "es")


def test_only_the_text_language_counts() -> None:
    assert not _ordinary("columns Fecha (A)", "Fecha", "en")
    assert not _ordinary("columnes Fecha (A)", "Fecha", "fr")


def test_a_title_or_a_greeting_before_a_capital_makes_a_name() -> None:
    assert not _ordinary("la Sra. Fecha llamó", "Fecha", "es")
    assert not _ordinary("Hola Fecha, ¿qué tal?", "Fecha", "es")
    assert _ordinary('"добрый вечер, коляска ещё продаётся?"', "коляска", "cyrillic")


def test_a_russian_capital_of_a_family_name_shape_stays_a_name() -> None:
    assert not _ordinary("мы с Белинский говорили", "Белинский", "cyrillic")


def test_a_missing_list_is_off() -> None:
    assert load_lexicon(None) is None
    assert load_lexicon("models/no-such-words.u64") is None


# ---- the real list (built by install.sh) ------------------------------------------------


@pytest.fixture(scope="module")
def real() -> Lexicon:
    check_pinned_data("foreign-words")
    lexicon = load_lexicon(ScannerSettings().foreign_words)
    assert lexicon is not None
    return lexicon


@pytest.mark.parametrize(
    ("word", "lang"),
    [("Fecha", "es"), ("clienta", "es"), ("Anschrift", "de"), ("urgence", "fr"),
     ("Покупатель", "ru"), ("коляска", "ru")],
)  # fmt: skip
def test_real_words_are_listed(real: Lexicon, word: str, lang: str) -> None:
    assert real.is_word(word, lang)


@pytest.mark.parametrize(
    ("word", "lang"),
    [("Rosa", "es"), ("Pilar", "es"), ("Moreno", "es"), ("Fuchs", "de"), ("Emma", "de"),
     ("Sommer", "de"), ("Pierre", "fr"), ("Вера", "ru"), ("Маши", "ru"), ("Ольга", "ru")],
)  # fmt: skip
def test_real_common_names_that_are_words_are_not_listed(
    real: Lexicon, word: str, lang: str
) -> None:
    assert not real.is_word(word, lang)


@pytest.fixture(scope="module")
def without_list() -> PrivacyScanner:
    return PrivacyScanner(ScannerSettings(foreign_words=None))


@pytest.mark.parametrize(
    "text",
    [
        "tengo una hoja de reservas con columnas Fecha (A), Clienta (B) y Servicio (C), "
        "¿qué fórmula cuenta las reservas de marzo?",
        "Revisa esta ficha antes de imprimirla:\nPaciente: ________\nMotivo: revisión "
        "anual\nTraer: cartilla de vacunación",
        'помоги ответить: пишут "добрый вечер, коляска ещё продаётся? могу приехать в субботу"',
    ],
)
def test_forms_and_chats_of_ordinary_words_are_not_people(
    real: Lexicon,
    scanner: PrivacyScanner,  # noqa: F811
    without_list: PrivacyScanner,
    text: str,
) -> None:
    # Without the list the same text is flagged: the list is what clears it.
    assert without_list.scan([TextField("t", text)]).sensitive
    result = scanner.scan([TextField("t", text)])
    assert not result.sensitive, [text[e.start : e.end] for e in result.entities]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("dile a Pilar que la cita es el martes a las diez", "Pilar"),
        ("el Sr. Herrero no ha pagado la factura de marzo", "Herrero"),
        ("hola Paloma, te escribo por lo del piso", "Paloma"),
        ("Привет, Вера! Завтра встречаемся у метро?", "Вера"),
        ("мы с Белинским договорились на вторник, он привезёт документы", "Белинским"),
    ],
)
def test_names_that_are_words_stay_people(
    real: Lexicon,
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    name: str,
) -> None:
    result = scanner.scan([TextField("t", text)])
    assert result.sensitive
    assert any(name in text[e.start : e.end] for e in result.entities if e.type == "PERSON")


# ---- cues met in the same batch: who writes after a greeting, a relative's name -------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("réponds pour moi: « Bonjour à tous, c'est Sandrine, qui peut garder le chat ? »",
         "Sandrine"),
        ("reply to this: hi all, it's Sandrine, can someone take the kids to judo?",
         "Sandrine"),
        ("Hallo zusammen, hier ist Jana aus der 2b, wer bringt Kuchen mit?", "Jana"),
        ("перешли маме: «вот рецепт пирога от тёти Любы, печь 40 минут»", "Любы"),
        ("напиши дяде Вове, что мы приедем в субботу", "Вове"),
        ("帮我给羽毛球队队长韩思远发个消息，说训练改到周日", "韩思远"),
    ],
)  # fmt: skip
def test_greeted_self_introductions_and_relatives_are_people(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    name: str,
) -> None:
    assert_found_and_redacted(scanner, text, name, "PERSON")


@pytest.mark.parametrize(
    "text",
    ["hi all, it's Thursday again, so here is the weekly update on the build",
     "Bonjour à tous, c'est parti pour la rentrée : voici le programme",
     "вот рецепт пирога от тёти из журнала, печь 40 минут"],
)  # fmt: skip
def test_greetings_before_things_are_no_people(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
) -> None:
    result = scanner.scan([TextField("t", text)])
    assert not any(e.type == "PERSON" for e in result.entities), result.entities


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ("присутствовали Гончаренко В.С. (кв. 4) и председатель", "Гончаренко В.С.", "PERSON"),
        ("подписали: А.Д. Шуваева, бухгалтер", "А.Д. Шуваева", "PERSON"),
        ("пациент 03.11.1948 г.р., жалобы на давление", "03.11.1948", "DATE_OF_BIRTH"),
        ("полис ОМС 1234 5678 9012 3456, прикреплён к поликлинике", "1234 5678 9012 3456",
         "ID_NUMBER"),
        ("Reklamation schreiben, BahnCard-Nr. 7081 4101 9999 0000, ICE 578", "7081 4101 9999 0000",
         "ID_NUMBER"),
        ("écris à la SNCF, carte Avantage n° 29090109001234, train de 8h", "29090109001234",
         "ID_NUMBER"),
    ],
)  # fmt: skip
def test_document_names_and_numbers_of_the_same_batch(
    scanner: PrivacyScanner,  # noqa: F811
    text: str,
    value: str,
    kind: str,
) -> None:
    assert_found_and_redacted(scanner, text, value, kind)


def test_a_member_sheet_in_german_is_read_as_a_table(
    scanner: PrivacyScanner,  # noqa: F811
) -> None:
    # Its other columns (address, birth date, member number) say "Name" is a person's.
    text = (
        "sortier die Liste nach Geburtsdatum:\nName | Anschrift | Geburtsdatum | Mitgliedsnr.\n"
        "Brenner, Jutta | Hauptstr. 4, 50667 Köln | 03.04.1975 | M-31877\n"
        "Ostrowski, Malte | Am Ring 9, 50321 Brühl | 19.11.1982 | M-31902"
    )
    result = scanner.scan([TextField("t", text)])
    found = {(e.type, text[e.start : e.end]) for e in result.entities}
    assert ("PERSON", "Brenner, Jutta") in found and ("PERSON", "Ostrowski, Malte") in found
    assert ("ID_NUMBER", "M-31877") in found and ("ID_NUMBER", "M-31902") in found
