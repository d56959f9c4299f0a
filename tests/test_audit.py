"""The audit trail is append-only and tamper-evident."""

from __future__ import annotations

import hashlib
import hmac
import shutil
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable

import orjson
import pytest
from click.testing import CliRunner
from sqlalchemy import delete, func, select, update

from gongzhi import SYSTEM, Actor, AuditChainBroken, ConfigurationError, Engine, MovableClock, hookimpl
from gongzhi.cli import main
from gongzhi.security.macs import SM3
from gongzhi.runtime import audit
from gongzhi.store.models import AuditCheckpoint, AuditEvent, Incident, Instance, Job, MessageSubscription, TaskRow


def run_case(engine: Engine, people: Any, start_vars: dict) -> str:
    inst = engine.start("approval", people.clerk, start_vars)
    engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": False, "comment": "材料不全"})
    return inst.id


def test_events_record_who_what_and_changes(engine: Engine, people: Any, start_vars: dict) -> None:
    instance_id = run_case(engine, people, start_vars)
    events = engine.history(instance_id, people.leader)
    complete = events[1]
    assert complete["actor"] == {"id": "clerk-1", "name": "张三"}
    assert complete["element_id"] == "review" and complete["task_id"]
    assert complete["data"]["comment"] == "材料不全" and complete["changed"]["hours"] == 16
    assert "comment" not in complete["changed"]  # what the form gave is kept once, in data
    assert [e["seq"] for e in events] == [1, 2, 3]
    assert events[1]["at"] == engine.clock.now().isoformat()


def test_clean_chain_verifies(engine: Engine, people: Any, start_vars: dict) -> None:
    run_case(engine, people, start_vars)
    report = engine.verify_audit()
    assert report.ok and report.events == 4 and report.chains == 2  # the deployment chain and the instance chain


def _tamper(engine: Engine, statement: Any) -> None:
    with engine.db.write() as session:
        session.execute(statement)


def test_edited_payload_is_detected(engine: Engine, people: Any, start_vars: dict) -> None:
    instance_id = run_case(engine, people, start_vars)
    with engine.db.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.chain == instance_id, AuditEvent.seq == 2)).one()
    body = orjson.loads(event.payload)
    body["changed"]["comment"] = "材料齐全"
    _tamper(engine, update(AuditEvent).where(AuditEvent.id == event.id).values(payload=orjson.dumps(body).decode()))
    report = engine.verify_audit()
    assert not report.ok and any("#2" in p and "hash mismatch" in p for p in report.problems)


def test_edited_column_is_detected(engine: Engine, people: Any, start_vars: dict) -> None:
    instance_id = run_case(engine, people, start_vars)
    _tamper(engine, update(AuditEvent).where(AuditEvent.chain == instance_id, AuditEvent.seq == 2).values(actor_id="someone-else"))
    assert any("indexed columns" in p for p in engine.verify_audit().problems)


def test_deleted_and_truncated_events_are_detected(engine: Engine, people: Any, start_vars: dict) -> None:
    first = run_case(engine, people, start_vars)
    second = run_case(engine, people, start_vars)
    _tamper(engine, delete(AuditEvent).where(AuditEvent.chain == first, AuditEvent.seq == 2))
    _tamper(engine, delete(AuditEvent).where(AuditEvent.chain == second, AuditEvent.seq == 3))
    problems = engine.verify_audit().problems
    assert any(first in p and "missing" in p for p in problems)
    assert any(second in p and "removed" in p for p in problems)


def test_cli_audit_verify(engine: Engine, people: Any, start_vars: dict) -> None:
    instance_id = run_case(engine, people, start_vars)
    runner = CliRunner()
    ok = runner.invoke(main, ["--database-url", engine.config.database_url, "audit", "verify"])
    assert ok.exit_code == 0 and "审计链完好" in ok.output
    _tamper(engine, update(AuditEvent).where(AuditEvent.chain == instance_id, AuditEvent.seq == 1).values(payload="{}"))
    broken = runner.invoke(main, ["--database-url", engine.config.database_url, "audit", "verify"])
    assert broken.exit_code == 1 and "hash mismatch" in broken.output


