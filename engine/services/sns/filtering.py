"""Filter policies on the shared compiled matcher: one index per topic and scope.

Subscriptions without a policy always match; the rest are found through `PatternIndex`, so the
cost of filtering a message follows the message, not the number of subscriptions.
"""

from __future__ import annotations

import json
from typing import Any

from engine.patterns import SNS, PatternIndex, validate_filter_policy

from .models import Notification

__all__ = ["TopicFilters", "attributes_event", "body_event", "validate_filter_policy"]


class TopicFilters:
    """The confirmed subscriptions of one topic, indexed by filter policy."""

    def __init__(self) -> None:
        self.unfiltered: set[str] = set()
        self.by_attributes = PatternIndex(SNS)
        self.by_body = PatternIndex(SNS)

    def set(self, subscription_arn: str, policy: dict | None, scope: str) -> None:
        """Index (or re-index) one subscription's policy."""
        self.remove(subscription_arn)
        if not policy:
            self.unfiltered.add(subscription_arn)
        elif scope == "MessageBody":
            self.by_body.add(subscription_arn, policy)
        else:
            self.by_attributes.add(subscription_arn, policy)

    def remove(self, subscription_arn: str) -> None:
        """Stop delivering to one subscription."""
        self.unfiltered.discard(subscription_arn)
        self.by_attributes.remove(subscription_arn)
        self.by_body.remove(subscription_arn)

    def match(self, note: Notification) -> set[str]:
        """The ARNs of the subscriptions whose policy lets `note` through."""
        matched = set(self.unfiltered)
        if len(self.by_attributes):
            matched |= self.by_attributes.matches(attributes_event(note.attributes))
        if len(self.by_body):
            event = body_event(note)
            if event is not None:
                matched |= self.by_body.matches(event)
        return matched


def attributes_event(attributes: dict[str, dict]) -> dict[str, Any]:
    """Message attributes as the event a MessageAttributes-scoped policy is matched against."""
    event: dict[str, Any] = {}
    for name, attribute in attributes.items():
        data_type = attribute.get("DataType", "")
        if data_type.startswith("Binary"):
            continue  # SNS does not filter on binary attributes
        value = attribute.get("StringValue", "")
        if data_type.startswith("Number"):
            event[name] = _number(value)
        elif data_type == "String.Array":
            try:
                event[name] = json.loads(value)
            except ValueError:
                event[name] = value
        else:
            event[name] = value
    return event


def body_event(note: Notification) -> dict | None:
    """The message body parsed as a JSON object (None when it is not one)."""
    if not note.body_parsed:
        note.body_parsed = True
        try:
            parsed = json.loads(note.message)
        except ValueError:
            parsed = None
        note.body_json = parsed if isinstance(parsed, dict) else None
    return note.body_json


def _number(text: str) -> int | float:
    """A Number attribute's value as the matcher compares it."""
    try:
        return int(text)
    except ValueError:
        return float(text)
