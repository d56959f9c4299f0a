"""Loading, validating and deploying definitions."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Callable

import pytest

from gongzhi import DefinitionInvalid, Engine, UnknownProcess

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def broken(tmp_path: Path) -> Callable[[str, str], Path]:
    """A copy of the approval fixture with one text replacement in its BPMN."""

    def make(old: str, new: str) -> Path:
        folder = tmp_path / "broken"
        shutil.copytree(FIXTURES / "approval", folder)
        bpmn = folder / "approval.bpmn"
        text = bpmn.read_text(encoding="utf-8")
        assert old in text, old
        bpmn.write_text(text.replace(old, new, 1), encoding="utf-8")
        return folder

    return make


def problems_of(engine: Engine, path: Path) -> list[Any]:
    try:
        return engine.validate([path])
    except DefinitionInvalid as exc:
        return exc.problems


def test_bundled_fixture_is_valid(make_engine: Callable[..., Engine]) -> None:
    assert make_engine().validate([FIXTURES / "approval"]) == []


@pytest.mark.parametrize(
    ("old", "new", "element", "code", "words"),
    [
        ('<bpmndi:BPMNShape id="compute_di" bpmnElement="compute">', '<bpmndi:BPMNShape id="compute_di" bpmnElement="nothing">',
         "compute", "not-drawn", "没有图形"),
        ("approved == True</bpmn:conditionExpression>", "approved ==</bpmn:conditionExpression>", "f_gw_notify", "expression", "无法编译"),
        ('value="review.json"', 'value="missing.json"', "review", "missing-form", "missing.json"),
        ('id="gongzhi.echo"', 'id="sms.send"', "notify", "unknown-operator", "sms.send"),
    ],
    ids=["undrawn-element", "bad-condition", "missing-form", "unknown-operator"],
)
def test_broken_copy_names_the_element(make_engine: Callable[..., Engine], broken: Callable[[str, str], Path],
                                       old: str, new: str, element: str, code: str, words: str) -> None:
    problems = problems_of(make_engine(), broken(old, new))
    matching = [p for p in problems if p.element_id == element and p.code == code]
    assert matching, problems
    assert words in matching[0].message
    assert matching[0].file == "approval.bpmn" and matching[0].line and matching[0].line > 1


def test_xml_syntax_error_has_a_line(make_engine: Callable[..., Engine], broken: Callable[[str, str], Path]) -> None:
    problems = problems_of(make_engine(), broken('<bpmn:endEvent id="end_ok" name="已办结">', '<bpmn:endEvent id="end_ok" name="已办结>'))
    assert [p.code for p in problems] == ["xml-syntax"]
    assert problems[0].line is not None and problems[0].line > 100


def test_schema_error_is_reported(make_engine: Callable[..., Engine], broken: Callable[[str, str], Path]) -> None:
    problems = problems_of(make_engine(), broken('<bpmn:endEvent id="end_ok" name="已办结">', '<bpmn:endEvent id="end_ok" name="已办结" bogus="1">'))
    assert any(p.code == "xsd" and "bogus" in p.message for p in problems), problems


def test_schema_error_names_the_line_in_the_file(make_engine: Callable[..., Engine],
                                                 broken: Callable[[str, str], Path]) -> None:
    # The XSD runs on a copy of the parsed tree, so its lines are the file's own (no re-parse shifting them).
    folder = broken('<bpmn:endEvent id="end_ok" name="已办结">', '<bpmn:endEvent id="end_ok" name="已办结" bogus="1">')
    lines = (folder / "approval.bpmn").read_text(encoding="utf-8").splitlines()
    expected = next(i for i, text in enumerate(lines, 1) if 'bogus="1"' in text)
    problems = [p for p in problems_of(make_engine(), folder) if p.code == "xsd" and "bogus" in p.message]
    assert problems and problems[0].line == expected


def test_dtd_with_entities_is_refused_at_parse(make_engine: Callable[..., Engine], broken: Callable[[str, str], Path]) -> None:
    # Declared and used: before, the XSD step re-parsed the unexpanded reference and crashed.
    folder = broken('<?xml version="1.0" encoding="UTF-8"?>\n',
                    '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE definitions [<!ENTITY who "审核人">]>\n')
    bpmn = folder / "approval.bpmn"
    bpmn.write_text(bpmn.read_text(encoding="utf-8").replace('name="已办结"', 'name="&who;"'), encoding="utf-8")
    problems = problems_of(make_engine(), folder)
    assert [(p.file, p.code, p.line) for p in problems] == [("approval.bpmn", "xml-dtd", 2)]
    assert "DTD" in problems[0].message


def test_external_dtd_is_refused_without_fetching_it(make_engine: Callable[..., Engine], tmp_path: Path) -> None:
    import http.server
    import threading

    fetched: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            fetched.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY who "x">')

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        folder = tmp_path / "external"
        shutil.copytree(FIXTURES / "approval", folder)
        bpmn = folder / "approval.bpmn"
        dtd = f'<!DOCTYPE definitions SYSTEM "http://127.0.0.1:{server.server_port}/evil.dtd">\n'
        text = bpmn.read_text(encoding="utf-8").replace('?>\n', '?>\n' + dtd, 1).replace('name="已办结"', 'name="&who;"')
        bpmn.write_text(text, encoding="utf-8")
        dmn = folder / "rules.dmn"
        dmn.write_text(f'<?xml version="1.0"?>\n\n{dtd}<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/"'
                       ' id="d" name="d" namespace="x"/>', encoding="utf-8")
        problems = problems_of(make_engine(), folder)
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
    assert sorted((p.file, p.code, p.line) for p in problems) == [("approval.bpmn", "xml-dtd", 2), ("rules.dmn", "xml-dtd", 3)]
    assert fetched == []


def test_invalid_form_schema(make_engine: Callable[..., Engine], tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    shutil.copytree(FIXTURES / "approval", folder)
    (folder / "review.json").write_text('{"type": "object", "properties": {"approved": {"type": "yes-no"}}}', encoding="utf-8")
    problems = problems_of(make_engine(), folder)
    assert [(p.file, p.code) for p in problems] == [("review.json", "form-schema")]


def test_missing_path_is_an_error(make_engine: Callable[..., Engine], tmp_path: Path) -> None:
    with pytest.raises(DefinitionInvalid) as exc:
        make_engine().validate([tmp_path / "nope"])
    assert exc.value.problems[0].code == "missing-path"


def test_deploy_is_idempotent_and_versions_changes(make_engine: Callable[..., Engine], broken: Callable[[str, str], Path]) -> None:
    engine = make_engine()
    first = engine.deploy([FIXTURES / "approval"])
    assert [(c["key"], c["version"]) for c in first.created] == [("approval", 1)]
    again = engine.deploy([FIXTURES / "approval"])
    assert again.created == [] and again.unchanged[0]["version"] == 1
    changed = engine.deploy([broken('name="计算工时"', 'name="计算工时（新）"')])
    assert [(c["key"], c["version"]) for c in changed.created] == [("approval", 2)]


def test_invalid_definitions_deploy_nothing(make_engine: Callable[..., Engine], broken: Callable[[str, str], Path],
                                            people: Any, start_vars: dict) -> None:
    engine = make_engine()
    with pytest.raises(DefinitionInvalid):
        engine.deploy([broken('value="review.json"', 'value="missing.json"')])
    with pytest.raises(UnknownProcess):
        engine.start("approval", people.clerk, start_vars)


def test_running_instances_keep_their_version(make_engine: Callable[..., Engine], broken: Callable[[str, str], Path],
                                              people: Any, start_vars: dict) -> None:
    engine = make_engine()
    engine.deploy([FIXTURES / "approval"])
    old = engine.start("approval", people.clerk, start_vars)
    engine.deploy([broken('<bpmn:script>hours = days * 8', '<bpmn:script>hours = days * 7')])
    new = engine.start("approval", people.clerk, start_vars)
    assert (old.version, new.version) == (1, 2)
    old_done = engine.complete(old.open_tasks[0].id, people.clerk, {"approved": True})
    new_done = engine.complete(new.open_tasks[0].id, people.clerk, {"approved": True})
    assert (old_done.variables["hours"], new_done.variables["hours"]) == (16, 14)
