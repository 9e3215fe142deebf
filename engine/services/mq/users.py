"""Amazon MQ's rules for broker users (names and passwords), per engine type."""

from __future__ import annotations

import re

_RABBIT_NAME = re.compile(r"[A-Za-z0-9._-]{2,100}")
_ACTIVEMQ_NAME = re.compile(r"[A-Za-z0-9._~-]{2,100}")


def check_password(password: str) -> str | None:
    """What is wrong with a broker password (None when it is fine)."""
    if len(password) < 12:
        return "Password must be at least 12 characters long."
    if len(set(password)) < 4:
        return "Password must contain at least 4 unique characters."
    if any(c in password for c in ",:="):
        return "Password must not contain commas, colons, or equal signs (,:=)."
    if len(password) > 250:
        return "Password must be at most 250 characters long."
    return None


def check_rabbit_user(username: str, password: str) -> str | None:
    """What is wrong with a RabbitMQ broker user (None when it is fine)."""
    if username == "guest":
        return "Amazon MQ prohibits using guest as a valid username."
    if not _RABBIT_NAME.fullmatch(username):
        return (
            f"Username [{username}] is invalid. For RabbitMQ brokers it must be 2-100 characters "
            "long and contain only alphanumeric characters, dashes, periods and underscores "
            "(- . _), and no tilde (~)."
        )
    return check_password(password)


def check_activemq_user(username: str, password: str) -> str | None:
    """What is wrong with an ActiveMQ broker user (None when it is fine)."""
    if not _ACTIVEMQ_NAME.fullmatch(username):
        return (
            f"Username [{username}] is invalid. It must be 2-100 characters long and contain only "
            "alphanumeric characters, dashes, periods, underscores and tildes (- . _ ~)."
        )
    return check_password(password)
