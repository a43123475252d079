"""axe-core in the browser tests: the pinned script from npm (package.json), put into
the page with ``page.evaluate`` (the page's Content-Security-Policy does not apply to
it), and run with the WCAG 2.0, 2.1 and 2.2 A and AA rules."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import Resolver404, resolve

AXE_SCRIPT = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return result.violations.map(v => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ")),
  }));
}"""


def _view_name(path: str) -> str | None:
    try:
        return resolve(path).view_name
    except Resolver404:
        return None


class Checker:
    """Runs axe on the page a tab shows and keeps every violation, with who saw it where."""

    def __init__(self, axe_source: str):
        self.axe_source = axe_source
        self.violations: list[str] = []
        self.checked: Counter = Counter()
        self.pages = 0

    def check(self, tab, who: str) -> None:
        page = tab.page
        if not page.evaluate("() => typeof window.axe === 'object'"):
            page.evaluate(self.axe_source)
        self.pages += 1
        path = urlsplit(page.url).path
        self.checked[_view_name(path)] += 1
        for v in page.evaluate(RUN_AXE, AXE_TAGS):
            self.violations.append(
                f"{who} on {page.url}: {v['id']} ({v['impact']}) {v['help']}; "
                f"nodes: {', '.join(v['nodes'])}"
            )

    def visit(self, tab, who: str, path: str) -> int | None:
        response = tab.page.goto(path)
        tab.page.wait_for_load_state("load")
        self.check(tab, who)
        return response.status if response else None
