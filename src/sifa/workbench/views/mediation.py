"""人民调解员名册: the roster of each 司法所, kept by its staff (and the bureaus above it).

``/workbench/mediation/`` lists the judicial offices whose roster I may keep (straight to the only
one if there is one); ``/workbench/mediation/<id>/`` shows its committees and mediators with forms
to add a committee, add a mediator, and take a mediator off the roster or back on. Every form is a
plain POST (no JavaScript) through ``sifa.mediation.services``; errors come back in a summary.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_http_methods, require_safe

from sifa.core.errors import ServiceError
from sifa.mediation import services
from sifa.mediation.models import CommitteeKind, MediationCommittee, Mediator, MediatorPosition
from sifa.mediation.selectors import committees
from sifa.organisations.models import Organisation, OrganisationKind
from sifa.organisations.scope import subtree_q
from sifa.workbench.access import staff_required
from sifa.workbench.forms import DecoratedForm
from sifa.workbench.views.common import error_summary, page, paginate


class CommitteeForm(DecoratedForm):
    name = forms.CharField(
        label="人民调解委员会名称", max_length=100, error_messages={"required": "请填写名称"}
    )
    kind = forms.ChoiceField(
        label="类别",
        choices=CommitteeKind.choices,
        error_messages={"required": "请选择类别", "invalid_choice": "请选择有效的类别"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, prefix="committee", **kwargs)


class MediatorForm(DecoratedForm):
    committee = forms.ChoiceField(
        label="所属人民调解委员会", error_messages={"required": "请选择人民调解委员会"}
    )
    name = forms.CharField(label="姓名", max_length=50, error_messages={"required": "请填写人民调解员姓名"})
    position = forms.ChoiceField(
        label="职务", choices=MediatorPosition.choices, error_messages={"required": "请选择职务"}
    )
    specialties = forms.CharField(label="擅长调解的纠纷（选填）", max_length=200, required=False)

    def __init__(self, *args, office: Organisation, **kwargs) -> None:
        super().__init__(*args, prefix="mediator", **kwargs)
        self.fields["committee"].choices = [
            (str(c.pk), c.name)
            for c in MediationCommittee.objects.filter(organisation=office, is_active=True)
        ]
        self.fields["committee"].error_messages["invalid_choice"] = "请选择本所名册中的人民调解委员会"


def _offices(request: HttpRequest):
    paths = request.actor.paths_for(services.ROSTER_ROLES)
    rows = Organisation.objects.filter(kind=OrganisationKind.JUDICIAL_OFFICE, is_active=True)
    if not request.actor.is_superuser:
        rows = rows.filter(subtree_q("path", paths))
    return rows.order_by("path")


@require_safe
@staff_required
def roster_index(request: HttpRequest) -> HttpResponse:
    offices = _offices(request)
    if offices.count() == 1:
        return redirect("workbench-roster", office_id=offices.first().pk)
    return page(
        request, "workbench/roster_index.html", {"nav": "mediation", "page_obj": paginate(request, offices)}
    )


def _office(request: HttpRequest, office_id: int) -> Organisation:
    office = Organisation.objects.filter(pk=office_id, kind=OrganisationKind.JUDICIAL_OFFICE).first()
    if office is None or not services.can_keep_roster(request.user, office):
        raise Http404("未找到该司法所")
    return office


def _render(request, office, committee_form, mediator_form, error=None, status=200) -> HttpResponse:
    bound = committee_form if committee_form.is_bound else mediator_form if mediator_form.is_bound else None
    return page(
        request,
        "workbench/roster.html",
        {
            "nav": "mediation",
            "office": office,
            "committees": committees(office, include_inactive=True),
            "committee_form": committee_form,
            "mediator_form": mediator_form,
            "errors": error_summary(bound, error) if bound is not None or error else [],
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@staff_required
def roster_view(request: HttpRequest, office_id: int) -> HttpResponse:
    office = _office(request, office_id)
    action = request.POST.get("action", "")
    committee_form = CommitteeForm(request.POST if action == "committee" else None)
    mediator_form = MediatorForm(request.POST if action == "mediator" else None, office=office)
    if request.method == "GET":
        return _render(request, office, committee_form, mediator_form)
    try:
        if action == "committee":
            if not committee_form.is_valid():
                return _render(request, office, committee_form, mediator_form, status=400)
            done = services.create_committee(request.user, office, **committee_form.cleaned_data)
            messages.success(request, f"已将“{done.name}”登记入名册。")
        elif action == "mediator":
            if not mediator_form.is_valid():
                return _render(request, office, committee_form, mediator_form, status=400)
            data = mediator_form.cleaned_data
            committee = MediationCommittee.objects.get(pk=int(data.pop("committee")), organisation=office)
            done = services.add_mediator(request.user, committee, **data)
            messages.success(request, f"已将人民调解员{done.name}登记入名册。")
        elif action in ("deactivate", "activate"):
            raw = request.POST.get("mediator", "")
            mediator = (
                Mediator.objects.filter(pk=int(raw), committee__organisation=office).first()
                if raw.isdigit()
                else None
            )
            if mediator is None:
                raise Http404("未找到该人民调解员")
            services.set_mediator_active(request.user, mediator, action == "activate")
            messages.success(
                request,
                f"人民调解员{mediator.name}{'已恢复在册' if action == 'activate' else '已移出名册'}。",
            )
        else:
            raise Http404("未知的操作")
    except ServiceError as refused:
        return _render(request, office, committee_form, mediator_form, error=refused, status=refused.status)
    return redirect("workbench-roster", office_id=office.pk)
