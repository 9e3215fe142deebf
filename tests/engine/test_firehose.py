"""Firehose: buffering on size and interval, S3 keys, GZIP, Lambda transforms, HTTP, errors."""

from __future__ import annotations

import base64
import gzip
import json

import pytest

from engine import Engine, ServiceError, VirtualClock

ROLE = "arn:aws:iam::123456789012:role/firehose"
BUCKET_ARN = "arn:aws:s3:::lake"


async def setup(eng: Engine, **s3: object) -> object:
    await eng.client("s3").create_bucket(Bucket="lake")
    firehose = eng.client("firehose")
    await firehose.create_delivery_stream(
        DeliveryStreamName="clicks",
        ExtendedS3DestinationConfiguration={"RoleARN": ROLE, "BucketARN": BUCKET_ARN, **s3},
    )
    return firehose


async def keys(eng: Engine) -> list[str]:
    listed = await eng.client("s3").list_objects_v2(Bucket="lake")
    return [o["Key"] for o in listed.get("Contents", [])]


def body(eng: Engine, key: str) -> bytes:
    return eng.service("s3").get_object_internal("lake", key)


async def test_flushes_when_the_interval_passes(eng: Engine, clock: VirtualClock) -> None:
    firehose = await setup(eng, BufferingHints={"SizeInMBs": 5, "IntervalInSeconds": 60})
    await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b"a\n"})
    await clock.advance(30)
    await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b"b\n"})
    await clock.advance(29)
    assert await keys(eng) == []
    await clock.advance(1)
    (key,) = await keys(eng)
    assert body(eng, key) == b"a\nb\n"


async def test_flushes_when_the_size_is_reached(eng: Engine, clock: VirtualClock) -> None:
    firehose = await setup(eng, BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 900})
    chunk = {"Data": b"x" * 100_000}
    await firehose.put_record_batch(DeliveryStreamName="clicks", Records=[chunk] * 10)
    await clock.advance(0)
    assert await keys(eng) == []
    await firehose.put_record_batch(DeliveryStreamName="clicks", Records=[chunk] * 1)
    await clock.advance(0)
    (key,) = await keys(eng)
    assert len(body(eng, key)) == 1_100_000


async def test_default_prefix_and_object_name(eng: Engine, clock: VirtualClock) -> None:
    firehose = await setup(eng, BufferingHints={"IntervalInSeconds": 60})
    await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b"a"})
    await clock.advance(60)
    (key,) = await keys(eng)
    assert key.startswith("2026/01/01/00/clicks-1-2026-01-01-00-00-00-")


async def test_custom_prefix_with_timestamp_expressions(eng: Engine, clock: VirtualClock) -> None:
    firehose = await setup(
        eng,
        Prefix="events/dt=!{timestamp:yyyy-MM-dd}/",
        ErrorOutputPrefix="errors/!{firehose:error-output-type}/",
        BufferingHints={"IntervalInSeconds": 60},
    )
    await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b"a"})
    await clock.advance(60)
    (key,) = await keys(eng)
    assert key.startswith("events/dt=2026-01-01/clicks-1-")


async def test_prefix_with_expressions_needs_error_prefix(eng: Engine) -> None:
    await eng.client("s3").create_bucket(Bucket="lake")
    with pytest.raises(ServiceError) as caught:
        await eng.client("firehose").create_delivery_stream(
            DeliveryStreamName="clicks",
            ExtendedS3DestinationConfiguration={
                "RoleARN": ROLE,
                "BucketARN": BUCKET_ARN,
                "Prefix": "x/!{timestamp:yyyy}/",
            },
        )
    assert caught.value.code == "InvalidArgumentException"
    assert (await eng.client("firehose").list_delivery_streams())["DeliveryStreamNames"] == []


async def test_gzip_objects_get_a_gz_suffix(eng: Engine, clock: VirtualClock) -> None:
    firehose = await setup(eng, CompressionFormat="GZIP", BufferingHints={"IntervalInSeconds": 60})
    await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b"zipped"})
    await clock.advance(60)
    (key,) = await keys(eng)
    assert key.endswith(".gz")
    assert gzip.decompress(body(eng, key)) == b"zipped"


