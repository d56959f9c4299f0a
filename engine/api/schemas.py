"""Request and response bodies. The OpenAPI document is generated from these classes."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, INCLUDE, RAISE, Schema, ValidationError, fields, validate, validates_schema


MAX_PER_PAGE = 200
_KEY = validate.Length(min=1, max=128)
# A deployed file's name: a relative path without '..' segments, backslashes or NUL, ending in a
# known suffix (any case). One expression for the server and the OpenAPI ``pattern``, so both agree;
# written in the syntax Python and ECMAScript (JSON Schema) share.
FILE_NAME = (r"^(?!/)(?!(.*/)?\.\.(/|$))([^\\\x00]*/)?[^/\\\x00]+"
             r"\.([bB][pP][mM][nN]|[dD][mM][nN]|[jJ][sS][oO][nN])$")
FILE_NAME_RULE = "文件名须为相对路径（不以 / 开头，不含 .. 与反斜杠），后缀为 .bpmn、.dmn 或 .json"
# A region path: digit codes joined by slashes (``gongzhi.security.identity.normalize_region``), or empty.
REGION = r"^([0-9]{1,12}(/[0-9]{1,12}){0,7})?$"
# An RFC 3339 time with its offset (a query string's time must say which zone it means).
AWARE_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|[+-][0-9]{2}:[0-9]{2})$"


class JsonObject(fields.Dict):
    """Free-form JSON (variables, form data, decision inputs): string keys, any JSON values.

    The OpenAPI document describes it as JSON whose text and keys hold no U+0000
    (``gongzhi.api.openapi``); nesting depth is limited by ``max_json_depth``.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.String(), **kwargs)


class Variables(JsonObject):
    """A case's variables (start variables, form data, a message's payload): besides being JSON,
    no name starts with ``_`` or is one of the names scripts are given (``runtime.forms``)."""


class Strict(Schema):
    """Request bodies reject unknown fields so typos are reported, not ignored."""

    class Meta:
        unknown = RAISE


class Out(Schema):
    """Responses may gain fields in later versions: clients must ignore unknown ones."""

    class Meta:
        unknown = INCLUDE


class Query(Schema):
    """Query strings ignore unknown parameters (proxies and caches add their own).

    Optional parameters have no ``load_default=None``: a query string cannot
    carry null, so the document must not call them nullable; absent ones are
    simply missing from the loaded dict.
    """

    class Meta:
        unknown = EXCLUDE


class Paging(Query):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000), metadata={"description": "页码，从 1 开始"})
    per_page = fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_PER_PAGE),
                              metadata={"description": f"每页条数，1–{MAX_PER_PAGE}"})


# --- requests -----------------------------------------------------------------------


class StartInstanceSchema(Strict):
    process_key = fields.String(required=True, validate=_KEY, metadata={"description": "流程标识，如 whistle_dispatch"})
    business_key = fields.String(load_default=None, allow_none=True, validate=_KEY,
                                 metadata={"description": "业务编号（如工单号），用于消息关联"})
    region = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(REGION),
                           metadata={"description": "所属区域路径（数字编码，以 / 分级，如 110105/001），默认为发起人的区域",
                                     "pattern": REGION})
    variables = Variables(load_default=dict, metadata={"description": "启动表单数据"})


class CancelInstanceSchema(Strict):
    reason = fields.String(load_default="", validate=validate.Length(max=2000), metadata={"description": "撤销原因"})


class MigrationRequestSchema(Strict):
    to_version = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1),
                                metadata={"description": "目标版本号"})
    instance_ids = fields.List(fields.String(validate=_KEY), load_default=None, allow_none=True,
                               validate=validate.Length(max=1000), metadata={"description": "只迁移这些案件（默认：所有运行中的）"})
    mapping = fields.Dict(keys=fields.String(validate=_KEY), values=fields.String(validate=_KEY), load_default=dict,
                          validate=validate.Length(max=500), metadata={
                              "description": "改了编号的环节：原编号 → 新编号",
                              "propertyNames": {"minLength": 1, "maxLength": 128, "pattern": "^[^\\x00]*$"}})
    dry_run = fields.Boolean(load_default=True, metadata={"description": "只预演、不改动（默认）"})