def test_history_masks_personal_data_without_the_pii_permission(engine: Engine, people: Any, start_vars: dict) -> None:
    inst = engine.start("approval", people.clerk, {**start_vars, "phone": "13812341234"})
    plain = engine.history(inst.id, people.leader)[0]
    assert plain["variables"]["phone"] == "138****1234" and plain["actor"]["name"] == "张三"
    officer = type(people.leader)("officer", "专员", frozenset({"leader"}), "110105", frozenset({"pii"}))
    assert engine.history(inst.id, officer)[0]["variables"]["phone"] == "13812341234"
    assert engine.verify_audit().ok  # masking is a view: the stored chain is untouched


def test_changes_of_nested_records_are_logged_leaf_by_leaf() -> None:
    from gongzhi.runtime.queries import changes

    results = [{"dept": "城管", "notes": "x" * 500}]
    before = {"case": {"status": "办理中", "departments": ["城管"], "notes": "x" * 500, "old": 1}, "n": 1, "gone": 2,
              "results": results, "order": ["a", "b"]}
    after = {"case": {"status": "已办结", "departments": ["城管", "环保"], "notes": "x" * 500}, "n": 1, "new": True,
             "results": [*results, {"dept": "环保"}], "order": ["b", "a"], "comment": "同意"}
    diff = changes(before, after, given={"comment": "同意"})
    assert diff.changed == {"case": {"status": "已办结", "old": None}, "new": True, "order": ["b", "a"]}
    assert diff.appended == {"case": {"departments": ["环保"]}, "results": [{"dept": "环保"}]}
    assert diff.removed == ["gone"]  # and the submitted comment is kept once, in the event's data


# --- keyed chains: an insider with the database but not the key --------------------------------

KEY_A = "2026a:" + "a" * 64
KEY_B = "2026b:" + "b" * 64
LEGACY = Path(__file__).parent / "fixtures" / "legacy" / "v0_1.sqlite3"
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def keyed(make_engine: Callable[..., Engine], tmp_path: Path) -> Callable[..., Engine]:
    """Engines with a configured key and a checkpoint folder of their own, the approval process deployed."""

    def make(url: str | None = None, deploy: bool = True, **options: Any) -> Engine:
        options.setdefault("audit_key", KEY_A)
        options.setdefault("audit_checkpoint_dir", str(tmp_path / "checkpoints"))
        engine = make_engine(url, **options)
        if deploy:
            engine.deploy([FIXTURES / "approval"])
        return engine

    return make


def _events(engine: Engine, chain: str) -> list[AuditEvent]:
    with engine.db.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)))


def _rehash_unkeyed(engine: Engine, chain: str, from_seq: int, edit: Callable[[dict], None] | None = None,
                    downgrade: bool = False) -> None:
    """What an insider can do: edit an event, recompute every sha256 link after it and the head."""
    with engine.db.write() as session:
        prev = audit.GENESIS
        for event in session.scalars(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.seq)):
            if event.seq == from_seq and edit is not None:
                body = orjson.loads(event.payload)
                edit(body)
                event.payload = orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode()
            if event.seq >= from_seq:
                event.prev_hash = prev
                event.hash = hashlib.sha256((prev + event.payload).encode()).hexdigest()
                if downgrade:
                    event.key_id = event.algorithm = None
            prev = event.hash
        session.execute(update(Instance).where(Instance.id == chain).values(audit_hash=prev))


def _delete_instance(engine: Engine, instance_id: str) -> None:
    """An insider removes a case and everything that points at it."""
    with engine.db.write() as session:
        for model in (TaskRow, Job, MessageSubscription, Incident, AuditEvent):
            session.execute(delete(model).where(model.instance_id == instance_id))
        session.execute(delete(Instance).where(Instance.id == instance_id))


def _truncate(engine: Engine, chain: str) -> None:
    """An insider removes the last event and points the head at the one before."""
    *rest, last = _events(engine, chain)
    _tamper(engine, delete(AuditEvent).where(AuditEvent.id == last.id))
    _tamper(engine, update(Instance).where(Instance.id == chain).values(audit_seq=rest[-1].seq, audit_hash=rest[-1].hash))


def test_events_are_sealed_with_the_configured_key(keyed: Callable[..., Engine], people: Any, start_vars: dict) -> None:
    engine = keyed()
    instance_id = run_case(engine, people, start_vars)
    events = _events(engine, instance_id)
    assert {(e.key_id, e.algorithm) for e in events} == {("2026a", "hmac-sha256")}
    for event in events:  # recomputed here with the standard library, independently of the engine
        expected = hmac.new(b"a" * 64, (event.prev_hash + event.payload).encode(), hashlib.sha256).hexdigest()
        assert event.hash == expected
    assert engine.verify_audit().ok