async def test_lambda_transform_ok_dropped_and_failed(eng: Engine, clock: VirtualClock) -> None:
    def transform(event: dict, context: object) -> dict:
        out = []
        for record in event["records"]:
            text = base64.b64decode(record["data"]).decode()
            result = {"keep": "Ok", "drop": "Dropped"}.get(text, "ProcessingFailed")
            data = base64.b64encode(text.upper().encode()).decode()
            out.append({"recordId": record["recordId"], "result": result, "data": data})
        return {"records": out}

    function_arn = eng.register_function("transform", transform)
    processing = {
        "Enabled": True,
        "Processors": [
            {
                "Type": "Lambda",
                "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": function_arn}],
            }
        ],
    }
    firehose = await setup(
        eng, ProcessingConfiguration=processing, BufferingHints={"IntervalInSeconds": 60}
    )
    for text in (b"keep", b"drop", b"boom"):
        await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": text})
    await clock.advance(60)
    found = await keys(eng)
    delivered = [k for k in found if not k.startswith("processing-failed/")]
    failed = [k for k in found if k.startswith("processing-failed/2026/01/01/00/")]
    assert body(eng, delivered[0]) == b"KEEP"
    error = json.loads(body(eng, failed[0]).decode().strip())
    assert error["errorCode"] == "Lambda.ProcessingFailedStatus"
    assert base64.b64decode(error["rawData"]) == b"boom"
    assert error["lambdaArn"] == function_arn


async def test_kinesis_source_delivers_stream_records(eng: Engine, clock: VirtualClock) -> None:
    kinesis = eng.client("kinesis")
    await kinesis.create_stream(StreamName="orders", ShardCount=2)
    await eng.client("s3").create_bucket(Bucket="lake")
    firehose = eng.client("firehose")
    stream_arn = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
    await firehose.create_delivery_stream(
        DeliveryStreamName="clicks",
        DeliveryStreamType="KinesisStreamAsSource",
        KinesisStreamSourceConfiguration={"KinesisStreamARN": stream_arn, "RoleARN": ROLE},
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": BUCKET_ARN,
            "BufferingHints": {"IntervalInSeconds": 60},
        },
    )
    await kinesis.put_record(StreamName="orders", Data=b"from-kinesis", PartitionKey="k")
    await clock.advance(60)
    (key,) = await keys(eng)
    assert body(eng, key) == b"from-kinesis"
    with pytest.raises(ServiceError) as caught:
        await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b"x"})
    assert caught.value.code == "InvalidArgumentException"
    edges = [e for e in eng.topology().edges if e.kind == "delivery"]
    assert edges[0].source == stream_arn


async def test_s3_delivery_is_retried_until_the_bucket_exists(
    eng: Engine, clock: VirtualClock
) -> None:
    firehose = eng.client("firehose")
    await firehose.create_delivery_stream(
        DeliveryStreamName="clicks",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": BUCKET_ARN,
            "BufferingHints": {"IntervalInSeconds": 60},
        },
    )
    await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b"late"})
    await clock.advance(65)
    await eng.client("s3").create_bucket(Bucket="lake")
    await clock.advance(120)
    (key,) = await keys(eng)
    assert body(eng, key) == b"late"


async def test_http_endpoint_gets_firehose_request_and_retries(
    eng: Engine, clock: VirtualClock
) -> None:
    requests: list[dict] = []

    async def endpoint(url: str, headers: dict[str, str], data: bytes) -> tuple[int, bytes]:
        payload = json.loads(data)
        requests.append({"url": url, "headers": headers, "payload": payload})
        if len(requests) == 1:
            return 503, b""
        return 200, json.dumps({"requestId": payload["requestId"], "timestamp": 0}).encode()

    await eng.client("s3").create_bucket(Bucket="lake")
    eng.service("firehose").http_transport = endpoint
    firehose = eng.client("firehose")
    await firehose.create_delivery_stream(
        DeliveryStreamName="clicks",
        HttpEndpointDestinationConfiguration={
            "EndpointConfiguration": {"Url": "https://example.com/ingest", "AccessKey": "k"},
            "BufferingHints": {"IntervalInSeconds": 60},
            "S3Configuration": {"RoleARN": ROLE, "BucketARN": BUCKET_ARN},
        },
    )
    await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b"hi"})
    await clock.advance(70)
    assert len(requests) == 2
    sent = requests[-1]
    assert sent["headers"]["X-Amz-Firehose-Access-Key"] == "k"
    assert base64.b64decode(sent["payload"]["records"][0]["data"]) == b"hi"
    assert await keys(eng) == []


