"""The real-browser harness: headless Debian Chromium driven by Playwright, audited by axe-core.

Never downloads a browser (no ``playwright install``): it runs ``/usr/bin/chromium`` (Debian
package ``chromium``) and injects ``node_modules/axe-core/axe.min.js`` (``npm ci``). Without
either, every ``browser`` test is skipped with the reason. Tests get:

* ``browser_page`` / ``nojs_page`` — a page in a fresh context (CSP bypassed so axe can be
  injected; ``nojs_page`` has JavaScript switched off, for the no-JS journeys);
* ``check_page(page, name)`` — no id is used twice on the page; axe-core (WCAG 2.1 A/AA + best
  practice) must report nothing, and with it the contrast of every control at rest, focused and
  visited (``contrast.py``: text 4.5:1, large text 3:1, focus indicator 3:1;
  ``SIFA_CONTRAST=full`` adds hovered and pressed, ``SIFA_CONTRAST=off`` skips it); the page must
  not scroll sideways at 375 px; and screenshots are taken (``audit=False`` skips axe and the
  contrast, for pages without JavaScript; ``shots=False`` skips screenshots);
* ``axe(page)`` — the violations alone;
* ``screenshot(page, name)`` — a full-page PNG into ``SCREENSHOTS``: ``var/screenshots/`` by default,
  so a test run never rewrites the committed pictures; ``SIFA_SCREENSHOTS=docs/screenshots``
  regenerates those (docs/screenshots.md).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from contrast import contrast_check

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / os.environ.get("SIFA_SCREENSHOTS", "var/screenshots")
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Contrast in every state on every checked page: "on" (at rest, focused, visited), "full" (also
# hovered and pressed: slower), "off".
CONTRAST = os.environ.get("SIFA_CONTRAST", "on")
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: runs in headless Debian Chromium with Playwright (needs chromium and npm ci)"
    )


BROWSER_MODULE_SECONDS = 20
"""A browser module's rough time in CI (Chromium, the live server, a flush after each test): its
tests are marked ``slow`` with it, so a parallel run starts them before the quick modules (root
``conftest.py``). A module that takes much longer marks itself with its own ``slow(seconds=…)``."""


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).resolve().parent
    for item in items:
        if item.get_closest_marker("slow") is None and here in Path(item.path).parents:
            item.add_marker(pytest.mark.slow(seconds=BROWSER_MODULE_SECONDS))


def missing_tools() -> str:
    """Why browser tests cannot run here, or "" when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Python package playwright is not installed"
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is missing (apt-get install chromium)"
    if not AXE.exists():
        return f"{AXE.relative_to(ROOT)} is missing (npm ci)"
    return ""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium for the tests of a module (each test gets fresh contexts: ``browser_page``);
    starting it takes a second or more on a loaded machine."""
    reason = missing_tools()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop in this thread; the tests' own ORM calls are still
    # plain synchronous code, so Django's async-safety guard is lifted for the module's duration.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as p:
            instance = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield instance
            finally:
                instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _context(browser: Any, *, javascript: bool) -> Any:
    # bypass_csp: axe is injected as a script, which the pages' CSP (script-src 'self') forbids.
    return browser.new_context(
        bypass_csp=True, locale="zh-CN", viewport=DESKTOP, java_script_enabled=javascript
    )


def _pages(browser: Any, *, javascript: bool) -> Iterator[Any]:
    context = _context(browser, javascript=javascript)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def browser_page(browser: Any) -> Iterator[Any]:
    yield from _pages(browser, javascript=True)


@pytest.fixture
def nojs_page(browser: Any) -> Iterator[Any]:
    yield from _pages(browser, javascript=False)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations on the current page. It needs page JavaScript: a ``nojs_page`` is
    audited by loading the same address in a ``browser_page``."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("async (tags) => await axe.run(document, {runOnly: tags})", AXE_TAGS)
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


@pytest.fixture
def axe() -> Callable[[Any], list[dict[str, Any]]]:
    return axe_violations


def horizontal_overflow(page: Any) -> tuple[int, int]:
    return tuple(
        page.evaluate("() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    )


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def duplicate_ids(page: Any) -> dict[str, int]:
    """Ids used more than once on the current page, with their count (HTML wants each id once: a
    label, ``aria-describedby`` or an error-summary link pointing at a repeated id finds the first)."""
    return page.evaluate(
        """() => {
          const seen = {};
          for (const el of document.querySelectorAll('[id]')) seen[el.id] = (seen[el.id] || 0) + 1;
          return Object.fromEntries(Object.entries(seen).filter(([, n]) => n > 1));
        }"""
    )


@pytest.fixture
def check_page() -> Callable[..., None]:
    """Every id once, axe finds nothing, 375 px does not scroll sideways; screenshots at both widths."""

    def check(page: Any, name: str, *, shots: bool = True, audit: bool = True) -> None:
        # A form sent just before (a plain GET form without JavaScript) may have committed the
        # new address while its document is still empty: check the page once it has loaded.
        page.wait_for_load_state("load")
        repeated = duplicate_ids(page)
        assert not repeated, f"{name}: ids used more than once: {repeated}"
        if audit:
            violations = axe_violations(page)
            assert violations == [], f"{name}: " + json.dumps(violations, ensure_ascii=False, indent=1)
            if CONTRAST != "off":
                # axe checks the resting page only: contrast at rest, focused and visited too
                # (hovered and pressed as well with SIFA_CONTRAST=full; tests/browser/contrast.py).
                full = CONTRAST == "full"
                contrast_check(page, name, hover=full, active=full)
        if shots:
            screenshot(page, name)
        size = page.viewport_size or DESKTOP
        page.set_viewport_size(PHONE)
        try:
            scroll, client = horizontal_overflow(page)
            assert scroll <= client, f"{name}: scrolls sideways at 375 px ({scroll} > {client})"
            if shots:
                screenshot(page, f"{name}-375")
        finally:
            page.set_viewport_size(size)

    return check
