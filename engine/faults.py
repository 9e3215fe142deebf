"""Fault injection: seeded, deterministic misbehaviour that AWS documents can happen."""

from __future__ import annotations

import fnmatch
import random
from dataclasses import dataclass, fields


@dataclass(slots=True)
class FaultPolicy:
    """What can go wrong for one resource; every rate is a probability from 0 to 1."""

    duplicate: float = 0.0  # a standard queue delivers a message again (at-least-once)
    reorder: float = 0.0  # a standard queue returns messages out of send order
    latency: float = 0.0  # seconds of added latency per operation or delivery
    failure: float = 0.0  # a function invocation fails (Lambda)
    throttle: float = 0.0  # a call is throttled

    def active(self) -> bool:
        """Whether any fault is switched on."""
        return any(getattr(self, f.name) for f in fields(self))

    def as_dict(self) -> dict[str, float]:
        """The non-zero settings."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


FAULT_NAMES = tuple(f.name for f in fields(FaultPolicy))


class FaultInjector:
    """Holds fault policies per resource (ARN, name or glob) and the seeded dice they roll."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._policies: dict[str, FaultPolicy] = {}
        self._cache: dict[str, FaultPolicy | None] = {}
        #: False while no policy is set, so hot paths skip the lookup entirely.
        self.enabled = False

    def configure(self, resource: str = "*", **rates: float) -> FaultPolicy:
        """Set fault rates for a resource (ARN, bare name, or glob such as `*`)."""
        unknown = set(rates) - set(FAULT_NAMES)
        if unknown:
            raise ValueError(
                f"unknown fault {sorted(unknown)[0]!r}; choose from {', '.join(FAULT_NAMES)}"
            )
        for name, value in rates.items():
            if name != "latency" and not 0.0 <= value <= 1.0:
                raise ValueError(f"fault rate {name} must be between 0 and 1, got {value}")
            if name == "latency" and value < 0:
                raise ValueError("latency must not be negative")
        policy = self._policies.get(resource) or FaultPolicy()
        for name, value in rates.items():
            setattr(policy, name, float(value))
        if policy.active():
            self._policies[resource] = policy
        else:
            self._policies.pop(resource, None)
        self._cache.clear()
        self.enabled = bool(self._policies)
        return policy

    def clear(self, resource: str | None = None) -> None:
        """Switch faults off for one resource, or for all."""
        if resource is None:
            self._policies.clear()
        else:
            self._policies.pop(resource, None)
        self._cache.clear()
        self.enabled = bool(self._policies)

    def policies(self) -> dict[str, FaultPolicy]:
        """Every configured policy by resource pattern."""
        return dict(self._policies)

    def policy_for(self, arn: str) -> FaultPolicy | None:
        """The policy that applies to `arn` (exact ARN, then name, then the first glob)."""
        if not self.enabled:
            return None
        if arn in self._cache:
            return self._cache[arn]
        name = arn.rsplit(":", 1)[-1].rsplit("/", 1)[-1]
        found = self._policies.get(arn) or self._policies.get(name)
        if found is None:
            for pattern, policy in self._policies.items():
                if fnmatch.fnmatchcase(arn, pattern) or fnmatch.fnmatchcase(name, pattern):
                    found = policy
                    break
        self._cache[arn] = found
        return found

    def roll(self, rate: float) -> bool:
        """True with probability `rate`, from the seeded generator."""
        return rate > 0 and self._random.random() < rate

    def randrange(self, n: int) -> int:
        """A seeded integer in [0, n)."""
        return self._random.randrange(n)