def test_insider_recomputing_the_unkeyed_hashes_and_head_is_detected(keyed: Callable[..., Engine], people: Any,
                                                                     start_vars: dict) -> None:
    engine = keyed()
    instance_id = run_case(engine, people, start_vars)

    def approve(body: dict) -> None:
        body["changed"]["comment"] = "材料齐全"

    _rehash_unkeyed(engine, instance_id, 2, approve)
    problems = engine.verify_audit().problems
    assert any(instance_id in p and "#2" in p and "hash mismatch" in p for p in problems)


def test_insider_who_also_drops_the_key_id_is_detected(keyed: Callable[..., Engine], people: Any,
                                                       start_vars: dict) -> None:
    engine = keyed()
    instance_id = run_case(engine, people, start_vars)
    assert audit.take_checkpoint(engine) is not None  # the first checkpoint records that nothing was unkeyed
    _rehash_unkeyed(engine, instance_id, 1, lambda body: body["variables"].update(title="修水管"), downgrade=True)
    problems = engine.verify_audit().problems
    assert any(instance_id in p and "unkeyed event after the upgrade" in p for p in problems)


def test_insider_dropping_key_ids_before_any_checkpoint_is_detected(keyed: Callable[..., Engine], people: Any,
                                                                    start_vars: dict) -> None:
    engine = keyed()
    instance_id = run_case(engine, people, start_vars)
    _rehash_unkeyed(engine, instance_id, 1, lambda body: body["variables"].update(title="修水管"), downgrade=True)
    assert any("unkeyed events after keyed ones" in p for p in engine.verify_audit().problems)


def test_a_forged_checkpoint_row_is_detected(keyed: Callable[..., Engine], people: Any, start_vars: dict) -> None:
    engine = keyed()
    run_case(engine, people, start_vars)
    audit.take_checkpoint(engine)
    with engine.db.read() as session:
        body = session.scalar(select(AuditCheckpoint.body))
    forged = body.replace('"through_id":', '"through_id":99999,"x":')  # skip what comes next
    _tamper(engine, update(AuditCheckpoint).values(body=forged))
    assert any("checkpoint row altered" in p for p in engine.verify_audit().problems)
    with pytest.raises(AuditChainBroken):
        audit.take_checkpoint(engine)


# --- checkpoints: deletions and truncations --------------------------------------------------


def test_deleting_an_instance_with_its_events_is_detected_by_checkpoints(keyed: Callable[..., Engine], people: Any,
                                                                         start_vars: dict) -> None:
    engine = keyed()
    victim = run_case(engine, people, start_vars)
    kept = run_case(engine, people, start_vars)
    checkpoint = audit.take_checkpoint(engine)
    assert checkpoint["chains"] == 3 and checkpoint["legacy"] == {"through_id": 0, "events": 0}
    _delete_instance(engine, victim)
    assert engine.verify_audit().ok  # the database alone cannot tell: that is what checkpoints are for
    report = engine.verify_audit(checkpoints=True)
    assert any(victim in p and "chain deleted" in p for p in report.problems)
    assert not any(kept in p for p in report.problems)


def test_truncating_a_chain_is_detected_by_checkpoints(keyed: Callable[..., Engine], people: Any,
                                                       start_vars: dict) -> None:
    engine = keyed()
    instance_id = run_case(engine, people, start_vars)
    audit.take_checkpoint(engine)
    _truncate(engine, instance_id)
    assert engine.verify_audit().ok
    assert any(instance_id in p and "chain truncated" in p for p in engine.verify_audit(checkpoints=True).problems)


def test_checkpoints_cover_only_what_changed_and_together_all_heads(keyed: Callable[..., Engine], people: Any,
                                                                    start_vars: dict) -> None:
    engine = keyed()
    first = run_case(engine, people, start_vars)
    assert audit.take_checkpoint(engine)["chains"] == 2
    assert audit.take_checkpoint(engine) is None  # nothing new: no checkpoint
    second = run_case(engine, people, start_vars)
    later = audit.take_checkpoint(engine)
    assert [h[0] for h in later["heads"]] == [second] and later["seq"] == 2
    _delete_instance(engine, first)  # recorded only by the first checkpoint
    assert any(first in p and "chain deleted" in p for p in engine.verify_audit(checkpoints=True).problems)


