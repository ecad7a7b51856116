"""12348 法律咨询 in the workbench: the operator desk, the queue and the ticket page.

* ``/workbench/consultations/new/`` — the desk where a 12348 operator records a call (or a hall
  clerk a visit) as a ticket: caller's number (shown masked once saved), call start and end,
  category, place (chosen from a list, no codes to type), summary, question, recording reference,
  SMS wanted, and routing — 自动分派 (``services.route``) or an organisation of the operator's
  jurisdiction with a consultant of its own (as for 转办). A consultant may answer on the call
  (当场答复): the ticket is recorded and answered in one go. A hidden token makes a double
  submission record one ticket.
* ``/workbench/consultations/`` — the queue of my jurisdiction, one tab per ``selectors.QUEUES``
  with its count, filtered by category and channel.
* ``/workbench/consultations/<number>/`` — one ticket (``selectors.for_staff``, which logs the
  read for the asker): the question, the masked caller, the call, the history with who did what;
  forms to answer citing articles, to transfer, and to record the caller's rating.

Every form is a plain POST (no JavaScript) through ``sifa.consultation.services``; a refusal comes
back in the error summary, a success redirects with a message.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from sifa.consultation import selectors, services
from sifa.consultation.models import Category, Channel, Satisfaction, Ticket, TicketStatus
from sifa.consultation.services import routing
from sifa.core.errors import ServiceError
from sifa.evaluation import selectors as evaluation_selectors
from sifa.evaluation import services as evaluation
from sifa.evaluation.models import Channel as RatingChannel
from sifa.evaluation.models import SubjectKind
from sifa.organisations.models import Organisation, Region, RegionLevel, Role
from sifa.organisations.scope import Actor, subtree_q
from sifa.workbench.access import staff_required
from sifa.workbench.forms import DecoratedForm
from sifa.workbench.views.common import error_summary, page, paginate

RECORDERS = (Role.CONSULTANT, Role.WINDOW_CLERK)
"""Who may open the desk: consultants record calls and visits, window clerks visits."""
AUTO = ""
ANY = [("", "全部")]
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


# --- who may do what ----------------------------------------------------------------------------


def can_record(actor: Actor) -> bool:
    return actor.is_superuser or actor.has_role(*RECORDERS)


def recordable_channels(actor: Actor) -> list[tuple[str, str]]:
    """The channels this staff member may record on (``services.RECORD_ROLES``)."""
    return [
        (channel, Channel(channel).label)
        for channel, roles in services.RECORD_ROLES.items()
        if actor.is_superuser or actor.has_role(*roles)
    ]


def _holds(actor: Actor, roles: tuple[str, ...], path: str) -> bool:
    return actor.is_superuser or any(path.startswith(p) for p in actor.paths_for(roles))


def _record_paths(actor: Actor) -> tuple[str, ...]:
    return actor.paths_for(RECORDERS)


# --- choices ------------------------------------------------------------------------------------


def _organisations(paths: tuple[str, ...] | None):
    rows = Organisation.objects.filter(is_active=True, kind__in=routing.ANSWERING_KINDS)
    if paths is not None:
        rows = rows.filter(subtree_q("path", paths))
    return rows.select_related("region").order_by("path")


def place_choices(actor: Actor) -> list[tuple[str, Any]]:
    """The places of the operator's jurisdiction, grouped by county: each county (全区/全县) and
    its townships, then the cities and the province; the region code stays behind the option."""
    paths = None if actor.is_superuser else _record_paths(actor)
    codes = {o.region_id for o in _organisations(paths) if o.region_id}
    regions = {r.code: r for r in Region.objects.filter(code__in=codes).select_related("parent")}
    counties: dict[str, list[tuple[str, str]]] = {}
    upper: list[tuple[str, str]] = []
    for region in sorted(regions.values(), key=lambda r: r.code):
        if region.level == RegionLevel.TOWNSHIP and region.parent is not None:
            parent = region.parent
            counties.setdefault(parent.code, []).append((region.code, region.name))
        elif region.level == RegionLevel.COUNTY:
            counties.setdefault(region.code, [])
        else:
            upper.append((region.code, f"{region.name}（市、省本级）"))
    names = dict(Region.objects.filter(code__in=counties).values_list("code", "name"))
    groups: list[tuple[str, Any]] = [("", "请选择")]
    for code in sorted(counties):
        townships = counties[code]
        groups.append((names.get(code, code), [(code, f"{names.get(code, code)}（全区县）"), *townships]))
    if upper:
        groups.append(("市、省本级", upper))
    return groups


def routing_choices(actor: Actor) -> list[tuple[str, str]]:
    """自动分派, then the organisations of the operator's jurisdiction that can take the call (an
    active consultant of their own, ``routing.staffed``, as for 转办)."""
    paths = None if actor.is_superuser else _record_paths(actor)
    rows = routing.staffed(_organisations(paths))
    return [(AUTO, "自动分派（按地区和类别）")] + [(str(o.pk), o.name) for o in rows]


def transfer_choices(ticket: Ticket) -> list[tuple[str, str]]:
    """The organisations of the ticket's province that can take it (an active consultant of their
    own, ``routing.staffed``), other than the one holding it."""
    parts = [p for p in ticket.organisation.path.split("/") if p]
    province = "/" + "/".join(parts[:2]) + "/"
    rows = routing.staffed(_organisations((province,)).exclude(pk=ticket.organisation_id))
    return [("", "请选择")] + [(str(o.pk), o.name) for o in rows]


# --- forms --------------------------------------------------------------------------------------


def _local(moment: dt.datetime) -> str:
    return timezone.localtime(moment).strftime(LOCAL_FORMAT)


class DeskForm(DecoratedForm):
    """The call (or visit) as the operator records it. Field names are ``create_ticket``'s."""

    channel = forms.ChoiceField(
        label="渠道", widget=forms.RadioSelect, error_messages={"required": "请选择渠道"}
    )
    phone = forms.CharField(
        label="来电号码",
        required=False,
        max_length=20,
        help_text="热线系统带入来电号码；服务大厅可填写来访人的联系电话（选填）。保存后只显示脱敏号码。",
    )
    name = forms.CharField(label="来电（来访）人称呼（选填）", required=False, max_length=30)
    call_started_at = forms.CharField(
        label="通话开始时间",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="默认为打开本页的时间，可修改",
    )
    call_ended_at = forms.CharField(
        label="通话结束时间（选填）",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="留空则记为提交时间",
    )
    category = forms.ChoiceField(label="咨询类别", error_messages={"required": "请选择咨询类别"})
    region = forms.ChoiceField(
        label="咨询事项发生地或来电人所在地",
        help_text="选择乡镇（街道）或区县；咨询按地区和类别分派",
        error_messages={"required": "请选择地区", "invalid_choice": "请从列表中选择地区"},
    )
    title = forms.CharField(
        label="标题（问题概要）",
        max_length=60,
        help_text="4至60字，显示在工单列表中，请勿填写身份证号码或手机号码",
        error_messages={"required": "请填写标题"},
    )
    question = forms.CharField(
        label="咨询内容",
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages={"required": "请填写咨询内容"},
    )
    recording_ref = forms.CharField(label="录音编号（选填）", required=False, max_length=100)
    wants_sms = forms.BooleanField(label="答复后以短信告知来电人", required=False)
    organisation = forms.ChoiceField(
        label="承办机构",
        required=False,
        help_text="默认按地区和类别自动分派，也可以选择您管辖范围内有咨询员的机构",
    )
    answer_now = forms.BooleanField(label="当场答复（通话中已答复的，登记答复内容）", required=False)
    answer = forms.CharField(
        label="答复内容（当场答复时填写）", required=False, widget=forms.Textarea(attrs={"rows": 5})
    )
    citations = forms.CharField(
        label="引用的法律条文（当场答复时填写，每行一条）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如“人民调解法第十七条”，须能在法律法规库中找到",
    )
    token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, actor: Actor, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        channels = recordable_channels(actor)
        self.fields["channel"].choices = channels
        self.fields["channel"].error_messages["invalid_choice"] = "您不能登记该渠道的咨询"
        self.fields["category"].choices = [("", "请选择"), *Category.choices]
        self.fields["region"].choices = place_choices(actor)
        self.fields["organisation"].choices = routing_choices(actor)
        self.fields["organisation"].error_messages["invalid_choice"] = "请在您管辖范围内选择承办机构"
        self.may_answer = actor.is_superuser or actor.has_role(*services.ANSWER_ROLES)
        if not self.may_answer:
            for name in ("answer_now", "answer", "citations"):
                del self.fields[name]
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})
        self.fields["name"].widget.attrs["autocomplete"] = "off"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("answer_now") and not (data.get("answer") or "").strip():
            self.add_error("answer", "当场答复的，请填写答复内容")
        return data


