"""The citizen's e-Mutation application with the keyboard alone: Tab, Shift+Tab, Space, Enter and arrows.

From the top of each page the first Tab reaches the skip link, which moves focus to the content; every
focused element shows a focus style it does not have unfocused; on the form pages the focus order is the
visual order; a wrong answer brings the error summary, focused, whose links move focus to the fields.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from tests.browser import site

from govreach.catalogue.services import service_pack_load
from govreach.notify.models import OutboxMessage
from govreach.packs.loader import load_pack
from govreach.web.demo import DEMO_CITIZEN_PHONE, demo_accounts_ensure

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BD = "bd-land-mutation"

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const box = el.getBoundingClientRect();
  const label = el.labels && el.labels.length ? el.labels[0].innerText
      : (el.getAttribute('aria-label') || el.innerText || el.value || '');
  const look = (s) => [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow].join('|');
  const focused = look(getComputedStyle(el));
  el.blur();
  const unfocused = look(getComputedStyle(el));
  el.focus({preventScroll: true});
  return {tag: el.tagName.toLowerCase(), type: el.type || '', id: el.id, label: label.trim(),
          inMain: !!el.closest('main'), top: box.top + window.scrollY, left: box.left,
          visibleFocus: focused !== unfocused && !focused.startsWith('none|'),
          focused: focused, unfocused: unfocused, checked: !!el.checked};
}"""


def focused(page: Page) -> dict[str, Any]:
    info = page.evaluate(FOCUSED)
    assert info is not None, "focus was lost to the page body"
    assert info["visibleFocus"], f"no visible focus style on {info}"
    return info


def tab(page: Page, *, back: bool = False) -> dict[str, Any]:
    page.keyboard.press("Shift+Tab" if back else "Tab")
    return focused(page)


def skip_to_main(page: Page) -> None:
    """The first Tab from the top reaches the skip link; Enter moves focus to the main content."""
    # Back to the top: focus (and so the next Tab's starting point) on the document's start.
    page.evaluate(
        "() => { const b = document.body; b.tabIndex = -1; b.focus(); b.removeAttribute('tabindex');"
        " window.scrollTo(0, 0); }"
    )
    first = tab(page)
    assert first["tag"] == "a" and page.evaluate("document.activeElement.getAttribute('href')") == "#main"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def tab_to(page: Page, matches: Callable[[dict[str, Any]], bool], limit: int = 60) -> dict[str, Any]:
    for _ in range(limit):
        info = tab(page)
        if matches(info):
            return info
    raise AssertionError("never reached the element by Tab")


def fill_by_keyboard(page: Page, answers: dict[str, Any], button: str = "Save and continue") -> None:
    """Tab through the form from the content's start, answering by label, checking the visual order;
    then Enter on ``button``. An answer is text to type, ``Choose(label)`` for a radio or an option, or a
    path for a file input (chosen through the file dialog Space opens)."""
    skip_to_main(page)
    previous: dict[str, Any] | None = None
    answered: set[str] = set()
    for _ in range(80):
        info = tab(page)
        if previous is not None and info["inMain"]:
            same_row = abs(info["top"] - previous["top"]) < 8
            assert info["top"] > previous["top"] or (same_row and info["left"] > previous["left"]), (
                f"focus order is not the visual order: {previous} then {info}"
            )
        previous = info
        if info["tag"] == "button" and info["label"] == button:
            assert answered == set(answers), f"not reached by Tab: {set(answers) - answered}"
            with page.expect_navigation():
                page.keyboard.press("Enter")
            return
        answer_for = next((k for k in answers if k == info["label"]), None)
        if info["type"] == "radio":
            # Tab enters a radio group once; arrows move within it and select.
            group = page.evaluate("document.activeElement.name")
            wanted = next((k for k, v in answers.items() if isinstance(v, Choose) and v.group == group), None)
            if wanted is None:
                continue
            for _ in range(12):
                here = focused(page)
                if here["label"] == wanted:
                    page.keyboard.press("Space")
                    break
                page.keyboard.press("ArrowDown")
            assert focused(page)["checked"], wanted
            answered.add(wanted)
            previous = focused(page)
            continue
        if answer_for is None:
            continue
        value = answers[answer_for]
        if isinstance(value, Path):
            chooser_file = None
            # Space opens a file input's dialog, as Enter does; a busy machine can swallow the first.
            for key in ("Space", "Enter", "Space"):
                try:
                    with page.expect_file_chooser(timeout=10_000) as chooser:
                        page.keyboard.press(key)
                except PlaywrightTimeoutError:
                    continue
                chooser_file = chooser.value
                break
            assert chooser_file is not None, "the file input never opened its dialog from the keyboard"
            chooser_file.set_files(value)
        elif isinstance(value, Choose):
            page.keyboard.type(value.label)  # a select's type-ahead picks the option
            assert page.evaluate("document.activeElement.selectedOptions[0].text").startswith(value.label)
        else:
            page.keyboard.type(str(value))
        answered.add(answer_for)
    raise AssertionError(f"never reached the button {button!r} by Tab")


class Choose:
    """A radio (in ``group``) or a select option, chosen by its label."""

    def __init__(self, label: str, group: str = "") -> None:
        self.label = label
        self.group = group


