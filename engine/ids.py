"""Deterministic identifiers: every id the engine makes comes from one seeded generator."""

from __future__ import annotations

import hashlib
import random
from contextvars import ContextVar

_HEX = "0123456789abcdef"

#: The trace id of the Lambda invocation running in this task (set by the Lambda runtime).
ambient_trace_id: ContextVar[str | None] = ContextVar("pipework_ambient_trace_id", default=None)


class Ids:
    """Makes UUIDs, request ids and hex tokens from a seeded generator, so runs repeat exactly."""

    __slots__ = ("_random", "_request_prefix", "_request_count")

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._request_prefix = self.uuid()[:24]
        self._request_count = 0

    def uuid(self) -> str:
        """A version-4 UUID string."""
        bits = self._random.getrandbits(128)
        bits = (bits & ~(0xF000 << 64)) | (0x4000 << 64)
        bits = (bits & ~(0xC000 << 48)) | (0x8000 << 48)
        h = f"{bits:032x}"
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"

    def request_id(self) -> str:
        """A UUID-shaped request id: a seeded prefix and a counter (cheap on hot paths)."""
        self._request_count += 1
        return f"{self._request_prefix}{self._request_count:012x}"

    def hex(self, length: int) -> str:
        """A lowercase hex string of `length` characters."""
        return f"{self._random.getrandbits(length * 4):0{length}x}"

    def digits(self, length: int) -> str:
        """A decimal string of `length` digits (leading digit not zero)."""
        low = 10 ** (length - 1)
        return str(self._random.randrange(low, low * 10))

    def token(self, length: int) -> str:
        """An alphanumeric token, the shape of receipt handles and shard iterators."""
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
        choice = self._random.choice
        return "".join(choice(alphabet) for _ in range(length))

    def continuation_seed(self) -> int:
        """A seed for a lab restored from this one: its ids go on without repeating these."""
        state = repr(self._random.getstate()).encode()
        return int.from_bytes(
            hashlib.sha256(state).digest()[:7], "big"
        )  # within JSON parsers' int64

    def random(self) -> float:
        """A float in [0, 1)."""
        return self._random.random()

    def trace_id(self, epoch_seconds: float) -> str:
        """An X-Ray style trace id: Root=1-{time hex}-{24 hex}.

        Inside a Lambda invocation the invocation's trace id is returned instead, so calls a
        handler makes (send a message, write an item) join its trace, as X-Ray propagates it.
        """
        ambient = ambient_trace_id.get()
        if ambient is not None:
            return ambient
        return f"Root=1-{int(epoch_seconds):08x}-{self.hex(24)}"