def test_an_altered_or_missing_checkpoint_file_is_detected(keyed: Callable[..., Engine], people: Any,
                                                           start_vars: dict, tmp_path: Path) -> None:
    engine = keyed()
    for _ in range(3):
        run_case(engine, people, start_vars)
        audit.take_checkpoint(engine)
    assert engine.verify_audit(checkpoints=True).checkpoints == 3
    files = sorted((tmp_path / "checkpoints").glob("checkpoint-*.json"))
    doc = orjson.loads(files[2].read_bytes())
    doc["heads"] = doc["heads"][1:]
    files[2].write_bytes(orjson.dumps(doc))
    files[1].unlink()
    problems = engine.verify_audit(checkpoints=True).problems
    assert any("#2" in p and "missing from the sink" in p for p in problems)
    assert any("heads altered" in p for p in problems)


def test_a_late_commit_below_the_checkpoint_is_covered_by_the_next_one(keyed: Callable[..., Engine], people: Any,
                                                                       start_vars: dict, clock: MovableClock) -> None:
    """PostgreSQL may commit a lower id after a higher one; the gap is read again by the next checkpoint."""
    engine = keyed(audit_checkpoint_settle_seconds=600)
    early, late = run_case(engine, people, start_vars), run_case(engine, people, start_vars)
    audit.take_checkpoint(engine)
    with engine.db.read() as session:
        top = session.scalar(select(func.max(AuditEvent.id)))

    def note(instance_id: str, event_id: int) -> None:
        with engine.db.write() as session:
            event = audit.append(session, instance_id, people.clerk, "note", clock.now(),
                                 instance=session.get(Instance, instance_id), note="补充说明")
            event.id = event_id

    note(early, top + 3)  # committed first, with the higher id: ids top+1 and top+2 are a gap
    gapped = audit.take_checkpoint(engine)
    assert gapped["gaps"] == [[top + 1, top + 2, clock.now().isoformat()]]
    note(late, top + 1)  # the late commit inside the gap
    clock.advance(seconds=60)
    covered = audit.take_checkpoint(engine)
    assert [h[:2] for h in covered["heads"]] == [[late, 4]] and covered["gaps"] == [[top + 2, top + 2, gapped["taken_at"]]]
    clock.advance(seconds=601)
    note(late, top + 4)
    assert audit.take_checkpoint(engine)["gaps"] == []  # long settled: rolled back, forgotten


# --- key rotation and algorithms --------------------------------------------------------------


def test_key_rotation_events_under_two_keys_verify(keyed: Callable[..., Engine], db_url: str, people: Any,
                                                   start_vars: dict) -> None:
    before = keyed()
    old_case = run_case(before, people, start_vars)
    rotated = keyed(db_url, deploy=False, audit_key=KEY_B, audit_old_keys=KEY_A)
    new_case = run_case(rotated, people, start_vars)
    assert {e.key_id for e in _events(rotated, old_case)} == {"2026a"}
    assert {e.key_id for e in _events(rotated, new_case)} == {"2026b"}
    assert rotated.verify_audit().ok and before.verify_audit().ok is False  # the old engine lacks the new key
    retired = keyed(db_url, deploy=False, audit_key=KEY_B)  # the old key dropped too early
    assert any("'2026a'" in p and "key not configured" in p for p in retired.verify_audit().problems)


def test_checkpoints_under_a_rotated_key_verify(keyed: Callable[..., Engine], db_url: str, people: Any,
                                                start_vars: dict) -> None:
    before = keyed()
    run_case(before, people, start_vars)
    audit.take_checkpoint(before)
    rotated = keyed(db_url, deploy=False, audit_key=KEY_B, audit_old_keys=KEY_A)
    run_case(rotated, people, start_vars)
    assert audit.take_checkpoint(rotated)["key_id"] == "2026b"
    report = rotated.verify_audit(checkpoints=True)
    assert report.ok and report.checkpoints == 2


def test_hmac_sm3_seals_events_and_checkpoints(keyed: Callable[..., Engine], people: Any, start_vars: dict) -> None:
    engine = keyed(audit_algorithm="hmac-sm3")
    instance_id = run_case(engine, people, start_vars)
    events = _events(engine, instance_id)
    assert {e.algorithm for e in events} == {"hmac-sm3"}
    for event in events:  # cross-checked with gmssl's SM3, whatever OpenSSL provides
        assert event.hash == hmac.new(b"a" * 64, (event.prev_hash + event.payload).encode(), SM3).hexdigest()
    assert audit.take_checkpoint(engine)["algorithm"] == "hmac-sm3"
    assert engine.verify_audit(checkpoints=True).ok
    _tamper(engine, update(AuditEvent).where(AuditEvent.id == events[1].id).values(payload=events[1].payload + " "))
    assert any("hash mismatch" in p for p in engine.verify_audit().problems)


