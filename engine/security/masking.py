"""Masking of residents' personal data (个人信息脱敏) for people without the ``pii`` permission.

Pure functions and one value object, no Flask and no database: the runtime masks
every view it hands out with them (instances, tasks, work lists, history), and
adapters and reports use the same functions.

What is personal is **declared** by the process (``gongzhi.definitions.personal``:
``x-pii`` on form fields, the ``personalData`` property on the process), and a
declared value is masked by its kind wherever it appears:

============  ==========================  ====================
kind          example                     masked
============  ==========================  ====================
``phone``     ``138-1234-5678``           ``138****5678``
``id``        ``11010519900307123X``      ``110105********123X``
``name``      ``张三丰``                   ``张**``
``address``   ``翠苑路1号3幢502室``         ``翠苑路1****``
``email``     ``wang@example.cn``         ``w***@example.cn``
``location``  ``30.27415``                ``30.27`` (about 1 km)
``text``      anything                    ``（已隐藏）``
============  ==========================  ====================

Two safety nets catch what a declaration misses:

1. **Free text is scanned** after normalising full-width characters: mobile
   numbers with any separators or country code (``+86 138 1234 5678``,
   ``8613812345678``, ``１３８１２３４５６７８``), landline numbers with an area
   code, 18-character ID numbers and e-mail addresses; and the declared values
   of the same case (a reporter's name inside a description) are hidden too.
2. **Field names** that are unmistakably personal (``reporter_name``,
   ``*_phone``, ``id_card``, ``住址``, ...) are masked even if undeclared; the patterns can be
   replaced through configuration (``GONGZHI_PII_NAME_FIELDS``,
   ``GONGZHI_PII_PHONE_FIELDS``, ``GONGZHI_PII_ID_FIELDS``,
   ``GONGZHI_PII_EXEMPT_FIELDS``; comma-separated).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import lru_cache
from typing import Any, Iterable, Mapping

__all__ = [
    "PII_PERMISSION",
    "MaskingRule",
    "DEFAULT_RULE",
    "Masker",
    "mask_phone",
    "mask_id_number",
    "mask_name",
    "mask_address",
    "mask_email",
    "mask_kind",
    "mask_text",
    "mask_value",
    "mask_data",
    "mask_event",
    "find_personal",
    "normalize_text",
    "rule_from_config",
    "STRUCTURAL_EVENT_KEYS",
]

PII_PERMISSION = "pii"
HIDDEN = "（已隐藏）"
ERASED = "已删除"  # where retention removed a value; shown as it is
_MARKERS = frozenset({HIDDEN, ERASED})

# On the normalised text (full-width digits and separators folded to ASCII). Digits before or
# after would make it part of a longer number (an order id, a bank card).
_SEP = r"[ \-.·]?"
# Not inside a longer word of letters and digits: a UUID or a hash ("024a1501-0265-473f…") holds
# digit runs that read like a mobile (or a landline) number.
_MOBILE = re.compile(rf"(?<![0-9A-Za-z])(?:(?:\+|00)?86{_SEP})?(1[3-9][0-9](?:{_SEP}[0-9]){{8}})(?![0-9A-Za-z])")
_LANDLINE = re.compile(r"(?<![0-9A-Za-z])(?:\(0[1-9][0-9]{1,2}\)|0[1-9][0-9]{1,2})[ \-]?[2-9][0-9]{6,7}(?![0-9A-Za-z])")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[1-9][0-9]{5}(?:19|20)[0-9]{2}[01][0-9][0-3][0-9][0-9]{3}[0-9Xx](?![0-9A-Za-z])")
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")

# The fallback names only what is unmistakably a person's: declarations do the rest, so a
# meeting's name or a company's name is never mistaken for a resident's.
DEFAULT_NAME_FIELDS = (
    "reporter", "reporter_name", "applicant", "applicant_name", "resident_name", "residents", "complainant",
    "contact_person", "contact_name", "person_name", "real_name", "full_name", "proposer", "objector", "requester",
    "姓名", "*姓名", "联系人", "*人姓名",
)
DEFAULT_PHONE_FIELDS = ("phone", "*_phone", "phone_*", "mobile", "*_mobile", "mobile_*", "tel", "*_tel", "tel_*",
                        "telephone", "*电话", "手机*")
DEFAULT_ID_FIELDS = ("id_card", "id_number", "*_id_card", "*_id_number", "身份证*")
DEFAULT_ADDRESS_FIELDS = ("home_address", "*_home_address", "住址", "家庭住址", "*住址")
DEFAULT_EXEMPT_FIELDS = (
    "company_name", "org_name", "organization_name", "unit_name", "department_name", "dept_name",
    "community_name", "street_name", "district_name", "grid_name", "process_name", "task_name", "file_name",
    "decision_name", "project_name", "building_name", "property_company_name", "compound_name",
    "new_company_name", "survey_agency_name", "service_name",
)


# --- single values ---------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Fold full-width and compatibility characters (``１３８``, ``－``, ``＋``) one by one, so
    positions in the result are positions in ``text``."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch.isascii():
            out.append(ch)
            continue
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return "".join(out)


def _digits(value: str) -> str:
    return re.sub(r"[^0-9Xx]", "", normalize_text(value))


def mask_phone(value: str) -> str:
    """``138-1234-5678`` -> ``138****5678``: the first 3 and last 4 digits of the number itself."""
    digits = _digits(value)
    if len(digits) > 11 and digits.startswith(("86", "0086")) and digits[-11] == "1":
        digits = digits[-11:]
    if len(digits) >= 8:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * max(len(digits), 4)


def mask_id_number(value: str) -> str:
    """Keep the first 6 (region) and last 4 characters."""
    value = normalize_text(value).strip()
    if len(value) >= 11:
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    return "*" * max(len(value), 4)


def mask_name(value: str) -> str:
    """Keep the first character (the surname, usually): ``张三丰`` -> ``张**``."""
    value = value.strip()
    if not value:
        return value
    return value[0] + "*" * max(len(value) - 1, 1)


def mask_address(value: str) -> str:
    """Keep the first part (road or compound), hide the rest: ``翠苑路1号3幢502室`` -> ``翠苑路1****``."""
    value = value.strip()
    keep = max(2, min(6, len(value) // 3))
    return value[:keep] + "****" if len(value) > keep else "****"


def mask_email(value: str) -> str:
    user, at, domain = value.strip().partition("@")
    return (user[:1] + "***" + at + domain) if at else mask_name(value)


def _mask_location(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(float(value), 2)
    try:
        return f"{round(float(str(value)), 2):.2f}"
    except ValueError:
        return HIDDEN


_MASKERS = {"phone": mask_phone, "id": mask_id_number, "name": mask_name, "address": mask_address,
            "email": mask_email}


def mask_kind(kind: str, value: Any) -> Any:
    """``value`` masked as a ``kind`` (one of ``gongzhi.definitions.personal.KINDS``)."""
    if value is None or value == "" or isinstance(value, bool):
        return value
    if isinstance(value, str) and ("**" in value or value in _MARKERS):
        return value  # masked or erased already: masking twice changes nothing more
    if kind == "location":
        return _mask_location(value)
    if kind == "text":
        return HIDDEN
    if isinstance(value, (int, float)):
        value = str(value)  # a phone number stored as a JSON number
    if not isinstance(value, str):
        return HIDDEN
    return _MASKERS.get(kind, lambda v: HIDDEN)(value)


def find_personal(text: str) -> list[tuple[int, int, str]]:
    """Spans ``(start, end, kind)`` of phone numbers, ID numbers and e-mail addresses in ``text``."""
    norm = normalize_text(text)
    spans = [(m.start(), m.end(), "id") for m in _ID_NUMBER.finditer(norm)]
    spans += [(m.start(), m.end(), "email") for m in _EMAIL.finditer(norm)]
    spans += [(m.start(), m.end(), "phone") for m in _MOBILE.finditer(norm)]
    spans += [(m.start(), m.end(), "phone") for m in _LANDLINE.finditer(norm)]
    chosen: list[tuple[int, int, str]] = []
    for span in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if not chosen or span[0] >= chosen[-1][1]:
            chosen.append(span)
    return chosen


_SEVEN_DIGITS = re.compile(r"(?:\d\D{0,4}){7}")  # any digit, full-width ones included, with short gaps between


def _may_hold_numbers(text: str) -> bool:
    """Cheap pre-check (C speed): a phone or ID number needs seven digits close together, an e-mail an ``@``."""
    return "@" in text or _SEVEN_DIGITS.search(text) is not None


def mask_text(text: str, known: Iterable[tuple[str, str]] = ()) -> str:
    """Mask every phone number, ID number and e-mail address inside free text, and every
    ``known`` (value, replacement) pair — the declared personal values of the same case."""
    for value, replacement in known:
        if value in text:
            text = text.replace(value, replacement)
    if not _may_hold_numbers(text):
        return text
    spans = find_personal(text)
    if not spans:
        return text
    out, last = [], 0
    for start, end, kind in spans:
        out.append(text[last:start])
        out.append(mask_kind(kind, text[start:end]))
        last = end
    out.append(text[last:])
    return "".join(out)


# --- field names (the fallback) ------------------------------------------------------


@dataclass(frozen=True)
class MaskingRule:
    """Field names that plainly hold names, phones, ID numbers and home addresses."""

    name_fields: tuple[str, ...] = DEFAULT_NAME_FIELDS
    phone_fields: tuple[str, ...] = DEFAULT_PHONE_FIELDS
    id_fields: tuple[str, ...] = DEFAULT_ID_FIELDS
    exempt_fields: tuple[str, ...] = DEFAULT_EXEMPT_FIELDS
    address_fields: tuple[str, ...] = DEFAULT_ADDRESS_FIELDS

    def kind_of(self, key: str) -> str | None:
        """``"name"``, ``"phone"``, ``"id"``, ``"address"`` or None for a field name."""
        return _kind_of(self, key)


@lru_cache(maxsize=8192)
def _kind_of(rule: MaskingRule, key: str) -> str | None:
    """Field names repeat in every case: each is matched against the patterns once."""
    lowered = key.lower()

    def hit(patterns: Iterable[str]) -> bool:
        return any(fnmatchcase(lowered, p.lower()) for p in patterns)

    if hit(rule.exempt_fields):
        return None
    for kind, patterns in (("id", rule.id_fields), ("phone", rule.phone_fields),
                           ("address", rule.address_fields), ("name", rule.name_fields)):
        if hit(patterns):
            return kind
    return None


DEFAULT_RULE = MaskingRule()


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
        address_fields=_patterns(extra.get("pii_address_fields"), DEFAULT_ADDRESS_FIELDS),
    )


# --- trees -----------------------------------------------------------------------------


class _Undeclared:
    """Stands in for a declaration when a process declares nothing."""

    def kind_at(self, path: tuple[str, ...]) -> str | None:
        return None


# Who acted, when and where is not residents' personal data; everything else in an audit event
# (variables, form data, decision inputs, reasons) is.
STRUCTURAL_EVENT_KEYS = frozenset({
    "action", "actor", "at", "chain", "seq", "hash", "prev_hash", "instance_id", "process_key", "element_id", "task_id",
    "message", "message_id", "decision_id", "decision_name", "decision_version", "version", "matched_rules", "status",
    "sender", "buffered_since", "operator", "key_id", "removed",
})
# Audit event members whose keys are the case's variable names.
_VARIABLE_KEYS = frozenset({"data", "variables", "changed", "appended", "final"})


@dataclass(frozen=True)
class Masker:
    """Masks one case's data for one reader.

    ``declaration`` is the process version's ``PersonalData`` (anything with
    ``kind_at(path)``); ``known`` are the case's own declared values, hidden in
    free text too; variables named in ``reveal`` are left as they are (what the
    holder of a task needs for it).
    """

    declaration: Any = field(default_factory=_Undeclared)
    rule: MaskingRule = DEFAULT_RULE
    known: tuple[tuple[str, str], ...] = ()
    reveal: frozenset[str] = frozenset()

    @classmethod
    def for_case(cls, declaration: Any, rule: MaskingRule, variables: Mapping[str, Any] | None,
                 reveal: Iterable[str] = ()) -> "Masker":
        masker = cls(declaration or _Undeclared(), rule, (), frozenset(reveal))
        known: dict[str, str] = {}
        for path, kind, value in masker._declared_leaves(variables or {}, ()):
            if isinstance(value, str) and len(value.strip()) >= 2 and kind not in ("location",) and path[0] not in masker.reveal:
                known[value.strip()] = str(mask_kind(kind, value.strip()))
        ordered = tuple(sorted(known.items(), key=lambda kv: -len(kv[0])))
        return cls(masker.declaration, rule, ordered, masker.reveal)

    def _declared_leaves(self, value: Any, path: tuple[str, ...], kind: str | None = None) -> Iterable[tuple[tuple[str, ...], str, Any]]:
        kind = (self.declaration.kind_at(path) if path else None) or kind
        if isinstance(value, Mapping):
            for key, item in value.items():
                yield from self._declared_leaves(item, (*path, str(key)), kind)
        elif isinstance(value, (list, tuple)):
            for item in value:
                yield from self._declared_leaves(item, path, kind)
        elif kind is not None:
            yield path, kind, value

    def value(self, value: Any, path: tuple[str, ...] = (), kind: str | None = None) -> Any:
        """A masked copy of ``value`` found at ``path`` (variable names from the root)."""
        if path and len(path) == 1 and path[0] in self.reveal:
            return value
        if path:
            kind = self.declaration.kind_at(path) or self.rule.kind_of(path[-1]) or kind
        # This walks every value a reader is shown: plain types first, names bound once.
        if type(value) is dict or isinstance(value, Mapping):
            reveal, declared, kind_of, walk = self.reveal, self.declaration.kind_at, self.rule.kind_of, self.value
            out = {}
            for k, v in value.items():
                key = k if type(k) is str else str(k)
                here = (*path, key)
                if not path and key in reveal:
                    out[k] = v
                    continue
                inner = declared(here) or kind_of(key) or kind
                if type(v) is str:
                    out[k] = mask_kind(inner, v) if inner is not None else mask_text(v, self.known)
                elif v is None or type(v) in (int, float, bool):
                    out[k] = mask_kind(inner, v) if inner is not None else v
                else:
                    out[k] = walk(v, here, inner) if isinstance(v, (dict, list, tuple, Mapping)) else v
            return out
        if isinstance(value, (list, tuple)):
            return [self.value(item, path, kind) if isinstance(item, (dict, list, tuple, Mapping))
                    else (mask_kind(kind, item) if kind is not None
                          else mask_text(item, self.known) if type(item) is str else item)
                    for item in value]
        if kind is not None:
            return mask_kind(kind, value)
        if isinstance(value, str):
            return mask_text(value, self.known)
        return value

    def data(self, data: Mapping[str, Any] | None) -> dict[str, Any] | None:
        """A masked copy of a variables mapping (None stays None)."""
        if data is None:
            return None
        return self.value(dict(data))

    def text(self, text: str | None) -> str | None:
        return mask_text(text, self.known) if text else text

    def event(self, event: Mapping[str, Any]) -> dict[str, Any]:
        """An audit event with personal data masked (masking twice changes nothing more)."""
        out = {}
        for key, value in event.items():
            if key in STRUCTURAL_EVENT_KEYS:
                out[key] = value
            elif key in _VARIABLE_KEYS and isinstance(value, Mapping):
                out[key] = self.value(value)
            else:
                out[key] = self._loose(value, key)
        return out

    def is_personal(self, path: tuple[str, ...], value: Any) -> bool:
        """For the audit trail: is the member of an event at ``path`` personal data? Declared
        variables, plainly named fields, and text in which the detector finds a number."""
        if not path or value is None or (len(path) == 1 and path[0] in STRUCTURAL_EVENT_KEYS):
            return False
        if path[0] in _VARIABLE_KEYS and len(path) > 1 and self.declaration.kind_at(path[1:]):
            return True
        if self.rule.kind_of(path[-1]) is not None:
            return True
        return isinstance(value, str) and _may_hold_numbers(value) and bool(find_personal(value))

    def _loose(self, value: Any, key: str) -> Any:
        """Masking for members that are not variables (decision inputs, parameters): by field name
        and free-text scan only."""
        kind = self.rule.kind_of(key)
        if isinstance(value, Mapping):
            return {k: self._loose(v, str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self._loose(v, key) for v in value]
        if kind is not None:
            return mask_kind(kind, value)
        return mask_text(value, self.known) if isinstance(value, str) else value


# --- the functions earlier versions offered ------------------------------------------


def mask_value(key: str | None, value: Any, rule: MaskingRule = DEFAULT_RULE) -> Any:
    """A masked copy of ``value`` found under field ``key`` (None: no field name), by field names
    and free-text scan (no declaration)."""
    masker = Masker(rule=rule)
    return masker.value(value, (key,) if key else ())


def mask_data(data: Mapping[str, Any] | None, rule: MaskingRule = DEFAULT_RULE) -> dict[str, Any] | None:
    return Masker(rule=rule).data(data)


def mask_event(event: Mapping[str, Any], rule: MaskingRule = DEFAULT_RULE) -> dict[str, Any]:
    return Masker(rule=rule).event(event)
