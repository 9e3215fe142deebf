"""AMQP 0-9-1 reply codes and the exception that carries one, worded as RabbitMQ words them."""

from __future__ import annotations

#: Reply code → RabbitMQ's constant name (the text of every close starts with it).
REPLY_NAMES: dict[int, str] = {
    200: "OK",
    311: "CONTENT_TOO_LARGE",
    312: "NO_ROUTE",
    313: "NO_CONSUMERS",
    320: "CONNECTION_FORCED",
    402: "INVALID_PATH",
    403: "ACCESS_REFUSED",
    404: "NOT_FOUND",
    405: "RESOURCE_LOCKED",
    406: "PRECONDITION_FAILED",
    501: "FRAME_ERROR",
    502: "SYNTAX_ERROR",
    503: "COMMAND_INVALID",
    504: "CHANNEL_ERROR",
    505: "UNEXPECTED_FRAME",
    506: "RESOURCE_ERROR",
    530: "NOT_ALLOWED",
    540: "NOT_IMPLEMENTED",
    541: "INTERNAL_ERROR",
}

#: Codes that close the whole connection rather than one channel (AMQP 0-9-1 §1.2).
CONNECTION_CODES = frozenset({320, 402, 501, 502, 503, 504, 505, 530, 540, 541})


class AmqpError(Exception):
    """A channel or connection exception: reply code, RabbitMQ's text, and the method it answers."""

    def __init__(
        self,
        code: int,
        detail: str,
        *,
        method: tuple[int, int] = (0, 0),
        connection: bool | None = None,
    ) -> None:
        self.code = code
        self.text = f"{REPLY_NAMES.get(code, 'ERROR')} - {detail}"
        self.class_id, self.method_id = method
        self.connection = code in CONNECTION_CODES if connection is None else connection
        super().__init__(self.text)


def not_found(kind: str, name: str, vhost: str) -> AmqpError:
    """404: no such queue or exchange in the vhost."""
    return AmqpError(404, f"no {kind} '{name}' in vhost '{vhost}'")


def precondition(detail: str) -> AmqpError:
    """406 PRECONDITION_FAILED (a channel error)."""
    return AmqpError(406, detail)


def access_refused(detail: str) -> AmqpError:
    """403 ACCESS_REFUSED (a channel error)."""
    return AmqpError(403, detail)


def check_expiration(expiration: str | None) -> None:
    """406 unless a message's `expiration` is a non-negative integer of milliseconds (as text)."""
    if expiration is not None and not (expiration.isdigit() and expiration.isascii()):
        raise precondition(f"invalid expiration '{expiration}': {{error,invalid_expiration}}")


def check_name(kind: str, name: str) -> None:
    """406 for a queue or exchange name the AMQP codec (pamqp) cannot carry back to clients."""
    from pamqp.constants import DOMAIN_REGEX

    limit = 127 if kind == "exchange" else 255
    if len(name) > limit or not DOMAIN_REGEX[f"{kind}-name"].fullmatch(name):
        raise precondition(
            f"{kind} name '{name[:80]}' cannot be used: the lab's AMQP codec carries names of at "
            f"most {limit} characters made of letters, digits, space and - _ . : @ # , / +"
        )
