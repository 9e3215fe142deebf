"""Published messages: attribute checks, MessageStructure, and the envelopes AWS delivers."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from decimal import Decimal, InvalidOperation
from json.encoder import encode_basestring as _encode_string
from typing import Any

from engine.errors import ServiceError

from .errors import invalid
from .models import Notification

#: Publish's limit on message plus attributes, in bytes.
MAX_MESSAGE_BYTES = 262_144
_ATTRIBUTE_NAME_CHAR = re.compile(r"[^A-Za-z0-9_.\-]")
#: Attribute names already found valid (bounded), so repeated names skip the checks.
_GOOD_NAMES: set[str] = set()


def _value_error(message: str) -> ServiceError:
    return ServiceError("ParameterValueInvalid", message)


def _check_name(name: str) -> None:
    """AWS's rules for a message attribute name (valid names are remembered: they repeat)."""
    if name in _GOOD_NAMES:
        return
    if len(name.encode()) >= 256:
        raise _value_error("Length of message attribute name must be less than 256 bytes.")
    bad = _ATTRIBUTE_NAME_CHAR.search(name)
    if bad:
        raise _value_error(
            f"Invalid non-alphanumeric character '#x{ord(bad.group(0)):X}' was found in the "
            "message attribute name. Can only include alphanumeric characters, hyphens, "
            "underscores, or dots."
        )
    if name.startswith("."):
        raise _value_error("Invalid message attribute name starting with character '.' was found.")
    if name.endswith("."):
        raise _value_error("Invalid message attribute name ending with character '.' was found.")
    if ".." in name:
        raise _value_error("Message attribute name can not have successive '.' character.")
    if len(_GOOD_NAMES) < 10_000:
        _GOOD_NAMES.add(name)


def check_message_attributes(attributes: dict[str, dict]) -> int:
    """Check Publish MessageAttributes as AWS does; returns their size in bytes."""
    size = 0
    for name, attribute in attributes.items():
        _check_name(name)
        encoded_name = name.encode()
        data_type = attribute.get("DataType", "")
        base = data_type.split(".", 1)[0]
        if base not in ("String", "Number", "Binary"):
            raise _value_error(
                f"The message attribute '{name}' has an invalid message attribute type, the set of "
                "supported type prefixes is Binary, Number, and String."
            )
        if base == "Binary":
            value = attribute.get("BinaryValue")
            if value is None and "StringValue" in attribute:
                raise _value_error(
                    f"The message attribute '{name}' with type 'Binary' must use field 'Binary'."
                )
            if not value:
                raise _value_error(
                    f"The message attribute '{name}' must contain non-empty message attribute "
                    "value for message attribute type 'Binary'."
                )
            size += len(value if isinstance(value, (bytes, bytearray)) else value.encode())
        else:
            value = attribute.get("StringValue")
            if value is None and "BinaryValue" in attribute:
                raise _value_error(
                    f"The message attribute '{name}' with type '{base}' must use field 'String'."
                )
            if not value:
                raise _value_error(
                    f"The message attribute '{name}' must contain non-empty message attribute "
                    f"value for message attribute type '{base}'."
                )
            if base == "Number":
                _check_number(name, value)
            if data_type == "String.Array":
                _check_array(name, value)
            size += len(value.encode())
        size += len(encoded_name) + len(data_type.encode())
    return size


def _check_number(name: str, value: str) -> None:
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise _value_error(f"Could not cast message attribute '{name}' value to number.")


def _check_array(name: str, value: str) -> None:
    try:
        parsed = json.loads(value)
    except ValueError:
        parsed = None
    if not isinstance(parsed, list) or any(isinstance(v, (dict, list)) for v in parsed):
        raise _value_error(
            f"The message attribute '{name}' with type 'String.Array' must have a valid JSON array "
            "of strings, numbers, true, false or null."
        )


def check_message(message: str, subject: str | None, attributes_size: int) -> None:
    """Check the message and subject of a Publish (or one batch entry)."""
    if not message:
        raise invalid("Empty message")
    if len(message.encode()) + attributes_size > MAX_MESSAGE_BYTES:
        raise invalid("Message too long")
    if subject is not None and (
        not subject
        or len(subject) > 100
        or not subject.isascii()
        or "\n" in subject
        or "\r" in subject
        or not subject[:1].isprintable()
    ):
        raise invalid("Subject")


def parse_structure(message: str, structure: str | None) -> dict[str, str] | None:
    """MessageStructure=json: protocol → message text (with its "default"); None otherwise."""
    if structure is None:
        return None
    if structure != "json":
        raise invalid("MessageStructure")
    try:
        parsed = json.loads(message)
    except ValueError:
        raise invalid("Message Structure - JSON message body failed to parse") from None
    if not isinstance(parsed, dict):
        raise invalid("Message Structure - JSON message body failed to parse")
    if "default" not in parsed:
        raise invalid("Message Structure - No default entry in JSON message body")
    return {
        key: value if isinstance(value, str) else json.dumps(value) for key, value in parsed.items()
    }


