"""The worklist (待办工作) and my organisation's overdue list (超期预警). The worklist also lists the
latest 上级通报 (the 绩效通报 of the organisations above mine), for every member of staff."""

from __future__ import annotations

from urllib.parse import urlencode

from django import forms
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_safe

from sifa.deadlines.clocks import WarningLevel
from sifa.documents.selectors import circulated_from_above
from sifa.organisations.models import Role
from sifa.organisations.scope import Actor, scoped
from sifa.workbench.access import staff_required
from sifa.workbench.views.common import error_summary, page, paginate
from sifa.workflow.models import WorkItem, WorkItemStatus
from sifa.workflow.selectors import open_alerts, worklist

TASK_KINDS = {
    "accept": "受理",
    "accept_decide": "受理并当场决定",
    "review": "审查",
    "decide": "决定",
    "assign": "指派",
    "rule": "异议审查决定",
    "mediate": "人民调解",
    "deliver": "送达",
}
ANY = [("", "全部")]
START_ALERTS_SHOWN = 20


def _item_choices(actor: Actor) -> list[tuple[str, str]]:
    rows = (
        scoped(WorkItem.objects.filter(status=WorkItemStatus.OPEN), actor)
        .values_list("application__version__item__basic_code", "application__version__item__name")
        .distinct()
        .order_by("application__version__item__name")
    )
    return list(dict(rows).items())


class WorklistFilter(forms.Form):
    warning_level = forms.ChoiceField(label="预警等级", required=False)
    stage = forms.ChoiceField(label="环节", required=False)
    role = forms.ChoiceField(label="岗位", required=False)
    item = forms.ChoiceField(label="事项", required=False)

    def __init__(self, *args, actor: Actor, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["warning_level"].choices = [
            *ANY,
            (WarningLevel.RED, "超期"),
            (WarningLevel.YELLOW, "临期"),
            (WarningLevel.GREEN, "正常"),
        ]
        self.fields["stage"].choices = ANY + list(TASK_KINDS.items())
        mine = sorted(actor.roles) if not actor.is_superuser else Role.values
        self.fields["role"].choices = ANY + [(r, Role(r).label) for r in mine if r in Role.values]
        self.fields["item"].choices = ANY + _item_choices(actor)
        for field in self.fields.values():
            field.widget.attrs["class"] = "sifa-select"
            field.error_messages["invalid_choice"] = f"{field.label}的选项无效，已忽略该条件"


def _any_provisional(items) -> bool:
    """Whether a due date shown carries 暂定 (the page then explains the mark once)."""
    return any(item.due_on and item.clock is not None and item.clock.provisional for item in items)


@require_safe
@staff_required
def worklist_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    form = WorklistFilter(request.GET or None, actor=actor)
    chosen: dict[str, str] = {}
    if form.is_bound:
        form.is_valid()
        chosen = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if v}
    items = worklist(
        actor, warning_level=chosen.get("warning_level"), role=chosen.get("role"), stage=chosen.get("stage")
    )
    if chosen.get("item"):
        items = items.filter(application__version__item__basic_code=chosen["item"])
    items = items.order_by("warning_rank", F("due_on").asc(nulls_last=True), "id")
    query = urlencode(chosen)
    alerts = open_alerts(actor)
    page_obj = paginate(request, items)
    return page(
        request,
        "workbench/worklist.html",
        {
            "nav": "worklist",
            "start_alerts": alerts[:START_ALERTS_SHOWN],
            "start_alerts_count": alerts.count(),
            "form": form,
            "errors": error_summary(form) if form.is_bound else [],
            "page_obj": page_obj,
            "any_provisional": _any_provisional(page_obj),
            "query": query,
            "kinds": TASK_KINDS,
            "roles": dict(Role.choices),
            "circulated": circulated_from_above(actor),
        },
    )


@require_safe
@staff_required
def overdue_view(request: HttpRequest) -> HttpResponse:
    """Open work in my organisations' subtrees that is overdue (red) or past its due date."""
    today = timezone.localdate()
    items = (
        scoped(WorkItem.objects.filter(status=WorkItemStatus.OPEN), request.actor)
        .filter(Q(warning_level=WarningLevel.RED) | Q(due_on__lt=today))
        .select_related("application__version__item", "organisation", "clock")
        .order_by(F("due_on").asc(nulls_last=True), "id")
    )
    page_obj = paginate(request, items)
    return page(
        request,
        "workbench/overdue.html",
        {
            "nav": "overdue",
            "page_obj": page_obj,
            "any_provisional": _any_provisional(page_obj),
            "today": today,
            "kinds": TASK_KINDS,
            "roles": dict(Role.choices),
        },
    )
