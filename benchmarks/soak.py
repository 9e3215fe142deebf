"""Memory that comes back: rounds of create → traffic → delete, in process and over the wire.

Run: `python benchmarks/soak.py [--rounds 20] [--peers moto,ministack]`. Prints one JSON object.

- `in_process`: every service's release round from `tests/engine/test_memory_release.py` (queues,
  topics, rules, streams, delivery streams, functions, executions, APIs, tables, schedules, pipes),
  `rounds` times in one engine; the process's resident memory after each round (after a
  collection). Target: after the last round within 5% of after the first.
- `wire`: the same workload for every server, through boto3 — SQS (1,000 messages), SNS fan-out to
  5 queues, EventBridge with 100 rules, Step Functions (Pass executions), Kinesis, DynamoDB — each
  round deleting everything it made. The server's resident memory (from /proc) idle, after the
  first and after the last round. `pipework serve` beside each peer installed on this machine
  (`moto_server` for moto; `ministack`, or $MINISTACK naming its executable, since its pinned
  botocore is best kept in a virtualenv of its own). Targets: lab idle ≤ 60 MB; lab after the
  rounds ≤ the leanest peer beside it; last round within 5% of the first.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# Run as `python benchmarks/soak.py`, this folder comes first on sys.path, and its kafka.py would
# hide the kafka package the MSK broker uses: put the repository root there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"]
sys.path.insert(0, str(ROOT))


def _load_peers() -> Any:
    """benchmarks/peers.py (servers and peers, shared by every benchmark), loaded by path."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("_bench_peers", ROOT / "benchmarks" / "peers.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


peers_module = _load_peers()

IDLE_TARGET_MB = 60.0
DRIFT_TARGET = 0.05


def _rss_mb(pid: int | str = "self") -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def _tree_rss_mb(pid: int) -> float:
    """Resident memory of a server and its children (some peers fork a worker)."""
    total = _rss_mb(pid)
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        for child in children.read_text().split():
            total += _tree_rss_mb(int(child))
    return total


# -- in process --------------------------------------------------------------------------------
async def _in_process(rounds: int) -> dict[str, Any]:
    from engine import Engine, VirtualClock
    from tests.engine.test_memory_release import ROUNDS

    clock = VirtualClock()
    after: list[float] = []
    async with Engine(clock=clock) as eng:
        for _ in range(rounds):
            for one_round in ROUNDS.values():
                await one_round(eng, clock)
            await clock.advance(61)  # queue names may be reused a minute after deletion
            gc.collect()
            after.append(round(_rss_mb(), 1))
        held = eng.holdings()
    return {
        "rss_mb_after_each_round": after,
        "drift": round(after[-1] / after[0] - 1, 4),
        "holdings_after": held,
    }


# -- over the wire -------------------------------------------------------------------------------
def _servers(wanted: list[str]) -> list[str]:
    """The lab, and each wanted peer installed here (`moto`, `ministack`)."""
    found = peers_module.commands(0)
    names = {"moto": "moto_server", "ministack": "ministack"}
    return ["lab", *(names[w] for w in wanted if names.get(w) in found)]


def _clients(endpoint: str) -> dict[str, Any]:
    import boto3
    from botocore.config import Config

    session = boto3.session.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name="us-east-1"
    )
    config = Config(retries={"max_attempts": 1})
    names = ("sqs", "sns", "events", "stepfunctions", "kinesis", "dynamodb")
    return {name: session.client(name, endpoint_url=endpoint, config=config) for name in names}


