"""The shared test world (``sifa.testing``) builds what it says, and stays out of the product."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from sifa.organisations.models import Membership, Organisation
from sifa.testing import PASSWORD, StaffFactory, tree

SRC = Path(__file__).resolve().parents[1] / "src" / "sifa"


def imports_testing(source: str) -> bool:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            continue
        if any(name == "sifa.testing" or name.startswith("sifa.testing.") for name in names):
            return True
    return False


def test_no_product_module_imports_the_test_world():
    product = [
        path
        for path in SRC.rglob("*.py")
        if not {"tests", "testing", "migrations"} & set(path.relative_to(SRC).parts)
    ]
    assert len(product) > 100
    offenders = [str(p.relative_to(SRC)) for p in product if imports_testing(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_import_check_sees_a_planted_import():
    assert imports_testing("from sifa.testing import tree\n")
    assert imports_testing("from sifa import testing\n")
    assert imports_testing("import sifa.testing.factories\n")
    assert not imports_testing("from sifa.organisations.models import Organisation\n")


@pytest.mark.django_db
def test_tree_builds_the_nodes_asked_for_with_their_ancestors_and_real_paths():
    orgs = tree("xh_town")
    assert set(orgs) == {"ministry", "zj", "hz", "xh", "xh_town"}
    town = orgs["xh_town"]
    assert town.path == f"{orgs['xh'].path}{town.pk}/" and town.region.code == "330106001000"
    assert [o.name for o in Organisation.objects.filter(path__startswith=orgs["zj"].path)] == [
        "浙江省司法厅", "杭州市司法局", "杭州市西湖区司法局", "北山街道司法所",
    ]  # fmt: skip
    grown = tree("sc", on=orgs)
    assert grown["sc"].parent == orgs["hz"] and Organisation.objects.count() == 6  # the five, and 上城区


@pytest.mark.django_db
def test_tree_keeps_literal_paths_and_given_values():
    orgs = tree("ministry", "zj", ministry={"path": "/1/"}, zj={"path": "/1/2/", "uscc": ""})
    assert (orgs["ministry"].path, orgs["zj"].path, orgs["zj"].uscc) == ("/1/", "/1/2/", "")


@pytest.mark.django_db
def test_staff_log_in_with_the_shared_password_and_hold_their_roles(client):
    hz = tree("hz")["hz"]
    user = StaffFactory(memberships=[(hz, "reviewer"), (hz, "window_clerk")], two_factor=True)
    assert user.check_password(PASSWORD) and user.scope_path == hz.path
    assert set(Membership.objects.filter(user=user).values_list("role", flat=True)) == {
        "reviewer",
        "window_clerk",
    }
    assert user.totpdevice_set.filter(confirmed=True).count() == 1


def _rows() -> list[tuple]:
    from sifa.organisations.models import Region

    return [
        *Region.objects.order_by("pk").values_list(),
        *Organisation.objects.order_by("pk").values_list(),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_kept_build_is_written_back_row_for_row():
    """``snapshot.once`` runs the build once; on the database as it found it, it writes the same
    rows back (ids, paths, timestamps) and hands out a fresh copy of the result; a new row gets
    an id after them. As between two transactional tests: the first flushes, the next builds."""
    from django.core.management import call_command

    from sifa.testing import snapshot

    builds = []

    def build():
        builds.append(1)
        return tree("zj", "hz")

    try:
        call_command("flush", verbosity=0, interactive=False)  # a state the next flush leaves
        first = snapshot.once("test-world", build)
        rows = _rows()
        call_command("flush", verbosity=0, interactive=False)
        second = snapshot.once("test-world", build)
        assert builds == [1]
        assert _rows() == rows
        assert second["hz"].pk == first["hz"].pk and second["hz"] is not first["hz"]
        assert tree("xh", on=second)["xh"].pk > max(o.pk for o in first.values())
        # another state (a row more): built again, not written back
        snapshot.once("test-world", build)
        assert builds == [1, 1]
    finally:
        snapshot.forget()
