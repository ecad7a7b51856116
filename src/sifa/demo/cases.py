"""Demo cases that end in real results: a lawyer's and a law firm's licence, issued by the workflow.

Each case is driven through the same services a person would use — draft, materials, submit,
automatic pre-review, acceptance, city review, hand-over, provincial decision, delivery — acting
as the demo applicant and the demo staff of ``sifa load-demo``. No row is inserted by hand: the
licences and documents exist because the decision commands owed them.

:func:`load_cases` is idempotent: it finds the demo applicant's application for the item and
drives it from whatever status it is in to delivered (a second run does nothing). It runs on
today's date. The legal clock of 30 working days can reach into a year whose working-day calendar
is not seeded yet; the clock then shows its calendar alert (docs/demo.md) rather than guessing.
"""

from __future__ import annotations

import io
import zlib
from dataclasses import dataclass
from typing import Any

from django.core.management.base import CommandError
from django.db.models import Q

from sifa.accounts.management.commands import _demo
from sifa.accounts.models import LegalPerson, User
from sifa.applications import services as applications
from sifa.applications.models import Application, ApplicationStatus
from sifa.applications.services.draft_materials import missing_material_errors
from sifa.catalogue.models import ImplementationEntry
from sifa.organisations.models import Membership, Role
from sifa.workflow.models import CaseDocument, CaseDocumentStatus, WorkItem, WorkItemStatus
from sifa.workflow.services import issue_owed, run_command, start_case
from sifa.workflow.transitions import window_organisations

LAWYER_FULL_TIME = "000100001001"
"""律师执业许可（专职律师执业）: its result is 律师执业证书 (licence type 律师执业证)."""
LAW_FIRM = "000100004000"
"""律师事务所设立许可: its result is 律师事务所执业证书 (licence type 律师事务所执业许可证)."""
LAW_FIRM_NAME = _demo.COMPANY["name"]
MAX_STEPS = 20
"""A case needs about ten steps; more means the process is stuck, which the command reports."""


@dataclass(frozen=True)
class DemoCase:
    key: str
    item_code: str
    applicant: User
    form_data: dict[str, Any]
    situation_answers: dict[str, str]


def demo_pdf(title: str) -> bytes:
    """A one-page, well-formed PDF without any active content, accepted by the upload gate."""
    text = f"BT /F1 14 Tf 72 760 Td (Sifa demo material: {title}) Tj ET".encode("ascii", "replace")
    content = zlib.compress(text)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(offsets) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(offsets) + 1, xref)
    return bytes(out)


def demo_cases() -> list[DemoCase]:
    """The two cases, with the applicants of ``sifa load-demo``."""
    citizen_id = _demo._id_number(_demo.CITIZEN)
    from sifa.accounts.models import NaturalPerson
    from sifa.accounts.services.registration import id_number_index

    person = NaturalPerson.objects.filter(id_number_index=id_number_index(citizen_id)).first()
    company = LegalPerson.objects.filter(uscc=_demo._demo_uscc()).first()
    if person is None or company is None:
        raise CommandError("尚无演示账户，请先运行 `sifa load-demo`")
    return [
        DemoCase(
            "lawyer",
            LAWYER_FULL_TIME,
            person.user,
            {
                "applicant_name": _demo.CITIZEN["name"],
                "id_number": citizen_id,
                "phone": _demo.CITIZEN["phone"],
                "address": "杭州市西湖区北山街道1号",
                "law_firm": LAW_FIRM_NAME,
                "qualification_number": "A20191234567",
            },
            {},
        ),
        DemoCase(
            "law_firm",
            LAW_FIRM,
            company.user,
            {
                "organisation_name": LAW_FIRM_NAME,
                "contact_name": _demo.COMPANY["representative"],
                "phone": _demo.COMPANY["phone"],
                "address": "杭州市西湖区文三路1号",
            },
            {"firm_form": "partnership"},
        ),
    ]


def _entry(case: DemoCase, city: Any) -> ImplementationEntry:
    entry = (
        ImplementationEntry.objects.filter(item__basic_code=case.item_code, organisation=city)
        .select_related("version", "item")
        .order_by("-id")
        .first()
    )
    if entry is None:
        raise CommandError(f"目录中没有 {city.name} 的事项 {case.item_code}，请先运行 `sifa load-catalogue`")
    return entry


