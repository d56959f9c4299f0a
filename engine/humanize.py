"""Plain Chinese for people: one set of helpers for everything a person reads.

Instructions templates use them as filters (``{{ "PT1H" | within }}`` reads "1 小时内",
``{{ sign_deadline | beijing }}`` "12月6日 17:30"), notices, reports, CSV exports and the demo call them directly:

- ``duration`` / ``within``: ISO 8601 durations and counts of working days —
  "30 分钟", "1 小时内", "3 个工作日内"; ``schedule`` reads repeating intervals
  ("每季度");
- ``beijing``: a moment in Beijing time, "12月6日 17:30", with the year when it
  is not this year ("2027年1月4日 09:00");
- ``percent``: a ratio as "100%"; ``plain``: any value ("无" for no value,
  是/否, lists joined with "、");
- ``name_of``: a department, group or region code as its Chinese name, from the
  directories registered with :func:`register_names` (the whistle plugin
  registers its organisation directory).

Codes stay in data and APIs; only what people read goes through here.
"""

from __future__ import annotations

import re
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable, Iterable, Iterator

from .spiff.iso8601 import Duration, ISOFormatError, parse_duration

__all__ = ["CST", "NONE", "duration", "within", "working_days", "beijing", "percent", "plain", "schedule",
           "cell", "sentence", "reference_time", "name_of", "names_of", "register_names", "looks_like_machine_text", "TEMPLATE_FILTERS"]

CST = timezone(timedelta(hours=8), "Asia/Shanghai")
NONE = "无"

_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DURATION = re.compile(r"P(?!$)(?:\d+(?:[.,]\d+)?[YMWD])*(?:T(?=\d)(?:\d+(?:[.,]\d+)?[HMS])*)?")
_REPEAT = re.compile(r"R\d*/.+")
# How people name the usual schedules; other intervals read "每 N 个月" and so on.
_SCHEDULES = {"P1M": "每月", "P3M": "每季度", "P6M": "每半年", "P1Y": "每年", "P1W": "每周", "P1D": "每天"}
_UNIT_WORDS = (("years", "年"), ("months", "个月"), ("weeks", "周"), ("days", "天"), ("hours", "小时"),
               ("minutes", "分钟"), ("seconds", "秒"))


# --- durations -------------------------------------------------------------------------------------


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def duration(value: Any, working: bool = False) -> str:
    """"1 小时", "30 分钟", "1 天 2 小时"; a number is days ("3 个工作日" with ``working``).

    A value that is not a duration is shown as it is (see :func:`plain`)."""
    if value is None or value == "":
        return NONE
    if isinstance(value, bool):
        return plain(value)
    if isinstance(value, (int, float)):
        return f"{_number(value)} 个工作日" if working else f"{_number(value)} 天"
    if isinstance(value, timedelta):
        value = Duration(days=value.days, seconds=value.seconds)
    if isinstance(value, str):
        try:
            value = parse_duration(value)
        except ISOFormatError:
            return value
    if not isinstance(value, Duration):
        return plain(value)
    parts = [f"{_number(getattr(value, unit))} {word}" for unit, word in _UNIT_WORDS if getattr(value, unit)]
    if working and parts and not any(getattr(value, u) for u in ("years", "months", "weeks", "days")):
        return " ".join(parts).replace("小时", "个工作小时")
    if working and value.days and not any(getattr(value, u) for u in ("years", "months", "weeks")):
        parts[0] = f"{_number(value.days)} 个工作日"
    return " ".join(parts) or "0 分钟"


def within(value: Any, working: bool = False) -> str:
    """"1 小时内", "3 个工作日内"."""
    text = duration(value, working)
    return text if text == NONE else text + "内"


def working_days(value: Any) -> str:
    """"3 个工作日"."""
    return duration(value, working=True)


def schedule(value: Any) -> str:
    """A repeating interval as people say it: ``R/P3M`` → "每季度", ``R3/PT1H`` → "每 1 小时，共 3 次"."""
    if not isinstance(value, str) or not _REPEAT.fullmatch(value.strip().upper()):
        return plain(value)
    head, _, rest = value.strip().upper().partition("/")
    period = rest.split("/")[-1] if rest.split("/")[-1].startswith("P") else rest.split("/")[0]
    try:
        text = _SCHEDULES.get(period) or f"每 {duration(parse_duration(period))}"
    except ISOFormatError:
        return value
    return f"{text}，共 {head[1:]} 次" if head[1:] else text


_REFERENCE: ContextVar[datetime | None] = ContextVar("gongzhi_humanize_now", default=None)


@contextmanager
def reference_time(now: datetime) -> Iterator[None]:
    """Read "this year" from ``now`` (e.g. an engine's clock) instead of today, inside the block."""
    token = _REFERENCE.set(now)
    try:
        yield
    finally:
        _REFERENCE.reset(token)


# --- moments ---------------------------------------------------------------------------------------


def _moment(value: Any) -> datetime | date | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if _TIMESTAMP.fullmatch(text):
                moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
                return moment if moment.tzinfo else moment.replace(tzinfo=CST)
            if _DATE.fullmatch(text):
                return date.fromisoformat(text)
        except ValueError:
            return None
    return None


