"""JSON Schema forms: validating what people submit, with errors naming the field."""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable, Mapping

import orjson
from jsonschema import Draft202012Validator, FormatChecker

from ..errors import FormValidationError, InvalidInput
from ..hooks.objects import FormFormat

__all__ = ["Forms"]


class Forms:
    """Validates submissions against JSON Schema forms, with the standard formats and the plugins' ones."""

    def __init__(self, formats: Iterable[FormFormat] = ()) -> None:
        self.checker = FormatChecker()
        for fmt in formats:
            self.checker.checks(fmt.name, raises=ValueError)(_passes(fmt.check))
        self._validator = lru_cache(maxsize=512)(self._build)

    def _build(self, schema_json: bytes) -> Draft202012Validator:
        return Draft202012Validator(orjson.loads(schema_json), format_checker=self.checker)

    def validate(self, schema: Mapping[str, Any], data: Mapping[str, Any], task_id: str | None = None) -> None:
        """Raise FormValidationError listing every field that violates ``schema``."""
        validator = self._validator(orjson.dumps(schema, option=orjson.OPT_SORT_KEYS))
        _raise_errors(schema, validator.iter_errors(dict(data)), task_id)


def _passes(check: Any) -> Any:
    """A format check as jsonschema wants it: True unless ``check`` raises (formats apply to strings only)."""

    def run(value: Any) -> bool:
        if isinstance(value, str):
            check(value)
        return True

    return run


def _raise_errors(schema: Mapping[str, Any], found: Iterable[Any], task_id: str | None) -> None:
    errors = []
    for err in sorted(found, key=lambda e: list(e.absolute_path)):
        path = ".".join(str(p) for p in err.absolute_path)
        if err.validator == "required":
            missing = err.message.split("'")[1] if "'" in err.message else ""
            path = f"{path}.{missing}" if path else missing
        label = _label(schema, path)
        errors.append({"field": path or "(表单)", "message": f"{label}：{_message(err)}" if label else _message(err)})
    if errors:
        summary = "；".join(e["message"] for e in errors[:5])
        raise FormValidationError(f"表单数据有误：{summary}", errors=errors, task_id=task_id)


def _label(schema: Mapping[str, Any], path: str) -> str:
    node: Any = schema
    for part in path.split(".") if path else []:
        node = (node.get("properties") or {}).get(part) if isinstance(node, Mapping) else None
        if node is None:
            return path
    return node.get("title", path) if isinstance(node, Mapping) else path


def _message(err: Any) -> str:
    kind = err.validator
    if kind == "required":
        return "必填"
    if kind == "enum":
        return f"只能是 {', '.join(map(str, err.validator_value))} 之一"
    if kind == "type":
        return f"类型应为 {err.validator_value}"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        return f"超出范围（{kind} {err.validator_value}）"
    if kind in ("minLength", "maxLength"):
        return f"长度不符合（{kind} {err.validator_value}）"
    if kind == "pattern":
        return f"格式不正确（应匹配 {err.validator_value}）"
    if kind == "format":
        cause = getattr(err, "cause", None)
        return str(cause) if cause is not None and str(cause) else f"格式不正确（应为 {err.validator_value}）"
    if kind == "additionalProperties":
        return f"包含表单未定义的字段：{err.message}"
    return err.message


def check_variable_names(data: Mapping[str, Any], path: str = "variables") -> None:
    """Refuse variable names a script could not live with: names starting with ``_`` and the
    names the sandbox gives scripts (``str``, ``len``, ``math``, ``add_working_days``…), which a
    case's data would otherwise shadow in every later script of that case."""
    from ..sandbox import RESERVED_NAMES

    bad = sorted(k for k in data if isinstance(k, str) and (k.startswith("_") or k in RESERVED_NAMES))
    if bad:
        raise InvalidInput(f"变量名 {'、'.join(bad)} 是脚本保留名，不能使用",
                           errors=[{"field": f"{path}.{k}", "message": "保留名"} for k in bad])
