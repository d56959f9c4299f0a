"""Open311 GeoReport v2: posted as a GeoReport client would, read back as the whistle case moves.

The ``SPEC_*`` documents are the examples of the GeoReport v2 specification
(http://wiki.open311.org/GeoReport_v2/); answers must have their structure:
the same fields in the same order, the same XML elements.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

import pytest
from gongzhi import SYSTEM
from gongzhi.adapters.open311 import Open311Adapter

API_KEY = "k-test-0001"
JURISDICTION = "qinghe.example.gov.cn"

SPEC_SERVICES_JSON = [{"service_code": "001", "service_name": "Cans left out 24x7",
                       "description": "Garbage or recycling cans that have been left out for more than 24 hours.",
                       "metadata": True, "type": "realtime", "keywords": "lorem, ipsum, dolor", "group": "sanitation"}]
SPEC_SERVICES_XML = """<?xml version="1.0" encoding="utf-8"?>
<services><service><service_code>001</service_code><service_name>Cans left out 24x7</service_name>
<description>Garbage or recycling cans</description><metadata>true</metadata><type>realtime</type>
<keywords>lorem, ipsum, dolor</keywords><group>sanitation</group></service></services>"""
SPEC_DEFINITION_JSON = {"service_code": "DMV66", "attributes": [
    {"variable": True, "code": "WHISHETN", "datatype": "singlevaluelist", "required": True,
     "datatype_description": None, "order": 1, "description": "What is the ticket/tag/DL number?",
     "values": [{"key": 123, "name": "Ford"}, {"key": 124, "name": "Chrysler"}]}]}
SPEC_DEFINITION_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_definition><service_code>DMV66</service_code><attributes><attribute><variable>true</variable>
<code>WHISHETN</code><datatype>singlevaluelist</datatype><required>true</required><datatype_description></datatype_description>
<order>1</order><description>What is the ticket/tag/DL number?</description>
<values><value><key>123</key><name>Ford</name></value></values></attribute></attributes></service_definition>"""
SPEC_CREATED_JSON = [{"service_request_id": 293944, "service_notice": "The City will inspect", "account_id": None}]
SPEC_CREATED_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests><request><service_request_id>293944</service_request_id>
<service_notice>The City will inspect</service_notice><account_id/></request></service_requests>"""
SPEC_REQUESTS_JSON = [{
    "service_request_id": 638344, "status": "closed", "status_notes": "Duplicate request.",
    "service_name": "Sidewalk and Curb Issues", "service_code": "006", "description": None,
    "agency_responsible": None, "service_notice": None, "requested_datetime": "2010-04-14T06:37:38-08:00",
    "updated_datetime": "2010-04-14T06:37:38-08:00", "expected_datetime": "2010-04-15T06:37:38-08:00",
    "address": "8TH AVE and JUDAH ST", "address_id": 545483, "zipcode": 94122, "lat": 37.762221815,
    "long": -122.4651145, "media_url": "http://city.gov.s3.amazonaws.com/requests/media/638344.jpg"}]
SPEC_REQUESTS_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests><request><service_request_id>638344</service_request_id><status>closed</status>
<status_notes>Duplicate request.</status_notes><service_name>Sidewalk and Curb Issues</service_name>
<service_code>006</service_code><description></description><agency_responsible></agency_responsible>
<service_notice></service_notice><requested_datetime>2010-04-14T06:37:38-08:00</requested_datetime>
<updated_datetime>2010-04-14T06:37:38-08:00</updated_datetime><expected_datetime>2010-04-15T06:37:38-08:00</expected_datetime>
<address>8TH AVE and JUDAH ST</address><address_id>545483</address_id><zipcode>94122</zipcode>
<lat>37.762221815</lat><long>-122.4651145</long><media_url>http://city.gov.s3.amazonaws.com/requests/media/638344.jpg</media_url>
</request></service_requests>"""
SPEC_TOKEN_JSON = [{"service_request_id": 638344, "token": "12345"}]
SPEC_TOKEN_XML = """<?xml version="1.0" encoding="utf-8"?>
<service_requests><request><service_request_id>638344</service_request_id><token>12345</token></request></service_requests>"""
SPEC_ERRORS_JSON = [{"code": 403, "description": "Invalid api_key"}]
SPEC_ERRORS_XML = """<?xml version="1.0" encoding="utf-8"?>
<errors><error><code>403</code><description>Invalid api_key</description></error></errors>"""