class AnswerForm(DecoratedForm):
    answer = forms.CharField(
        label="答复内容",
        widget=forms.Textarea(attrs={"rows": 8}),
        error_messages={"required": "请填写答复内容"},
    )
    citations = forms.CharField(
        label="引用的法律条文（每行一条）",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="如“律师法第六条”“人民调解法第十七条”，须能在法律法规库中找到",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="answer", **kwargs)


class TransferForm(DecoratedForm):
    organisation = forms.ChoiceField(
        label="转办至", error_messages={"required": "请选择转办的机构", "invalid_choice": "请选择转办的机构"}
    )
    reason = forms.CharField(
        label="转办理由",
        max_length=200,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写转办理由"},
    )

    def __init__(self, *args: Any, ticket: Ticket, **kwargs: Any) -> None:
        super().__init__(*args, prefix="transfer", **kwargs)
        self.fields["organisation"].choices = transfer_choices(ticket)

    @property
    def has_targets(self) -> bool:
        """Whether any organisation can take the ticket (else the page says so, without a form)."""
        return len(self.fields["organisation"].choices) > 1


class RatingForm(DecoratedForm):
    satisfaction = forms.ChoiceField(
        label="来电（来访）人的评价",
        choices=Satisfaction.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "请选择满意程度", "invalid_choice": "请选择满意程度"},
    )
    channel = forms.ChoiceField(
        label="评价渠道",
        choices=[(c, Channel(c).label) for c in (Channel.HOTLINE, Channel.HALL)],
        error_messages={"required": "请选择评价渠道", "invalid_choice": "请选择评价渠道"},
    )
    comment = forms.CharField(
        label="评价意见（选填）", required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, prefix="rating", **kwargs)


