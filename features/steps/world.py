"""The world a scenario runs in: the engine behind the HTTP API, the people, the current case.

Every action goes through the Flask test client with a real signed token, as
an integrator's portal would call Gongzhi. Only two things bypass HTTP,
because in production they are not requests either: moving the clock, and the
background worker (``engine.run_due_jobs()``), which runs after every time
step and after every successful action, as an always-on ``gongzhi worker``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml
from flask.testing import FlaskClient
from gongzhi import Actor, Engine, MovableClock
from gongzhi.calendar import CST, add_working_days
from gongzhi.plugins.whistle import Directory
from gongzhi.security.tokens import mint

from .values import for_schema, guess, show, split_list

API = "/api/v1"
FEATURES = Path(__file__).resolve().parents[1]


def load_yaml(name: str) -> dict[str, Any]:
    with open(FEATURES / name, encoding="utf-8") as fh:
        return yaml.safe_load(fh) or {}


def strip_brackets(label: str) -> str:
    """``总体评价（1–5）`` → ``总体评价``."""
    return re.sub(r"\s*[（(][^（()）]*[)）]\s*$", "", label).strip()


class Glossary:
    """The name tables: roles.yaml, terms.yaml, samples.yaml, actions.yaml and the organisation directory."""

    def __init__(self) -> None:
        roles = load_yaml("roles.yaml")
        self.terms = load_yaml("terms.yaml")
        self.samples: dict[str, dict[str, Any]] = load_yaml("samples.yaml").get("样例", {})
        self.actions: dict[str, Any] = load_yaml("actions.yaml").get("动作", {})
        self.directory = Directory.load()
        self.roles: dict[str, dict[str, Any]] = dict(roles.get("角色", {}))
        self.short_names: dict[str, str] = roles.get("部门简称", {})
        self.regions: dict[str, str] = {u.name: u.path for u in self.directory.walk()}
        self.regions.update({k: str(v) for k, v in (roles.get("地区别名") or {}).items()})
        for dept in self.directory.departments.values():
            self.roles.setdefault(dept.name, {"组": [dept.group], "默认地区": self.directory.district.name})

    # --- people and places ------------------------------------------------------------
    def region(self, name: str) -> str:
        name = name.strip()
        if name in self.regions:
            return self.regions[name]
        if re.fullmatch(r"\d+(/\d+)*", name):
            return name
        raise AssertionError(f"不认识的地区“{name}”。可用：{'、'.join(self.regions)}（见 plugins/whistle/directory.yaml）")

    def role(self, name: str) -> dict[str, Any]:
        name = self.short_names.get(name.strip(), name.strip())
        if name not in self.roles:
            raise AssertionError(f"不认识的角色“{name}”。可用：{'、'.join(self.roles)}（见 features/roles.yaml）")
        return {"name": name, **self.roles[name]}

    def actor(self, role: str, region: str | None = None) -> Actor:
        spec = self.role(role)
        path = self.region(region if region is not None else spec.get("默认地区", "全区"))
        ident = f"{spec['name']}@{path or '全区'}"
        return Actor.of(ident, spec["name"], spec["组"], path, spec.get("权限", ()))

    def groups_of(self, names: Iterable[str]) -> set[str]:
        out: set[str] = set()
        for name in names:
            out |= set(self.role(name)["组"])
        return out

    def role_of_group(self, group: str) -> str:
        for name, spec in self.roles.items():
            if group in spec["组"]:
                return name
        return group

    def department_code(self, name: str) -> str:
        name = self.short_names.get(name.strip(), name.strip())
        for code, dept in self.directory.departments.items():
            if name in (code, dept.name, dept.group):
                return code
        raise AssertionError(f"不认识的部门“{name}”。可用：{'、'.join(d.name for d in self.directory.departments.values())}")

    # --- names ------------------------------------------------------------------------
    def process_alias(self, name: str) -> str:
        return (self.terms.get("流程别名") or {}).get(name, name)

    def status(self, name: str) -> str:
        return (self.terms.get("状态") or {}).get(name, name)

    def metric(self, name: str) -> str:
        return (self.terms.get("报表指标") or {}).get(name, name)

    def message(self, name: str) -> str:
        return (self.terms.get("消息别名") or {}).get(name, name)

    def convert_field(self, key: str, text: str) -> str:
        """Department names → codes, region names → paths, for the fields terms.yaml lists."""
        kind = (self.terms.get("字段取值") or {}).get(key)
        if kind == "部门" and not text.strip().startswith("["):
            return "、".join(self.department_code(p) for p in split_list(text))
        if kind == "角色" and text.strip() in self.roles:
            return self.roles[text.strip()]["组"][0]
        if kind == "地区" and text.strip() in self.regions:
            return self.regions[text.strip()]
        return text


@dataclass
class Case:
    id: str
    process_key: str
    business_key: str | None = None


@dataclass
class World:
    engine: Engine
    clock: MovableClock
    client: FlaskClient
    glossary: Glossary
    outbox: Any
    admin: Actor = field(default_factory=lambda: Actor.of("spec-admin", "规格管理员", ["admin"], "", ["pii"]))
    actor: Actor | None = None
    case: Case | None = None
    named: dict[str, Case] = field(default_factory=dict)
    response: Any = None  # the last attempted action: a werkzeug TestResponse
    drafts: dict[str, dict[str, Any]] = field(default_factory=dict)  # task name -> values filled in beforehand
    evaluation: dict[str, Any] | None = None  # the last decision evaluated directly
    report: list[dict[str, Any]] | None = None
    fired: int = 0
    counter: int = 0
    hotline_order: str | None = None  # the order number of the last 12345 work order

    # --- HTTP ---------------------------------------------------------------------------
    def headers(self, actor: Actor) -> dict[str, str]:
        token = mint(self.engine.config.secret_key, actor.id, actor.name, actor.groups, actor.region,
                     permissions=actor.permissions)
        return {"Authorization": f"Bearer {token}"}

    def get(self, path: str, actor: Actor | None = None, **params: Any) -> Any:
        response = self.client.get(f"{API}{path}", headers=self.headers(actor or self.admin), query_string=params)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {problem_text(response)}"
        return response.get_json()

    def post(self, path: str, actor: Actor, body: Mapping[str, Any], expect_success: bool) -> Any:
        self.response = self.client.post(f"{API}{path}", headers=self.headers(actor), json=dict(body))
        if self.response.status_code < 300:
            self.worker()
        elif expect_success:
            raise AssertionError(f"操作失败（{self.response.status_code}）：{problem_text(self.response)}")
        return self.response

    # --- time and the worker ------------------------------------------------------------
    def worker(self) -> int:
        ran = self.engine.run_due_jobs()
        self.fired += ran
        return ran

    def move_to(self, when: datetime) -> int:
        self.clock.set(when)
        return self.worker()

    def later(self, *, working_days: int = 0, **delta: float) -> int:
        now = self.clock.now()
        if working_days:
            now = add_working_days(self.engine.calendar, now, working_days)
        return self.move_to(now + timedelta(**delta))

    @staticmethod
    def parse_time(text: str) -> datetime:
        text = text.strip().replace("T", " ")
        fmt = "%Y-%m-%d %H:%M" if " " in text else "%Y-%m-%d"
        moment = datetime.strptime(text, fmt)
        if fmt == "%Y-%m-%d":
            moment = moment.replace(hour=9)
        return moment.replace(tzinfo=CST)

    # --- the people ---------------------------------------------------------------------
    def login(self, role: str, region: str | None = None) -> Actor:
        self.actor = self.glossary.actor(role, region)
        return self.actor

    def current_actor(self) -> Actor:
        assert self.actor is not None, "还没有登录：先写“以 <角色> 身份登录 <地区>”"
        return self.actor

    # --- processes and forms ------------------------------------------------------------
    def process_key(self, name: str) -> str:
        name = self.glossary.process_alias(name.strip())
        items = self.get("/process-definitions")["items"]
        for item in items:
            if name in (item["key"], item.get("name")):
                return item["key"]
        known = "、".join(f"{item.get('name')}（{item['key']}）" for item in items)
        raise AssertionError(f"没有流程“{name}”。已部署：{known}")

    def start_form(self, key: str) -> dict[str, Any]:
        return self.get(f"/process-definitions/{key}").get("start_form") or {}

    def form_values(self, form: Mapping[str, Any], rows: Mapping[str, str], where: str) -> dict[str, Any]:
        """Table rows (label or field name → text) as form data typed by the form's JSON Schema."""
        props: Mapping[str, Any] = form.get("properties") or {}
        out: dict[str, Any] = {}
        for label, text in rows.items():
            key = self.field_key(props, label, where)
            schema = props.get(key)
            text = self.glossary.convert_field(key, text) if isinstance(text, str) else text
            out[key] = for_schema(text, schema) if isinstance(text, str) else text
        return out

    @staticmethod
    def field_key(props: Mapping[str, Any], label: str, where: str) -> str:
        label = label.strip()
        if label in props or not props:
            return label
        for key, schema in props.items():
            title = str(schema.get("title") or "")
            if label in (title, strip_brackets(title)):
                return key
        known = "、".join(f"{strip_brackets(str(s.get('title') or k))}" for k, s in props.items())
        raise AssertionError(f"{where}的表单里没有“{label}”。可填：{known}")

    def object_rows(self, form: Mapping[str, Any], field_label: str, table: list[list[str]], where: str) -> tuple[str, list[dict[str, Any]]]:
        """A table with a header row as a list of objects for an array field of ``form``."""
        props = form.get("properties") or {}
        key = self.field_key(props, field_label, where)
        items = (props.get(key) or {}).get("items") or {}
        header, *rows = table
        objects = [self.form_values(items, dict(zip(header, row)), f"{where}·{field_label}") for row in rows]
        return key, objects

    # --- cases --------------------------------------------------------------------------
    def start(self, process: str, rows: Mapping[str, Any], expect_success: bool = True,
              sample: Mapping[str, Any] | None = None) -> Any:
        """Start ``process`` as the current actor; ``sample`` fields the start form lacks are left out."""
        actor = self.current_actor()
        key = self.process_key(process)
        form = self.start_form(key)
        props = form.get("properties") or {}
        merged: dict[str, Any] = {}
        for label, value in (sample or {}).items():
            try:
                self.field_key(props, label, "")
            except AssertionError:
                continue
            merged[label] = value
        merged.update(rows)
        variables = self.form_values(form, merged, f"“{process}”")
        self.counter += 1
        body: dict[str, Any] = {"process_key": key, "variables": variables,
                                "business_key": f"SPEC-{self.counter:03d}"}
        grid = variables.get("grid")
        if isinstance(grid, str) and grid and actor.can_see(grid):
            body["region"] = grid
        response = self.post("/process-instances", actor, body, expect_success)
        if response.status_code < 300:
            started = response.get_json()
            self.case = Case(started["id"], key, started.get("business_key"))
        return response

    def current_case(self) -> Case:
        assert self.case is not None, "还没有案件：先写“发起 \"<流程>\"”"
        return self.case

    def instance(self, case: Case | None = None) -> dict[str, Any]:
        return self.get(f"/process-instances/{(case or self.current_case()).id}")

    def open_tasks(self) -> list[dict[str, Any]]:
        return self.instance()["open_tasks"]

    def open_names(self) -> list[str]:
        return [t["name"] for t in self.open_tasks()]

    def task_detail(self, task_id: str, actor: Actor | None = None) -> dict[str, Any]:
        return self.get(f"/tasks/{task_id}", actor)

    def tasks_named(self, name: str, department: str | None = None) -> list[dict[str, Any]]:
        found = [t for t in self.open_tasks() if name in (t["name"], t["element_id"])]
        if department:
            code = self.glossary.department_code(department)
            found = [t for t in found if f"dept_{code}" in t["candidate_groups"]
                     or (self.task_detail(t["id"]).get("data") or {}).get("dept") == code]
        assert found, f"当前没有待办“{name}”{'（' + department + '）' if department else ''}；当前环节：{'、'.join(self.open_names()) or '无'}"
        return found

    def pick_task(self, name: str, actor: Actor, department: str | None = None) -> dict[str, Any]:
        """The open task ``name`` of the current case for ``actor`` (the earliest, if several are theirs)."""
        found = self.tasks_named(name, department)
        mine = [t for t in found if actor.is_admin or set(t["candidate_groups"]) & set(actor.groups)]
        return (mine or found)[0]

    def complete(self, name: str, rows: Mapping[str, Any], actor: Actor | None = None,
                 expect_success: bool = True, optional: dict[str, Any] | None = None) -> Any:
        """Complete the open task ``name`` as ``actor`` with the table ``rows``.

        ``optional``: more rows, used only where the form has such a field; the
        ones used are removed from the mapping (so a series of tasks can share them).
        """
        actor = actor or self.current_actor()
        rows = dict(rows)
        department = rows.pop("针对部门", None)
        task = self.pick_task(name, actor, department)
        form = self.task_detail(task["id"]).get("form") or {}
        if optional:
            props = form.get("properties") or {}
            for label in list(optional):
                try:
                    self.field_key(props, label, "")
                except AssertionError:
                    continue
                rows[label] = optional.pop(label)
        data = dict(self.drafts.pop(task["name"], {}))
        data.update(self.form_values(form, rows, f"“{task['name']}”"))
        return self.post(f"/tasks/{task['id']}/complete", actor, {"data": data}, expect_success)

    def action(self, name: str, extra: Mapping[str, Any], actor: Actor | None = None, expect_success: bool = True) -> Any:
        """A named action from actions.yaml: one task with preset values, or several in a row.

        The rows of ``extra`` go to every step whose form has the field; a row no step uses is an error.
        """
        spec = self.glossary.actions.get(name)
        assert spec is not None, f"没有动作“{name}”。可用：{'、'.join(self.glossary.actions)}（见 features/actions.yaml）"
        steps = spec if isinstance(spec, list) else [spec]
        remaining = dict(extra)
        response = None
        for part in steps:
            who = self.glossary.actor(part["角色"]) if part.get("角色") else actor
            values = {k: show(v) if not isinstance(v, str) else v for k, v in (part.get("表单") or {}).items()}
            if "针对部门" in remaining:
                values["针对部门"] = remaining["针对部门"]
            shared = {k: v for k, v in remaining.items() if k != "针对部门"}
            response = self.complete(part["任务"], values, who, expect_success, optional=shared)
            used = set(remaining) - set(shared) - {"针对部门"}
            for label in used:
                remaining.pop(label)
            if response.status_code >= 300:
                return response
        remaining.pop("针对部门", None)
        assert not remaining, f"动作“{name}”的表单里没有：{'、'.join(remaining)}"
        return response

    # --- looking ------------------------------------------------------------------------
    def variables(self) -> dict[str, Any]:
        return self.instance()["variables"]

    def history(self) -> list[dict[str, Any]]:
        return self.get(f"/process-instances/{self.current_case().id}/history")["events"]


