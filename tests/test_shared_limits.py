"""Issue 14 point 3: every rate limit and throttle counts in the shared store (``sifa.core.limits``),
never in one process's memory — a throttle that counts elsewhere fails this test by name."""

from __future__ import annotations

import ast
import importlib
import inspect
from pathlib import Path

from rest_framework.throttling import BaseThrottle

from sifa.core.api.throttles import SharedRateThrottle

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "sifa"
PER_PROCESS_IMPORTS = ("django.core.cache", "django_ratelimit", "rest_framework.throttling")
ALLOWED = {
    "sifa.core.api.throttles": "the shared throttle's own base: DRF's interface, over sifa.core.limits"
}


def _modules() -> list[tuple[str, Path]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE.parent).with_suffix("")
        parts = relative.parts if relative.name != "__init__" else relative.parts[:-1]
        module = ".".join(parts)
        if ".tests" in module or module.startswith("sifa.testing") or "migrations" in parts:
            continue
        found.append((module, path))
    return found


def imports_of(source: str) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def per_process_imports(module: str, source: str) -> list[str]:
    if module in ALLOWED:
        return []
    return sorted(
        name
        for name in imports_of(source)
        if any(name == p or name.startswith(p + ".") for p in PER_PROCESS_IMPORTS)
    )


def test_no_product_module_counts_in_a_cache_or_a_throttle_of_its_own():
    offenders = {
        module: found
        for module, path in _modules()
        if (found := per_process_imports(module, path.read_text()))
    }
    assert offenders == {}


def test_a_planted_cache_counter_is_reported():
    assert per_process_imports("sifa.planted", "from django.core.cache import cache\n") == [
        "django.core.cache"
    ]
    assert per_process_imports("sifa.planted", "from rest_framework.throttling import AnonRateThrottle\n")
    assert per_process_imports("sifa.planted", "from django_ratelimit.core import is_ratelimited\n")
    assert not per_process_imports("sifa.planted", "from sifa.core import limits\n")


def test_every_throttle_class_is_a_shared_one():
    throttles = []
    for module, path in _modules():
        if "Throttle" not in path.read_text():
            continue
        for _name, value in inspect.getmembers(importlib.import_module(module), inspect.isclass):
            if issubclass(value, BaseThrottle) and value.__module__.startswith("sifa."):
                throttles.append(value)
    assert len({t.__qualname__ for t in throttles}) >= 15  # the walk found the app throttles
    assert [t for t in throttles if not issubclass(t, SharedRateThrottle)] == []
