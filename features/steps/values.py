"""How text in a step or a table cell becomes a value.

Without a form to go by (``guess``):

- ``是``/``否`` (also ``true``/``false``) → yes/no;
- ``3``, ``-2``, ``0.95`` → numbers;
- ``空`` → nothing (null); ``[]`` → an empty list;
- ``甲、乙、丙`` → a list of the parts (each part parsed the same way);
- ``[...]`` or ``{...}`` → JSON;
- ``"3"`` (in double quotes) → the text itself, never a number or a list;
- anything else → the text.

With a form (``for_schema``), the field's type decides: text stays text
(``001`` is not a number), numbers must be numbers, lists split on ``、``.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

__all__ = ["guess", "for_schema", "same", "split_list", "show"]

TRUE = {"是", "true", "True", "对", "已", "有"}
FALSE = {"否", "false", "False", "不", "无"}
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def split_list(text: str) -> list[str]:
    text = text.strip()
    if not text:
        return []
    return [part.strip() for part in text.split("、")]


def _number(text: str) -> int | float:
    return float(text) if "." in text else int(text)


def guess(text: str) -> Any:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    if text in ("空", "null"):
        return None
    if text in ("是", "true", "True"):
        return True
    if text in ("否", "false", "False"):
        return False
    if NUMBER.fullmatch(text):
        return _number(text)
    if text[:1] in "[{":
        try:
            return json.loads(text)
        except json.JSONDecodeError:
            pass
    if "、" in text:
        return [guess(part) for part in split_list(text)]
    return text


def for_schema(text: str, schema: Mapping[str, Any] | None) -> Any:
    """``text`` as the JSON type the form field ``schema`` wants."""
    if not schema:
        return guess(text)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    stripped = text.strip()
    if stripped in ("空", "null") and kind != "string":
        return None
    if kind == "string":
        if len(stripped) >= 2 and stripped[0] == stripped[-1] == '"':
            return stripped[1:-1]
        return stripped
    if kind == "boolean":
        if stripped in TRUE:
            return True
        if stripped in FALSE:
            return False
        raise ValueError(f"“{text}”不是 是/否")
    if kind in ("integer", "number"):
        if NUMBER.fullmatch(stripped):
            return _number(stripped)
        return stripped  # let the form say what is wrong with it
    if kind == "array":
        if stripped[:1] == "[":
            return json.loads(stripped)
        return [for_schema(part, schema.get("items") if isinstance(schema.get("items"), Mapping) else None)
                for part in split_list(stripped)]
    if kind == "object" and stripped[:1] == "{":
        return json.loads(stripped)
    return guess(text)


def same(actual: Any, expected: Any) -> bool:
    """Equal, with numbers compared as numbers (``1`` equals ``1.0``) and lists in order."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual is expected or actual == expected and type(actual) is type(expected)
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return abs(actual - expected) < 1e-9
    if isinstance(expected, list) and isinstance(actual, list):
        return len(actual) == len(expected) and all(same(a, e) for a, e in zip(actual, expected))
    if isinstance(expected, str) and not isinstance(actual, str) and actual is not None:
        return show(actual) == expected
    return actual == expected


def show(value: Any) -> str:
    """A value as a spec writer would write it."""
    if value is True:
        return "是"
    if value is False:
        return "否"
    if value is None:
        return "空"
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) for v in value):
        return "、".join(show(v) for v in value) if value else "[]"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)