class CompleteTaskSchema(Strict):
    data = Variables(load_default=dict, metadata={"description": "任务表单数据"})


class MessageSchema(Strict):
    name = fields.String(required=True, validate=_KEY, metadata={"description": "BPMN 消息名称"})
    business_key = fields.String(load_default=None, allow_none=True, validate=_KEY)
    instance_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=36))
    correlation = JsonObject(load_default=None, allow_none=True,
                             metadata={"description": "关联属性的值，如 {\"case_no\": \"GD-1\"}"})
    variables = Variables(load_default=dict)
    message_id = fields.String(load_default=None, allow_none=True, validate=validate.Length(min=1, max=128),
                               metadata={"description": "消息编号：重复投递同一编号只处理一次"})
    ttl_seconds = fields.Float(load_default=None, allow_none=True, validate=validate.Range(min=0, max=366 * 86400),
                               metadata={"description": "暂无实例等待时，消息保留的秒数（默认按配置）；0 表示只投递给正在等待的实例，否则 404"})

    # What ``_target`` checks, for the OpenAPI document (merged into this schema's component).
    openapi_extra = {"anyOf": [
        {"required": ["business_key"], "properties": {"business_key": {"type": "string"}}},
        {"required": ["instance_id"], "properties": {"instance_id": {"type": "string"}}},
        {"required": ["correlation"], "properties": {"correlation": {"type": "object", "minProperties": 1}}},
    ]}

    @validates_schema
    def _target(self, data: dict[str, Any], **_: Any) -> None:
        if not data.get("business_key") and not data.get("instance_id") and not data.get("correlation"):
            raise ValidationError("business_key、instance_id、correlation 至少填写一个", "business_key")


class EvaluateDecisionSchema(Strict):
    inputs = JsonObject(load_default=dict, metadata={"description": "决策输入"})
    region = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(REGION),
                           metadata={"description": "按哪个区域的现行版本计算（该区域有自己的决策表时用它），默认为本人的区域",
                                     "pattern": REGION})


class DeploymentFileSchema(Strict):
    name = fields.String(required=True, validate=[validate.Length(min=1, max=255), validate.Regexp(FILE_NAME, error=FILE_NAME_RULE)],
                         metadata={"description": "文件名（相对路径，不含 ..），后缀 .bpmn/.dmn/.json；同一次部署中不能重复"})
    content = fields.String(required=True, metadata={"description": "文件内容（UTF-8 文本）"})


_DEPLOY_REGION = ("只部署决策表、且只在该区域生效时填写：该区域自己的决策表，对该区域的案件优先于全区的版本；"
                  "需要管辖该区域。不填则在全区生效（需要管理员）")


class DeploymentSchema(Strict):
    files = fields.List(fields.Nested(DeploymentFileSchema), required=True, validate=validate.Length(min=1, max=500))
    region = fields.String(load_default=None, allow_none=True, validate=validate.Regexp(REGION),
                           metadata={"description": _DEPLOY_REGION, "pattern": REGION})


class DeploymentUploadSchema(Schema):
    """Only documents the multipart form; the view reads ``request.files``."""

    files = fields.List(fields.Raw(metadata={"type": "string", "format": "binary"}), required=True,
                        validate=validate.Length(min=1), metadata={"description": "BPMN/DMN/表单文件，文件名规则同 JSON 的 name"})


# --- query strings ------------------------------------------------------------------


class TaskQuerySchema(Paging):
    mine = fields.Boolean(load_default=False, metadata={"description": "只看我已认领的任务"})
    candidate_group = fields.String(validate=_KEY, metadata={"description": "候选组"})
    process_key = fields.String(validate=_KEY)
    instance_id = fields.String(validate=validate.Length(min=1, max=64))
    overdue = fields.Boolean(metadata={"description": "true：只看已超期；false：只看未超期"})


