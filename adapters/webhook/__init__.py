"""Generic webhooks with Standard Webhooks signatures; receivers verify with ``gongzhi.adapters.signing.Verifier``.

Entry point: ``webhook = "gongzhi.adapters.webhook:plugin"``.
"""

from ..signing import Verifier, WebhookVerificationError, new_secret, signature_headers
from .plugin import EVENT_TYPES, Subscription, WebhookAdapter, event_types, plugin

__all__ = ["WebhookAdapter", "Subscription", "EVENT_TYPES", "event_types", "plugin", "Verifier",
           "WebhookVerificationError", "signature_headers", "new_secret"]
