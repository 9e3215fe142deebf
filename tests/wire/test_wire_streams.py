"""boto3's Kinesis and Firehose clients against the lab: records, iterators, delivery to S3."""

from __future__ import annotations

import asyncio

import pytest


async def test_kinesis_put_and_read_with_iterators(lab) -> None:
    kinesis = lab.client("kinesis")
    await lab.call(kinesis.create_stream, StreamName="clicks", ShardCount=1)
    waiter = kinesis.get_waiter("stream_exists")
    await lab.call(waiter.wait, StreamName="clicks", WaiterConfig={"Delay": 0, "MaxAttempts": 3})
    first = await lab.call(
        kinesis.put_record, StreamName="clicks", Data=b"\x00first", PartitionKey="u1"
    )
    await lab.call(
        kinesis.put_records,
        StreamName="clicks",
        Records=[
            {"Data": b"second", "PartitionKey": "u2"},
            {"Data": b"third", "PartitionKey": "u3"},
        ],
    )
    iterator = (
        await lab.call(
            kinesis.get_shard_iterator,
            StreamName="clicks",
            ShardId=first["ShardId"],
            ShardIteratorType="TRIM_HORIZON",
        )
    )["ShardIterator"]
    page = await lab.call(kinesis.get_records, ShardIterator=iterator, Limit=2)
    assert [r["Data"] for r in page["Records"]] == [b"\x00first", b"second"]
    assert page["Records"][0]["SequenceNumber"] == first["SequenceNumber"]
    rest = await lab.call(kinesis.get_records, ShardIterator=page["NextShardIterator"])
    assert [r["Data"] for r in rest["Records"]] == [b"third"]
    after = (
        await lab.call(
            kinesis.get_shard_iterator,
            StreamName="clicks",
            ShardId=first["ShardId"],
            ShardIteratorType="AFTER_SEQUENCE_NUMBER",
            StartingSequenceNumber=first["SequenceNumber"],
        )
    )["ShardIterator"]
    assert len((await lab.call(kinesis.get_records, ShardIterator=after))["Records"]) == 2


async def test_kinesis_errors_and_list_streams_paginator(lab) -> None:
    kinesis = lab.client("kinesis")
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        await lab.call(kinesis.describe_stream, StreamName="missing")
    for index in range(3):
        await lab.call(kinesis.create_stream, StreamName=f"s{index}", ShardCount=1)
    paginator = kinesis.get_paginator("list_streams")

    def collect() -> list[str]:
        pages = paginator.paginate(PaginationConfig={"PageSize": 2})
        return [name for page in pages for name in page["StreamNames"]]

    assert await lab.call(collect) == ["s0", "s1", "s2"]


async def test_firehose_delivers_to_s3(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    firehose = lab.client("firehose")
    await lab.call(s3.create_bucket, Bucket="lake")
    await lab.call(
        firehose.create_delivery_stream,
        DeliveryStreamName="to-lake",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose",
            "BucketARN": "arn:aws:s3:::lake",
            "BufferingHints": {"IntervalInSeconds": 60, "SizeInMBs": 1},
        },
    )
    described = await lab.call(firehose.describe_delivery_stream, DeliveryStreamName="to-lake")
    assert described["DeliveryStreamDescription"]["DeliveryStreamStatus"] == "ACTIVE"
    await lab.call(firehose.put_record, DeliveryStreamName="to-lake", Record={"Data": b"a\n"})
    batch = await lab.call(
        firehose.put_record_batch,
        DeliveryStreamName="to-lake",
        Records=[{"Data": b"b\n"}, {"Data": b"c\n"}],
    )
    assert batch["FailedPutCount"] == 0
    assert "Contents" not in await lab.call(s3.list_objects_v2, Bucket="lake")
    # The 60 s buffer interval passes on the lab's clock, sped up so the test does not wait.
    lab.engine.clock.set_speed(2000)
    listed: dict = {}
    for _ in range(50):
        listed = await lab.call(s3.list_objects_v2, Bucket="lake")
        if "Contents" in listed:
            break
        await asyncio.sleep(0.02)
    key = listed["Contents"][0]["Key"]
    delivered = await lab.call(s3.get_object, Bucket="lake", Key=key)
    assert delivered["Body"].read() == b"a\nb\nc\n"
    with pytest.raises(firehose.exceptions.ResourceNotFoundException):
        await lab.call(firehose.put_record, DeliveryStreamName="nope", Record={"Data": b"x"})


