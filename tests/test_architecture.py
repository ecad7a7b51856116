"""Sifa's house rules, read from the code itself (docs/architecture.md, "Apps built so far" and
"Where writes happen").

Two rules, each a plain function over one module's source that returns its violations, so a test
can plant a violation and see it reported:

* :func:`import_violations` — an import that runs up the layering. The layering is the data in
  :data:`LAYERS` (app → the apps it may import); ``test_the_docs_table_is_the_layering`` makes the
  "imports" column of docs/architecture.md say exactly the same. Every import counts: module level,
  inside functions, and the dotted strings handed to ``import_module``/``import_string``/``include``.
  Product code never imports test support (``sifa.testing``, any ``tests`` package, a conftest).
* :func:`write_violations` — an ORM write outside a ``services`` package, migrations, tests and the
  short, named :data:`INFRASTRUCTURE_WRITERS`. Management commands are not exempt: they call services.

What counts as an ORM write (the heuristics, chosen so that ``dict.update``, ``hashlib``'s
``.update``, ``default_storage.save(name, content)`` and Pillow's ``image.save(fp, "PNG")`` are not
writes):

* ``bulk_create``, ``bulk_update``, ``get_or_create``, ``update_or_create``: always (only the ORM
  has these names);
* ``.save()`` and ``.delete()`` with no positional argument (a model instance or a queryset;
  ``save(update_fields=…)`` included) — storages and images take a name or a file first;
* ``.create(…)`` with keyword arguments only (a manager or a related manager);
* ``.update(…)`` and ``.delete(…)`` on a queryset: the receiver's chain passes through a manager
  (``.objects``, ``._default_manager``, ``._base_manager``) or ends in a queryset method
  (``filter``, ``exclude``, ``all``, ``select_for_update``, …) or ``scoped(…)``;
* ``.update(…)`` and ``.delete()`` on a name the module bound to such a queryset
  (``rows = WorkItem.objects.filter(…)`` … ``rows.update(…)``);
* ``cursor.execute("INSERT …" / "UPDATE …" / "DELETE …")``: raw SQL that writes rows;
* a call on ``super()`` (a model's own ``save``/``delete`` override calling its parent) is the
  model's invariant, not a write path.

Not seen: many-to-many ``add``/``remove``/``set``/``clear`` (the names of every Python set; Sifa
has no many-to-many fields today) and writes through a queryset passed in from elsewhere.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = SRC / "sifa"

DOMAIN = {
    "core",
    "organisations",
    "audit",
    "accounts",
    "notifications",
    "catalogue",
    "deadlines",
    "documents",
    "applications",
    "mediation",
    "licences",
    "workflow",
}
"""The apps that hold Sifa's records and their commands; the pages and the API sit above them."""

BASE = {"core", "organisations", "audit"}
BELOW_APPLICATIONS = BASE | {"accounts", "notifications", "catalogue", "deadlines", "documents"}

