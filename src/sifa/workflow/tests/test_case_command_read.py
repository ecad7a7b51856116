"""A case command (suspend, resume, extend) reads of the case and its relations only the columns it
uses (``selectors.CASE_COMMAND_READ``; the rest, ``CASE_COMMAND_DEFERRED``, left out): the same
answers, bytes and headers and the same rows written as with the whole case read, and no deferred
column loaded on the way."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection, transaction
from django.db.models import JSONField, Model
from django.forms.models import model_to_dict

from sifa.applications.models import Application
from sifa.organisations.scope import actor_for
from sifa.testing import bearer_client
from sifa.workflow.selectors import CASE_COMMAND_DEFERRED, CASE_COMMAND_READ, case_for_command
from sifa.workflow.services import dispatch
from sifa.workflow.tests.conftest import command, entry_for, make_case, travel

pytestmark = pytest.mark.django_db

ACCEPTED_ON = dt.date(2025, 9, 1)
APPRAISER = "司法鉴定人执业登记"  # 行政许可法 §42 applies: extend succeeds at the deciding province
SUSPEND = {"kind": "expert_review", "reason": "组织专家评审"}


def _whole(actor, number, lean=False):
    return case_for_command(actor, number)


def _written(log):
    def statements(execute, sql, params, many, context):
        if sql.split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE", "WITH"):  # the writes
            log.append((sql, repr(params)))
        return execute(sql, params, many, context)

    return statements


def _comparable(content: bytes) -> bytes:
    # PostgreSQL's sequences do not roll back: a row written again gets another id.
    if connection.vendor == "postgresql":
        return re.sub(rb'"id":\d+', b'"id":0', content)
    return content


def _rows(log):
    if connection.vendor == "postgresql":  # the same, but for the ids the sequences gave
        return [(sql, re.sub(r"\b\d{2,}\b", "0", params)) for sql, params in log]
    return log


def _same_both_ways(monkeypatch, client, number, name, body):
    """The command with the lean read (as routed, no deferred column loaded), then — from the same
    state, rolled back to — with the whole case read."""
    loaded = []
    refresh = Model.refresh_from_db
    answers = []
    for whole in (False, True):
        before = transaction.savepoint()
        log: list = []
        with monkeypatch.context() as patched:
            patched.setattr(
                Model, "refresh_from_db", lambda self, *a, **k: loaded.append(k) or refresh(self, *a, **k)
            )
            if whole:
                patched.setattr(dispatch, "case_for_command", _whole)
            with connection.execute_wrapper(_written(log)):
                response = client.post(
                    f"/api/v1/cases/{number}/commands/{name}/", body, content_type="application/json"
                )
        transaction.savepoint_rollback(before)
        headers = [
            (k, v) for k, v in response.items() if k != "Content-Length" or connection.vendor != "postgresql"
        ]
        answers.append((response.status_code, _comparable(response.content), headers, _rows(log)))
        if not whole:
            assert loaded == [], (name, loaded)
    assert answers[0] == answers[1], name
    return answers[0][0]


def test_the_lean_read_reads_only_what_a_case_command_reads(w, people):
    case = make_case(entry_for(APPRAISER, w["hz"]), people["citizen"])
    with travel(ACCEPTED_ON):
        command(people["hz_clerk"], case.number, "accept")
    actor = actor_for(people["hz_reviewer"])
    lean, whole = case_for_command(actor, case.number, lean=True), case_for_command(actor, case.number)
    assert lean.current_organisation is not None and lean.entry.deciding_organisation is not None
    pairs = {
        "": (lean, whole),
        "entry__": (lean.entry, whole.entry),
        "entry__deciding_organisation__": (
            lean.entry.deciding_organisation,
            whole.entry.deciding_organisation,
        ),
        "version__": (lean.version, whole.version),
        "version__item__": (lean.version.item, whole.version.item),
        "accepting_organisation__": (lean.accepting_organisation, whole.accepting_organisation),
        "current_organisation__": (lean.current_organisation, whole.current_organisation),
    }
    deferred = {
        f"{path}{a._meta.get_field(name).name}"  # a link's column by its field's name
        for path, (a, _b) in pairs.items()
        for name in a.get_deferred_fields()
    }
    assert deferred == set(CASE_COMMAND_DEFERRED)
    # Only what a case command reads is read (the keys besides), and none of it is a JSON column.
    kept = {f"{path}{name}" for path, names in CASE_COMMAND_READ.items() for name in names}
    assert not any(isinstance(_field(name), JSONField) for name in kept)
    assert all(not b.get_deferred_fields() for _a, b in pairs.values())
    # Each column read is the same; a deferred one, read after all, is loaded with its value.
    for a, b in pairs.values():
        assert model_to_dict(a) == model_to_dict(b)


def _field(path: str):
    model = Application
    *relations, name = path.split("__")
    for relation in relations:
        model = model._meta.get_field(relation).related_model
    return model._meta.get_field(name)


def test_suspend_resume_and_extend_answer_and_write_the_same(w, people, monkeypatch):
    case = make_case(entry_for(APPRAISER, w["hz"]), people["citizen"])
    reviewer, decider = bearer_client(people["hz_reviewer"]), bearer_client(people["zj_decider"])
    with travel(ACCEPTED_ON):
        command(people["hz_clerk"], case.number, "accept")
        for name, body in (("suspend", SUSPEND), ("resume", {})):
            assert _same_both_ways(monkeypatch, reviewer, case.number, name, body) == 200
            reviewer.post(
                f"/api/v1/cases/{case.number}/commands/{name}/", body, content_type="application/json"
            )
        extend = {"reason": "情况复杂", "approved_by": "张局长"}
        assert (
            _same_both_ways(monkeypatch, reviewer, case.number, "extend", extend) == 409
        )  # not the decider's
        command(people["hz_reviewer"], case.number, "review", outcome="approve", opinion="报省厅")
        extend = {"reason": "情况复杂", "approved_by": "张厅长"}
        assert _same_both_ways(monkeypatch, decider, case.number, "extend", extend) == 200
        decider.post(f"/api/v1/cases/{case.number}/commands/extend/", extend, content_type="application/json")
        assert _same_both_ways(monkeypatch, decider, case.number, "extend", extend) == 409  # once only
        assert _same_both_ways(monkeypatch, decider, case.number, "suspend", SUSPEND) == 200
    assert Application.objects.get(pk=case.pk).status == "in_review"


def _instances(case):
    """Every instance of a lean read, by relation path: its values and its cached relations' names,
    in the order they were set."""
    found, todo = {}, [("", case)]
    while todo:
        path, instance = todo.pop(0)
        if instance is None:
            found[path] = None
            continue
        values = {k: v for k, v in vars(instance).items() if k != "_state"}
        cache = instance._state.fields_cache
        state = (instance._state.db, instance._state.adding)
        found[path] = (type(instance), values, list(cache), state, instance.get_deferred_fields())
        todo += [(f"{path}{name}__", related) for name, related in cache.items()]
    return found


@pytest.mark.skipif("connection.vendor != 'postgresql'")
def test_on_postgresql_the_relations_read_by_subqueries_are_the_joined_reads_instances(w, people):
    """PostgreSQL reads a case command's relations as scalar subqueries (``_CaseWithRelations``);
    the instances, their values, deferred fields and cached relations are the joined lean read's,
    with and without a current organisation, for a scoped actor and a superuser."""
    from sifa.workflow.selectors import _scope_shape, _scope_values, _scoped_case

    accepted = make_case(entry_for(APPRAISER, w["hz"]), people["citizen"])
    with travel(ACCEPTED_ON):
        command(people["hz_clerk"], accepted.number, "accept")
    submitted = make_case(entry_for(APPRAISER, w["hz"]), people["citizen"])
    Application.objects.filter(pk=submitted.pk).update(current_organisation=None)
    superuser = people["zj_decider"]
    superuser.is_superuser = True
    superuser.save(update_fields=["is_superuser"])
    for actor in (actor_for(people["hz_reviewer"]), actor_for(superuser)):
        shape, values = _scope_shape(actor), _scope_values(actor)
        for case in (accepted, submitted):
            (joined,) = _scoped_case(shape, True, False).rows(case.number, *values)
            (subqueries,) = _scoped_case(shape, True, True).rows(case.number, *values)
            assert _instances(subqueries) == _instances(joined)
            assert (subqueries.current_organisation is None) == (case is submitted)
            assert case_for_command(actor, case.number, lean=True).entry.deciding_organisation.name