def press_button(page: Page, name: str) -> None:
    skip_to_main(page)
    tab_to(page, lambda i: i["tag"] in ("button", "a") and i["label"] == name)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def _files(tmp_path: Path) -> tuple[Path, Path]:
    from PIL import Image

    pdf = tmp_path / "deed.pdf"
    pdf.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    photo = tmp_path / "photo.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (40, 50), "#c0b090").save(buffer, format="JPEG")
    photo.write_bytes(buffer.getvalue())
    return pdf, photo


def test_a_citizen_applies_with_the_keyboard_alone(
    live_server: Any, browser: Browser, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()  # sign-in codes are limited per phone: an earlier browser test may have used them up
    service_pack_load(pack=load_pack(Path(settings.PACKS_DIR) / BD))
    union = demo_accounts_ensure()["union"]
    pdf, photo = _files(tmp_path)
    page = site.new_page(browser)
    try:
        page.goto(f"{live_server.url}/services/{BD}/?lang=en")
        press_button(page, "Start now")

        # Sign in: the phone, then the SMS code.
        fill_by_keyboard(page, {"Mobile phone number": DEMO_CITIZEN_PHONE}, button="Send me a code")
        code = OutboxMessage.objects.filter(message_id="login_code").latest("pk").context["code"]
        fill_by_keyboard(page, {"Code": str(code)}, button="Sign in")
        press_button(page, "Start now")

        # A wrong answer: the error summary comes first and takes focus; its links lead to the fields.
        fill_by_keyboard(page, {"Your full name": "Rahima Begum"})
        expect(page.get_by_role("alert")).to_be_focused()
        assert page.evaluate("document.querySelector('main [role=alert]') !== null")
        summary = focused(page)
        assert summary["top"] < page.get_by_label("Your full name").bounding_box()["y"]  # type: ignore[index]
        link = tab(page)
        assert link["tag"] == "a" and link["label"] == "Enter national ID number"
        back = tab(page, back=True)
        assert back["top"] < link["top"]  # Shift+Tab goes back up the page (the summary is not a tab stop)
        tab(page)
        page.keyboard.press("Enter")
        expect(page.get_by_label("National ID number")).to_be_focused()

        fill_by_keyboard(
            page,
            {
                "National ID number": "1234567890",
                "Mobile phone number": "01711000001",
                "Your address": "House 4, Road 2, Savar",
            },
        )
        fill_by_keyboard(
            page,
            {
                "Union where the land lies": Choose(union.name),
                "Mouza": "Baipail",
                "Khatian number": "512",
                "Plot (dag) numbers": "1021, 1022",
                "Area of land (decimals)": "8.25",
            },
        )
        group = page.evaluate("document.querySelector('input[type=radio]').name")
        fill_by_keyboard(
            page,
            {
                "I bought it (sale)": Choose("I bought it (sale)", group),
                "Deed number": "4471",
                "Day": "2",
                "Month": "11",
                "Year": "2025",
                "How many persons must be served a hearing notice": "2",
            },
        )
        fill_by_keyboard(
            page,
            {
                "Copy of the deed": pdf,
                "Copy of the previous record (khatian)": pdf,
                "Land development tax receipt": pdf,
                "Copy of your national ID card": pdf,
                "Your photo": photo,
            },
        )
        group = page.evaluate("document.querySelector('input[type=radio]').name")
        fill_by_keyboard(page, {"Mobile wallet": Choose("Mobile wallet", group)})

        expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers before submitting")
        press_button(page, "Continue to pay the fees")
        for fee in ("Pay the court fee (BDT20.00)", "Pay the notice fee (BDT50.00)"):
            press_button(page, fee)
            press_button(page, "Confirm the payment")
        press_button(page, "Continue to submit")
        press_button(page, "Accept and submit the application")
        expect(page.get_by_role("heading", level=1)).to_have_text("Application submitted")
        skip_to_main(page)
    finally:
        page.context.close()


def test_the_language_switch_works_with_the_keyboard_alone(
    live_server: Any, browser: Browser, settings: Any
) -> None:
    """From the top of a page: the skip link, then the header, where each language is a button named in
    itself; Enter on one brings the same page back in that language, with the choice marked current."""
    service_pack_load(pack=load_pack(Path(settings.PACKS_DIR) / BD))
    page = site.new_page(browser)
    try:
        page.goto(f"{live_server.url}/services/{BD}/")
        skip_to_main(page)
        page.evaluate(
            "() => { const b = document.body; b.tabIndex = -1; b.focus(); b.removeAttribute('tabindex'); }"
        )
        bengali = tab_to(page, lambda i: i["tag"] == "button" and i["label"] == "বাংলা", limit=10)
        assert not bengali["inMain"]  # in the header, before the content
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{live_server.url}/services/{BD}/"
        expect(page.locator("html")).to_have_attribute("lang", "bn")
        expect(page.locator("header button[aria-current=true]")).to_have_text("বাংলা")
        english = tab_to(page, lambda i: i["tag"] == "button" and i["label"] == "English", limit=10)
        assert not english["inMain"]
        with page.expect_navigation():
            page.keyboard.press("Space")
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        page.close()