async def test_unknown_delivery_stream(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("firehose").put_record(DeliveryStreamName="nope", Record={"Data": b"x"})
    assert caught.value.code == "ResourceNotFoundException"


async def test_oversized_record_in_batch_buffers_nothing(eng: Engine) -> None:
    firehose = await setup(eng)
    records = [{"Data": b"ok"}, {"Data": b"x" * 1_024_001}]
    with pytest.raises(ServiceError) as caught:
        await firehose.put_record_batch(DeliveryStreamName="clicks", Records=records)
    assert caught.value.code == "ValidationException"
    assert eng.topology().node("clicks").counters["buffered"] == 0


async def test_describe_list_and_delete(eng: Engine) -> None:
    firehose = await setup(eng)
    description = (await firehose.describe_delivery_stream(DeliveryStreamName="clicks"))[
        "DeliveryStreamDescription"
    ]
    assert description["DeliveryStreamStatus"] == "ACTIVE"
    assert description["DeliveryStreamType"] == "DirectPut"
    destination = description["Destinations"][0]
    assert destination["DestinationId"] == "destinationId-000000000001"
    hints = destination["ExtendedS3DestinationDescription"]["BufferingHints"]
    assert hints == {"SizeInMBs": 5, "IntervalInSeconds": 300}
    assert (await firehose.list_delivery_streams())["DeliveryStreamNames"] == ["clicks"]
    await firehose.delete_delivery_stream(DeliveryStreamName="clicks")
    assert (await firehose.list_delivery_streams())["DeliveryStreamNames"] == []


async def test_update_destination_bumps_version(eng: Engine) -> None:
    firehose = await setup(eng)
    await firehose.update_destination(
        DeliveryStreamName="clicks",
        CurrentDeliveryStreamVersionId="1",
        DestinationId="destinationId-000000000001",
        ExtendedS3DestinationUpdate={"Prefix": "new/"},
    )
    description = (await firehose.describe_delivery_stream(DeliveryStreamName="clicks"))[
        "DeliveryStreamDescription"
    ]
    assert description["VersionId"] == "2"
    assert description["Destinations"][0]["ExtendedS3DestinationDescription"]["Prefix"] == "new/"
    with pytest.raises(ServiceError) as caught:
        await firehose.update_destination(
            DeliveryStreamName="clicks",
            CurrentDeliveryStreamVersionId="1",
            DestinationId="destinationId-000000000001",
            ExtendedS3DestinationUpdate={"Prefix": "again/"},
        )
    assert caught.value.code == "ConcurrentModificationException"


async def test_tags_and_encryption(eng: Engine) -> None:
    firehose = await setup(eng)
    await firehose.tag_delivery_stream(
        DeliveryStreamName="clicks", Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]
    )
    await firehose.untag_delivery_stream(DeliveryStreamName="clicks", TagKeys=["a"])
    tags = await firehose.list_tags_for_delivery_stream(DeliveryStreamName="clicks")
    assert tags["Tags"] == [{"Key": "b", "Value": "2"}]
    await firehose.start_delivery_stream_encryption(
        DeliveryStreamName="clicks",
        DeliveryStreamEncryptionConfigurationInput={"KeyType": "AWS_OWNED_CMK"},
    )
    put = await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b"x"})
    assert put["Encrypted"] is True
    await firehose.stop_delivery_stream_encryption(DeliveryStreamName="clicks")
    description = (await firehose.describe_delivery_stream(DeliveryStreamName="clicks"))[
        "DeliveryStreamDescription"
    ]
    assert description["DeliveryStreamEncryptionConfiguration"]["Status"] == "DISABLED"


