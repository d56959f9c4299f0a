"""Masking of residents' personal data (个人信息脱敏) for people without the ``pii`` permission.

Pure functions, no Flask: the HTTP layer masks responses with them and the
runtime can mask the audit trail it hands out with the same rule.

The rule, applied to process data (instance variables, task data, audit
payloads, report rows) — never to structural fields such as a task's name:

1. **By value, everywhere** in strings: an 11-digit mainland mobile number
   (``1[3-9]`` + 9 digits) becomes ``138****1234``; an 18-character resident ID
   number (17 digits + digit or ``X``) keeps its first 6 and last 4 characters.
2. **By field name** (case-insensitive ``fnmatch`` patterns, nested keys
   included): fields that hold a person's name (``name``, ``*_name``,
   ``reporter``, ...) keep their first character only (``张三丰`` -> ``张**``);
   fields that hold a phone (``phone``, ``*_phone``, ``mobile``, ...) keep the
   first 3 and last 4 characters of any value; ``id_card``-like fields are
   masked as ID numbers. Names of organisations (``company_name``,
   ``community_name``, ...) are exempt.

The pattern lists can be replaced through configuration
(``GONGZHI_PII_NAME_FIELDS``, ``GONGZHI_PII_PHONE_FIELDS``,
``GONGZHI_PII_ID_FIELDS``, ``GONGZHI_PII_EXEMPT_FIELDS``; comma-separated).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any, Iterable, Mapping

__all__ = [
    "PII_PERMISSION",
    "MaskingRule",
    "DEFAULT_RULE",
    "mask_phone",
    "mask_id_number",
    "mask_name",
    "mask_text",
    "mask_value",
    "mask_data",
    "rule_from_config",
]

PII_PERMISSION = "pii"

# Digits before or after would make it part of a longer number (an order id, a bank card).
_MOBILE = re.compile(r"(?<![0-9])(1[3-9][0-9])([0-9]{4})([0-9]{4})(?![0-9])")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])([1-9][0-9]{5})([0-9]{8})([0-9]{3}[0-9Xx])(?![0-9A-Za-z])")

DEFAULT_NAME_FIELDS = (
    "name", "*_name", "reporter", "reporter_*", "applicant", "applicant_*", "resident", "residents",
    "contact", "contact_person", "complainant", "owner", "姓名", "*姓名", "联系人", "*人姓名",
)
DEFAULT_PHONE_FIELDS = ("phone", "*_phone", "phone_*", "mobile", "*_mobile", "tel", "telephone", "*电话", "手机*")
DEFAULT_ID_FIELDS = ("id_card", "id_number", "*_id_card", "*_id_number", "身份证*")
DEFAULT_EXEMPT_FIELDS = (
    "company_name", "org_name", "organization_name", "unit_name", "department_name", "dept_name",
    "community_name", "street_name", "district_name", "process_name", "task_name", "file_name",
    "decision_name", "project_name", "building_name", "property_company_name",
)


@dataclass(frozen=True)
class MaskingRule:
    """Which field names hold names, phones and ID numbers; values are always scanned."""

    name_fields: tuple[str, ...] = DEFAULT_NAME_FIELDS
    phone_fields: tuple[str, ...] = DEFAULT_PHONE_FIELDS
    id_fields: tuple[str, ...] = DEFAULT_ID_FIELDS
    exempt_fields: tuple[str, ...] = DEFAULT_EXEMPT_FIELDS

    def kind_of(self, key: str) -> str | None:
        """``"name"``, ``"phone"``, ``"id"`` or None for a field name."""
        lowered = key.lower()

        def hit(patterns: Iterable[str]) -> bool:
            return any(fnmatchcase(lowered, p.lower()) for p in patterns)

        if hit(self.exempt_fields):
            return None
        if hit(self.id_fields):
            return "id"
        if hit(self.phone_fields):
            return "phone"
        if hit(self.name_fields):
            return "name"
        return None


DEFAULT_RULE = MaskingRule()


def mask_phone(value: str) -> str:
    """``13812341234`` -> ``138****1234``; other lengths keep 3 + 4 when long enough."""
    if len(value) >= 8:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * len(value)


def mask_id_number(value: str) -> str:
    """Keep the first 6 (region) and last 4 characters."""
    if len(value) >= 11:
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    return "*" * len(value)


def mask_name(value: str) -> str:
    """Keep the first character (the surname, usually): ``张三丰`` -> ``张**``."""
    value = value.strip()
    if not value:
        return value
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_text(text: str) -> str:
    """Mask every mobile number and ID number inside free text."""
    text = _ID_NUMBER.sub(lambda m: m.group(1) + "*" * 8 + m.group(3), text)
    return _MOBILE.sub(lambda m: m.group(1) + "****" + m.group(3), text)


def _mask_scalar(kind: str | None, value: Any) -> Any:
    if not isinstance(value, str):
        if kind in ("phone", "id") and isinstance(value, int) and not isinstance(value, bool):
            return _mask_scalar(kind, str(value))  # a phone number stored as a JSON number
        return value
    if kind == "name":
        return mask_name(value)
    if kind == "phone":
        return mask_phone(value)
    if kind == "id":
        return mask_id_number(value)
    return mask_text(value)


def mask_value(key: str | None, value: Any, rule: MaskingRule = DEFAULT_RULE) -> Any:
    """A masked copy of ``value`` found under field ``key`` (None: no field name)."""
    kind = rule.kind_of(key) if key else None
    if isinstance(value, Mapping):
        return {k: mask_value(k if isinstance(k, str) else None, v, rule) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        # A list under a name field ("residents": ["张三", "李四"]) masks each item as a name.
        return [mask_value(key, item, rule) if isinstance(item, (Mapping, list, tuple)) else _mask_scalar(kind, item)
                for item in value]
    return _mask_scalar(kind, value)


def mask_data(data: Mapping[str, Any] | None, rule: MaskingRule = DEFAULT_RULE) -> dict[str, Any] | None:
    """A masked copy of a variables mapping (None stays None)."""
    if data is None:
        return None
    return mask_value(None, data, rule)


def _patterns(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    if value is None:
        return default
    if isinstance(value, str):
        return tuple(p.strip() for p in value.split(",") if p.strip())
    return tuple(str(p) for p in value)


def rule_from_config(extra: Mapping[str, Any]) -> MaskingRule:
    """The rule from ``Config.extra`` (``pii_name_fields`` etc.), defaults where unset."""
    return MaskingRule(
        name_fields=_patterns(extra.get("pii_name_fields"), DEFAULT_NAME_FIELDS),
        phone_fields=_patterns(extra.get("pii_phone_fields"), DEFAULT_PHONE_FIELDS),
        id_fields=_patterns(extra.get("pii_id_fields"), DEFAULT_ID_FIELDS),
        exempt_fields=_patterns(extra.get("pii_exempt_fields"), DEFAULT_EXEMPT_FIELDS),
    )


# Who acted, when and where is not residents' personal data; everything else in an audit event
# (variables, form data, decision inputs, reasons) is.
STRUCTURAL_EVENT_KEYS = frozenset({
    "action", "actor", "at", "chain", "seq", "hash", "prev_hash", "instance_id", "process_key", "element_id", "task_id",
    "message", "message_id", "decision_id", "decision_name", "decision_version", "version", "matched_rules", "status",
})


def mask_event(event: Mapping[str, Any], rule: MaskingRule = DEFAULT_RULE) -> dict[str, Any]:
    """An audit event with personal data masked (masking twice changes nothing more)."""
    return {k: v if k in STRUCTURAL_EVENT_KEYS else mask_value(None, v, rule) for k, v in event.items()}