class InstanceQuerySchema(Paging):
    process_key = fields.String(validate=_KEY)
    status = fields.String(validate=validate.OneOf(["running", "completed", "cancelled"]))
    business_key = fields.String(validate=_KEY)
    region = fields.String(validate=[validate.Length(min=1, max=255), validate.Regexp(REGION)],
                           metadata={"description": "只看该区域及其下级区域的案件（仍限本人管辖区域）", "pattern": REGION})
    started_after = fields.AwareDateTime(metadata={"description": "发起时间不早于（含时区，如 2026-12-01T00:00:00+08:00）",
                                                   "pattern": AWARE_TIME})
    started_before = fields.AwareDateTime(metadata={"description": "发起时间早于（含时区）；不晚于 started_after 时结果为空",
                                                    "pattern": AWARE_TIME})
    parent_id = fields.String(validate=validate.Length(min=1, max=64),
                              metadata={"description": "只看由该实例的调用活动发起的子流程实例"})


class VersionQuerySchema(Query):
    version = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1), metadata={"description": "版本号，默认最新"})


class ReportQuerySchema(Query):
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv", "xlsx", "pdf"]),
                           metadata={"description": "json（默认）、csv（UTF-8 带 BOM）、xlsx（考核工作簿：表头写明统计期、"
                                                    "区域和生成时间，分级的报表每级一个工作表）或 pdf（归档用，中文字体内置）"})


# --- responses ----------------------------------------------------------------------


class TaskSchema(Out):
    id = fields.String(required=True)
    instance_id = fields.String(required=True)
    process_key = fields.String(required=True)
    element_id = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": ["open", "completed", "cancelled"]})
    region = fields.String(required=True)
    candidate_groups = fields.List(fields.String(), required=True)
    assignee = fields.String(allow_none=True, required=True)
    created_at = fields.DateTime(required=True)
    due_at = fields.DateTime(allow_none=True, required=True)
    overdue = fields.Boolean(required=True)
    completed_at = fields.DateTime(allow_none=True, required=True)
    completed_by = fields.String(allow_none=True, required=True)


class TaskDetailSchema(TaskSchema):
    form = fields.Dict(allow_none=True, required=True, metadata={"description": "任务表单的 JSON Schema"})
    instructions = fields.String(allow_none=True, required=True, metadata={"description": "已用流程数据渲染的办理说明"})
    data = fields.Dict(allow_none=True, required=True, metadata={"description": "当前用户可见的流程数据"})


