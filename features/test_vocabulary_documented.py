"""The step vocabulary and its documentation stay in step.

- every step template declared with ``词`` appears in ``features/README.md`` in a step table;
- every template documented there exists (no stale documentation);
- every example in those tables matches exactly one template (so examples are real and unambiguous);
- no step bypasses ``词`` (a raw pytest-bdd decorator would escape this check).
"""

from __future__ import annotations

import importlib
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
PACKAGE = "gongzhi_features_steps"  # loaded by features/conftest.py
CODE = re.compile(r"`([^`]+)`")


def vocabulary():
    for path in sorted((HERE / "steps").glob("*.py")):
        if path.stem != "__init__":
            importlib.import_module(f"{PACKAGE}.{path.stem}")
    return sys.modules[f"{PACKAGE}.vocabulary"]


def documented_rows() -> list[tuple[str, str]]:
    """(template, example) from every README table whose header starts with 步骤 | 例子."""
    rows, in_table = [], False
    for line in (HERE / "README.md").read_text(encoding="utf-8").splitlines():
        if line.startswith("| 步骤 | 例子"):
            in_table = True
            continue
        if not line.startswith("|"):
            in_table = False
            continue
        if not in_table or line.startswith("| ---"):
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line)[1:-1]]
        template, example = (CODE.search(cells[0]), CODE.search(cells[1]))
        assert template and example, f"README 表格行缺少代码格式的步骤或例子：{line}"
        rows.append((template.group(1), example.group(1)))
    return rows


def test_every_step_is_documented() -> None:
    templates = vocabulary().TEMPLATES
    documented = {t for t, _ in documented_rows()}
    missing = [t for t in templates if t not in documented]
    assert not missing, "features/README.md 没有记载这些步骤（请在步骤词典里各加一行，附例子）：\n" + "\n".join(missing)


def test_every_documented_step_exists() -> None:
    templates = set(vocabulary().TEMPLATES)
    stale = [t for t, _ in documented_rows() if t not in templates]
    assert not stale, "README 记载了不存在的步骤：\n" + "\n".join(stale)


def test_every_example_matches_exactly_one_step() -> None:
    v = vocabulary()
    patterns = {t: re.compile(v.template_regex(t)) for t in v.TEMPLATES}
    problems = []
    for template, example in documented_rows():
        matches = [t for t, p in patterns.items() if p.fullmatch(example)]
        if matches != [template]:
            problems.append(f"例子“{example}”（写在“{template}”下）匹配的步骤是：{matches or '无'}")
    assert not problems, "\n".join(problems)


def test_steps_are_declared_with_the_vocabulary() -> None:
    raw = re.compile(r"^\s*@(?:given|when|then|step)\(", re.MULTILINE)
    offenders = [p.name for p in (HERE / "steps").glob("*.py") if raw.search(p.read_text(encoding="utf-8"))]
    assert not offenders, f"这些文件绕过 @词 声明步骤，文档检查看不到它们：{offenders}"
