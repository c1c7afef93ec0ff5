"""axe-core (pinned in package.json, installed by ``npm ci`` in the README's test command) run on a page: the WCAG
2.0/2.1 A and AA rules, inside every open shadow root."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

_RUN = """async (tags) => {
  const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  const nodes = new Set();
  for (const group of [r.passes, r.violations, r.incomplete])
    for (const rule of group) for (const n of rule.nodes) nodes.add(JSON.stringify(n.target));
  return {
    version: axe.version,
    checked: nodes.size,
    rules: r.passes.length + r.violations.length + r.incomplete.length,
    incomplete: r.incomplete.map(v => v.id),
    violations: r.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help,
      nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.flat().join(' >> '), html: n.html.slice(0, 160),
                                           why: n.failureSummary.slice(0, 300)})),
      count: v.nodes.length,
    })),
  };
}"""


def run_axe(page) -> dict:
    """axe's result for the page as it is now: ``checked`` (elements examined), ``violations`` (rule, element)."""
    if not AXE_JS.is_file():
        raise AssertionError(f"{AXE_JS} is missing: run `npm ci` (the README's test command does)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=str(AXE_JS))
    return page.evaluate(_RUN, TAGS)


def describe(violations: list[dict]) -> str:
    """One line per violated rule and element, for an assertion message."""
    lines = []
    for v in violations:
        for n in v["nodes"]:
            lines.append(f"{v['id']} ({v['impact']}): {n['target']} — {n['html']} — {n['why']}")
        if v["count"] > len(v["nodes"]):
            lines.append(f"{v['id']}: … and {v['count'] - len(v['nodes'])} more elements")
    return "\n".join(lines)
