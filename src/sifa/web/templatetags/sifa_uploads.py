"""Template filters for a material's upload field: what the file input offers and what its hint
says follow the material's 电子文件格式, as the upload gate does (``sniff.kinds_of``)."""

from __future__ import annotations

from django import template

from sifa.applications.uploads.sniff import LABELS, FileKind, accept_attribute, kinds_of

register = template.Library()


@register.filter
def upload_accept(file_format: str) -> str:
    """``pdf,jpg,png`` → ``.pdf,.jpg,.jpeg,.png`` (every kind the gate takes when it names none)."""
    return accept_attribute(kinds_of(file_format or ""))


@register.filter
def upload_formats(file_format: str) -> str:
    """``pdf,jpg,png`` → ``PDF、JPG、PNG``: the formats the upload takes, as the applicant reads them."""
    kinds = kinds_of(file_format or "") or frozenset(FileKind)
    return "、".join(LABELS[kind] for kind in FileKind if kind in kinds)
