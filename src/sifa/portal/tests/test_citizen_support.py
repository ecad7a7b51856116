"""Shared set-up of the citizen page tests: a citizen, the lawyer entry, a draft helper.

It has no tests itself; the ``test_citizen_*`` modules import from it.
"""

from __future__ import annotations

from sifa.applications.tests.conftest import OTHER_ID, PDF, VALID_ID, lawyer_form  # noqa: F401
from sifa.catalogue.models import ImplementationEntry
from sifa.testing import PASSWORD, PersonFactory
from sifa.testing.cases import entry_with_situations  # noqa: F401  (the apply tests import it from here)

LAWYER_FULL_TIME = "000100001001"
__all__ = ["PASSWORD"]


def person(name: str, number: str, phone: str):
    return PersonFactory(name=name, id_number=number, phone=phone, region_code="330106").user


def lawyer_entry(orgs) -> ImplementationEntry:
    return ImplementationEntry.objects.select_related("version", "item").get(
        item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"]
    )


def submitted_application(entry: ImplementationEntry, citizen, form: dict | None = None):
    """A submitted application made through the services (the pages are tested elsewhere)."""
    import io

    from sifa.applications import services

    app = services.start_draft(entry, actor=citizen, form_data=form or lawyer_form())
    for material in services.applicable_materials(app.version, app.situation_answers):
        if not app.materials.filter(material=material).exists():
            services.upload_material(
                app, actor=citizen, material_id=material.pk, fileobj=io.BytesIO(PDF), filename="证明.pdf"
            )
    app, code = services.submit(app, actor=citizen)
    return app, code