def test_without_a_key_one_is_derived_from_the_secret_key(make_engine: Callable[..., Engine], people: Any,
                                                          start_vars: dict) -> None:
    engine = make_engine(secret_key="s" * 40)
    engine.deploy([FIXTURES / "approval"])
    instance_id = run_case(engine, people, start_vars)
    secret = hmac.new(b"s" * 40, b"gongzhi-audit-key-v1", hashlib.sha256).hexdigest()  # as docs/audit.md says
    key_id = "derived-" + hashlib.sha256(secret.encode()).hexdigest()[:8]
    event = _events(engine, instance_id)[0]
    assert event.key_id == key_id
    assert event.hash == hmac.new(secret.encode(), (event.prev_hash + event.payload).encode(), hashlib.sha256).hexdigest()
    other = make_engine(secret_key="t" * 40)
    assert any("key not configured" in p for p in other.verify_audit().problems)


@pytest.mark.parametrize("options, field", [
    ({"audit_key": "k1:short"}, "audit_key"),
    ({"audit_key": "bad id:" + "x" * 32}, "audit_key"),
    ({"audit_key": KEY_A, "audit_old_keys": "no-colon-here" + "x" * 20}, "audit_old_keys"),
    ({"audit_key": KEY_A, "audit_old_keys": "2026a:" + "c" * 64}, "audit_old_keys"),
    ({"audit_algorithm": "md5"}, "audit_algorithm"),
])
def test_bad_key_configuration_is_refused_at_start(make_engine: Callable[..., Engine], options: dict,
                                                   field: str) -> None:
    with pytest.raises(ConfigurationError) as exc:
        make_engine(**options)
    assert exc.value.field == field and "x" * 32 not in str(exc.value)


# --- personal values ---------------------------------------------------------------------------


def test_personal_values_are_kept_out_of_the_hashed_payload(keyed: Callable[..., Engine], people: Any,
                                                            start_vars: dict) -> None:
    engine = keyed()
    inst = engine.start("approval", people.clerk, {**start_vars, "phone": "13812341234", "reporter_name": "王大妈",
                                                   "note": "回电 110105199001011234"})
    start = _events(engine, inst.id)[0]
    assert "13812341234" not in start.payload and "王大妈" not in start.payload and "1101051990" not in start.payload
    assert "修路灯" in start.payload  # what is not personal stays in the hashed text
    # Each value once, under "variables" (what the start gave is not repeated in "changed"), with its digest.
    assert sorted(start.personal.values()) == sorted(["13812341234", "王大妈", "回电 110105199001011234"])
    officer = Actor.of("officer", "专员", ["leader"], "110105", permissions=["pii"])
    shown = engine.history(inst.id, officer)[0]
    assert shown["variables"]["phone"] == "13812341234" and shown["variables"]["reporter_name"] == "王大妈"
    assert set(shown) == set(orjson.loads(start.payload)) | {"hash"}  # the same shape as before
    assert engine.verify_audit().ok


def test_an_edited_or_removed_personal_value_is_detected(keyed: Callable[..., Engine], people: Any,
                                                         start_vars: dict) -> None:
    engine = keyed()
    inst = engine.start("approval", people.clerk, {**start_vars, "phone": "13812341234", "reporter_name": "王大妈"})
    start = _events(engine, inst.id)[0]
    digests = sorted(start.personal, key=lambda d: start.personal[d])
    edited = {**start.personal, digests[0]: "13900000000"}
    _tamper(engine, update(AuditEvent).where(AuditEvent.id == start.id).values(personal=edited))
    assert any("personal value changed" in p for p in engine.verify_audit().problems)
    silenced = dict.fromkeys(start.personal)  # nulled, as if erased, but without an erasure
    _tamper(engine, update(AuditEvent).where(AuditEvent.id == start.id).values(personal=silenced))
    assert any("erased without an erase_personal event" in p for p in engine.verify_audit().problems)
    _tamper(engine, update(AuditEvent).where(AuditEvent.id == start.id).values(personal=None))
    assert any("personal value removed" in p for p in engine.verify_audit().problems)


