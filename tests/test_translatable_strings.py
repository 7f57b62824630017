"""Every string a person reads is translatable, and a French page shows no English (and back).

tests/test_translations.py checks the catalogue; these tests check that nothing bypasses it:
literal text in templates, English left on a rendered French page, and user-facing literals in
Python code that are not wrapped in gettext.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import polib
import pytest
from django.template.base import Lexer, TokenType

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "vigie"
TEMPLATES = PACKAGE / "templates"
PO_FILE = PACKAGE / "locale" / "fr" / "LC_MESSAGES" / "django.po"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that are the same in every language, so they need no translation: names of standards,
# identifiers and formats, written as their specifications write them. (All-capital acronyms
# pass anyway; they are listed for the reader.) The brand is BRAND, below.
ALLOWED_WORDS = _words(
    """
    CVE CVSS EPSS KEV EU SSVC CPE purl PURL CWE FINESS NIS2 OSE GHT TLP SBOM CSV JSON API REST
    CycloneDX SPDX CSAF NVD CISA ANSSI CERT CSIRT STIX TAXII MISP HMAC SHA TOTP IP URL HTTP HTTPS
    SMTP ID UTC restic BorgBackup borg
    """
)
BRAND = "Vigie Santé"
# Each language's name is written in that language, so that its speakers find it in the switch.
ENDONYMS = frozenset({"Français", "English"})
WORD = re.compile(r"[^\W\d_]+(?:[’'-][^\W\d_]+)*")
URL = re.compile(r"\b(?:https?://|mailto:)\S+|\b[\w.+-]+@[\w-]+\.[\w.]+")
# Markup whose contents are code, not prose: machine identifiers and samples stay as they are.
CODE_ELEMENTS = frozenset({"script", "style", "code", "pre", "kbd", "samp"})
# Attributes that people read or hear (screen readers announce aria-label and title).
READ_ATTRIBUTES = frozenset(
    {"title", "aria-label", "aria-description", "placeholder", "alt", "label", "data-confirm"}
)
PLACEHOLDER = " \x00 "


def human_words(text: str) -> list[str]:
    """The words of `text` that someone would have to translate."""
    text = URL.sub(" ", text.replace(PLACEHOLDER, " "))
    text = text.replace(BRAND, " ")
    return [
        word
        for word in WORD.findall(text)
        if word not in ALLOWED_WORDS and word not in ENDONYMS and word.upper() != word
    ]


# --- 1. Templates ------------------------------------------------------------------------------


@dataclass
class Leak:
    file: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.text!r}"


def skeleton(source: str) -> str:
    """The template with its tags and variables blanked out, and translated blocks removed.

    Newlines are kept, so that a line of the skeleton is a line of the template.
    """
    parts: list[str] = []
    skipping: str | None = None  # the end tag of the block being dropped
    for token in Lexer(source).tokenize():
        newlines = "\n" * token.contents.count("\n")
        if token.token_type == TokenType.BLOCK:
            name = token.contents.split(maxsplit=1)[0] if token.contents else ""
            if skipping is not None:
                if name == skipping:
                    skipping = None
                parts.append(PLACEHOLDER + newlines)
                continue
            if name in {"blocktranslate", "blocktrans"} or name in {"comment", "verbatim"}:
                skipping = "end" + name
            parts.append(PLACEHOLDER + newlines)
        elif token.token_type == TokenType.VAR:
            parts.append(newlines if skipping else PLACEHOLDER + newlines)
        elif token.token_type == TokenType.COMMENT:
            parts.append(newlines)
        else:
            parts.append(newlines if skipping else token.contents)
    return "".join(parts)


class _TemplateText(HTMLParser):
    """Collects the literal text and read attributes of a template skeleton, with their lines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[tuple[int, str]] = []
        self.code_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        values = dict(attrs)
        for name, value in attrs:
            readable = name in READ_ATTRIBUTES or (
                name == "value"
                and (tag == "button" or values.get("type") in {"submit", "button", "reset"})
            )
            if readable and value:
                self.texts.append((line, value))
        if tag in CODE_ELEMENTS:
            self.code_depth += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in CODE_ELEMENTS:
            self.code_depth -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in CODE_ELEMENTS and self.code_depth:
            self.code_depth -= 1

    def handle_data(self, data: str) -> None:
        if not self.code_depth:
            self.texts.append((self.getpos()[0], data))


