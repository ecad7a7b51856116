"""An event's detail as the JSON column gives it back (``events._stored_detail``): a plain detail
is copied in one walk (``_plain_copy``), exactly what checking it (``_plain``) and then copying it
(``_copy``) gave, and anything else takes the JSON round trip as before."""

from __future__ import annotations

import datetime as dt
import enum
import math

import pytest

from sifa.audit.services import events
from sifa.workflow.models import WorkItemStatus


class Number(enum.IntEnum):
    ONE = 1


VALUES = [
    {},
    {"status": "accepted", "kind": "expert_review", "reason": "组织专家评审"},
    {"status": WorkItemStatus.OPEN, "n": 3, "ok": True, "none": None, "f": 1.5},
    {"nested": {"a": [1, "二", {"b": None}], "c": []}, "list": [[], {}]},
    {"nul": "a\x00b"},
    {"a\x00": 1},
    {1: "integer key"},
    {"integral": 2.0},
    {"nan": math.nan},
    {"inf": [math.inf]},
    {"date": dt.date(2025, 9, 1)},
    {"enum": Number.ONE},
    {"deep": {"x": [{"y": "\x00"}]}},
    {"text": WorkItemStatus.DONE, "items": [WorkItemStatus.OPEN]},
]


@pytest.mark.parametrize("value", VALUES)
def test_one_walk_copies_what_the_check_and_the_copy_gave(value):
    copied = events._plain_copy(value)
    if events._plain(value):
        assert copied == events._copy(value)
        assert type(copied) is dict
        assert [type(v) for v in copied.values()] == [type(v) for v in events._copy(value).values()]
        assert copied is not value
    else:
        assert copied is events._NOT_PLAIN


@pytest.mark.parametrize("value", VALUES)
def test_the_stored_detail_is_the_round_trips(value):
    stored = events._stored_detail(value)
    if events._plain(value):
        assert stored == events._copy(value)
    else:
        assert stored == events._jsonb_stable(
            events.json.loads(events.json.dumps(value, cls=events.DjangoJSONEncoder, ensure_ascii=False))
        )


def test_a_plain_copy_owns_its_dicts_and_lists():
    detail = {"nested": {"a": [1]}, "list": [{"b": 2}]}
    copied = events._stored_detail(detail)
    copied["nested"]["a"].append(2)
    copied["list"][0]["b"] = 3
    assert detail == {"nested": {"a": [1]}, "list": [{"b": 2}]}