LAYERS: dict[str, set[str]] = {
    "core": set(),
    "organisations": {"core"},
    "audit": {"core", "organisations"},
    "accounts": BASE,
    "notifications": BASE | {"accounts"},
    "laws": {"core", "audit"},
    "catalogue": BASE | {"laws"},
    "deadlines": BASE,
    "documents": BASE,
    "applications": BELOW_APPLICATIONS | {"exchange"},
    "mediation": BELOW_APPLICATIONS | {"applications"},
    "licences": (BELOW_APPLICATIONS - {"deadlines"}) | {"applications", "exchange"},
    "workflow": (DOMAIN - {"workflow"}) | {"laws", "exchange"},
    "directory": {"core", "organisations", "mediation", "licences"},
    "consultation": BELOW_APPLICATIONS | {"laws", "applications"},
    "evaluation": BELOW_APPLICATIONS | {"applications", "consultation"},
    "complaints": BELOW_APPLICATIONS | {"applications"},
    "inspections": BELOW_APPLICATIONS | {"applications"},
    "exchange": BASE | {"accounts", "notifications"},
    "security": BASE | {"accounts", "notifications", "exchange"},
    "indicators": BELOW_APPLICATIONS
    | {"applications", "workflow", "consultation", "evaluation", "complaints", "inspections"},
    "disclosure": BELOW_APPLICATIONS | {"applications", "evaluation", "complaints", "indicators"},
    "privacy": DOMAIN | {"consultation", "evaluation", "complaints"},
    "web": {"core", "organisations", "accounts", "catalogue", "applications"},
    "portal": DOMAIN | {"web", "laws", "consultation", "evaluation", "complaints", "indicators", "privacy"},
    "workbench": DOMAIN
    | {
        "web",
        "laws",
        "consultation",
        "evaluation",
        "complaints",
        "disclosure",
        "inspections",
        "indicators",
        "exchange",
        "security",
    },
    "demo": DOMAIN | {"consultation", "evaluation", "complaints", "disclosure", "inspections", "indicators"},
    "api": DOMAIN
    | {
        "laws",
        "directory",
        "consultation",
        "evaluation",
        "complaints",
        "inspections",
        "indicators",
        "exchange",
        "privacy",
        "security",
    },
    "conf": DOMAIN
    | {
        "laws",
        "directory",
        "consultation",
        "evaluation",
        "complaints",
        "disclosure",
        "inspections",
        "indicators",
        "exchange",
        "security",
        "privacy",
        "web",
        "portal",
        "workbench",
        "demo",
        "api",
    },
}
"""Which apps each app may import (its own modules always). Read bottom-up: an app imports only
the apps below it; ``conf``, ``api`` and ``demo`` are imported by nobody."""

ROOT_MODULES = {"sifa", "sifa.__main__"}
"""The package itself and the console script: they import nothing of sifa (Django loads the
settings by name)."""

EXCEPTIONS: dict[tuple[str, str], str] = {
    ("sifa.organisations.services", "sifa.audit.services"): (
        "the audit trail records every command, the organisation tree's too; audit reads the tree "
        "(scope, memberships) but never its services, so the two modules form no cycle"
    ),
}
"""Module-level edges allowed against the layering (importer prefix, imported prefix) → why."""

TEST_SUPPORT = re.compile(r"^sifa\.testing(\.|$)|\.tests(\.|$)|(^|\.)conftest$")

INFRASTRUCTURE_WRITERS: dict[str, str] = {
    "sifa.accounts.authentication": "stamps ApiToken.last_used_at while authenticating a request",
    "sifa.accounts.models": "UserManager.create_user, Django's manager contract (createsuperuser)",
    "sifa.exchange.simulator.store": "the partner simulators' own SQLite file, never Sifa's database",
    "sifa.core.limits.stores": "counters of rate limits, throttles and the login back-off (bookkeeping)",
    "sifa.core.pagecache.stores": "the public page cache's entries and generations (derived copies of public answers)",
}
"""Modules outside ``services`` that may write, each for one infrastructure reason."""

WRITE_ALWAYS = {"bulk_create", "bulk_update", "get_or_create", "update_or_create"}
MANAGERS = {"objects", "_default_manager", "_base_manager"}
QUERYSET_METHODS = {
    "all",
    "filter",
    "exclude",
    "select_for_update",
    "select_related",
    "prefetch_related",
    "only",
    "defer",
    "order_by",
    "using",
    "scoped",
}
IMPORTERS = {"import_module", "import_string", "include", "__import__"}


@dataclass(frozen=True)
class Violation:
    module: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.message}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def app_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and module not in ROOT_MODULES else None


def is_exempt(module: str) -> bool:
    """Test code and migrations are outside both rules."""
    return bool(TEST_SUPPORT.search(module)) or ".migrations." in f"{module}."


