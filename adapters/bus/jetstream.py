"""Publishing to NATS JetStream with nats-py behind a small synchronous facade.

nats-py is asyncio: the facade runs one event loop in a daemon thread per target and hands it
coroutines with a bounded wait, so the outbox's worker threads call ``publish`` like any other
blocking channel. The stream is created when missing. Every message carries ``Nats-Msg-Id`` =
the event id, so JetStream drops a retried duplicate inside its deduplication window; ``publish``
returns once the stream acknowledged, anything else raises ``DeliveryFailed``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Coroutine, Sequence

from ..transport import DeliveryFailed

__all__ = ["JetStreamPublisher"]
logger = logging.getLogger("gongzhi.adapters.bus")


async def _log_error(error: Exception) -> None:
    """nats-py's error callback (its default prints to stderr); the failed publish itself is what counts."""
    logger.debug("NATS client error: %s: %s", type(error).__name__, error)


class JetStreamPublisher:
    """Publishes bodies to subjects of one stream; ``publish`` raises ``DeliveryFailed`` unless acknowledged."""

    def __init__(self, servers: Sequence[str], stream: str, subjects: Sequence[str], timeout: float,
                 duplicate_window: float) -> None:
        self.servers, self.stream, self.subjects = list(servers), stream, list(subjects)
        self.timeout, self.duplicate_window = timeout, duplicate_window
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._js: Any = None
        self._lock = threading.Lock()  # guards the loop's creation
        self._one_at_a_time = threading.Lock()  # one publish in flight: no two connects racing

    @property
    def where(self) -> str:
        return ", ".join(s.rsplit("@", 1)[-1] for s in self.servers)  # never the credentials of a URL

    def publish(self, subject: str, body: bytes, event_id: str) -> bool:
        """Publish and wait for the ack; True when JetStream says it already had this event id."""
        try:
            with self._one_at_a_time:
                ack = self._run(self._publish(subject, body, event_id), self.timeout * 3)
        except DeliveryFailed:
            raise
        except Exception as exc:  # noqa: BLE001 - every failure asks the outbox for a retry
            raise DeliveryFailed(f"NATS {self.where}: {type(exc).__name__}: {exc}"[:500]) from exc
        return bool(ack.duplicate)

    async def _publish(self, subject: str, body: bytes, event_id: str) -> Any:
        js = await self._jetstream()
        try:
            return await js.publish(subject, body, timeout=self.timeout, headers={"Nats-Msg-Id": event_id})
        except Exception:
            await self._reset()  # a fresh connection next time: nothing half-open is reused
            raise

    async def _jetstream(self) -> Any:
        if self._js is not None and self._client is not None and self._client.is_connected:
            return self._js
        import nats
        from nats.js.api import StreamConfig
        from nats.js.errors import NotFoundError

        await self._reset()
        # No reconnecting inside the client: a lost connection fails the publish, the outbox retries.
        # (max_reconnect_attempts=1 bounds the first connect too: 0 would mean "try forever".)
        self._client = await nats.connect(servers=self.servers, connect_timeout=self.timeout, allow_reconnect=False,
                                          max_reconnect_attempts=1, reconnect_time_wait=0.1, name="gongzhi-bus",
                                          error_cb=_log_error)
        js = self._client.jetstream(timeout=self.timeout)
        try:
            await js.stream_info(self.stream)
        except NotFoundError:
            await js.add_stream(StreamConfig(name=self.stream, subjects=self.subjects,
                                             duplicate_window=self.duplicate_window))
        self._js = js
        return js

    async def _reset(self) -> None:
        client, self._client, self._js = self._client, None, None
        if client is not None and not client.is_closed:
            try:
                await asyncio.wait_for(client.close(), self.timeout)
            except Exception:  # noqa: BLE001 - closing a broken connection may fail; it is gone either way
                pass

    def _run(self, coro: Coroutine[Any, Any, Any], wait: float) -> Any:
        future = asyncio.run_coroutine_threadsafe(coro, self._event_loop())
        try:
            return future.result(wait)
        except TimeoutError as exc:
            if future.done():
                raise  # the publish itself timed out waiting for its ack
            future.cancel()
            raise DeliveryFailed(f"NATS {self.where}: no answer within {wait:g} s") from exc

    def _event_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(target=loop.run_forever, name=f"gongzhi-bus-{self.stream}", daemon=True).start()
                self._loop = loop
            return self._loop

    def close(self) -> None:
        """Close the connection and stop the loop's thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            asyncio.run_coroutine_threadsafe(self._reset(), loop).result(self.timeout + 1)
        except Exception:  # noqa: BLE001 - best effort on shutdown
            pass
        loop.call_soon_threadsafe(loop.stop)
        self._loop = None
        for _ in range(100):  # the loop's thread stops within a moment; then the loop can be closed
            if not loop.is_running():
                loop.close()
                break
            threading.Event().wait(0.01)