def shape(value: Any) -> Any:
    """The structure of a JSON document: keys in order, list item shapes, scalars as None."""
    if isinstance(value, dict):
        return [(k, shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return None


def xml_shape(element: ET.Element) -> Any:
    children = list(element)
    if not children:
        return element.tag
    shapes: list[Any] = []
    tags: set[str] = set()
    for child in children:  # repeated items (several <service>) count once, by the first, as in ``shape``
        if child.tag not in tags:
            tags.add(child.tag)
            shapes.append(xml_shape(child))
    return (element.tag, shapes)


def assert_like_spec(response: Any, spec_json: Any = None, spec_xml: str | None = None) -> None:
    if spec_json is not None:
        assert response.mimetype == "application/json"
        assert shape(response.get_json()) == shape(spec_json)
    if spec_xml is not None:
        assert response.mimetype == "text/xml"
        assert response.data.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
        ours, theirs = ET.fromstring(response.data), ET.fromstring(spec_xml.encode())
        assert xml_shape(ours) == xml_shape(theirs)


@pytest.fixture
def setup(whistle_engine, app_for):
    adapter = Open311Adapter({"jurisdiction_id": JURISDICTION, "api_keys": {API_KEY: "城市服务 App"},
                              "default_grid": "990101/001/001/01"})
    engine = whistle_engine(adapter)
    return engine, app_for(engine).test_client()


def post(client, fmt: str = "json", headers: dict[str, str] | None = None, **fields: Any):
    form = {"api_key": API_KEY, "jurisdiction_id": JURISDICTION, "service_code": "HJ-YY",
            "lat": "30.2741", "long": "120.1551", "address_string": "翠苑路 1 号",
            "first_name": "三", "last_name": "张", "phone": "+86 138-0013-8000", "email": "zhang@example.cn",
            "description": "楼下餐馆油烟直排，影响居民生活", "media_url": "https://img.example.cn/1.jpg",
            "attribute[urgency]": "一般", "attribute[grid]": "990101/001/001/01"}
    form.update(fields)
    form = {k: v for k, v in form.items() if v is not None}
    return client.post(f"/adapters/open311/requests.{fmt}", data=form, headers=headers or {})


def test_services_and_definitions_match_the_specification(setup) -> None:
    _, client = setup
    listing = client.get(f"/adapters/open311/services.json?jurisdiction_id={JURISDICTION}")
    assert listing.status_code == 200
    assert_like_spec(listing, SPEC_SERVICES_JSON)
    codes = {s["service_code"]: s for s in listing.get_json()}
    assert codes["HJ-YY"]["metadata"] is True and codes["SR-ZD"]["metadata"] is False
    assert codes["HJ-YY"]["keywords"] == "油烟, 餐馆, 异味" and codes["HJ-YY"]["group"] == "生态环境"
    assert_like_spec(client.get("/adapters/open311/services.xml"), spec_xml=SPEC_SERVICES_XML)

    definition = client.get("/adapters/open311/services/HJ-YY.json")
    assert_like_spec(definition, SPEC_DEFINITION_JSON)
    urgency = definition.get_json()["attributes"][0]
    assert urgency["code"] == "urgency" and urgency["values"][1] == {"key": "紧急", "name": "紧急"}
    xml = client.get("/adapters/open311/services/HJ-YY.xml")
    assert_like_spec(xml, spec_xml=SPEC_DEFINITION_XML)
    assert ET.fromstring(xml.data).find("attributes/attribute/required").text == "false"


def test_a_request_is_a_whistle_case_and_its_status_follows_the_case(setup, driver, clock) -> None:
    engine, client = setup
    created = post(client)
    assert created.status_code == 201, created.data
    assert_like_spec(created, SPEC_CREATED_JSON)
    [answer] = created.get_json()
    request_id = answer["service_request_id"]
    assert answer["service_notice"].startswith("街道将在") and answer["account_id"] is None

    case = engine.instance(request_id, SYSTEM)
    assert case.process_key == "whistle_dispatch" and case.region == "990101/001/001/01"
    assert case.variables["channel"] == "Open311" and case.variables["category_l2"] == "餐饮油烟"
    assert case.variables["reporter_mobile"] == "13800138000" and case.variables["reporter_name"] == "张三"
    assert case.variables["open311"]["attributes"] == {"urgency": "一般", "grid": "990101/001/001/01"}

    def read(fmt: str = "json"):
        response = client.get(f"/adapters/open311/requests/{request_id}.{fmt}")
        assert response.status_code == 200, response.data
        return response

    first = read()
    assert_like_spec(first, SPEC_REQUESTS_JSON)
    [row] = first.get_json()
    assert row["status"] == "open" and row["status_notes"] == "办理中：街道吹哨"
    assert row["agency_responsible"] == "东湖街道" and row["service_code"] == "HJ-YY"
    assert row["requested_datetime"] == "2026-11-02T09:00:00+08:00" == row["updated_datetime"]
    # The feed is public: the location is published to about a kilometre, the address shortened.
    assert row["lat"] == 30.27 and row["address"] == "翠苑****"
    assert_like_spec(read("xml"), spec_xml=SPEC_REQUESTS_XML)

    d = driver(engine)
    clock.advance(hours=1)
    d.whistle(request_id, "huanjing")
    [row] = read().get_json()
    assert row["status"] == "open" and row["status_notes"] == "办理中：签收或退单"
    assert row["agency_responsible"] == "生态环境分局" and row["updated_datetime"] == "2026-11-02T10:00:00+08:00"
    d.sign(request_id)
    d.onsite(request_id)
    clock.advance(hours=2)
    d.feedback(request_id)
    d.rate(request_id)
    assert read().get_json()[0]["status_notes"] == "办理中：回访居民"
    d.follow_up(request_id)
    [row] = read().get_json()
    assert row["status"] == "closed" and row["status_notes"] == "已办结：已解决（满意）"
    assert row["agency_responsible"] == "生态环境分局" and row["updated_datetime"] == "2026-11-02T12:00:00+08:00"
    closed = ET.fromstring(read("xml").data)
    assert closed.find("request/status").text == "closed" and closed.find("request/expected_datetime").text is None

    # The list: filters by status and service code; service_request_id overrides everything else.
    other = post(client, service_code="WY-DW", description="楼道里堆满了纸箱", **{"attribute[urgency]": None})
    other_id = other.get_json()[0]["service_request_id"]
    everything = client.get("/adapters/open311/requests.json").get_json()
    assert {r["service_request_id"] for r in everything} == {request_id, other_id}
    assert [r["service_request_id"] for r in client.get("/adapters/open311/requests.json?status=closed").get_json()] == [request_id]
    assert [r["service_request_id"] for r in client.get("/adapters/open311/requests.json?service_code=WY-DW").get_json()] == [other_id]
    assert client.get("/adapters/open311/requests.json?start_date=2027-01-01T00:00:00Z").get_json() == []
    both = client.get(f"/adapters/open311/requests.json?service_request_id={request_id},{other_id}&status=open")
    assert len(both.get_json()) == 2
    xml_list = client.get("/adapters/open311/requests.xml?status=open")
    assert_like_spec(xml_list, spec_xml=SPEC_REQUESTS_XML)
    assert [e.text for e in ET.fromstring(xml_list.data).iter("service_request_id")] == [other_id]
    assert [e.text for e in ET.fromstring(xml_list.data).iter("agency_responsible")] == ["翠苑社区"]


def test_xml_post_and_tokens(setup) -> None:
    _, client = setup
    created = post(client, "xml", headers={"Idempotency-Key": "app-7f3a9c"})
    assert created.status_code == 201
    assert_like_spec(created, spec_xml=SPEC_CREATED_XML)
    request_id = ET.fromstring(created.data).find("request/service_request_id").text
    token = client.get("/adapters/open311/tokens/app-7f3a9c.json")
    assert_like_spec(token, SPEC_TOKEN_JSON)
    assert token.get_json() == [{"service_request_id": request_id, "token": "app-7f3a9c"}]
    assert_like_spec(client.get("/adapters/open311/tokens/app-7f3a9c.xml"), spec_xml=SPEC_TOKEN_XML)
    assert client.get("/adapters/open311/tokens/nope.json").status_code == 404


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_errors_use_the_specification_format(setup, fmt: str) -> None:
    _, client = setup
    denied = post(client, fmt, api_key="wrong")
    assert denied.status_code == 403
    if fmt == "json":
        assert_like_spec(denied, SPEC_ERRORS_JSON)
        assert denied.get_json()[0]["code"] == 403
    else:
        assert_like_spec(denied, spec_xml=SPEC_ERRORS_XML)
        assert ET.fromstring(denied.data).find("error/code").text == "403"
    cases = [
        (dict(service_code="NOPE"), 404, "service_code NOPE not found"),
        (dict(service_code=None), 400, "service_code not provided"),
        (dict(lat=None, long=None, address_string=None), 400, "a location is required"),
        (dict(phone="12345"), 400, "phone is required"),
        (dict(**{"attribute[urgency]": "很急"}), 400, "attribute[urgency] must be one of"),
        (dict(jurisdiction_id="elsewhere.gov"), 404, "jurisdiction_id elsewhere.gov not found"),
    ]
    for fields, status, text in cases:
        response = post(client, fmt, **fields)
        assert response.status_code == status, (fields, response.data)
        assert text.encode() in response.data
    assert client.get(f"/adapters/open311/requests/not-a-case.{fmt}").status_code == 404
    assert client.get(f"/adapters/open311/services/NOPE.{fmt}").status_code == 404
    bad_date = client.get(f"/adapters/open311/requests.{fmt}?start_date=yesterday")
    assert bad_date.status_code == 400 and b"start_date" in bad_date.data


def test_the_same_request_twice_is_one_case_and_a_changed_one_is_a_conflict(setup) -> None:
    engine, client = setup
    first = post(client, external_id="ext-001")
    again = post(client, external_id="ext-001")
    assert first.status_code == again.status_code == 201
    assert first.get_json() == again.get_json() and again.headers["Idempotent-Replayed"] == "true"
    changed = post(client, external_id="ext-001", description="另一个问题：路灯不亮很久了")
    assert changed.status_code == 409 and changed.get_json()[0]["code"] == 409
    assert engine.instances(SYSTEM, business_key="open311:ext-001").total == 1


def test_a_request_without_a_grid_is_located_by_its_coordinates(setup) -> None:
    engine, client = setup
    inside = post(client, lat="30.2185", long="120.121", **{"attribute[grid]": None})  # 翠苑一网格第二微网格
    assert inside.status_code == 201, inside.data
    case = engine.instance(inside.get_json()[0]["service_request_id"], SYSTEM)
    assert case.variables["grid"] == "990101/001/001/01" and case.region == "990101/001/001/01"
    location = case.variables["located"]
    assert (location["method"], location["region"]) == ("grid", "990101/001/001/01/02") and location["grid_version"]
    outside = post(client, lat="39.9", long="116.4", **{"attribute[grid]": None})  # Beijing: not 青禾区
    assert outside.status_code == 400 and "不在青禾区范围内" in outside.get_json()[0]["description"]
    given = post(client, lat="39.9", long="116.4", description="另一件：按给定网格办理")  # attribute[grid] wins
    assert given.status_code == 201, given.data
