"""The provincial data bus against the real brokers: RabbitMQ on 127.0.0.1:5672 and a private NATS
JetStream server. A burst of 1 000 instance events goes through the real engine's outbox; the broker
goes away in the middle; every event arrives at least once, each copy with its event id.

The shared RabbitMQ is stopped with ``rabbitmqctl stop_app`` and always started again (``finally``);
the NATS outage uses a private ``nats-server`` on a free port, so the shared one is never touched.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import threading
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable, Iterator

import orjson
import pytest
from gongzhi import SYSTEM, Actor, ConfigurationError, Engine
from gongzhi.adapters.bus import BusAdapter, Target
from gongzhi.runtime import jobs
from gongzhi.store.models import Job
from sqlalchemy import func, select

pika = pytest.importorskip("pika")
nats = pytest.importorskip("nats")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CLERK = Actor.of("clerk-1", "张三", ["clerk"], "110105/001")
START = {"title": "修路灯", "days": 2, "review_within": "PT1H", "archive_groups": ["archivist"]}
RABBIT = "amqp://guest:guest@127.0.0.1:5672/%2F"
BURST = 1000


# --- helpers --------------------------------------------------------------------------


@pytest.fixture
def bus_engine(make_engine: Callable[..., Engine]) -> Iterator[Callable[[BusAdapter], Engine]]:
    adapters: list[BusAdapter] = []

    def make(bus: BusAdapter, **options: Any) -> Engine:
        adapters.append(bus)
        engine = make_engine(plugins=[bus], disable_plugins=["whistle", "open311", "hotline12345", "wechat",
                                                             "webhook", "bus", "consultation", "property"],
                             job_backoff_seconds=1, **options)
        engine.deploy([FIXTURES / "approval"])
        return engine

    yield make
    for bus in adapters:
        bus.close()


def burst(engine: Engine, count: int) -> None:
    for n in range(count):
        engine.start("approval", CLERK, {**START, "title": f"修路灯 {n}"})


def delivery_ids(engine: Engine, channel: str) -> set[str]:
    with engine.db.read() as session:
        return {job.payload["event_id"] for job in session.scalars(select(Job).where(Job.kind == "delivery"))
                if job.payload["channel"] == channel}


def pending(engine: Engine) -> int:
    with engine.db.read() as session:
        return session.scalar(select(func.count()).select_from(Job).where(Job.kind == "delivery",
                                                                          Job.status == "pending")) or 0


def drain(engine: Engine, clock: Any, tally: dict[str, int], rounds: int = 60) -> None:
    """Run due deliveries, moving the clock past each backoff, until none is pending."""
    for _ in range(rounds):
        jobs.run_due(engine, "bus-test", batch=50, tally=tally)
        if not pending(engine):
            return
        clock.advance(timedelta(minutes=10))
    raise AssertionError(f"{pending(engine)} deliveries still pending")


def outage_in_the_middle(engine: Engine, clock: Any, stop: Callable[[], None], start: Callable[[], None]) -> dict[str, int]:
    """Deliver a third, take the broker down while the worker keeps publishing, bring it back, deliver the rest."""
    tally: dict[str, int] = {}
    jobs.run_due(engine, "bus-test", batch=20, tally=tally, stop=lambda: tally.get("done", 0) >= BURST // 3)
    down = threading.Thread(target=stop)
    try:
        down.start()  # the broker goes away while publishes are in flight
        jobs.run_due(engine, "bus-test", batch=20, tally=tally, stop=lambda: not down.is_alive()
                     and tally.get("retry", 0) >= 20)
        down.join(30)
        jobs.run_due(engine, "bus-test", batch=20, tally=tally, stop=lambda: tally.get("retry", 0) >= 40)
    finally:
        down.join(30)
        start()
    drain(engine, clock, tally)
    return tally


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- configuration --------------------------------------------------------------------


def test_targets_are_checked_when_read() -> None:
    with pytest.raises(ConfigurationError, match="broker must be one of"):
        Target.from_dict({"id": "x", "broker": "kafka"})
    with pytest.raises(ConfigurationError, match="amqp://"):
        Target.from_dict({"id": "x", "broker": "rabbitmq", "url": "http://127.0.0.1"})
    with pytest.raises(ConfigurationError, match="unknown event types"):
        Target.from_dict({"id": "x", "broker": "nats", "servers": ["nats://127.0.0.1:4222"], "events": ["task.done"]})
    with pytest.raises(ConfigurationError, match="stream"):
        Target.from_dict({"id": "x", "broker": "nats", "servers": ["nats://127.0.0.1:4222"], "stream": "a.b"})
    with pytest.raises(ConfigurationError, match="defined twice"):
        _ = BusAdapter({"targets": [{"id": "x", "broker": "nats", "servers": "nats://127.0.0.1:4222"}] * 2}).targets
    target = Target.from_dict({"id": "p", "broker": "rabbitmq", "url": "amqp://bus:s3cret@10.0.0.1:5672/gz"})
    assert "s3cret" not in str(target.public()) and target.public()["url"] == "amqp://bus:***@10.0.0.1:5672/gz"
    assert target.route({"process_key": "a.b*", "kind": "start"}) == "gongzhi.a_b_.start"  # one token each
    closures = Target.from_dict({"id": "c", "broker": "nats", "servers": ["nats://127.0.0.1:4222"],
                                 "events": ["instance.completed"], "process_keys": ["whistle_dispatch"]})
    assert closures.wants("complete", "completed", "whistle_dispatch") == "instance.completed"
    assert closures.wants("complete", "running", "whistle_dispatch") is None  # a task, not the end
    assert closures.wants("complete", "completed", "approval") is None  # another process


# --- RabbitMQ -------------------------------------------------------------------------


def _rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=60)


def _rabbit_running() -> bool:
    try:
        pika.BlockingConnection(pika.URLParameters(RABBIT + "?socket_timeout=2&connection_attempts=1")).close()
        return True
    except pika.exceptions.AMQPError:
        return False


@pytest.fixture
def rabbit() -> Iterator[dict[str, Any]]:
    """A unique durable exchange and a durable queue bound to all of it; both deleted afterwards."""
    if shutil.which("rabbitmqctl") is None or not _rabbit_running():
        pytest.skip("RabbitMQ is not running on 127.0.0.1:5672")
    run = uuid.uuid4().hex[:10]
    names = {"exchange": f"gz.test.{run}", "queue": f"gz.test.{run}.all"}
    connection = pika.BlockingConnection(pika.URLParameters(RABBIT))
    channel = connection.channel()
    channel.exchange_declare(names["exchange"], exchange_type="topic", durable=True)
    channel.queue_declare(names["queue"], durable=True)
    channel.queue_bind(names["queue"], names["exchange"], routing_key="gongzhi.#")
    connection.close()
    try:
        yield names
    finally:
        if not _rabbit_running():
            _rabbitmqctl("start_app")  # never leave the shared broker down
        connection = pika.BlockingConnection(pika.URLParameters(RABBIT))
        connection.channel().queue_delete(names["queue"])
        connection.channel().exchange_delete(names["exchange"])
        connection.close()


def consume_all(queue: str) -> list[tuple[Any, bytes]]:
    connection = pika.BlockingConnection(pika.URLParameters(RABBIT))
    channel = connection.channel()
    found = []
    while True:
        method, properties, body = channel.basic_get(queue, auto_ack=True)
        if method is None:
            break
        found.append((properties, body))
    connection.close()
    return found


def test_a_burst_reaches_rabbitmq_across_a_broker_outage(bus_engine, rabbit, clock) -> None:  # type: ignore[no-untyped-def]
    bus = BusAdapter({"source": "urn:gongzhi:110105", "targets": [
        {"id": "province", "broker": "rabbitmq", "url": RABBIT, "exchange": rabbit["exchange"], "timeout": 3}]})
    engine = bus_engine(bus, job_max_attempts=100)
    burst(engine, BURST)
    expected = delivery_ids(engine, "bus.province")
    assert len(expected) == BURST and pending(engine) == BURST  # queued with the commits, nothing sent yet

    try:
        tally = outage_in_the_middle(engine, clock, lambda: _rabbitmqctl("stop_app"), lambda: _rabbitmqctl("start_app"))
    finally:
        if not _rabbit_running():
            _rabbitmqctl("start_app")
    assert tally["retry"] >= 40 and tally["done"] == BURST  # publishes failed while it was down, then all went
    assert engine.incidents(SYSTEM) == []

    messages = consume_all(rabbit["queue"])
    ids = [props.message_id for props, _ in messages]
    assert set(ids) == expected  # every committed event, at least once; nothing we did not send
    for props, body in messages:
        event = orjson.loads(body)
        assert event["id"] == props.message_id == props.headers["ce-id"]  # a duplicate carries the same id
        assert props.delivery_mode == 2 and props.content_type == "application/cloudevents+json"
        assert event["type"] == "cn.gongzhi.instance.started" and event["source"] == "urn:gongzhi:110105"
        assert set(event["data"]) == {"kind", "instance_id", "process_key", "element_id", "task_id", "region",
                                      "status", "business_key"}  # never the actor, never variables
    print(f"\nRabbitMQ: {len(messages)} messages for {BURST} events ({len(messages) - BURST} duplicates), {tally}")


def test_an_unroutable_or_unreachable_exchange_retries_then_becomes_an_incident(bus_engine, rabbit, clock) -> None:  # type: ignore[no-untyped-def]
    port = free_port()  # nothing listens there
    bus = BusAdapter({"targets": [
        {"id": "nobody", "broker": "rabbitmq", "url": RABBIT, "exchange": rabbit["exchange"] + ".unbound"},
        {"id": "gone", "broker": "rabbitmq", "url": f"amqp://guest:guest@127.0.0.1:{port}/%2F", "timeout": 1}]})
    engine = bus_engine(bus, job_max_attempts=2)
    burst(engine, 1)
    tally: dict[str, int] = {}
    try:
        drain(engine, clock, tally)
    finally:  # the adapter declared the unbound exchange: never leave it on the shared broker
        connection = pika.BlockingConnection(pika.URLParameters(RABBIT))
        connection.channel().exchange_delete(rabbit["exchange"] + ".unbound")
        connection.close()
    incidents = engine.incidents(SYSTEM)
    assert tally == {"retry": 2, "incident": 2} and len(incidents) == 2
    errors = sorted(i["error"] for i in incidents)
    unroutable, unreachable = sorted(errors, key=lambda e: "no queue" not in e)
    assert "routes 'gongzhi.approval.start' to no queue" in unroutable  # mandatory: never dropped unseen
    assert f"127.0.0.1:{port}: cannot connect" in unreachable and "guest:guest" not in unreachable  # no credentials


# --- NATS JetStream -------------------------------------------------------------------


class PrivateNats:
    """A nats-server with JetStream on a free port and its own store; killed and restarted at will."""

    def __init__(self, store: Path) -> None:
        self.port, self.store = free_port(), store
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(["nats-server", "-a", "127.0.0.1", "-p", str(self.port), "-js",
                                         "-sd", str(self.store)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise AssertionError("private nats-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[PrivateNats]:
    if shutil.which("nats-server") is None:
        pytest.skip("nats-server is not installed")
    server = PrivateNats(tmp_path / "jetstream")
    server.start()
    try:
        yield server
    finally:
        server.kill()


async def _stream_messages(url: str, stream: str) -> list[tuple[dict[str, str], bytes]]:
    client = await nats.connect(url)
    try:
        js = client.jetstream()
        info = await js.stream_info(stream)
        found = []
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            msg = await js.get_msg(stream, seq)
            found.append((dict(msg.headers or {}), msg.data))
        return found
    finally:
        await client.close()


def stream_messages(url: str, stream: str) -> list[tuple[dict[str, str], bytes]]:
    return asyncio.run(_stream_messages(url, stream))


def test_a_burst_reaches_jetstream_across_a_server_outage(bus_engine, private_nats, clock) -> None:  # type: ignore[no-untyped-def]
    stream = f"GZ_TEST_{uuid.uuid4().hex[:10]}"
    bus = BusAdapter({"targets": [{"id": "province", "broker": "nats", "servers": [private_nats.url],
                                   "stream": stream, "timeout": 2}]})
    engine = bus_engine(bus, job_max_attempts=100)
    burst(engine, BURST)
    expected = delivery_ids(engine, "bus.province")
    assert len(expected) == BURST

    def down() -> None:
        private_nats.kill()
        time.sleep(0.5)

    tally = outage_in_the_middle(engine, clock, down, private_nats.start)
    assert tally["retry"] >= 40 and tally["done"] == BURST and engine.incidents(SYSTEM) == []

    messages = stream_messages(private_nats.url, stream)  # the stream was created by the first publish
    ids = [headers.get("Nats-Msg-Id") for headers, _ in messages]
    assert set(ids) == expected  # every committed event, each under its event id, none lost across the kill
    for headers, body in messages:
        event = orjson.loads(body)
        assert event["id"] == headers["Nats-Msg-Id"] and event["data"]["process_key"] == "approval"
    print(f"\nJetStream: {len(messages)} messages for {BURST} events ({len(messages) - BURST} duplicates), {tally}")


def test_jetstream_drops_a_republished_event_id(bus_engine, clock) -> None:  # type: ignore[no-untyped-def]
    """Against the shared server on 127.0.0.1:4222: a publish retried after its ack was lost is one message."""
    try:
        socket.create_connection(("127.0.0.1", 4222), 1).close()
    except OSError:
        pytest.skip("NATS is not running on 127.0.0.1:4222")
    stream = f"GZ_TEST_{uuid.uuid4().hex[:10]}"
    bus = BusAdapter({"targets": [{"id": "shared", "broker": "nats", "servers": ["nats://127.0.0.1:4222"],
                                   "stream": stream, "prefix": f"gz{uuid.uuid4().hex[:8]}"}]})
    engine = bus_engine(bus)
    try:
        burst(engine, 3)
        engine.run_due_jobs()
        target, (event_id, *_) = bus.targets["shared"], sorted(delivery_ids(engine, "bus.shared"))
        publisher = bus.publisher(target)
        assert publisher.publish(f"{target.prefix}.approval.start", b"{}", event_id) is True  # JetStream: duplicate
        messages = stream_messages("nats://127.0.0.1:4222", stream)
        assert sorted(h["Nats-Msg-Id"] for h, _ in messages) == sorted(delivery_ids(engine, "bus.shared"))
    finally:
        asyncio.run(_delete_stream("nats://127.0.0.1:4222", stream))


async def _delete_stream(url: str, stream: str) -> None:
    client = await nats.connect(url)
    try:
        await client.jetstream().delete_stream(stream)
    finally:
        await client.close()


def test_a_redelivered_event_carries_its_event_id_again(bus_engine, rabbit) -> None:  # type: ignore[no-untyped-def]
    """A worker that dies between the broker's confirm and its own commit publishes again: same id, same body."""
    bus = BusAdapter({"targets": [{"id": "province", "broker": "rabbitmq", "url": RABBIT, "exchange": rabbit["exchange"]}]})
    engine = bus_engine(bus)
    burst(engine, 1)
    with engine.db.read() as session:
        job = session.scalars(select(Job).where(Job.kind == "delivery")).one()
    from gongzhi import Delivery

    delivery = Delivery(job.payload["event_id"], "bus.province", job.payload["event"], 1)
    bus.deliver(bus.targets["province"], delivery)
    bus.deliver(bus.targets["province"], Delivery(delivery.event_id, delivery.channel, delivery.event, 2))
    (first, one), (second, two) = consume_all(rabbit["queue"])
    assert first.message_id == second.message_id == delivery.event_id and one == two  # consumers dedup by id
