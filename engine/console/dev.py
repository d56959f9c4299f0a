"""The development sign-in: pick a role of the demo directory and get a token for it.

Registered only when the console is mounted with ``dev=True`` (``gongzhi serve --dev``): it
mints tokens for anyone who asks, so it must not exist in production, where the host portal
hands the console its token (see the console's README section).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ..errors import InvalidInput
from ..security.identity import ADMIN_GROUP, normalize_region
from ..security.tokens import mint

__all__ = ["roles", "mint_for_role", "DEV_TTL"]

DEV_TTL = timedelta(hours=8)
RESIDENT = "resident"
# Where each kind of group works in the demo directory: its level of the region tree.
_LEVEL = {"grid": "community", "community": "community", "street": "street", "street_leader": "street",
          "district": "district", RESIDENT: "grid"}


def roles(directory: Any) -> dict[str, Any]:
    """The groups a developer may sign in as, each with the regions that fit it."""
    groups = dict(getattr(directory, "groups", {}) or {})
    groups.setdefault(RESIDENT, "居民")
    units = list(getattr(directory, "units", {}).values()) if directory is not None else []
    out = []
    for code, name in groups.items():
        level = _LEVEL.get(code, "district")  # departments work across the district
        regions = [{"path": u.path, "name": u.name} for u in units if u.level == level]
        out.append({"group": code, "name": name, "regions": regions})
    out.append({"group": ADMIN_GROUP, "name": "系统管理员", "regions": []})
    return {"roles": out}


def mint_for_role(secret: str, directory: Any, body: Any) -> str:
    """A token for the chosen group and region (admins hold the whole tree, ``pii`` and ``deploy``)."""
    if not isinstance(body, dict):
        raise InvalidInput("请求体应为 JSON 对象", errors=[{"field": "body", "message": "JSON 对象"}])
    group, region, name = body.get("group"), body.get("region") or "", body.get("name") or ""
    known = {r["group"]: r for r in roles(directory)["roles"]}
    if group not in known:
        raise InvalidInput("请选择一个角色", errors=[{"field": "group", "message": "未知的角色"}])
    if not isinstance(name, str) or len(name) > 40:
        raise InvalidInput("姓名最多 40 个字", errors=[{"field": "name", "message": "最多 40 个字"}])
    role = known[group]
    if group == ADMIN_GROUP:
        return mint(secret, "dev-admin", name or role["name"], [ADMIN_GROUP], "", DEV_TTL, ["pii", "deploy"])
    if region not in {r["path"] for r in role["regions"]}:
        raise InvalidInput("请选择该角色所在的区域", errors=[{"field": "region", "message": "不是该角色可选的区域"}])
    region = normalize_region(region)
    sub = f"dev-{group}-{region.replace('/', '-')}"
    return mint(secret, sub, name or role["name"], [group], region, DEV_TTL)
