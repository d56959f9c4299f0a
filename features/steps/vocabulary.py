"""``词``: declare a step by a readable template with Chinese placeholders.

    @词('以 {角色} 身份登录 {地区}')
    def login(world, role, region): ...

Each placeholder has a fixed meaning (``PLACEHOLDERS``: the Python argument it
fills and the text it accepts). Quoted placeholders (``"{任务}"``) take any
text without a double quote. A template ending in ``：`` expects a data table
under the step. Every step works after any keyword (假如/当/那么/并且/但是).

``TEMPLATES`` lists every template, in the order they were declared; the
vocabulary test checks that ``features/README.md`` documents each one.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from pytest_bdd import parsers, step

__all__ = ["词", "TEMPLATES", "PLACEHOLDERS", "template_regex"]

NUMBER = r"-?\d+(?:\.\d+)?"
ANY = r".+?"
# placeholder -> (argument name, regex of the text it accepts)
PLACEHOLDERS: dict[str, tuple[str, str]] = {
    "角色": ("role", r"[^\s\"“”]+?"),
    "地区": ("region", r"[^\s\"“”]+"),
    "流程": ("process", r"[^\"]+"),
    "样例": ("sample", r"[^\"]+"),
    "任务": ("task", r"[^\"]+"),
    "任务列表": ("tasks", r"[^\"]*"),
    "动作": ("action", r"[^\"]+"),
    "编号": ("key", r"[^\"]+"),
    "数量": ("number", NUMBER),
    "时间": ("when", r"\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2})?"),
    "变量": ("name", r"[^\s\"]+"),
    "值": ("value", ANY),
    "文字": ("text", r"[^\"]*"),
    "决策": ("decision", r"[^\"]+"),
    "规则": ("rule", r"[^\"]+"),
    "报表": ("report", r"[^\"]+"),
    "期间": ("period", r"\d{4}(?:-\d{2})?"),
    "行": ("row", r"[^\s\"]+"),
    "指标": ("metric", r"[^\s\"]+"),
    "消息": ("message", r"[^\"]+"),
    "种类": ("kind", r"[^\"]+"),
    "状态": ("status", r"[^\"]+"),
    "部门": ("department", r"[^\s\"]+"),
}

TEMPLATES: list[str] = []


def template_regex(template: str) -> str:
    """The regular expression a template stands for (placeholders become named groups)."""
    out, pos = [], 0
    for match in re.finditer(r"\{([^{}]+)\}", template):
        out.append(re.escape(template[pos:match.start()]))
        name = match.group(1)
        if name not in PLACEHOLDERS:
            raise ValueError(f"步骤模板 {template!r} 用了未定义的占位符 {{{name}}}；可用：{'、'.join(PLACEHOLDERS)}")
        arg, pattern = PLACEHOLDERS[name]
        out.append(f"(?P<{arg}>{pattern})")
        pos = match.end()
    out.append(re.escape(template[pos:]))
    return "".join(out)


class Template(parsers.re):
    """A ``parsers.re`` that remembers the readable template it came from."""

    def __init__(self, template: str) -> None:
        super().__init__(template_regex(template))
        self.template = template
        self.name = template


def 词(template: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a step for every keyword; the fixture lands in the calling module."""
    if template in TEMPLATES:
        raise ValueError(f"步骤模板重复：{template}")
    TEMPLATES.append(template)
    return step(Template(template))
