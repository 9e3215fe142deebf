"""10,000+ random and mutated lines: no traceback reaches the user, rejected lines change nothing."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from engine import Engine, VirtualClock
from tui.console import CommandResult, Console

BASE_LINES = [
    "sqs create-queue --queue-name orders",
    "sqs send-message --queue-url orders --message-body hi --delay-seconds 5",
    "sqs send-message --queue-url orders --message-body '{\"a\": [1, 2]}'",
    "sqs receive-message --queue-url orders --max-number-of-messages 10 --wait-time-seconds 2",
    "sqs receive-message --queue-url orders --attribute-names All Policy",
    "sqs get-queue-attributes --queue-url orders --attribute-names All --query Attributes",
    "sqs set-queue-attributes --queue-url orders --attributes VisibilityTimeout=40",
    "sqs tag-queue --queue-url orders --tags a=1,b=2",
    "sqs send-message-batch --queue-url orders --entries Id=1,MessageBody=a Id=2,MessageBody=b",
    "sqs delete-message --queue-url orders --receipt-handle nope",
    "sqs change-message-visibility --queue-url orders --receipt-handle x --visibility-timeout 5",
    "sqs list-queues --output table",
    "sqs list-queues --output text --query 'QueueUrls[0]'",
    "sqs create-queue --queue-name jobs.fifo --attributes FifoQueue=true",
    "sqs send-message --queue-url jobs.fifo --message-body x --message-group-id g",
    "sqs purge-queue --queue-url orders",
    "sqs delete-queue --queue-url orders",
    "sns create-topic --name news",
    "sns publish --topic-arn news --message m --message-attributes 'k={DataType=String,StringValue=v}'",
    "sns subscribe --topic-arn news --protocol sqs --notification-endpoint orders",
    'sqs tag-queue --queue-url orders --cli-input-json \'{"Tags": {"x": "y"}}\'',
    "help sqs send-message",
    "help sns",
    "describe orders",
    "watch orders",
    "watch off",
    "trace 1234",
    "chaos duplicate 0.5 --resource orders",
    "chaos off",
    "clock show",
    "clock advance 5s",
    "expect Messages[0].Body == 'hi'",
    "expect length(QueueUrls) > `0`",
    "outbox",
]

VOCAB = [
    "--queue-url",
    "--message-body",
    "--attributes",
    "--tags",
    "--query",
    "--output",
    "{",
    "}",
    "[",
    "]",
    "'",
    '"',
    "\\",
    "=",
    ",",
    "Key=",
    '{"a":',
    "[1,",
    "--",
    "-",
    "--no-",
    "file://nope",
    "fileb://",
    "A=[1,2",
    "k={DataType=",
    "`1`",
    "||",
    "help",
    "aws",
    "#",
    ";",
    "$(x)",
    "\x00",
    "1e999",
    "-1",
    "99999999999999999999",
    "NaN",
    "true",
    "All",
    "orders",
    "arn:aws:sqs:::x",
    "--cli-input-json",
    "--cli-binary-format",
    "raw-in-base64-out",
    "--wait-time-seconds",
]


def command_line(rng: random.Random) -> str:
    """A valid line, a mutated one, or noise, drawn from `rng` (hypothesis-controlled)."""
    choice = rng.randrange(10)
    if choice == 0:
        return "".join(rng.choice(NOISE) for _ in range(rng.randrange(60)))
    line = rng.choice(BASE_LINES)
    for _ in range(rng.randrange(4)):
        words = line.split(" ")
        op = rng.randrange(6)
        index = rng.randrange(len(words))
        if op == 0 and len(words) > 1:
            del words[index]
        elif op == 1:
            words.insert(index, rng.choice(VOCAB))
        elif op == 2:
            words[index] = rng.choice(VOCAB)
        elif op == 3:
            words.insert(index, words[index])
        elif op == 4:
            words = line[: rng.randrange(len(line) + 1)].split(" ")
        else:
            pos = rng.randrange(len(line) + 1)
            junk = "".join(rng.choice(NOISE) for _ in range(rng.randrange(1, 4)))
            words = (line[:pos] + junk + line[pos:]).split(" ")
        line = " ".join(words)
    return line


NOISE = "abcxyz-_=,.:/'\"[]{}()#;$`*?! \t\n\\0123456789éü\x00\u2603"


def snapshot(engine: Engine) -> str:
    """The lab's state as text: every started service's dump, the faults and the time."""
    services = {s.name: s.dump() for s in engine.started_services()}
    state = {
        "services": {name: data for name, data in services.items() if data},
        "faults": {k: v.as_dict() for k, v in engine.faults.policies().items()},
        "time": engine.clock.now(),
    }
    return json.dumps(state, sort_keys=True, default=repr)


BATCH = 200
EXAMPLES = 52  # 52 × 200 = 10,400 lines


def test_random_and_mutated_lines_never_escape_or_change_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # `save x` from a mutation lands here
    loop = asyncio.new_event_loop()
    clock = VirtualClock()
    engine = Engine(clock=clock)
    console = Console(engine)
    seen = {"lines": 0, "rejected": 0}

    def execute(line: str) -> CommandResult:
        return loop.run_until_complete(clock.run(console.execute(line)))

    execute("sqs create-queue --queue-name orders")

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.randoms(use_true_random=False))
    def feed(rng: random.Random) -> None:
        for _ in range(BATCH):
            line = command_line(rng)
            cursor = rng.randrange(len(line) + 1)
            console.complete(line, cursor)
            console.describe_at(line, cursor)
            before = snapshot(engine)
            result = execute(line)
            seen["lines"] += 1
            assert isinstance(result, CommandResult)
            if not result.ok:
                seen["rejected"] += 1
                assert result.error and "\n" not in result.error
                assert "Traceback" not in result.error and "Internal error" not in result.error, (
                    line,
                    result.error,
                )
                assert snapshot(engine) == before, line

    try:
        feed()
    finally:
        loop.run_until_complete(engine.close())
        loop.close()
    assert seen["lines"] >= 10_000 and seen["rejected"] > 1_000