def template_texts(path: Path) -> Iterator[tuple[int, str]]:
    """(line, literal text) pairs of a template: text between tags and read attributes."""
    blank = skeleton(path.read_text(encoding="utf-8"))
    if path.suffix == ".txt":
        yield from enumerate(blank.splitlines(), start=1)
        return
    parser = _TemplateText()
    parser.feed(blank)
    parser.close()
    for start, text in parser.texts:
        # A text event starts on line `start`; each of its lines is reported on its own line.
        for offset, piece in enumerate(text.split("\n")):
            yield start + offset, piece


def template_leaks(path: Path) -> list[Leak]:
    name = str(path.relative_to(PACKAGE)) if path.is_relative_to(PACKAGE) else path.name
    return [
        Leak(name, line, text.strip()) for line, text in template_texts(path) if human_words(text)
    ]


def templates() -> list[Path]:
    return sorted(p for p in TEMPLATES.rglob("*") if p.suffix in {".html", ".txt"})


def test_the_template_check_finds_literal_text_and_ignores_translated_text(
    tmp_path: Path,
) -> None:
    sample = tmp_path / "sample.html"
    sample.write_text(
        "{% load i18n %}<h1>{% translate 'Alerts' %}</h1>\n"
        "<p>{% blocktranslate %}Seen on {{ n }} assets{% endblocktranslate %}</p>\n"
        "{# a note #}{% comment %}Draft text{% endcomment %}\n"
        "<p>CVE · CVSS {{ score }} — <code>pip install vigie</code> https://example.org/x</p>\n"
        '<button title="Remove it" aria-label="{% translate "Close" %}">×</button>\n'
        "<p>\n  Last seen\n</p>\n",
        encoding="utf-8",
    )
    assert [(leak.line, leak.text) for leak in template_leaks(sample)] == [
        (5, "Remove it"),
        (7, "Last seen"),
    ]


def test_templates_have_no_literal_text_outside_translate_tags() -> None:
    leaks = [str(leak) for path in templates() for leak in template_leaks(path)]
    assert leaks == [], "wrap in {% translate %} or {% blocktranslate %}:\n" + "\n".join(leaks)


# --- 2. Rendered pages -------------------------------------------------------------------------


@dataclass
class _VisibleText(HTMLParser):
    """The visible text nodes and read attributes of a page, with the language they are in."""

    page_language: str
    texts: list[str] = field(default_factory=list)
    stack: list[tuple[str, str]] = field(default_factory=list)  # (tag, language)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col"})

    def _language(self) -> str:
        return self.stack[-1][1] if self.stack else self.page_language

    def _hidden(self) -> bool:
        """Scripts are not read; code is machine text (identifiers, CSV columns, commands)."""
        return any(tag in HIDDEN_OR_CODE for tag, _ in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        language = values.get("lang") or self._language()
        if language == self.page_language and not self._hidden():
            for name, value in attrs:
                readable = name in READ_ATTRIBUTES or (
                    name == "value"
                    and (tag == "button" or values.get("type") in {"submit", "button", "reset"})
                )
                if readable and value:
                    self.texts.append(value)
        if tag not in self.VOID:
            self.stack.append((tag, language))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in self.VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not self._hidden() and self._language() == self.page_language:
            self.texts.append(text)


HIDDEN_OR_CODE = CODE_ELEMENTS | {"template"}


def visible_texts(html: str, language: str) -> list[str]:
    parser = _VisibleText(page_language=language)
    parser.feed(html)
    parser.close()
    return parser.texts


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(PO_FILE))


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"<[^<>]+>", "", text).split())


def _pairs(catalogue: polib.POFile) -> list[tuple[str, str]]:
    """(English, French) of the catalogue's complete messages, without placeholders."""
    pairs = []
    for entry in catalogue:
        if not entry.msgid or entry.obsolete:
            continue
        if entry.msgid_plural:
            texts = [(entry.msgid, entry.msgstr_plural.get(0, "")),
                     (entry.msgid_plural, entry.msgstr_plural.get(1, ""))]  # fmt: skip
        else:
            texts = [(entry.msgid, entry.msgstr)]
        pairs += [
            (_normalise(english), _normalise(french))
            for english, french in texts
            if french and not PLACEHOLDER_OR_FORMAT.search(english + french)
        ]
    return pairs


@pytest.fixture(scope="module")
def english_only(catalogue: polib.POFile) -> frozenset[str]:
    """English messages that French never says: seen on a French page, they leaked."""
    pairs = _pairs(catalogue)
    french = {f for _, f in pairs}
    return frozenset(e for e, f in pairs if e != f and e not in french and human_words(e))


