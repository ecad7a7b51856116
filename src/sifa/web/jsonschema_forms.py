"""HTML form steps generated from a catalogue version's JSON Schema (draft 2020-12, ``x-ui`` hints).

The schema is the only definition of the form: the step pages, the check-your-answers page and
the correction page all read it, and the per-field messages come from the catalogue's own
validator (:func:`sifa.catalogue.forms.validate_data`), so the browser, the API and the
pre-review tell an applicant the same thing.

Steps: every top-level property of type ``object`` is one step (its ``title`` is the fieldset
legend); the other top-level fields are cut into steps of :data:`STEP_SIZE`, so a phone screen
never shows a wall of inputs (GOV.UK "one thing per page", relaxed to a few).

Order: PostgreSQL ``jsonb`` does not keep the order of object keys (it sorts them by length), so
the order of ``properties`` as stored cannot be trusted. Fields follow the schema's own
``x-ui.order`` list when it has one, then the order of ``required``, then the remaining names
alphabetically — the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, field
from typing import Any

from sifa.catalogue.forms import validate_data

STEP_SIZE = 4

_AUTOCOMPLETE = {"tel": "tel", "email": "email"}
_INPUT_MODE = {"id-number": "text", "tel": "tel", "number": "decimal", "integer": "numeric"}


@dataclass(frozen=True)
class Field:
    """One input: ``name`` is the dotted path in ``form_data`` (``group.sub`` inside a group)."""

    name: str
    title: str
    widget: str
    required: bool
    description: str = ""
    schema: dict[str, Any] = field(default_factory=dict, compare=False)
    choices: tuple[tuple[str, str], ...] = ()
    autocomplete: str = ""

    @property
    def html_id(self) -> str:
        return "f-" + self.name.replace(".", "-")

    @property
    def input_mode(self) -> str:
        return _INPUT_MODE.get(self.widget, "")

    @property
    def max_length(self) -> int | None:
        return self.schema.get("maxLength")


@dataclass(frozen=True)
class Step:
    number: int
    title: str
    fields: tuple[Field, ...]
    legend: str = ""


def _widget(prop: dict[str, Any]) -> str:
    hint = (prop.get("x-ui") or {}).get("widget")
    if hint in {"text", "textarea", "tel", "id-number", "select", "radio", "date", "email"}:
        return hint
    kind = prop.get("type")
    if kind == "boolean":
        return "boolean"
    if "enum" in prop:
        return "radio" if len(prop["enum"]) <= 4 else "select"
    if kind in ("integer", "number"):
        return kind
    if prop.get("format") in ("date", "email"):
        return prop["format"]
    if (prop.get("maxLength") or 0) > 200:
        return "textarea"
    return "text"


def _choices(prop: dict[str, Any], widget: str) -> tuple[tuple[str, str], ...]:
    if widget == "boolean":
        return (("true", "是"), ("false", "否"))
    values = prop.get("enum") or []
    labels = list((prop.get("x-ui") or {}).get("labels") or [])
    labels += [str(v) for v in values[len(labels) :]]
    return tuple((_encode(v), str(label)) for v, label in zip(values, labels, strict=False))


def _field(name: str, prop: dict[str, Any], required: bool) -> Field:
    widget = _widget(prop)
    ui = prop.get("x-ui") or {}
    return Field(
        name=name,
        title=str(prop.get("title") or name),
        widget=widget,
        required=required,
        description=str(prop.get("description") or ""),
        schema=prop,
        choices=_choices(prop, widget),
        autocomplete=str(ui.get("autocomplete") or _AUTOCOMPLETE.get(widget, "")),
    )


def ordered_names(schema: dict[str, Any]) -> list[str]:
    """Property names in a database-independent order (see the module docstring)."""
    properties = (schema or {}).get("properties") or {}
    explicit = list(((schema or {}).get("x-ui") or {}).get("order") or [])
    names: list[str] = []
    for name in [*explicit, *((schema or {}).get("required") or []), *sorted(properties)]:
        if name in properties and name not in names:
            names.append(name)
    return names


def steps_of(schema: dict[str, Any]) -> list[Step]:
    """The form's steps; an empty schema gives no steps (the item needs no form)."""
    properties = (schema or {}).get("properties") or {}
    required = set(schema.get("required") or [])
    form_title = str(schema.get("title") or "申请表")
    steps: list[Step] = []
    pending: list[Field] = []

    def flush() -> None:
        while pending:
            chunk, pending[:] = pending[:STEP_SIZE], pending[STEP_SIZE:]
            steps.append(Step(len(steps) + 1, form_title, tuple(chunk)))

    for name in ordered_names(schema):
        prop = properties[name]
        if not isinstance(prop, dict):
            continue
        if prop.get("type") == "object" and isinstance(prop.get("properties"), dict):
            flush()
            inner_required = set(prop.get("required") or [])
            fields = tuple(
                _field(f"{name}.{inner}", prop["properties"][inner], inner in inner_required)
                for inner in ordered_names(prop)
                if isinstance(prop["properties"][inner], dict)
            )
            title = str(prop.get("title") or form_title)
            steps.append(Step(len(steps) + 1, title, fields, legend=title))
        else:
            pending.append(_field(name, prop, name in required))
    flush()
    return steps


