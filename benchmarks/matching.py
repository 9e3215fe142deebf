"""Pattern matching throughput: 1 KB events against 10 … 10,000 realistic, varied rules.

Rules model a growing organisation: each new group of ten rules belongs to another application
(its own source), so the vocabulary grows with the rule count and an event matches a handful of
rules, as on a real bus. Patterns mix exact values, prefixes, numeric ranges, anything-but,
exists, equals-ignore-case, cidr, nested fields and $or.

Prints one JSON object: events/s and µs per event for each rule count, the floor (flattening
the event once, which any matcher must do), moto's matcher at 1,000 rules, the targets, and
an end-to-end row: put_events through the public client with delivery to SQS (the index rows
above time the pattern index alone, on pre-parsed events with its tables warm).
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from engine.patterns import PatternIndex  # noqa: E402
from engine.patterns.flatten import flatten  # noqa: E402

RULE_COUNTS = (10, 100, 1_000, 10_000)
DETAIL_TYPES = ["Order Placed", "Order Shipped", "Payment Failed", "User Signed Up", "Item Viewed"]
STATES = ["pending", "running", "stopped", "failed", "done"]
REGIONS = ["us-east-1", "eu-west-1", "ap-south-1"]


def _source(app: int) -> str:
    return f"com.example.app{app:05d}"


def make_rule(number: int, rng: random.Random) -> dict[str, Any]:
    """One realistic rule of application number // 10."""
    app = number // 10
    pattern: dict[str, Any] = {"source": [_source(app)]}
    if rng.random() < 0.7:
        pattern["detail-type"] = rng.sample(DETAIL_TYPES, rng.randint(1, 2))
    detail: dict[str, Any] = {}
    choice = rng.randrange(8)
    if choice == 0:
        detail["state"] = [{"anything-but": rng.choice(STATES)}]
    elif choice == 1:
        detail["amount"] = [{"numeric": [">", rng.randint(0, 500), "<=", rng.randint(501, 2000)]}]
    elif choice == 2:
        detail["customer"] = {"tier": ["gold", "platinum"]}
    elif choice == 3:
        detail["sku"] = [{"prefix": f"SKU-{rng.randint(0, 9)}"}]
    elif choice == 4:
        detail["coupon"] = [{"exists": rng.random() < 0.5}]
    elif choice == 5:
        detail["$or"] = [{"region": [rng.choice(REGIONS)]}, {"amount": [{"numeric": [">=", 1000]}]}]
    elif choice == 6:
        detail["email"] = [{"suffix": {"equals-ignore-case": "@example.com"}}]
    else:
        detail["client-ip"] = [{"cidr": f"10.{rng.randint(0, 3)}.0.0/16"}]
    if detail:
        pattern["detail"] = detail
    return pattern


def make_event(apps: int, rng: random.Random) -> dict[str, Any]:
    """An event of about 1 KB from one of `apps` applications."""
    items = [
        {
            "sku": f"SKU-{rng.randint(0, 9)}{rng.randint(100, 999)}",
            "qty": rng.randint(1, 5),
            "price": 9.99,
        }
        for _ in range(4)
    ]
    event = {
        "version": "0",
        "id": f"{rng.getrandbits(128):032x}",
        "detail-type": rng.choice(DETAIL_TYPES),
        "source": _source(rng.randrange(apps)),
        "account": "123456789012",
        "time": "2026-01-01T00:00:00Z",
        "region": rng.choice(REGIONS),
        "resources": [f"arn:aws:ec2:us-east-1:123456789012:instance/i-{rng.getrandbits(32):08x}"],
        "detail": {
            "state": rng.choice(STATES),
            "amount": rng.randint(0, 2500),
            "customer": {
                "id": f"c-{rng.randint(0, 99999)}",
                "tier": rng.choice(["gold", "silver", "platinum"]),
            },
            "email": f"user{rng.randint(0, 999)}@Example.com",
            "sku": items[0]["sku"],
            "client-ip": f"10.{rng.randint(0, 5)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}",
            "region": rng.choice(REGIONS),
            "items": items,
            "notes": "x" * 336,
        },
    }
    if rng.random() < 0.5:
        event["detail"]["coupon"] = "SAVE10"
    return event


