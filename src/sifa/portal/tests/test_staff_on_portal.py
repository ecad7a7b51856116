"""Staff browsing the portal: the header offers 工作台 instead of 我的空间 (which is for citizens and
companies), and the page that refuses them an applicant-only page leads to the workbench, not back
to itself."""

from __future__ import annotations

import pytest

from sifa.catalogue.tests.conftest import build_tree
from sifa.organisations.models import Role
from sifa.testing import staff

from .test_citizen_support import VALID_ID, person

pytestmark = pytest.mark.django_db


@pytest.fixture
def clerk():
    orgs = build_tree()
    return staff("hz-clerk", orgs["hz"], Role.WINDOW_CLERK, display_name="王小明")


def _header(html: str) -> str:
    return html.split('<header class="sifa-header">', 1)[1].split("</header>", 1)[0]


def test_staff_see_the_workbench_in_the_portal_header_not_my_space(client, clerk):
    client.force_login(clerk)
    header = _header(client.get("/").content.decode())
    assert 'href="/workbench/">工作台</a>' in header
    assert 'href="/me/"' not in header and "我的空间" not in header


def test_citizens_keep_my_space_and_the_two_headers_are_not_mixed_up(client, clerk):
    citizen = person("张三", VALID_ID, "13800000001")
    client.force_login(clerk)
    client.get("/")  # the staff header is built first: the citizen's must not be served from it
    client.force_login(citizen)
    header = _header(client.get("/").content.decode())
    assert 'href="/me/"' in header and "工作台" not in header
    client.logout()
    header = _header(client.get("/").content.decode())
    assert "工作台" not in header and 'href="/accounts/login/"' in header


def test_the_applicant_only_refusal_leads_staff_to_the_workbench(client, clerk):
    client.force_login(clerk)
    response = client.get("/me/")
    html = response.content.decode()
    assert response.status_code == 403 and "portal.applicant_only" in html
    main = html.split('<main id="main"', 1)[1]
    assert 'href="/workbench/">前往工作台</a>' in main
    assert "返回我的空间" not in main  # it would lead back to this very refusal
