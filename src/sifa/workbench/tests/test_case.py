"""The case page: what it shows, who may open it, and the material previews."""

from __future__ import annotations

import io

from PIL import Image

from sifa.applications.models import Application, ApplicationMaterial, MaterialProvenance, PreReviewFinding
from sifa.applications.uploads.store import FileSystemUploadStore
from sifa.audit.models import PersonalDataAccess
from sifa.organisations.models import Organisation, OrganisationKind, Role
from sifa.organisations.scope import actor_for
from sifa.workbench.tests import world as W


def test_case_page_shows_form_labels_timeline_clocks_and_my_actions(login, people, case):
    PreReviewFinding.objects.create(application=case, source="auto", code="x", message="身份证复印件不清晰")
    response = login(people["hz_clerk"]).get(f"/workbench/cases/{case.number}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "申请人姓名" in html and "李四" in html and "拟执业律师事务所" in html
    assert "身份证复印件不清晰" in html
    assert "尚未开始计时" in html
    assert "下一步：确认受理" in html and "不予受理" in html
    assert PersonalDataAccess.objects.filter(subject=people["citizen"], subject_ref=case.number).exists()


def test_case_outside_my_jurisdiction_is_not_found(login, people, case):
    assert login(people["nb_reviewer"]).get(f"/workbench/cases/{case.number}/").status_code == 404
    assert login(people["hz_clerk"]).get("/workbench/cases/NO-SUCH/").status_code == 404


def test_reviewer_sees_the_case_but_cannot_accept_it(login, people, case):
    client = login(people["hz_reviewer"])
    html = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert "没有可办理的操作" in html
    response = client.post(f"/workbench/cases/{case.number}/actions/accept/", {"confirmed": "1"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "pending_acceptance"


def _received_at(case, window):
    """The case as a walk-in received at ``window`` (一窗受理: the window below files it for the city)."""
    Application.objects.filter(pk=case.pk).update(channel="window", receiving_window=window)
    case.refresh_from_db()


def test_a_window_below_sees_only_the_cases_it_received(login, people, case, w):
    """一窗受理, least privilege: the county window does not read the city's online applications
    (404, the same answer as an unknown number); the walk-in it received it sees and accepts."""
    client = login(people["xh_clerk"])
    assert client.get(f"/workbench/cases/{case.number}/").status_code == 404
    assert client.get(f"/workbench/cases/{case.number}/actions/accept/").status_code == 404
    _received_at(case, w["xh"])
    html = client.get(f"/workbench/cases/{case.number}/").content.decode()
    assert "下一步：确认受理" in html


def test_a_case_read_is_never_credited_to_an_unrelated_organisation(login, people, case, w):
    """Regression: when no membership of the reader held the case (a window below it receiving for
    it), the case page credited the read to the reader's first membership — here 舟山市司法局,
    which has nothing to do with the applicant — in the applicant's access log."""
    unrelated = Organisation.objects.create(
        name="舟山市司法局", kind=OrganisationKind.BUREAU, level=3, parent=w["zj"], path=f"{w['zj'].path}0/"
    )
    _received_at(case, w["xh"])
    two_hats = W.staff("two-hats", (unrelated, Role.REVIEWER), (w["xh"], Role.WINDOW_CLERK))
    assert actor_for(two_hats).memberships[0][0] == unrelated.pk  # the one the old fallback took
    assert login(two_hats).get(f"/workbench/cases/{case.number}/").status_code == 200
    access = PersonalDataAccess.objects.get(reader=two_hats, subject_ref=case.number)
    assert (access.reader_organisation, access.reader_role) == (w["xh"], Role.WINDOW_CLERK)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def test_materials_are_previewed_and_served_only_in_scope(login, people, case, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    store = FileSystemUploadStore(tmp_path)
    work = store.temp_dir() / "photo.png"
    work.write_bytes(_png())
    material = case.version.materials.first()
    row = ApplicationMaterial.objects.create(
        application=case,
        material=material,
        provenance=MaterialProvenance.UPLOAD,
        storage_key=store.commit(work, "png"),
        display_name="证件照.png",
        content_type="image/png",
        size=100,
    )
    url = f"/workbench/cases/{case.number}/materials/{row.pk}/"
    html = login(people["hz_clerk"]).get(f"/workbench/cases/{case.number}/").content.decode()
    assert f'<img class="wb-preview" src="{url}"' in html
    response = login(people["hz_clerk"]).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == (tmp_path / row.storage_key).read_bytes()
    assert login(people["nb_reviewer"]).get(url).status_code == 404
    assert (
        login(people["hz_clerk"]).get(f"/workbench/cases/{case.number}/materials/not-a-uuid/").status_code
        == 404
    )


def test_an_option_is_shown_by_the_label_the_form_offered():
    """案件类别 ``criminal`` reads 刑事 on the case page, as the applicant chose it (``x-ui.labels``)."""
    from sifa.workbench.presenters import _show

    spec = {
        "type": "string",
        "enum": ["criminal", "civil", "administrative", "non_litigation"],
        "x-ui": {"widget": "select", "labels": ["刑事", "民事", "行政", "非诉讼"]},
    }
    assert [_show(v, spec) for v in spec["enum"]] == ["刑事", "民事", "行政", "非诉讼"]
    assert _show("other", spec) == "other" and _show(None, spec) == ""
    assert _show(["civil"], {"type": "array", "items": spec}) == "民事"


def test_the_reviewer_sees_the_situations_the_applicant_chose(login, people, w):
    """The 情形 answers decided which materials were asked for (律师事务所设立许可: 合伙协议 only
    for a partnership): the case page shows each question with the option chosen, by its label."""
    firm = W.make_case(
        W.entry_for("律师事务所设立许可", w["hz"]),
        people["citizen"],
        form_data={"organisation_name": "浙江某某律师事务所"},
        situation_answers={"firm_form": "partnership"},
    )
    html = login(people["hz_clerk"]).get(f"/workbench/cases/{firm.number}/").content.decode()
    assert "申请人选择的办理情形" in html
    assert "拟设立的律师事务所组织形式是？" in html and "合伙律师事务所" in html
    Application.objects.filter(pk=firm.pk).update(situation_answers={})
    html = login(people["hz_clerk"]).get(f"/workbench/cases/{firm.number}/").content.decode()
    assert "申请人选择的办理情形" not in html
