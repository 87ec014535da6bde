"""People in pasted records: a table's name, username or phone column, a record's name key.

Exports from a CRM, a class list or a database ("id,name,phone,city" and one row per
customer) name people with nothing around them that NER or the cues can use: "1042,Nnamdi
Eze,+234 803 555 0142,Enugu". The header says which column holds names, so every
non-empty cell of that column below it is a ``PERSON``:

* a header is a line of two or more cells split by one delimiter (comma, tab, pipe or
  semicolon), one of which is a person's name label (``_NAME_HEADERS``: "name",
  "full_name", "Customer Name", "Nachname", "имя", ...);
* the rows are the lines after it with at least as many cells (a Markdown or psql rule
  line "|---|---|" is skipped), up to the first line that has fewer: the table ended;
* a cell is taken only when it holds letters and no digit or "@" (an id or e-mail that
  landed in the column is left to its own recognizer), without its quotes.

A record's name key does the same for its value ('"last_name": "Adeyemi-Hart"', a YAML
"vorname: Jörg", ``first_name="Nikolai"``); "name" alone needs a person's key (email,
phone, dob...) in the same record. Framing then judges each name like any other: a
table of laureates or authors stays public where its cues say so.

An SQL ``INSERT``'s column list names its values the same way: each quoted value under
a name, username, phone or birth-date column is read like that column's cell.

``ColumnUsernameRecognizer`` reads a username column ("username", "login", "логин"):
each one-word cell that can be a person's account (not "root", "anonymous",
"team-platform") is a ``USERNAME``. ``ColumnPhoneRecognizer`` reads a phone column: a
cell of 7 to 15 digits is a ``PHONE_NUMBER`` even where it is glued to the next cell
(",+44 7700 900123,2024-05-02" reads as a list of numbers to the phone recognizers);
``ColumnBirthDateRecognizer`` reads a birth-date column ("dob"): a date cell is a
``DATE_OF_BIRTH``.

Example::

    ColumnNameRecognizer().analyze("id,name\\n1,Nnamdi Eze", ["PERSON"])  # "Nnamdi Eze"
    ColumnUsernameRecognizer().analyze("id | username\\n1 | gkaradimas", ["USERNAME"])
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from edge_router.privacy.handles import personal_account
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
# Header cells of a username column.
_USER_HEADERS = frozenset(
    {"username", "user", "login", "loginname", "userlogin", "handle", "screenname",
     "nickname", "accountname", "githubuser", "slackhandle", "benutzername",
     "nomdutilisateur", "usuario", "nombredeusuario", "логин", "пользователь", "用户名",
     "账号", "نامکاربری", "اسمالمستخدم"}
)  # fmt: skip
_ACCOUNT = re.compile(r"@?[\w.+-]{2,40}")
# Header cells of a phone column.
_PHONE_HEADERS = frozenset(
    {"phone", "phonenumber", "tel", "telephone", "mobile", "mobilephone", "cell", "cellphone",
     "mobil", "telefon", "telefono", "teléfono", "téléphone", "portable", "handy", "celular",
     "whatsapp", "телефон", "мобильный", "电话", "手机", "تلفن", "موبایل", "هاتف", "جوال"}
)  # fmt: skip
_PHONE = re.compile(r"\+?[\d ().-]{7,24}")
# Keys of a record (JSON, a dict, YAML, kwargs) that hold a person's name; "name" alone
# needs a key about a person in the same record (a service's manifest has "name" too).
_NAME_KEYS = frozenset(
    {label for label in _NAME_HEADERS if "name" in label}
    | {"nom", "prénom", "prenom", "nombre", "apellido", "apellidos", "vorname", "nachname",
       "имя", "фамилия", "отчество", "фио", "姓名", "名字", "الاسم", "نام"}
)  # fmt: skip
_KEYED = re.compile(
    r"[\"']([^\"'\n]{1,30})[\"'][ \t]*[:=][ \t]*([\"'])([^\"'\n]{1,80})\2"  # "key": "v"
    r"|\b([^\W\d][\w]{0,29})=([\"'])([^\"'\n]{1,80})\5"  # key="v"
    r"|^[ \t]*(?:-[ \t]+)?([^\W\d][\w -]{0,29}):[ \t]+([^\s\"'{\[#|>&*][^\n#]{0,60}?)[ \t]*$",
    re.MULTILINE,
)
# Words a test fixture's name is made of.
_STAND_IN_NAMES = frozenset(
    {"test", "testing", "tester", "user", "demo", "sample", "example", "dummy", "fake", "foo",
     "bar", "baz", "placeholder", "anonymous", "unknown", "name", "first", "last", "your",
     "account", "customer", "client", "guest", "admin", "none", "null", "n/a", "-"}
)  # fmt: skip
# Header cells of a birth-date column, and a cell written as a date.
_BIRTH_HEADERS = frozenset(
    {"dob", "dateofbirth", "birthdate", "birthday", "born", "geburtsdatum", "geburtstag",
     "fechadenacimiento", "datedenaissance", "датарождения", "出生日期", "生日",
     "تاريخالميلاد", "تاریختولد"}
)  # fmt: skip
_DATE_CELL = re.compile(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}")
# Header cells of a column of one person's identifiers (not a row's bare "id").
_ID_HEADERS = frozenset(
    {"memberid", "memberno", "membershipno", "membershipnumber", "membernumber", "customerid",
     "customerno", "customernumber", "clientid", "employeeid", "employeeno", "staffid",
     "studentid", "patientid", "mrn", "nhsnumber", "ssn", "nationalid", "passportno",
     "passportnumber", "mitgliedsnr.", "mitgliedsnr", "mitgliedsnummer", "kundennr.",
     "kundennr", "kundennummer", "personalnummer", "versichertennummer", "dni", "nie", "nif",
     "númerodesocio", "numerodesocio", "n°adhérent", "numéroadhérent", "numérodeclient",
     "табельныйномер", "номерполиса", "полисомс", "снилс", "инн", "员工编号", "工号",
     "学号", "会员号", "身份证号"}
)  # fmt: skip
_ID_CELL = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ./-]{1,28}[A-Za-z0-9]")
# A table's columns about its people's lives: with one of these, "name" is a person's.
_PERSON_COLUMNS = (
    _PERSON_COLUMNS
    | _PHONE_HEADERS
    | _BIRTH_HEADERS
    | _ID_HEADERS
    | {"anschrift", "wohnort", "direccion", "dirección", "domicilio", "adresa", "адрес"}
)
# An SQL INSERT's column list, then its rows and their cells (a quoted string or a bare
# token: a number, NULL, a function call without commas).
_INSERT = re.compile(
    r"\binsert[ \t]+into[ \t]+[\w.\"`\[\]]+[ \t]*\(([^()]{1,600})\)[ \t\r\n]*values[ \t\r\n]*",
    re.IGNORECASE,
)
_SQL_ROW = re.compile(r"\(((?:'(?:[^'\n]|'')*'|[^()'\n])*)\)")
_SQL_CELL = re.compile(r"[ \t]*(?:'((?:[^'\n]|'')*)'|[^,]*)[ \t]*(?:,|$)")
_TEMPLATE = re.compile(r"[{}<>$%\[\]]")
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
    HEADERS = _NAME_HEADERS
    KEYS = _NAME_KEYS  # a record's keys whose values are read too

    def _find(self, text: str) -> Iterator[tuple[int, int, float]]:
        yield from self._keyed(text)
        if "insert" in text.lower():
            for label, start, end in _sql_values(text):
                if label in self.HEADERS and self._value(text, start, end) is not None:
                    yield start, end, 0.6
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
                        span = self._value(lines[i], *cells[column])
                        if span is not None:
                            yield offsets[i] + span[0], offsets[i] + span[1], 0.6
                i += 1

    def _keyed(self, text: str) -> Iterator[tuple[int, int, float]]:
        """Names under a record's name key: '"last_name": "Adeyemi-Hart"', "vorname: Jörg"."""
        if not self.KEYS or (":" not in text and "=" not in text):
            return
        for match in _KEYED.finditer(text):
            group = next(g for g in (1, 4, 7) if match.group(g) is not None)
            label = _label(match.group(group))
            if label not in self.KEYS:
                continue
            start, end = match.span(group + (2 if group < 7 else 1))
            if _TEMPLATE.search(text, start, end) or self._value(text, start, end) is None:
                continue
            if label == "name":
                near = text[max(0, match.start() - 300) : match.end() + 300]
                keys = {_label(m.group(g)) for m in _KEYED.finditer(near) for g in (1, 4, 7)
                        if m.group(g)}  # fmt: skip
                if keys.isdisjoint(_PERSON_COLUMNS):
                    continue
            yield start, end, 0.6

    def _header(self, line: str) -> tuple[str, int, list[int]] | None:
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
            columns = [k for k, label in enumerate(labels) if label in self.HEADERS]
            if [labels[k] for k in columns] == ["name"] and _PERSON_COLUMNS.isdisjoint(labels):
                continue  # "name,price": products
            if columns:
                return delimiter, len(cells), columns
        return None

    @staticmethod
    def _value(line: str, start: int, end: int) -> tuple[int, int] | None:
        """The cell's text without padding and quotes, when it can be a name."""
        start, end = _unquoted(line, start, end)
        cell = line[start:end]
        if not any(c.isalpha() for c in cell) or any(c.isdigit() or c == "@" for c in cell):
            return None
        if set(cell.lower().split()) <= _STAND_IN_NAMES:
            return None  # "Test User", "Demo": a fixture's, nobody's
        return start, end


