"""A lawyer in practice since 2018, entered like every licence issued before the platform.

The demo's own lawyer (陈明, ``sifa.demo.cases``) is licensed by the workflow today, so a 通知辩护
on a §26 ground — 可能被判处无期徒刑、死刑的人, 死刑复核案件的被告人 — would find nobody the
legal-aid centre may assign (三年以上相关执业经历, 法律援助法 §26). A province's lawyers licensed
before Sifa are entered with their original issue date (``sifa import-licences``,
``licences.services.import_licence``); the demo does the same for one: 林志远, 执业证号
13301201810654321, issued by 浙江省司法厅 on 2018-06-01, practising at 浙江明理律师事务所（演示）.
Idempotent (by 执业证号). Demo data only: the name and ID number are invented.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model

from sifa.accounts.management.commands import _demo
from sifa.core.identifiers import id_number_check_digit
from sifa.licences.models import Licence, LicenceType
from sifa.licences.selectors import LAWYER_LICENCE
from sifa.licences.services import import_licence

SENIOR_LAWYER = "林志远"
SENIOR_NUMBER = "13301201810654321"
SENIOR_FIRST17 = "33010619780815501"
SENIOR_SINCE = dt.date(2018, 6, 1)


def ensure_senior_lawyer() -> Licence:
    """林志远's imported 律师执业证 (entered now if absent)."""
    _demo.ensure_allowed()
    existing = Licence.objects.filter(licence_type__key=LAWYER_LICENCE, number=SENIOR_NUMBER).first()
    if existing is not None:
        return existing
    tree = _demo.find_tree()
    issuer_staff = get_user_model().objects.get(username="demo-province")
    return import_licence(
        LicenceType.objects.get(key=LAWYER_LICENCE),
        tree.province,
        number=SENIOR_NUMBER,
        holder_name=SENIOR_LAWYER,
        holder_code=SENIOR_FIRST17 + id_number_check_digit(SENIOR_FIRST17),
        issue_date=SENIOR_SINCE,
        valid_from=SENIOR_SINCE,
        particulars={"practice_organisation": _demo.COMPANY["name"]},
        actor=issuer_staff,
    )
