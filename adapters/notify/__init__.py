"""Notices that reach people: urging notices (催签、催报到、催办) by SMS and WeCom, through the outbox.

Entry point: ``notify = "gongzhi.adapters.notify:plugin"``. See ``README.md`` beside this file.
"""

from .directory import Contact, InvalidMobileNumber, directory_contacts, mainland_mobile
from .plugin import NotifyAdapter, SendRecord, plugin
from .providers import AliyunSms, DingTalkWork, Permanent, TencentSms, Transient, WeComApp

__all__ = ["NotifyAdapter", "SendRecord", "Contact", "InvalidMobileNumber", "directory_contacts", "mainland_mobile",
           "AliyunSms", "TencentSms", "WeComApp", "DingTalkWork", "Transient", "Permanent", "plugin"]
