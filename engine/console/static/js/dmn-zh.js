// Chinese for dmn-js: a translate module handed to each of its views (drd, decisionTable,
// literalExpression). Strings dmn-js shows that are missing here stay English; add them here.
const ZH = {
  "View DRD": "查看决策需求图",
  "Hit policy": "命中策略", "Hit policy:": "命中策略：",
  "Unique": "唯一（Unique）", "First": "首条（First）", "Priority": "优先级（Priority）", "Any": "任一（Any）",
  "Collect": "汇总（Collect）", "Rule order": "规则顺序（Rule order）", "Output order": "输出顺序（Output order）",
  "When": "当", "And": "且", "Then": "则", "Annotation": "说明", "Annotations": "说明",
  "Input": "输入", "Output": "输出", "Input label": "输入名称", "Input label: ": "输入名称：",
  "Input expression": "输入表达式", "Input expression: ": "输入表达式：", "Input type": "输入类型",
  "Input values": "输入取值", "Output label": "输出名称", "Output label: ": "输出名称：", "Output name": "输出变量",
  "Output name: ": "输出变量：", "Output type": "输出类型", "Output values": "输出取值",
  "Add rule": "添加规则", "Add Rule": "添加规则", "Add rule above": "在上方添加规则", "Add rule below": "在下方添加规则",
  "Remove rule": "删除规则", "Copy rule": "复制规则", "Cut rule": "剪切规则", "Move rule": "移动规则",
  "Paste rule above": "粘贴到上方", "Paste rule below": "粘贴到下方",
  "Add input": "添加输入", "Add output": "添加输出",
  "Add input column left": "在左侧添加输入列", "Add input column right": "在右侧添加输入列",
  "Add output column left": "在左侧添加输出列", "Add output column right": "在右侧添加输出列",
  "Remove input column": "删除输入列", "Remove output column": "删除输出列",
  "Copy input column": "复制输入列", "Copy output column": "复制输出列",
  "Cut input column": "剪切输入列", "Cut output column": "剪切输出列",
  "Paste input column left": "粘贴到左侧", "Paste input column right": "粘贴到右侧",
  "Paste output column left": "粘贴到左侧", "Paste output column right": "粘贴到右侧",
  "Add cell description": "添加单元格说明", "Remove cell description": "删除单元格说明",
  "Add predefined values": "添加预设取值", "Clear predefined values": "清除预设取值", "Predefined values": "预设取值",
  "Add values": "添加取值", "Custom values": "自定义取值", "No values": "无取值", "Values": "取值", "Value": "值",
  "Edit": "编辑", "Delete": "删除", "Resize": "调整大小", "Change type": "更改类型", "Type": "类型",
  "Expression": "表达式", "Enter expression": "输入表达式", "Expression language": "表达式语言",
  "Expression language:": "表达式语言：", "Change cell expression language": "更改单元格的表达式语言",
  "Decision name": "决策名称", "Decision name: ": "决策名称：", "Definition ID": "定义编号", "Definition name": "定义名称",
  "Element name": "元素名称", "Name": "名称", "Variable name": "变量名", "Variable name:": "变量名：",
  "Variable type": "变量类型", "Variable type:": "变量类型：", "Literal expression": "文字表达式",
  "Literal expression editor": "文字表达式编辑器", "Result": "结果", "Result type": "结果类型",
  "Yes": "是", "No": "否", "Boolean value": "布尔值", "String value": "文本值", "Date value": "日期值",
  "Date and time value": "日期时间值", "Time value": "时间值", "Duration value": "时长值",
  "Date": "日期", "Date and time": "日期时间", "Time": "时间", "Text": "文本",
  "Equals": "等于", "Less": "小于", "Less or equals": "小于或等于", "Greater": "大于", "Greater or equals": "大于或等于",
  "Between": "介于", "Before": "早于", "After": "晚于", "Exactly": "恰好", "Comparison": "比较", "Range": "区间",
  "Comparison operator": "比较符", "Range start operator": "区间起点比较符", "Range end operator": "区间终点比较符",
  "Range start value": "区间起点", "Range end value": "区间终点", "Start value": "起始值", "End value": "结束值",
  "Match one": "匹配其一", "Match none": "都不匹配", "Include": "包含", "Exclude": "排除", "Test type": "判断方式",
  "Edit string": "编辑文本", "Edit number": "编辑数值", "Edit boolean": "编辑布尔值", "Edit date": "编辑日期",
  "Edit date and time": "编辑日期时间", "Edit time": "编辑时间", "Edit duration": "编辑时长",
  "Set value": "设定值", "Set date": "设定日期", "Set date and time": "设定日期时间", "Set time": "设定时间",
  "Set duration": "设定时长", "Use now": "用当前时间", "Use today": "用今天",
  "Start date": "开始日期", "End date": "结束日期", "Start time": "开始时间", "End time": "结束时间",
  "Start date and time": "开始日期时间", "End date and time": "结束日期时间",
  "Create decision": "新建决策", "Create input data": "新建输入数据", "Create knowledge model": "新建业务知识模型",
  "Create knowledge source": "新建知识来源", "Append decision": "追加决策", "Append input data": "追加输入数据",
  "Append business knowledge model": "追加业务知识模型", "Append knowledge source": "追加知识来源",
  "Add text annotation": "添加文字注释", "Connect to other element": "连接到其他元素",
  "Activate hand tool": "抓手工具", "Activate lasso tool": "套索工具", "Search in diagram": "在图中搜索",
  "Edit formal parameters": "编辑形式参数", "Add parameter": "添加参数", "Remove parameter": "删除参数",
  "Kind": "种类", "Function kind: {kind}": "函数种类：{kind}", "Edit function kind": "编辑函数种类",
  "Expression language: {expressionLanguageLabel}": "表达式语言：{expressionLanguageLabel}",
  "Edit input": "编辑输入", "Edit output": "编辑输出",
  // Data types (typeRef) in column headers and the type pickers.
  "string": "文本", "number": "数字", "boolean": "是/否", "date": "日期", "time": "时间", "dateTime": "日期时间",
  "dayTimeDuration": "时长（日、时、分）", "yearMonthDuration": "时长（年、月）", "Any": "任意类型",
  "integer": "整数", "long": "整数", "double": "数字",
};

export function translate(template, replacements = {}) {
  const text = ZH[template] ?? template;
  return text.replace(/{([^}]+)}/g, (_, key) => (key in replacements ? replacements[key] : `{${key}}`));
}

const module = { translate: ["value", translate] };

// Options for new DmnJS(...): every view gets the Chinese translate module.
export const zhViews = {
  drd: { additionalModules: [module] },
  decisionTable: { additionalModules: [module] },
  literalExpression: { additionalModules: [module] },
};
