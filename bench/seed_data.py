"""Bench data made through Sifa's own services: accounts, tokens, accepted 律师执业许可 cases, a licence.

Run by the harness after the loaders (``python -m bench.seed_data``, bench settings, seeding env);
prints one JSON object on stdout that the workloads read (tokens, case numbers and query codes,
the implementation code, the material to upload, the licence identifier). Every case goes the way
a real one does: draft → uploads through the safe-upload gate → submit → automatic pre-review →
process start → the city window accepts it (``sifa.workflow.services.run_command``). Fresh cases
are made on every run, so W4's suspend/resume pairs always start from a known state and W5 reads a
timeline of five rows.

With ``--generated`` (the second pass of ``make bench --cases N``) it picks the W4 and W5 cases
among the cases ``sifa generate-cases`` made instead (:func:`generated_main`); ``--marker``,
``--mark N SEED SECONDS`` and ``--unmark`` read and write the marker that says which generation
the bench database holds (:data:`MARKER_TABLE`), so a rerun with the same N and seed reuses it;
``--release`` removes the generated cases the bench accepted, before a purge (:func:`release`).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
import time
import traceback
import zlib
from typing import Any

LAWYER_FULL_TIME = "000100001001"
W4_CASES = int(os.environ.get("BENCH_W4_CASES", "32"))
W5_CASES = 4
PASSWORD = "Bench-Secret-2024!"  # noqa: S105 — bench accounts in the bench database only
WRITE_TABLE = "bench_write"
MARKER_TABLE = "bench_generated"
"""One row: the N and seed of the generated cases in the bench database, written by the harness
after ``sifa generate-cases`` succeeded (and removed before it purges or generates)."""
GENERATED = "G"
"""A generated 办件编号 has ``G`` after its region and date (real ones only digits after ``SF``)."""


def small_pdf(note: bytes = b"bench") -> bytes:
    """A one-page PDF the upload gate accepts."""
    content = zlib.compress(b"BT /F1 12 Tf 72 720 Td (" + note + b") Tj ET")
    return make_pdf(
        [b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(content), content)]
    )


def make_pdf(page_contents: list[bytes], extra: list[bytes] | None = None) -> bytes:
    """Catalog, pages, one page per content stream object, then ``extra`` objects; a valid xref."""
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    count = len(page_contents)
    kids = " ".join(f"{3 + i} 0 R" for i in range(count)).encode()
    objects.append(b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, count))
    for i in range(count):
        objects.append(
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents %d 0 R >>" % (3 + count + i)
        )
    objects += page_contents
    objects += extra or []
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


def two_megabyte_pdf() -> bytes:
    """A 2 MB (2,097,152 bytes ± a few) scanned-document-like PDF: a page plus an image XObject of
    incompressible pixels, as a phone scan would be. Deterministic so every run uploads the same."""
    import random

    rng = random.Random(20261127)
    pixels = rng.randbytes(2 * 1024 * 1024 - 900)
    image = b"<< /Type /XObject /Subtype /Image /Width 1024 /Height %d /ColorSpace /DeviceGray " % (
        len(pixels) // 1024
    )
    image += b"/BitsPerComponent 8 /Length %d >>\nstream\n%s\nendstream" % (len(pixels), pixels)
    content = b"q 500 0 0 700 40 60 cm /Im1 Do Q"
    page_stream = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content)
    return make_pdf([page_stream], [image])


def _id_number(first17: str) -> str:
    from sifa.core.identifiers import id_number_check_digit

    return first17 + id_number_check_digit(first17)


def _bench_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {WRITE_TABLE} (id INTEGER PRIMARY KEY, n BIGINT NOT NULL)"
        )
        log_id = "BIGSERIAL" if connection.vendor == "postgresql" else "INTEGER"
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {WRITE_TABLE}_log "
            f"(id {log_id} PRIMARY KEY, counter_id INTEGER NOT NULL, note VARCHAR(20) NOT NULL)"
        )
        cursor.execute(f"DELETE FROM {WRITE_TABLE}_log")  # noqa: S608
        cursor.execute(f"DELETE FROM {WRITE_TABLE}")  # noqa: S608
        for slot in range(1, 101):
            cursor.execute(f"INSERT INTO {WRITE_TABLE} (id, n) VALUES (%s, 0)", [slot])  # noqa: S608


def _calendar_ahead() -> list[int]:
    """Make sure next year has calendar data, so 20–30 working-day deadlines started late in the
    year can be computed. chinese-calendar ships a year only once the State Council publishes it;
    until then an administrator enters it (``define_year``). The bench enters a placeholder year
    (weekends plus 1 January) through that same service, in the bench database only. Without it
    the clocks' derived columns stay unknown and a suspension is never resumed (see the report)."""
    from django.utils import timezone

    from sifa.deadlines.models import CalendarYear
    from sifa.deadlines.services import define_year

    entered = []
    for year in (timezone.localdate().year, timezone.localdate().year + 1):
        if not CalendarYear.objects.filter(year=year, complete=True).exists():
            define_year(year, holidays={dt.date(year, 1, 1): "元旦"}, makeup_workdays={})
            entered.append(year)
    return entered


