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
