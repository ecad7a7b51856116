"""Every model field of the case apps says, in Chinese, what it holds — quoting the standard or
statute where one applies (issue 10 §6; the admin and the generated API docs show these texts)."""

from __future__ import annotations

import re

import pytest
from django.apps import apps

CJK = re.compile(r"[\u4e00-\u9fff]")
APPS = ("applications", "licences")


@pytest.mark.parametrize("label", APPS)
def test_every_field_of_the_app_has_chinese_help_text(label):
    fields = [
        (model.__name__, field)
        for model in apps.get_app_config(label).get_models()
        for field in model._meta.get_fields()
        if field.concrete and not field.auto_created
    ]
    assert fields
    missing = [f"{model}.{field.name}" for model, field in fields if not CJK.search(str(field.help_text))]
    assert missing == []
