"""Staff see where partner data came from: the partner's answer id and time on the case page."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from sifa.applications.models import ApplicationMaterial, MaterialProvenance


def test_the_case_page_shows_the_partner_answer_of_a_shared_material(login, people, case):
    answered = timezone.make_aware(dt.datetime(2026, 12, 7, 9, 30, 5))
    ApplicationMaterial.objects.create(
        application=case,
        material=case.version.materials.first(),
        provenance=MaterialProvenance.PARTNER,
        source_reference="police.identity",
        source_label="公安部门共享数据：居民身份信息核验",
        partner_answer_id="GA-20261207-000042",
        partner_answered_at=answered,
    )
    html = login(people["hz_clerk"]).get(f"/workbench/cases/{case.number}/").content.decode()
    assert "部门应答编号 GA-20261207-000042，应答时间 2026-12-07 09:30:05" in html
