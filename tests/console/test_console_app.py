"""The console's server side: the page shell, hashed static files with long cache lifetimes,
the Content-Security-Policy, and the development sign-in that exists only with ``dev``."""

from __future__ import annotations

import re
import pytest
from flask import Flask

from gongzhi import Engine
from gongzhi.api import create_app
from gongzhi.console.assets import STATIC
from gongzhi.security.tokens import actor_from_token


@pytest.fixture
def app(engine: Engine) -> Flask:
    return create_app(engine=engine)


@pytest.fixture
def dev_app(engine: Engine) -> Flask:
    return create_app(engine=engine, dev=True)


def _assets(html: str) -> str:
    return re.search(r'data-assets="([^"]+)"', html).group(1)


def test_shell_has_no_inline_script_and_a_strict_policy(app: Flask) -> None:
    response = app.test_client().get("/console/")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-eval" not in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'self'" in policy and "object-src 'none'" in policy
    # Every script is an external file of this origin; none is inline.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all('src="' in attrs and not body.strip() for attrs, body in scripts)
    assert response.headers["Cache-Control"] == "no-cache"
    assert 'lang="zh-CN"' in html and 'data-dev="0"' in html and 'data-api="/api/v1"' in html


def test_static_files_are_hashed_and_cached_for_a_year(app: Flask) -> None:
    client = app.test_client()
    assets = _assets(client.get("/console/").get_data(as_text=True))
    with client.get(f"{assets}/js/app.js") as module:
        assert module.status_code == 200 and "javascript" in module.mimetype
        assert module.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert module.get_data() == (STATIC / "js" / "app.js").read_bytes()
    with client.get(f"{assets}/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js") as vendored:
        assert vendored.status_code == 200
    stale = re.sub(r"/assets/[0-9a-f]+", "/assets/000000000000", assets)
    assert client.get(f"{stale}/js/app.js").status_code == 404
    assert client.get(f"{assets}/../../app.py").status_code == 404


def test_dev_sign_in_does_not_exist_without_dev(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/console/dev/sign-in").status_code == 404
    assert client.get("/console/dev/roles").status_code == 404
    assert client.post("/console/dev/token", json={"group": "admin"}).status_code == 404


def test_dev_sign_in_mints_a_token_for_a_role_and_region(dev_app: Flask, engine: Engine) -> None:
    client = dev_app.test_client()
    page = client.get("/console/dev/sign-in")
    assert page.status_code == 200 and 'data-page="dev-sign-in"' in page.get_data(as_text=True)
    roles = {r["group"]: r for r in client.get("/console/dev/roles").get_json()["roles"]}
    assert roles["grid"]["name"] == "网格员" and roles["dept_huanjing"]["name"] == "生态环境分局"
    street = roles["street"]["regions"][0]
    answer = client.post("/console/dev/token", json={"group": "street", "region": street["path"], "name": "街道值班员"})
    assert answer.status_code == 200
    actor = actor_from_token(engine.config.secret_key, answer.get_json()["token"])
    assert actor.groups == {"street"} and actor.region == street["path"] and actor.name == "街道值班员"
    assert not actor.is_admin and "pii" not in actor.permissions
    admin = actor_from_token(engine.config.secret_key,
                             client.post("/console/dev/token", json={"group": "admin"}).get_json()["token"])
    assert admin.is_admin and {"pii", "deploy"} <= admin.permissions
    # A region the role does not work in, an unknown role, a form post: refused.
    wrong = client.post("/console/dev/token", json={"group": "street", "region": "990101/001/001/01"})
    assert wrong.status_code == 422 and wrong.get_json()["errors"][0]["field"] == "region"
    assert client.post("/console/dev/token", json={"group": "root"}).status_code == 422
    assert client.post("/console/dev/token", data={"group": "admin"}).status_code == 415


def test_console_can_be_mounted_elsewhere(engine: Engine) -> None:
    from gongzhi.console import init_app

    host = Flask("portal")
    init_app(host, engine, url_prefix="/gov/console", api_prefix="/gov/api", portal_origins=["https://portal.example"])
    response = host.test_client().get("/gov/console/")
    html = response.get_data(as_text=True)
    assert 'data-api="/gov/api"' in html and 'data-base="/gov/console/"' in html
    assert "frame-ancestors 'self' https://portal.example" in response.headers["Content-Security-Policy"]
    with host.test_client().get(f"{_assets(html)}/css/console.css") as css:
        assert css.status_code == 200


def test_every_page_the_router_names_is_served(app: Flask) -> None:
    client = app.test_client()
    assets = _assets(client.get("/console/").get_data(as_text=True))
    router = (STATIC / "js" / "app.js").read_text(encoding="utf-8")
    modules = re.findall(r'\[/\^.*?\$/, "([a-z-]+)"', router)
    assert {"jobs", "modeler", "instances", "instance", "designer"} <= set(modules)
    for module in modules:
        with client.get(f"{assets}/js/pages/{module}.js") as page:
            assert page.status_code == 200 and "javascript" in page.mimetype, module
    with client.get(f"{assets}/vendor/bpmn-js/bpmn-modeler.production.min.js") as modeler:
        assert modeler.status_code == 200


def test_console_code_builds_pages_from_text_only() -> None:
    # Data from residents must never become markup or code: the console's own modules use DOM
    # nodes and textContent (js/dom.js), never innerHTML, eval or new Function.
    for path in (STATIC / "js").rglob("*.js"):
        code = path.read_text(encoding="utf-8")
        assert not re.search(r"\.innerHTML\b|\.outerHTML\s*=|\beval\(|new Function\(|insertAdjacentHTML", code), path.name
