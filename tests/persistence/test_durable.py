"""`pipework serve --lab X --durable`: every acknowledged write survives `kill -9`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.config import Config  # noqa: E402

pytestmark = pytest.mark.timeout(60)

ROOT = Path(__file__).resolve().parents[2]


def _serve(data_dir: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PIPEWORK_DATA_DIR": str(data_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.cli", "serve", "--port", "0", "--lab", "x", "--durable"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()
    assert "serving the lab at" in first, first
    return process, first.rsplit(" ", 1)[1].strip()


def _client(name: str, url: str):  # type: ignore[no-untyped-def]
    return boto3.client(
        name,
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="k",
        aws_secret_access_key="s",
        config=Config(retries={"max_attempts": 0}, connect_timeout=2, read_timeout=5),
    )


def test_acknowledged_writes_survive_kill_9(tmp_path: Path) -> None:
    process, url = _serve(tmp_path)
    acked: dict[str, set[str]] = {"sqs": set(), "kinesis": set(), "dynamodb": set(), "s3": set()}
    stop = threading.Event()
    try:
        sqs = _client("sqs", url)
        queue = sqs.create_queue(QueueName="orders")["QueueUrl"]
        _client("kinesis", url).create_stream(StreamName="clicks", ShardCount=1)
        _client("dynamodb", url).create_table(
            TableName="t",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        _client("s3", url).create_bucket(Bucket="durable-bucket")

        def send_messages(worker: int) -> None:
            client = _client("sqs", url)
            n = 0
            while not stop.is_set():
                body = f"{worker}-{n}"
                try:
                    if n % 2:
                        client.send_message(QueueUrl=queue, MessageBody=body)
                        acked["sqs"].add(body)
                    else:
                        entries = [{"Id": str(i), "MessageBody": f"{body}-{i}"} for i in range(10)]
                        client.send_message_batch(QueueUrl=queue, Entries=entries)
                        acked["sqs"].update(e["MessageBody"] for e in entries)
                except Exception:
                    return  # the server is gone: this write was never acknowledged
                n += 1

        def other_writes() -> None:
            kinesis, ddb = _client("kinesis", url), _client("dynamodb", url)
            s3 = _client("s3", url)
            n = 0
            while not stop.is_set():
                key = f"k{n}"
                try:
                    kinesis.put_record(StreamName="clicks", Data=key.encode(), PartitionKey=key)
                    acked["kinesis"].add(key)
                    ddb.put_item(TableName="t", Item={"id": {"S": key}})
                    acked["dynamodb"].add(key)
                    s3.put_object(Bucket="durable-bucket", Key=key, Body=b"\x00" + key.encode())
                    acked["s3"].add(key)
                except Exception:
                    return
                n += 1

        threads = [threading.Thread(target=send_messages, args=(w,)) for w in range(3)]
        threads.append(threading.Thread(target=other_writes))
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 20
        while len(acked["sqs"]) < 600 and time.monotonic() < deadline:
            time.sleep(0.05)
        os.kill(process.pid, signal.SIGKILL)  # mid-load: requests are in flight
        process.wait()
        stop.set()
        for thread in threads:
            thread.join()
    finally:
        stop.set()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert len(acked["sqs"]) >= 600 and acked["kinesis"]

    process, url = _serve(tmp_path)
    try:
        sqs = _client("sqs", url)
        queue = sqs.get_queue_url(QueueName="orders")["QueueUrl"]
        found: set[str] = set()
        while True:
            got = sqs.receive_message(
                QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=600
            ).get("Messages", [])
            if not got:
                break
            found.update(m["Body"] for m in got)
        assert acked["sqs"] <= found, f"lost {len(acked['sqs'] - found)} acknowledged messages"
        kinesis = _client("kinesis", url)
        iterator = kinesis.get_shard_iterator(
            StreamName="clicks", ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records: set[str] = set()
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10000)
            records.update(r["Data"].decode() for r in page["Records"])
            if not page["Records"]:
                break
            iterator = page["NextShardIterator"]
        assert acked["kinesis"] <= records
        ddb = _client("dynamodb", url)
        items = {i["id"]["S"] for i in ddb.scan(TableName="t")["Items"]}
        assert acked["dynamodb"] <= items
        s3 = _client("s3", url)
        keys = {o["Key"] for o in s3.list_objects_v2(Bucket="durable-bucket").get("Contents", [])}
        assert acked["s3"] <= keys
        some = sorted(acked["s3"])[0]
        assert (
            s3.get_object(Bucket="durable-bucket", Key=some)["Body"].read()
            == b"\x00" + some.encode()
        )
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
