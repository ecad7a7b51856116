"""督查 in the workbench (inspectors only; everyone else 404, as if the pages did not exist).

* ``/workbench/inspections/`` — the mock applications (模拟办件) and random checks (随机抽查) of my
  subtree, with the way to draw a check.
* ``/workbench/inspections/checks/new/`` — draw a random check: organisation, month, size, seed
  (optional: one is generated and recorded).
* ``/workbench/inspections/checks/<id>/`` — the draw (seed, candidates, sample) and each sampled
  case with its inspector and finding; ``…/cases/<number>/`` — record my finding with the checklist.
* ``/workbench/inspections/mocks/<id>/`` — a mock application, and its score form once it has ended.
* ``/workbench/inspections/results/`` — for the handling side (supervisors and decision makers):
  the mock applications of their scope that have ended, with their scores.

Filing a mock application is ``…/mocks/new/`` (:mod:`sifa.workbench.views.inspection_mock`), the
same command as ``POST /api/v1/inspections/mock-applications/``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from sifa.accounts.models import User
from sifa.core.errors import ServiceError
from sifa.inspections import selectors, services
from sifa.inspections.checklist import CASE_CHECKLIST, MOCK_CHECKLIST
from sifa.inspections.models import Result, Severity
from sifa.organisations.models import Organisation, OrganisationLevel, Role
from sifa.organisations.scope import Actor, subtree_q
from sifa.workbench.access import staff_required
from sifa.workbench.forms import DecoratedForm
from sifa.workbench.views.common import error_summary, page, paginate

RESULT_ROLES = (Role.SUPERVISOR, Role.DECISION_MAKER)
MAX_ORGANISATIONS = 500


def is_inspector(actor: Actor) -> bool:
    return actor.has_role(*services.INSPECTOR_ROLES)


def sees_results(actor: Actor) -> bool:
    return actor.has_role(*RESULT_ROLES)


def _inspector(request: HttpRequest) -> None:
    if not is_inspector(request.actor):
        raise Http404("未找到该页面")


def organisations_for(actor: Actor) -> list[tuple[int, str]]:
    """The organisations an inspector may check down to the county, the higher levels first (at
    most 500; a check of a county covers its 司法所, and the API takes any organisation)."""
    rows = (
        Organisation.objects.filter(
            subtree_q("path", actor.paths_for(services.INSPECTOR_ROLES)),
            is_active=True,
            level__lte=OrganisationLevel.COUNTY,
        )
        .order_by("level", "path")
        .values_list("pk", "name")[:MAX_ORGANISATIONS]
    )
    return list(rows)


class DrawForm(DecoratedForm):
    organisation = forms.TypedChoiceField(
        label="被抽查机构",
        coerce=int,
        help_text="抽取该机构及其下级机构办结的办件",
        error_messages={"required": "请选择被抽查机构", "invalid_choice": "请选择被抽查机构"},
    )
    period = forms.RegexField(
        label="办结月份",
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        max_length=7,
        help_text="格式：年-月，如 2026-11；只能抽查已经结束的月份",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={"required": "请填写办结月份", "invalid": "办结月份应为 年-月，如 2026-11"},
    )
    size = forms.IntegerField(
        label="抽取数量",
        min_value=1,
        max_value=services.checks.MAX_SIZE,
        initial=5,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": "请填写抽取数量",
            "invalid": "抽取数量应为整数",
            "min_value": "抽取数量应为1至200件",
            "max_value": "抽取数量应为1至200件",
        },
    )
    seed = forms.RegexField(
        label="随机种子（可不填）",
        regex=r"^[0-9A-Za-z_-]{1,64}$",
        required=False,
        max_length=64,
        help_text="同一种子、同一月份得到同一样本；不填时系统生成并记录",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        error_messages={"invalid": "随机种子应为1至64位字母、数字、下划线或连字符"},
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].choices = [("", "请选择"), *choices]


def _scores_fields(form: forms.Form, checklist: tuple) -> None:
    for item in checklist:
        form.fields[f"score_{item.key}"] = forms.IntegerField(
            label=f"{item.label}（满分{item.points}分）",
            min_value=0,
            max_value=item.points,
            help_text=item.guide,
            widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
            error_messages={
                "required": f"请为“{item.label}”评分",
                "invalid": f"“{item.label}”的得分应为整数",
                "min_value": f"“{item.label}”的得分应为0至{item.points}分",
                "max_value": f"“{item.label}”的得分应为0至{item.points}分",
            },
        )


class FindingForm(DecoratedForm):
    """The case checklist's score fields are added before the form is first validated."""

    result = forms.ChoiceField(
        label="检查结论",
        choices=Result.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择检查结论"},
    )
    severity = forms.ChoiceField(
        label="问题程度（存在问题时填写）",
        choices=Severity.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    findings = forms.CharField(
        label="检查发现",
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="存在问题的，写明问题和依据（3000字以内）",
        error_messages={"max_length": "检查发现不能超过3000字"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _scores_fields(self, CASE_CHECKLIST)


class ScoreForm(DecoratedForm):
    findings = forms.CharField(
        label="督查发现",
        max_length=3000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="办理中发现的问题和改进建议（3000字以内）",
        error_messages={"max_length": "督查发现不能超过3000字"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _scores_fields(self, MOCK_CHECKLIST)


def _scores(data: dict[str, Any], checklist: tuple) -> dict[str, int]:
    return {item.key: data[f"score_{item.key}"] for item in checklist}


# --- the index ----------------------------------------------------------------------------------


@require_safe
@staff_required
def index_view(request: HttpRequest) -> HttpResponse:
    _inspector(request)
    checks = paginate(request, selectors.checks(request.user))
    checks.object_list = [selectors.check_view(c, with_cases=False) for c in checks.object_list]
    mocks = [selectors.mock_view(m) for m in selectors.mocks(request.user)[:50]]
    return page(
        request, "workbench/inspection/index.html", {"nav": "inspections", "page_obj": checks, "mocks": mocks}
    )


# --- random checks ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def draw_view(request: HttpRequest) -> HttpResponse:
    _inspector(request)
    choices = organisations_for(request.actor)
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timezone.timedelta(days=1)).strftime("%Y-%m")
    error = None
    if request.method == "POST":
        form = DrawForm(request.POST, choices=choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                drawn = services.draw(
                    request.user,
                    organisation=data["organisation"],
                    period=data["period"],
                    size=data["size"],
                    seed=data["seed"],
                )
            except ServiceError as refused:
                error = refused
            else:
                count = drawn.check.cases.count()
                messages.success(
                    request, f"已抽取{count}件（候选{drawn.check.candidate_count}件），随机种子已记录。"
                )
                return redirect("workbench-inspection-check", check_id=drawn.check.public_id)
    else:
        form = DrawForm(choices=choices, initial={"period": last_month, "size": 5})
    status = 200 if request.method == "GET" else (error.status if error else 400)
    return page(
        request,
        "workbench/inspection/draw.html",
        {"nav": "inspections", "form": form, "errors": error_summary(form if form.is_bound else None, error)},
        status=status,
    )


def _check(request: HttpRequest, check_id: str):
    _inspector(request)
    try:
        return selectors.check(request.user, check_id)
    except ServiceError as missing:
        raise Http404(missing.message) from missing


@require_safe
@staff_required
def check_view(request: HttpRequest, check_id: str) -> HttpResponse:
    check = _check(request, check_id)
    data = selectors.check_view(check)
    # The page names the inspector as a person (姓名), not by the login name the API gives.
    logins = {row["inspector"] for row in data["cases"]}
    names = dict(User.objects.filter(username__in=logins).values_list("username", "display_name"))
    for row in data["cases"]:
        row["mine"] = row["inspector"] == request.user.username and row["checked_at"] is None
        row["inspector_name"] = names.get(row["inspector"]) or row["inspector"]
    return page(request, "workbench/inspection/check.html", {"nav": "inspections", "data": data})


@require_http_methods(["GET", "POST"])
@staff_required
def finding_view(request: HttpRequest, check_id: str, number: str) -> HttpResponse:
    check = _check(request, check_id)
    row = selectors.sampled(check).filter(application__number=number).first()
    if row is None:
        raise Http404("未找到该抽查办件")
    mine = row.inspector_id == request.user.pk and row.checked_at is None
    if request.method == "POST" and not mine:
        return redirect("workbench-inspection-finding", check_id=check.public_id, number=number)
    error = None
    if request.method == "POST":
        form = FindingForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.record_finding(
                    request.user,
                    check.public_id,
                    number,
                    result=data["result"],
                    severity=data["severity"] if data["result"] == Result.ISSUES else "",
                    findings=data["findings"],
                    scores=_scores(data, CASE_CHECKLIST),
                )
            except ServiceError as refused:
                error = refused
            else:
                messages.success(request, f"已记录办件 {number} 的检查结论。")
                return redirect("workbench-inspection-check", check_id=check.public_id)
    else:
        form = FindingForm()
    return page(
        request,
        "workbench/inspection/finding.html",
        {
            "nav": "inspections",
            "check": check,
            "row": row,
            "mine": mine,
            "checklist": [
                {"label": i.label, "points": i.points, "score": row.scores.get(i.key)} for i in CASE_CHECKLIST
            ],
            "form": form,
            "score_fields": [form[f"score_{i.key}"] for i in CASE_CHECKLIST],
            "errors": error_summary(form if form.is_bound else None, error),
        },
        status=200 if request.method == "GET" else (error.status if error else 400),
    )


# --- mock applications --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_required
def mock_view(request: HttpRequest, mock_id: str) -> HttpResponse:
    _inspector(request)
    try:
        mock = selectors.mock(request.user, mock_id)
    except ServiceError as missing:
        raise Http404(missing.message) from missing
    scorable = mock.ended and mock.scored_at is None
    error = None
    form = ScoreForm() if scorable else None
    if request.method == "POST":
        if not scorable:
            return redirect("workbench-inspection-mock", mock_id=mock.public_id)
        form = ScoreForm(request.POST)
        if form.is_valid():
            try:
                services.score_mock(
                    request.user,
                    mock.public_id,
                    scores=_scores(form.cleaned_data, MOCK_CHECKLIST),
                    findings=form.cleaned_data["findings"],
                )
            except ServiceError as refused:
                error = refused
            else:
                messages.success(request, "已评分。")
                return redirect("workbench-inspection-mock", mock_id=mock.public_id)
    return page(
        request,
        "workbench/inspection/mock.html",
        {
            "nav": "inspections",
            "data": selectors.mock_view(mock),
            "form": form,
            "score_fields": [form[f"score_{i.key}"] for i in MOCK_CHECKLIST] if form else [],
            "errors": error_summary(form if form is not None and form.is_bound else None, error),
        },
        status=200 if request.method == "GET" else (error.status if error else 400),
    )


@require_safe
@staff_required
def results_view(request: HttpRequest) -> HttpResponse:
    """The handling side's view: ended mock applications of its scope, and their scores."""
    if not sees_results(request.actor):
        raise Http404("未找到该页面")
    rows = paginate(request, selectors.ended_mocks_for_staff(request.user))
    rows.object_list = [selectors.mock_view(m, inspector=False) for m in rows.object_list]
    return page(request, "workbench/inspection/results.html", {"nav": "inspection-results", "page_obj": rows})
