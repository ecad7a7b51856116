"""Closed by default: every Sifa model says what kind of data it holds, and every model holding
personal or case data has a scope rule — otherwise this test fails and names it."""

import pytest
from django.apps import apps

from sifa.core.db import PathField
from sifa.organisations.scope import SCOPED_DATA_CLASSES, rule_for

pytestmark = pytest.mark.smoke

KNOWN_CLASSES = {"public", "internal", "audit", *SCOPED_DATA_CLASSES}


def sifa_models():
    return [m for m in apps.get_models() if m.__module__.startswith("sifa.")]


def test_every_model_declares_its_data_class():
    missing = [m._meta.label for m in sifa_models() if getattr(m, "data_class", None) not in KNOWN_CLASSES]
    assert not missing, f"declare data_class (one of {sorted(KNOWN_CLASSES)}) on: {missing}"


def test_every_personal_or_case_model_has_a_scope_rule():
    unscoped = [
        m._meta.label for m in sifa_models() if m.data_class in SCOPED_DATA_CLASSES and rule_for(m) is None
    ]
    assert not unscoped, f"register a scope rule (sifa.organisations.scope.register) for: {unscoped}"


def _resolve(model, lookup):
    """Follow a lookup like ``application__scope_path`` to its final field."""
    field = None
    for part in lookup.split("__"):
        field = model._meta.pk if part == "pk" else model._meta.get_field(part)
        if field.is_relation and part != lookup.split("__")[-1]:
            model = field.related_model
    return field


def test_scope_rules_point_at_real_indexed_fields():
    for model in sifa_models():
        rule = rule_for(model)
        if rule is None:
            continue
        if rule.path:
            field = _resolve(model, rule.path)
            assert isinstance(field, PathField), f"{model._meta.label}: {rule.path} must end in a PathField"
            owner_model = field.model
            in_index = {name.lstrip("-") for idx in owner_model._meta.indexes for name in idx.fields}
            indexed = field.db_index or field.unique or field.name in in_index
            assert indexed, f"{model._meta.label}: {rule.path} must be indexed"
        for owner in rule.owners:
            field = _resolve(model, owner)
            assert field.is_relation or field.primary_key, (
                f"{model._meta.label}: owner {owner} is not a user link"
            )
        assert rule.path or rule.owners, f"{model._meta.label}: a rule needs a path or an owner"
