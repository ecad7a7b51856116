"""Shared set-up of the citizen page tests: the full site's URLs, a citizen, a draft helper.

It has no tests itself; the ``test_citizen_*`` modules import from it.
"""

from __future__ import annotations

import pytest
from django.urls import include, path

from sifa.accounts.services import register_person
from sifa.applications.tests.conftest import OTHER_ID, PDF, VALID_ID, lawyer_form  # noqa: F401
from sifa.catalogue.models import ImplementationEntry
from sifa.catalogue.processes import process_available
from sifa.conf.urls import urlpatterns as root_urlpatterns

LAWYER_FULL_TIME = "000100001001"
PASSWORD = "Sifa-Secret-2024!"

# The site as it will be mounted: the root URLs plus the portal, catalogue and citizen pages.
urlpatterns = [
    *root_urlpatterns,
    path("", include("sifa.catalogue.urls")),
    path("", include("sifa.portal.urls")),
    path("", include("sifa.portal.urls_citizen")),
]

URLS = pytest.mark.urls("sifa.portal.tests.test_citizen_support")


def person(name: str, number: str, phone: str):
    return register_person(
        name=name, id_number=number, phone=phone, password=PASSWORD, region_code="330106"
    ).user


def lawyer_entry(orgs) -> ImplementationEntry:
    return ImplementationEntry.objects.select_related("version", "item").get(
        item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"]
    )


def entry_with_situations() -> ImplementationEntry:
    """A natural-person item that can be applied for (its process is shipped) and whose guide asks a
    情形 question (法律援助: 是否委托代理人)."""
    for entry in ImplementationEntry.objects.select_related("version", "item").order_by(
        "implementation_code"
    ):
        schema = entry.version.form.schema if hasattr(entry.version, "form") else {}
        if (
            entry.version.situations.exists()
            and "applicant_name" in schema.get("properties", {})
            and process_available(entry.version)
        ):
            return entry
    raise AssertionError("the catalogue has no item with 情形 and a person form")


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
