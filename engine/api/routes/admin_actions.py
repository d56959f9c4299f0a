"""Operations plugins offer administrators (``gongzhi_register_admin_actions``): listed, documented, run."""

from __future__ import annotations

from typing import Any

from ...errors import ConfigurationError, InvalidInput, NotAllowed, NotFound
from ...hooks.manager import Registry
from ...hooks.objects import AdminAction
from ...security.identity import Actor
from ..blueprint import api
from ..context import state
from ..openapi import DocContext
from ..schemas import AdminActionBodySchema, AdminActionListSchema, AdminActionResultSchema

__all__ = ["collect_admin_actions", "AdminActionParameterError"]


class AdminActionParameterError(InvalidInput):
    """The action could not use its parameters (problem type ``admin-action-parameter-error``): the request
    matched the document (``params`` is any object) and the action's own rules refused it."""


def collect_admin_actions(pm: Any) -> Registry[AdminAction]:
    """Admin actions from every plugin, keyed by name (a duplicate, or something not an AdminAction, fails at start-up)."""
    registry = Registry.collect(pm, "gongzhi_register_admin_actions", "admin action")
    for name, item in registry.items():
        if not isinstance(item, AdminAction):
            raise ConfigurationError(f"admin action '{name}' registered by '{registry.owners[name]}' is a "
                                     f"{type(item).__name__}, not a gongzhi.AdminAction")
    return registry


def _admin(actor: Actor) -> None:
    if not actor.is_admin:
        raise NotAllowed("管理操作只有管理员可以使用", permission="admin")


@api.route("GET", "/admin-actions", summary="插件提供的管理操作（仅管理员）", tag="管理操作", response=AdminActionListSchema,
           errors=(403,))
def list_admin_actions(actor: Actor, **_: Any) -> dict[str, Any]:
    _admin(actor)
    return {"items": [{"name": a.name, "title": a.title, "description": a.description, "params": dict(a.params)}
                      for a in state().admin_actions.values()]}


def _document(entry: dict[str, Any], context: DocContext) -> None:
    """The registered actions' names, and what each does with which parameters."""
    for param in entry["parameters"]:
        if param["in"] == "path" and param["name"] == "name" and context.admin_actions:
            param["schema"]["enum"] = sorted(context.admin_actions)
    described = [f"`{name}`（{a.title}）：{a.description}；参数："
                 + ("；".join(f"`{k}` {v}" for k, v in a.params.items()) or "无")
                 for name, a in sorted(context.admin_actions.items())]
    if described:
        entry["description"] = (entry.get("description", "") + "\n\n" + "\n".join(f"- {d}" for d in described)).strip()


@api.route("POST", "/admin-actions/<name>", summary="执行插件提供的管理操作（仅管理员）", tag="管理操作",
           body=AdminActionBodySchema, response=AdminActionResultSchema, errors=(403, 404), document=_document,
           description="参数放在请求体的 `params` 中；操作不认识的参数、或操作不能使用的参数值返回 422 "
                       "`admin-action-parameter-error`（`errors` 逐项列出字段），这时什么也没有改变。")
def run_admin_action(actor: Actor, name: str, body: dict[str, Any], **_: Any) -> dict[str, Any]:
    _admin(actor)
    action = state().admin_actions.get(name)
    if action is None:
        raise NotFound(f"没有管理操作 '{name}'", action=name)
    unknown = sorted(set(body["params"]) - set(action.params))
    if unknown:
        raise AdminActionParameterError(f"管理操作“{action.title}”不认识参数：{'、'.join(unknown)}",
                                        errors=[{"field": f"params.{k}", "message": "未知参数"} for k in unknown])
    try:
        result = action.run(state().engine, actor, **body["params"])
    except AdminActionParameterError:
        raise
    except InvalidInput as exc:  # the action checked its own parameters
        raise AdminActionParameterError(exc.message, errors=exc.context.get("errors") or [], action=name) from exc
    return {"name": name, "title": action.title, "result": dict(result)}
