"""The public pages' layout (``portal/base.html``) put around a page without the template engine.

:func:`render_page` is :func:`django.shortcuts.render` for a page whose template starts with
``{% extends "portal/base.html" %}``, for an anonymous visitor: what ``base.html`` makes of the
page is the same on every request but for a few holes, so it is rendered once per process and
key — the URLconf and script prefix, ``nav``, 关怀模式 on or off, and which blocks the page fills
— with markers in the holes, and each request fills them in:

* the page's blocks (``title``, ``head``, ``body_class``, ``breadcrumbs``, ``content``), rendered by
  the template engine from the page's own template, as ``{% extends %}`` renders them;
* the 关怀模式 form's CSRF token (``{% csrf_token %}``, the visitor's own, masked per request);
* the visitor's path and query (``{{ request.get_full_path }}`` in the form, ``…|urlencode`` in the
  登录 link's ``next``).

The page is byte for byte what ``render()`` gives (``core/tests/test_layout.py`` compares both on
every key). Everything else goes the template engine's way: a signed-in visitor (the header's
account links, the 退出 form, the idle warning), the home page and ``/accounts/`` pages (登录
without ``next``), a page that does not extend ``portal/base.html`` or uses ``{{ block.super }}``.

The skeleton is built with a stand-in request and context that refuse any name ``base.html`` did
not read when this was written (:class:`LayoutError`), so a change to ``base.html`` that reads
something new fails loudly in the tests instead of being frozen into every page.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template import Context, engines
from django.template.context import make_context
from django.template.defaultfilters import urlencode
from django.template.loader_tags import BlockNode, ExtendsNode
from django.urls import get_script_prefix, get_urlconf
from django.utils.autoreload import file_changed
from django.utils.html import conditional_escape

from sifa.core.pagecache import visitor_token

BASE = "portal/base.html"
_MARK = f"sifahole{secrets.token_hex(8)}x"
_HOLE = re.compile(re.escape(_MARK) + r"([a-wyz]+)([^x]*)x")  # no hole's name has an "x"
# The marker of the visitor's path: "&" tells ``{{ … }}`` (escaped: "&amp;") from ``|urlencode`` ("%26").
_FULL_PATH = f"{_MARK}full&x"


class LayoutError(RuntimeError):
    """``base.html`` read something the skeleton does not stand in for (see the module's docstring)."""


class _Strict:
    """A stand-in whose every other attribute is an error (not swallowed by the template engine)."""

    def __getattr__(self, name: str) -> Any:
        raise LayoutError(f"{BASE} reads {type(self).__name__}.{name}: teach sifa.core.layout about it")


class _User(_Strict):
    is_authenticated = False
    kind = ""  # an anonymous visitor has no account kind: the header shows 我的空间, not 工作台


class _Request(_Strict):
    def __init__(self, care: bool) -> None:
        self.COOKIES = {"sifa_care": "1"} if care else {}
        self.path = f"{_MARK}path&x"  # never shown: only tested against "/" and "/accounts/"
        self.user = _User()

    def get_full_path(self) -> str:
        return _FULL_PATH


class _StrictContext(Context):
    def __getitem__(self, key: str) -> Any:
        for d in reversed(self.dicts):
            if key in d:
                return d[key]
        raise LayoutError(f"{BASE} reads {key!r}: teach sifa.core.layout about it")


# (URLconf, script prefix, nav, care, page's blocks) → the skeleton: literal text and holes in turns.
_SKELETONS: dict[tuple, list[str]] = {}
# Template name → (the template, its blocks that base.html has) or None (rendered the usual way).
_PAGES: dict[str, tuple[Any, dict[str, BlockNode]] | None] = {}


@receiver(setting_changed)
@receiver(file_changed)  # the development server: an edited template is used without a restart
def _forget(**kwargs: object) -> None:
    _SKELETONS.clear()
    _PAGES.clear()


def _base_blocks() -> dict[str, BlockNode]:
    base = engines["django"].engine.get_template(BASE)
    return {node.name: node for node in base.nodelist.get_nodes_by_type(BlockNode)}


def _base_assigns() -> set[str]:
    """The names ``base.html`` sets (``… as name``) before the blocks: a page reading one of them is
    rendered the usual way (the skeleton does not set them)."""
    source = engines["django"].engine.get_template(BASE).source
    return set(re.findall(r"\{%[^%]*\bas (\w+) *%\}", source))


def _page(template_name: str) -> tuple[Any, dict[str, BlockNode]] | None:
    if template_name in _PAGES:
        return _PAGES[template_name]
    template = engines["django"].engine.get_template(template_name)
    found = None
    first = next((node for node in template.nodelist if not _is_text(node)), None)
    if (
        isinstance(first, ExtendsNode)
        and first.parent_name.var == BASE
        and not first.parent_name.filters
        and "block.super" not in template.source
        and not any(re.search(rf"\b{name}\b", template.source) for name in _base_assigns())
    ):
        base_blocks = _base_blocks()
        found = (template, {name: node for name, node in first.blocks.items() if name in base_blocks})
    _PAGES[template_name] = found
    return found


def _is_text(node: Any) -> bool:
    from django.template.base import TextNode

    return isinstance(node, TextNode)


def _skeleton(key: tuple, nav: str, care: bool, blocks: tuple[str, ...]) -> list[str]:
    skeleton = _SKELETONS.get(key)
    if skeleton is not None:
        return skeleton
    source = f'{{% extends "{BASE}" %}}' + "".join(
        f"{{% block {name} %}}{_MARK}{name.replace('_', '')}x{{% endblock %}}" for name in blocks
    )
    fake = engines["django"].engine.from_string(source)
    context = _StrictContext(
        {"request": _Request(care), "nav": nav, "care_mode": care, "csrf_token": f"{_MARK}csrfx"}
    )
    html = fake.render(context)
    parts = _HOLE.split(html)
    holes = {name.replace("_", "") for name in blocks} | {"csrf"}
    for index in range(1, len(parts), 3):
        name, how = parts[index], parts[index + 1]
        if name == "full" and how in ("&amp;", "%26"):
            parts[index] = "fullhtml" if how == "&amp;" else "fullurl"
        elif name not in holes or how:
            raise LayoutError(f"{BASE} shows {name}{how!r} where the skeleton has no hole for it")
    skeleton = [part for index, part in enumerate(parts) if index % 3 != 2]
    _SKELETONS[key] = skeleton
    return skeleton


def render_page(
    request: HttpRequest, template_name: str, context: dict[str, Any], status: int | None = None
) -> HttpResponse:
    """``render(request, template_name, context, status=status)``, the same bytes, with
    ``base.html`` from a skeleton when it can be (see the module's docstring)."""
    path = request.path
    page = _page(template_name)
    nav = context.get("nav", "")
    if (
        page is None
        or path == "/"
        or path[:10] == "/accounts/"
        or not isinstance(nav, str)
        or request.user.is_authenticated
    ):
        return render(request, template_name, context, status=status)
    template, blocks = page
    care = bool(context.get("care_mode")) or request.COOKIES.get("sifa_care") == "1"
    names = tuple(blocks)
    key = (str(get_urlconf() or settings.ROOT_URLCONF), get_script_prefix(), nav, care, names)
    skeleton = _skeleton(key, nav, care, names)
    ctx = make_context(context, request, autoescape=template.engine.autoescape)
    filled: dict[str, str] = {}
    if "csrf_token" in context:
        token = str(context["csrf_token"] or "")
    else:
        # The visitor's token as the context processor's get_token() gives it (the same secret, a new
        # mask, the cookie sent), drawn by pagecache.visitor_token from one os.urandom call instead
        # of Django's 32 (64 for a visitor without a secret yet: every request of a client without
        # cookies); the page's own {% csrf_token %} shows the same token.
        token = visitor_token(request)
        ctx.push(csrf_token=token)
    if token in ("", "NOTPROVIDED"):  # {% csrf_token %} would show no field
        return render(request, template_name, context, status=status)
    with ctx.render_context.push_state(template), ctx.bind_template(template):
        ctx.template_name = template.name
        for name, block in blocks.items():
            filled[name.replace("_", "")] = block.render(ctx)
    filled["csrf"] = conditional_escape(token)
    full = request.get_full_path()
    filled["fullhtml"] = conditional_escape(full)
    filled["fullurl"] = conditional_escape(urlencode(full))
    out = skeleton[:]
    for index in range(1, len(out), 2):
        out[index] = filled[out[index]]
    return HttpResponse("".join(out), status=status)