def imported_modules(tree: ast.AST, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """Every ``sifa.…`` module a source imports, wherever the import stands, with its line."""
    found: list[tuple[int, str]] = []
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = package[: len(package) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            found.append((node.lineno, target))
            found += [(node.lineno, f"{target}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if name in IMPORTERS and isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value))
    return [(line, target) for line, target in found if target == "sifa" or target.startswith("sifa.")]


def import_violations(module: str, source: str, is_package: bool = False) -> list[Violation]:
    """Imports in ``module`` that run up :data:`LAYERS`, or from product code into test code."""
    if is_exempt(module):
        return []
    app = app_of(module)
    if app is not None and app not in LAYERS:
        return [Violation(module, 1, f"app {app!r} is not in the layering table")]
    allowed = LAYERS.get(app, set()) if app else set()
    out: list[Violation] = []
    seen: set[tuple[int, str]] = set()
    for line, target in imported_modules(ast.parse(source), module, is_package):
        if TEST_SUPPORT.search(target):
            message, key = f"imports test support {target}", "tests"
        else:
            other = app_of(target)
            if other is None or other == app or other in allowed:
                continue
            if any(
                f"{module}.".startswith(f"{a}.") and f"{target}.".startswith(f"{b}.") for a, b in EXCEPTIONS
            ):
                continue
            message, key = f"{app or module} may not import {other} ({target})", other
        if (line, key) not in seen:  # `from a import b` names both a and a.b
            seen.add((line, key))
            out.append(Violation(module, line, message))
    return out


def _chain(node: ast.expr) -> list[ast.expr]:
    """The receiver chain of a call, outermost first: ``A.objects.filter(x).update`` →
    [filter-call, objects-attribute, A]."""
    chain = []
    while True:
        chain.append(node)
        if isinstance(node, ast.Attribute):
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        else:
            return chain


def _is_queryset(receiver: ast.expr) -> bool:
    for node in _chain(receiver):
        if isinstance(node, ast.Attribute) and node.attr in MANAGERS:
            return True
    if isinstance(receiver, ast.Call):
        func = receiver.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        return name in QUERYSET_METHODS
    return False


RAW_WRITE = re.compile(r"^\s*(insert|update|delete|truncate)\b", re.IGNORECASE)


def queryset_names(tree: ast.AST) -> set[str]:
    """Names the module binds to a queryset (``rows = Model.objects.filter(…)``), in any scope."""
    return {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and _is_queryset(node.value)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def orm_write(call: ast.Call, querysets: frozenset[str] | set[str] = frozenset()) -> str | None:
    """The ORM method a call writes with, or None (see the module docstring for the heuristics)."""
    if not isinstance(call.func, ast.Attribute):
        return None
    name, receiver = call.func.attr, call.func.value
    first = call.args[0] if call.args else None
    if name == "execute" and isinstance(first, ast.Constant) and isinstance(first.value, str):
        return "execute" if RAW_WRITE.match(first.value) else None
    if isinstance(receiver, ast.Call) and getattr(receiver.func, "id", "") == "super":
        return None
    positional = bool(call.args)
    if name in WRITE_ALWAYS:
        return name
    if name in ("save", "delete") and not positional:
        return name
    if name == "create" and not positional and call.keywords:
        return name
    if name in ("update", "delete") and (
        _is_queryset(receiver) or (isinstance(receiver, ast.Name) and receiver.id in querysets)
    ):
        return name
    return None


def may_write(module: str) -> bool:
    parts = module.split(".")
    return is_exempt(module) or "services" in parts or module in INFRASTRUCTURE_WRITERS


def write_violations(module: str, source: str) -> list[Violation]:
    """ORM writes in ``module`` when it is not a place writes may happen."""
    if may_write(module):
        return []
    tree = ast.parse(source)
    querysets = queryset_names(tree)
    return [
        Violation(module, node.lineno, f"ORM write .{method}() outside services")
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and (method := orm_write(node, querysets))
    ]


def product_modules() -> list[tuple[str, str, bool]]:
    """Every module of src/sifa: its name, its source, and whether it is a package."""
    return [
        (module_name(path), path.read_text(), path.name == "__init__.py")
        for path in sorted(PACKAGE.rglob("*.py"))
    ]


# --- the rules hold for Sifa -------------------------------------------------------------------


def test_no_import_runs_up_the_layering() -> None:
    violations = [
        v for m, source, package in product_modules() for v in import_violations(m, source, package)
    ]
    assert not violations, "\n".join(map(str, violations))


def test_every_write_happens_in_a_services_package() -> None:
    violations = [v for m, source, _package in product_modules() for v in write_violations(m, source)]
    assert not violations, "\n".join(map(str, violations))


def test_every_app_is_in_the_layering() -> None:
    apps = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} - {"testing"}
    assert apps == set(LAYERS), "add the app to LAYERS and to the docs table"


def test_the_docs_table_is_the_layering() -> None:
    """The "imports" column of docs/architecture.md lists exactly :data:`LAYERS`."""
    assert docs_layering() == LAYERS


def test_the_docs_name_every_place_that_writes() -> None:
    """ "Where writes happen" has a bullet per services package naming each of its modules, and a
    bullet per infrastructure writer."""
    section = docs_section("## Where writes happen")
    bullets = {}
    for bullet in section.split("\n- ")[1:]:
        head, _, rest = bullet.partition(" — ")
        bullets[head.strip("`")] = set(re.findall(r"`([a-z_.]+)`", rest))
    for path in sorted(PACKAGE.glob("*/services/*.py")):
        module = module_name(path)
        if path.name == "__init__.py" or is_exempt(module):
            continue
        package, _, name = module.removeprefix("sifa.").rpartition(".")
        assert name in bullets.get(package, set()), f"{module}: name it under `{package}`"
    for module in INFRASTRUCTURE_WRITERS:
        assert module.removeprefix("sifa.") in bullets, module
    assert "tests/test_architecture.py" in section


def docs_section(heading: str) -> str:
    text = (ROOT / "docs" / "architecture.md").read_text()
    return text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]


def docs_layering() -> dict[str, set[str]]:
    """The table's rows: first cell `` `app` ``, last cell a list of `` `app` `` names (or
    ``everything``) before any prose."""
    layering = {}
    for row in docs_section("## Apps built so far").splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"`[a-z]+`", cells[0]):
            continue
        listed = re.match(r"^((?:`[a-z]+`|nothing of sifa)(?:, `[a-z]+`)*)", cells[2])
        assert listed, f"{cells[0]}: the imports cell starts with the list of apps"
        layering[cells[0].strip("`")] = set(re.findall(r"`([a-z]+)`", listed.group(1)))
    return layering


# --- each rule catches a planted violation ------------------------------------------------------


def test_an_upward_import_is_reported() -> None:
    planted = "from sifa.workflow.services import start\n"
    assert import_violations("sifa.applications.planted", planted)
    assert not import_violations("sifa.workflow.planted", "from sifa.applications import services\n")


def test_an_import_inside_a_function_is_reported() -> None:
    planted = "def f():\n    from sifa.portal.citizen import common\n    return common\n"
    [violation] = import_violations("sifa.workbench.views.planted", planted)
    assert violation.line == 2 and "portal" in violation.message


def test_an_import_by_name_is_reported() -> None:
    planted = 'import importlib\nmod = importlib.import_module("sifa.licences.services")\n'
    assert import_violations("sifa.catalogue.planted", planted)
    planted = 'from django.urls import include\nx = include("sifa.api.urls")\n'
    assert import_violations("sifa.portal.planted", planted)


def test_a_relative_import_is_resolved() -> None:
    planted = "from ...workflow import services\n"
    assert import_violations("sifa.mediation.services.planted", planted)
    assert import_violations("sifa.mediation.services", "from ...workflow import x\n", is_package=True)
    assert not import_violations("sifa.mediation.services", "from . import cases\n", is_package=True)


def test_product_code_may_not_import_test_support() -> None:
    assert import_violations("sifa.applications.planted", "from sifa.testing import world\n")
    assert import_violations("sifa.portal.planted", "from sifa.applications.tests.conftest import x\n")
    assert not import_violations("sifa.portal.tests.test_x", "from sifa.testing import world\n")


def test_an_app_outside_the_table_is_reported() -> None:
    assert import_violations("sifa.unlisted.module", "import os\n")


def test_the_exception_is_narrow() -> None:
    assert not import_violations(
        "sifa.organisations.services.tree", "from sifa.audit.services import record\n"
    )
    assert import_violations("sifa.organisations.scope", "from sifa.audit.services import record\n")
    assert import_violations("sifa.organisations.services.tree", "from sifa.audit.selectors import x\n")


def test_a_planted_upward_import_in_a_real_module_is_reported() -> None:
    """A real module, copied with one line more, fails the rule (the checker reads it as it is)."""
    path = PACKAGE / "core" / "errors.py"
    source = path.read_text()
    assert not import_violations(module_name(path), source)
    assert import_violations(module_name(path), source + "\nfrom sifa.conf import env\n")


def test_orm_writes_outside_services_are_reported() -> None:
    planted = {
        "Application.objects.create(number='1')": "create",
        "app.save()": "save",
        "app.save(update_fields=['status'])": "save",
        "row.delete()": "delete",
        "Application.objects.filter(pk=1).update(status='x')": "update",
        "scoped(Application.objects.all(), actor).delete()": "delete",
        "app.materials.create(name='x')": "create",
        "Application.objects.bulk_create(rows)": "bulk_create",
        "Region.objects.get_or_create(code='1')": "get_or_create",
        "Region.objects.update_or_create(code='1', defaults={})": "update_or_create",
        "Application.objects.select_for_update().filter(pk=1).update(x=1)": "update",
    }
    for line, method in planted.items():
        [violation] = write_violations("sifa.portal.citizen.planted", line + "\n")
        assert f".{method}()" in violation.message, line
    [violation] = write_violations("sifa.portal.planted", "rows = X.objects.filter(a=1)\nrows.update(b=2)\n")
    assert violation.line == 2
    [violation] = write_violations("sifa.portal.planted", 'cursor.execute("UPDATE t SET a = 1")\n')
    assert ".execute()" in violation.message
    command = "sifa.workflow.management.commands.planted"
    assert write_violations(command, "WorkItem.objects.filter(x=1).delete()\n")


def test_what_is_not_an_orm_write_is_not_reported() -> None:
    for line in (
        "context.update(form=form)",
        "digest.update(chunk)",
        "default_storage.save(key, ContentFile(b''))",
        "image.save(writer, 'PNG')",
        "super().save(*args, **kwargs)",
        "registry.create(name)",
        "cache.delete(key)",
        "rows = {}\nrows.update(a=1)",
        'cursor.execute("SELECT pg_advisory_xact_lock(%s)", [1])',
    ):
        assert not write_violations("sifa.portal.citizen.planted", line + "\n"), line


def test_writes_are_allowed_in_services_migrations_tests_and_named_infrastructure() -> None:
    write = "Application.objects.filter(pk=1).update(status='x')\n"
    for module in (
        "sifa.applications.services.drafts",
        "sifa.applications.migrations.0001_initial",
        "sifa.applications.tests.test_x",
        "sifa.testing.world",
        "sifa.accounts.authentication",
    ):
        assert not write_violations(module, write), module
    assert write_violations("sifa.accounts.selectors", write)


def test_a_planted_write_in_a_real_module_is_reported() -> None:
    path = PACKAGE / "workbench" / "views" / "window.py"
    source = path.read_text()
    assert not write_violations(module_name(path), source)
    planted = source + "\n\ndef planted(app):\n    app.save(update_fields=['status'])\n"
    [violation] = write_violations(module_name(path), planted)
    assert violation.line == len(source.splitlines()) + 4