def lookup(data: Any, path: str) -> Any:
    """``a.b.0.c`` inside nested dicts and lists; list items may also be found by ``dept``/``name`` value."""
    current = data
    for part in path.split("."):
        if isinstance(current, Mapping):
            if part not in current:
                raise AssertionError(f"没有“{path}”（在“{part}”处）；有：{'、'.join(map(str, current))}")
            current = current[part]
        elif isinstance(current, list):
            if re.fullmatch(r"\d+", part):
                index = int(part)
                assert index < len(current), f"“{path}”只有 {len(current)} 项"
                current = current[index]
            else:
                matches = [item for item in current if isinstance(item, Mapping) and part in item.values()]
                assert matches, f"“{path}”中没有“{part}”这一项"
                current = matches[-1]
        else:
            raise AssertionError(f"“{path}”在“{part}”处已不是结构：{show(current)}")
    return current


def problem_text(response: Any) -> str:
    body = response.get_json(silent=True) or {}
    if isinstance(body, list):  # an adapter's error list (Open311: [{"code", "description"}])
        body = body[0] if body and isinstance(body[0], dict) else {}
    parts = [str(body.get(k)) for k in ("title", "detail", "description") if body.get(k)]
    for error in body.get("errors") or []:
        parts.append(f"{error.get('field', '')}: {error.get('message', '')}")
    return "；".join(parts) or response.get_data(as_text=True)[:300]


__all__ = ["World", "Glossary", "Case", "lookup", "problem_text", "guess", "API"]
