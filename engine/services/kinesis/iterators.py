"""Shard iterators: opaque, self-describing tokens that expire five minutes after issue."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass

#: How long an iterator stays valid (GetRecords documentation: 5 minutes).
ITERATOR_LIFETIME_MS = 300_000


@dataclass(slots=True, frozen=True)
class IteratorState:
    """Where an iterator points: a stream incarnation, a shard, a position and a reader."""

    stream_uid: str
    shard_index: int
    position: int  # read records whose sequence number is >= this
    issued_ms: int
    reader: str  # the chain of iterators one consumer follows (for lag)


class IteratorCodec:
    """Packs iterator state into a signed token and unpacks it, rejecting forgeries."""

    def __init__(self, secret: str) -> None:
        self._key = secret.encode()[:64]

    def encode(self, state: IteratorState) -> str:
        """The opaque ShardIterator string for `state`."""
        payload = (
            f"{state.stream_uid}|{state.shard_index}|{state.position}|"
            f"{state.issued_ms}|{state.reader}"
        ).encode()
        mac = hashlib.blake2b(payload, key=self._key, digest_size=12).digest()
        return "AAAAAAAAAAE" + base64.b64encode(mac + payload).decode()

    def decode(self, token: str) -> IteratorState | None:
        """The state inside `token`, or None when it is not one of ours."""
        if not token.startswith("AAAAAAAAAAE"):
            return None
        try:
            raw = base64.b64decode(token[11:], validate=True)
        except ValueError:
            return None
        mac, payload = raw[:12], raw[12:]
        if hashlib.blake2b(payload, key=self._key, digest_size=12).digest() != mac:
            return None
        try:
            uid, shard, position, issued, reader = payload.decode().split("|")
            return IteratorState(uid, int(shard), int(position), int(issued), reader)
        except ValueError:
            return None
