"""``gongzhi demo`` runs the bundled stories for real and tells them from the audit trail."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from click.testing import CliRunner

from gongzhi import Engine
from gongzhi.api import create_app
from gongzhi.cli import main
from gongzhi.demo import load_demos
from gongzhi.security.tokens import mint_admin

WHISTLE = "══ 吹哨报到"
CONSULTATION = "══ 请你来商量"
PROPERTY = "══ 物业服务质量红黑榜"


@pytest.fixture(scope="module")
def out() -> str:
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code == 0, result.output
    return result.output


def section(out: str, title: str, following: str | None = None) -> str:
    start = out.index(title)
    return out[start:out.index(following, start) if following else len(out)]


def in_order(text: str, *parts: str) -> None:
    """Each part occurs in ``text`` after the previous one."""
    at = 0
    for part in parts:
        found = text.find(part, at)
        assert found >= 0, f"{part!r} not found after position {at}"
        at = found + len(part)


def test_the_stories_run_in_order(out: str) -> None:
    assert out.index(WHISTLE) < out.index(CONSULTATION) < out.index(PROPERTY)


def test_demo_tells_the_whistle_story(out: str) -> None:
    out = section(out, WHISTLE, CONSULTATION)
    # Read back from the audit trail: who did what, in order.
    sign = out.index("生态环境分局 刘科长 完成「签收或退单」")
    overrule = out.index("东湖街道吹哨中心 完成「街道退单审核」（审核结论：驳回退单")
    closed = out.index("网格员小李 办结")
    assert sign < overrule < closed
    # Decisions are told by the rule's description and the outputs' labels, departments by name.
    assert "规则判定「推荐承办部门」：依据「油烟扰民：环保主办，城管、市场监管协办」→ 协办部门：城管执法局、市场监管局；主办部门：生态环境分局" in out
    assert "签收时限（分钟）：60" in out and "签收计时：工作时间" in out and "转办对象：无" in out
    # The month's figures follow, with Chinese headings: both departments answered, one return overruled.
    figures = out[out.index("吹哨报到·部门考核"):]
    assert "部门 | 响应率 | 按时签收率 | 办结率" in figures
    assert "生态环境分局 | 100% | 100% | 100%" in figures and "市场监管局 | 100% | 0% | 100%" in figures


def test_demo_tells_the_community_council_story(out: str) -> None:
    out = section(out, CONSULTATION, PROPERTY)
    in_order(
        out,
        "居民王秀英 发起「社区协商」",
        "规则判定「三会分类」：依据「涉及一个小区（院落）多栋楼的公共事务", "建议会议形式：社区党群议事会",
        "翠苑社区党委书记 完成「审核议题」（审核结论：受理）",
        "翠苑社区党委书记 完成「确认会议形式」（社区党组织意见：同意建议的会议形式）",
        "规则判定「取确认会议形式的议事规则」", "表决前须听取的意见：无",
        # First meeting: 5 of 9 is below two thirds, so no vote and a new notice.
        "完成「会议签到」（实到人数：5）", "达到法定人数：否；至少应到人数：6",
        "完成「发布通知并邀请参会」",
        "完成「会议签到」（实到人数：7）", "达到法定人数：是",
        "表决事项（协商意见）：在 3 处车棚加装 40 个充电桩", "通过：是",
        # An objection during publicity is upheld: a third meeting and a second vote.
        "居民李大爷 收到消息", "完成「异议复核」（复核意见（答复异议人）：异议成立：重新选址后再次表决；异议成立：是）",
        "完成「会议签到」（实到人数：8）",
        "表决事项（协商意见）：在 2 处远离幼儿园的车棚加装 40 个充电桩", "通过：是",
        # A second objection is rejected; publicity runs its course.
        "居民赵先生 收到消息", "维持原方案；异议成立：否）",
        "系统 计时到期「公示期满」",
        "翠苑物业经理 完成「落实实施任务」",
        "居务监督委员会主任 完成「监督检查」（监督意见：车棚缺少消防器材；落实到位：否）",
        "完成「整改落实」",
        "居务监督委员会主任 完成「监督检查」（监督意见：已落实到位；落实到位：是）",
        "居民王秀英 完成「居民满意度评议」（满意度（1–5 分）：5）",
        "居民王秀英 办结",
    )
    assert out.count("达到法定人数：否") == 1 and out.count("完成「会议纪要与表决」") == 3  # two council votes, one hearing
    # A second topic: proposed for the council, made a hearing by the party committee, which hears an expert and,
    # before it may vote, the fire brigade.
    hearing = out[out.index("发起「社区协商」", out.index("居民王秀英 办结")):]
    in_order(
        hearing,
        "建议会议形式：社区党群议事会",
        "完成「确认会议形式」（改为：重大事项论证会；改变理由：涉及地下室结构安全和消防要求",
        "规则判定「取确认会议形式的议事规则」", "表决前须听取的意见：专家、职能部门",
        "完成「会议签到」（实到人数：8）",
        "完成「听取专家和职能部门意见」", "论证意见：陈工（所在单位或身份：区建筑设计院；意见来源：专家",
        "完成「听取专家和职能部门意见」", "刘科长（所在单位或身份：区消防救援大队；意见来源：职能部门",
        "完成「会议纪要与表决」", "依据「重大事项：出席人员三分之二以上同意」", "通过：是",
    )
    # Every decision is told by its rule's own description, never by a rule's number or identifier.
    assert "依据「第" not in out and "DecisionRule" not in out and "=" not in out
    # The figures: the council topic finished, a second topic declined at review.
    figures = out[out.index("▸ 协商议题统计"):]
    in_order(figures, "协商形式 | 三会分类 | 议题状态 | 议题数",
             "社区协商 | 社区党群议事会 | 不予受理 | 1", "社区协商 | 社区党群议事会 | 已办结 | 1",
             "社区协商 | 重大事项论证会 | 实施中 | 1")
    summary = figures[figures.index("▸ 议题办理、实施与满意度"):]
    assert "形成协商意见（件） | 办理时长中位数（天） | 实施任务 | 按期完成 | 实施按时率 | 满意度评议 | 平均分 | 满意率" in summary
    assert summary.splitlines()[2].startswith("  2 | ") and summary.splitlines()[2].endswith(" | 1 | 1 | 100% | 1 | 5 | 100%")


def test_demo_tells_the_red_black_list_story(out: str) -> None:
    out = section(out, PROPERTY)
    in_order(
        out,
        "区住建局房管科 发起「物业服务质量考评（红黑榜）」",
        "系统 后台调用完成「汇总吹哨投诉数据」",
        # 翠苑二区's forms and grade: three complaints filed between the reviews, one closed (80 − 2 × 3).
        "东湖街道物业办 完成「街道治理成效评分」（评分说明：翠苑二区",
        "规则判定「投诉办理得分」", "→ 74",
        "规则判定「定级（红黑榜、星级）」", "榜单：黑榜",
        "区住建局房管科 完成「区住建局审核」（审核意见：请街道复核黑榜小区的现场记录；审核结论：退回街道）",
        "东湖街道物业办 完成「街道审核」",
        "区住建局房管科 完成「区住建局审核」（审核意见：同意公示；审核结论：通过）",
        "系统 计时到期「公示期满」",
        "完成「公示异议复核」（公示期异议：安居物业管理有限公司（小区：翠苑二区；", "复核结论：不予采纳",
        "依据「连续两期黑榜：清退」→ 后果：清退；政府购买服务优先：否；依据：连续两期列入黑榜",
        "系统 后台调用完成「启动清退程序」",
        # The expulsion, narrated after the review.
        "发起「物业企业清退」",
        "调用服务「通知业主委员会」",
        "翠苑二区业委会 完成「业委会确认并组织选聘」", "选聘方式：国有物业托底接管",
        "完成「选聘新物业企业」", "城投国有物业服务有限公司",
        "区住建局房管科 完成「监督退场交接」",
        "系统 后台调用完成「启动试用期考评」",
    )
    heading = "榜单 | 名次 | 小区 | 物业企业 | 综合得分 | 等级 | 星级 | 理由 | 后果 | 政府购买服务优先"
    first = section(out, "▸ 物业服务质量红黑榜（2026年第四季度）", "▸ 物业服务质量红黑榜（2027年第一季度）")
    second = section(out, "▸ 物业服务质量红黑榜（2027年第一季度）")
    assert heading in first and heading in second
    # 2026Q4: the whistle story's closed case counts for 翠苑一区 (complaint score 98, not 100: 94.6, not 94.8).
    assert "红榜 | 1 | 翠苑一区 | 青禾物业服务有限公司 | 94.6 | A | 5 |" in first
    assert "黑榜 | 1 | 翠苑二区 | 安居物业管理有限公司 | 61.6 | D | 2 | 综合得分低于黑榜线（70 分） | 整改约谈 | 否" in first
    assert "黑榜 | 2 | 山前雅苑 | 恒信物业管理有限公司 | 85.8 | D | 1 | 一票否决：媒体曝光 | 整改约谈 | 否" in first
    # 2027Q1: black again, expelled; 山前雅苑 is off the list.
    assert "红榜 | 2 | 翠苑一区 | 青禾物业服务有限公司 | 94.8 | A | 5 |" in second
    assert "黑榜 | 1 | 翠苑二区 | 安居物业管理有限公司 | 59 | D | 1 | 综合得分低于黑榜线（70 分） | 清退 | 否" in second
    assert "山前雅苑" not in second and second.count("黑榜 |") == 1


GRID = "══ 网格吹哨"
WAITING = "══ 吹哨报到：两件新反映"


def test_demo_tells_the_grid_whistle_story(out: str) -> None:
    assert out.index(PROPERTY) < out.index(GRID) < out.index(WAITING)
    out = section(out, GRID, WAITING)
    in_order(
        out,
        "网格员周建国 发起「网格吹哨」",
        "规则判定「建议处置层级」：依据「治安消防、法律诉讼、邻里纠纷：四员联动", "建议处置层级：四员联动",
        "规则判定「确定办理时限」", "签收时限（工作小时）：1",
        "翠苑社区主任 完成「社区确认吹哨层级」（处置层级：四员联动；理由：堵塞消防通道",
        "网格员周建国 完成「签收」", "网格警务卫东 完成「签收」", "网格法律蒋文静 完成「签收」", "网格卫生沈玉梅 完成「签收」",
        "网格警务卫东 完成「到场报到」", "网格卫生沈玉梅 完成「处置反馈」（处置措施：劝导三户居民当场清理",
        "翠苑社区主任 完成「社区验收」（验收通过：是", "翠苑社区主任 办结",
    )
    # The resident's point was located by coordinates; the grid member's name is masked in the figures.
    assert "微信 | 按坐标定位到网格 | 翠苑一网格 | 翠苑社区 | 网格员周**" in out
    assert "网格 | 吹哨数 | 四员联动 | 联动成员人次 | 按时签收率 | 按时到场率 | 已办结" in out
    assert "翠苑一网格 | 1 | 1 | 4 | 100% | 100% | 1" in out
    assert "王秀英" not in out and "13800138000" not in out and "120.125" not in out  # the resident's data stays out


VISITS = "══ 网格走访与入户组织动员"


def test_demo_tells_the_grid_visit_and_mobilisation_story(out: str) -> None:
    assert out.index(GRID) < out.index(VISITS) < out.index(WAITING)
    out = section(out, VISITS, WAITING)
    in_order(
        out,
        "翠苑社区主任 发起「网格定期走访排程」",
        "规则判定「确定走访安排」：依据「一般网格", "走访周期：每月",
        "系统 计时到期「每轮开始」", "系统 后台调用完成「发起本轮走访」",
        "翠苑社区主任 收到消息", "翠苑社区主任 办结",  # the community stopped the schedule
        "网格员郑海涛 完成「上门走访」（类别：物业管理；问题描述：单元门禁损坏", "系统 后台调用完成「立为吹哨案件」",
        "网格员冯志强 完成「上门走访」", "网格员周建国 完成「上门走访」",
        "系统 发起「吹哨报到」", "依据「社区先行处置」",  # the finding, a whistle case in the same step
        "翠苑社区主任 发起「入户组织动员」", "依据「3 小时完成，到期前 30 分钟提醒」",
        "网格员郑海涛 完成「入户并确认」（情况说明：已逐户上门或电话告知；已入户户数：84）",
        "系统 计时到期「到期前提醒」", "系统 计时到期「到期未确认」", "系统 调用服务「告知社区」",
    )
    # The figures: names (masked), not codes; coverage in percent.
    assert "网格员 | 应走访 | 已走访 | 发现问题 | 立案 | 走访覆盖率" in out
    assert "网格员郑** | 2 | 2 | 1 | 1 | 100%" in out and "网格员王** | 2 | 0 | 0 | 0 | 0%" in out
    assert "网格 | 网格员人数 | 应走访 | 已走访 | 发现问题 | 立案 | 走访覆盖率" in out
    assert "翠苑一网格 | 5 | 8 | 5 | 1 | 1 | 62.5%" in out
    assert "微网格 | 网格员 | 户数 | 已入户 | 入户覆盖率 | 状态" in out
    assert "翠苑一网格第二微网格 | 网格员王** | 86 | 80 | 93% | 已确认" in out
    assert "翠苑一网格第五微网格 | 网格员褚** | 80 | 0 | 0% | 逾期未确认" in out
    assert "990101" not in out and "G000" not in out and "李秀英" not in out  # no codes, residents' names stay out


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database filled as ``gongzhi serve --dev --demo`` fills it."""
    config = {"database_url": f"sqlite:///{Path(tmp_path_factory.mktemp('loaded')) / 'demo.sqlite3'}"}
    assert load_demos(config, say=lambda _: None) >= 6
    engine = Engine(config)
    yield engine
    engine.close()


