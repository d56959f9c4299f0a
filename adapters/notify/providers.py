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

__all__ = ["Transient", "Permanent", "SmsProvider", "AliyunSms", "TencentSms", "WeComApp", "DingTalkWork", "sms_provider"]


class Transient(Exception):
    """The provider did not take the message now; the outbox tries again later."""


class Permanent(Exception):
    """The provider will never take this message for this recipient."""


class SmsProvider:
    """What the SMS providers share: a sign, templates per notice kind, a lazily built SDK client."""

    medium = "sms"
    REQUIRED: tuple[str, ...] = ()

    def __init__(self, config: Mapping[str, Any]) -> None:
        missing = [k for k in self.REQUIRED if not config.get(k)]
        if missing:
            raise ConfigurationError(f"notify sms ({type(self).__name__}): missing {', '.join(missing)}")
        self.config = dict(config)
        self.templates: dict[str, Mapping[str, Any]] = dict(config.get("templates") or {})
        self._client: Any = None
        self._lock = threading.Lock()

    def template(self, kind: str) -> Mapping[str, Any]:
        found = self.templates.get(kind) or self.templates.get("*")
        if not found or not found.get("code"):
            raise ConfigurationError(f"notify sms: no template for notice kind '{kind}'")
        return found

    def send(self, mobile: str, kind: str, params: Mapping[str, str], out_id: str) -> str:  # pragma: no cover
        raise NotImplementedError


class AliyunSms(SmsProvider):
    """Alibaba Cloud SMS (``SendSms``, API version 2017-05-25) through ``alibabacloud_dysmsapi20170525``.

    ``endpoint`` is the gateway (``dysmsapi.aliyuncs.com``, or a government cloud's own);
    ``protocol`` https unless the gateway is a local one. Codes per the provider's error list:
    throttling and flow control are transient, an illegal number is permanent, the rest (a wrong
    template or signature, no permission) are configuration faults that retry into an incident.
    """

    REQUIRED = ("access_key_id", "access_key_secret", "sign_name", "endpoint")
    PERMANENT = ("isv.MOBILE_NUMBER_ILLEGAL", "isv.BLACK_KEY_CONTROL_LIMIT", "isv.MOBILE_COUNT_OVER_LIMIT")

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


class TencentSms(SmsProvider):
    """Tencent Cloud SMS (``SendSms``, API version 2021-01-11) through ``tencentcloud-sdk-python-sms``.

    ``endpoint`` is the gateway (``sms.tencentcloudapi.com``, or a private cloud's own), ``region``
    the SDK's region. Template parameters are positional: the order of ``params`` in the template's
    configuration. ``LimitExceeded.*`` (per-number frequency limits) and ``RequestLimitExceeded`` are
    transient; ``InvalidParameterValue.IncorrectPhoneNumber`` is permanent.
    """

    REQUIRED = ("secret_id", "secret_key", "sdk_app_id", "sign_name", "endpoint")
    PERMANENT = ("InvalidParameterValue.IncorrectPhoneNumber", "FailedOperation.PhoneNumberInBlacklist",
                 "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber")

    def client(self) -> Any:
        with self._lock:
            if self._client is None:
                from tencentcloud.common import credential
                from tencentcloud.common.profile.client_profile import ClientProfile
                from tencentcloud.common.profile.http_profile import HttpProfile
                from tencentcloud.sms.v20210111 import sms_client

                profile = HttpProfile(endpoint=self.config["endpoint"], protocol=self.config.get("protocol", "https"),
                                      reqTimeout=int(float(self.config.get("timeout", 5))))
                self._client = sms_client.SmsClient(
                    credential.Credential(self.config["secret_id"], self.config["secret_key"]),
                    str(self.config.get("region") or "ap-guangzhou"), ClientProfile(httpProfile=profile))
            return self._client

    def send(self, mobile: str, kind: str, params: Mapping[str, str], out_id: str) -> str:
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.sms.v20210111 import models

        request = models.SendSmsRequest()
        request.PhoneNumberSet, request.SmsSdkAppId = [f"+86{mobile}"], str(self.config["sdk_app_id"])
        request.SignName, request.TemplateId = self.config["sign_name"], str(self.template(kind)["code"])
        request.TemplateParamSet, request.SessionContext = list(params.values()), out_id
        try:
            answer = self.client().SendSms(request)
        except TencentCloudSDKException as exc:
            if exc.get_code() in self.PERMANENT:
                raise Permanent(str(exc.get_code())) from exc
            raise Transient(f"{exc.get_code()}: {exc.get_message()}"[:300]) from exc
        except Exception as exc:  # noqa: BLE001 - network faults from requests
            raise Transient(f"{type(exc).__name__}: {exc}"[:300]) from exc
        status = (answer.SendStatusSet or [None])[0]
        if status is None:
            raise Transient("no send status in the answer")
        if status.Code == "Ok":
            return str(status.SerialNo)
        if status.Code in self.PERMANENT:
            raise Permanent(str(status.Code))
        raise Transient(f"{status.Code}: {status.Message}"[:300])