def test_erasing_personal_values_keeps_the_chain_verifying(keyed: Callable[..., Engine], people: Any,
                                                           start_vars: dict, clock: MovableClock) -> None:
    engine = keyed()
    inst = engine.start("approval", people.clerk, {**start_vars, "phone": "13812341234", "reporter_name": "王大妈"})
    engine.complete(inst.open_tasks[0].id, people.clerk, {"approved": False, "comment": "联系 13900001111"})
    audit.take_checkpoint(engine)
    before = [(e.payload, e.hash) for e in _events(engine, inst.id)]
    with engine.db.write() as session:
        assert audit.erase_personal(session, inst.id, at=clock.now()) == 3  # three values, each kept once
    with engine.db.write() as session:
        assert audit.erase_personal(session, inst.id, at=clock.now()) == 0  # nothing more to erase
    events = _events(engine, inst.id)
    assert [(e.payload, e.hash) for e in events[:-1]] == before and events[-1].action == "erase_personal"
    assert all(v is None for e in events for v in (e.personal or {}).values())
    report = engine.verify_audit(checkpoints=True)
    assert report.ok, report.problems
    officer = Actor.of("officer", "专员", ["leader"], "110105", permissions=["pii"])
    for reader in (officer, people.leader):  # with and without the pii permission: the marker, not a mask of it
        shown = engine.history(inst.id, reader)
        assert shown[0]["variables"]["phone"] == "已删除" and shown[0]["variables"]["reporter_name"] == "已删除"
        assert shown[1]["data"]["comment"] == "已删除" and shown[0]["variables"]["title"] == "修路灯"
        assert shown[-1]["action"] == "erase_personal" and shown[-1]["erased"] == 3


def test_a_personal_predicate_sees_paths_from_the_details_root(keyed: Callable[..., Engine], people: Any,
                                                               start_vars: dict, clock: MovableClock) -> None:
    engine = keyed()
    inst = engine.start("approval", people.clerk, start_vars)
    seen: list[tuple[str, ...]] = []

    def declared(path: tuple[str, ...], value: Any) -> bool:
        seen.append(path)
        return path == ("changed", "open311", "contact")

    with engine.db.write() as session:
        event = audit.append(session, inst.id, people.clerk, "note", clock.now(), instance=session.get(Instance, inst.id),
                             personal=declared, changed={"open311": {"contact": "老王家", "phone": "13812341234"}},
                             items=[{"x": 1}])
    assert seen == [("changed",), ("changed", "open311"), ("changed", "open311", "contact"),
                    ("changed", "open311", "phone"), ("items",), ("items", "0"), ("items", "0", "x")]
    assert "老王家" not in event.payload and "13812341234" in event.payload  # the predicate decides, not the default
    assert engine.history(inst.id, SYSTEM)[-1]["changed"]["open311"] == {"contact": "老王家", "phone": "13812341234"}
    assert engine.verify_audit().ok


# --- the legacy (0.1) database -----------------------------------------------------------------


@pytest.fixture
def legacy(tmp_path: Path, make_engine: Callable[..., Engine], db_url: str) -> Callable[..., Engine]:
    """The 0.1 database, copied, upgraded by an engine with a key (on PostgreSQL: its rows copied into a fresh schema)."""

    def make(**options: Any) -> Engine:
        options.setdefault("audit_key", KEY_A)
        options.setdefault("audit_checkpoint_dir", str(tmp_path / "checkpoints"))
        copy = tmp_path / "v0_1.sqlite3"
        if not copy.exists():
            shutil.copy(LEGACY, copy)
        url = f"sqlite:///{copy}" if db_url.startswith("sqlite") else _legacy_on_postgres(copy, db_url)
        return make_engine(url, **options)

    return make


def _legacy_on_postgres(copy: Path, url: str) -> str:
    """The 0.1 schema on PostgreSQL (migrations up to 0005) holding the fixture's rows."""
    from sqlalchemy import MetaData, create_engine, insert

    from gongzhi.store.db import Database

    database = Database(url)
    database.upgrade("0005")
    source = create_engine(f"sqlite:///{copy}")
    tables = MetaData()
    tables.reflect(source)
    with source.connect() as read, database.writer.begin() as write:
        for table in tables.sorted_tables:
            if table.name == "alembic_version":
                continue
            rows = [dict(r._mapping) for r in read.execute(table.select())]
            if rows:
                target = MetaData()
                target.reflect(write, only=[table.name])
                write.execute(insert(target.tables[table.name]), rows)
            if "id" in table.c and rows and isinstance(rows[0]["id"], int):  # serial ids go on after the copied ones
                write.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                                      f"(SELECT max(id) FROM {table.name}))")
    source.dispose()
    database.dispose()
    return url


