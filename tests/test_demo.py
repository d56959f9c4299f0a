"""``gongzhi demo`` runs the bundled stories for real and tells them from the audit trail."""

from __future__ import annotations

from click.testing import CliRunner

from gongzhi.cli import main


def test_demo_tells_the_whistle_story() -> None:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    out = result.output
    # Read back from the audit trail: who did what, in order.
    sign = out.index("生态环境分局 刘科长 完成「签收或退单」")
    overrule = out.index("东湖街道吹哨中心 完成「街道异议审核」（审核结论：驳回退单")
    closed = out.index("网格员小李 办结")
    assert sign < overrule < closed
    assert "规则判定「推荐承办部门」：命中 route_smoke" in out
    # The month's figures follow, with Chinese headings: both departments answered, one return overruled.
    figures = out[out.index("吹哨报到·部门考核"):]
    assert "部门 | 响应率 | 按时签收率 | 办结率" in figures
    assert "生态环境分局 | 1.0 | 1.0 | 1.0" in figures and "市场监管局 | 1.0 | 0.0 | 1.0" in figures