async def test_kinesis_answers_cbor_requests_in_cbor(lab) -> None:
    # Kinesis's SDKs (Java, and LocalStack's AWS-validated tests) send the JSON protocol as
    # application/x-amz-cbor-1.1: blobs as bytes, timestamps as tag 1 integer epoch milliseconds.
    from datetime import UTC, datetime

    import cbor2
    import httpx

    def millis(value: int, _immutable: bool = False) -> datetime:
        return datetime.fromtimestamp(value / 1000, UTC)

    def loads(content: bytes) -> dict:
        return cbor2.loads(content, semantic_decoders={1: millis})

    kinesis = lab.client("kinesis")
    await lab.call(kinesis.create_stream, StreamName="cbor", ShardCount=1)
    await lab.call(kinesis.put_record, StreamName="cbor", Data=b"\x00raw", PartitionKey="k")
    headers = {"content-type": "application/x-amz-cbor-1.1"}

    async def post(operation: str, payload: dict) -> httpx.Response:
        async with httpx.AsyncClient(base_url=lab.url) as http:
            return await http.post(
                "/",
                content=cbor2.dumps(payload),
                headers={**headers, "x-amz-target": f"Kinesis_20131202.{operation}"},
            )

    described = await post("DescribeStream", {"StreamName": "cbor"})
    assert described.headers["content-type"] == "application/x-amz-cbor-1.1"
    assert b"StreamCreationTimestamp\xc1\x1b" in described.content  # a uint64, not a float64
    description = loads(described.content)["StreamDescription"]
    created = description["StreamCreationTimestamp"]
    assert abs(created.timestamp() - datetime.now(UTC).timestamp()) < 60
    shard = description["Shards"][0]["ShardId"]
    since = cbor2.CBORTag(1, int(created.timestamp() * 1000) - 1000)
    iterator = loads(
        (
            await post(
                "GetShardIterator",
                {
                    "StreamName": "cbor",
                    "ShardId": shard,
                    "ShardIteratorType": "AT_TIMESTAMP",
                    "Timestamp": since,
                },
            )
        ).content
    )["ShardIterator"]
    records = loads((await post("GetRecords", {"ShardIterator": iterator})).content)
    assert records["Records"][0]["Data"] == b"\x00raw"
    json_records = await lab.call(kinesis.get_records, ShardIterator=iterator)
    assert (
        records["Records"][0]["ApproximateArrivalTimestamp"]
        == json_records["Records"][0]["ApproximateArrivalTimestamp"]
    )
    missing = await post("DescribeStream", {"StreamName": "nope"})
    assert missing.status_code == 400
    assert missing.headers["content-type"] == "application/x-amz-cbor-1.1"
    assert loads(missing.content)["__type"] == "ResourceNotFoundException"


async def test_kinesis_reads_a_shard_iterator_in_double_quotes(lab) -> None:
    kinesis = lab.client("kinesis")
    await lab.call(kinesis.create_stream, StreamName="quoted", ShardCount=1)
    put = await lab.call(kinesis.put_record, StreamName="quoted", Data=b"x", PartitionKey="k")
    iterator = (
        await lab.call(
            kinesis.get_shard_iterator,
            StreamName="quoted",
            ShardId=put["ShardId"],
            ShardIteratorType="TRIM_HORIZON",
        )
    )["ShardIterator"]
    page = await lab.call(kinesis.get_records, ShardIterator=f'"{iterator}"')
    assert [r["Data"] for r in page["Records"]] == [b"x"]


async def test_a_stream_created_without_shard_count_is_on_demand(lab) -> None:
    kinesis = lab.client("kinesis")
    await lab.call(kinesis.create_stream, StreamName="auto")
    summary = (await lab.call(kinesis.describe_stream_summary, StreamName="auto"))[
        "StreamDescriptionSummary"
    ]
    assert summary["StreamModeDetails"] == {"StreamMode": "ON_DEMAND"}
    assert summary["OpenShardCount"] == 4
