"""A small JSON Schema checker for the subset `export.schema.json` uses.

The `jsonschema` package is not among the project's dependencies; the export's schema keeps to
a handful of keywords, checked here. A keyword outside the subset is an error of the schema
(never silently ignored), so the schema cannot promise more than is checked.
"""

from __future__ import annotations

import datetime
from typing import Any

ANNOTATIONS = frozenset({"$schema", "$id", "$defs", "title", "description"})
CHECKED = frozenset(
    {
        "$ref",
        "type",
        "const",
        "enum",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "minimum",
        "format",
    }
)
FORMATS = frozenset({"date-time", "date"})
TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "null": (type(None),),
}


def _is(value: Any, name: str) -> bool:
    if name in ("integer", "number") and isinstance(value, bool):
        return False
    return isinstance(value, TYPES[name])


def errors(document: Any, schema: dict[str, Any]) -> list[str]:
    """Every place where `document` does not follow `schema`, as `path: problem`."""
    found: list[str] = []
    _check(document, schema, schema, "$", found)
    return found


def _check(
    value: Any, rule: dict[str, Any], root: dict[str, Any], path: str, out: list[str]
) -> None:
    unknown = set(rule) - ANNOTATIONS - CHECKED
    if unknown:
        raise ValueError(f"{path}: schema keywords not supported: {sorted(unknown)}")
    if "format" in rule and rule["format"] not in FORMATS:
        raise ValueError(f"{path}: format not supported: {rule['format']}")
    if "$ref" in rule:
        reference = str(rule["$ref"])
        if not reference.startswith("#/$defs/"):
            raise ValueError(f"{path}: only local references (#/$defs/...)")
        _check(value, root["$defs"][reference.removeprefix("#/$defs/")], root, path, out)
    if "type" in rule:
        names = rule["type"] if isinstance(rule["type"], list) else [rule["type"]]
        if not any(_is(value, name) for name in names):
            out.append(f"{path}: not of type {'/'.join(names)}")
            return
    if "const" in rule and value != rule["const"]:
        out.append(f"{path}: not {rule['const']!r}")
    if "enum" in rule and value not in rule["enum"]:
        out.append(f"{path}: {value!r} not one of {rule['enum']}")
    if "minimum" in rule and isinstance(value, int | float) and value < rule["minimum"]:
        out.append(f"{path}: below {rule['minimum']}")
    if rule.get("format") == "date-time" and isinstance(value, str):
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            out.append(f"{path}: not an ISO 8601 date and time")
        else:
            if moment.tzinfo is None:
                out.append(f"{path}: a date and time without its offset")
    if rule.get("format") == "date" and isinstance(value, str):
        try:
            datetime.date.fromisoformat(value)
        except ValueError:
            out.append(f"{path}: not an ISO 8601 date")
    if isinstance(value, dict):
        properties: dict[str, Any] = rule.get("properties", {})
        for name in rule.get("required", []):
            if name not in value:
                out.append(f"{path}: {name} missing")
        for name, item in value.items():
            if name in properties:
                _check(item, properties[name], root, f"{path}.{name}", out)
            elif rule.get("additionalProperties") is False:
                out.append(f"{path}: {name} not allowed")
    if isinstance(value, list) and "items" in rule:
        for index, item in enumerate(value):
            _check(item, rule["items"], root, f"{path}[{index}]", out)
