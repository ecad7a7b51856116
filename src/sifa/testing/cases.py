"""Cases for tests: the implementation entry of an item at an organisation, and an application
that passed pre-review and waits for acceptance (what ``submit`` and pre-review leave behind)."""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from sifa.accounts.models import User
from sifa.applications.models import Application, ApplicationStatus
from sifa.catalogue.models import ImplementationEntry
from sifa.organisations.models import Organisation
from sifa.testing.clock import at

_numbers = itertools.count(1)


def entry_for(item_name: str, organisation: Organisation) -> ImplementationEntry:
    return ImplementationEntry.objects.select_related("version").get(
        item__name=item_name, organisation=organisation
    )


def entry_with_situations(within: Organisation | None = None) -> ImplementationEntry:
    """An item a person applies for (its process is shipped; its form asks the applicant's name)
    whose guide asks 情形 questions (法律援助: 是否委托代理人), in ``within``'s subtree if given."""
    from sifa.catalogue.processes import process_available

    entries = ImplementationEntry.objects.select_related("version", "item")
    if within is not None:
        entries = entries.filter(organisation__path__startswith=within.path)
    for entry in entries.order_by("implementation_code"):
        schema = entry.version.form.schema if hasattr(entry.version, "form") else {}
        if (
            entry.version.situations.exists()
            and "applicant_name" in schema.get("properties", {})
            and process_available(entry.version)
        ):
            return entry
    raise AssertionError("the catalogue has no item with 情形 and a person form")


def make_case(
    entry: ImplementationEntry, applicant: User, *, received: dt.date | None = None, **fields
) -> Application:
    """Received at 9 o'clock on ``received`` (now without one), pending acceptance unless
    ``status`` says otherwise."""
    moment = at(received, 9) if received else timezone.now()
    values = {
        "number": f"T{moment:%Y%m%d}{next(_numbers):08d}",
        "entry": entry,
        "version": entry.version,
        "applicant": applicant,
        "status": ApplicationStatus.PENDING_ACCEPTANCE,
        "accepting_organisation": entry.accepting_organisation,
        "scope_path": entry.accepting_organisation.path,
        "submitted_at": moment,
        "received_at": moment,
        **{k: v for k, v in fields.items() if v is not None},
    }
    return Application.objects.create(**values)


def material_item(case: Application, message: str, index: int = 0) -> dict[str, str]:
    """A correction item naming the ``index``-th material of the case's item (``materials.<id>``),
    as the workbench's 补正告知 form names it."""
    material = list(case.version.materials.order_by("order", "id"))[index]
    return {"field": f"materials.{material.pk}", "message": message}


def field_item(case: Application, message: str, name: str = "") -> dict[str, str]:
    """A correction item naming a field of the case's application form (``name``, or its first)."""
    schema = case.version.form.schema if hasattr(case.version, "form") else {}
    properties = schema.get("properties") or {}
    assert properties, "the case's item has no application form"
    name = name or sorted(properties)[0]
    assert name in properties, f"the form has no field {name}"
    return {"field": name, "message": message}


def issue_pending_documents(number: str) -> list[int]:
    """Issue the documents case ``number``'s commands owe and still read 待出具, as the worker's
    task does right after each command commits (``casedocs.owe`` enqueues it with
    ``transaction.on_commit``, which never fires inside a test's transaction). 送达 waits for them
    (``transitions.delivery_hold``). A failed one stays failed: its retry is the sweep's.

    Signed at the real time, out of any ``travel``: the run's signing key is valid from the run's
    start only (``_keys_of_the_run`` in the root conftest), so a letter sealed "in 2025" would fail
    (``signing.key_expired``) where the worker, seconds after the decision, seals it. Returns the
    ids of the rows it tried."""
    import time_machine

    from sifa.workflow.models import CaseDocument, CaseDocumentStatus
    from sifa.workflow.services import issue_owed

    pending = CaseDocument.objects.filter(application__number=number, status=CaseDocumentStatus.PENDING)
    now = dt.datetime.fromtimestamp(time_machine.escape_hatch.time.time(), tz=dt.UTC)
    tried = list(pending.order_by("id").values_list("pk", flat=True))
    with time_machine.travel(now, tick=False):
        for pk in tried:
            issue_owed(pk)
    return tried
