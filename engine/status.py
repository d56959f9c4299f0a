"""Every status a row can be in, and every outcome a job can have, named once.

They are ``StrEnum`` members, so they equal and store as the plain strings the
tables, the HTTP API and older integrations use (``InstanceStatus.RUNNING ==
"running"``).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["InstanceStatus", "TaskStatus", "JobStatus", "MessageStatus", "JobOutcome", "Action"]


class InstanceStatus(StrEnum):
    RUNNING = "running"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class TaskStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class JobStatus(StrEnum):
    PENDING = "pending"  # due now or later; a cyclic timer goes back to pending after each firing
    DONE = "done"
    DROPPED = "dropped"  # its instance moved on: nothing left to do
    FAILED = "failed"  # out of retries: an incident is open


class MessageStatus(StrEnum):
    BUFFERED = "buffered"  # arrived before anyone waited for it
    DELIVERED = "delivered"
    REFUSED = "refused"  # no instance would take it
    EXPIRED = "expired"


class Action(StrEnum):
    """What a command did: the ``kind`` of an ``InstanceEvent`` and the ``action`` of its audit event."""

    START = "start"
    COMPLETE = "complete"  # a user task's form submitted
    MESSAGE = "message"  # a message caught
    DELIVER = "deliver"  # a message kept for later reached a case that now waits for it
    TIMER = "timer"  # a timer fired
    SERVICE = "service"  # an asynchronous service task finished
    CANCEL = "cancel"


class JobOutcome(StrEnum):
    """What one run of a leased job came to."""

    DONE = "done"
    RESCHEDULED = "pending"  # a cyclic timer fired and waits for its next time
    DROPPED = "dropped"
    INCIDENT = "incident"
    RETRY = "retry"  # failed; tries again after a backoff
    SKIPPED = "skipped"  # someone else finished it, or the lease was lost

    @property
    def label(self) -> str:
        """What an operator reads."""
        return _OUTCOME_LABELS[self]

    @property
    def ran(self) -> bool:
        """True when the job came to an end or fired: what the job loops count."""
        return self not in (JobOutcome.RETRY, JobOutcome.SKIPPED)


_OUTCOME_LABELS = {
    JobOutcome.DONE: "完成", JobOutcome.RESCHEDULED: "按周期再次排期", JobOutcome.DROPPED: "无需再办",
    JobOutcome.INCIDENT: "转为故障", JobOutcome.RETRY: "稍后重试", JobOutcome.SKIPPED: "已由其他进程处理",
}
