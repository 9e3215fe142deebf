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

#: Delivery targets of SNS subscriptions and EventBridge rules (what `latency`/`throttle` reach).
_TARGET = "SNS and EventBridge deliveries to it"
#: What `failure` does to a delivery target that is not a Lambda function (those fail themselves).
_FAILED_TARGET = (
    "SNS, EventBridge and Pipes deliveries to it fail server-side (an HTTP endpoint answers 500): "
    "each retries by its documented policy, then dead-letters"
)
#: What each fault does to each resource type that honours it (a type not listed ignores it).
FAULT_EFFECTS: dict[str, dict[str, str]] = {
    "duplicate": {
        "sqs standard queue": "one extra copy of a received message comes back after it is "
        "deleted (same MessageId, its own receive count; never more than one)",
    },
    "reorder": {"sqs standard queue": "receives return messages out of send order"},
    "latency": {
        "sqs queue": "sent messages become visible this many seconds later",
        "lambda function": "each invocation takes this many seconds longer (counts against "
        "its timeout)",
        "delivery target": f"{_TARGET} wait this many seconds",
    },
    "failure": {
        "lambda function": "invocations fail with Runtime.ExitError",
        "delivery target": _FAILED_TARGET,
    },
    "throttle": {
        "lambda function": "Invoke answers TooManyRequestsException",
        "dynamodb table": "requests answer ProvisionedThroughputExceededException",
        "delivery target": f"{_TARGET} are throttled (and retried)",
    },
}

#: Resource types that receive SNS or EventBridge deliveries.
_TARGET_TYPES = frozenset(
    {
        "sqs standard queue",
        "sqs fifo queue",
        "lambda function",
        "sns topic",
        "states state machine",
        "kinesis stream",
        "firehose stream",
        "events bus",
        "http endpoint",
    }
)


def target_fails(faults: FaultInjector, target: str) -> bool:
    """Whether an injected `failure` fails this delivery to `target` (not a Lambda function:
    a failing function fails its own invocations, so its caller sees a function error)."""
    if not faults.enabled or resource_type(target) == "lambda function":
        return False
    policy = faults.policy_for(target)
    return policy is not None and faults.roll(policy.failure)


def resource_type(arn: str) -> str | None:
    """The fault-relevant type of a resource ARN or endpoint URL, or None if unrecognised."""
    if arn.startswith(("http://", "https://")):
        return "http endpoint"
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[0] != "arn":
        return None
    service, resource = parts[2], parts[5]
    if service == "sqs":
        return "sqs fifo queue" if resource.endswith(".fifo") else "sqs standard queue"
    kinds = {
        "lambda": "lambda function",
        "dynamodb": "dynamodb table",
        "sns": "sns topic",
        "states": "states state machine",
        "kinesis": "kinesis stream",
        "firehose": "firehose stream",
        "events": "events bus",
        "s3": "s3 bucket",
    }
    return kinds.get(service, f"{service} resource")


def fault_applies(kind: str, rtype: str) -> bool:
    """Whether fault `kind` does anything to a resource of type `rtype`."""
    effects = FAULT_EFFECTS[kind]
    if rtype in effects:
        return True
    if rtype.startswith("sqs ") and "sqs queue" in effects:
        return True
    return "delivery target" in effects and rtype in _TARGET_TYPES


def check_fault(kind: str, arn: str) -> None:
    """Raise ValueError (one line) when `kind` would do nothing to the resource `arn`."""
    rtype = resource_type(arn)
    if rtype is None or fault_applies(kind, rtype):
        return
    honoured = ", ".join(FAULT_EFFECTS[kind])
    raise ValueError(f"{kind} does nothing to a {rtype} ({arn}); it applies to: {honoured}")


class FaultInjector:
    """Holds fault policies per resource (ARN, name or glob) and the seeded dice they roll."""

    def __init__(self, seed: int = 0) -> None:
        self._random = random.Random(seed)
        self._policies: dict[str, FaultPolicy] = {}
        self._cache: dict[str, FaultPolicy | None] = {}
        #: False while no policy is set, so hot paths skip the lookup entirely.
        self.enabled = False

    def configure(self, resource: str = "*", **rates: float) -> FaultPolicy:
        """Set fault rates for a resource (ARN, bare name, or glob such as `*`).

        Switching on a fault that the named ARN's type ignores raises ValueError.
        """
        unknown = set(rates) - set(FAULT_NAMES)
        if unknown:
            raise ValueError(
                f"unknown fault {sorted(unknown)[0]!r}; choose from {', '.join(FAULT_NAMES)}"
            )
        for name, value in rates.items():
            if value:
                check_fault(name, resource)
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