def _rate(run_one: Any, events: list[dict], budget: float = 0.4) -> float:
    """Events per CPU second for `run_one(event)`, over at least `budget` CPU seconds.

    CPU time (not wall time) keeps other processes on a shared machine out of the figure.
    """
    done = 0
    start = time.process_time()
    while True:
        for event in events:
            run_one(event)
        done += len(events)
        elapsed = time.process_time() - start
        if elapsed >= budget:
            return done / elapsed


def build_index(count: int) -> tuple[PatternIndex, list[dict], float]:
    """An index of `count` rules, 500 events for it, and the mean number of matches per event."""
    rng = random.Random(count)
    index = PatternIndex()
    for number in range(count):
        index.add(number, make_rule(number, rng))
    events = [make_event(max(1, count // 10), rng) for _ in range(500)]
    matched = sum(len(index.matches(e)) for e in events) / len(events)  # also warms the tables
    return index, events, matched


def measure_indexes(rounds: int = 5) -> dict[str, dict[str, float]]:
    """Best rate per rule count over interleaved rounds (so load changes hit all counts alike)."""
    built = {count: build_index(count) for count in RULE_COUNTS}
    best = dict.fromkeys(RULE_COUNTS, 0.0)
    for _ in range(rounds):
        for count, (index, events, _) in built.items():
            best[count] = max(best[count], _rate(index.matches, events))
    return {
        str(count): {
            "events_per_s": round(best[count]),
            "us_per_event": round(1e6 / best[count], 2),
            "avg_matches": round(built[count][2], 2),
        }
        for count in RULE_COUNTS
    }


def measure_floor() -> float:
    """Flattening a 1 KB event once: the least any matcher has to do per event."""
    rng = random.Random(1)
    events = [make_event(100, rng) for _ in range(500)]
    return max(_rate(flatten, events) for _ in range(3))


def measure_moto(count: int) -> float | None:
    """moto's EventPattern matched rule by rule, as its put_events does, at `count` rules."""
    try:
        from moto.events.models import EventPattern
    except ImportError:
        return None
    rng = random.Random(count)
    patterns = [EventPattern.load(json.dumps(make_rule(n, rng))) for n in range(count)]
    events = [make_event(max(1, count // 10), rng) for _ in range(20)]

    def run_one(event: dict) -> None:
        for pattern in patterns:
            pattern.matches_event(event)

    return _rate(run_one, events, budget=3.0)


def measure_end_to_end(rounds: int = 3) -> dict[str, Any]:
    """put_events → rules → SQS → drained, through the public client, per rule count.

    The same rules as above; events drawn from the rules' own field values so each matches
    exactly two rules, after a warm-up; each rule count in its own process (see scaling.py).
    """
    from scaling import measure

    result = measure("rules", rounds, keeper_off=False, sizes=(10, 1_000, 10_000))
    medians = result["us_per_unit_median"]
    return {
        "work": "put_events(10) with delivery to SQS, each event matching 2 rules, drained",
        "events_per_s_median": {count: round(1e6 / us) for count, us in medians.items()},
        "cost_ratio_10000_vs_10": result["ratio_largest_vs_smallest"],
    }


def main() -> None:
    """Run every measurement and print the JSON report."""
    event_size = len(json.dumps(make_event(10, random.Random(0))).encode())
    results = measure_indexes()
    floor = measure_floor()
    moto = measure_moto(1_000)
    cost_10 = results["10"]["us_per_event"]
    cost_10k = results["10000"]["us_per_event"]
    report = {
        "benchmark": "matching",
        "event_bytes": event_size,
        "pipework": results,
        "floor_flatten_events_per_s": round(floor),
        "moto_events_per_s_at_1000_rules": round(moto, 1) if moto is not None else None,
        "speedup_vs_moto_at_1000": round(results["1000"]["events_per_s"] / moto, 1)
        if moto
        else None,
        "cost_ratio_10000_vs_10": round(cost_10k / cost_10, 2),
        "end_to_end_public_client": measure_end_to_end(),
        "targets": {"events_per_s_at_1000_rules": 30_000, "cost_ratio_10000_vs_10_at_most": 2.0},
        "met": {
            "events_per_s_at_1000_rules": results["1000"]["events_per_s"] >= 30_000,
            "cost_ratio": cost_10k / cost_10 <= 2.0,
        },
    }
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