@pytest.mark.parametrize(("name", "params", "heading", "row"), [
    ("grid-visits", {"grid": "990101/001/001/01"}, "走访轮次开始,网格,网格员,应走访,已走访,发现问题,立案,走访覆盖率,状态",
     ",翠苑一网格,网格员郑**,2,2,1,1,100%,已完成"),
    ("grid-visit-grids", {"grid": "990101/001/001/01"}, "走访轮次开始,网格,网格员人数,应走访,已走访,发现问题,立案,走访覆盖率",
     ",翠苑一网格,5,8,5,1,1,62.5%"),
    ("grid-mobilisation", {"community": "990101/001/001"}, "动员事项,微网格,网格员,户数,已入户,入户覆盖率,状态,完成时限",
     ",翠苑一网格第五微网格,网格员褚**,80,0,0%,逾期未确认,"),
])
def test_after_the_demo_the_grid_reports_have_rows_for_the_admin(loaded: Engine, name: str, params: dict[str, str],
                                                                  heading: str, row: str) -> None:
    client = create_app(engine=loaded).test_client()
    headers = {"Authorization": f"Bearer {mint_admin(loaded.config.secret_key)}"}
    found = client.get(f"/api/v1/reports/{name}", query_string=params, headers=headers)
    assert found.status_code == 200, found.get_json()
    assert found.get_json()["data"], f"{name} has no rows after the demo"
    csv = client.get(f"/api/v1/reports/{name}", query_string={**params, "format": "csv"},
                     headers=headers).get_data(as_text=True).lstrip("\ufeff")
    assert csv.splitlines()[0] == heading
    assert any(row in line for line in csv.splitlines()[1:]), csv
