"""Shortcuts for one flow each, where the generic steps would need pages of tables.

They still act through the HTTP API, as the people of the flow would.
"""

from __future__ import annotations

from .cases import rows
from .vocabulary import 词
from .world import World


@词("发出会议通知，邀请 {数量} 人参会")
def invite(world: World, number: str) -> None:
    """Invite ``number`` people, cycling through the participant types the classification chose."""
    types = world.variables().get("participant_types") or ["居民代表"]
    invitees = [{"participant_type": types[i % len(types)], "name": f"参会人{i + 1}"} for i in range(int(number))]
    task = world.tasks_named("发布通知并邀请参会")[0]
    drafted = world.drafts.get(task["name"], {})
    world.drafts[task["name"]] = {"meeting_place": "社区议事厅", **drafted, "invitees": invitees}
    world.complete(task["name"], {})


SCORES = {"治理成效", "满意度", "部门检查", "三方评价"}


@词("按下表为全部小区评分：")
def score_all_compounds(world: World, datatable: list[list[str]]) -> None:
    """Fill the four input forms of every compound in the current red/black-list review with the same scores.

    街道 rates governance, the survey agency enters the survey score, the housing bureau
    the inspection, the community the stakeholders' satisfaction — each with district scope.
    """
    scores = {k: float(v) for k, v in rows(datatable).items()}
    assert set(scores) == SCORES, f"评分表应有：{'、'.join(sorted(SCORES))}"
    world.worker()
    forms = {
        "街道治理成效评分": ("街道工作人员", {"治理成效评分": scores["治理成效"], "本期整改安全隐患": 0, "公开表扬": "无", "否决项": "[]"}),
        "居民满意度测评": ("第三方测评机构", {"录入方式": "直接录入得分", "测评得分": scores["满意度"]}),
        "部门检查评分": ("区住建局", {"各部门检查评分": f'[{{"department": "住建局", "score": {scores["部门检查"]}}}]'}),
        "三方满意度评价": ("社区工作人员", {"社区党组织满意度": scores["三方评价"], "居委会满意度": scores["三方评价"],
                                      "小区已成立业委会": "否"}),
    }
    for task, (role, values) in forms.items():
        actor = world.login(role, "青禾区")
        for _ in world.tasks_named(task):
            world.complete(task, {k: str(v) if not isinstance(v, str) else v for k, v in values.items()}, actor)
