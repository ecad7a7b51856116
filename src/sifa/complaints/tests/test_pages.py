"""The public complaint pages without a browser: the form's errors, the tracking code shown once,
following with it, and a wrong code."""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.test import Client

from sifa.complaints.models import Complaint
from sifa.organisations.models import Organisation, Region

pytestmark = pytest.mark.django_db

TEXT = "窗口工作人员让我来回跑了三次，每次要求的材料都不一样，请核查。"


def form(**overrides):
    from sifa.organisations.models import Organisation

    town = Organisation.objects.get(name="北山街道司法所")
    return {
        "kind": "complaint",
        "subject_kind": "service",
        "province": "330000",
        "city": "330100",
        "county": "330106",
        "organisation": str(town.pk),
        "text": TEXT,
        "anonymous": "on",
        "token": "t-1",
        **overrides,
    }


def test_the_form_lists_every_problem(cat, people):
    response = Client().post("/complaints/new/", form(text="", organisation="999999"))
    assert response.status_code == 400
    assert "请先选择所在地，再从列表中选择机构" in response.content.decode()
    response = Client().post("/complaints/new/", form(text="短"))
    assert response.status_code == 400 and "10至3000字" in response.content.decode()
    assert not Complaint.objects.exists()


def test_anonymous_complaint_code_shown_once_and_tracked(cat, people):
    browser = Client()
    assert browser.get("/complaints/new/").status_code == 200
    response = browser.post("/complaints/new/", form())
    assert response.status_code == 302 and response["Location"] == "/complaints/new/done/"
    complaint = Complaint.objects.get()
    page = browser.get("/complaints/new/done/").content.decode()
    assert complaint.number in page and "data-tracking-code" in page
    code = page.split("data-tracking-code>")[1].split("<")[0]
    assert "data-tracking-code" not in browser.get("/complaints/new/done/").content.decode()
    # A double submit (same token) files one complaint.
    browser.post("/complaints/new/", form())
    assert Complaint.objects.count() == 1

    found = Client().post("/complaints/track/", {"number": complaint.number, "code": code})
    assert found.status_code == 200 and "待受理" in found.content.decode() and TEXT in found.content.decode()
    wrong = Client().post("/complaints/track/", {"number": complaint.number, "code": "WRONG234"})
    assert wrong.status_code == 404
    empty = Client().post("/complaints/track/", {})
    assert empty.status_code == 400


def test_done_without_a_complaint_goes_back_to_the_form(cat, people):
    assert Client().get("/complaints/new/done/")["Location"] == "/complaints/new/"


def test_the_place_chooser_narrows_province_city_county_without_javascript(cat, people):
    orgs = cat["orgs"]
    browser = Client()
    first = browser.get("/complaints/new/").content.decode()
    assert "浙江省" in first and 'name="city"' not in first and 'name="organisation"' not in first
    typed = form(text=TEXT, province="330000", city="", county="", organisation="", refine="1")
    step = browser.post("/complaints/new/", typed)
    page = step.content.decode()
    assert step.status_code == 200 and "杭州市" in page and TEXT in page  # the text is kept
    assert orgs["zj"].name in page  # the province's own bureau may be chosen
    step = browser.post("/complaints/new/", {**typed, "city": "330100"}).content.decode()
    assert "西湖区" in step and orgs["hz"].name in step
    step = browser.post("/complaints/new/", {**typed, "city": "330100", "county": "330106"}).content.decode()
    assert "北山街道司法所" in step and orgs["xh"].name in step
    # A city that is not in the chosen province is dropped with everything after it.
    stray = browser.post("/complaints/new/", {**typed, "city": "110100", "county": "330106"}).content.decode()
    assert "北山街道司法所" not in stray
    # An organisation of another place than the one chosen is refused.
    refused = browser.post("/complaints/new/", form(organisation=str(orgs["dc"].pk)))
    assert refused.status_code == 400
    assert Client().post("/complaints/new/", form()).status_code == 302
    assert Complaint.objects.get().organisation == orgs["xh_town"]


