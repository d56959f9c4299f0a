"""The built-in functions of DMN 1.5 §10.3.4, each with the spec's examples and its null cases.

A built-in given arguments of the wrong type answers null (at run time) or is
refused at load time (when every argument is a constant): both are checked.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from gongzhi.rules.compile import compile_text
from gongzhi.rules.feel import FeelError
from gongzhi.rules.functions import BUILTINS
from gongzhi.rules.limits import Run, running
from gongzhi.rules.values import YearMonthDuration, to_feel, to_python


def feel(text: str, **ctx: object) -> object:
    return to_python(compile_text(text).fn(to_feel(ctx)))


def at_run_time(call: str, *args: object) -> object:
    """Evaluate ``call`` with its arguments as variables, so nothing is folded at load time."""
    names = [f"a{i}" for i in range(len(args))]
    return feel(f"{call}({', '.join(names)})", **dict(zip(names, args, strict=True)))


CONVERSION = [
    ('date("2012-12-25") - date("2012-12-24") = duration("P1D")', True),
    ('date(date and time("2012-12-25T11:00:00Z"))', dt.date(2012, 12, 25)),
    ("date(2012, 12, 25)", dt.date(2012, 12, 25)),
    ('date and time("2012-12-24T23:59:00") + duration("PT1M")', dt.datetime(2012, 12, 25)),
    ('date and time(date("2012-12-24"), time("23:59:00"))', dt.datetime(2012, 12, 24, 23, 59)),
    ('time("23:59:00z") + duration("PT2M")', dt.time(0, 1, tzinfo=dt.UTC)),
    ('time(date and time("2012-12-25T11:00:00Z"))', dt.time(11, tzinfo=dt.UTC)),
    ('time(23, 59, 0, duration("PT1H"))', dt.time(23, 59, tzinfo=dt.timezone(dt.timedelta(hours=1)))),
    ("time(14, 30, 15.5)", dt.time(14, 30, 15, 500000)),
    ('number("1 000,0", " ", ",")', 1000),
    ('number("1,000.25", ",", ".")', 1000.25),
    ('number("12")', 12),
    ("string(1.1)", "1.1"),
    ("string(null)", None),
    ('string(date("2012-12-25"))', "2012-12-25"),
    ('string(duration("P1DT2H"))', "P1DT2H"),
    ("string([1, 2])", "[1, 2]"),
    ('string({a: "x"})', '{a: "x"}'),
    ('duration("P1DT23H12M30S")', dt.timedelta(days=1, hours=23, minutes=12, seconds=30)),
    ('duration("P2Y2M")', YearMonthDuration(26)),
    ('duration("P26M")', YearMonthDuration(26)),
    ('duration("PT0.5S")', dt.timedelta(milliseconds=500)),
    ('years and months duration(date("2011-12-22"), date("2013-08-24"))', YearMonthDuration(20)),
]

BOOLEAN = [
    ("not(true)", False),
    ("not(null)", None),
    ('is(date("2012-12-25"), time("23:00:50"))', False),
    ('is(date("2012-12-25"), date("2012-12-25"))', True),
    ('is(time("23:00:50z"), time("23:00:50"))', False),  # same clock, one has an offset
    ('is(time("10:00:00+01:00"), time("09:00:00Z"))', False),  # same instant, different offsets
]

STRING = [
    ('substring("foobar", 3)', "obar"),
    ('substring("foobar", -2, 1)', "a"),
    ('substring("\U0001F40Eab", 2)', "ab"),  # positions count code points
    ('string length("foo")', 3),
    ('upper case("aBc4")', "ABC4"),
    ('lower case("aBc4")', "abc4"),
    ('substring before("foobar", "bar")', "foo"),
    ('substring before("foobar", "xyz")', ""),
    ('substring after("foobar", "ob")', "ar"),
    ('substring after("", "a")', ""),
    ('replace("abcd", "(ab)|(a)", "[1=$1][2=$2]")', "[1=ab][2=]cd"),
    ('replace("a.b.c", ".", "-", "q")', "a-b-c"),  # q: the pattern is literal
    ('replace("Hello", "L", "l", "i")', "Hello".replace("l", "l")),
    ('replace("2026-03-01", "(\\d+)-(\\d+)-(\\d+)", "$3/$2/$1")', "01/03/2026"),
    ('contains("foobar", "of")', False),
    ('starts with("foobar", "fo")', True),
    ('ends with("foobar", "r")', True),
    ('matches("foobar", "^fo*b")', True),
    ('matches("FooBar", "foobar", "i")', True),
    ('matches("a\nb", "a.b")', False),
    ('matches("a\nb", "a.b", "s")', True),
    ('matches("ab\ncd", "^cd", "m")', True),
    ('matches("abc", "a b c", "x")', True),
    ('matches("社区网格", "\\p{IsCJKUnifiedIdeographs}+")', True),  # XML Schema block escapes
    ('matches("b", "^[a-z-[b]]+$")', False),  # XML Schema class subtraction: b is excluded
    ('matches("ac", "^[a-z-[b]]+$")', True),
    ('split("John Doe", "\\s")', ["John", "Doe"]),
    ('split("a;b;c;;", ";")', ["a", "b", "c", "", ""]),
    ('split("a1b22c", "\\d+")', ["a", "b", "c"]),
    ('string join(["a", "b", "c"], "_and_")', "a_and_b_and_c"),
    ('string join(["a", null, "c"])', "ac"),
    ("string join([])", ""),
]

LIST = [
    ("list contains([1, 2, 3], 2)", True),
    ("list contains([1, null], null)", True),
    ("count([1, 2, 3])", 3),
    ("count([])", 0),
    ("min([1, 2, 3])", 1),
    ("min(1)", 1),
    ("min([])", None),
    ("max(1, 2, 3)", 3),
    ('max(["a", "c", "b"])', "c"),
    ("sum([1, 2, 3])", 6),
    ("sum(1)", 1),
    ("sum([])", None),
    ("mean([1, 2, 3])", 2),
    ("mean(1, 2, 3)", 2),
    ("median(8, 2, 5, 3, 4)", 4),
    ("median([6, 1, 2, 3])", 2.5),
    ("median([])", None),
    ("stddev(2, 4, 7, 5) = 2.081665999466132735282297706979931", True),
    ("stddev([47])", None),
    ("mode(6, 3, 9, 6, 6)", [6]),
    ("mode([6, 1, 9, 6, 1])", [1, 6]),
    ("mode([])", []),
    ("all([false, null, true])", False),
    ("all(true)", True),
    ("all([])", True),
    ("all(0)", None),
    ("any([false, null, true])", True),
    ("any(false)", False),
    ("any([])", False),
    ("any(0)", None),
    ("sublist([4, 5, 6], 1, 2)", [4, 5]),
    ("sublist([4, 5, 6], -1)", [6]),
    ("append([1], 2, 3)", [1, 2, 3]),
    ("concatenate([1, 2], [3])", [1, 2, 3]),
    ("insert before([1, 3], 1, 2)", [2, 1, 3]),
    ("insert before([1, 3], -1, 2)", [1, 2, 3]),
    ("remove([1, 2, 3], 2)", [1, 3]),
    ("reverse([1, 2, 3])", [3, 2, 1]),
    ("index of([1, 2, 3, 2], 2)", [2, 4]),
    ("union([1, 2], [2, 3])", [1, 2, 3]),
    ("distinct values([1, 2, 3, 2, 1])", [1, 2, 3]),
    ('distinct values([{a: 1}, {a: 1}, {a: 2}])', [{"a": 1}, {"a": 2}]),
    ("flatten([[1, 2], [[3]], 4])", [1, 2, 3, 4]),
    ("product([2, 3, 4])", 24),
    ("product(2, 3, 4)", 24),
    ("product([])", None),
    ("sort(list: [3, 1, 4, 5, 2], precedes: function(x, y) x < y)", [1, 2, 3, 4, 5]),
    ("sort([3, 1, 2])", [1, 2, 3]),
    ("list replace([2, 4, 7, 8], 3, 6)", [2, 4, 6, 8]),
    ("list replace([2, 4, 7, 8], function(item, newItem) item < newItem, 5)", [5, 5, 7, 8]),
]

NUMERIC = [
    ("decimal(1/3, 2)", 0.33),
    ("decimal(1.5, 0)", 2),
    ("decimal(2.5, 0)", 2),  # half even
    ("decimal(1.035, 2)", 1.04),
    ("floor(1.5)", 1),
    ("floor(-1.56, 1)", -1.6),
    ("ceiling(1.5)", 2),
    ("ceiling(-1.56, 1)", -1.5),
    ("round up(5.5, 0)", 6),
    ("round up(-5.5, 0)", -6),
    ("round up(1.121, 2)", 1.13),
    ("round down(5.5, 0)", 5),
    ("round down(-1.126, 2)", -1.12),
    ("round half up(5.5, 0)", 6),
    ("round half up(-5.5, 0)", -6),
    ("round half up(1.125, 2)", 1.13),
    ("round half down(5.5, 0)", 5),
    ("round half down(-1.126, 2)", -1.13),
    ("abs(10)", 10),
    ("abs(-10)", 10),
    ('abs(duration("-PT5H"))', dt.timedelta(hours=5)),
    ("modulo(12, 5)", 2),
    ("modulo(-12, 5)", 3),
    ("modulo(12, -5)", -3),
    ("modulo(-12, -5)", -2),
    ("modulo(10.1, 4.5)", 1.1),
    ("modulo(-10.1, 4.5)", 3.4),
    ("sqrt(16)", 4),
    ("log(10) > 2.302585", True),
    ("exp(5) > 148.41315", True),
    ("odd(5)", True),
    ("odd(2)", False),
    ("even(5)", False),
    ("even(2)", True),
]

TEMPORAL = [
    ('day of year(date(2019, 9, 17))', 260),
    ('day of week(date(2019, 9, 17))', "Tuesday"),
    ('month of year(date(2019, 9, 17))', "September"),
    ('week of year(date(2019, 9, 17))', 38),
    ('week of year(date(2003, 12, 29))', 1),
    ('week of year(date(2005, 1, 1))', 53),
    ("today() instance of date", True),
    ("now() instance of date and time", True),
]

RANGES = [
    ("before(1, 10)", True),
    ("before(10, 1)", False),
    ("before(1, [2..5])", True),
    ("before(1, (1..5])", True),
    ("before(1, [1..5])", False),
    ("before([1..5], 10)", True),
    ("before([1..5), 5)", True),
    ("before([1..5], [6..8])", True),
    ("before([1..5), [5..8])", True),
    ("before([1..5], [5..8])", False),
    ("after(10, 1)", True),
    ("after(12, [2..5])", True),
    ("after([5..8], [1..5))", True),
    ("meets([1..5], [5..8])", True),
    ("meets([1..5), [5..8])", False),
    ("met by([5..8], [1..5])", True),
    ("overlaps([1..5], [3..8])", True),
    ("overlaps([1..5], [6..8])", False),
    ("overlaps([1..5], [5..8])", True),
    ("overlaps([1..5), [5..8])", False),
    ("overlaps before([1..5], [3..8])", True),
    ("overlaps before([1..5], [6..8])", False),
    ("overlaps after([3..8], [1..5])", True),
    ("finishes(5, [1..5])", True),
    ("finishes(5, [1..5))", False),
    ("finishes([3..5], [1..5])", True),
    ("finished by([1..5], 5)", True),
    ("finished by([1..5], [3..5])", True),
    ("includes([1..10], 5)", True),
    ("includes([1..10), 10)", False),
    ("includes([1..10], [4..6])", True),
    ("includes([1..10], (1..10))", True),
    ("during(5, [1..10])", True),
    ("during([4..6], [1..10])", True),
    ("during([1..10], [1..10))", False),
    ("starts(1, [1..5])", True),
    ("starts(1, (1..8])", False),
    ("starts([1..5], [1..8])", True),
    ("started by([1..10], 1)", True),
    ("started by([1..10], [1..5])", True),
    ("coincides(5, 5)", True),
    ("coincides([1..5], [1..5])", True),
    ("coincides([1..5], (1..5])", False),
    ('before(@"2026-01-01", [@"2026-02-01"..@"2026-03-01"])', True),
    ("includes(> 5, 10)", True),  # an unbounded range
    ("before(< 5, [6..8])", True),
    ('range("[1..10)") = [1..10)', True),
]

CONTEXT = [
    ('get value({key1: "value1"}, "key1")', "value1"),
    ('get value({key1: "value1"}, "unexistent-key")', None),
    ('get value({a: {b: 1}}, ["a", "b"])', 1),
    ("get entries({key1: \"value1\", key2: \"value2\"})",
     [{"key": "key1", "value": "value1"}, {"key": "key2", "value": "value2"}]),
    ('context put({x: 1}, "y", 2)', {"x": 1, "y": 2}),
    ('context put({x: 1, y: 0}, "y", 2)', {"x": 1, "y": 2}),  # replaces, keeping the position
    ('context put({x: 1, y: {a: 0}}, ["y", "a"], 2)', {"x": 1, "y": {"a": 2}}),
    ("context merge([{x: 1}, {y: 2}])", {"x": 1, "y": 2}),
    ("context merge([{x: 1, y: 0}, {y: 2}])", {"x": 1, "y": 2}),
    ('context([{key: "a", value: 1}, {key: "b", value: 2}])', {"a": 1, "b": 2}),
]


@pytest.mark.parametrize(
    ("text", "expected"), CONVERSION + BOOLEAN + STRING + LIST + NUMERIC + TEMPORAL + RANGES + CONTEXT
)
def test_builtin(text: str, expected: object) -> None:
    assert feel(text) == expected


@pytest.mark.parametrize(
    ("call", "args"),
    [
        ("date", ("2026-02-30",)),
        ("number", ("12a",)),
        ("number", ("1,000", ",", ",")),  # the same separator twice
        ("substring", ("abc", 0)),
        ("string length", (5,)),
        ("upper case", (None,)),
        ("matches", ("abc", "[")),  # an invalid pattern
        ("matches", ("abc", "a", "z")),  # an invalid flag
        ("replace", ("abc", "x*", "y")),  # a pattern that matches the empty string
        ("sum", ([1, "a"],)),
        ("min", ([1, "a"],)),
        ("mean", ([],)),
        ("sublist", ([1, 2], 3)),
        ("remove", ([1, 2], 5)),
        ("decimal", (Decimal("1.5"), Decimal("0.5"))),
        ("modulo", (Decimal(1), Decimal(0))),
        ("sqrt", (Decimal(-1),)),
        ("log", (Decimal(0),)),
        ("odd", (Decimal("1.5"),)),
        ("day of week", ("2026-01-01",)),
        ("get value", ("not a context", "a")),
        ("context merge", ([{"a": 1}, 2],)),
        ("years and months duration", ("2020-01-01", "2021-01-01")),
        ("overlaps", (1, 2)),
        ("before", (1, "a")),  # endpoints that do not compare
        ("context", ([{"key": "a", "value": 1}, {"key": "a", "value": 2}],)),  # duplicate keys
    ],
)
def test_bad_arguments_give_null(call: str, args: tuple[object, ...]) -> None:
    assert at_run_time(call, *args) is None


@pytest.mark.parametrize("text", ['date("2026-02-30")', 'number("12a")', 'matches("a", "[")', "sqrt(-1)"])
def test_bad_constant_arguments_are_load_errors(text: str) -> None:
    with pytest.raises(FeelError):
        compile_text(text)


def test_every_builtin_of_the_spec_is_registered() -> None:
    spec = {
        "date", "time", "date and time", "number", "string", "duration", "years and months duration", "not", "is",
        "substring", "string length", "upper case", "lower case", "substring before", "substring after", "replace",
        "contains", "starts with", "ends with", "matches", "split", "string join", "list contains", "count", "min",
        "max", "sum", "mean", "median", "stddev", "mode", "all", "any", "sublist", "append", "concatenate",
        "insert before", "remove", "reverse", "index of", "union", "distinct values", "flatten", "product", "sort",
        "list replace", "decimal", "floor", "ceiling", "round up", "round down", "round half up",
        "round half down", "abs", "modulo", "sqrt", "log", "exp", "odd", "even", "day of year", "day of week",
        "month of year", "week of year", "now", "today", "before", "after", "meets", "met by", "overlaps",
        "overlaps before", "overlaps after", "finishes", "finished by", "includes", "during", "starts",
        "started by", "coincides", "range", "get value", "get entries", "context", "context put", "context merge",
    }  # fmt: skip
    assert spec <= set(BUILTINS)


def test_now_reads_the_evaluation_clock() -> None:
    fixed = dt.datetime(2026, 3, 1, 9, 30, tzinfo=dt.UTC)
    with running(Run(now=fixed)):
        assert compile_text("now()").fn({}) == fixed
        assert compile_text("today()").fn({}) == dt.date(2026, 3, 1)
    assert not compile_text("today()").const  # never folded at load time