class ColumnUsernameRecognizer(ColumnNameRecognizer):
    """``USERNAME`` cells under a username header in a delimited table."""

    ENTITY = "USERNAME"
    HEADERS = _USER_HEADERS
    KEYS: frozenset[str] = frozenset()  # handles.py reads username keys

    @staticmethod
    def _value(line: str, start: int, end: int) -> tuple[int, int] | None:
        """One token that can be a person's account ("gkaradimas", "amelie_roux")."""
        start, end = _unquoted(line, start, end)
        cell = line[start:end]
        if not _ACCOUNT.fullmatch(cell) or not any(c.isalpha() for c in cell):
            return None
        return (start, end) if personal_account(cell.lstrip("@")) else None


class ColumnPhoneRecognizer(ColumnNameRecognizer):
    """``PHONE_NUMBER`` cells under a phone header in a delimited table."""

    ENTITY = "PHONE_NUMBER"
    HEADERS = _PHONE_HEADERS
    KEYS: frozenset[str] = frozenset()  # a phone under a key has its own recognizers

    @staticmethod
    def _value(line: str, start: int, end: int) -> tuple[int, int] | None:
        """A cell of phone characters with 7 to 15 digits ("+44 7700 900123")."""
        start, end = _unquoted(line, start, end)
        digits = sum(c.isdigit() for c in line[start:end])
        return (start, end) if _PHONE.fullmatch(line[start:end]) and 7 <= digits <= 15 else None


