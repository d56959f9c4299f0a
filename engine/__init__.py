"""Gongzhi (共治): an embeddable rules-and-workflow engine for community governance.

Integrators use this module's names; everything else is internal::

    from gongzhi import Engine, Actor, hookimpl
"""

from __future__ import annotations

from pathlib import Path

from .clock import Clock, MovableClock, SystemClock
from .config import Config
from . import errors as _errors
from .errors import *  # noqa: F403 - every error class is public (errors.__all__)
from .calendar import WorkingCalendar
from .hooks.directory import Directory
from .hooks.kit import Notifier, Outbox, Resource, load_yaml
from .hooks.specs import hookimpl
from .runtime.audit.sinks import CheckpointSink
from .status import Action, InstanceStatus, JobOutcome, JobStatus, MessageStatus, TaskStatus
from .security.identity import ADMIN_GROUP, SYSTEM, Actor
from .runtime.engine import Engine
from .runtime.views import InstanceView, Page, TaskView
from .runtime.messages import MessageReceipt
from .runtime.readmodel import MAX_BATCH, Batch, CaseSummary, ReadModel, TaskRecord
from .runtime.audit.actions import (
    AuditRecord,
    CancelRecord,
    ClaimRecord,
    CommandRecord,
    CompleteRecord,
    DecisionRecord,
    EndRecord,
    ErasureRecord,
    IncidentRetryRecord,
    MessageRecord,
    ServiceCallRecord,
    StartRecord,
)
from .hooks.objects import (
    AdminAction,
    Channel,
    Delivery,
    Demo,
    DemoResult,
    FormFormat,
    InstanceEvent,
    PortalAdapter,
    Report,
    ServiceCall,
    ServiceTask,
)

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "bpmn_package_path",
    # engine
    "Engine",
    "Config",
    "Clock",
    "SystemClock",
    "MovableClock",
    # identity
    "Actor",
    "ADMIN_GROUP",
    "SYSTEM",
    # plugins
    "hookimpl",
    "ServiceTask",
    "ServiceCall",
    "InstanceEvent",
    "Channel",
    "Delivery",
    "Demo",
    "DemoResult",
    "Report",
    "AdminAction",
    "Directory",
    "PortalAdapter",
    "FormFormat",
    "Notifier",
    "Outbox",
    "Resource",
    "load_yaml",
    "WorkingCalendar",
    "CheckpointSink",
    # statuses
    "Action",
    "InstanceStatus",
    "TaskStatus",
    "JobStatus",
    "MessageStatus",
    "JobOutcome",
    # views
    "MessageReceipt",
    "InstanceView",
    "TaskView",
    "Page",
    # the read model (engine.read)
    "ReadModel",
    "Batch",
    "MAX_BATCH",
    "CaseSummary",
    "TaskRecord",
    "AuditRecord",
    "CommandRecord",
    "StartRecord",
    "CompleteRecord",
    "MessageRecord",
    "CancelRecord",
    "ClaimRecord",
    "DecisionRecord",
    "ServiceCallRecord",
    "EndRecord",
    "IncidentRetryRecord",
    "ErasureRecord",
    # errors: the tree in gongzhi.errors
    *_errors.__all__,
]


def bpmn_package_path() -> Path:
    """The folder of the bundled BPMN/DMN/form files (the ``gongzhi.bpmn`` package)."""
    from .definitions.sources import bundled_path

    return bundled_path()