class TaskPageSchema(Out):
    items = fields.List(fields.Nested(TaskSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class InstanceSummarySchema(Out):
    id = fields.String(required=True)
    process_key = fields.String(required=True)
    version = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": ["running", "completed", "cancelled"]})
    business_key = fields.String(allow_none=True, required=True)
    region = fields.String(required=True)
    started_by = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    updated_at = fields.DateTime(required=True)
    parent_id = fields.String(allow_none=True, required=True,
                              metadata={"description": "发起本案件的上级案件（由其调用活动发起的子流程案件）；否则为 null"})


class InstanceSchema(InstanceSummarySchema):
    variables = fields.Dict(required=True)
    open_tasks = fields.List(fields.Nested(TaskSchema), required=True)


class InstancePageSchema(Out):
    items = fields.List(fields.Nested(InstanceSummarySchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class HistorySchema(Out):
    instance_id = fields.String(required=True)
    events = fields.List(fields.Dict(), required=True, metadata={"description": "审计事件，按顺序"})


class DefinitionVersionSchema(Out):
    version = fields.Integer(required=True)
    content_hash = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    deployed_by = fields.String(required=True)
    files = fields.List(fields.String(), required=True)


class DefinitionSummarySchema(Out):
    key = fields.String(required=True)
    name = fields.String(required=True)
    version = fields.Integer(required=True, metadata={"description": "最新版本号"})
    versions = fields.Integer(required=True, metadata={"description": "版本数"})
    updated_at = fields.DateTime(required=True)


class DefinitionListSchema(Out):
    items = fields.List(fields.Nested(DefinitionSummarySchema), required=True)
    total = fields.Integer(required=True)


class DefinitionDetailSchema(Out):
    key = fields.String(required=True)
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    start_form = fields.Dict(allow_none=True, required=True, metadata={"description": "启动变量的 JSON Schema"})
    versions = fields.List(fields.Nested(DefinitionVersionSchema), required=True)


class DeployedItemSchema(Out):
    kind = fields.String(required=True, metadata={"enum": ["process", "decision"]})
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    region = fields.String(metadata={"description": "按区域部署的决策表：生效区域"})


class DeploymentResultSchema(Out):
    created = fields.List(fields.Nested(DeployedItemSchema), required=True)
    unchanged = fields.List(fields.Nested(DeployedItemSchema), required=True)


class MessageReceiptSchema(Out):
    status = fields.String(required=True, metadata={"enum": ["delivered", "buffered"]})
    message_id = fields.String(allow_none=True, required=True)
    instance_id = fields.String(allow_none=True, required=True)
    expires_at = fields.DateTime(allow_none=True, required=True)
    instance = fields.Nested(InstanceSchema, allow_none=True, required=True,
                             metadata={"description": "投递后的流程实例（缓存或重复投递时为 null）"})


class DecisionResultSchema(Out):
    decision_id = fields.String(required=True)
    decision_name = fields.String(allow_none=True)
    decision_version = fields.Integer(required=True)
    decision_region = fields.String(required=True, metadata={"description": "所用版本的生效区域（空为全区）"})
    result = fields.Raw(allow_none=True, required=True, metadata={"description": "决策结果"})
    matched_rules = fields.List(fields.Raw(), required=True)
    inputs = fields.Raw(allow_none=True)
    outputs = fields.Raw(allow_none=True)
    required = fields.List(fields.Raw())


class StuckCommandSchema(Out):
    id = fields.String(required=True)
    host = fields.String(required=True)
    pid = fields.Integer(required=True)
    command = fields.String(required=True)
    started_at = fields.String(required=True)


class HealthSchema(Out):
    status = fields.String(required=True, metadata={"enum": ["ok", "degraded", "unavailable"]})
    database = fields.String(required=True, metadata={"enum": ["ok", "unavailable"]})
    worker = fields.String(required=True, metadata={"enum": ["ok", "unhealthy"],
                                                    "description": "此进程：有操作卡死时为 unhealthy，进程将被替换"})
    stuck_commands = fields.List(fields.Nested(StuckCommandSchema), required=True,
                                 metadata={"description": "任一进程报告的超过时限仍未结束的操作"})
    version = fields.String(required=True)


class ReportInfoSchema(Out):
    name = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    params = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "报表接受的查询参数及说明"})
    headings = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                           metadata={"description": "列名 → 中文表头（带单位，与导出相同）；前端据此显示表头"})
    percents = fields.List(fields.String(), required=True,
                           metadata={"description": "取值为比率（0–1）的列，前端与导出一样显示为百分数"})


class ReportListSchema(Out):
    items = fields.List(fields.Nested(ReportInfoSchema), required=True)


class ReportResultSchema(Out):
    name = fields.String(required=True)
    title = fields.String(required=True)
    data = fields.Raw(allow_none=True, required=True)


class FieldErrorSchema(Out):
    field = fields.String(required=True)
    message = fields.String(required=True)


class ProblemSchema(Out):
    """RFC 9457 problem details; runtime context (task_id, element_id, ...) may be added."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String(required=True)
    instance = fields.String(allow_none=True)
    errors = fields.List(fields.Nested(FieldErrorSchema),
                         metadata={"description": "逐项列出的错误：field 指出字段或文件#元素"})


class IncidentSchema(Out):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["timer", "service", "delivery", "message"]})
    instance_id = fields.String(allow_none=True, required=True)
    element_id = fields.String(allow_none=True, required=True)
    region = fields.String(required=True)
    error = fields.String(required=True)
    created_at = fields.String(required=True)
    resolved_at = fields.String(allow_none=True, required=True)
    resolved_by = fields.String(allow_none=True, required=True)


class IncidentListSchema(Out):
    items = fields.List(fields.Nested(IncidentSchema), required=True)


class DecisionColumnSchema(Out):
    label = fields.String(required=True)
    expression = fields.String()
    name = fields.String()
    type = fields.String(allow_none=True)


class DecisionRuleSchema(Out):
    id = fields.String(required=True)
    number = fields.Integer(required=True)
    description = fields.String(required=True)
    when = fields.List(fields.String(), required=True)
    then = fields.List(fields.String(), required=True)


class DecisionInfoSchema(Out):
    id = fields.String(required=True)
    name = fields.String(required=True)
    version = fields.Integer(required=True)
    region = fields.String(required=True, metadata={"description": "生效区域：空为全区，否则是该区域自己的决策表"})
    file = fields.String(required=True)
    requires = fields.List(fields.String(), required=True)
    hit_policy = fields.String()
    inputs = fields.List(fields.Nested(DecisionColumnSchema))
    outputs = fields.List(fields.Nested(DecisionColumnSchema))
    rules = fields.List(fields.Nested(DecisionRuleSchema))
    expression = fields.String()


class DecisionListSchema(Out):
    items = fields.List(fields.Nested(DecisionInfoSchema), required=True)


# --- the console's needs: definition sources, dry-run validation, the directory -------------


class SourceFileSchema(Out):
    name = fields.String(required=True, metadata={"description": "部署时的文件名（相对路径）"})
    kind = fields.String(required=True, metadata={"enum": ["bpmn", "dmn", "json"]})
    content = fields.String(required=True, metadata={"description": "文件内容（UTF-8 文本）"})


class DefinitionFilesSchema(Out):
    kind = fields.String(required=True, metadata={"enum": ["process", "decision"]})
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    files = fields.List(fields.Nested(SourceFileSchema), required=True)


class DefinitionLabelsSchema(Out):
    key = fields.String(required=True)
    version = fields.Integer(required=True)
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "字段名 → 表单标题"})


class DefinitionProblemSchema(Out):
    file = fields.String(required=True)
    line = fields.Integer(allow_none=True, required=True)
    element_id = fields.String(allow_none=True, required=True, metadata={"description": "出错的 BPMN/DMN 元素（规则、单元格所在规则）"})
    target_id = fields.String(allow_none=True, required=True,
                              metadata={"description": "建模器应标注的元素：DMN 中为出错的单元格或规则，否则同 element_id"})
    code = fields.String(required=True)
    message = fields.String(required=True)


class ValidationResultSchema(Out):
    valid = fields.Boolean(required=True)
    problems = fields.List(fields.Nested(DefinitionProblemSchema), required=True)
    processes = fields.List(fields.String(), required=True, metadata={"description": "这组文件中可部署的流程"})
    decisions = fields.List(fields.String(), required=True, metadata={"description": "这组文件中的决策"})


class RegionSchema(Out):
    path = fields.String(required=True)
    name = fields.String(required=True)
    level = fields.String(required=True, metadata={"enum": ["district", "street", "community", "grid", "micro_grid"]})


class DepartmentSchema(Out):
    code = fields.String(required=True)
    name = fields.String(required=True)
    group = fields.String(required=True)


class DirectorySchema(Out):
    regions = fields.List(fields.Nested(RegionSchema), required=True)
    groups = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "组编码 → 中文名称"})
    departments = fields.List(fields.Nested(DepartmentSchema), required=True)


class MigrationItemSchema(Out):
    instance_id = fields.String(required=True)
    from_version = fields.Integer(required=True)
    to_version = fields.Integer(required=True)
    ok = fields.Boolean(required=True, metadata={"description": "能否迁移"})
    refusals = fields.List(fields.String(), required=True, metadata={"description": "不能迁移的原因"})
    live = fields.List(fields.String(), required=True, metadata={"description": "案件当前停在的环节"})
    migrated = fields.Boolean(required=True, metadata={"description": "已经迁移（预演时总为 false）"})


class MigrationResultSchema(Out):
    process_key = fields.String(required=True)
    to_version = fields.Integer(required=True)
    dry_run = fields.Boolean(required=True)
    movable = fields.Integer(required=True, metadata={"description": "能迁移的案件数"})
    refused = fields.Integer(required=True, metadata={"description": "不能迁移的案件数"})
    instances = fields.List(fields.Nested(MigrationItemSchema), required=True)


class PluginSchema(Out):
    name = fields.String(required=True, metadata={"description": "插件注册名"})
    version = fields.String(required=True, metadata={"description": "插件所在发行包的版本；未知时为空"})
    registers = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), required=True,
                            metadata={"description": "注册类别（service_tasks、channels、reports、adapters、demos、audit_sinks）→ 名称"})
    hooks = fields.List(fields.String(), required=True, metadata={"description": "实现的其他钩子"})


class PluginListSchema(Out):
    items = fields.List(fields.Nested(PluginSchema), required=True)


# --- background jobs and audit verification (console, issue 18) -------------------------


class JobQuerySchema(Paging):
    status = fields.String(validate=validate.OneOf(["due", "scheduled", "leased", "failed"]),
                           metadata={"description": "due：已到期待执行；scheduled：未到期（等待中的定时器）；"
                                                    "leased：后台进程正在执行；failed：重试耗尽（已生成故障）。不填为全部"})
    kind = fields.String(validate=validate.OneOf(["timer", "service", "delivery"]))
    instance_id = fields.String(validate=validate.Length(min=1, max=64))


class JobSchema(Out):
    id = fields.Integer(required=True)
    kind = fields.String(required=True, metadata={"enum": ["timer", "service", "delivery"]})
    status = fields.String(required=True, metadata={"enum": ["due", "scheduled", "leased", "failed"]})
    instance_id = fields.String(allow_none=True, required=True)
    process_key = fields.String(allow_none=True, required=True)
    business_key = fields.String(allow_none=True, required=True)
    region = fields.String(required=True)
    element_id = fields.String(allow_none=True, required=True)
    element_name = fields.String(allow_none=True, required=True)
    due_at = fields.String(required=True)
    attempts = fields.Integer(required=True)
    locked_by = fields.String(allow_none=True, required=True)
    locked_until = fields.String(allow_none=True, required=True)
    last_error = fields.String(allow_none=True, required=True)
    created_at = fields.String(required=True)


class TimerSchema(Out):
    element_id = fields.String(required=True)
    element_name = fields.String(allow_none=True, required=True, metadata={"description": "定时器在流程图中的名称"})
    due_at = fields.String(required=True, metadata={"description": "到期时间（含时区）"})
    status = fields.String(required=True, metadata={"enum": ["due", "scheduled", "leased"]})


class TimerListSchema(Out):
    instance_id = fields.String(required=True)
    items = fields.List(fields.Nested(TimerSchema), required=True)


class JobPageSchema(Out):
    items = fields.List(fields.Nested(JobSchema), required=True)
    total = fields.Integer(required=True)
    page = fields.Integer(required=True)
    per_page = fields.Integer(required=True)


class WorkerStateSchema(Out):
    state = fields.String(required=True, metadata={"enum": ["working", "idle", "behind"], "description": (
        "working：后台进程持有作业；idle：没有逾期作业；behind：有作业到期超过一个租约时长仍无人执行（后台进程未运行或忙不过来）")})
    counts = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True)
    overdue = fields.Integer(required=True)
    workers = fields.List(fields.String(), required=True)
    last_activity_at = fields.String(allow_none=True, required=True,
                                     metadata={"description": "后台最近一次推进案件（系统写入审计事件）的时间"})
    oldest_due_at = fields.String(allow_none=True, required=True)
    lease_seconds = fields.Float(required=True)
    checked_at = fields.String(required=True)


class AuditVerifySchema(Out):
    instance_id = fields.String(required=True)
    ok = fields.Boolean(required=True)
    events = fields.Integer(required=True)
    problems = fields.List(fields.String(), required=True)
    checked_at = fields.String(required=True)



class AdminActionBodySchema(Strict):
    params = JsonObject(load_default=dict, metadata={"description": "操作的参数（见 GET /admin-actions 的 params）"})


class AdminActionInfoSchema(Out):
    name = fields.String(required=True)
    title = fields.String(required=True)
    description = fields.String(required=True)
    params = fields.Dict(keys=fields.String(), values=fields.String(), required=True,
                         metadata={"description": "操作接受的参数及说明"})


class AdminActionListSchema(Out):
    items = fields.List(fields.Nested(AdminActionInfoSchema), required=True)


class AdminActionResultSchema(Out):
    name = fields.String(required=True)
    title = fields.String(required=True)
    result = JsonObject(required=True, metadata={"description": "操作的结果（各操作自己的说明）"})

__all__ = [name for name in list(globals()) if name.endswith("Schema") and name != "Schema"]