def all_fields(schema: dict[str, Any]) -> list[Field]:
    return [f for step in steps_of(schema) for f in step.fields]


def step_of_field(schema: dict[str, Any], name: str) -> int | None:
    """The step number that holds ``name`` (or its group), for links from error summaries."""
    for step in steps_of(schema):
        for f in step.fields:
            if name == f.name or name.startswith(f.name + ".") or f.name.startswith(name + "."):
                return step.number
    return None


# --- values -----------------------------------------------------------------------------------


def _encode(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def get_value(data: dict[str, Any], name: str) -> Any:
    node: Any = data
    for part in name.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def input_value(data: dict[str, Any], name: str) -> str:
    """The value as the HTML input shows it."""
    return _encode(get_value(data, name))


def display_value(f: Field, data: dict[str, Any]) -> str:
    """The value as the applicant reads it on check-your-answers (选项 by their labels)."""
    raw = input_value(data, f.name)
    if f.choices:
        return dict(f.choices).get(raw, raw)
    return raw


def _set(data: dict[str, Any], name: str, value: Any) -> None:
    parts = name.split(".")
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = node[part] = {}
        node = child
    if value is None:
        node.pop(parts[-1], None)
    else:
        node[parts[-1]] = value


def _convert(f: Field, raw: str) -> tuple[Any, str]:
    """Typed value of a posted string, or an error message."""
    kind = f.schema.get("type")
    if f.choices:
        for value in f.schema.get("enum") or [True, False]:
            if _encode(value) == raw:
                return value, ""
        return None, f"请从列表中选择{f.title}"
    if kind == "integer":
        try:
            return int(raw), ""
        except ValueError:
            return None, f"{f.title}应为整数"
    if kind == "number":
        try:
            number = decimal.Decimal(raw)
        except decimal.InvalidOperation:
            return None, f"{f.title}应为数字"
        if not number.is_finite():
            return None, f"{f.title}应为数字"
        return (int(number) if number == number.to_integral_value() else float(number)), ""
    return raw, ""


def read_fields(
    fields: list[Field] | tuple[Field, ...], posted: Any, data: dict[str, Any], schema: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, str]]:
    """Merge the posted ``fields`` into a copy of ``data``; errors (field name → message) cover
    only these fields. An empty input removes the value, so "required" speaks, not "too short"."""
    merged = _deep_copy(data)
    errors: dict[str, str] = {}
    for f in fields:
        raw = str(posted.get(f.name, "")).strip()
        if f.widget == "id-number":
            raw = raw.upper()
        if raw == "":
            _set(merged, f.name, None)
            continue
        value, message = _convert(f, raw)
        if message:
            errors[f.name] = message
            _set(merged, f.name, raw)
        else:
            _set(merged, f.name, value)
    names = {f.name for f in fields}
    for error in validate_data(schema or {"type": "object"}, merged):
        if error["field"] in names and error["field"] not in errors:
            errors[error["field"]] = error["message"]
    return merged, errors


def _deep_copy(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _deep_copy(v) if isinstance(v, dict) else v for k, v in (data or {}).items()}
