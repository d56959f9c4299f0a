"""WeChat official account / mini-program: reports from the server callback, subscription-message status notices.

Entry point: ``wechat = "gongzhi.adapters.wechat:plugin"``. Needs ``wechatpy`` (with
``cryptography``), imported by the callback (``web.py``) and by the first notice, not here.
"""

from .plugin import Topic, WeChatAdapter, parse_report, plugin

__all__ = ["WeChatAdapter", "Topic", "parse_report", "plugin"]