def _entry():
    from sifa.catalogue.models import EntryStatus, ImplementationEntry, VersionStatus

    entries = ImplementationEntry.objects.select_related("accepting_organisation", "version").filter(
        item__basic_code=LAWYER_FULL_TIME, status=EntryStatus.ACTIVE, version__status=VersionStatus.PUBLISHED
    )
    # A city-level entry (律师执业许可 is accepted by the city bureau), Hangzhou when present.
    preferred = entries.filter(accepting_organisation__region__code__startswith="3301").order_by("pk").first()
    entry = preferred or entries.order_by("pk").first()
    if entry is None:
        raise LookupError(f"no published implementation entry of {LAWYER_FULL_TIME} (律师执业许可)")
    return entry


def _staff(username: str, organisation: Any, role: str, *, superuser: bool = False):
    from sifa.accounts.models import User
    from sifa.organisations.models import Membership

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, PASSWORD, kind="staff", display_name=username)
    user.is_superuser = user.is_staff = superuser
    user.scope_path = organisation.path
    user.save()
    Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
    return user


def _citizen(name: str = "张三", first17: str = "33010619900101123", phone: str = "13900009917"):
    from sifa.accounts.models import NaturalPerson
    from sifa.accounts.services import id_number_index, register_person

    number = _id_number(first17)
    person = NaturalPerson.objects.filter(id_number_index=id_number_index(number)).first()
    if person is None:
        person = register_person(
            name=name, id_number=number, phone=phone, password=PASSWORD, region_code="330106"
        )
    return person.user, number


def _licence_holder():
    """W6a's licence holder: not the applicant of W3, W4 and W5 (张三), who applies for
    律师执业许可 again and again — holding a 律师执业证 would have each of those refused
    (律师法第十条, ``application.licence_already_held``)."""
    return _citizen("李四", "33010619900202456", "13900009918")[0]


def _applicant_holds_no_lawyer_licence(citizen) -> None:
    """A bench database seeded before the one-licence rule issued 张三 the W6a licence: 注销 it (a
    bench row, written directly), so that 张三's drafts are not refused."""
    from sifa.licences.models import Licence, LicenceStatus

    Licence.objects.filter(holder=citizen, licence_type__key="lawyer_licence").exclude(
        status__in=(LicenceStatus.CANCELLED, LicenceStatus.SUPERSEDED)
    ).update(status=LicenceStatus.CANCELLED)


def _form(id_number: str) -> dict[str, str]:
    return {
        "applicant_name": "张三",
        "id_number": id_number,
        "phone": "13900009917",
        "address": "杭州市西湖区北山街道1号",
        "law_firm": "浙江某某律师事务所",
        "qualification_number": "A20201234567",
    }


