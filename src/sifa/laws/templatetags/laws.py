"""``{% load laws %}``: ``{{ text|law_links:refs }}`` links the articles cited in ``text`` to the law
library (``refs``: the page's other references, for ``条例第八条``-style citations)."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString

from sifa.laws.references import context_laws, link

register = template.Library()


@register.filter
def law_links(text: object, refs: object = None) -> SafeString:
    return link(
        str(text or ""), context_laws(refs if isinstance(refs, list | tuple) else [refs] if refs else [])
    )
