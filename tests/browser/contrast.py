"""Contrast in every state, measured in the browser (axe checks the resting page only).

``contrast_check(page, name)`` visits every visible button, link-button, link and form control of
the current page and computes, in each state —

* ``default``, ``focus`` (``element.focus()``, as the keyboard does), ``hover`` (the real mouse,
  ``page.mouse.move``), ``active`` (``:active`` + ``:hover`` + ``:focus`` forced through the
  DevTools protocol, as while the mouse button is held down), and for links ``visited`` and
  ``visited-focus`` (the page's ``:visited`` rules are cloned onto a marker attribute: Chromium's
  ``getComputedStyle`` never reveals visited colours) —

the contrast of its text (and of its descendants' text) against the effective background (the
background colours behind it composited up to the page), required 4.5:1, or 3:1 for large text
(≥ 24 px, or ≥ 18.66 px bold); in focus states the contrast of the focus indicator against the
background next to it, 3:1: the best of the outline and of a box-shadow added by the focus
(GOV.UK's yellow-and-black: the yellow outline alone is 1.4:1 on white, its black bar 21:1); and
at rest the border of text fields and selects against the background around them, 3:1 (WCAG
1.4.11). ``<details>`` are opened for the measure (their controls are measured too) and closed
again, and the element focused before and the scroll position are restored; disabled controls are
exempt (WCAG 1.4.3).

It prints one line per state, ``R15/contrast <name> <state>: min text … · min indicator …`` (the
lowest ratio and where), and fails with every pair below its threshold. ``contrast_report`` returns
the measurements without asserting, for a test that wants to look at them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

TEXT = 4.5
LARGE = 3.0
UI = 3.0

_SETUP = r"""
() => {
  const SELECTOR = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]';
  const parse = (c) => {
    const m = c && c.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]);
  };
  const lum = (c) => {
    const ch = c.slice(0, 3).map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2];
  };
  const ratio = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const hex = (c) => '#' + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  // The background behind node: its own and its ancestors' background colours, composited.
  const background = (node) => {
    const layers = [];
    let image = false;
    for (let n = node; n && n.nodeType === 1; n = n.parentElement) {
      const s = getComputedStyle(n);
      if (s.backgroundImage && s.backgroundImage !== 'none') image = true;
      const c = parse(s.backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let result = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) result = over(layers[i], result);
    return {color: result, image};
  };
  const describe = (el) => {
    const text = (el.innerText || el.value || el.getAttribute('aria-label') || el.name || '').trim().replace(/\s+/g, ' ').slice(0, 24);
    const cls = (el.getAttribute('class') || '').trim().split(/\s+/).filter(Boolean).slice(0, 2).join('.');
    return el.tagName.toLowerCase() + (el.type && el.tagName !== 'A' ? '[' + el.type + ']' : '') + (cls ? '.' + cls : '') + (text ? ' «' + text + '»' : '');
  };
  const shown = (el) => {
    if (el.closest('[hidden], [inert]')) return false;
    const modal = document.querySelector('dialog:modal');  // an open modal dialog makes the rest inert
    if (modal && !modal.contains(el)) return false;
    const s = getComputedStyle(el);
    if (s.visibility !== 'visible' || s.display === 'none') return false;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    if (r.right + window.scrollX <= 0 || r.bottom + window.scrollY <= 0) return false;  // parked off-screen
    if (s.clipPath && s.clipPath.includes('inset(50%')) return false;  // visually hidden
    return true;
  };
  const large = (s) => { const px = parseFloat(s.fontSize); return px >= 24 || (px >= 18.66 && Number(s.fontWeight) >= 700); };
  const textNodes = (el) => {
    // The element and its descendants that hold text directly, each with its own colour.
    const out = [];
    const visit = (n) => {
      if (n.nodeType !== 1) return;
      const s = getComputedStyle(n);
      if (s.display === 'none' || s.visibility !== 'visible') return;
      if (n !== el && (n.matches('svg, img') || n.classList.contains('sifa-visually-hidden') || n.classList.contains('wb-visually-hidden'))) return;
      if ([...n.childNodes].some((c) => c.nodeType === 3 && c.textContent.trim())) out.push(n);
      for (const c of n.children) visit(c);
    };
    visit(el);
    return out;
  };
  const boxShadows = (s) => {
    if (!s.boxShadow || s.boxShadow === 'none') return [];
    return s.boxShadow.split(/,(?![^(]*\))/).map((part) => ({color: parse(part), inset: /inset/.test(part)})).filter((x) => x.color && x.color[3] > 0);
  };
  const R = {
    elements: [],
    opened: [],
    setup() {
      this.before = {active: document.activeElement, x: window.scrollX, y: window.scrollY};
      this.opened = [...document.querySelectorAll('details:not([open])')];
      this.opened.forEach((d) => { d.open = true; });
      this.elements = [...document.querySelectorAll(SELECTOR)].filter((el) => !el.disabled && !el.closest('fieldset[disabled]'));
      this.elements.forEach((el, i) => el.setAttribute('data-r15', String(i)));
      // :visited, made measurable: each rule naming :visited gets a twin naming [data-r15-visited].
      for (const sheet of [...document.styleSheets]) {
        let rules;
        try { rules = sheet.cssRules; } catch (e) { continue; }
        for (let i = rules.length - 1; i >= 0; i--) {
          const rule = rules[i];
          if (rule.selectorText && rule.selectorText.includes(':visited')) {
            sheet.insertRule(rule.cssText.replaceAll(':visited', '[data-r15-visited]'), i + 1);
          }
        }
      }
      return this.elements.map((el) => ({link: el.matches('a[href]'), describe: describe(el)}));
    },
    teardown() {
      this.elements.forEach((el) => { el.removeAttribute('data-r15'); el.removeAttribute('data-r15-visited'); });
      this.opened.forEach((d) => { d.open = false; });
      if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
      // The page as the test left it: the same element focused, the same scroll position.
      const {active, x, y} = this.before;
      if (active && active !== document.body && active.focus) active.focus({preventScroll: true});
      window.scrollTo(x, y);
    },
    visited(on) { this.elements.forEach((el) => { if (el.matches('a[href]')) { if (on) el.setAttribute('data-r15-visited', ''); else el.removeAttribute('data-r15-visited'); } }); },
    // One element in its current state: text pairs, the indicator (focus states), the field border (rest).
    measure(i, focusState) {
      const el = this.elements[i];
      if (!shown(el)) return null;
      const s = getComputedStyle(el);
      const own = background(el);
      const outside = el.parentElement ? background(el.parentElement).color : [255, 255, 255, 1];
      const texts = [];
      const kind = el.tagName === 'INPUT' ? el.type : '';
      if (!['checkbox', 'radio', 'file', 'range', 'color', 'image'].includes(kind)) {
        for (const n of textNodes(el)) {
          const ns = getComputedStyle(n);
          const bg = background(n);
          const fgRaw = parse(ns.color);
          if (!fgRaw) continue;
          const fg = over(fgRaw, bg.color);
          texts.push({ratio: ratio(fg, bg.color), need: large(ns) ? 3.0 : 4.5, fg: hex(fg), bg: hex(bg.color), image: bg.image});
        }
        if (['text', 'email', 'tel', 'number', 'search', 'password', 'url', 'date', ''].includes(kind) && el.matches('input, select, textarea') && (el.value || el.tagName === 'SELECT')) {
          const fg = over(parse(s.color), own.color);
          texts.push({ratio: ratio(fg, own.color), need: large(s) ? 3.0 : 4.5, fg: hex(fg), bg: hex(own.color), image: own.image});
        }
      }
      const result = {i, describe: describe(el), texts};
      if (focusState) {
        const parts = [];
        const ow = parseFloat(s.outlineWidth);
        const oc = parse(s.outlineColor);
        if (s.outlineStyle !== 'none' && ow > 0 && oc && oc[3] > 0) {
          const c = over(oc, outside);
          parts.push({what: 'outline', ratio: ratio(c, outside), fg: hex(c), bg: hex(outside)});
        }
        for (const sh of boxShadows(s)) {
          const next = sh.inset ? own.color : outside;
          const c = over(sh.color, next);
          parts.push({what: sh.inset ? 'inset shadow' : 'shadow', ratio: ratio(c, next), fg: hex(c), bg: hex(next)});
        }
        const focused = el === document.activeElement || el.matches(':focus');
        result.indicator = parts.length ? parts.reduce((a, b) => (b.ratio > a.ratio ? b : a)) : {what: 'none', ratio: 1, fg: '', bg: hex(outside)};
        result.indicator.parts = parts.map((p) => p.what + ' ' + p.ratio.toFixed(2));
        result.focused = focused;
      } else if (el.matches('select, textarea, input') && !['checkbox', 'radio', 'file', 'range', 'color', 'image', 'submit', 'button', 'reset'].includes(kind)) {
        const bw = parseFloat(s.borderTopWidth);
        const bc = parse(s.borderTopColor);
        if (s.borderTopStyle !== 'none' && bw > 0 && bc) {
          const c = over(bc, outside);
          result.border = {ratio: ratio(c, outside), fg: hex(c), bg: hex(outside)};
        }
      }
      return result;
    },
    // default / focus / visited states, all in one call.
    measureAll(state) {
      const out = [];
      this.visited(state.startsWith('visited'));
      this.elements.forEach((el, i) => {
        if (state.startsWith('visited') && !el.matches('a[href]')) return;
        const focus = state.endsWith('focus');
        if (focus) el.focus({preventScroll: true});
        const r = this.measure(i, focus);
        if (focus) el.blur();
        if (r) out.push(r);
      });
      this.visited(false);
      return out;
    },
    point(i) {
      const el = this.elements[i];
      if (!shown(el)) return null;
      el.scrollIntoView({block: 'center', inline: 'nearest'});
      const r = el.getBoundingClientRect();
      return {x: r.left + Math.min(r.width / 2, 8), y: r.top + r.height / 2};
    },
    hovered(i) { return this.elements[i].matches(':hover'); },
  };
  window.__r15 = R;
  return R.setup();
}
"""


@dataclass
class Finding:
    state: str
    element: str
    what: str  # "text", "indicator", "border"
    ratio: float
    need: float
    colours: str


@dataclass
class Report:
    name: str
    lowest: dict[str, dict[str, Finding]] = field(default_factory=dict)  # state → what → lowest
    failures: list[Finding] = field(default_factory=list)
    measured: int = 0
    skipped_hover: int = 0

    def add(self, finding: Finding) -> None:
        self.measured += 1
        per_state = self.lowest.setdefault(finding.state, {})
        if finding.what not in per_state or finding.ratio < per_state[finding.what].ratio:
            per_state[finding.what] = finding
        if finding.ratio + 1e-9 < finding.need:
            self.failures.append(finding)

    def lines(self) -> list[str]:
        out = []
        for state, lows in self.lowest.items():
            parts = [
                f"min {what} {f.ratio:.2f}:1 ({f.colours}, {f.element})" for what, f in sorted(lows.items())
            ]
            out.append(f"R15/contrast {self.name} {state}: " + " · ".join(parts))
        return out


def _record(report: Report, state: str, results: list[dict[str, Any]]) -> None:
    for r in results:
        for t in r["texts"]:
            report.add(
                Finding(
                    state, r["describe"], "text", round(t["ratio"], 2), t["need"], f"{t['fg']} on {t['bg']}"
                )
            )
        indicator = r.get("indicator")
        if indicator is not None:
            report.add(
                Finding(
                    state,
                    r["describe"],
                    "indicator",
                    round(indicator["ratio"], 2),
                    UI,
                    f"{indicator['what']} {indicator['fg']} by {indicator['bg']}",
                )
            )
        border = r.get("border")
        if border is not None:
            report.add(
                Finding(
                    state,
                    r["describe"],
                    "border",
                    round(border["ratio"], 2),
                    UI,
                    f"{border['fg']} by {border['bg']}",
                )
            )


def _force(cdp: Any, index: int, classes: list[str]) -> None:
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": f'[data-r15="{index}"]'})["nodeId"]
    if node:
        cdp.send("CSS.forcePseudoState", {"nodeId": node, "forcedPseudoClasses": classes})


def contrast_report(page: Any, name: str, *, hover: bool = True, active: bool = True) -> Report:
    """Measure every control of the current page in every state (see the module docstring)."""
    report = Report(name)
    elements = page.evaluate(_SETUP)
    try:
        for state in ("default", "focus", "visited", "visited-focus"):
            _record(report, state, page.evaluate("(s) => window.__r15.measureAll(s)", state))
        if hover:
            results = []
            for i in range(len(elements)):
                point = page.evaluate("(i) => window.__r15.point(i)", i)
                if point is None:
                    continue
                page.mouse.move(point["x"], point["y"])
                if not page.evaluate("(i) => window.__r15.hovered(i)", i):
                    report.skipped_hover += 1  # covered by another element at that point
                    continue
                measured = page.evaluate("(i) => window.__r15.measure(i, false)", i)
                if measured:
                    results.append(measured)
            page.mouse.move(0, 0)
            _record(report, "hover", results)
        if active:
            cdp = page.context.new_cdp_session(page)
            try:
                cdp.send("DOM.enable")
                cdp.send("CSS.enable")
                results = []
                for i in range(len(elements)):
                    _force(cdp, i, ["active", "hover", "focus"])
                    measured = page.evaluate("(i) => window.__r15.measure(i, true)", i)
                    _force(cdp, i, [])
                    if measured:
                        results.append(measured)
                _record(report, "active", results)
            finally:
                cdp.detach()
    finally:
        page.evaluate("() => window.__r15 && window.__r15.teardown()")
    return report


def contrast_check(page: Any, name: str, **options: Any) -> Report:
    """Measure, print the lowest ratio per state (``R15/contrast …`` lines) and fail on any pair
    below WCAG 2.2 AA: text 4.5:1, large text 3:1, focus indicators and field borders 3:1."""
    report = contrast_report(page, name, **options)
    for line in report.lines():
        print(line)
    if report.failures:
        worst = sorted(report.failures, key=lambda f: f.ratio)[:25]
        detail = "\n".join(
            f"  {f.state:<13} {f.what:<9} {f.ratio:5.2f} < {f.need} {f.colours:<40} {f.element}"
            for f in worst
        )
        raise AssertionError(f"{name}: {len(report.failures)} contrast failures\n{detail}")
    return report