def _staff_for(application: Application, item: WorkItem) -> User:
    """A demo staff member who may act on ``item``: its role at its organisation, or for window
    work (受理、送达) a window clerk below it at a window that received the case or was chosen for
    its pickup (一窗受理, ``workflow.transitions.window_organisations``)."""
    members = Membership.objects.filter(user__is_demo=True, role=item.role).select_related("user")
    if item.kind in ("accept", "accept_decide", "deliver"):
        windows = window_organisations("deliver" if item.kind == "deliver" else "accept", application)
        members = list(
            members.filter(
                organisation_id__in={item.organisation.pk, *windows},
                organisation__path__startswith=item.organisation.path,
            )
        )
    else:
        members = list(members.filter(organisation=item.organisation))
    if not members:
        raise CommandError(
            f"演示账户中没有{item.organisation.name}的{Role(item.role).label}，请先运行 `sifa load-demo`"
        )
    return members[0].user


def _act(application: Application, item: WorkItem) -> None:
    user = _staff_for(application, item)
    if item.kind in ("accept", "accept_decide"):
        data = {"decision": "approve"} if item.kind == "accept_decide" else {}
        run_command(user, application.number, "accept", data)
    elif item.kind == "review":
        opinion = {"outcome": "approve", "opinion": "材料齐全，符合条件", "task": item.task_name}
        run_command(user, application.number, "review", opinion)
    elif item.kind == "decide":
        run_command(user, application.number, "decide", {"decision": "approve", "opinion": "准予许可"})
    elif item.kind == "deliver":
        run_command(user, application.number, "deliver", {"method": "electronic"})
    else:
        raise CommandError(f"演示数据不处理“{item.title}”环节")


def _submit(application: Application, case: DemoCase) -> None:
    for problem in missing_material_errors(application):
        material_id = int(problem["field"].split(".", 1)[1])
        applications.upload_material(
            application,
            actor=case.applicant,
            material_id=material_id,
            fileobj=io.BytesIO(demo_pdf(f"material {material_id}")),
            filename="演示材料.pdf",
            declared_content_type="application/pdf",
        )
    applications.submit(application, actor=case.applicant)


def _step(application: Application, case: DemoCase) -> bool:
    """Take the next step; False when the case is done."""
    status = application.status
    if status == ApplicationStatus.DRAFT:
        _submit(application, case)
    elif status == ApplicationStatus.SUBMITTED:
        # The task the submit enqueued may sit in the queue until a worker runs: do it now
        # (the pre-review is idempotent, so the queued task later finds nothing to do).
        findings = applications.run_pre_review(application.pk)
        if findings:
            raise CommandError("演示申请未通过预审：" + "；".join(f.message for f in findings))
    elif status in (ApplicationStatus.DELIVERED,):
        return False
    else:
        if status == ApplicationStatus.PENDING_ACCEPTANCE:
            # Normally started by the ``ready_for_acceptance`` receiver; idempotent.
            start_case(application)
        items = list(
            WorkItem.objects.filter(application=application, status=WorkItemStatus.OPEN)
            .select_related("organisation")
            .order_by("id")
        )
        if not items:
            raise CommandError(
                f"演示办件 {application.number} 处于“{application.status_label}”，没有待办环节"
            )
        _act(application, items[0])
    return True


def _issue_documents(application: Application) -> None:
    """Issue what the commands owed now, so the demo shows its results before a worker runs."""
    for row in CaseDocument.objects.filter(application=application).exclude(status=CaseDocumentStatus.ISSUED):
        issue_owed(row.pk)


def drive(case: DemoCase, city: Any) -> Application:
    """Find or start the demo applicant's application for the item and take it to delivered."""
    entry = _entry(case, city)
    application = (
        Application.objects.filter(applicant=case.applicant, entry__item=entry.item)
        .filter(~Q(status__in=(ApplicationStatus.WITHDRAWN, ApplicationStatus.NOT_ACCEPTED)))
        .order_by("created_at")
        .first()
    )
    if application is None:
        application = applications.start_draft(
            entry,
            actor=case.applicant,
            form_data=case.form_data,
            situation_answers=case.situation_answers,
        )
    for _ in range(MAX_STEPS):
        application.refresh_from_db()
        if application.status != ApplicationStatus.SUBMITTED:
            _issue_documents(application)
        if not _step(application, case):
            return application
    raise CommandError(f"演示办件 {application.number} 未能在 {MAX_STEPS} 步内办结")


def load_cases() -> dict[str, Application]:
    """Both demo cases, delivered (safe to run again)."""
    _demo.ensure_allowed()
    tree = _demo.find_tree()
    return {case.key: drive(case, tree.city) for case in demo_cases()}
