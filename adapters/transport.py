"""Outbound HTTP for adapters, through one seam: an ``httpx`` client with a replaceable transport.

Production uses httpx's default transport. Tests (or an integrator behind a
gateway) pass another ``httpx.BaseTransport`` — ``httpx.MockTransport``, or an
``HTTPTransport`` bound to a local address — to the adapter's constructor.
A non-2xx answer raises ``DeliveryFailed`` so the outbox retries the delivery.

httpx is imported on the first delivery, not before: an engine or a worker whose
channels never deliver does not load it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

if TYPE_CHECKING:  # pragma: no cover
    import httpx

__all__ = ["Sender", "DeliveryFailed"]

USER_AGENT = "gongzhi-adapters/0.1"


class DeliveryFailed(Exception):
    """The receiver did not accept the delivery (network error or non-2xx status)."""


class Sender:
    """POSTs JSON bodies; one pooled client per sender, created on first use."""

    def __init__(self, transport: httpx.BaseTransport | None = None, timeout: float = 10.0) -> None:
        self.transport, self.timeout = transport, timeout
        self._client: Any = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = httpx.Client(transport=self.transport, timeout=self.timeout,
                                        headers={"user-agent": USER_AGENT}, follow_redirects=False)
        return self._client

    def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> httpx.Response:
        import httpx

        try:
            response = self.client.post(url, content=body, headers={"content-type": "application/json", **headers})
        except httpx.HTTPError as exc:
            raise DeliveryFailed(f"POST {url}: {type(exc).__name__}: {exc}") from exc
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"POST {url}: HTTP {response.status_code} {response.text[:200]}")
        return response

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
