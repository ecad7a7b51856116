"""The one naming rule for what an audit event is about (``app_label.ModelName`` + public id).

Two guards: ``record()`` refuses an unregistered type at run time, and an AST walk over ``src``
fails on any call site that could drift — loose ``object_type=``/``object_id=`` arguments to
``record``, a model named by a string instead of passed as the object, or an unregistered type
anywhere. Each rule has a planted violation that must make the walk fail.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.apps import apps

from sifa.accounts.models import User
from sifa.audit import services
from sifa.audit.labels import data_type_label
from sifa.audit.subjects import OBJECT_TYPES, AuditSubject, subject_of

SRC = Path(__file__).resolve().parents[2]  # src/sifa
DOCS = SRC.parents[1] / "docs" / "audit.md"
LABEL_SHAPE = re.compile(r"^[a-z_]+\.[A-Z][A-Za-z]+$")


def _callee(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def violations(source: str, where: str = "<planted>") -> list[str]:
    """What breaks the naming rule in one module's source."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name, line = _callee(node), f"{where}:{node.lineno}"
        keywords = {kw.arg: kw.value for kw in node.keywords if kw.arg}
        if name == "record" and {"object_type", "object_id"} & keywords.keys():
            found.append(f"{line}: record() takes subject=…, not object_type=/object_id=")
        if name == "AuditSubject":
            label = node.args[0] if node.args else keywords.get("object_type")
            if not (isinstance(label, ast.Constant) and isinstance(label.value, str)):
                found.append(f"{line}: AuditSubject needs a literal type")
            elif label.value not in OBJECT_TYPES:
                found.append(f"{line}: {label.value!r} is not registered in sifa.audit.subjects")
            elif not OBJECT_TYPES[label.value].pseudo:
                found.append(f"{line}: {label.value!r} is a model: pass the instance, not a string")
        value = keywords.get("object_type")
        if (
            isinstance(value, ast.Constant)
            and isinstance(value.value, str)
            and value.value not in {*OBJECT_TYPES, ""}  # "": about no object
        ):
            found.append(f"{line}: object_type {value.value!r} is not registered in sifa.audit.subjects")
        if name == "record_access" and not isinstance(value, ast.Constant):
            found.append(f"{line}: record_access needs a literal, registered object_type")
    return found


RULE_ITSELF = SRC / "audit" / "subjects.py"  # builds AuditSubject from the table, by design


def source_files() -> list[Path]:
    return [
        path
        for path in sorted(SRC.rglob("*.py"))
        # test helpers may name ids freely; migrations keep the names of their day
        if not {"migrations", "tests", "testing"} & set(path.parts) and path != RULE_ITSELF
    ]


def test_every_audit_call_site_follows_the_rule():
    found = [v for path in source_files() for v in violations(path.read_text(), str(path.relative_to(SRC)))]
    assert not found, "\n".join(found)


def test_the_walk_sees_the_call_sites():
    """The walk is not vacuous: it meets the record() and record_access() calls of the apps."""
    calls = [
        _callee(node)
        for path in source_files()
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and _callee(node) in ("record", "record_access", "AuditSubject")
    ]
    assert (
        calls.count("record_access") >= 3 and calls.count("AuditSubject") >= 2 and calls.count("record") >= 30
    )


@pytest.mark.parametrize(
    ("planted", "complaint"),
    [
        ('record("x.y", object_type="licences.Licence", object_id=licence.identifier)', "subject=…"),
        ('audit.record("x.y", object_id="1")', "subject=…"),
        ('record("x.y", subject=AuditSubject("seal_certificate", serial))', "not registered"),
        ('record("x.y", subject=AuditSubject("applications.Application", number))', "pass the instance"),
        ('record("x.y", subject=AuditSubject(kind, number))', "literal type"),
        (
            'record_access(reader=r, subject=s, subject_ref="1", object_type="Person", purpose="p")',
            "not registered",
        ),
        ('record_access(reader=r, subject=s, subject_ref="1", object_type=kind, purpose="p")', "literal"),
        ('AuditEvent.objects.create(action="x", object_type="ClockState")', "not registered"),
    ],
)
def test_a_planted_violation_fails_the_walk(planted, complaint):
    found = violations(planted)
    assert found and complaint in found[0]


def test_the_planted_rules_accept_the_right_forms():
    assert not violations(
        'record("x.y", subject=licence)\n'
        'record("x.y", subject=AuditSubject("documents.SealCertificate", serial))\n'
        'record_access(reader=r, subject=s, subject_ref="1", object_type="accounts.NaturalPerson", purpose="p")\n'
    )


def test_the_table_names_models_by_label_and_pseudo_types_apart():
    for label, entry in OBJECT_TYPES.items():
        assert LABEL_SHAPE.match(label), label
        app_label = label.split(".")[0]
        assert apps.is_installed(f"sifa.{app_label}"), label
        try:
            model = apps.get_model(label)
        except LookupError:
            model = None
        if entry.pseudo:
            assert model is None and entry.name, (
                f"{label}: a pseudo-type must not shadow a model and needs a name"
            )
        else:
            assert model is not None and model._meta.label == label, label


def test_docs_list_every_object_type():
    text = DOCS.read_text(encoding="utf-8")
    missing = [label for label in OBJECT_TYPES if f"`{label}`" not in text]
    assert not missing, f"docs/audit.md does not list {missing}"


@pytest.mark.django_db
def test_record_names_an_instance_by_its_public_id_and_refuses_strays():
    user = User.objects.create_user(username="naming-rule", kind="citizen")
    event = services.record("auth.login", subject=user)
    assert (event.object_type, event.object_id) == ("accounts.User", str(user.public_id))
    assert subject_of(User) == ("accounts.User", "")  # a batch, or an unknown account: no id
    assert subject_of(None) == ("", "")
    with pytest.raises(ValueError, match="not registered"):
        services.record("x.y", subject=AuditSubject("seal_certificate", "1a"))
    with pytest.raises(TypeError):
        services.record("x.y", object_type="accounts.User", object_id="1")
    with pytest.raises(ValueError, match="not registered"):
        services.record_access(
            reader=user, subject=user, subject_ref="1", object_type="Person", purpose="核验", scope_path="/1/"
        )


def test_types_have_chinese_names_for_the_views():
    assert data_type_label("documents.SealCertificate") == "电子印章证书"
    assert data_type_label("accounts.NaturalPerson") == "自然人"
    assert data_type_label("applications.Application") == str(
        apps.get_model("applications.Application")._meta.verbose_name
    )
    assert data_type_label("unknown") == "unknown"
