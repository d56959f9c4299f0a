"""The notice providers, each through its official SDK with a configurable gateway address.

``send`` returns the provider's id for the message, raises ``Transient`` for what a later try may
cure (throttling, a gateway down) and ``Permanent`` for what it will not (a number the provider
refuses). The SDKs are imported on first use.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Mapping

from gongzhi import ConfigurationError

__all__ = ["Transient", "Permanent", "AliyunSms", "WeComApp"]


class Transient(Exception):
    """The provider did not take the message now; the outbox tries again later."""


class Permanent(Exception):
    """The provider will never take this message for this recipient."""


class AliyunSms:
    """Alibaba Cloud SMS (``SendSms``, API version 2017-05-25) through ``alibabacloud_dysmsapi20170525``.

    ``endpoint`` is the gateway (``dysmsapi.aliyuncs.com``, or a government cloud's own);
    ``protocol`` https unless the gateway is a local one. Codes per the provider's error list:
    throttling and flow control are transient, an illegal number is permanent, the rest (a wrong
    template or signature, no permission) are configuration faults that retry into an incident.
    """

    name = "sms"
    TRANSIENT = ("isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "isp.SYSTEM_ERROR", "isp.RAM_PERMISSION_DENY",
                 "Throttling", "Throttling.User", "Throttling.Api", "ServiceUnavailable")
    PERMANENT = ("isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT", "isv.MOBILE_COUNT_OVER_LIMIT")

    def __init__(self, config: Mapping[str, Any]) -> None:
        missing = [k for k in ("access_key_id", "access_key_secret", "sign_name", "endpoint") if not config.get(k)]
        if missing:
            raise ConfigurationError(f"notify sms: missing {', '.join(missing)}")
        self.config = dict(config)
        self.templates: dict[str, Mapping[str, Any]] = dict(config.get("templates") or {})
        self._client: Any = None
        self._lock = threading.Lock()

    def template(self, kind: str) -> Mapping[str, Any]:
        found = self.templates.get(kind) or self.templates.get("*")
        if not found or not found.get("code"):
            raise ConfigurationError(f"notify sms: no template for notice kind '{kind}'")
        return found

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                from alibabacloud_dysmsapi20170525.client import Client
                from alibabacloud_tea_openapi import models

                timeout = int(float(self.config.get("timeout", 5)) * 1000)
                self._client = Client(models.Config(
                    access_key_id=self.config["access_key_id"], access_key_secret=self.config["access_key_secret"],
                    endpoint=self.config["endpoint"], protocol=self.config.get("protocol", "https"),
                    read_timeout=timeout, connect_timeout=timeout))
            return self._client

    def send(self, mobile: str, kind: str, params: Mapping[str, str], out_id: str) -> str:
        from alibabacloud_dysmsapi20170525 import models

        template = self.template(kind)
        request = models.SendSmsRequest(phone_numbers=mobile, sign_name=self.config["sign_name"],
                                        template_code=str(template["code"]), out_id=out_id,
                                        template_param=json.dumps(dict(params), ensure_ascii=False))
        try:
            body = self.client().send_sms(request).body
        except Exception as exc:  # noqa: BLE001 - the SDK raises its own errors for HTTP and network faults
            code = str(getattr(exc, "code", "") or "")
            if code in self.PERMANENT:
                raise Permanent(code) from exc
            raise Transient(f"{code or type(exc).__name__}: {getattr(exc, 'message', '') or exc}"[:300]) from exc
        if body.code == "OK":
            return str(body.biz_id)
        if body.code in self.PERMANENT:
            raise Permanent(str(body.code))
        raise Transient(f"{body.code}: {body.message}"[:300])


class WeComApp:
    """WeCom / 政务微信 application messages (``message/send``) through wechatpy's enterprise client.

    ``api_base_url`` is the gateway: ``https://qyapi.weixin.qq.com/cgi-bin/`` or a private
    government deployment's own. errcode 45009 / 45033 / -1 (frequency limit, busy) are transient;
    a userid the corporation does not know comes back in ``invaliduser`` and is permanent.
    """

    name = "wecom"
    TRANSIENT = (-1, 45009, 45033, 42001, 40014)  # busy, frequency limits, token expired or invalid

    def __init__(self, config: Mapping[str, Any]) -> None:
        missing = [k for k in ("corp_id", "secret", "agent_id", "api_base_url") if not config.get(k)]
        if missing:
            raise ConfigurationError(f"notify wecom: missing {', '.join(missing)}")
        self.config = dict(config)
        self._client: Any = None
        self._lock = threading.Lock()

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                from wechatpy.enterprise import WeChatClient

                class GatewayClient(WeChatClient):  # type: ignore[misc]
                    """wechatpy's client with the token fetched from the configured gateway too
                    (wechatpy names the public host there, whatever API_BASE_URL says)."""

                    def fetch_access_token(self) -> Any:
                        return self._fetch_access_token(url=self.API_BASE_URL + "gettoken",
                                                        params={"corpid": self.corp_id, "corpsecret": self.secret})

                client = GatewayClient(self.config["corp_id"], self.config["secret"],
                                      timeout=float(self.config.get("timeout", 5)))
                client.API_BASE_URL = str(self.config["api_base_url"]).rstrip("/") + "/"
                self._client = client
            return self._client

    def send(self, userid: str, text: str, out_id: str) -> str:
        from wechatpy.exceptions import WeChatClientException

        client = self.client()
        try:
            answer = client.message.send_text(self.config["agent_id"], [userid], text)
        except WeChatClientException as exc:
            if exc.errcode in (40014, 42001):
                client.session.delete(f"{client.corp_id}_access_token")  # fetch a fresh token next time
            raise Transient(f"errcode {exc.errcode}: {exc.errmsg}"[:300]) from exc
        except Exception as exc:  # noqa: BLE001 - network faults from requests
            raise Transient(f"{type(exc).__name__}: {exc}"[:300]) from exc
        if userid in str(answer.get("invaliduser") or "").split("|"):
            raise Permanent("invaliduser")
        return str(answer.get("msgid") or out_id)