class QueueFilter(forms.Form):
    category = forms.ChoiceField(label="咨询类别", required=False)
    channel = forms.ChoiceField(label="渠道", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = ANY + list(Category.choices)
        self.fields["channel"].choices = ANY + list(Channel.choices)
        for field in self.fields.values():
            field.widget.attrs["class"] = "sifa-select"
            field.error_messages["invalid_choice"] = f"{field.label}的选项无效，已忽略该条件"


# --- the desk -----------------------------------------------------------------------------------


def _desk_render(
    request: HttpRequest,
    form: DeskForm,
    error: ServiceError | None = None,
    status: int = 200,
    preview: str = "",
):
    return page(
        request,
        "workbench/consultation/new.html",
        {
            "nav": "consultation-new",
            "form": form,
            "errors": error_summary(form, error) if form.is_bound or error else [],
            "preview": preview,
        },
        status=status,
    )


def _preview(actor: Actor, values: dict[str, str]) -> str:
    """Where the ticket would go (查看分派结果), without recording anything: the organisation chosen,
    or ``services.route`` for the place and category given so far."""
    form = DeskForm(actor=actor)
    chosen = dict(form.fields["organisation"].choices).get(values.get("organisation", ""))
    if values.get("organisation") and chosen:
        return f"将由您选择的{chosen}承办。"
    category = values.get("category", "")
    place = Region.objects.filter(code=values.get("region", "")).select_related("parent").first()
    valid_places = {
        code
        for key, value in form.fields["region"].choices
        for code in ([c for c, _label in value] if isinstance(value, list | tuple) else [key])
    }
    if category not in Category.values or place is None or place.code not in valid_places:
        return "请先选择咨询类别和地区，再查看分派结果。"
    try:
        target = services.route(place, category)
    except ServiceError as refused:
        return refused.message
    return f"自动分派至：{target.name}（{place.name}，{Category(category).label}）。"


def _moment(value: str, fallback: dt.datetime | None) -> Any:
    """A datetime-local value as an aware moment; an unreadable one is handed on for the service to
    refuse with its message."""
    value = (value or "").strip()
    if not value:
        return fallback
    try:
        return timezone.make_aware(dt.datetime.fromisoformat(value))
    except ValueError:
        return value


def _already_recorded(user: Any, key: str) -> Ticket | None:
    """A double submission of the desk (same token): the ticket the first one recorded."""
    return Ticket.objects.filter(idempotency_owner=f"user:{user.pk}", idempotency_key=key).first()


def _received_message(ticket: Ticket, code: str, answered: bool) -> str:
    text = f"已登记咨询工单 {ticket.number}，分派至{ticket.organisation.name}"
    text += "，已当场答复。" if answered else f"，答复期限{services.due_text(ticket)}。"
    if code:
        text += f"请告知来电（来访）人查询码：{code}（凭工单编号和查询码在网站查看答复，只显示这一次）。"
    return text


@require_http_methods(["GET", "POST"])
@staff_required
def new_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not can_record(actor):
        raise Http404("未找到该页面")
    if request.method == "GET":
        channels = recordable_channels(actor)
        initial = {
            "channel": channels[0][0] if channels else "",
            "call_started_at": _local(timezone.now()),
            "token": uuid.uuid4().hex,
            "phone": request.GET.get("phone", "")[:20],  # the hotline system opens the desk with the number
        }
        return _desk_render(request, DeskForm(initial=initial, actor=actor))
    if request.POST.get("preview"):
        values = {k: v for k, v in request.POST.dict().items() if k not in ("csrfmiddlewaretoken", "preview")}
        return _desk_render(request, DeskForm(initial=values, actor=actor), preview=_preview(actor, values))
    form = DeskForm(request.POST, actor=actor)
    if not form.is_valid():
        return _desk_render(request, form, status=400)
    data = form.cleaned_data
    key = f"desk-{data['token']}" if data.get("token") else ""
    if key and (done := _already_recorded(request.user, key)) is not None:
        messages.info(request, f"该来电已登记为咨询工单 {done.number}，未重复登记。")
        return _after_save(request, done)
    now = timezone.now()
    hotline = data["channel"] == Channel.HOTLINE
    answer_now = bool(data.get("answer_now"))
    try:
        if answer_now:  # an article that does not resolve is refused before anything is recorded
            services.resolve_citations(data.get("citations", ""), data.get("answer", ""))
        with transaction.atomic():
            created = services.create_ticket(
                request.user,
                channel=data["channel"],
                category=data["category"],
                region=data["region"],
                title=data["title"],
                question=data["question"],
                name=data["name"],
                phone=data["phone"],
                wants_sms=data["wants_sms"],
                organisation=data["organisation"] or None,
                call_started_at=_moment(data["call_started_at"], None),
                call_ended_at=_moment(data["call_ended_at"], now if hotline else None),
                recording_ref=data["recording_ref"],
                idempotency_key=key,
            )
            if answer_now and not created.replayed:
                services.answer(
                    request.user,
                    created.ticket,
                    text=data["answer"],
                    citations=data.get("citations", ""),
                )
    except ServiceError as refused:
        return _desk_render(request, form, error=refused, status=refused.status)
    ticket = Ticket.objects.select_related("organisation").get(pk=created.ticket.pk)
    messages.success(request, _received_message(ticket, created.tracking_code, answer_now))
    return _after_save(request, ticket)


def _after_save(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    """The ticket page for those who work the queue; a hall clerk without it records the next one."""
    if selectors.can_work_queue(request.actor) and _holds(
        request.actor, services.QUEUE_ROLES, ticket.scope_path
    ):
        return redirect("workbench-consultation", number=ticket.number)
    return redirect("workbench-consultation-new")


# --- the queue ----------------------------------------------------------------------------------


@require_safe
@staff_required
def queue_view(request: HttpRequest) -> HttpResponse:
    actor = request.actor
    if not selectors.can_work_queue(actor):
        raise Http404("未找到该页面")
    status = request.GET.get("status", "open")
    if status not in selectors.QUEUES:
        status = "open"
    form = QueueFilter(request.GET or None)
    chosen: dict[str, str] = {}
    if form.is_bound:
        form.is_valid()
        chosen = {k: v for k, v in getattr(form, "cleaned_data", {}).items() if v}
    tabs = [
        {
            "key": key,
            "label": label,
            "count": selectors.queue(actor, status=key, **chosen).count(),
            "query": urlencode({"status": key, **chosen}),
        }
        for key, label in selectors.QUEUES.items()
    ]
    rows = selectors.queue(actor, status=status, **chosen)
    return page(
        request,
        "workbench/consultation/queue.html",
        {
            "nav": "consultations",
            "tabs": tabs,
            "status": status,
            "status_label": selectors.QUEUES[status],
            "form": form,
            "errors": error_summary(form) if form.is_bound else [],
            "page_obj": paginate(request, rows),
            "query": urlencode({"status": status, **chosen}),
            "today": timezone.localdate(),
            "may_record": can_record(actor),
        },
    )


# --- the ticket ---------------------------------------------------------------------------------


def _ticket(request: HttpRequest, number: str) -> Ticket:
    if not selectors.can_work_queue(request.actor):
        raise Http404("未找到该咨询工单")
    try:
        return selectors.for_staff(request.user, number)
    except ServiceError as missing:
        raise Http404(missing.message) from missing


def _ticket_render(
    request: HttpRequest,
    ticket: Ticket,
    *,
    answer_form: AnswerForm | None = None,
    transfer_form: TransferForm | None = None,
    rating_form: RatingForm | None = None,
    bound: forms.Form | None = None,
    error: ServiceError | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    is_open = ticket.status == TicketStatus.OPEN
    may_answer = is_open and _holds(actor, services.ANSWER_ROLES, ticket.scope_path)
    may_transfer = is_open and _holds(actor, services.TRANSFER_ROLES, ticket.scope_path)
    may_rate = ticket.status == TicketStatus.ANSWERED
    may_send_link = may_rate and ticket.channel == Channel.HOTLINE and bool(ticket.phone_enc)
    initial_channel = ticket.channel if ticket.channel in (Channel.HOTLINE, Channel.HALL) else Channel.HOTLINE
    return page(
        request,
        "workbench/consultation/ticket.html",
        {
            "nav": "consultations",
            "ticket": ticket,
            "data": selectors.view(ticket, staff=True),
            "answer_form": (answer_form or AnswerForm()) if may_answer else None,
            "transfer_form": (transfer_form or TransferForm(ticket=ticket)) if may_transfer else None,
            "rating_form": (rating_form or RatingForm(initial={"channel": initial_channel}))
            if may_rate
            else None,
            "may_send_link": may_send_link,
            "link_sent": evaluation_selectors.last_link(actor, SubjectKind.CALL, ticket.number)
            if may_send_link
            else None,
            "link_days": evaluation.LINK_VALID[RatingChannel.SMS].days,
            "errors": error_summary(bound, error) if bound is not None or error else [],
            "bound_action": request.POST.get("action", "") if request.method == "POST" else "",
        },
        status=status,
    )


def _send_rating_link(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    """评价短信: the caller gets a single-use rating link for this call (sifa.evaluation)."""
    try:
        evaluation.invite_call(request.user, ticket.number)
    except ServiceError as refused:
        return _ticket_render(request, ticket, error=refused, status=refused.status)
    messages.success(request, "已向来电人发送评价短信，链接仅可使用一次。")
    return redirect(reverse("workbench-consultation", args=[ticket.number]))


@require_http_methods(["GET", "POST"])
@staff_required
def ticket_view(request: HttpRequest, number: str) -> HttpResponse:
    if request.method == "GET":
        return _ticket_render(request, _ticket(request, number))
    ticket = _ticket(request, number)
    action = request.POST.get("action", "")
    if action == "rate_link":
        return _send_rating_link(request, ticket)
    forms_by_action: dict[str, forms.Form] = {
        "answer": AnswerForm(request.POST),
        "transfer": TransferForm(request.POST, ticket=ticket),
        "rate": RatingForm(request.POST),
    }
    form = forms_by_action.get(action)
    if form is None:
        raise Http404("未知的操作")
    bound = {f"{action}_form" if action != "rate" else "rating_form": form}
    if not form.is_valid():
        return _ticket_render(request, ticket, bound=form, status=400, **bound)
    data = form.cleaned_data
    try:
        if action == "answer":
            services.answer(request.user, ticket, text=data["answer"], citations=data["citations"])
            done = "已答复"
            if ticket.wants_sms and (ticket.phone_enc or ticket.asker_id):
                done += "，将以短信告知咨询人"
            messages.success(request, f"{done}。")
        elif action == "transfer":
            moved = services.transfer(
                request.user, ticket, organisation=data["organisation"], reason=data["reason"]
            )
            messages.success(request, f"已转办至{moved.organisation.name}。")
            if not _holds(request.actor, services.QUEUE_ROLES, moved.scope_path):
                return redirect("workbench-consultations")
        else:
            services.rate(
                request.user,
                ticket,
                satisfaction=data["satisfaction"],
                comment=data["comment"],
                channel=data["channel"],
            )
            messages.success(request, f"已登记评价：{Satisfaction(data['satisfaction']).label}。")
    except ServiceError as refused:
        ticket = Ticket.objects.select_related(
            "organisation", "region", "asker", "escalated_to", "answered_by", "recorded_by"
        ).get(pk=ticket.pk)
        return _ticket_render(request, ticket, bound=form, error=refused, status=refused.status, **bound)
    return redirect(reverse("workbench-consultation", args=[ticket.number]))
