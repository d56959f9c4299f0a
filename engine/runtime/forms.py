"""JSON Schema forms: validating what people submit, with errors naming the field.

A form may take a keyword's value from the case (``x-bind``). A property written

    "extension_days": {"type": "integer", "minimum": 1, "x-bind": {"maximum": "extension_room"}}

is served, and validated, with ``maximum`` set to the task's variable ``extension_room``
(a dotted path reaches into objects: ``limits.extension_max_days``), so the limit a decision
table sets is the limit the form shows and the engine enforces, and no number is repeated in
the form. A literal keyword written beside the binding is the fallback when the variable is
missing or of the wrong kind; the file stays a valid JSON Schema for editors that know nothing
of ``x-bind``. Bindable keywords: ``BINDABLE``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Callable, Iterable, Mapping

import orjson
from jsonschema import Draft202012Validator, FormatChecker

from ..errors import FormValidationError, InvalidInput
from ..hooks.objects import FormFormat

__all__ = ["Forms", "bind_form", "bind_problems", "BIND_KEY", "BINDABLE"]

BIND_KEY = "x-bind"


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# keyword -> what a bound value must be to replace the literal one
BINDABLE: dict[str, Callable[[Any], bool]] = {
    "minimum": _number, "maximum": _number, "exclusiveMinimum": _number, "exclusiveMaximum": _number,
    "minLength": _count, "maxLength": _count, "minItems": _count, "maxItems": _count,
    "minProperties": _count, "maxProperties": _count,
    "enum": lambda v: isinstance(v, list) and len(v) > 0,
    "const": lambda v: True, "default": lambda v: True,
}
_MISSING = object()


def _lookup(data: Mapping[str, Any], path: str) -> Any:
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return _MISSING
        node = node[part]
    return node


def rewrite(schema: Any, key: str, apply: Callable[[Mapping[str, Any]], Mapping[str, Any]]) -> Any:
    """``schema`` with ``apply(node)`` taking the place of every object node that holds ``key``,
    copying only the nodes on the way to a change: returns ``schema`` itself when nothing changed,
    so forms without the keyword cost nothing (``x-bind`` and ``x-options`` both walk this way)."""
    if isinstance(schema, list):
        items = [rewrite(item, key, apply) for item in schema]
        return schema if all(a is b for a, b in zip(items, schema)) else items
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] | None = None
    for name, value in schema.items():
        changed = rewrite(value, key, apply) if name != key else value
        if changed is not value:
            out = out if out is not None else dict(schema)
            out[name] = changed
    node = schema if out is None else out
    return apply(node) if key in schema else node


def bind_form(schema: Any, data: Mapping[str, Any]) -> Any:
    """``schema`` with every ``x-bind`` keyword set from ``data`` (the task's variables)."""

    def bind(node: Mapping[str, Any]) -> Mapping[str, Any]:
        bindings, out = node[BIND_KEY], None
        if isinstance(bindings, Mapping):
            for keyword, path in bindings.items():
                value = _lookup(data, path) if isinstance(path, str) and keyword in BINDABLE else _MISSING
                if value is not _MISSING and BINDABLE[keyword](value):
                    out = out if out is not None else dict(node)
                    out[keyword] = value
        return node if out is None else out

    return rewrite(schema, BIND_KEY, bind)


def bind_problems(schema: Any, path: str = "") -> list[str]:
    """What is wrong with the ``x-bind`` annotations of a form (for definition checks), in Chinese."""
    problems: list[str] = []
    if isinstance(schema, list):
        for i, item in enumerate(schema):
            problems.extend(bind_problems(item, f"{path}[{i}]"))
        return problems
    if not isinstance(schema, Mapping):
        return problems
    bindings = schema.get(BIND_KEY, {})
    where = path or "表单"
    if not isinstance(bindings, Mapping):
        problems.append(f"{where} 的 {BIND_KEY} 应为 关键字→变量名 的对象")
        bindings = {}
    for keyword, variable in bindings.items():
        if keyword not in BINDABLE:
            problems.append(f"{where} 的 {BIND_KEY} 不能绑定 '{keyword}'；可绑定：{'、'.join(BINDABLE)}")
        if not isinstance(variable, str) or not all(part.isidentifier() for part in variable.split(".")):
            problems.append(f"{where} 的 {BIND_KEY}.{keyword} 应为变量名（可用 . 进入下一层），不是 {variable!r}")
    for key, value in schema.items():
        if key != BIND_KEY:
            problems.extend(bind_problems(value, f"{path}.{key}" if path else key))
    return problems


class Forms:
    """Validates submissions against JSON Schema forms, with the standard formats and the plugins' ones."""

    def __init__(self, formats: Iterable[FormFormat] = ()) -> None:
        self.checker = FormatChecker()
        self.formats: dict[str, FormFormat] = {fmt.name: fmt for fmt in formats}  # the plugins' (with examples)
        for fmt in self.formats.values():
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
