"""Nothing scrolls sideways on a phone, and every control is big enough for a thumb outdoors.

The scene is the accessibility sweep's (every page, every role: test_every_page_accessible.py), with
every free-text field the people in it typed filled with a pasted link: 300 characters with no space or
hyphen to break at (or as many as the field holds). Each page is opened at 390 px (a common phone) and
320 px (the narrowest WCAG 1.4.10 Reflow asks for) and must not be wider than the screen
(``scrollWidth <= clientWidth``). The sergeant's pages are checked too, the admin's included: she may
open a concern from her phone.

On the resident's and officer's pages every visible control (a, button, input, select, textarea,
summary, [role=button]) must be at least 44 × 44 px. WCAG 2.2's target size (AA) asks for 24 px; 44 is
what we want for a phone used outdoors, in the cold, with one hand. As WCAG 2.5.8 does, a link inside
running text (a sentence in a p, li or dd, or the map's credits line) is exempt: its height is the
line's. A checkbox or radio
button is measured together with its label, since tapping the label ticks it (and a visually hidden
slot radio is only its label).
"""

from __future__ import annotations

import re

import pytest
from django.db import models
from playwright.sync_api import Page

from participants.models import Pairing, Resident
from patrols.models import (
    AvailabilityException,
    Concern,
    ConcernUpdate,
    Disclosure,
    SafetyRating,
    Walk,
)
from tests.browser.test_every_page_accessible import (
    Scene,
    build_scene,
    officer_pages,
    resident_pages,
    sergeant_pages,
    sign_in_as,
)

WIDTHS = (390, 320)
MIN_TARGET = 44
# A link pasted into a form: a scheme, a host and a long run of letters and digits with nothing to break at.
PASTED_LINK = "https://maps.example.org/?q=" + ("Peckham0Rye0Lane0" * 20)
PASTED_LINK = PASTED_LINK[:300]
assert len(PASTED_LINK) == 300 and not re.search(r"[\s-]", PASTED_LINK)

# The free text people type, by model: everything shown on some page of the sweep.
FREE_TEXT = {
    Walk: ["route", "meeting_point", "known_worries", "cancel_reason"],
    Concern: ["location_text", "resident_said", "action", "closed_reason"],
    ConcernUpdate: ["note"],
    Disclosure: ["what_was_said", "referral_made", "referred_to", "reference"],
    SafetyRating: ["comment"],
    AvailabilityException: ["note"],
    Resident: ["access_needs", "usual_walk_times"],
    Pairing: ["start_reason", "end_reason"],
}

_MEASURE = """([minTarget, checkTargets]) => {
  const root = document.documentElement;
  const width = root.clientWidth;
  const found = {scrollWidth: root.scrollWidth, clientWidth: width, wide: [], small: []};
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute("aria-label") || "").trim().slice(0, 40);
    const id = el.id ? "#" + el.id : "";
    const classes = typeof el.className === "string" ? el.className.trim().split(/\\s+/) : [];
    const cls = classes.filter(Boolean).map((c) => "." + c).join("");
    return `<${el.tagName.toLowerCase()}${id}${cls}> "${text}"`;
  };
  if (root.scrollWidth > width) {
    // To say why: the outermost elements that stick out past the right edge. (Those inside a scroll
    // container are named too: a visually hidden, absolutely placed one escapes a container that is not
    // positioned, as a column heading of the signed-in sessions did.)
    for (const el of document.body.querySelectorAll("*")) {
      const right = el.getBoundingClientRect().right;
      const parentRight = el.parentElement.getBoundingClientRect().right;
      if (right > width + 0.5 && (parentRight <= width + 0.5 || el.parentElement === document.body)) {
        found.wide.push(`${describe(el)} ends at ${Math.round(right)} px`);
      }
    }
  }
  if (!checkTargets) { return found; }
  const inRunningText = (el) => {
    if (el.tagName !== "A" || getComputedStyle(el).display !== "inline") { return false; }
    // The map's credits ("Leaflet | © OpenStreetMap contributors") are a line of text too.
    const block = el.closest("p, li, dd, .leaflet-control-attribution");
    return Boolean(block) && block.innerText.trim() !== el.innerText.trim();
  };
  const selector = "a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]";
  for (const el of document.querySelectorAll(selector)) {
    if (!el.checkVisibility({visibilityProperty: true})) { continue; }
    let rects = [el.getBoundingClientRect()];
    const hidden = rects[0].width <= 1 && rects[0].height <= 1;  // visually hidden: .visually-hidden
    if (el.labels && el.labels.length && (hidden || el.type === "checkbox" || el.type === "radio")) {
      rects = [...(hidden ? [] : rects), ...[...el.labels].map((label) => label.getBoundingClientRect())];
    } else if (hidden) {
      continue;  // a skip link, say, which is large when it has the focus
    }
    const left = Math.min(...rects.map((r) => r.left)), right = Math.max(...rects.map((r) => r.right));
    const top = Math.min(...rects.map((r) => r.top)), bottom = Math.max(...rects.map((r) => r.bottom));
    const w = right - left, h = bottom - top;
    if (w + 0.5 >= minTarget && h + 0.5 >= minTarget) { continue; }
    if (inRunningText(el)) { continue; }
    found.small.push(`${describe(el)} is ${Math.round(w)} × ${Math.round(h)} px`);
  }
  return found;
}"""


def fill_free_text() -> None:
    """Every free-text field in the scene holds the pasted link (cut to the field's limit)."""
    for model, names in FREE_TEXT.items():
        values = {}
        for name in names:
            field = model._meta.get_field(name)
            limit = field.max_length if isinstance(field, models.CharField) else None
            values[name] = PASTED_LINK[:limit] if limit else PASTED_LINK
        model.objects.update(**values)


def check(page: Page, paths: list[str], *, targets_outside_admin: bool) -> None:
    problems: list[str] = []
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        check_targets = targets_outside_admin and not path.startswith("/admin/")
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 844})
            found = page.evaluate(_MEASURE, [MIN_TARGET, check_targets and width == WIDTHS[-1]])
            if found["scrollWidth"] > found["clientWidth"]:
                wide = "; ".join(found["wide"][:6])
                problems.append(
                    f"{path} at {width} px is {found['scrollWidth']} px wide: {wide or '(nothing named)'}"
                )
            for small in found["small"]:
                problems.append(f"{path}: {small}")
        page.set_viewport_size({"width": WIDTHS[0], "height": 844})
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def scene() -> Scene:
    built = build_scene()
    fill_free_text()
    return built


@pytest.mark.viewports("phone")
def test_resident_pages_fit_a_phone_and_have_big_targets(page: Page, viewport):
    built = scene()
    sign_in_as(page, built.resident)
    check(page, resident_pages(built)[0], targets_outside_admin=True)


@pytest.mark.viewports("phone")
def test_officer_pages_fit_a_phone_and_have_big_targets(page: Page, viewport):
    built = scene()
    sign_in_as(page, built.officer)
    check(page, officer_pages(built)[0], targets_outside_admin=True)


@pytest.mark.viewports("phone")
def test_sergeant_pages_fit_a_phone(page: Page, viewport):
    built = scene()
    sign_in_as(page, built.sergeant)
    check(page, sergeant_pages(built)[0], targets_outside_admin=False)
