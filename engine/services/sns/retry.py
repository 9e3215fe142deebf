"""SNS delivery retry policies: AWS's four phases (immediate, pre-backoff, backoff, post-backoff)."""

from __future__ import annotations

from dataclasses import dataclass

#: Protocols whose endpoints AWS manages (SQS, Lambda, Firehose): 100,015 tries over 23 days.
AWS_MANAGED = frozenset({"sqs", "lambda", "firehose"})


@dataclass(slots=True, frozen=True)
class RetryPolicy:
    """How many times, and how far apart, SNS retries a delivery after it fails."""

    no_delay: int  # immediate retries
    min_delay_retries: int  # pre-backoff retries, min_delay apart
    backoff: int  # retries whose delay grows from min_delay to max_delay
    max_delay_retries: int  # post-backoff retries, max_delay apart
    min_delay: float
    max_delay: float
    function: str = "exponential"

    @property
    def total(self) -> int:
        """Retries in all (the first attempt not counted)."""
        return self.no_delay + self.min_delay_retries + self.backoff + self.max_delay_retries

    def delay(self, retry: int) -> float | None:
        """Seconds to wait before retry number `retry` (1-based); None once they are used up."""
        if retry < 1 or retry > self.total:
            return None
        if retry <= self.no_delay:
            return 0.0
        retry -= self.no_delay
        if retry <= self.min_delay_retries:
            return self.min_delay
        retry -= self.min_delay_retries
        if retry <= self.backoff:
            return self._backoff_delay(retry)
        return self.max_delay

    def _backoff_delay(self, step: int) -> float:
        """Delay of backoff step `step` of `backoff`, shaped by the backoff function."""
        low, high = self.min_delay, self.max_delay
        fraction = step / self.backoff
        if self.function == "linear":
            shaped = fraction
        elif self.function == "arithmetic":
            shaped = fraction * (fraction + 1) / 2
        elif self.function == "geometric":
            shaped = fraction**2
        else:  # exponential: each step a constant factor further than the last
            if low > 0:
                return round(low * (high / low) ** fraction, 3)
            shaped = fraction**3
        return round(low + (high - low) * shaped, 3)


#: SQS, Lambda and Firehose endpoints: 3 immediate, 2 at 1 s, 10 backing off 1–20 s, 100,000 at 20 s.
AWS_MANAGED_POLICY = RetryPolicy(3, 2, 10, 100_000, 1.0, 20.0, "exponential")
#: Email, SMS and mobile push: 0 immediate, 2 at 10 s, 10 backing off 10–600 s, 38 at 600 s.
CUSTOMER_MANAGED_POLICY = RetryPolicy(0, 2, 10, 38, 10.0, 600.0, "exponential")


def http_policy(healthy: dict) -> RetryPolicy:
    """The retry policy of an HTTP/S subscription from its effective healthyRetryPolicy."""
    no_delay = int(healthy.get("numNoDelayRetries", 0))
    min_retries = int(healthy.get("numMinDelayRetries", 0))
    max_retries = int(healthy.get("numMaxDelayRetries", 0))
    total = int(healthy.get("numRetries", 3))
    backoff = max(0, total - no_delay - min_retries - max_retries)
    return RetryPolicy(
        no_delay,
        min_retries,
        backoff,
        max_retries,
        float(healthy.get("minDelayTarget", 20)),
        float(healthy.get("maxDelayTarget", 20)),
        str(healthy.get("backoffFunction", "linear")),
    )


def policy_for_protocol(protocol: str) -> RetryPolicy:
    """The fixed policy of a non-HTTP protocol."""
    return AWS_MANAGED_POLICY if protocol in AWS_MANAGED else CUSTOMER_MANAGED_POLICY
