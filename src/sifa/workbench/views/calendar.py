"""The working-day calendar (工作日历) for the calendar administrator: the years in use, the State
Council's notices, entering a notice, the preview of the deadlines it moves, and publishing it."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from sifa.applications.models import Application
from sifa.core.errors import NotFound, ServiceError
from sifa.deadlines import notices
from sifa.deadlines.calendar import CalendarDataMissing
from sifa.deadlines.models import CalendarNotice, ClockPurpose, NoticeStatus
from sifa.deadlines.selectors import year_calendar
from sifa.deadlines.services import publish_notice, save_notice_draft
from sifa.organisations.scope import scoped
from sifa.workbench.access import manages_calendar, staff_required
from sifa.workbench.forms import DecoratedForm
from sifa.workbench.views.common import error_summary, page, paginate

WEEKDAYS = "一二三四五六日"
EXAMPLE_HOLIDAYS = "2027-01-01 元旦\n2027-02-05至2027-02-11 春节"
EXAMPLE_MAKEUP = "2027-02-20 春节"


def _manager_only(request: HttpRequest) -> None:
    # Hidden from the menu for everyone else; asking anyway is answered like an unknown page.
    if not manages_calendar(request.actor):
        raise Http404("未找到该页面")


class NoticeForm(DecoratedForm):
    """The notice as it reads. The form parses and checks everything at once (``notices.validate``);
    the service checks again when it saves."""

    year = forms.IntegerField(
        label="年度",
        min_value=1,
        max_value=9999,
        error_messages={
            "required": "请填写年度",
            "invalid": "年度应为四位数字，如 2027",
            "min_value": "年度应为四位数字，如 2027",
            "max_value": "年度应为四位数字，如 2027",
        },
    )
    document_number = forms.CharField(
        label="文号",
        max_length=60,
        required=False,
        help_text="通知的发文字号，如 国办发明电〔2026〕7号",
    )
    issued_on = forms.DateField(
        label="发文日期",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"invalid": "发文日期格式应为 2026-11-04"},
    )
    holidays = forms.CharField(
        label="放假日期",
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
        help_text=(
            "按通知逐段录入：每行一段“开始日期至结束日期 节日名称”，或一天“日期 节日名称”。"
            "包括假期中的周六、周日。例如：" + EXAMPLE_HOLIDAYS.replace("\n", "；")
        ),
    )
    makeup_workdays = forms.CharField(
        label="调休上班日期",
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="通知中“上班”的周六、周日，每行一天，可写节日名称。例如：" + EXAMPLE_MAKEUP,
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        holidays, problems = notices.parse_days(data.get("holidays", ""), "holidays", name_required=True)
        makeup, more = notices.parse_days(
            data.get("makeup_workdays", ""), "makeup_workdays", name_required=False
        )
        problems += more
        checked = notices.validate(
            year=data.get("year"),
            document_number=data.get("document_number", ""),
            issued_on=data.get("issued_on"),
            holidays=holidays,
            makeup_workdays=makeup,
        )
        # A year or date the form could not read already says so; don't add "missing" to it.
        problems += [p for p in checked if p["field"] not in self.errors]
        for problem in problems:
            self.add_error(problem["field"], problem["message"])
        data["holiday_days"], data["makeup_days"] = holidays, makeup
        return data


def _lines(rows: list[dict[str, str]]) -> str:
    """Stored days back as lines, consecutive days with one name joined into a range."""
    out: list[str] = []
    runs: list[list[Any]] = []
    for day, name in notices.days_of(rows):
        if runs and runs[-1][2] == name and runs[-1][1] + dt.timedelta(days=1) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day, name])
    for first, last, name in runs:
        span = first.isoformat() if first == last else f"{first.isoformat()}至{last.isoformat()}"
        out.append(f"{span} {name}".strip())
    return "\n".join(out)


def _day_rows(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    return [
        {"date": day.isoformat(), "weekday": f"星期{WEEKDAYS[day.weekday()]}", "name": name}
        for day, name in notices.days_of(rows)
    ]


@require_safe
@staff_required
def calendar_view(request: HttpRequest) -> HttpResponse:
    """The years around today (official or provisional, with their days) and the notices entered."""
    _manager_only(request)
    today = timezone.localdate()
    years = []
    for year in range(today.year - 1, today.year + 2):
        try:
            years.append(year_calendar(year))
        except CalendarDataMissing:
            continue  # a past year without data and before the rules: nothing to show
    return page(
        request,
        "workbench/calendar.html",
        {
            "nav": "calendar",
            "years": years,
            "page_obj": paginate(
                request, CalendarNotice.objects.select_related("created_by", "published_by")
            ),
        },
    )


def _form_page(
    request: HttpRequest, form: NoticeForm, notice: CalendarNotice | None, *, status: int = 200, error=None
):
    return page(
        request,
        "workbench/calendar_notice_form.html",
        {"nav": "calendar", "form": form, "notice": notice, "errors": error_summary(form, error)},
        status=status,
    )


def _save(request: HttpRequest, notice: CalendarNotice | None) -> HttpResponse:
    form = NoticeForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, notice, status=400)
    data = form.cleaned_data
    try:
        saved = save_notice_draft(
            user=request.user,
            year=data["year"],
            document_number=data["document_number"],
            issued_on=data["issued_on"],
            holidays=data["holiday_days"],
            makeup_workdays=data["makeup_days"],
            notice=notice,
        )
    except ServiceError as refused:
        return _form_page(request, form, notice, status=refused.status, error=refused)
    messages.success(request, "已保存草稿。请核对下列日期和受影响的办件，确认无误后发布。")
    return redirect("workbench-calendar-notice", notice_id=saved.pk)


@require_http_methods(["GET", "POST"])
@staff_required
def notice_new_view(request: HttpRequest) -> HttpResponse:
    _manager_only(request)
    if request.method == "POST":
        return _save(request, None)
    year = request.GET.get("year", "")
    initial = {"year": int(year)} if year.isdigit() and len(year) == 4 else {}
    return _form_page(request, NoticeForm(initial=initial), None)


def _notice(request: HttpRequest, notice_id: str) -> CalendarNotice:
    _manager_only(request)
    try:
        return notices.notice_for(request.user, notice_id)
    except NotFound:
        raise Http404("未找到该放假安排通知") from None


@require_http_methods(["GET", "POST"])
@staff_required
def notice_edit_view(request: HttpRequest, notice_id: str) -> HttpResponse:
    notice = _notice(request, notice_id)
    if notice.status != NoticeStatus.DRAFT:
        messages.error(request, "该通知已发布，不能再修改；如有更正，请录入新的通知。")
        return redirect("workbench-calendar-notice", notice_id=notice.pk)
    if request.method == "POST":
        return _save(request, notice)
    form = NoticeForm(
        initial={
            "year": notice.year,
            "document_number": notice.document_number,
            "issued_on": notice.issued_on,
            "holidays": _lines(notice.holidays),
            "makeup_workdays": _lines(notice.makeup_workdays),
        }
    )
    return _form_page(request, form, notice)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _moves(request: HttpRequest, preview: notices.NoticePreview) -> list[dict[str, Any]]:
    """The preview's clocks with their cases (number, item) as this administrator may see them."""
    ids = {move.clock.subject_id for move in preview.moves if _is_uuid(move.clock.subject_id)}
    cases = {
        str(case.pk): case
        for case in scoped(Application.objects.filter(pk__in=ids), request.actor).select_related(
            "version__item"
        )
    }
    rows = []
    for move in preview.moves:
        case = cases.get(move.clock.subject_id)
        if move.clock.purpose == ClockPurpose.STAGE:
            label = "环节时限：" + move.clock.stage.split(":", 1)[-1]
        else:
            label = move.clock.get_purpose_display()
        rows.append(
            {
                "case": case,
                "subject": move.clock.subject_id,
                "label": label,
                "before": move.before,
                "before_provisional": move.clock.provisional,
                "after": move.after,
                "after_provisional": move.provisional_after,
            }
        )
    return rows


