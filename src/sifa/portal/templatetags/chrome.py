"""``{% load chrome %}``: the page chrome's fixed parts, built once per process.

``{% fixed_url 'portal-home' %}`` is ``{% url 'portal-home' %}`` for the
routes without arguments that every page's header and footer link to, reversed once per process
(per URLconf and script prefix) instead of on every page. A route that is not installed gives ""
(as ``{% url … as var %}`` does), so ``{% fixed_url 'citizen-track' as track_url %}{% if track_url %}``
keeps optional links optional."""

from __future__ import annotations

from django import template
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse

register = template.Library()

_REVERSED: dict[tuple[str, str, str], str] = {}


@register.simple_tag
def fixed_url(name: str) -> str:
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    key = (str(urlconf), get_script_prefix(), name)
    url = _REVERSED.get(key)
    if url is None:
        try:
            url = reverse(name)
        except NoReverseMatch:
            url = ""
        _REVERSED[key] = url
    return url


_FRAGMENTS: dict[tuple, tuple[int, str]] = {}


@receiver(setting_changed)
def _forget(**kwargs: object) -> None:
    """A changed setting (in tests: the URLconf, static files, features) may change what was built."""
    _REVERSED.clear()
    _FRAGMENTS.clear()


class FixedFragmentNode(template.Node):
    # Not searched for blocks (a fragment holds none): ``{% extends %}`` walks the parent's nodes on
    # every render, and the fragments' nodes need no walking.
    child_nodelists = ()

    def __init__(self, name: str, nodelist: template.NodeList, keys: list[template.base.FilterExpression]):
        self.name, self.nodelist, self.keys = name, nodelist, keys

    def render(self, context: template.Context) -> str:
        urlconf = get_urlconf() or settings.ROOT_URLCONF
        key = (self.name, str(urlconf), get_script_prefix(), *(k.resolve(context) for k in self.keys))
        found = _FRAGMENTS.get(key)
        if found is not None and found[0] == id(self.nodelist):
            return found[1]
        html = self.nodelist.render(context)
        _FRAGMENTS[key] = (id(self.nodelist), html)
        return html


@register.tag
def fixed_fragment(parser: template.base.Parser, token: template.base.Token) -> FixedFragmentNode:
    """``{% fixed_fragment "name" var … %}…{% endfixed_fragment %}``: the enclosed part of the page,
    rendered once per process for each value of the listed variables (and URLconf and script
    prefix), then reused. Only for markup that depends on nothing else: fixed URLs, static files,
    the listed variables (e.g. the header's links by ``nav`` and whether someone is signed in)."""
    bits = token.split_contents()
    if len(bits) < 2 or bits[1][0] not in "\"'" or bits[1][0] != bits[1][-1]:
        raise template.TemplateSyntaxError("fixed_fragment needs a quoted name")
    nodelist = parser.parse(("endfixed_fragment",))
    parser.delete_first_token()
    return FixedFragmentNode(bits[1][1:-1], nodelist, [parser.compile_filter(b) for b in bits[2:]])
