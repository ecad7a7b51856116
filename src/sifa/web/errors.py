"""The error summary at the top of a page (GOV.UK pattern), shared by the portal and the workbench."""

from __future__ import annotations


def error_list(errors: dict[str, str], anchors: dict[str, str] | None = None) -> list[dict[str, str]]:
    """Each message links to its field: ``#f-<name>`` unless ``anchors`` names another target."""
    anchors = anchors or {}
    return [
        {"href": anchors.get(name, "#f-" + name.replace(".", "-")), "message": m}
        for name, m in errors.items()
    ]