async def test_firehose_settings_and_buffer_survive_save_and_open(eng: Engine) -> None:
    firehose = eng.client("firehose")
    await firehose.create_delivery_stream(
        DeliveryStreamName="clicks",
        ExtendedS3DestinationConfiguration={
            "RoleARN": ROLE,
            "BucketARN": "arn:aws:s3:::lake",
            "Prefix": "raw/",
            "BufferingHints": {"IntervalInSeconds": 60},
        },
    )
    await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b"waiting"})
    saved = json.loads(json.dumps(eng.service("firehose").dump()))
    clock = VirtualClock()
    async with Engine(clock=clock) as fresh:
        await fresh.client("s3").create_bucket(Bucket="lake")
        fresh.service("firehose").load(saved)
        described = await fresh.client("firehose").describe_delivery_stream(
            DeliveryStreamName="clicks"
        )
        destination = described["DeliveryStreamDescription"]["Destinations"][0]
        assert destination["ExtendedS3DestinationDescription"]["Prefix"] == "raw/"
        await clock.advance(60)
        listed = await fresh.client("s3").list_objects_v2(Bucket="lake")
        (key,) = [o["Key"] for o in listed["Contents"]]
        assert (
            key.startswith("raw/")
            and fresh.service("s3").get_object_internal("lake", key) == b"waiting"
        )


async def test_http_endpoint_failure_goes_to_the_backup_bucket(
    eng: Engine, clock: VirtualClock
) -> None:
    async def endpoint(url: str, headers: dict[str, str], data: bytes) -> tuple[int, bytes]:
        return 500, b"broken"

    await eng.client("s3").create_bucket(Bucket="lake")
    eng.service("firehose").http_transport = endpoint
    firehose = eng.client("firehose")
    await firehose.create_delivery_stream(
        DeliveryStreamName="clicks",
        HttpEndpointDestinationConfiguration={
            "EndpointConfiguration": {"Url": "https://example.com/ingest"},
            "BufferingHints": {"IntervalInSeconds": 60},
            "RetryOptions": {"DurationInSeconds": 30},
            "S3Configuration": {"RoleARN": ROLE, "BucketARN": BUCKET_ARN},
        },
    )
    await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b"lost?"})
    await clock.advance(60 + 60)
    (key,) = await keys(eng)
    assert key.startswith("http-endpoint-failed/2026/01/01/00/")
    error = json.loads(body(eng, key).decode().strip())
    assert base64.b64decode(error["rawData"]) == b"lost?"


async def test_source_record_backup_keeps_untransformed_data(
    eng: Engine, clock: VirtualClock
) -> None:
    def upper(event: dict, context: object) -> dict:
        return {
            "records": [
                {
                    "recordId": r["recordId"],
                    "result": "Ok",
                    "data": base64.b64encode(base64.b64decode(r["data"]).upper()).decode(),
                }
                for r in event["records"]
            ]
        }

    function_arn = eng.register_function("upper", upper)
    await eng.client("s3").create_bucket(Bucket="raw")
    firehose = await setup(
        eng,
        BufferingHints={"IntervalInSeconds": 60},
        ProcessingConfiguration={
            "Enabled": True,
            "Processors": [
                {
                    "Type": "Lambda",
                    "Parameters": [{"ParameterName": "LambdaArn", "ParameterValue": function_arn}],
                }
            ],
        },
        S3BackupMode="Enabled",
        S3BackupConfiguration={"RoleARN": ROLE, "BucketARN": "arn:aws:s3:::raw"},
    )
    await firehose.put_record(DeliveryStreamName="clicks", Record={"Data": b"quiet"})
    await clock.advance(60)
    (key,) = await keys(eng)
    assert body(eng, key) == b"QUIET"
    raw = await eng.client("s3").list_objects_v2(Bucket="raw")
    (raw_key,) = [o["Key"] for o in raw["Contents"]]
    assert eng.service("s3").get_object_internal("raw", raw_key) == b"quiet"