def _required_materials(application) -> list[int]:
    from sifa.applications.services import applicable_materials
    from sifa.applications.services.draft_materials import current_materials

    have = current_materials(application)
    return [
        m.pk
        for m in applicable_materials(application.version, application.situation_answers)
        if m.necessity == "required" and m.pk not in have
    ]


def _accepted_case(entry, citizen, clerk, id_number: str, pdf: bytes) -> tuple[str, str]:
    from sifa.applications.models import ApplicationStatus
    from sifa.applications.services import run_pre_review, start_draft, submit, upload_material
    from sifa.workflow.services import run_command

    draft = start_draft(entry, actor=citizen, form_data=_form(id_number))
    for material in _required_materials(draft):
        upload_material(
            draft, actor=citizen, material_id=material, fileobj=io.BytesIO(pdf), filename="证明.pdf"
        )
    application, code = submit(draft, actor=citizen)
    run_pre_review(application.pk)  # the server enqueues it; here it runs at once
    application.refresh_from_db()
    if application.status != ApplicationStatus.PENDING_ACCEPTANCE:
        findings = list(application.findings.values_list("code", flat=True))
        raise RuntimeError(f"{application.number} is {application.status} after pre-review: {findings}")
    application = run_command(clerk, application.number, "accept", {})
    return application.number, code


def _licence(citizen, issuer) -> dict[str, str]:
    from sifa.licences.services import issue_licence
    from sifa.licences.types import type_for

    try:
        licence_type = type_for("lawyer_licence")  # written by the load-licence-types loader
        if licence_type is None:
            return {"licence_skip": "licence type lawyer_licence (律师执业证) is not defined"}
        licence = issue_licence(licence_type, citizen, issuer, actor=None, with_pdf=False)
        return {"licence_identifier": licence.identifier}
    except Exception as failure:
        return {"licence_skip": f"issuing a bench licence failed: {type(failure).__name__}: {failure}"[:300]}


def main() -> int:
    import django

    django.setup()
    from django.db import transaction

    from sifa.accounts.services.auth import issue_api_token
    from sifa.organisations.models import Role

    started = time.perf_counter()
    _bench_tables()
    placeholder_years = _calendar_ahead()
    entry = _entry()
    organisation = entry.accepting_organisation
    citizen, id_number = _citizen()
    _applicant_holds_no_lawyer_licence(citizen)
    clerk = _staff("bench-clerk", organisation, Role.WINDOW_CLERK)
    reviewer = _staff("bench-reviewer", organisation, Role.REVIEWER)
    # A superuser with the same reviewer role: the scope check is skipped for it, the role check is
    # not, so W4-as-superuser runs the same commands and W4s isolates the cost of data scoping.
    superuser = _staff("bench-superuser", organisation, Role.REVIEWER, superuser=True)
    pdf = small_pdf()
    cases = []
    for _ in range(W4_CASES + W5_CASES):
        with transaction.atomic():
            cases.append(_accepted_case(entry, citizen, clerk, id_number, pdf))
    draft_probe = _required_materials_for_new_draft(entry, citizen, id_number)
    issuer = organisation.parent if organisation.parent_id else organisation
    data: dict[str, Any] = {
        "implementation_code": entry.implementation_code,
        "organisation": organisation.name,
        "form_data": _form(id_number),
        "upload_material": draft_probe,
        "tokens": {
            "citizen": issue_api_token(citizen)[0],
            "reviewer": issue_api_token(reviewer)[0],
            "superuser": issue_api_token(superuser)[0],
        },
        "w4_cases": [number for number, _code in cases[:W4_CASES]],
        "w5_cases": [{"number": number, "code": code} for number, code in cases[W4_CASES:]],
        **_licence(_licence_holder(), issuer),
        "placeholder_calendar_years": placeholder_years,
        "seconds": round(time.perf_counter() - started, 1),
    }
    sys.stdout.write(json.dumps(data, ensure_ascii=False))
    return 0


