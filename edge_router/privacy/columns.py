"""People in a pasted table's name column: CSV, TSV, pipe (Markdown) and semicolon tables.

Exports from a CRM, a class list or a database ("id,name,phone,city" and one row per
customer) name people with nothing around them that NER or the cues can use: "1042,Nnamdi
Eze,+234 803 555 0142,Enugu". The header says which column holds names, so every
non-empty cell of that column below it is a ``PERSON``:

* a header is a line of two or more cells split by one delimiter (comma, tab, pipe or
  semicolon), one of which is a person's name label (``_NAME_HEADERS``: "name",
  "full_name", "Customer Name", "Nachname", "имя", ...);
* the rows are the lines after it with at least as many cells (a Markdown rule line
  "|---|---|" is skipped), up to the first line that has fewer: the table ended;
* a cell is taken only when it holds letters and no digit or "@" (an id or e-mail that
  landed in the column is left to its own recognizer), without its quotes.

Framing then judges each name like any other: a table of laureates or authors stays
public where its cues say so.

Example::

    ColumnNameRecognizer().analyze("id,name\\n1,Nnamdi Eze", ["PERSON"])  # "Nnamdi Eze"
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from edge_router.privacy.numbers import RegexRecognizer

_DELIMITERS = (",", "\t", "|", ";")
# Header cells naming a person's column, compared lower-cased with "_", "-" and spaces
# dropped ("Full Name", "full_name", "first-name" are one label).
_NAME_HEADERS = frozenset(
    {"name", "fullname", "firstname", "lastname", "givenname", "familyname", "surname",
     "middlename", "customer", "customername", "client", "clientname", "employee",
     "employeename", "contact", "contactname", "patient", "patientname", "student",
     "studentname", "member", "membername", "guest", "guestname", "attendee", "person",
     "staff", "candidate", "applicant", "tenant", "owner", "assignee", "reporter",
     "nom", "prénom", "prenom", "nomcomplet", "nombre", "apellido", "apellidos",
     "nombrecompleto", "vorname", "nachname", "kunde", "mitarbeiter", "имя", "фамилия",
     "фио", "姓名", "名字", "姓", "名", "الاسم", "نام", "نامخانوادگی"}
)  # fmt: skip
# "name" alone may be a product's or a file's: it needs a column about a person beside it.
_PERSON_COLUMNS = frozenset(
    {"email", "mail", "emailaddress", "phone", "phonenumber", "tel", "mobile", "city",
     "address", "dob", "dateofbirth", "birthday", "birthdate", "age", "gender", "sex",
     "department", "dept", "role", "jobtitle", "team", "salary", "manager", "grade",
     "class", "ward", "nationality", "country", "ville", "ciudad", "telefono", "téléphone",
     "telefon", "adresse", "stadt", "alter", "город", "телефон"}
)  # fmt: skip
_SQUEEZE = re.compile(r"[\s_-]+")
_RULE = re.compile(r"^[\s|:+-]+$")
_QUOTES = "\"'` "


def _label(cell: str) -> str:
    return _SQUEEZE.sub("", cell.strip().strip(_QUOTES).lower())


def _cells(line: str, delimiter: str) -> list[tuple[int, int]]:
    """(start, end) of each cell of ``line``; a pipe table's outer pipes open no cell."""
    bounds = []
    start = 0
    for i, char in enumerate(line + delimiter):
        if char == delimiter:
            bounds.append((start, i))
            start = i + 1
    if delimiter == "|" and line.strip().startswith("|"):
        bounds = bounds[1:]
    if delimiter == "|" and line.strip().endswith("|"):
        bounds = bounds[:-1]
    return bounds


class ColumnNameRecognizer(RegexRecognizer):
    """``PERSON`` cells under a name header in a delimited table."""

    ENTITY = "PERSON"

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        if "\n" not in text or not any(d in text for d in _DELIMITERS):
            return
        lines = text.split("\n")
        offsets = [0]
        for line in lines[:-1]:
            offsets.append(offsets[-1] + len(line) + 1)
        i = 0
        while i < len(lines):
            found = self._header(lines[i])
            if found is None:
                i += 1
                continue
            delimiter, width, columns = found
            i += 1
            while i < len(lines) and (
                _RULE.match(lines[i]) or len(_cells(lines[i], delimiter)) >= width
            ):
                if not _RULE.match(lines[i]):
                    cells = _cells(lines[i], delimiter)
                    for column in columns:
                        span = _value(lines[i], *cells[column])
                        if span is not None:
                            yield offsets[i] + span[0], offsets[i] + span[1], 0.6
                i += 1

    @staticmethod
    def _header(line: str) -> tuple[str, int, list[int]] | None:
        """(delimiter, cell count, name columns) when ``line`` is a table's header."""
        for delimiter in _DELIMITERS:
            if delimiter not in line:
                continue
            cells = _cells(line, delimiter)
            if len(cells) < 2:
                continue
            labels = [_label(line[s:e]) for s, e in cells]
            if any(len(label) > 30 for label in labels):
                continue  # prose with commas, not a header row
            columns = [k for k, label in enumerate(labels) if label in _NAME_HEADERS]
            if [labels[k] for k in columns] == ["name"] and _PERSON_COLUMNS.isdisjoint(labels):
                continue  # "name,price": products
            if columns:
                return delimiter, len(cells), columns
        return None


def _value(line: str, start: int, end: int) -> tuple[int, int] | None:
    """The cell's text without padding and quotes, when it can be a name."""
    while start < end and line[start] in _QUOTES:
        start += 1
    while end > start and line[end - 1] in _QUOTES:
        end -= 1
    cell = line[start:end]
    if not any(c.isalpha() for c in cell) or any(c.isdigit() or c == "@" for c in cell):
        return None
    return start, end