def _case(engine: Engine, business_key: str) -> str:
    with engine.db.read() as session:
        return session.scalar(select(Instance.id).where(Instance.business_key == business_key))


def test_the_legacy_database_upgrades_and_verifies(legacy: Callable[..., Engine], people: Any, tmp_path: Path) -> None:
    engine = legacy()
    with engine.db.read() as session:
        unkeyed = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.key_id.is_(None)))
    assert unkeyed == 18
    [sealing] = [orjson.loads(p.read_bytes()) for p in (tmp_path / "checkpoints").glob("*.json")]
    assert sealing["seq"] == 1 and sealing["legacy"] == {"through_id": 18, "events": 18} and sealing["chains"] == 9
    assert engine.verify_audit().ok and engine.verify_audit(checkpoints=True).ok
    # New events on a legacy chain are keyed, linked to the unkeyed part.
    review = _case(engine, "L-REVIEW")
    task = engine.instance(review, people.admin).open_tasks[0]
    engine.complete(task.id, people.clerk, {"approved": False, "comment": "预算不足"})
    events = _events(engine, review)
    assert [e.key_id for e in events] == [None, "2026a", "2026a"] and events[1].prev_hash == events[0].hash
    assert audit.take_checkpoint(engine)["heads"] == [[review, 3, events[-1].hash]]
    engine.upgrade_db()  # again: sealed once, never twice
    assert len(list((tmp_path / "checkpoints").glob("*.json"))) == 2
    report = engine.verify_audit(checkpoints=True)
    assert report.ok and report.checkpoints == 2, report.problems


def test_editing_a_sealed_legacy_event_is_detected_by_checkpoints(legacy: Callable[..., Engine]) -> None:
    engine = legacy()
    done = _case(engine, "L-DONE")
    assert [e.key_id for e in _events(engine, done)] == [None, None, None]  # a finished 0.1 case, never keyed
    _rehash_unkeyed(engine, done, 2, lambda body: body["changed"].update(comment="同意"))
    assert engine.verify_audit().ok  # unkeyed links can be recomputed: only the signed checkpoint knows
    problems = engine.verify_audit(checkpoints=True).problems
    assert any(done in p and "differs from the checkpoint" in p for p in problems)


def test_removing_a_sealed_legacy_event_is_detected(legacy: Callable[..., Engine]) -> None:
    engine = legacy()
    done = _case(engine, "L-DONE")
    _truncate(engine, done)
    assert any("sealed pre-upgrade events removed" in p for p in engine.verify_audit().problems)
    assert any(done in p and "chain truncated" in p for p in engine.verify_audit(checkpoints=True).problems)


def test_erasing_personal_values_of_legacy_events(legacy: Callable[..., Engine], people: Any,
                                                  clock: MovableClock) -> None:
    engine = legacy()
    whistle = _case(engine, "L-WHISTLE")
    [start] = [e for e in _events(engine, whistle) if e.action == "start"]
    assert "13800138000" in start.payload  # 0.1 hashed personal values with everything else
    with engine.db.write() as session:
        erased = audit.erase_personal(session, whistle, at=clock.now())
    assert erased >= 3
    [after] = [e for e in _events(engine, whistle) if e.action == "start"]
    assert "13800138000" not in after.payload and "张三" not in after.payload.replace('"张三"}', "")
    assert after.hash == start.hash and after.key_id is None  # the link is the same: the chain still holds
    report = engine.verify_audit(checkpoints=True)
    assert report.ok, report.problems
    shown = engine.history(whistle, SYSTEM)[0]
    assert shown["changed"]["reporter_mobile"] == "已删除" and shown["changed"]["description"] == "已删除"
    assert shown["changed"]["category_l1"] == "生态环境"
    _tamper(engine, update(AuditEvent).where(AuditEvent.id == after.id)
            .values(payload=after.payload.replace("生态环境", "市容环境")))
    assert any("redacted content changed" in p for p in engine.verify_audit().problems)


# --- periodic checkpoints, plugin sinks, the command line ------------------------------------


