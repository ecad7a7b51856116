"""A case command's answer as ``api.case_command`` writes it without DRF: its bytes are what DRF's
``JSONRenderer`` gives for the same view (the timeline spliced in from each entry's bytes kept per
stored row, ``caseview.Kept``), and a body validated field by field (``api._validated``) gives
what ``CommandSerializer`` gives, or nothing — the serializer then answers (docs/performance.md,
"session 10: W4")."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.renderers import JSONRenderer

from sifa.applications.models import TimelineEntry
from sifa.organisations.scope import actor_for
from sifa.workflow import api, caseview
from sifa.workflow.selectors import case_for_staff
from sifa.workflow.services import run_command
from sifa.workflow.tests.conftest import entry_for, make_case, travel

LAWYER = "律师执业许可（专职律师执业）"
ACCEPTED_ON = dt.date(2025, 9, 1)


def _suspended_view(people, w, *, title: str = "") -> dict:
    case = make_case(entry_for(LAWYER, w["hz"]), people["citizen"])
    with travel(ACCEPTED_ON):
        run_command(people["hz_clerk"], case.number, "accept", {})
        if title:
            TimelineEntry.objects.create(
                application=case,
                occurred_at=dt.datetime(2025, 9, 1, 3, tzinfo=dt.UTC),
                event="x",
                title=title,
            )
        reviewer = people["hz_reviewer"]
        done = run_command(
            reviewer, case.number, "suspend", {"kind": "expert_review", "reason": "组织专家评审"}
        )
        actor = actor_for(reviewer)
        view = caseview.case_view(done, actor, timeline_limit=api.ANSWER_TIMELINE)
        again = caseview.case_view(
            case_for_staff(actor, case.number), actor, timeline_limit=api.ANSWER_TIMELINE
        )
    return view, again


def test_the_answer_is_json_renderers_bytes_with_its_timeline_spliced_in(w, people):
    view, again = _suspended_view(people, w)
    assert type(view["timeline"]) is caseview.Entries and view["timeline"]
    assert api._render(view) == JSONRenderer().render(view)
    assert api._render(again) == JSONRenderer().render(again)  # the entries' texts kept: the same
    assert api._render({"number": "T1", "status": "withdrawn"}) == JSONRenderer().render(
        {"number": "T1", "status": "withdrawn"}
    )


@pytest.mark.parametrize("title", ["段落\u2028分隔\u2029", "\ue000timeline\ue000", '"引号"\\'])
def test_an_entry_with_line_separators_or_the_mark_itself_gives_the_same_bytes(w, people, title):
    view, _ = _suspended_view(people, w, title=title)
    assert any(entry["title"] == title for entry in view["timeline"])
    assert api._render(view) == JSONRenderer().render(view)


def test_a_mark_found_elsewhere_in_the_answer_has_it_encoded_whole(w, people, monkeypatch):
    view, _ = _suspended_view(people, w)
    monkeypatch.setattr(api, "_TIMELINE_MARK", view["accepting_organisation"])
    assert api._render(view) == JSONRenderer().render(view)


def test_a_changed_timeline_list_is_encoded_as_it_is(w, people):
    view, _ = _suspended_view(people, w)
    view["timeline"].append({"occurred_at": None, "title": "添加"})
    assert api._render(view) == JSONRenderer().render(view)


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "expert_review", "reason": "组织专家评审"},
        {"reason": "  两端空白  ", "kind": "hearing"},
        {"opinion": "", "outcome": "approve", "row_version": 3},
        {"held_on": "2025-09-03", "experience_confirmed": True, "task": "city_review"},
    ],
)
def test_a_valid_body_of_single_values_is_validated_as_the_serializer_validates_it(body):
    serializer = api.CommandSerializer(data=body)
    assert serializer.is_valid(), serializer.errors
    validated = api._validated(body)
    assert validated == dict(serializer.validated_data)
    assert list(validated) == list(serializer.validated_data)


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "expert_review", "reason": "长" * (api.TEXT + 1)},
        {"reason": None},
        {"outcome": "maybe"},
        {"row_version": -1},
        {"held_on": "九月三日"},
        {"unknown": "x"},
        {"csrfmiddlewaretoken": "x"},
        {"mediators": [1, 2]},
        {"items": []},
    ],
)
def test_any_other_body_is_left_to_the_serializer(body):
    assert api._validated(body) is None
