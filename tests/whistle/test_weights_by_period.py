"""A report keeps the weights that were in force in its own period (issue 17, items 11 and 12): a
weight changed in a copied ``whistle_weights`` in April changes April's figures, not March's."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from gongzhi import bpmn_package_path
from gongzhi.plugins.whistle.reports import department_report

DMN = bpmn_package_path() / "whistle"


def deploy_changed(world, tmp_path: Path, file: str, change) -> None:  # type: ignore[no-untyped-def]
    """Deploy a copy of ``file`` with ``change(text)`` applied: the decision alone gets a new version."""
    folder = tmp_path / "changed"
    folder.mkdir(exist_ok=True)
    target = folder / file
    shutil.copy(DMN / file, target)
    changed = change(target.read_text(encoding="utf-8"))
    assert changed != target.read_text(encoding="utf-8")
    target.write_text(changed, encoding="utf-8")
    result = world.engine.deploy([target])
    assert result.created and {c["kind"] for c in result.created} == {"decision"}, result.as_dict()  # no process changed


def cell(entry: str, value: str):  # type: ignore[no-untyped-def]
    """A change setting the output entry ``entry`` to ``value``."""
    def change(text: str) -> str:
        return re.sub(rf'(<outputEntry id="{entry}"><text>)[^<]*(</text>)', rf"\g<1>{value}\g<2>", text)
    return change


def closed_case(world, satisfaction: str = "基本满意") -> str:  # type: ignore[no-untyped-def]
    inst = world.start()
    world.whistle(inst.id, "huanjing", [])
    world.handle(inst.id, "huanjing")
    world.rate(inst.id)
    world.follow_up(inst.id, satisfaction=satisfaction)
    return inst.id


def test_the_weights_in_force_in_a_period_stay_with_it(world, tmp_path) -> None:
    closed_case(world)  # March: 基本满意 counts 0.9
    [march] = department_report(world.engine, month="2025-03")
    assert march["satisfaction_rate"] == 0.9
    world.clock.advance(days=31)  # April: the district counts 基本满意 as 0.8 from now on
    deploy_changed(world, tmp_path, "whistle_weights.dmn", cell("weights_default_sat_basic", "0.8"))
    closed_case(world)
    [april] = department_report(world.engine, month="2025-04")
    assert april["satisfaction_rate"] == 0.8
    [march_again] = department_report(world.engine, month="2025-03")
    assert march_again == march  # January is not rewritten by July's weights


def test_the_composite_weights_are_cells_too(world, tmp_path) -> None:
    closed_case(world, satisfaction="满意")
    world.clock.advance(days=31)
    deploy_changed(world, tmp_path, "whistle_weights.dmn", cell("weights_default_w_response", "0.3"))
    closed_case(world, satisfaction="满意")
    [april] = department_report(world.engine, month="2025-04")
    assert april["composite"] == round(0.3 * 1 + 0.5 * 1 + 0.4 * 1, 4)
    [march] = department_report(world.engine, month="2025-03")
    assert march["composite"] == 1.0
