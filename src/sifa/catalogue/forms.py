"""Server-side validation of application form data against a version's JSON Schema (draft 2020-12).

Messages are Chinese and per field: the schema's own ``title`` names the field, and each keyword
that can fail has a sentence here, so an applicant never sees jsonschema's English.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from sifa.catalogue.models import ItemVersion
from sifa.core.requesttext import NAME_CONTROL_CODE, invisible_character, name_control_message

_MESSAGES = {
    "required": "请填写{title}",
    "type": "{title}的格式不正确",
    "minLength": "{title}内容过短",
    "maxLength": "{title}内容过长",
    "pattern": "{title}的格式不正确",
    "enum": "{title}不是有效的选项",
    "const": "{title}不是有效的选项",
    "minimum": "{title}数值过小",
    "maximum": "{title}数值过大",
    "format": "{title}的格式不正确",
    "additionalProperties": "表单包含未定义的字段",
    "minItems": "{title}至少需要选择或填写一项",
    "maxItems": "{title}选择或填写的项目过多",
}


def check_schema(schema: dict[str, Any]) -> list[dict[str, str]]:
    """Problems with a schema itself (used when a draft's form is edited)."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [
            {
                "field": "form",
                "code": "catalogue.form.invalid_schema",
                "message": f"表单定义不是有效的JSON Schema：{exc.message}",
            }
        ]
    return []


def _title(schema: dict[str, Any], path: list[str]) -> str:
    node = schema
    for part in path:
        node = (
            (node.get("properties") or {}).get(part) or (node.get("items") if part.isdigit() else None) or {}
        )
    return node.get("title") or (path[-1] if path else "表单")


def field_title(schema: dict[str, Any], name: str) -> str:
    """The title a form shows for field ``name`` (``address.city`` → 所在城市), or ``""`` when
    ``name`` is not a field of the form (:func:`has_field`)."""
    if not has_field(schema, name):
        return ""
    return _title(schema or {}, str(name).split("."))


def validate_data(schema: dict[str, Any], data: Any) -> list[dict[str, str]]:
    errors: list[dict[str, str]] = []
    reported: set[str] = set()
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    for error in sorted(validator.iter_errors(data), key=lambda e: [str(p) for p in e.absolute_path]):
        path = [str(p) for p in error.absolute_path]
        template = _MESSAGES.get(str(error.validator), "{title}填写有误")
        code = f"form.{error.validator}"
        if error.validator == "required" and isinstance(error.instance, dict):
            # One message per missing field, however jsonschema groups its ``required`` errors.
            for name in error.validator_value:
                if name not in error.instance and ".".join([*path, name]) not in reported:
                    reported.add(".".join([*path, name]))
                    title = _title(schema, [*path, name])
                    errors.append(
                        {
                            "field": ".".join([*path, name]),
                            "code": code,
                            "message": template.format(title=title),
                        }
                    )
            continue
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            known = set((error.schema or {}).get("properties", {}))
            for name in sorted(set(error.instance) - known):
                errors.append({"field": ".".join([*path, name]), "code": code, "message": template})
            continue
        errors.append(
            {"field": ".".join(path), "code": code, "message": template.format(title=_title(schema, path))}
        )
    return errors + _name_findings(schema, data, [])


def is_name_field(key: str) -> bool:
    """Fields that name a person or an organisation (``applicant_name``, ``law_firm_name``,
    ``legal_representative`` …): free of bidi and other invisible control characters."""
    return key == "name" or key.endswith("_name") or key.endswith("representative")


def _name_findings(schema: dict[str, Any], data: Any, path: list[str]) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    items = data.items() if isinstance(data, dict) else enumerate(data) if isinstance(data, list) else ()
    for key, value in items:
        here = [*path, str(key)]
        if isinstance(value, dict | list):
            found += _name_findings(schema, value, here)
        elif isinstance(value, str) and isinstance(key, str) and is_name_field(key):
            character = invisible_character(value)
            if character:
                message = name_control_message(_title(schema, here), character)
                found.append({"field": ".".join(here), "code": NAME_CONTROL_CODE, "message": message})
    return found


def has_field(schema: dict[str, Any], name: str) -> bool:
    """Whether ``name`` is a field of the form: a property, or a dotted path into an object's
    properties (``address.city``) or an array's items (``members.0.name``), as the findings and
    the correction items name them."""
    node: Any = schema or {}
    parts = str(name or "").split(".")
    if not all(parts):
        return False
    for part in parts:
        if not isinstance(node, dict):
            return False
        properties = node.get("properties")
        if isinstance(properties, dict) and isinstance(properties.get(part), dict):
            node = properties[part]
        elif part.isdigit() and isinstance(node.get("items"), dict):
            node = node["items"]
        else:
            return False
    return True


def validate_form(version: ItemVersion, data: Any) -> list[dict[str, str]]:
    """Validate ``data`` against ``version``'s form; an empty list means it is acceptable."""
    form = getattr(version, "form", None)
    schema = form.schema if form is not None else {}
    return validate_data(schema or {"type": "object"}, data)