def beijing(value: Any, now: datetime | None = None) -> str:
    """A moment in Beijing time: "12月6日 17:30", or "2027年1月4日 09:00" when not in ``now``'s year
    (default: today). A date alone reads "12月6日"; text that is no moment is shown as it is."""
    if value is None or value == "":
        return NONE
    moment = _moment(value)
    if moment is None:
        return plain(value)
    this_year = (now or _REFERENCE.get() or datetime.now(timezone.utc)).astimezone(CST).year
    if isinstance(moment, datetime):
        local = moment.astimezone(CST)
        day, clock = local.date(), f" {local:%H:%M}"
    else:
        day, clock = moment, ""
    prefix = f"{day.year}年" if day.year != this_year else ""
    return f"{prefix}{day.month}月{day.day}日{clock}"


# --- numbers and values ------------------------------------------------------------------------------


def percent(value: Any, digits: int = 1) -> str:
    """A ratio as a percentage: 1.0 → "100%", 0.125 → "12.5%"; no value → "无"."""
    if value is None or value == "" or isinstance(value, bool):
        return NONE if not isinstance(value, bool) else plain(value)
    try:
        number = round(float(value) * 100, digits)
    except (TypeError, ValueError):
        return plain(value)
    return f"{_number(number)}%"


def plain(value: Any) -> str:
    """Any value as a person reads it: "无", 是/否, Beijing times, durations, lists joined with "、"."""
    if value is None or value == "" or value == [] or value == {}:
        return NONE
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return _number(round(value, 2))
    if isinstance(value, (datetime, date)):
        return beijing(value)
    if isinstance(value, (list, tuple)):
        return "、".join(plain(v) for v in value)
    if isinstance(value, dict):
        return "，".join(plain(v) for v in value.values())
    if isinstance(value, str):
        text = value.strip()
        if _TIMESTAMP.fullmatch(text) or _DATE.fullmatch(text):
            return beijing(text)
        if _REPEAT.fullmatch(text.upper()):
            return schedule(text)
        if _ISO_DURATION.fullmatch(text.upper()):
            return duration(text)
    return str(value)


def cell(value: Any, ratio: bool = False) -> str:
    """A report cell for people (CSV exports): empty for no value, ratios as percentages, 是/否."""
    if value is None:
        return ""
    if ratio:
        return percent(value)
    if isinstance(value, (int, str)) and not isinstance(value, bool) and not (
            isinstance(value, str) and (_TIMESTAMP.fullmatch(value) or _ISO_DURATION.fullmatch(value.upper()))):
        return str(value)
    return plain(value)


_EMBEDDED = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?"
    r"|(?<![A-Za-z0-9])R\d*/P[0-9TYMWDHS.]+(?![A-Za-z0-9])"
    r"|(?<![A-Za-z0-9])P(?:T?\d+[YMWDHS])+(?![A-Za-z0-9])")


def sentence(text: str) -> str:
    """``text`` with every ISO time, duration or repeating interval inside it in plain Chinese
    (for notices whose text a script put together)."""
    return _EMBEDDED.sub(lambda m: plain(m.group(0)), text) if isinstance(text, str) else plain(text)


def looks_like_machine_text(text: str) -> list[str]:
    """ISO timestamps, ISO durations and repeating intervals found inside ``text`` (for tests and checks)."""
    found = re.findall(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)
    found += re.findall(r"(?<![A-Za-z0-9])R\d*/P[0-9TYMWDHS.]+", text)
    found += [m for m in re.findall(r"(?<![A-Za-z0-9])P(?:T?\d+[YMWDHS])+(?![A-Za-z0-9])", text)]
    return found


# --- names from the directory -------------------------------------------------------------------------

Lookup = Callable[[str], "str | None"]
_LOOKUPS: dict[str, Lookup] = {}
_LOCK = threading.Lock()


def register_names(key: str, lookup: Lookup) -> None:
    """Register (or replace, by ``key``) a function from a code to its Chinese name, or None."""
    with _LOCK:
        _LOOKUPS[key] = lookup


def name_of(code: Any) -> str:
    """A department, group or region code as its Chinese name; unknown codes are shown as they are."""
    if code is None or code == "":
        return NONE
    if isinstance(code, (list, tuple)):
        return "、".join(names_of(code))
    text = str(code)
    for lookup in list(_LOOKUPS.values()):
        found = lookup(text)
        if found:
            return found
    return text


def names_of(codes: Iterable[Any] | None) -> list[str]:
    """Each code's Chinese name (for ``{{ codes | names | join('、') }}``)."""
    return [name_of(c) for c in codes or ()]


# Filters every instructions template may use (see ``gongzhi.sandbox.templates``).
TEMPLATE_FILTERS: dict[str, Callable[..., Any]] = {
    "duration": duration, "within": within, "working_days": working_days, "beijing": beijing,
    "percent": percent, "plain": plain, "schedule": schedule, "name": name_of, "names": names_of,
}
