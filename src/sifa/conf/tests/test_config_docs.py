"""docs/configuration.md is generated from sifa.conf.env and must never go stale."""

from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from sifa.conf.env import BASE_DIR, DECLARED, Setting
from sifa.conf.management.commands.config_docs import DOC_PATH, render_configuration

pytestmark = pytest.mark.smoke


def test_committed_configuration_doc_is_current() -> None:
    committed = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.exists() else ""
    assert committed == render_configuration(DECLARED.values()), (
        "docs/configuration.md is stale: run `make docs` (SIFA_DEBUG=1 .venv/bin/sifa config_docs) and commit it"
    )


def test_every_declared_variable_is_documented_under_its_group() -> None:
    text = render_configuration(DECLARED.values())
    for setting in DECLARED.values():
        assert f"| `{setting.name}` | {setting.kind} |" in text
        assert f"## {setting.group}" in text


def test_each_group_is_one_section_with_a_readable_name() -> None:
    """A group name typed in another encoding (外部系统 read as Latin-1) made a second, garbled
    "Outside systems" section that a reader of the page would not find."""
    text = render_configuration(DECLARED.values())
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert len(headings) == len(set(headings)), headings
    for setting in DECLARED.values():
        assert not any("\u0080" <= ch <= "\u00ff" for ch in setting.group), (setting.name, setting.group)


def test_doc_is_machine_independent_and_hides_secret_defaults() -> None:
    settings = [
        Setting("X_DIR", "path", BASE_DIR / "var" / "files", "files", group="G"),
        Setting("X_KEY", "str", "s3cr3t-default", "a key", group="G", secret=True),
        Setting("X_FLAG", "bool", True, "a | pipe", group="G"),
    ]
    text = render_configuration(settings)
    assert str(BASE_DIR) not in text
    assert "`var/files`" in text
    assert "s3cr3t-default" not in text
    assert "| `1` | a \\| pipe |" in text


def test_check_fails_on_stale_file_and_passes_after_regeneration(tmp_path: Path) -> None:
    target = tmp_path / "configuration.md"
    target.write_text("# out of date\n", encoding="utf-8")
    with pytest.raises(CommandError, match="make docs") as excinfo:
        call_command("config_docs", "--check", "--output", str(target))
    assert excinfo.value.returncode == 1
    call_command("config_docs", "--output", str(target))
    call_command("config_docs", "--check", "--output", str(target))
    assert target.read_text(encoding="utf-8") == render_configuration(DECLARED.values())
