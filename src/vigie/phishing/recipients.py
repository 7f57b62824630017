"""Who a campaign may reach: the establishment's own members, or a list it uploaded whose every
address is in a domain its members already use, so the platform can never phish outsiders.

`parse_list` checks a whole CSV file (columns email, name optional, service) and returns either
its rows or every error, each naming the file, the line and the field; nothing is stored from a
file with an error.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from vigie.core.csv_safety import safe_cell
from vigie.core.email_address import InvalidEmailAddress, ascii_domain, check_email_address
from vigie.tenancy.models import Membership, Organisation

MAX_BYTES = 1024 * 1024
MAX_ROWS = 5000
MAX_ERRORS = 50
COLUMNS = ("email", "name", "service")
FIELD_LIMITS = {"email": 254, "name": 200, "service": 200}


@dataclass(frozen=True, slots=True)
class Row:
    line: int
    email: str
    name: str
    service: str


@dataclass(frozen=True, slots=True)
class ListError:
    filename: str
    line: int  # 0: the file as a whole
    field: str
    message: str

    def __str__(self) -> str:
        if self.line:
            return _("%(file)s, line %(line)s, field “%(field)s”: %(message)s") % {
                "file": self.filename,
                "line": self.line,
                "field": self.field,
                "message": self.message,
            }
        return f"{self.filename}: {self.message}"


@dataclass(frozen=True, slots=True)
class Parsed:
    rows: list[Row]
    errors: list[ListError]


def _domain_of(address: str) -> str:
    domain = address.rpartition("@")[2]
    try:
        return ascii_domain(domain).lower()
    except InvalidEmailAddress:
        return domain.lower()


def member_domains(organisation: Organisation) -> set[str]:
    """The domains of the e-mail addresses the establishment's members use."""
    addresses = (
        Membership.objects.filter(organisation=organisation)
        .exclude(user__email="")
        .values_list("user__email", flat=True)
    )
    return {_domain_of(address) for address in addresses if "@" in address}


def parse_list(organisation: Organisation, filename: str, content: bytes) -> Parsed:
    errors: list[ListError] = []

    def fail(line: int, field: str, message: str) -> None:
        if len(errors) < MAX_ERRORS:
            errors.append(ListError(filename, line, field, message))

    if len(content) > MAX_BYTES:
        fail(0, "", _("the file is larger than 1 MiB."))
        return Parsed([], errors)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(0, "", _("the file is not UTF-8 text (byte %(at)s).") % {"at": exc.start})
        return Parsed([], errors)
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except StopIteration:
        fail(0, "", _("the file is empty."))
        return Parsed([], errors)
    except csv.Error as exc:
        fail(1, "", str(exc))
        return Parsed([], errors)
    if "email" not in header:
        fail(1, "email", _("the header has no “email” column (expected: email, name, service)."))
        return Parsed([], errors)
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        fail(1, unknown[0], _("unknown column (expected: email, name, service)."))
        return Parsed([], errors)
    domains = member_domains(organisation)
    rows: list[Row] = []
    seen: dict[str, int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(header):
                fail(line, header[-1], _("more cells than columns."))
                continue
            values = dict.fromkeys(COLUMNS, "")
            for name, cell in zip(header, cells, strict=False):
                values[name] = cell.strip()
            row_ok = True
            for name in COLUMNS:
                value = values[name]
                if len(value) > FIELD_LIMITS[name]:
                    fail(line, name, _("longer than %(n)s characters.") % {"n": FIELD_LIMITS[name]})
                    row_ok = False
                elif name != "email" and safe_cell(value) != value:
                    fail(line, name, _("starts like a spreadsheet formula (= + - @)."))
                    row_ok = False
            address = values["email"]
            if not row_ok:
                continue
            try:
                check_email_address(address)
            except InvalidEmailAddress as exc:
                fail(
                    line, "email", _("not an address we can send to (%(why)s).") % {"why": exc.code}
                )
                continue
            if _domain_of(address) not in domains:
                fail(
                    line,
                    "email",
                    _(
                        "the domain %(domain)s is not one your members use (%(allowed)s): "
                        "simulations may only reach your own staff, never outsiders."
                    )
                    % {
                        "domain": _domain_of(address),
                        "allowed": ", ".join(sorted(domains)) or _("none"),
                    },
                )
                continue
            key = address.lower()
            if key in seen:
                fail(line, "email", _("already on line %(line)s.") % {"line": seen[key]})
                continue
            seen[key] = line
            rows.append(
                Row(line=line, email=address, name=values["name"], service=values["service"])
            )
            if len(rows) > MAX_ROWS:
                fail(line, "", _("more than %(n)s recipients.") % {"n": MAX_ROWS})
                break
    except csv.Error as exc:
        fail(reader.line_num, "", str(exc))
    if not rows and not errors:
        fail(0, "", _("the file has no recipient."))
    return Parsed(rows if not errors else [], errors)