class ColumnBirthDateRecognizer(ColumnNameRecognizer):
    """``DATE_OF_BIRTH`` cells under a birth-date header ("dob", "birth_date")."""

    ENTITY = "DATE_OF_BIRTH"
    HEADERS = _BIRTH_HEADERS
    KEYS: frozenset[str] = frozenset()  # ids.py reads birth-date keys

    @staticmethod
    def _value(line: str, start: int, end: int) -> tuple[int, int] | None:
        """A cell written as a date ("1987-04-03", "03/04/1987")."""
        start, end = _unquoted(line, start, end)
        return (start, end) if _DATE_CELL.fullmatch(line[start:end]) else None


class ColumnIdRecognizer(ColumnNameRecognizer):
    """``ID_NUMBER`` cells under a member, customer, staff or patient number header."""

    ENTITY = "ID_NUMBER"
    HEADERS = _ID_HEADERS
    KEYS: frozenset[str] = frozenset()  # ids.py reads labelled ids in records

    @staticmethod
    def _value(line: str, start: int, end: int) -> tuple[int, int] | None:
        """A code with two digits or more ("M-20455", "EMP 00912")."""
        start, end = _unquoted(line, start, end)
        cell = line[start:end]
        digits = sum(c.isdigit() for c in cell)
        return (start, end) if _ID_CELL.fullmatch(cell) and digits >= 2 else None


def _sql_values(text: str) -> Iterator[tuple[str, int, int]]:
    """(column label, start, end) of each quoted value of an ``INSERT ... (columns)
    VALUES (...), (...)`` statement: the column list says what each value is."""
    for statement in _INSERT.finditer(text):
        labels = [_label(c) for c in statement.group(1).split(",")]
        last = statement.end()
        for row in _SQL_ROW.finditer(text, last):
            if text[last : row.start()].strip(" \t\r\n,"):
                break  # the statement ended
            cells = [m for m in _SQL_CELL.finditer(row.group(1)) if m.group(0).strip()]
            for label, cell in zip(labels, cells, strict=False):
                if cell.group(1) is not None:  # a quoted value
                    offset = row.start(1)
                    yield label, offset + cell.start(1), offset + cell.end(1)
            last = row.end()


def _unquoted(line: str, start: int, end: int) -> tuple[int, int]:
    while start < end and line[start] in _QUOTES:
        start += 1
    while end > start and line[end - 1] in _QUOTES:
        end -= 1
    return start, end
