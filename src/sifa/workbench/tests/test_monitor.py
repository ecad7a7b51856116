"""Failed deliveries with resend (supervisors), and the catalogue authoring page (catalogue admins)."""

from __future__ import annotations

import pytest

from sifa.audit.models import AuditEvent
from sifa.notifications.models import Delivery, DeliveryStatus
from sifa.notifications.services import notify


@pytest.fixture
def dead_sms(w, people):
    citizen = people["citizen"]
    citizen.scope_path = w["hz"].path
    citizen.save(update_fields=["scope_path"])
    notification = notify(
        citizen, "application.accepted", {"number": "N1", "item_name": "律师执业许可", "due_date": ""}
    )
    delivery = notification.deliveries.first()
    Delivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.DEAD, attempts=5, last_error="号码停机"
    )
    return delivery


def test_supervisor_sees_failed_deliveries_masked_and_resends_after_confirming(login, people, dead_sms):
    client = login(people["zj_supervisor"])
    html = client.get("/workbench/deliveries/failed/").content.decode()
    assert "号码停机" in html and "李四" not in html and "李*" in html
    url = f"/workbench/deliveries/{dead_sms.public_id}/resend/"
    confirm = client.post(url)
    assert "确认重新发送" in confirm.content.decode()
    dead_sms.refresh_from_db()
    assert dead_sms.status == DeliveryStatus.DEAD
    done = client.post(url, {"confirmed": "1"}, follow=True)
    assert "已重新排队发送" in done.content.decode()
    assert AuditEvent.objects.filter(action="notifications.delivery.resend").exists()


def test_resend_outside_my_role_or_jurisdiction_is_not_found(login, people, dead_sms):
    url = f"/workbench/deliveries/{dead_sms.public_id}/resend/"
    assert login(people["hz_reviewer"]).post(url, {"confirmed": "1"}).status_code == 404
    assert login(people["zj_supervisor"]).post("/workbench/deliveries/nonsense/resend/").status_code == 404


def test_catalogue_admin_sees_the_items_of_their_organisation(login, people):
    html = login(people["zj_catalogue"]).get("/workbench/catalogue/").content.decode()
    assert "事项管理" in html and "/api/v1/catalogue/items/" in html