def test_the_worker_schedule_takes_a_checkpoint_each_interval(keyed: Callable[..., Engine], people: Any,
                                                              start_vars: dict, clock: MovableClock) -> None:
    engine = keyed(audit_checkpoint_seconds=600)
    run_case(engine, people, start_vars)
    schedule = audit.CheckpointSchedule(engine)
    assert schedule.seconds_left() == 600 and schedule.run_if_due() is None
    clock.advance(seconds=600)
    assert schedule.run_if_due()["seq"] == 1 and schedule.seconds_left() == 600
    run_case(engine, people, start_vars)
    clock.advance(seconds=300)
    assert schedule.run_if_due() is None
    restarted = audit.CheckpointSchedule(engine)  # a restarted worker counts from the last checkpoint
    assert restarted.seconds_left() == 300
    clock.advance(seconds=300)
    assert restarted.run_if_due()["seq"] == 2
    assert audit.CheckpointSchedule(keyed(deploy=False, audit_checkpoint_seconds=0)).seconds_left() == float("inf")


def test_the_worker_loop_takes_the_periodic_checkpoint(keyed: Callable[..., Engine], people: Any, start_vars: dict,
                                                       clock: MovableClock, tmp_path: Path) -> None:
    from gongzhi.worker import Worker

    engine = keyed(audit_checkpoint_seconds=60)
    run_case(engine, people, start_vars)
    worker = Worker(engine)
    delays: list[float] = []

    def idle(delay: float) -> None:
        delays.append(delay)
        clock.advance(seconds=30)
        if len(delays) == 3:
            worker.stop()

    worker.run_forever(on_idle=idle)
    assert delays[0] <= 60 and len(list((tmp_path / "checkpoints").glob("*.json"))) == 1


def test_a_plugin_sink_keeps_the_checkpoints(keyed: Callable[..., Engine], people: Any, start_vars: dict) -> None:
    kept: list[dict] = []
    notary = SimpleNamespace(name="notary", write=kept.append, read=lambda: list(kept))
    plugin = SimpleNamespace(__name__="notary_plugin", gongzhi_register_audit_sinks=hookimpl(lambda: [notary]))
    engine = keyed(plugins=[plugin], audit_checkpoint_sink="notary")
    victim = run_case(engine, people, start_vars)
    assert audit.take_checkpoint(engine) == kept[0]
    _delete_instance(engine, victim)
    assert any(victim in p for p in engine.verify_audit(checkpoints=True).problems)
    with pytest.raises(ConfigurationError):
        audit.sink_for(keyed(deploy=False, audit_checkpoint_sink="nowhere"))


def test_cli_audit_checkpoint_and_verify_with_checkpoints(keyed: Callable[..., Engine], people: Any,
                                                          start_vars: dict, tmp_path: Path) -> None:
    engine = keyed()
    victim = run_case(engine, people, start_vars)
    runner = CliRunner()
    env = {"GONGZHI_AUDIT_KEY": KEY_A, "GONGZHI_AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints")}
    args = ["--database-url", engine.config.database_url, "audit"]
    taken = runner.invoke(main, [*args, "checkpoint"], env=env)
    assert taken.exit_code == 0 and "已写入审计检查点 #1：2 条链" in taken.output
    again = runner.invoke(main, [*args, "checkpoint"], env=env)
    assert again.exit_code == 0 and "未写入检查点" in again.output
    ok = runner.invoke(main, [*args, "verify", "--checkpoints"], env=env)
    assert ok.exit_code == 0 and "与 1 个检查点一致" in ok.output
    _delete_instance(engine, victim)
    assert runner.invoke(main, [*args, "verify"], env=env).exit_code == 0
    broken = runner.invoke(main, [*args, "verify", "--checkpoints"], env=env)
    assert broken.exit_code == 1 and victim in broken.output and "chain deleted" in broken.output
    wrong_key = runner.invoke(main, [*args, "verify"], env={**env, "GONGZHI_AUDIT_KEY": KEY_B})
    assert wrong_key.exit_code == 1 and "key not configured" in wrong_key.output


def test_the_append_benchmark_still_runs() -> None:
    """bench/bench_audit.py at a tiny size: no timing asserted, only that every side measured something."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("gongzhi_bench_audit", Path(__file__).parents[1] / "bench" / "bench_audit.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    figures = module.main(8, 1)
    assert set(figures) == {(side, whole) for side in module.SIDES for whole in (False, True)}
    assert all(figures[(side, True)] > 0 for side in module.SIDES)  # whole transactions always take time
