"""行为规格报告：把 Cucumber JSON 变成一页中文 HTML，告诉政策人员哪些规则通过了。

    python features/report.py                                   # reports/features.json → reports/features.html
    python features/report.py 结果.json 报告.html

``pytest features/`` writes both files itself (see ``features/conftest.py``);
this script rebuilds the page from any Cucumber JSON, e.g. one written with
``pytest features/ --cucumberjson=其他.json``. Only the standard library is used.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any, Iterable

ROOT = Path(__file__).resolve().parents[1]
STATUS = {"passed": ("通过", "pass"), "failed": ("未通过", "fail"), "skipped": ("跳过", "skip")}


def scenario_status(scenario: dict[str, Any]) -> str:
    results = [s.get("result", {}).get("status", "skipped") for s in scenario.get("steps", [])]
    if "failed" in results:
        return "failed"
    if results and all(r == "passed" for r in results):
        return "passed"
    return "skipped"


def _failure(scenario: dict[str, Any]) -> str:
    for step in scenario.get("steps", []):
        message = step.get("result", {}).get("error_message")
        if message:
            lines = [line for line in message.splitlines() if line.strip().startswith("E ")]
            return "\n".join(line.strip()[1:].strip() for line in lines[-6:]) or message[-600:]
    return ""


def _steps(scenario: dict[str, Any]) -> str:
    out = []
    for step in scenario.get("steps", []):
        status = step.get("result", {}).get("status", "skipped")
        out.append(f'<li class="{STATUS.get(status, STATUS["skipped"])[1]}"><b>{escape(step["keyword"].strip())}</b> '
                   f'{escape(step["name"])}</li>')
    return "<ol class=\"steps\">" + "".join(out) + "</ol>"


def render(features: Iterable[dict[str, Any]], generated: datetime | None = None) -> str:
    features = sorted(features, key=lambda f: f.get("uri", ""))
    total = {"passed": 0, "failed": 0, "skipped": 0}
    sections = []
    for feature in features:
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        items = []
        for scenario in feature.get("elements", []):
            status = scenario_status(scenario)
            counts[status] += 1
            label, css = STATUS[status]
            failure = _failure(scenario) if status == "failed" else ""
            tags = " ".join(f'<span class="tag">{escape(t["name"])}</span>' for t in scenario.get("tags", []))
            items.append(
                f'<details class="scenario {css}"{" open" if status == "failed" else ""}>'
                f'<summary><span class="badge {css}">{label}</span> {escape(scenario["name"])} {tags}</summary>'
                f'{_steps(scenario)}'
                + (f'<pre class="why">{escape(failure)}</pre>' if failure else "")
                + "</details>")
        for key in total:
            total[key] += counts[key]
        description = escape((feature.get("description") or "").strip()).replace("\n", "<br>")
        state = "fail" if counts["failed"] else "pass"
        sections.append(
            f'<section class="feature {state}"><h2>{escape(feature["name"])}'
            f' <small>{counts["passed"]}/{sum(counts.values())} 条通过 · {escape(feature.get("uri", ""))}</small></h2>'
            f'<p class="desc">{description}</p>{"".join(items)}</section>')
    when = (generated or datetime.now()).strftime("%Y-%m-%d %H:%M")
    all_count = sum(total.values())
    verdict = "全部规则通过" if all_count and not total["failed"] else f"{total['failed']} 条规则未通过"
    rows = "".join(
        f'<tr class="{"fail" if any(scenario_status(s) == "failed" for s in f.get("elements", [])) else "pass"}">'
        f'<td>{escape(f["name"])}</td><td>{sum(scenario_status(s) == "passed" for s in f.get("elements", []))}</td>'
        f'<td>{sum(scenario_status(s) == "failed" for s in f.get("elements", []))}</td>'
        f'<td>{len(f.get("elements", []))}</td></tr>' for f in features)
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>共治 · 行为规格报告</title>
<style>
body{{font-family:"PingFang SC","Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:2rem auto;max-width:60rem;color:#222;line-height:1.6}}
h1{{margin-bottom:.2rem}} .summary{{font-size:1.2rem;margin:.5rem 0 1.5rem}}
table{{border-collapse:collapse;margin-bottom:2rem}} td,th{{border:1px solid #ccc;padding:.3rem .8rem;text-align:left}}
tr.fail td:first-child{{color:#b00020}} section{{margin:2rem 0}} h2 small{{font-size:.8rem;color:#666;font-weight:normal}}
.desc{{color:#555;white-space:normal}} details{{border-left:4px solid #2e7d32;padding:.2rem .8rem;margin:.4rem 0;background:#f7fbf7}}
details.fail{{border-color:#b00020;background:#fff5f5}} details.skip{{border-color:#999;background:#f5f5f5}}
.badge{{display:inline-block;min-width:3.5rem;text-align:center;border-radius:3px;color:#fff;font-size:.85rem;margin-right:.4rem}}
.badge.pass{{background:#2e7d32}} .badge.fail{{background:#b00020}} .badge.skip{{background:#999}}
.tag{{font-size:.75rem;color:#555;border:1px solid #bbb;border-radius:3px;padding:0 .3rem}}
ol.steps li.fail{{color:#b00020;font-weight:bold}} ol.steps li.skip{{color:#999}} pre.why{{white-space:pre-wrap;color:#b00020}}
</style></head><body>
<h1>共治 · 行为规格报告</h1>
<p>每个“场景”是一条业务规则的例子。绿色表示系统的表现符合规则，红色表示不符合（点开看在哪一步、为什么）。生成时间：{when}</p>
<p class="summary"><b>{verdict}</b>：共 {all_count} 条，通过 {total['passed']} 条，未通过 {total['failed']} 条，跳过 {total['skipped']} 条。</p>
<table><tr><th>功能</th><th>通过</th><th>未通过</th><th>合计</th></tr>{rows}</table>
{"".join(sections)}
</body></html>
"""


def main(argv: list[str]) -> int:
    source = Path(argv[0]) if argv else ROOT / "reports" / "features.json"
    target = Path(argv[1]) if len(argv) > 1 else source.with_suffix(".html")
    features = json.loads(source.read_text(encoding="utf-8"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render(features), encoding="utf-8")
    print(f"已生成 {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
