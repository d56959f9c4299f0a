"""Development and service tokens: HS256 JWTs with claims sub, name, groups, region, exp."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterable

import jwt

from .errors import NotAllowed
from .identity import ADMIN_GROUP, Actor

__all__ = ["mint", "actor_from_token", "InvalidToken"]

ALGORITHM = "HS256"


class InvalidToken(NotAllowed):
    http_status = 401
    title = "未登录或令牌无效"


def mint(secret: str, sub: str, name: str = "", groups: Iterable[str] = (), region: str = "",
         ttl: timedelta = timedelta(hours=8), permissions: Iterable[str] = (), now: datetime | None = None) -> str:
    issued = now or datetime.now(timezone.utc)
    claims: dict[str, Any] = {
        "sub": sub, "name": name or sub, "groups": sorted(set(groups)), "region": region,
        "iat": int(issued.timestamp()), "exp": int((issued + ttl).timestamp()),
    }
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
    if not isinstance(groups, list) or not isinstance(perms, list) or not isinstance(claims.get("region", ""), str):
        raise InvalidToken("令牌中的 groups/permissions 必须是列表，region 必须是字符串")
    return Actor.of(str(claims["sub"]), str(claims.get("name") or claims["sub"]), map(str, groups),
                    claims.get("region") or "", map(str, perms))