def _wire_round(c: dict[str, Any], number: int) -> None:
    """One round of the peer race's workloads, deleting everything it made."""
    sqs, sns, events = c["sqs"], c["sns"], c["events"]
    suffix = f"soak{number}"
    url = sqs.create_queue(QueueName=f"work-{suffix}")["QueueUrl"]
    body = "x" * 100
    for start in range(0, 1000, 10):
        entries = [{"Id": str(n), "MessageBody": body} for n in range(start, start + 10)]
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    for _ in range(20):
        received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if received:
            sqs.delete_message_batch(
                QueueUrl=url,
                Entries=[
                    {"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]}
                    for n, m in enumerate(received)
                ],
            )
    topic = sns.create_topic(Name=f"news-{suffix}")["TopicArn"]
    fanout = []
    for n in range(5):
        queue = sqs.create_queue(QueueName=f"fan{n}-{suffix}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
        fanout.append(queue)
    for n in range(200):
        sns.publish(TopicArn=topic, Message=f"m{n}")
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    for n in range(100):
        events.put_rule(Name=f"r{n}-{suffix}", EventPattern=json.dumps({"source": [f"s{n}"]}))
        events.put_targets(Rule=f"r{n}-{suffix}", Targets=[{"Id": "q", "Arn": queue_arn}])
    for n in range(200):
        events.put_events(Entries=[{"Source": f"s{n % 100}", "DetailType": "d", "Detail": "{}"}])
    sfn = c["stepfunctions"]
    machine = sfn.create_state_machine(
        name=f"flow-{suffix}",
        roleArn="arn:aws:iam::123456789012:role/lab",
        definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
    )["stateMachineArn"]
    for _ in range(100):
        sfn.start_execution(stateMachineArn=machine)
    kinesis = c["kinesis"]
    kinesis.create_stream(StreamName=f"clicks-{suffix}", ShardCount=2)
    kinesis.get_waiter("stream_exists").wait(
        StreamName=f"clicks-{suffix}", WaiterConfig={"Delay": 0.2, "MaxAttempts": 100}
    )
    for start in range(0, 2000, 500):
        records = [
            {"Data": body.encode(), "PartitionKey": str(n)} for n in range(start, start + 500)
        ]
        kinesis.put_records(StreamName=f"clicks-{suffix}", Records=records)
    dynamodb = c["dynamodb"]
    table = f"orders-{suffix}"
    dynamodb.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for n in range(500):
        dynamodb.put_item(TableName=table, Item={"id": {"S": str(n)}, "body": {"S": body}})
    # cleanup: everything this round made
    dynamodb.delete_table(TableName=table)
    kinesis.delete_stream(StreamName=f"clicks-{suffix}")
    sfn.delete_state_machine(stateMachineArn=machine)
    for n in range(100):
        events.remove_targets(Rule=f"r{n}-{suffix}", Ids=["q"])
        events.delete_rule(Name=f"r{n}-{suffix}")
    sns.delete_topic(TopicArn=topic)
    for queue in [url, *fanout]:
        sqs.delete_queue(QueueUrl=queue)


def _wire(name: str, rounds: int) -> dict[str, Any]:
    port = peers_module.free_port()
    server = peers_module.start(name, port)
    try:
        peers_module.wait_for(port, timeout=60)
        time.sleep(0.5)
        result: dict[str, Any] = {"idle_mb": round(_tree_rss_mb(server.pid), 1)}
        clients = _clients(f"http://127.0.0.1:{port}")
        after: list[float] = []
        started = time.perf_counter()
        for number in range(rounds):
            _wire_round(clients, number)
            time.sleep(0.2)
            after.append(round(_tree_rss_mb(server.pid), 1))
        result["seconds"] = round(time.perf_counter() - started, 1)
        result["rss_mb_after_each_round"] = after
        result["drift"] = round(after[-1] / after[0] - 1, 4)
        return result
    except Exception as error:  # a peer that cannot do the work says so instead of a figure
        return {"error": f"{type(error).__name__}: {error}"[:300]}
    finally:
        peers_module.stop(server)


def main(rounds: int, wire_rounds: int, peers: list[str]) -> dict[str, Any]:
    report: dict[str, Any] = {
        "benchmark": "soak",
        "targets": {
            "idle_mb": IDLE_TARGET_MB,
            "drift": DRIFT_TARGET,
            "lab_after_rounds": "≤ the leanest peer",
        },
        "in_process": asyncio.run(_in_process(rounds)),
        "wire": {name: _wire(name, wire_rounds) for name in _servers(peers)},
    }
    lab = report["wire"].get("lab", {})
    peer_after = [
        result["rss_mb_after_each_round"][-1]
        for name, result in report["wire"].items()
        if name != "lab" and "rss_mb_after_each_round" in result
    ]
    if "rss_mb_after_each_round" in lab:
        report["lab_after_vs_leanest_peer"] = (
            round(lab["rss_mb_after_each_round"][-1] / min(peer_after), 3) if peer_after else None
        )
    return report


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--wire-rounds", type=int, default=20)
    parser.add_argument("--peers", default="moto,ministack")
    options = parser.parse_args()
    print(json.dumps(main(options.rounds, options.wire_rounds, options.peers.split(",")), indent=2))
