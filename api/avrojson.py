"""JSON bodies that become Avro records: checked against the record's Avro schema before
encoding, naming the field that does not fit, and described as JSON Schema for OpenAPI.

fastavro's writer raises OverflowError on a long beyond 64 bits, silently writes an int
beyond 32 bits and truncates 1.5 to 1; this check refuses all three, saying where. An
integral float (2.0) is an integer, as JSON Schema says.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

RANGES = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
FLOAT_MAX = {"float": 3.4028234663852886e38, "double": math.inf}
JSON_TYPES = {"null": "null", "boolean": "boolean", "string": "string",
              "float": "number", "double": "number"}

Check = Callable[[Any], None]


class AvroMismatch(ValueError):
    """A JSON value that does not fit its Avro field; str() is `path: what is wrong`."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []  # innermost first, added as the error unwinds

    def __str__(self) -> str:
        where = "".join(reversed(self.path)).lstrip(".")
        return f"{where or 'body'}: {self.problem}"


def checker(schema: Any) -> Check:
    """A function that raises AvroMismatch when a JSON value cannot be the Avro `schema`
    (a fastavro-parsed schema); built once per schema, cheap per call."""
    if isinstance(schema, list):
        return _union(schema)
    if isinstance(schema, dict):
        kind = schema["type"]
        if kind == "record":
            return _record(schema)
        if kind == "array":
            return _array(checker(schema["items"]))
        if kind in ("map", "enum", "fixed"):
            raise ValueError(f"Avro {kind} is not supported in JSON bodies yet")
        return checker(kind)
    if schema in RANGES:
        return _integer(schema)
    if schema in FLOAT_MAX:
        return _number(schema)
    if schema in ("string", "boolean", "null"):
        return _exact({"string": str, "boolean": bool, "null": type(None)}[schema], schema)
    raise ValueError(f"Avro type {schema!r} is not supported in JSON bodies")


def _integer(kind: str) -> Check:
    low, high = RANGES[kind]

    def check(value: Any) -> None:
        if type(value) is not int and not (type(value) is float and value.is_integer()):
            raise AvroMismatch(f"{_show(value)} is not an integer (Avro {kind})")
        if not low <= value <= high:  # 2.0 is an integer in JSON Schema; fastavro writes 2
            raise AvroMismatch(f"{_show(value)} is outside the Avro {kind} range {low}..{high}")

    return check


def _number(kind: str) -> Check:
    largest = FLOAT_MAX[kind]

    def check(value: Any) -> None:
        if type(value) is float:
            return  # NaN and infinities are the contract's business (omega.validation)
        if type(value) is not int:
            raise AvroMismatch(f"{_show(value)} is not a number (Avro {kind})")
        if abs(value) > largest:
            raise AvroMismatch(f"{_show(value)} is outside the Avro {kind} range")

    return check


def _exact(expected: type, kind: str) -> Check:
    def check(value: Any) -> None:
        if type(value) is not expected:
            raise AvroMismatch(f"{_show(value)} is not a {kind}")

    return check


def _record(schema: dict[str, Any]) -> Check:
    fields = [(f["name"], checker(f["type"]), "default" not in f) for f in schema["fields"]]
    name = schema["name"].rpartition(".")[2]

    def check(value: Any) -> None:
        if type(value) is not dict:
            raise AvroMismatch(f"{_show(value)} is not a JSON object ({name})")
        for field, check_field, required in fields:
            if field not in value:
                if required:
                    missing = AvroMismatch(f"missing; {name} requires it")
                    missing.path.append(f".{field}")
                    raise missing
                continue
            try:
                check_field(value[field])
            except AvroMismatch as exc:
                exc.path.append(f".{field}")
                raise

    return check


def _array(check_item: Check) -> Check:
    def check(value: Any) -> None:
        if type(value) is not list:
            raise AvroMismatch(f"{_show(value)} is not a JSON array")
        for index, item in enumerate(value):
            try:
                check_item(item)
            except AvroMismatch as exc:
                exc.path.append(f"[{index}]")
                raise

    return check


def _union(branches: list[Any]) -> Check:
    checks = [checker(b) for b in branches]
    names = " or ".join(b if isinstance(b, str) else b.get("type", "?") for b in branches)

    def check(value: Any) -> None:
        for check_branch in checks:
            try:
                check_branch(value)
                return
            except AvroMismatch:
                continue
        raise AvroMismatch(f"{_show(value)} is none of {names}")

    return check


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def json_schema(schema: Any) -> dict[str, Any]:
    """The JSON Schema (OpenAPI 3.1) of the JSON form of an Avro schema, docs included."""
    if isinstance(schema, list):
        return {"anyOf": [json_schema(b) for b in schema]}
    if isinstance(schema, dict):
        kind = schema["type"]
        if kind == "record":
            out: dict[str, Any] = {
                "type": "object", "title": schema["name"].rpartition(".")[2],
                "properties": {f["name"]: _documented(f) for f in schema["fields"]},
                "required": [f["name"] for f in schema["fields"] if "default" not in f]}
            if schema.get("doc"):
                out["description"] = schema["doc"]
            return out
        if kind == "array":
            return {"type": "array", "items": json_schema(schema["items"])}
        return json_schema(kind)
    if schema in RANGES:
        low, high = RANGES[schema]
        return {"type": "integer", "minimum": low, "maximum": high,
                "format": "int32" if schema == "int" else "int64"}
    if schema in JSON_TYPES:
        return {"type": JSON_TYPES[schema]}
    raise ValueError(f"Avro type {schema!r} has no JSON Schema here")


def _documented(field: dict[str, Any]) -> dict[str, Any]:
    out = json_schema(field["type"])
    if field.get("doc"):
        out["description"] = field["doc"]
    if "default" in field:
        out["default"] = field["default"]
    return out