def envelope_attributes(attributes: dict[str, dict]) -> dict[str, dict[str, str]]:
    """Message attributes as the JSON envelope shows them: {"Type", "Value"}."""
    shown: dict[str, dict[str, str]] = {}
    for name, attribute in attributes.items():
        if "BinaryValue" in attribute:
            raw = attribute["BinaryValue"]
            data = raw if isinstance(raw, (bytes, bytearray)) else str(raw).encode()
            value = base64.b64encode(data).decode()
        else:
            value = attribute.get("StringValue", "")
        shown[name] = {"Type": attribute["DataType"], "Value": value}
    return shown


def signature(note: Notification, message: str, kind: str = "Notification") -> str:
    """A lab signature: base64 of a SHA-256 over AWS's string-to-sign (no AWS key exists here)."""
    parts = ["Message", message, "MessageId", note.message_id]
    if note.subject is not None:
        parts += ["Subject", note.subject]
    parts += ["Timestamp", note.timestamp, "TopicArn", note.topic_arn, "Type", kind]
    digest = hashlib.sha256(("\n".join(parts) + "\n").encode()).digest()
    return base64.b64encode(digest * 8).decode()


class UrlScheme:
    """The HTTPS addresses SNS puts in envelopes, for one region."""

    def __init__(self, region: str, cert_id: str) -> None:
        self.base = f"https://sns.{region}.amazonaws.com"
        self.cert = f"{self.base}/SimpleNotificationService-{cert_id}.pem"

    def unsubscribe(self, subscription_arn: str) -> str:
        """The UnsubscribeURL of a subscription."""
        return f"{self.base}/?Action=Unsubscribe&SubscriptionArn={subscription_arn}"

    def subscribe(self, topic_arn: str, token: str) -> str:
        """The SubscribeURL of a confirmation message."""
        return f"{self.base}/?Action=ConfirmSubscription&TopicArn={topic_arn}&Token={token}"


def envelope_parts(
    note: Notification, message: str, urls: UrlScheme, *, fifo: bool, signature_version: str
) -> tuple[str, str]:
    """The JSON envelope SNS delivers when raw delivery is off, split where the subscription ARN
    goes (in UnsubscribeURL), so one message's envelope is built once for all its subscriptions.

    SNS writes it with Jackson's pretty printer: two-space indent, `" : "`, and each message
    attribute compact on one line. Ids, ARNs and times need no escaping; texts are escaped.
    """
    quote = _encode_string
    lines = ['{\n  "Type" : "Notification"', f'  "MessageId" : "{note.message_id}"']
    if fifo:
        lines.append(f'  "SequenceNumber" : "{note.sequence_number}"')
    lines.append(f'  "TopicArn" : "{note.topic_arn}"')
    if note.subject is not None:
        lines.append(f'  "Subject" : {quote(note.subject)}')
    lines.append(f'  "Message" : {quote(message)}')
    lines.append(f'  "Timestamp" : "{note.timestamp}"')
    if not fifo:
        lines.append(f'  "SignatureVersion" : "{signature_version}"')
        lines.append(f'  "Signature" : "{signature(note, message)}"')
        lines.append(f'  "SigningCertURL" : "{urls.cert}"')
    head = ",\n".join(lines) + f',\n  "UnsubscribeURL" : "{urls.unsubscribe("")}'
    if note.attributes:
        shown = envelope_attributes(note.attributes)
        inner = ",\n".join(
            f'    {quote(name)} : {{"Type":{quote(a["Type"])},"Value":{quote(a["Value"])}}}'
            for name, a in shown.items()
        )
        tail = f'",\n  "MessageAttributes" : {{\n{inner}\n  }}\n}}'
    else:
        tail = '"\n}'
    return head, tail


def lambda_event(
    note: Notification, message: str, subscription_arn: str, urls: UrlScheme, signature_version: str
) -> dict[str, Any]:
    """The event a Lambda subscriber receives (one record)."""
    sns: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": note.message_id,
        "TopicArn": note.topic_arn,
        "Subject": note.subject,
        "Message": message,
        "Timestamp": note.timestamp,
        "SignatureVersion": signature_version,
        "Signature": signature(note, message),
        "SigningCertUrl": urls.cert,
        "UnsubscribeUrl": urls.unsubscribe(subscription_arn),
        "MessageAttributes": envelope_attributes(note.attributes),
    }
    if note.sequence_number is not None:
        sns["SequenceNumber"] = note.sequence_number
        sns["MessageGroupId"] = note.group_id
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription_arn,
                "Sns": sns,
            }
        ]
    }


def sqs_attributes(attributes: dict[str, dict]) -> dict[str, dict]:
    """Publish attributes in SQS MessageAttributes form (raw delivery), copied."""
    return {name: dict(attribute) for name, attribute in attributes.items()}
