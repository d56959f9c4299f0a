"""FEEL expressions: parsing, constant folding and evaluation semantics."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gongzhi.rules.compile import compile_text
from gongzhi.rules.feel import FeelError, FeelSyntaxError, names_in, parse_expression
from gongzhi.rules.values import YearMonthDuration, to_feel, to_python


def feel(text: str, **ctx: object) -> object:
    """Evaluate with caller values brought into FEEL at the boundary, as model.evaluate does."""
    return to_python(compile_text(text).fn(to_feel(ctx)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0.1 + 0.2 = 0.3", True),
        ("0.1 + 0.2", 0.3),
        ("1 + 2 * 3", 7),
        ("(1 + 2) * 3", 9),
        ("10 / 4", 2.5),
        ("2 ** 10", 1024),
        ("-2 ** 2", 4),  # FEEL: negation binds tighter than **
        ("2 ** 3 ** 2", 512),  # ** is right-associative
        ("7 - 2 - 1", 4),
        ("1 / 0", None),
        ('"共" + "治"', "共治"),
        ('"a" + 1', None),
        ("1 < 2 and 2 < 3", True),
        ("1 > 2 or 3 > 2", True),
        ("null < 5", None),
        ("null = null", True),
        ("null = 1", False),
        ('1 = "1"', None),
        ("1 != 2", True),
        ('if 1 > 2 then "是" else "否"', "否"),
        ("if null then 1 else 2", 2),
        ("[1, 2, 3]", [1, 2, 3]),
        ("true and null", None),
        ("false and null", False),
        ("true or null", True),
        ("not(true)", False),
        ("not(5)", None),
    ],
)
def test_constant_expressions(text: str, expected: object) -> None:
    assert feel(text) == expected


def test_integral_results_become_int_and_fractions_float() -> None:
    assert type(feel("2.0 * 3")) is int
    assert type(feel("1 / 3")) is float


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('date("2026-01-01") + duration("P3D")', dt.date(2026, 1, 4)),
        ('date("2026-01-31") + duration("P1M")', dt.date(2026, 2, 28)),
        ('date("2026-03-01") - date("2026-02-01")', dt.timedelta(days=28)),
        ('date and time("2026-01-01T08:00:00") + duration("PT90M")', dt.datetime(2026, 1, 1, 9, 30)),
        ('date("2026-05-01") > date("2026-04-30")', True),
        ('duration("P1D") * 2', dt.timedelta(days=2)),
        ('duration("P1Y2M")', YearMonthDuration(14)),
        ('@"2026-01-01"', dt.date(2026, 1, 1)),
        ('@"10:30:00"', dt.time(10, 30)),
        ('date("2026-06-15").month', 6),
        ('time("09:15:00").minute', 15),
        ("date(2026, 2, 3)", dt.date(2026, 2, 3)),
        ('date(date and time("2026-02-03T10:00:00"))', dt.date(2026, 2, 3)),
    ],
)
def test_temporal_expressions(text: str, expected: object) -> None:
    assert feel(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("string(1.50)", "1.5"),
        ("string(100)", "100"),
        ('number("12.5") + 1', 13.5),
        ("min([3, 1, 2])", 1),
        ("max(3, 9, 2)", 9),
        ("sum([0.1, 0.2])", 0.3),
        ("count([1, 2, 3])", 3),
        ("mean([1, 2, 3, 4])", 2.5),
        ('contains("社区网格员", "网格")', True),
        ('starts with("漏水报修", "漏水")', True),
        ('ends with("漏水报修", "漏水")', False),
        ('string length("共治")', 2),
        ('upper case("abc")', "ABC"),
        ('substring("共治引擎", 3)', "引擎"),
        ('substring("共治引擎", -2, 1)', "引"),
        ('list contains(["a", "b"], "b")', True),
        ("abs(-3)", 3),
        ("floor(2.7)", 2),
        ("ceiling(2.1)", 3),
        ("decimal(2.345, 2)", 2.34),  # half-even
        ("all([true, true])", True),
        ("any([false, null])", None),
    ],
)
def test_builtins(text: str, expected: object) -> None:
    assert feel(text) == expected


def test_names_and_paths_read_the_context() -> None:
    assert feel("case.category", case={"category": "噪音"}) == "噪音"
    assert feel("case.address.street", case={"address": {"street": "东街"}}) == "东街"
    assert feel("case.missing", case={}) is None
    assert feel("amount * 0.1", amount=250) == 25
    assert feel('类别 + "类"', 类别="噪音") == "噪音类"  # unicode names
    assert feel("items.price", items=[{"price": 1}, {"price": 2}]) == [1, 2]


def test_python_floats_enter_as_exact_decimals() -> None:
    assert feel("x + y = 0.3", x=0.1, y=0.2) is True


def test_runtime_builtin_errors_yield_null() -> None:
    assert feel("date(s)", s="not a date") is None
    assert feel("number(s)", s="abc") is None


def test_constant_builtin_errors_are_compile_errors() -> None:
    with pytest.raises(FeelError, match="date"):
        compile_text('date("2026-13-01")')
    with pytest.raises(FeelError, match="duration"):
        compile_text('duration("3 days")')


@pytest.mark.parametrize(
    "text",
    ["1 +", "(1 + 2", '"unterminated', "if 1 then 2", "a..b", "1 # 2", "then", ""],
)
def test_syntax_errors(text: str) -> None:
    with pytest.raises(FeelError):
        compile_text(text)


def test_unknown_function_and_arity_are_rejected() -> None:
    with pytest.raises(FeelError, match="unknown function 'frob'"):
        compile_text("frob(1)")
    with pytest.raises(FeelError, match="argument"):
        compile_text('contains("a")')


def test_syntax_error_reports_column() -> None:
    with pytest.raises(FeelSyntaxError, match="column 5"):
        parse_expression("1 + )")


def test_names_in_reports_root_names() -> None:
    node = parse_expression('case.category + string(count(items)) + "x"')
    assert names_in(node) == {"case", "items"}


def test_decimal_overflow_is_null() -> None:
    huge = Decimal("9E+999999")
    assert feel("x * x", x=huge) is None
    assert feel("x + 1", x=huge) == float("inf")  # beyond float range; never a million-digit int
    assert feel("9 ** 9999999999") is None


def test_constants_are_folded_at_compile_time() -> None:
    assert compile_text('date("2026-01-01") + duration("P1D")').const
    assert not compile_text("x + 1").const
    assert compile_text("x + 1").fn({"x": Decimal(1)}) == Decimal(2)
