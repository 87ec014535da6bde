"""Identifiers that only a label tells apart from other numbers: employee, student,
membership and customer numbers, national ids written after their name, and dates of
birth.

A bare "EMP-40917" or "03/11/1986" says nothing; after "employee id" or "date of
birth" it identifies a person. Both recognizers need such a label (in English,
Spanish, French, German, Russian, Chinese, Arabic or Persian) right before the value:

* ``LabelledIdRecognizer`` reports ``ID_NUMBER``: a token with at least two digits
  after an id label ("employee id EMP-40917", "Mitgliedsnummer 88231",
  "身份证号码是110101199003078515"). A Chinese resident id with a valid check digit
  (GB 11643) counts without a label.
* ``BirthDateRecognizer`` reports ``DATE_OF_BIRTH``: a date after "date of birth",
  "DOB", "born (on)", "geboren am", "né le", "fecha de nacimiento", "дата рождения",
  "出生日期" and the like. Dates alone stay ignored (``DATE_TIME`` is in
  ``ignore_types``); a birth date is personal data.

Neither type is weak: each makes a request sensitive on its own.

Example::

    LabelledIdRecognizer().analyze("my employee id is EMP-40917", ["ID_NUMBER"])
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from edge_router.privacy.numbers import RegexRecognizer

_ID_LABEL = (
    r"(?:employee|staff|student|member(?:ship)?|customer|client|patient|badge|personnel|"
    r"payroll|matriculation|account\s+holder|loyalty|library|insurance|policy|case|account|acct)"
    r"[ \t]*(?:id|no\.?|number|num|#|code)|"
    r"(?:account|acct)(?=[ \t]+[A-Za-z]{2,5}-?\d{4,})|"  # "account ACC-7730192"
    r"emp(?:loyee)?[ \t]*id|national[ \t]+id(?:[ \t]+(?:number|no\.?))?|id[ \t]+(?:number|no\.?)|"
    r"ni[ \t]+(?:number|no\.?)|national[ \t]+insurance(?:[ \t]+(?:number|no\.?))?|"
    r"(?-i:SIN)|social[ \t]+insurance(?:[ \t]+(?:number|no\.?))?|"  # Canada's SIN
    r"passport[ \t]*(?:number|no\.?|#)?|tax[ \t]*(?:id|number|code)|"
    r"dni|nie|nif|n[úu]mero[ \t]+de[ \t]+(?:empleado|socio|cliente|pasaporte|afiliaci[óo]n)|"
    r"matricule|(?:num[ée]ro|n°)[ \t]+(?:d['’]employ[ée]|de[ \t]+s[ée]curit[ée][ \t]+sociale|"
    r"client|d['’]adh[ée]rent|de[ \t]+passeport)|"
    r"personal(?:nummer|ausweisnummer)|mitglieds(?:nummer|nr\.?)|kunden(?:nummer|nr\.?)|"
    r"steuer-?id|sozialversicherungsnummer|"
    r"табельный[ \t]+номер|номер[ \t]+паспорта|паспорт|снилс|инн|полис(?:[ \t]+омс)?|"
    r"номер[ \t]+полиса|bahncard(?:-?(?:nr\.?|nummer))?|versicherten(?:nummer|nr\.?)|"
    # a card or pass with its brand, then a number sign: "carte Avantage n°", "Karte Nr."
    r"(?:carte|tarjeta|karte|card|pass)(?:[ \t]+[^\W\d_]+){0,2}[ \t]+"
    r"(?:n[°º]|no\.|num[ée]ro|número|nr\.?|nummer|number|№)|"
    r"身份证(?:号码|号)?|工号|学号|护照号(?:码)?|会员号|员工编号|"
    r"رقم[ \t]+(?:الهوية|الموظف|العضوية|العميل|الحساب|جواز[ \t]+السفر)|"
    r"کد[ \t]+ملی|شماره[ \t]+(?:ملی|پرسنلی)"
)
# As a JSON, YAML or SQL key too: '"customer_id": "BLB-00482915"', "табельный_номер".
_ID_KEY = _ID_LABEL.replace(r"[ \t]", r"[ \t_]")
_LABELLED = re.compile(
    r"(?:(?<![\w])|(?<=[\u3400-\u9fff]))(?:" + _ID_KEY + r")"
    r"[\"']?[ \t]*(?:is|was|:|=|-|是|为|：|من)?[ \t]*[\"'(]?[#№]?[ \t]*"
    # a value written in spaced pairs as on the card ("QQ 12 34 56 C"), in spaced groups
    # of digits ("57 549 285 017", "2 91 02 75 114 023 45"), in Persian or Arabic digits
    # ("۰۰۱۲۳۴۵۶۷۸"), or in one piece
    r"([A-Z]{1,2}(?:[ \t]?\d{2}){3,4}(?:[ \t]?[A-D])?|\d{1,4}(?:[ \t]\d{1,4}){2,7}|"
    r"[۰-۹٠-٩]{6,16}|[A-Za-z0-9][A-Za-z0-9/-]{2,30}[A-Za-z0-9])"
    r"(?![\w-])",
    re.IGNORECASE,
)
# A Chinese resident id: 6-digit region, birth date, sequence, check digit (GB 11643).
_CN_ID = re.compile(r"(?<!\d)(\d{6}(?:19|20)\d{2}(?:0[1-9]|1[0-2])\d{2}\d{3}[\dXx])(?!\d)")
_CN_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CN_CHECK = "10X98765432"

_DOB_LABEL = re.compile(
    r"(?:\b(?:date[ \t_]+of[ \t_]+birth|d\.?o\.?b\.?|birth[ \t_]*date|birthday|born(?:[ \t]+on)?|"
    r"geburtsdatum|geboren(?:[ \t]+am)?|geb\.|né(?:e)?[ \t]+le|date[ \t_]+de[ \t_]+naissance|"
    r"fecha[ \t_]+de[ \t_]+nacimiento|nacid[oa][ \t]+el|дата[ \t_]+рождения|родил(?:ся|ась))"
    # As a JSON or YAML key too: '"dob": "1991-07-22"', "birth_date=1990-01-02".
    r"|出生日期|生日|تاريخ[ \t]+الميلاد|تاریخ[ \t]+تولد)"
    r"[\"']?[ \t]*(?:is|was|:|：|-|=|是)?[ \t]*[\"']?",
    re.IGNORECASE,
)
_MONTHS = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?|"
    # French, Spanish and German months ("née le 3 mars 1991", "12 de marzo de 1990")
    r"janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|octobre|"
    r"novembre|décembre|decembre|enero|febrero|marzo|abril|mayo|junio|julio|agosto|"
    r"septiembre|octubre|noviembre|diciembre|januar|februar|märz|juni|juli|oktober|"
    r"dezember)\.?"
)
_DATE = re.compile(
    r"\d{1,2}[./-]\d{1,2}[./-](?:19|20)?\d{2}|(?:19|20)\d{2}[./-]\d{1,2}[./-]\d{1,2}|"
    r"\d{1,2}(?:st|nd|rd|th|er|\.)?[ \t]+(?:de[ \t]+)?"
    + _MONTHS
    + r",?[ \t]+(?:de[ \t]+)?(?:19|20)\d{2}|"
    r"" + _MONTHS + r"[ \t]+\d{1,2}(?:st|nd|rd|th)?,?[ \t]+(?:19|20)\d{2}|"
    r"(?:19|20)\d{2}年\d{1,2}月\d{1,2}日",
    re.IGNORECASE,
)


_BORN_AFTER = re.compile(r"[ \t]*(?:г\.[ \t]?р\.|года[ \t]+рождения)", re.IGNORECASE)


# A code in brackets or after a comma after the person a record line names: "Employee:
# Dana Whitfield (EMP-20931)", "Patient: K. Osei (MRN 4471902)", "Employee: X, EMP-20931".
_ROLE_CODE = re.compile(
    r"\b(?:employee|staff|student|patient|member|customer|client|pupil|tenant)[ \t]*:[ \t]*"
    r"[^\n(:,]{2,40}(?:\((?:(?:id|no\.?|mrn|#)[ \t]*:?[ \t]*)?([A-Z]{1,5}[- ]?\d{3,}|\d{4,})\)|"
    r",[ \t]*([A-Z]{1,5}-\d{3,}|\d{5,})(?=[,;.\s]))",
    re.IGNORECASE,
)


class LabelledIdRecognizer(RegexRecognizer):
    """``ID_NUMBER``: a value with digits after an id label; see module docstring."""

    ENTITY = "ID_NUMBER"

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        if not any(c.isdigit() for c in text):
            return
        found: dict[tuple[int, int], float] = {}
        for match in _LABELLED.finditer(text):
            if sum(c.isdigit() for c in match.group(1)) >= 2:
                found[match.span(1)] = 0.7
        for match in _ROLE_CODE.finditer(text):
            found[match.span(1 if match.group(1) else 2)] = 0.7
        for match in _CN_ID.finditer(text):
            if _cn_id_valid(match.group(1)):
                found[match.span(1)] = 0.9
        for (start, end), score in found.items():
            yield start, end, score


class BirthDateRecognizer(RegexRecognizer):
    """``DATE_OF_BIRTH``: a date right after a birth-date label, or right before the
    Russian "г.р." / "года рождения" ("12.09.1956 г.р.")."""

    ENTITY = "DATE_OF_BIRTH"

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        if not any(c.isdigit() for c in text):
            return
        for label in _DOB_LABEL.finditer(text):
            date = _DATE.match(text, label.end())
            if date is not None:
                yield date.start(), date.end(), 0.8
        for date in _DATE.finditer(text):
            if _BORN_AFTER.match(text, date.end()):
                yield date.start(), date.end(), 0.8


def _cn_id_valid(value: str) -> bool:
    total = sum(int(d) * w for d, w in zip(value[:17], _CN_WEIGHTS, strict=True))
    return _CN_CHECK[total % 11] == value[17].upper()