@pytest.fixture(scope="module")
def french_only(catalogue: polib.POFile) -> frozenset[str]:
    """French messages that English never says ("Date" and "Type" are both)."""
    pairs = _pairs(catalogue)
    english = {e for e, _ in pairs}
    return frozenset(f for e, f in pairs if e != f and f not in english and human_words(f))


PLACEHOLDER_OR_FORMAT = re.compile(r"%(?:\([^)]+\))?[sd]|\{")
# Words of our interface that French never uses, and French words English never uses. Whole
# words, compared case-insensitively; chosen from the interface's own vocabulary.
ENGLISH_WORDS = _words(
    """
    the and with your you this these are alert alerts asset assets settings save delete cancel
    search show edit none yes since days hours until open overdue acknowledge acknowledged
    owner priority severity vendor product members tokens channels feeds
    """
)
FRENCH_WORDS = _words(
    """
    le la les des du une et pour avec aucun aucune alertes actifs paramètres établissement
    établissements jours heures depuis enregistrer supprimer annuler rechercher modifier
    membres canaux flux importer priorité sévérité éditeur produit
    """
)


def data_strings() -> set[str]:
    """Every text value stored in the database: names and titles people typed or feeds sent."""
    from django.apps import apps
    from django.db import models

    from vigie.tenancy.models import Region

    values: set[str] = set()
    for model in apps.get_models():
        text_fields = [
            f.attname
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField)) and not f.choices
        ]
        json_fields = [
            f.attname for f in model._meta.concrete_fields if isinstance(f, models.JSONField)
        ]
        if not text_fields and not json_fields:
            continue
        for row in model._default_manager.values_list(*text_fields, *json_fields):
            for value in row:
                _collect(value, values)
    # Region names are proper names, written the same in English.
    values.update(str(label) for label in Region.labels)
    # Pages show long texts paragraph by paragraph.
    pieces = {piece for value in values for piece in re.split(r"\n\s*\n|\n", value)}
    return {" ".join(v.split()) for v in values | pieces if v and v.strip()}


def _collect(value: Any, into: set[str]) -> None:
    if isinstance(value, str):
        into.add(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, into)
    elif isinstance(value, list):
        for item in value:
            _collect(item, into)


QUOTE_START = 12
# Names written for machines: settings (VIGIE_FEED_STALE_DAYS), commands in `backquotes`.
IDENTIFIER = re.compile(r"`[^`]*`|\b\w*_\w*\b")


