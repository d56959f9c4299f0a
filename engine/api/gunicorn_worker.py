"""The gunicorn worker ``gongzhi serve`` runs: gthread, with gunicorn's own errors as problem details.

Some requests never reach the app: a request line longer than
``limit_request_line`` (414), too many or too large headers (431), a
malformed request line or header (400), an unsupported transfer coding
(501). Gunicorn answers those itself in ``Worker.handle_error``, as HTML.
This worker lets gunicorn decide, log and write the access log exactly as
before, catches the answer it writes, and sends the same status as RFC 9457
``application/problem+json`` with a Chinese title like every other error of
the API. Imported by gunicorn only (``worker_class``), so nothing else needs
gunicorn installed.
"""

from __future__ import annotations

from typing import Any

import orjson
from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

from .problems import HTTP_TITLES, PROBLEM_MEDIA_TYPE, problem_body

__all__ = ["ProblemThreadWorker", "render_problem"]


class _Captured:
    """Stands in for the client socket while gunicorn writes its HTML answer, keeping the bytes."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0  # gunicorn then writes with one sendall, without touching blocking mode

    def setblocking(self, flag: bool) -> None:  # pragma: no cover - not called with a zero timeout
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data


def _details(cfg: Any) -> dict[int, str]:
    return {
        400: "HTTP 请求格式错误，服务器无法解析 (malformed HTTP request)",
        403: "请求被拒绝 (forbidden)",
        414: f"请求行（地址与查询参数）过长，上限 {cfg.limit_request_line} 字节 (request line too long)",
        417: "无法满足 Expect 请求头 (expectation failed)",
        431: (f"请求头过多或过大：最多 {cfg.limit_request_fields} 个，每个不超过 {cfg.limit_request_field_size} 字节"
              " (request header fields too large)"),
        501: "不支持该传输编码 (unsupported transfer coding)",
    }


def render_problem(status: int, reason: str, detail: str) -> bytes:
    """A complete HTTP/1.1 response carrying a problem document; the connection closes after it."""
    title = HTTP_TITLES.get(status) or HTTP_TITLES[500 if status >= 500 else 400]
    body = orjson.dumps(problem_body(status, title, detail, f"http-{status}"))
    head = (f"HTTP/1.1 {status} {reason}\r\nConnection: close\r\nContent-Type: {PROBLEM_MEDIA_TYPE}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n")
    return head.encode("latin-1") + body


def _status_line(data: bytes) -> tuple[int, str] | None:
    parts = data.split(b"\r\n", 1)[0].decode("latin-1").split(" ", 2)
    if len(parts) < 2 or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2] if len(parts) > 2 else ""


class ProblemThreadWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker whose error answers are ``application/problem+json``."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        captured = _Captured()
        super().handle_error(req, captured, addr, exc)  # classifies, logs and writes the access log
        parsed = _status_line(captured.data)
        if parsed is None:
            return  # gunicorn wrote nothing we understand (it may have given up on the socket)
        status, reason = parsed
        detail = _details(self.cfg).get(status) or (
            "服务器内部错误，请联系管理员 (internal error)" if status >= 500 else HTTP_TITLES[400])
        try:
            util.write_nonblock(client, render_problem(status, reason, detail))
        except Exception:  # noqa: BLE001 - like gunicorn: the client may be gone
            self.log.debug("Failed to send error message.")
