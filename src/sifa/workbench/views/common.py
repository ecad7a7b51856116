"""Shared bits of the workbench views: rendering with the role menu, pagination, error summaries,
and the command forms of a record's page (``posted_action``, ``action_forms``)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from sifa.applications.uploads.errors import materials_rule, upload_rule
from sifa.core.errors import ServiceError
from sifa.deadlines.selectors import calendar_outlook
from sifa.workbench.access import menu_for

PAGE_SIZE = 20


def page(request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200) -> HttpResponse:
    menu = menu_for(request.actor)
    context = {
        "menu": menu,
        "calendar_alert": _calendar_alert(menu),
        "upload_rule": upload_rule(),
        "materials_rule": materials_rule(),
        **context,
    }
    return render(request, template, context, status=status)


def _calendar_alert(menu: list) -> Any:
    """From 1 October until next year's 放假安排 is entered, every calendar administrator sees a
    banner on every page (the menu already says whether this is one)."""
    if not any(item.key == "calendar" for item in menu):
        return None
    outlook = calendar_outlook(timezone.localdate())
    return outlook if outlook.alert else None


def paginate(request: HttpRequest, queryset: Any, size: int = PAGE_SIZE) -> Page:
    """The requested page; a page number out of range or not a number shows the nearest page."""
    return Paginator(queryset, size).get_page(request.GET.get("page"))


def field_anchor(form: forms.Form, name: str) -> str:
    """The id a summary link jumps to: the input itself, or a group's first radio."""
    if name not in form.fields:
        return "action-form"
    bound = form[name]
    if isinstance(form.fields[name].widget, forms.RadioSelect):
        return f"{bound.auto_id}_0"
    return bound.auto_id


def error_summary(form: forms.Form | None, error: ServiceError | None = None) -> list[tuple[str, str]]:
    """(anchor, message) pairs for the error summary: the form's own errors first, then the
    service's, each linked to its field when the service named one the form has."""
    rows: list[tuple[str, str]] = []
    if form is not None and form.is_bound:
        for name, messages in form.errors.items():
            anchor = "action-form" if name == "__all__" else field_anchor(form, name)
            rows += [(anchor, str(m)) for m in messages]
    if error is not None:
        fielded = [e for e in error.errors if isinstance(e, dict) and e.get("message")]
        if fielded:
            rows += [
                (field_anchor(form, str(e.get("field", ""))) if form else "action-form", e["message"])
                for e in fielded
            ]
        else:
            rows.append(("action-form", error.message))
    return rows


FormTable = dict[str, tuple[type[forms.Form], str]]
"""A page's commands: action → (its form class, the message shown once it is done)."""


def posted_action(request: HttpRequest, table: FormTable) -> tuple[str, forms.Form, str]:
    """The action a page's POST names, its form bound to the POST (prefixed with the action) and
    its success message; an action the page does not have is 404."""
    action = request.POST.get("action", "")
    if action not in table:
        raise Http404("未知的操作")
    form_class, done = table[action]
    return action, form_class(request.POST, prefix=action), done


def action_forms(
    table: FormTable,
    commands: Any,
    *,
    bound: forms.Form | None = None,
    action: str = "",
    error: ServiceError | None = None,
    initial: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The page context of its command forms: ``forms`` (one per command the viewer may use now,
    the posted one still bound), ``errors`` (the error summary) and ``bound_action``."""
    initial = initial or {}
    shown = {
        name: bound
        if name == action and bound is not None
        else table[name][0](prefix=name, initial=initial.get(name))
        for name in commands
    }
    return {
        "forms": shown,
        "errors": error_summary(bound, error) if bound is not None or error else [],
        "bound_action": action,
    }