def test_the_place_chooser_fragment_for_htmx(cat, people):
    """With JavaScript the form's selects ask /complaints/new/places/ and swap the chooser in place."""
    orgs = cat["orgs"]
    page = Client().get("/complaints/new/").content.decode()
    assert 'hx-get="/complaints/new/places/"' in page and 'id="f-places"' in page
    assert "django_htmx/htmx-2.min.js" in page
    assert 'name="refine"' in page  # the button stays for browsers without JavaScript
    fragment = Client().get("/complaints/new/places/", {"province": "330000"})
    body = fragment.content.decode()
    assert fragment.status_code == 200 and "no-store" in fragment["Cache-Control"]
    assert body.lstrip().startswith("<div") and "<html" not in body and 'id="f-places"' in body
    assert 'name="city"' in body and "杭州市" in body and orgs["zj"].name in body
    county = (
        Client()
        .get(
            "/complaints/new/places/",
            {
                "province": "330000",
                "city": "330100",
                "county": "330106",
                "organisation": str(orgs["xh_town"].pk),
            },
        )
        .content.decode()
    )
    assert f'<option value="{orgs["xh_town"].pk}" selected>北山街道司法所</option>' in county
    # a city of another province is dropped with everything after it; garbage is ignored
    stray = Client().get(
        "/complaints/new/places/", {"province": "330000", "city": "110100", "county": "330106"}
    )
    assert "北山街道司法所" not in stray.content.decode()
    junk = Client().get("/complaints/new/places/", {"province": "<script>", "organisation": "x" * 5000})
    assert junk.status_code == 200 and "<script>" not in junk.content.decode()


def test_the_place_chooser_says_what_it_lists_in_a_polite_live_region(cat, people):
    """A screen reader hears the lists change: the live region is outside the swapped block (in the
    page from the start), and the fragment refills it out of band, so the focus never moves."""
    page = Client().get("/complaints/new/").content.decode()
    region = page.index('id="f-places-status"')
    assert (
        page.index('id="f-places"') < region
        and 'role="status" aria-live="polite"' in page[region - 80 : region + 200]
    )
    assert "hx-swap-oob" not in page and "请先选择省（区、市）" in page
    cities = Region.objects.filter(parent__code="330000").count()
    counties = Region.objects.filter(parent__code="330100").count()
    at = {code: Organisation.objects.filter(region__code=code).count() for code in ("330000", "330100")}
    fragment = Client().get("/complaints/new/places/", {"province": "330000"}).content.decode()
    status = fragment[fragment.index('id="f-places-status"') :]
    assert 'hx-swap-oob="innerHTML"' in status and 'aria-live="polite"' in status
    assert f"已列出 浙江省 的 {cities} 个市（州） 和 {at['330000']} 个机构" in status
    city = Client().get("/complaints/new/places/", {"province": "330000", "city": "330100"}).content.decode()
    assert f"已列出 杭州市 的 {counties} 个县（市、区） 和 {at['330100']} 个机构" in city
    county = Client().get(
        "/complaints/new/places/", {"province": "330000", "city": "330100", "county": "330106"}
    )
    organisations = Organisation.objects.filter(Q(region__code="330106") | Q(region__parent__code="330106"))
    assert f"已列出 西湖区 的 {organisations.count()} 个机构" in county.content.decode()
    # without JavaScript the same sentence is a line under the chooser after 选择所在地
    step = Client().post(
        "/complaints/new/", form(text=TEXT, province="330000", city="330100", county="", refine="1")
    )
    assert f"已列出 杭州市 的 {counties} 个县（市、区）" in step.content.decode()


def test_a_signed_in_citizen_picks_one_of_their_cases_and_follows_it_in_my_space(cat, people):
    from sifa.catalogue.models import ImplementationEntry
    from sifa.testing.cases import make_case

    orgs = cat["orgs"]
    entry = ImplementationEntry.objects.filter(accepting_organisation=orgs["xh"]).first()
    case = make_case(entry, people["citizen"])
    browser = Client()
    browser.force_login(people["citizen"])
    page = browser.get("/complaints/new/").content.decode()
    assert 'name="my_case"' in page and case.number in page
    sent = browser.post(
        "/complaints/new/",
        {"kind": "complaint", "subject_kind": "case", "my_case": case.number, "text": TEXT, "token": "t-2"},
    )
    assert sent.status_code == 302, sent.content.decode()
    complaint = Complaint.objects.get()
    assert complaint.application == case and complaint.complainant == people["citizen"]
    mine = browser.get("/me/complaints/").content.decode()
    assert complaint.number in mine and "待受理" in mine
    detail = browser.get(f"/me/complaints/{complaint.number}/")
    assert detail.status_code == 200 and TEXT in detail.content.decode()
    # Another citizen: not in their list, and the page does not exist for them.
    other = Client()
    other.force_login(people["other_citizen"])
    assert complaint.number not in other.get("/me/complaints/").content.decode()
    assert other.get(f"/me/complaints/{complaint.number}/").status_code == 404
    assert Client().get(f"/me/complaints/{complaint.number}/").status_code == 302  # to the login