def sms_provider(config: Mapping[str, Any]) -> SmsProvider:
    """The SMS provider the ``sms`` block names (``provider``: aliyun, the default, or tencent)."""
    kinds = {"aliyun": AliyunSms, "tencent": TencentSms}
    name = str(config.get("provider") or "aliyun")
    if name not in kinds:
        raise ConfigurationError(f"notify sms: provider must be one of {', '.join(kinds)}")
    return kinds[name](config)


class WeComApp:
    """WeCom / 政务微信 application messages (``message/send``) through wechatpy's enterprise client.

    ``api_base_url`` is the gateway: ``https://qyapi.weixin.qq.com/cgi-bin/`` or a private
    government deployment's own. errcode 45009 / 45033 / -1 (frequency limit, busy) are transient;
    a userid the corporation does not know comes back in ``invaliduser`` and is permanent.
    """

    medium, address_field = "im", "wecom"

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


class DingTalkWork:
    """DingTalk / 浙政钉 work notices (工作通知, ``topapi/message/corpconversation/asyncsend_v2``) over
    its HTTP API, through the adapters' ``transport.py`` seam (httpx).

    ``api_base_url`` is the gateway: ``https://oapi.dingtalk.com/`` or a private government
    deployment's own. The access token (``gettoken``) is kept until it expires; errcode -1 (busy),
    token errors (40014, 42001, 88) and HTTP failures are transient; the answer's ``task_id`` is the
    provider's id.
    """

    medium, address_field = "im", "dingtalk"
    TOKEN_ERRORS = (40014, 42001, 88)

    def __init__(self, config: Mapping[str, Any], transport: Any = None) -> None:
        missing = [k for k in ("app_key", "app_secret", "agent_id", "api_base_url") if not config.get(k)]
        if missing:
            raise ConfigurationError(f"notify dingtalk: missing {', '.join(missing)}")
        from ..transport import Sender

        self.config = dict(config)
        self.base = str(config["api_base_url"]).rstrip("/") + "/"
        self.sender = Sender(transport, timeout=float(config.get("timeout", 5)))
        self._token: tuple[str, float] | None = None
        self._lock = threading.Lock()

    def _access_token(self) -> str:
        import time

        with self._lock:
            if self._token is None or self._token[1] <= time.monotonic():
                answer = self._call("GET", "gettoken", params={"appkey": self.config["app_key"],
                                                               "appsecret": self.config["app_secret"]})
                self._token = (str(answer["access_token"]), time.monotonic() + float(answer.get("expires_in", 7200)) - 60)
            return self._token[0]

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        import httpx

        try:
            response = self.sender.client.request(method, self.base + path, **kwargs)
            answer = response.json() if response.status_code < 500 else {"errcode": -1, "errmsg": response.status_code}
        except (httpx.HTTPError, ValueError) as exc:
            raise Transient(f"{type(exc).__name__}: {exc}"[:300]) from exc
        if answer.get("errcode", 0) != 0:
            if answer.get("errcode") in self.TOKEN_ERRORS:
                self._token = None
            raise Transient(f"errcode {answer.get('errcode')}: {answer.get('errmsg')}"[:300])
        return answer

    def send(self, userid: str, text: str, out_id: str) -> str:
        body = {"agent_id": self.config["agent_id"], "userid_list": userid,
                "msg": {"msgtype": "text", "text": {"content": text}}}
        answer = self._call("POST", "topapi/message/corpconversation/asyncsend_v2",
                            params={"access_token": self._access_token()}, json=body)
        return str(answer.get("task_id") or out_id)
