// Chinese column headings for the bundled reports' row keys (the reports return keys only).
export const HEADINGS = {
  department: "部门", department_name: "部门", street: "街道", street_name: "街道", dispatched: "派单数",
  responded: "响应数", response_rate: "响应率", signed_on_time: "按时签收", on_time_sign_rate: "按时签收率",
  returned: "退单", returns_upheld: "退单成立", returns_overruled: "退单驳回", handled: "办结数", closure_rate: "办结率",
  handled_on_time: "按时办结", on_time_closure_rate: "按时办结率", escalations: "升级", onsite_escalations: "到场督办",
  extension_requests: "延期申请",
  followed_up: "回访数", resolution_rate: "解决率", satisfaction_rate: "满意率", composite: "综合得分",
  street_rating: "街道评价", community_rating: "社区评价", cases: "案件数", closed: "已办结", case_closure_rate: "案件办结率",
  community_cases: "社区办理", whistle_cases: "吹哨案件", rank: "排名", year: "年份", responses: "报到次数", vetoes: "一票否决",
  score: "得分", total: "合计", count: "数量", status: "状态", variant: "形式", tier: "等级", company: "物业企业",
  average: "平均", median_days: "天数中位数", on_time: "按时", on_time_rate: "按时率", tasks: "任务数",
  department_tasks: "部门任务", department_on_time_rate: "部门按时率", satisfied_rate: "满意率", period: "期次",
  priority_purchase: "优先承接", resolved: "已解决", from: "起", to: "止", by_status: "按状态", by_tier: "按等级",
  by_variant: "按形式", distribution: "分布", all: "全部", name: "名称", title: "标题", month: "月份",
  grade: "等级", stars: "星级", reason: "理由", list: "榜单", compound: "小区", consequence: "后果",
};

export const PARAMS = { month: "月份", year: "年份", start: "开始日期", end: "结束日期（不含）", street: "街道", period: "期次",
  company: "物业企业", variant: "协商形式", from: "征集日期起", to: "征集日期止", grid: "网格", member: "网格员编号",
  community: "社区或街道", mobilisation: "入户组织动员案件编号", all: "同时列出未上榜的小区" };

export const heading = (key) => HEADINGS[key] || key;
