"""The two national code orders are opposite (standards.md §3.4): each interface gets its own."""

from __future__ import annotations

import pytest

from sifa.consultation.models import Satisfaction
from sifa.evaluation.models import Channel, Level, channel_code, gbt39046_code, level_of, provincial_code


def test_gbt39046_counts_from_very_satisfied():
    assert [gbt39046_code(level) for level in Level.values] == [1, 2, 3, 4, 5]
    assert gbt39046_code("very_satisfied") == 1 and gbt39046_code("very_dissatisfied") == 5


def test_the_provincial_interfaces_count_from_very_dissatisfied():
    assert provincial_code("very_dissatisfied") == 1
    assert provincial_code("neutral") == 3
    assert provincial_code("very_satisfied") == 5
    for level in Level.values:
        assert gbt39046_code(level) + provincial_code(level) == 6


def test_a_level_is_read_by_key_or_label_and_nothing_else():
    assert level_of("非常不满意") == "very_dissatisfied"
    assert level_of(" 基本满意 ") == "neutral"
    assert level_of("satisfied") == "satisfied"
    for bad in ("", "6", "0", 5, "极好", "VERY_SATISFIED", None):
        assert level_of(bad) is None


def test_the_consultation_keeps_the_same_levels():
    assert Satisfaction.choices == Level.choices


def test_the_channels_follow_table_9():
    assert [channel_code(c) for c in Channel.values] == [1, 2, 3, 4, 5, 6, 7]
    assert channel_code("web") == 1 and channel_code("qr") == 3 and channel_code("sms") == 7


def test_an_unknown_level_has_no_code():
    with pytest.raises(ValueError):
        gbt39046_code("excellent")
