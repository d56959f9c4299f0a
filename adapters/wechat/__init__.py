"""WeChat official account / mini-program: reports from the server callback, subscription-message status notices.

Entry point: ``wechat = "gongzhi.adapters.wechat:plugin"``. Needs ``wechatpy`` (with ``cryptography``).
"""

from .plugin import WeChatAdapter, parse_report, plugin

__all__ = ["WeChatAdapter", "parse_report", "plugin"]