def without_data(text: str, data: set[str]) -> str:
    """`text` with the stored values it quotes removed, whole or cut short by an ellipsis."""
    if "…" in text:
        starts: dict[str, list[str]] = {}
        for value in data:
            if len(value) > QUOTE_START:
                starts.setdefault(value[:QUOTE_START], []).append(value)
        for cut in re.finditer("…", text):
            end = cut.start()
            for begin in range(max(0, end - 300), end - QUOTE_START + 1):
                quoted = text[begin:end].rstrip()
                candidates = starts.get(text[begin : begin + QUOTE_START], [])
                if any(value.startswith(quoted) for value in candidates):
                    text = text[:begin] + " " * (end - begin) + text[end:]
                    break
    # Longest first, and whole words only: "api" is a stored value, "escaping" is no quote of it.
    for value in sorted((d for d in data if d in text), key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", " ", text)
    return text


def language_leaks(
    texts: list[str], messages: frozenset[str], words: frozenset[str], data: set[str]
) -> list[str]:
    leaks = []
    for text in texts:
        if text in data:
            continue
        if text in messages:
            leaks.append(text)
            continue
        rest = IDENTIFIER.sub(" ", without_data(text, data))
        found = sorted(words & {w.lower() for w in WORD.findall(rest) if w.upper() != w})
        if found:
            leaks.append(f"{text!r} (words: {', '.join(found)})")
    return leaks


def test_the_page_check_finds_english_and_spares_data_code_and_other_languages() -> None:
    html = (
        '<html lang="fr"><head><title>Alertes</title><script>var t = "the";</script></head>'
        "<body><h1>Alertes</h1><p>Save</p><p>Voir les assets</p>"
        "<p>Use After Free in the parser, with a cra…</p><code>the id</code>"
        '<option lang="en">English</option><button title="Close the alert">x</button>'
        "<p>Pays de la Loire</p></body></html>"
    )
    data = {"Use After Free in the parser, with a crafted file.", "Pays de la Loire"}
    leaks = language_leaks(visible_texts(html, "fr"), frozenset({"Save"}), ENGLISH_WORDS, data)
    assert leaks == [
        "Save",
        "'Voir les assets' (words: assets)",
        "'Close the alert' (words: alert, the)",
    ]


@pytest.fixture
def demo_pages(
    est_a: Any,
    a_admin: Any,
    centre_admin: Any,
    small_feeds: Path,
    client_for: Any,
) -> dict[str, Any]:
    """Establishment A with a demo inventory and real feeds, and the URLs of its main pages."""
    from tests.vulns.support import DEMO_INVENTORIES, access_of, import_csv, load_feeds
    from vigie.api.tokens import create_token
    from vigie.notify.models import Channel
    from vigie.vulns.models import Alert, AlertAsset

    access = access_of(a_admin, est_a)
    import_csv(access, (DEMO_INVENTORIES / "chu-val-de-loire.csv").read_text(encoding="utf-8"))
    load_feeds(small_feeds)
    alert = Alert.objects.filter(organisation=est_a).order_by("pk").first()
    assert alert is not None, "the demo feeds match the demo inventory"
    asset = AlertAsset.objects.filter(alert=alert).order_by("pk").first()
    assert asset is not None
    Channel.objects.create(organisation=est_a, kind="email", name="Équipe sécurité")
    create_token(user=a_admin, name="Script d’export")
    establishment = [
        "/o/chu-alpha/",
        "/o/chu-alpha/alerts/",
        f"/o/chu-alpha/alerts/{alert.pk}/",
        "/o/chu-alpha/inventory/",
        f"/o/chu-alpha/inventory/assets/{asset.asset_id}/",
        "/o/chu-alpha/inventory/import/",
        "/o/chu-alpha/inventory/imports/",
        "/o/chu-alpha/notifications/",
        "/o/chu-alpha/notifications/deliveries/",
        "/o/chu-alpha/alerts/settings/",
        "/o/chu-alpha/audit/",
        "/o/chu-alpha/members/",
        "/o/chu-alpha/profile/",
        "/accounts/tokens/",
        "/accounts/profile/",
    ]
    centre = [
        "/o/centre/",
        "/o/centre/establishments/",
        "/o/centre/establishments/chu-alpha/",
        "/o/centre/exposure/",
        "/o/centre/feeds/",
        "/o/centre/operations/",
    ]
    return {
        "pages": [(client_for(a_admin), url) for url in establishment]
        + [(client_for(centre_admin), url) for url in centre],
    }


def rendered(client: Any, url: str, language: str) -> str:
    from django.conf import settings

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, (url, response.status_code)
    html = response.content.decode()
    assert f'<html lang="{language}"' in html, url
    return html


@pytest.mark.django_db
def test_french_pages_show_no_english_of_our_interface(
    demo_pages: dict[str, Any], english_only: frozenset[str]
) -> None:
    data = data_strings()
    leaks = [
        f"{url}: {leak}"
        for client, url in demo_pages["pages"]
        for leak in language_leaks(
            visible_texts(rendered(client, url, "fr"), "fr"), english_only, ENGLISH_WORDS, data
        )
    ]
    assert leaks == [], "English on French pages:\n" + "\n".join(leaks)


@pytest.mark.django_db
def test_english_pages_show_no_french_of_our_interface(
    demo_pages: dict[str, Any], french_only: frozenset[str]
) -> None:
    data = data_strings()
    leaks = [
        f"{url}: {leak}"
        for client, url in demo_pages["pages"]
        for leak in language_leaks(
            visible_texts(rendered(client, url, "en"), "en"), french_only, FRENCH_WORDS, data
        )
    ]
    assert leaks == [], "French on English pages:\n" + "\n".join(leaks)


# --- 3. Python code ----------------------------------------------------------------------------

TRANSLATORS = frozenset(
    {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext", "pgettext_lazy",
     "npgettext", "npgettext_lazy", "format_lazy"}
)  # fmt: skip
MESSAGE_FUNCTIONS = frozenset({"debug", "info", "success", "warning", "error", "add_message"})
# Keyword arguments that Django shows to people: form and model field labels and help.
# Not checked, on purpose: the OpenAPI `title`/`description` of the API and the `vigie` command's
# help are written for developers and operators, in English like the code.
READ_KEYWORDS = frozenset(
    {"label", "help_text", "verbose_name", "verbose_name_plural", "empty_label"}
)  # fmt: skip
# Forms show a ValidationError's message. PermissionDenied and Http404 are not in this list: the
# 403 and 404 handlers (core/views.py) show their own translated text, never the exception's.
READ_EXCEPTIONS = frozenset({"ValidationError"})
SKIPPED_PACKAGES = ("engines", "sensor", "migrations")


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _literal_text(node: ast.expr | None) -> str | None:
    """The text of a string literal or f-string written in the call, if it has words."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(
            part.value
            for part in node.values
            if isinstance(part, ast.Constant) and isinstance(part.value, str)
        )
    else:
        return None
    return text if human_words(text) else None


@dataclass
class CodeLeak:
    file: str
    line: int
    call: str
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.call}({self.text!r})"


def code_leaks(source: str, file: str) -> list[CodeLeak]:
    leaks: list[CodeLeak] = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        called = _name(node.func)
        if called in TRANSLATORS:
            continue
        candidates: list[ast.expr | None] = []
        if called in MESSAGE_FUNCTIONS and _name(getattr(node.func, "value", node.func)) in {
            "messages"
        }:
            # messages.success(request, "text"), messages.add_message(request, level, "text")
            position = 2 if called == "add_message" else 1
            candidates.append(node.args[position] if len(node.args) > position else None)
            candidates += [k.value for k in node.keywords if k.arg == "message"]
        elif called in READ_EXCEPTIONS:
            candidates += node.args[:1]
            candidates += [k.value for k in node.keywords if k.arg == "message"]
        elif called in {"HttpResponse", "HttpResponseBadRequest", "HttpResponseForbidden"}:
            candidates += node.args[:1]
            candidates += [k.value for k in node.keywords if k.arg == "content"]
        candidates += [k.value for k in node.keywords if k.arg in READ_KEYWORDS]
        for candidate in candidates:
            text = _literal_text(candidate)
            if text is not None:
                assert candidate is not None
                leaks.append(CodeLeak(file, candidate.lineno, called, text))
    leaks += choice_leaks(tree, file)
    return sorted(leaks, key=lambda leak: leak.line)


# Official names of French regions: proper names, written the same in English.
UNTRANSLATED_CHOICES = frozenset({"Region"})


def choice_leaks(tree: ast.Module, file: str) -> list[CodeLeak]:
    """Labels of TextChoices and IntegerChoices (`CODE = "code", "Label"`), shown by forms."""
    leaks = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.ClassDef) or node.name in UNTRANSLATED_CHOICES:
            continue
        if not any(_name(base).endswith("Choices") for base in node.bases):
            continue
        for statement in node.body:
            if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Tuple):
                label = statement.value.elts[-1] if len(statement.value.elts) > 1 else None
                text = _literal_text(label)
                if text is not None and label is not None:
                    leaks.append(CodeLeak(file, label.lineno, node.name, text))
    return leaks


def python_files() -> list[Path]:
    return sorted(
        path
        for path in PACKAGE.rglob("*.py")
        if not any(part in SKIPPED_PACKAGES for part in path.relative_to(PACKAGE).parts)
    )


def test_the_code_check_finds_user_facing_literals_outside_gettext() -> None:
    source = (
        "from django.contrib import messages\n"
        "from django.utils.translation import gettext as _\n"
        "def view(request):\n"
        "    messages.success(request, 'Saved.')\n"
        "    messages.error(request, _('Not saved.'))\n"
        "    raise ValidationError(f'Bad value {x}')\n"
        "name = forms.CharField(label='Name', help_text=_('Your name'))\n"
        "code = models.CharField(verbose_name='code', max_length=3)\n"
        "HttpResponse(data, content_type='text/plain')\n"
        "logger.error('Feed failed: %s', error)\n"
        "class Colour(models.TextChoices):\n"
        "    RED = 'red', 'Red'\n"
        "    BLUE = 'blue', _('Blue')\n"
    )
    assert [str(leak) for leak in code_leaks(source, "views.py")] == [
        "views.py:4: success('Saved.')",
        "views.py:6: ValidationError('Bad value ')",
        "views.py:7: CharField('Name')",
        "views.py:8: CharField('code')",
        "views.py:12: Colour('Red')",
    ]


def test_user_facing_strings_in_python_go_through_gettext() -> None:
    leaks = [
        str(leak)
        for path in python_files()
        for leak in code_leaks(path.read_text(encoding="utf-8"), str(path.relative_to(PACKAGE)))
    ]
    assert leaks == [], "wrap in gettext / gettext_lazy / pgettext:\n" + "\n".join(leaks)