def _required_materials_for_new_draft(entry, citizen, id_number: str) -> int:
    """The material a W3 iteration uploads its 2 MB PDF to: the first required one of the version
    (later drafts of the same applicant reuse earlier uploads once-only, so it may not be asked)."""
    from sifa.applications.services import applicable_materials

    version = entry.version
    required = [m.pk for m in applicable_materials(version, {}) if m.necessity == "required"]
    asked = [
        m.pk
        for m in applicable_materials(version, {})
        if m.necessity == "required" and not m.satisfiable_by_partner_data
    ]
    return (asked or required)[0]


def _marker_table() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (cases BIGINT NOT NULL, seed BIGINT NOT NULL, "
            "seconds DOUBLE PRECISION NOT NULL, made_at VARCHAR(40) NOT NULL)"
        )


def marker() -> dict[str, Any]:
    """What the marker says (``cases``, ``seed``, ``seconds``, ``made_at``; empty without one) and
    how many generated cases the database holds now (``present``)."""
    from django.db import connection

    from sifa.demo.services.generator import generated_cases

    _marker_table()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT cases, seed, seconds, made_at FROM {MARKER_TABLE}")  # noqa: S608
        row = cursor.fetchone()
    found = dict(zip(("cases", "seed", "seconds", "made_at"), row, strict=True)) if row else {}
    return {**found, "present": generated_cases().count()}


def mark(cases: int | None, seed: int = 0, seconds: float = 0.0) -> None:
    """Replace the marker (``cases`` None: remove it)."""
    from django.db import connection
    from django.utils import timezone

    _marker_table()
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {MARKER_TABLE}")  # noqa: S608
        if cases is not None:
            cursor.execute(
                f"INSERT INTO {MARKER_TABLE} (cases, seed, seconds, made_at) VALUES (%s, %s, %s, %s)",  # noqa: S608
                [cases, seed, seconds, timezone.now().isoformat(timespec="seconds")],
            )


def release() -> int:
    """Remove the generated cases the bench itself accepted (W4 at N: ``run_command`` started their
    process), with everything that refers to them, so that ``sifa generate-cases --purge`` (which
    stops when something refers to a generated case) can remove the rest. The ORM's cascade
    deletes their process, work items, timeline, materials and notices; their clocks name them by
    id and go too. Returns the number of cases removed (at most a few dozen)."""
    from django.db import transaction

    from sifa.applications.models import Application
    from sifa.deadlines.models import ClockState
    from sifa.workflow.models import ProcessInstance

    with transaction.atomic():
        accepted = Application.objects.filter(
            number__contains=GENERATED, pk__in=ProcessInstance.objects.values("application_id")
        )
        ids = [str(pk) for pk in accepted.values_list("pk", flat=True)]
        ClockState.objects.filter(subject_type="application", subject_id__in=ids).delete()
        accepted.delete()
    return len(ids)


