"""axe-core accessibility checks (WCAG 2.2 AA) for browser journeys.

The site's CSP is ``script-src 'self'``. ``page.add_script_tag(path=...)`` injects axe as an *inline*
script, which that policy blocks (checked with Chromium 156: "Executing inline script violates the
following Content Security Policy directive"). Rather than turning the CSP off with
``new_context(bypass_csp=True)`` — which would also hide any CSP breakage in the site's own pages — each
test context answers one made-up same-origin address, ``/__axe-core__/axe.min.js``, from the npm file
(``context.route``, so the request never reaches Django), and ``add_script_tag(url=...)`` loads it from
there. To the page it is a script from 'self', so the journey runs under the real CSP throughout.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, Route

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_PATH = "/__axe-core__/axe.min.js"
AXE_URL_GLOB = f"**{AXE_PATH}"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]

_RUN_AXE = """async (tags) => {
  // Let colour transitions settle first (see ``violations``).
  const transitions = document.getAnimations().filter((a) => a instanceof CSSTransition);
  await Promise.all(transitions.map((a) => a.finished.catch(() => null)));
  // Judge the page from its top, then put her scroll back. axe's target-size places a sticky element
  // (the quick exit bar) where it is drawn now, so any button scrolled beneath it reads as "partially
  // obscured" (axe-core issue #3720, open) — seen on Book a walk's "Later week" after a fill scrolled.
  const [x, y] = [window.scrollX, window.scrollY];
  // (Instantly: Bootstrap makes scrolling smooth where motion is not reduced.)
  window.scrollTo({left: 0, top: 0, behavior: "instant"});
  const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
  const results = await axe.run(document, options).finally(
    () => window.scrollTo({left: x, top: y, behavior: "instant"}),
  );
  return results.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
  }));
}"""


def serve_axe(route: Route) -> None:
    """Answer the made-up same-origin address with axe-core (used with ``context.route``)."""
    if not AXE_JS.exists():
        raise FileNotFoundError(f"{AXE_JS} is missing: run `npm ci` (axe-core is a devDependency)")
    route.fulfill(path=AXE_JS, content_type="text/javascript; charset=utf-8")


def violations(page: Page) -> list[dict]:
    """Run axe-core on the page as it is now and return its WCAG 2.2 AA violations."""
    page.wait_for_load_state("load")
    # Check the page at rest. When Playwright scrolls to an element before acting, whatever passes under
    # the pointer turns :hover and back, and a colour read halfway through Bootstrap's 0.15 s
    # transition fails (seen as a flaky 2.3:1 to 4.35:1 on "Clear the pin", 4.7:1 at rest and when
    # hovered). So: park the pointer off the page, so nothing turns :hover while axe scrolls each
    # element into view to read its colours, and (in the script) wait for running transitions to end.
    page.mouse.move(-1, -1)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url=AXE_PATH)
    return page.evaluate(_RUN_AXE, WCAG_TAGS)


def assert_accessible(page: Page) -> None:
    """Fail, listing every violation and the elements it applies to, unless axe finds none."""
    found = violations(page)
    if not found:
        return
    lines = [f"axe-core found {len(found)} WCAG 2.2 AA violation(s) on {page.url}:"]
    for violation in found:
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>"
        )
        for node in violation["nodes"]:
            lines.append(f"    {node['target']}")
            for summary_line in (node["summary"] or "").splitlines():
                lines.append(f"      {summary_line}")
    raise AssertionError("\n".join(lines))
