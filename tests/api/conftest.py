"""Fixtures for the HTTP API: an app over the shared test engine, and real signed tokens."""

from __future__ import annotations

from typing import Any, Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from gongzhi import Actor, Engine
from gongzhi.api import create_app
from gongzhi.tokens import mint

API = "/api/v1"


def token_for(engine: Engine, actor: Actor) -> str:
    return mint(engine.config.secret_key, actor.id, actor.name, actor.groups, actor.region,
                permissions=actor.permissions)  # real time: PyJWT checks exp against the wall clock


@pytest.fixture
def app(engine: Engine) -> Flask:
    return create_app(engine=engine)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def auth(engine: Engine) -> Callable[[Actor], dict[str, str]]:
    """Headers with a real HS256 token for ``actor``."""

    def headers(actor: Actor, **extra: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token_for(engine, actor)}", **extra}

    return headers


@pytest.fixture
def start(client: FlaskClient, auth: Callable[..., dict[str, str]], start_vars: dict[str, Any]) -> Callable[..., dict[str, Any]]:
    """Start an approval instance over HTTP as ``actor``; returns the response body."""

    def run(actor: Actor, **variables: Any) -> dict[str, Any]:
        response = client.post(f"{API}/process-instances", headers=auth(actor),
                               json={"process_key": "approval", "variables": {**start_vars, **variables}})
        assert response.status_code == 201, response.get_json()
        return response.get_json()

    return run
