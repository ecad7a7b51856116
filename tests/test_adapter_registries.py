"""Every adapter family of Sifa is one ``sifa.core.registry.Registry``: once-only data sources,
SMS gateways, notification channels and signature algorithms (docs/architecture.md#adapters)."""

from __future__ import annotations

from pathlib import Path

from sifa.accounts.sms import gateways
from sifa.applications.onceonly import registry as onceonly
from sifa.core.registry import registries
from sifa.core.signing import ALGORITHMS
from sifa.notifications.channels import channels


def test_every_adapter_family_of_sifa_is_a_registry() -> None:
    """Once-only sources, SMS gateways, notification channels and signature algorithms."""
    listed = {r.family: r for r in registries()}
    assert listed["applications.onceonly"] is onceonly
    assert onceonly.names() == ["licence", "previous", "partner"]
    # The licences app fills the wallet slot at start-up.
    assert onceonly.get("licence").__class__.__module__ == "sifa.licences.onceonly"
    assert listed["sms.gateways"] is gateways and "local" in gateways
    assert listed["notifications.channels"] is channels
    assert channels.names() == ["in_app", "email", "sms"]
    assert listed["signing.algorithms"] is ALGORITHMS
    assert ALGORITHMS.names() == ["SM2-with-SM3", "Ed25519"]


def test_the_docs_name_every_family() -> None:
    text = (Path(__file__).resolve().parents[1] / "docs" / "architecture.md").read_text()
    section = text.split("## Adapters", 1)[1].split("\n## ", 1)[0]
    for registry in registries():
        if not registry.family.startswith("test."):
            assert f"`{registry.family}`" in section, registry.family
