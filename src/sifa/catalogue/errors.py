"""Catalogue error codes (stable; API clients switch on them)."""

from __future__ import annotations

from sifa.core.errors import Conflict, ServiceError


def version_immutable() -> Conflict:
    return Conflict("catalogue.version_immutable", "已发布的事项版本不可修改，请新建草稿版本后修改并重新发布")


def quality_gate(errors: list[dict[str, str]]) -> ServiceError:
    return ServiceError(
        "catalogue.quality_gate", f"事项版本未通过发布前质量检查，共{len(errors)}个问题", errors=errors
    )