@require_safe
@staff_required
def notice_view(request: HttpRequest, notice_id: str) -> HttpResponse:
    notice = _notice(request, notice_id)
    context: dict[str, Any] = {
        "nav": "calendar",
        "notice": notice,
        "holidays": _day_rows(notice.holidays),
        "makeup_workdays": _day_rows(notice.makeup_workdays),
        "errors": [],
    }
    if notice.status == NoticeStatus.DRAFT:
        preview = notices.preview(request.user, notice)
        moves = _moves(request, preview)
        context.update(preview=preview, moves=moves, moved_cases=len({m["subject"] for m in moves}))
    return page(request, "workbench/calendar_notice.html", context)


@require_POST
@staff_required
def notice_publish_view(request: HttpRequest, notice_id: str) -> HttpResponse:
    notice = _notice(request, notice_id)
    if request.POST.get("confirmed") != "1":
        messages.error(request, "请先勾选“已与通知原文逐日核对”，再发布。")
        return redirect("workbench-calendar-notice", notice_id=notice.pk)
    try:
        publish_notice(request.user, notice.pk)
    except ServiceError as refused:
        messages.error(request, refused.message)
        return redirect("workbench-calendar-notice", notice_id=notice.pk)
    messages.success(
        request,
        f"{notice.year}年放假安排已发布（{notice.document_number}）。系统正在后台重新计算所有未办结的期限，"
        "截止日期变动的办件将通知申请人和办理人员。",
    )
    return redirect("workbench-calendar-notice", notice_id=notice.pk)
