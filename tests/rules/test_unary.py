"""Unary tests (input entry cells): every supported form."""

from __future__ import annotations

import datetime as dt

import pytest

from gongzhi.rules.feel import FeelError
from gongzhi.rules.unary import parse_unary_tests
from gongzhi.rules.values import parse_duration, to_feel


def matches(cell: str, value: object, **ctx: object) -> bool:
    return parse_unary_tests(cell).matches(to_feel(value), to_feel(dict(ctx)))


@pytest.mark.parametrize(
    ("cell", "value", "expected"),
    [
        ("", 5, True),
        ("-", None, True),
        ("< 5", 4, True),
        ("< 5", 5, False),
        ("<= 5", 5, True),
        ("> 5", 5, False),
        (">= 5", 5, True),
        ("< 5", None, False),  # null comparisons are null: no match
        ("< 5", "4", False),  # type mismatch: no match
        ("[1..5]", 1, True),
        ("[1..5]", 5, True),
        ("(1..5]", 1, False),
        ("]1..5]", 1, False),
        ("[1..5)", 5, False),
        ("[1..5[", 5, False),
        ("]1..5[", 3, True),
        ("[1..5]", 6, False),
        ('"a","b"', "b", True),
        ('"a","b"', "c", False),
        ('not("a","b")', "c", True),
        ('not("a","b")', "a", False),
        ("not(< 5)", 7, True),
        ("not([1..3], 7)", 7, False),
        ("null", None, True),
        ("null", 0, False),
        ("not(null)", 1, True),
        ('"噪音"', "噪音", True),
        ("42", 42, True),
        ("42", 42.0, True),
        ("0.3", 0.3, True),
        ("-1", -1, True),
        ("true", True, True),
        ("false", True, False),
        ("1 + 2", 3, True),
        ("(1 + 2)", 3, True),
        ("[1, 2, 3]", 2, True),  # a list result means membership
        ("? > 3 and ? < 10", 5, True),
        ("? > 3 and ? < 10", 11, False),
        ('starts with(?, "漏")', "漏水", True),
        ("< 5, > 10", 11, True),
        ("< 5, > 10", 7, False),
        ("[true..false]", True, False),  # booleans are not ordered
        ('["a".."c"]', "b", True),
    ],
)
def test_unary_forms(cell: str, value: object, expected: bool) -> None:
    assert matches(cell, value) is expected


@pytest.mark.parametrize(
    ("cell", "value", "expected"),
    [
        ('>= date("2026-01-01")', dt.date(2026, 1, 1), True),
        ('>= date("2026-01-01")', dt.date(2025, 12, 31), False),
        ('[date("2026-01-01")..date("2026-12-31")]', dt.date(2026, 6, 1), True),
        ('date("2026-01-01")', dt.date(2026, 1, 1), True),
        ('< date and time("2026-01-01T12:00:00")', dt.datetime(2026, 1, 1, 11, 59), True),
        ('date and time("2026-01-01T12:00:00")', dt.datetime(2026, 1, 1, 12, 0), True),
        ('>= duration("P3D")', parse_duration("P4D"), True),
        ('duration("P3D")', parse_duration("PT72H"), True),
        ('< duration("P3D")', parse_duration("P3D"), False),
        ('>= date("2026-01-01")', dt.datetime(2026, 1, 2), False),  # date and time is not a date
    ],
)
def test_temporal_unary_tests(cell: str, value: object, expected: bool) -> None:
    assert matches(cell, value) is expected


def test_endpoints_may_reference_other_inputs() -> None:
    assert matches("< limit", 3, limit=5)
    assert not matches("< limit", 7, limit=5)
    assert matches("[low..high]", 3, low=1, high=3)
    assert matches("threshold", 8, threshold=8)


def test_cell_reports_its_literals_and_names() -> None:
    tests = parse_unary_tests('"a", < limit, [1..5]')
    assert tests.literals == ["a", 1, 5]
    assert tests.names == {"limit"}
    assert parse_unary_tests("-").is_any


@pytest.mark.parametrize("cell", ["[1..", "[1..5", "< ", '"a",', "not(1", "]1..5}", "< 5 5"])
def test_unparsable_cells(cell: str) -> None:
    with pytest.raises(FeelError):
        parse_unary_tests(cell)
