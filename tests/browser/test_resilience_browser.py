"""The resilience pages in a real browser, in French and English: a director reads the readiness
of the establishment on a phone, reached with the keyboard, and the centre reads its sector; a
viewer takes an assigned training module with the keyboard only; the admin runs a ransomware
exercise and logs what is seen; a recipient of a phishing simulation types a password that goes
nowhere and lands on the page that teaches; the admin adds a contact to a care unit's
continuity plan and prints it."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tests.browser.test_indicators_browser import _sign_in
from tests.continuity.support import unit_with_plan
from tests.helpers import MailBox
from tests.phishing.support import access_of, campaign_for, links_of, staff, upload
from tests.phishing.test_tracking import _everything_in_the_database
from tests.training.support import assign
from vigie.continuity.models import Contact
from vigie.exercises.models import Exercise, Observation
from vigie.notify import outbox
from vigie.phishing import actions as phishing_actions
from vigie.phishing.jobs import send_phishing
from vigie.phishing.models import Target
from vigie.readiness.pillars import pillars
from vigie.tenancy.models import Organisation
from vigie.tenancy.roles import Role
from vigie.training.models import Completion

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LANGUAGES = ["fr", "en"]

# The French texts are the catalogue's msgstr (src/vigie/locale/fr/LC_MESSAGES/django.po).
TEXTS = {
    "fr": {
        "readiness": "État de préparation",
        "overall": "Score global",
        "no_training": "Aucun module de formation attribué au cours des 12 derniers mois.",
        "sector": "État de préparation du secteur",
        "training": "Formation",
        "mine": "Mes formations",
        "passed": "Réussi",
        "well_done": "Bravo : vous avez réussi ce module.",
        "exercises": "Exercices",
        "prepare": "Préparer un exercice",
        "ransomware": "Attaque par rançongiciel de nuit",
        "running": "En cours",
        "first_inject": "L'équipe de nuit ne peut accéder ni au DPI ni au PACS",
        "second_inject": "Une demande de rançon sur les serveurs de fichiers",
        "gap": "Écart",
        "observation": "La cellule de crise est convoquée à 3 h 55, le DPI reste injoignable.",
        "sign_in": "Connexion",
        "learn": "Il s'agissait d'un exercice de votre établissement",
        "teaching": (
            "Beaucoup de personnes suivent ce genre de lien : les attaquants donnent "
            "volontairement à leurs messages un air ordinaire et urgent. L'important est de "
            "reconnaître le prochain."
        ),
        "continuity": "Continuité",
        "edit_plan": "Modifier le plan",
        "add_line": "Ajouter une ligne",
        "back_to_plan": "Retour au plan",
        "print": "Imprimer (PDF)",
        "who_to_call": "Qui appeler",
        "contact": "Pharmacie de garde",
        "function": "Pharmacien d'astreinte",
        "when": "Rupture de stock de médicaments",
    },
    "en": {
        "readiness": "Readiness",
        "overall": "Overall score",
        "no_training": "No training module assigned in the last 12 months.",
        "sector": "Readiness of the sector",
        "training": "Training",
        "mine": "My training",
        "passed": "Passed",
        "well_done": "Well done: you passed this module.",
        "exercises": "Exercises",
        "prepare": "Prepare an exercise",
        "ransomware": "Ransomware attack at night",
        "running": "Running",
        "first_inject": "The night team cannot reach the DPI or the PACS",
        "second_inject": "A ransom note on the file servers",
        "gap": "Gap",
        "observation": "The crisis cell is called at 3:55 a.m.; the DPI is still down.",
        "sign_in": "Sign in",
        "learn": "This was an exercise by your establishment",
        "teaching": (
            "Many people follow such a link: attackers make their messages look ordinary and "
            "urgent on purpose. What matters is to recognise the next one."
        ),
        "continuity": "Continuity",
        "edit_plan": "Edit the plan",
        "add_line": "Add a line",
        "back_to_plan": "Back to the plan",
        "print": "Print (PDF)",
        "who_to_call": "Who to call",
        "contact": "On-call pharmacy",
        "function": "Pharmacist on call",
        "when": "Drug shortage",
    },
}


def _speaks(language: str, *users: Any) -> None:
    for user in users:
        user.language = language
        user.time_zone = "UTC"
        user.save()


def _context(browser: Any, live_server: Any, language: str, phone: bool = True) -> Any:
    options: dict[str, Any] = {"base_url": live_server.url, "locale": language}
    if phone:
        options["viewport"] = PHONE
    return browser.new_context(**options)


def _page(context: Any) -> Any:
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def _press_enter_on(page: Any, locator: Any) -> None:
    """Focus a link or button and follow it with Enter, as a keyboard user does."""
    locator.focus()
    expect(locator).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _nav(page: Any, name: str) -> None:
    _press_enter_on(page, page.locator("nav.org-nav").get_by_role("link", name=name, exact=True))


WIDER_THAN_THE_SCREEN = """(limit) => {
  const clipped = (el) => {
    for (let up = el.parentElement; up; up = up.parentElement) {
      const overflow = getComputedStyle(up).overflowX;
      if (["auto", "hidden", "scroll", "clip"].includes(overflow)) return true;
    }
    return false;
  };
  // An absolutely positioned element escapes the overflow of a static scroll box.
  const escapes = (el) => ["absolute", "fixed"].includes(getComputedStyle(el).position);
  const out = [...document.querySelectorAll("body *")].filter(
    (el) => el.getBoundingClientRect().right > limit + 1 && (escapes(el) || !clipped(el))
  );
  const name = (el) => `${el.tagName.toLowerCase()}.${el.className}`;
  const text = (el) => el.textContent.trim().slice(0, 30);
  const right = (el) => Math.round(el.getBoundingClientRect().right);
  return out
    .filter((el) => !out.includes(el.parentElement))
    .slice(0, 5)
    .map((el) => `${name(el)} "${text(el)}" ends at ${right(el)}px`);
}"""


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    # What sticks out, to tell which element to fix.
    wide = page.evaluate(WIDER_THAN_THE_SCREEN, PHONE["width"]) if width > PHONE["width"] else []
    assert width <= PHONE["width"] + 1, (page.url, width, wide)


# --- Readiness ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_director_reads_every_pillar_with_its_reasons_on_a_phone_and_the_centre_its_sector(
    browser: Any,
    live_server: Any,
    est_a: Organisation,
    make_user: Callable[..., Any],
    centre_analyst: Any,
    language: str,
) -> None:
    texts = TEXTS[language]
    director = make_user("a.director", est_a, Role.DIRECTOR)
    _speaks(language, director, centre_analyst)
    context = _context(browser, live_server, language)
    page = _page(context)
    _sign_in(page, director, "/o/chu-alpha/")
    _nav(page, texts["readiness"])
    assert page.url.endswith("/o/chu-alpha/readiness/")
    overall = page.get_by_test_id("readiness-overall")
    assert texts["overall"] in overall.inner_text()
    assert re.fullmatch(r"\d{1,3}\s*/100", page.get_by_test_id("overall-score").inner_text())
    specs = pillars()
    assert len(specs) >= 2
    cards = page.locator("article[data-testid^='pillar-']")
    assert cards.count() == len(specs)
    body = page.locator("main").inner_text()
    for spec in specs:
        card = page.get_by_test_id(f"pillar-{spec.code}")
        expect(card).to_have_count(1)
        with translation.override(language):
            label = str(spec.label)
        assert label in card.locator("h3").inner_text()
        assert re.search(r"\d+/100", card.get_by_test_id("pillar-score").inner_text())
        reasons = card.locator("li[data-reason]")
        assert reasons.count() >= 1, spec.code
        # Each reason is a sentence of the reader's language, never its code.
        assert card.locator("code").count() == 0, spec.code
        for index in range(reasons.count()):
            line = reasons.nth(index)
            code = line.get_attribute("data-reason") or ""
            text = line.inner_text()
            assert code, text
            assert code not in text, (code, text)
            assert re.search(r"[A-Za-zÀ-ÿ]{3,} [A-Za-zÀ-ÿ]{2,}", text), (code, text)
        for code in spec.reason_texts:
            assert code not in body, code
    # With nothing assigned, the training pillar says so in the reader's language.
    assert texts["no_training"] in page.get_by_test_id("pillar-training").inner_text()
    _no_sideways_scroll(page)
    context.close()

    centre = _context(browser, live_server, language, phone=False)
    other = _page(centre)
    _sign_in(other, centre_analyst, "/o/centre/")
    _nav(other, texts["readiness"])
    assert other.url.endswith("/o/centre/readiness/sector/")
    assert texts["sector"] in other.locator("h1").inner_text()
    row = other.locator("tr[data-establishment='chu-alpha']")
    assert "CHU Alpha" in row.inner_text()
    assert row.locator("td[data-pillar]").count() == len(specs)
    centre.close()


# --- Training ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_viewer_takes_an_assigned_module_with_the_keyboard_only_and_passes(
    browser: Any,
    live_server: Any,
    est_a: Organisation,
    a_admin: Any,
    a_viewer: Any,
    language: str,
) -> None:
    texts = TEXTS[language]
    _speaks(language, a_viewer)
    assignment = assign(a_admin, est_a, slug="phishing")
    module = assignment.module
    questions = module.text(language)["questions"]
    assert questions
    context = _context(browser, live_server, language)
    page = _page(context)
    _sign_in(page, a_viewer, "/o/chu-alpha/")
    _nav(page, texts["training"])
    mine = page.get_by_test_id("my-training")
    assert texts["mine"] in mine.inner_text()
    _press_enter_on(page, mine.locator(f"tr[data-assignment='{assignment.pk}'] a"))
    assert page.url.endswith(f"/training/modules/{module.pk}/")
    _no_sideways_scroll(page)

    quiz = page.get_by_test_id("quiz")
    quiz.locator(f"fieldset[data-question='{questions[0]['id']}'] input").first.focus()
    for question in questions:
        group = quiz.locator(f"fieldset[data-question='{question['id']}']")
        inputs = group.locator("input")
        expect(inputs.first).to_be_focused()
        right = [i for i, choice in enumerate(question["choices"]) if choice.get("correct")]
        if inputs.first.get_attribute("type") == "radio":
            # A radio group: Space picks the focused one, the arrow keys move the choice.
            (target,) = right
            if target == 0:
                page.keyboard.press("Space")
            for _ in range(target):
                page.keyboard.press("ArrowDown")
            expect(inputs.nth(target)).to_be_checked()
            page.keyboard.press("Tab")
        else:
            # Checkboxes: Tab from one to the next, Space ticks.
            for index in range(inputs.count()):
                expect(inputs.nth(index)).to_be_focused()
                if index in right:
                    page.keyboard.press("Space")
                page.keyboard.press("Tab")
            for index in range(inputs.count()):
                if index in right:
                    expect(inputs.nth(index)).to_be_checked()
                else:
                    expect(inputs.nth(index)).not_to_be_checked()
    submit = quiz.locator("button[type=submit]")
    expect(submit).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    completion = Completion.objects.get(user=a_viewer, module=module)
    assert completion.passed
    assert completion.score == 100
    assert page.url.endswith(f"/training/results/{completion.pk}/")
    score = page.get_by_test_id("score").inner_text()
    assert texts["passed"] in score
    assert "100 %" in score
    assert texts["well_done"] in page.locator("main").inner_text()
    answers = page.locator("ol.answers")
    for question in questions:
        item = answers.locator(f"li[data-question='{question['id']}']")
        assert item.get_attribute("data-right") == "yes"
        assert " ".join(question["explanation"].split()) in " ".join(item.inner_text().split())
    _no_sideways_scroll(page)
    context.close()


# --- Exercises ---------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_admin_runs_a_ransomware_exercise_and_logs_an_observation_with_the_keyboard(
    browser: Any,
    live_server: Any,
    est_a: Organisation,
    a_admin: Any,
    language: str,
) -> None:
    texts = TEXTS[language]
    _speaks(language, a_admin)
    context = _context(browser, live_server, language)
    page = _page(context)
    _sign_in(page, a_admin, "/o/chu-alpha/")
    _nav(page, texts["exercises"])
    _press_enter_on(page, page.get_by_role("link", name=texts["prepare"], exact=True))
    form = page.get_by_test_id("exercise-form")
    form.locator("select[name=template]").select_option("ransomware")
    form.locator("select[name=kind]").select_option("tabletop")
    _press_enter_on(page, form.locator("button[type=submit]"))
    exercise = Exercise.objects.get()
    assert page.url.split("#")[0].endswith(f"/o/chu-alpha/exercises/{exercise.pk}/")
    assert exercise.title == texts["ransomware"]
    assert texts["ransomware"] in page.locator("h1").inner_text()
    # The template's injects were copied in the creator's language.
    injects = page.get_by_test_id("exercise-injects")
    assert texts["first_inject"] in injects.inner_text()
    assert texts["second_inject"] in injects.inner_text()

    _press_enter_on(page, page.locator("form[action$='/start/'] button"))
    expect(page.get_by_test_id("exercise-status")).to_have_text(texts["running"])
    first = exercise.injects.order_by("offset_minutes", "pk").first()
    assert first is not None
    assert first.title == texts["first_inject"]
    row = page.locator(f"tr[data-inject='{first.pk}']")
    _press_enter_on(page, row.locator("button[type=submit]"))
    first.refresh_from_db()
    assert first.delivered_at is not None
    expect(page.locator(f"tr[data-inject='{first.pk}'] time")).to_have_count(1)

    # The quick form: its text has the focus; the rest is Tab and arrow keys.
    quick = page.get_by_test_id("observation-form")
    text = quick.locator("textarea[name='o-text']")
    text.focus()
    expect(text).to_be_focused()
    page.keyboard.type(texts["observation"])
    page.keyboard.press("Tab")
    expect(quick.locator("select[name='o-kind']")).to_be_focused()
    page.keyboard.press("ArrowDown")  # fact → strength
    page.keyboard.press("ArrowDown")  # strength → gap
    expect(quick.locator("select[name='o-kind']")).to_have_value("gap")
    page.keyboard.press("Tab")
    expect(quick.locator("select[name='o-inject']")).to_be_focused()
    page.keyboard.press("ArrowDown")  # — → the first inject
    expect(quick.locator("select[name='o-inject']")).to_have_value(str(first.pk))
    page.keyboard.press("Tab")
    expect(quick.locator("input[name='o-at']")).to_be_focused()
    # Empty means now; Tab walks through the day and time fields of the input, then out of it.
    log_button = quick.locator("button[type=submit]")
    for _ in range(8):
        page.keyboard.press("Tab")
        if log_button.evaluate("el => el === document.activeElement"):
            break
    expect(log_button).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    observation = Observation.objects.get()
    assert observation.text == texts["observation"]
    assert observation.kind == "gap"
    assert observation.inject_id == first.pk
    log = page.get_by_test_id("exercise-observations").locator("ol.timeline")
    assert texts["observation"] in log.inner_text()
    assert texts["gap"] in log.inner_text()
    assert texts["first_inject"] in log.inner_text()
    _no_sideways_scroll(page)
    context.close()


# --- Phishing ----------------------------------------------------------------------------------

SECRET = "Tr0ub4dor&3-typed-in-a-browser"
LOGIN = "jdupont.typed-in-a-browser"


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_recipient_who_types_a_password_lands_on_the_teaching_page_and_nothing_is_kept(
    browser: Any,
    live_server: Any,
    smtp_server: MailBox,
    est_a: Organisation,
    a_admin: Any,
    language: str,
) -> None:
    texts = TEXTS[language]
    access = access_of(a_admin, est_a)
    campaign = campaign_for(access, upload(access, staff(1, "Urgences")), language=language)
    assert phishing_actions.launch(access, campaign) == 1
    send_phishing.call()
    outbox.deliver_due()
    (message,) = smtp_server.wait_for(1)
    click = links_of(message)["click"]
    target = Target.objects.get(campaign=campaign)
    assert target.sent_at is not None
    assert re.fullmatch(r"/p/[^/]+/", click), click

    # Someone not signed in, in a browser of the other language: the campaign's language wins.
    other = "en" if language == "fr" else "fr"
    context = _context(browser, live_server, other)
    page = _page(context)
    page.goto(click)
    assert page.locator("html").get_attribute("lang") == language
    assert texts["sign_in"] in page.locator("h1").inner_text()
    page.locator("#id_login").focus()
    page.keyboard.type(LOGIN)
    page.keyboard.press("Tab")
    expect(page.locator("#id_secret")).to_be_focused()
    page.keyboard.type(SECRET)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_url(f"**{click}learn/")
    learn = page.get_by_test_id("phishing-learn")
    assert texts["learn"] in learn.locator("h1").inner_text()
    assert texts["teaching"] in learn.inner_text()
    _no_sideways_scroll(page)
    context.close()

    target.refresh_from_db()
    assert target.clicked_at is not None
    assert target.submitted_at is not None
    everything = _everything_in_the_database()
    assert SECRET not in everything
    assert LOGIN not in everything


# --- Continuity --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_admin_adds_a_contact_to_a_plan_with_the_keyboard_and_prints_the_plan(
    browser: Any,
    live_server: Any,
    est_a: Organisation,
    a_admin: Any,
    language: str,
) -> None:
    texts = TEXTS[language]
    _speaks(language, a_admin)
    unit, plan = unit_with_plan(est_a, "Urgences adultes")
    context = _context(browser, live_server, language)
    page = _page(context)
    _sign_in(page, a_admin, "/o/chu-alpha/")
    _nav(page, texts["continuity"])
    _press_enter_on(page, page.locator("main").get_by_role("link", name=unit.name, exact=True))
    assert page.url.endswith(f"/o/chu-alpha/continuity/units/{unit.pk}/")
    _press_enter_on(page, page.get_by_role("link", name=texts["edit_plan"], exact=True))

    section = page.locator("#section-contacts")
    summary = section.locator("summary")
    assert texts["add_line"] in summary.inner_text()
    summary.focus()
    expect(summary).to_be_focused()
    page.keyboard.press("Enter")  # opens the form
    page.keyboard.press("Tab")
    expect(section.locator("#id_contact-name")).to_be_focused()
    page.keyboard.type(texts["contact"])
    page.keyboard.press("Tab")
    expect(section.locator("#id_contact-function")).to_be_focused()
    page.keyboard.type(texts["function"])
    page.keyboard.press("Tab")
    expect(section.locator("#id_contact-phone")).to_be_focused()
    page.keyboard.type("02 47 47 81 81")
    page.keyboard.press("Tab")
    expect(section.locator("#id_contact-alternate_phone")).to_be_focused()
    page.keyboard.press("Tab")
    expect(section.locator("#id_contact-when_to_call")).to_be_focused()
    page.keyboard.type(texts["when"])
    page.keyboard.press("Tab")
    expect(section.locator("button[type=submit]").last).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    contact = Contact.objects.get(plan=plan, name=texts["contact"])
    assert contact.phone == "02 47 47 81 81"
    assert contact.function == texts["function"]
    assert texts["contact"] in page.locator("#section-contacts").inner_text()

    _press_enter_on(page, page.get_by_role("link", name=texts["back_to_plan"], exact=True))
    contacts = page.get_by_test_id("plan-contacts")
    assert texts["who_to_call"] in contacts.inner_text()
    row = contacts.locator("tr", has_text=texts["contact"])
    assert texts["function"] in row.inner_text()
    assert texts["when"] in row.inner_text()
    expect(row.locator("a[href='tel:0247478181']")).to_have_count(1)
    _no_sideways_scroll(page)

    link = page.get_by_role("link", name=texts["print"], exact=True)
    href = link.get_attribute("href")
    assert href == f"/o/chu-alpha/continuity/units/{unit.pk}/plan.pdf"
    response = page.request.get(href)
    assert response.status == 200
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.body().startswith(b"%PDF")
    context.close()
