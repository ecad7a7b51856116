"""The world of the crash test (R1/R2): a citizen who can apply for 律师执业许可（专职律师执业） at the
杭州市司法局 in ONE call (``POST /api/v1/applications/``, the create-and-submit the portal and
integrating systems use), and an API token for that citizen.

The citizen's first application is made through the services with its three requested materials
uploaded; every later application reuses them (复用办件的材料), so a complete body needs no upload
and one request is one submission. :func:`build` runs in the test process on the test database
(R1) or, as ``python -m tests.security.crash_world``, in a child process on the private cluster
(R2); either way it prints/returns the same JSON.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any

LAWYER_FULL_TIME = "000100001001"
ID_FIRST17 = "33010619900101123"
PHONE = "13800000001"
TAG = re.compile(r"北山街道(\d+)弄(\d+)号")


def form(id_number: str, run: int = 0, index: int = 0) -> dict[str, str]:
    """The application form; ``run`` and ``index`` are written into the address, so every
    submission can be told apart in the database without the idempotency records."""
    return {
        "applicant_name": "张三",
        "id_number": id_number,
        "phone": PHONE,
        "address": f"杭州市西湖区北山街道{run}弄{index}号",
        "law_firm": "浙江某某律师事务所",
        "qualification_number": "A20201234567",
    }


def tag_of(form_data: Any) -> tuple[int, int] | None:
    """``(run, index)`` of a stored form (a dict, or its JSON text on SQLite), None for others."""
    if isinstance(form_data, str):
        form_data = json.loads(form_data)
    match = TAG.fullmatch(str((form_data or {}).get("address", "")).removeprefix("杭州市西湖区"))
    return (int(match[1]), int(match[2])) if match else None


def build() -> dict[str, Any]:
    from sifa.accounts.services import issue_api_token
    from sifa.applications.services import applicable_materials, start_draft, submit, upload_material
    from sifa.applications.services.draft_materials import current_materials
    from sifa.applications.tests.upload_corpus.samples import make_pdf
    from sifa.catalogue.models import ImplementationEntry
    from sifa.testing import PersonFactory, id_number, load_catalogue, tree

    orgs = tree("zj", "hz", "xh")
    load_catalogue()
    number = id_number(ID_FIRST17)
    citizen = PersonFactory(name="张三", id_number=number, phone=PHONE, region_code="330106").user
    entry = ImplementationEntry.objects.get(item__basic_code=LAWYER_FULL_TIME, organisation=orgs["hz"])
    draft = start_draft(entry, actor=citizen, form_data=form(number))
    have = current_materials(draft)
    for material in applicable_materials(draft.version, draft.situation_answers):
        if material.necessity == "required" and material.pk not in have:
            upload_material(
                draft,
                actor=citizen,
                material_id=material.pk,
                fileobj=io.BytesIO(make_pdf()),
                filename="证明.pdf",
            )
    submit(draft, actor=citizen)
    key, _token = issue_api_token(citizen)
    return {"token": key, "entry": entry.implementation_code, "entry_id": entry.pk, "id_number": number}


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(build()))