def _spread(queryset, count: int) -> list:
    """``count`` rows spread evenly over ``queryset`` (ordered by primary key), not its first ones."""
    total = queryset.count()
    if not total:
        return []
    ordered = queryset.order_by("pk")
    positions = sorted({min(total - 1, total * (j + 1) // (count + 1)) for j in range(count)})
    return [ordered[position] for position in positions]


def _generated_w5() -> list[dict[str, str]]:
    """W5 at N: delivered generated cases spread over the whole set, each given a query code.

    The generator stores no query code (only a code's keyed digest is ever stored, and a generated
    case has no applicant to hand one to), so the bench gives these cases one as the submit
    service does (``sifa.applications.query_codes``): a bench-only update in the bench database."""
    from sifa.applications.models import Application, ApplicationStatus
    from sifa.applications.query_codes import new_query_code, query_code_digest

    chosen = _spread(
        Application.objects.filter(number__contains=GENERATED, status=ApplicationStatus.DELIVERED), W5_CASES
    )
    cases = []
    for application in chosen:
        code = new_query_code()
        Application.objects.filter(pk=application.pk).update(query_code_digest=query_code_digest(code))
        cases.append({"number": application.number, "code": code})
    return cases


def _common_ancestor(organisations: list) -> Any:
    ancestor = organisations[0]
    while ancestor.parent_id and not all(o.path.startswith(ancestor.path) for o in organisations):
        ancestor = ancestor.parent
    return ancestor


def _generated_staff(
    username: str, scope: Any, memberships: list[tuple[Any, str]], *, superuser: bool = False
):
    from sifa.accounts.models import User
    from sifa.organisations.models import Membership

    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(username, PASSWORD, kind="staff", display_name=username)
    user.is_superuser = user.is_staff = superuser
    user.scope_path = scope.path
    user.save()
    for organisation, role in memberships:
        Membership.objects.get_or_create(user=user, organisation=organisation, role=role)
    return user


def _province(path: str) -> str:
    """The province-level part of an organisation path (``/1/10/2466/`` → ``/1/10/``)."""
    return "/".join(path.split("/")[:3]) + "/"


def _generated_w4(entry) -> tuple[list[str], dict[str, str], str]:
    """W4 at N: up to ``W4_CASES`` accepted generated cases with a process, as W4 needs.

    The generator makes no process instance (staff cannot act on a generated case), so the bench
    takes generated cases still waiting for acceptance (待受理: the cases cut at the end of the
    period) and has a window clerk accept them through the workflow service (``run_command``, which
    starts their process first), as ``bench.seed_data`` accepts its own cases; then it checks that
    the reviewer can suspend and resume each one (a case that cannot is left out). It prefers the
    cases whose version runs the seeded 律师执业许可 entry's process, then those of the province
    with the most waiting cases, so the reviewer's scope stays narrow. Cases an earlier run
    accepted so are taken again first (they stay accepted: W4 resumes what it suspends).
    Staff: ``bench-g-clerk`` (window clerk at the cases' organisations), ``bench-g-reviewer`` and
    ``bench-g-superuser`` (reviewer at the cases' organisations and those of their work items),
    scoped to the nearest organisation above all the chosen cases.

    Returns the case numbers, the tokens (reviewer, superuser) and what was done (for the report).
    """
    from collections import Counter

    from django.db import transaction

    from sifa.accounts.services.auth import issue_api_token
    from sifa.applications.models import Application, ApplicationStatus
    from sifa.organisations.models import Membership, Organisation, Role
    from sifa.workflow.models import ProcessInstance, WorkItem
    from sifa.workflow.services.dispatch import run_command
    from sifa.workflow.services.start import process_file_of

    process = process_file_of(Application(version=entry.version)).file_name
    generated = Application.objects.filter(number__contains=GENERATED).select_related(
        "accepting_organisation", "version"
    )
    taken = list(
        generated.filter(
            status__in=(ApplicationStatus.ACCEPTED, ApplicationStatus.IN_REVIEW),
            pk__in=ProcessInstance.objects.values("application_id"),
        ).order_by("number")[:W4_CASES]
    )
    waiting = list(generated.filter(status=ApplicationStatus.PENDING_ACCEPTANCE).order_by("number")[:1000])
    busiest = Counter(_province(a.accepting_organisation.path) for a in waiting).most_common(1)
    top = busiest[0][0] if busiest else ""
    waiting.sort(
        key=lambda a: (
            process_file_of(a).file_name != process,
            _province(a.accepting_organisation.path) != top,
            a.number,
        )
    )
    root = Organisation.objects.filter(parent__isnull=True).order_by("path").first()
    clerk_orgs = {a.accepting_organisation for a in waiting[: 4 * W4_CASES]}
    clerk = _generated_staff("bench-g-clerk", root, [(o, Role.WINDOW_CLERK) for o in clerk_orgs])
    reviewer = _generated_staff("bench-g-reviewer", root, [])
    superuser = _generated_staff("bench-g-superuser", root, [], superuser=True)
    suspend = {"kind": "expert_review", "reason": "组织专家评审"}

    def reviewable(application) -> bool:
        """Give the reviewers their role where the case's items are, then suspend and resume it."""
        orgs = set(WorkItem.objects.filter(application=application).values_list("organisation_id", flat=True))
        orgs.add(application.accepting_organisation_id)
        for organisation in Organisation.objects.filter(pk__in=orgs):
            for user in (reviewer, superuser):
                Membership.objects.get_or_create(user=user, organisation=organisation, role=Role.REVIEWER)
        try:
            with transaction.atomic():
                run_command(reviewer, application.number, "suspend", suspend)
                run_command(reviewer, application.number, "resume", {})
        except Exception:
            return False
        return True

    chosen = [a for a in taken if reviewable(a)]
    accepted = failed = 0
    for application in waiting:
        if len(chosen) >= W4_CASES or application.accepting_organisation not in clerk_orgs:
            break
        try:
            with transaction.atomic():
                run_command(clerk, application.number, "accept", {})
        except Exception:
            failed += 1
            continue
        application.refresh_from_db()
        if application.status in (ApplicationStatus.ACCEPTED, ApplicationStatus.IN_REVIEW) and reviewable(
            application
        ):
            accepted += 1
            chosen.append(application)
        else:
            failed += 1
    if len(chosen) < 8:
        raise LookupError(
            f"only {len(chosen)} generated cases could be accepted and suspended ({len(waiting)} waiting "
            "for acceptance; W4 needs 8, one per connection)"
        )
    scope = _common_ancestor([a.accepting_organisation for a in chosen])
    for user in (reviewer, superuser):
        user.scope_path = scope.path
        user.save()
    how = (
        f"{len(chosen)} generated cases under {scope.name} ({accepted} accepted now through run_command, "
        f"{len(chosen) - accepted} by an earlier run, {failed} left out)"
    )
    tokens = {"reviewer": issue_api_token(reviewer)[0], "superuser": issue_api_token(superuser)[0]}
    return [a.number for a in chosen], tokens, how


def generated_main() -> int:
    """Print the bench data of the second pass: W4's and W5's cases among the generated ones (and
    the tokens of the staff who act on them); the other keys are the first pass's."""
    import django

    django.setup()
    from django.db import transaction

    data: dict[str, Any] = {}
    with transaction.atomic():
        data["w5_cases"] = _generated_w5()
    if not data["w5_cases"]:
        data.pop("w5_cases")
        data["w5_skip"] = "no delivered generated case"
    try:
        with transaction.atomic():
            cases, tokens, how = _generated_w4(_entry())
        data.update(w4_cases=cases, w4_tokens=tokens, w4_how=how)
    except LookupError as missing:
        data["w4_skip"] = str(missing)
    sys.stdout.write(json.dumps(data, ensure_ascii=False))
    return 0


def _command(argv: list[str]) -> int:
    if argv[:1] == ["--generated"]:
        return generated_main()
    if argv[:1] in (["--marker"], ["--mark"], ["--unmark"], ["--release"]):
        import django

        django.setup()
        if argv[0] == "--marker":
            sys.stdout.write(json.dumps(marker()))
        elif argv[0] == "--release":
            sys.stdout.write(json.dumps({"released": release()}))
        else:
            mark(*(int(argv[1]), int(argv[2]), float(argv[3])) if argv[0] == "--mark" else (None,))
        return 0
    return main()


if __name__ == "__main__":
    try:
        sys.exit(_command(sys.argv[1:]))
    except Exception:
        traceback.print_exc()
        sys.exit(1)
