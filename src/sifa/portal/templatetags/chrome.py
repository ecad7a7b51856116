"""``{% load chrome %}``: ``{% fixed_url 'portal-home' %}`` is ``{% url 'portal-home' %}`` for the
routes without arguments that every page's header and footer link to, reversed once per process
(per URLconf and script prefix) instead of on every page. A route that is not installed gives ""
(as ``{% url … as var %}`` does), so ``{% fixed_url 'citizen-track' as track_url %}{% if track_url %}``
keeps optional links optional."""

from __future__ import annotations

from django import template
from django.conf import settings
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
