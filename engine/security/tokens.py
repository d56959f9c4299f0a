"""Development and service tokens: HS256 JWTs with claims sub, name, groups, region, exp.

A token may carry several regions (claim ``regions``, a list, for a city-level
reader) instead of one ``region``; every code is checked (digits and slashes).
A token that is not an admin's must name at least one region: an empty region
would mean the whole tree.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import jwt

from ..errors import InvalidInput, NotAllowed
from .identity import ADMIN_GROUP, Actor

__all__ = ["mint", "actor_from_token", "InvalidToken"]

ALGORITHM = "HS256"


class InvalidToken(NotAllowed):
    http_status = 401
    title = "未登录或令牌无效"


def mint(secret: str, sub: str, name: str = "", groups: Iterable[str] = (), region: str = "",
         ttl: timedelta = timedelta(hours=8), permissions: Iterable[str] = (), now: datetime | None = None,
         regions: Iterable[str] = ()) -> str:
    issued = now or datetime.now(timezone.utc)
    claims: dict[str, Any] = {
        "sub": sub, "name": name or sub, "groups": sorted(set(groups)), "region": region,
        "iat": int(issued.timestamp()), "exp": int((issued + ttl).timestamp()),
    }
    if regions:
        claims["regions"] = list(regions)
    if permissions:
        claims["permissions"] = sorted(set(permissions))
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def mint_admin(secret: str, ttl: timedelta = timedelta(hours=8)) -> str:
    return mint(secret, "admin", "管理员", [ADMIN_GROUP], "", ttl, permissions=["pii"])


def actor_from_token(secret: str, token: str) -> Actor:
    """Verify signature and expiry; raise InvalidToken with the reason."""
    try:
        claims = jwt.decode(token, secret, algorithms=[ALGORITHM], options={"require": ["sub", "exp"]})
    except jwt.ExpiredSignatureError as exc:
        raise InvalidToken("令牌已过期 (token expired)") from exc
    except jwt.PyJWTError as exc:
        raise InvalidToken(f"令牌无效：{exc}") from exc
    groups, perms = claims.get("groups") or [], claims.get("permissions") or []
    region, regions = claims.get("region") or "", claims.get("regions") or []
    if not isinstance(groups, list) or not isinstance(perms, list) or not isinstance(region, str) \
            or not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
        raise InvalidToken("令牌中的 groups/permissions/regions 必须是列表，region 必须是字符串")
    try:
        actor = Actor.of(str(claims["sub"]), str(claims.get("name") or claims["sub"]), map(str, groups), region,
                         map(str, perms), regions=[r for r in regions if r] or [region])
    except InvalidInput as exc:
        raise InvalidToken(f"令牌中的区域无效：{exc}") from exc
    if not actor.is_admin and not actor.scoped_regions:
        raise InvalidToken("令牌没有指定管辖区域（region）：只有管理员可以不限区域")
    return actor
