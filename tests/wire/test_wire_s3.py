"""boto3's S3 client against the lab: path-style and virtual-host addressing, listing, errors."""

from __future__ import annotations

import io
import json
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError

from engine.http import HttpRequest
from engine.wire.requests import s3_path


def _connect_to_loopback(request, **_: object) -> None:
    parts = urlsplit(request.url)
    request.headers["Host"] = parts.netloc
    request.url = urlunsplit(parts._replace(netloc=f"127.0.0.1:{parts.port}"))


async def test_put_get_list_path_style(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="photos")
    await lab.call(
        s3.put_object, Bucket="photos", Key="a/b.txt", Body=b"hello", Metadata={"who": "me"}
    )
    got = await lab.call(s3.get_object, Bucket="photos", Key="a/b.txt")
    assert got["Body"].read() == b"hello"
    assert got["Metadata"] == {"who": "me"}
    assert got["ContentLength"] == 5
    listed = await lab.call(s3.list_objects_v2, Bucket="photos")
    assert [o["Key"] for o in listed["Contents"]] == ["a/b.txt"]


async def test_virtual_host_addressing_reaches_the_same_bucket(lab) -> None:
    path_style = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(path_style.create_bucket, Bucket="site")
    virtual = lab.client_for(
        "s3", lab.url.replace("127.0.0.1", "s3.localhost"), s3={"addressing_style": "virtual"}
    )
    # boto3 names the bucket in the host (site.s3.localhost), which nothing here resolves:
    # connect to loopback and keep the virtual host in the Host header, as a resolver would.
    virtual.meta.events.register("before-send", _connect_to_loopback)
    await lab.call(virtual.put_object, Bucket="site", Key="index.html", Body=b"<h1>hi</h1>")
    got = await lab.call(path_style.get_object, Bucket="site", Key="index.html")
    assert got["Body"].read() == b"<h1>hi</h1>"


async def test_head_object_reports_size_and_etag(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="bkt")
    put = await lab.call(s3.put_object, Bucket="bkt", Key="k", Body=b"12345")
    head = await lab.call(s3.head_object, Bucket="bkt", Key="k")
    assert head["ContentLength"] == 5
    assert head["ETag"] == put["ETag"]


async def test_missing_key_is_no_such_key(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="bkt")
    with pytest.raises(s3.exceptions.NoSuchKey) as error:
        await lab.call(s3.get_object, Bucket="bkt", Key="missing")
    assert error.value.response["Error"]["Key"] == "missing"


async def test_head_of_missing_key_is_404(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="bkt")
    with pytest.raises(ClientError) as error:
        await lab.call(s3.head_object, Bucket="bkt", Key="missing")
    assert error.value.response["Error"]["Code"] == "404"


async def test_list_objects_paginator_and_bucket_exists_waiter(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="bkt")
    waiter = s3.get_waiter("bucket_exists")
    await lab.call(waiter.wait, Bucket="bkt", WaiterConfig={"Delay": 0, "MaxAttempts": 2})
    for index in range(5):
        await lab.call(s3.put_object, Bucket="bkt", Key=f"k{index}", Body=b"x")
    paginator = s3.get_paginator("list_objects_v2")

    def collect() -> list[str]:
        pages = paginator.paginate(Bucket="bkt", PaginationConfig={"PageSize": 2})
        return [o["Key"] for page in pages for o in page["Contents"]]

    assert await lab.call(collect) == [f"k{i}" for i in range(5)]


async def test_notification_to_sqs_over_the_wire(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    sqs = lab.client("sqs")
    url = (await lab.call(sqs.create_queue, QueueName="uploads"))["QueueUrl"]
    arn = (await lab.call(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["QueueArn"]))[
        "Attributes"
    ]["QueueArn"]
    await lab.call(s3.create_bucket, Bucket="inbox")
    await lab.call(
        s3.put_bucket_notification_configuration,
        Bucket="inbox",
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    config = await lab.call(s3.get_bucket_notification_configuration, Bucket="inbox")
    assert config["QueueConfigurations"][0]["QueueArn"] == arn
    await lab.call(s3.put_object, Bucket="inbox", Key="report.csv", Body=b"1,2")
    bodies: list[dict] = []
    for _ in range(5):  # delivery is asynchronous: gather until both messages arrived
        received = await lab.call(
            sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        bodies += [json.loads(m["Body"]) for m in received.get("Messages", [])]
        if len(bodies) >= 2:
            break
    # AWS first sends an s3:TestEvent when the configuration is saved, then the records.
    assert bodies[0]["Event"] == "s3:TestEvent"
    records = [r for body in bodies for r in body.get("Records", [])]
    assert records[0]["s3"]["object"]["key"] == "report.csv"


async def test_copy_and_batch_delete(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="bkt")
    await lab.call(s3.put_object, Bucket="bkt", Key="src", Body=b"payload")
    await lab.call(
        s3.copy_object, Bucket="bkt", Key="dst", CopySource={"Bucket": "bkt", "Key": "src"}
    )
    assert (await lab.call(s3.get_object, Bucket="bkt", Key="dst"))["Body"].read() == b"payload"
    deleted = await lab.call(
        s3.delete_objects,
        Bucket="bkt",
        Delete={"Objects": [{"Key": "src"}, {"Key": "dst"}], "Quiet": False},
    )
    assert sorted(d["Key"] for d in deleted["Deleted"]) == ["dst", "src"]
    assert "Contents" not in await lab.call(s3.list_objects_v2, Bucket="bkt")


async def test_presigned_get_url_works_without_boto3(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="bkt")
    await lab.call(s3.put_object, Bucket="bkt", Key="shared.txt", Body=b"shared")
    url = s3.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "shared.txt"})
    async with httpx.AsyncClient() as http:
        response = await http.get(url)
    assert response.status_code == 200
    assert response.content == b"shared"


async def test_multipart_upload_through_upload_fileobj(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="bkt")
    data = bytes(range(256)) * (6 * 4096 * 2)  # 12 MiB: two parts at boto3's 8 MiB threshold
    config = TransferConfig(
        multipart_threshold=5 * 1024 * 1024, multipart_chunksize=5 * 1024 * 1024
    )
    await lab.call(s3.upload_fileobj, io.BytesIO(data), "bkt", "big.bin", Config=config)
    head = await lab.call(s3.head_object, Bucket="bkt", Key="big.bin")
    assert head["ContentLength"] == len(data)
    assert head["ETag"].endswith('-3"')


async def test_listing_keeps_keys_with_reserved_characters(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="bkt")
    keys = ["a b+c%20.txt", "ünï/cødé.txt", "x&y=z?.txt"]
    for key in keys:
        await lab.call(s3.put_object, Bucket="bkt", Key=key, Body=key.encode())
    # boto3 asks for EncodingType=url and decodes: the keys come back exactly as written.
    v2 = await lab.call(s3.list_objects_v2, Bucket="bkt")
    assert sorted(o["Key"] for o in v2["Contents"]) == sorted(keys)
    v1 = await lab.call(s3.list_objects, Bucket="bkt", Delimiter="/")
    assert [p["Prefix"] for p in v1["CommonPrefixes"]] == ["ünï/"]
    got = await lab.call(s3.get_object, Bucket="bkt", Key="a b+c%20.txt")
    assert got["Body"].read() == b"a b+c%20.txt"


@pytest.mark.parametrize(
    ("host", "path"),
    [
        ("site.s3.localhost:4566", "/site/k"),
        ("s3-data.s3.localhost", "/s3-data/k"),
        ("my.bucket.s3.amazonaws.com", "/my.bucket/k"),
        ("logs.s3.eu-west-1.amazonaws.com", "/logs/k"),
        ("photos.localhost:4566", "/photos/k"),
        ("s3.localhost:4566", "/k"),
        ("localhost:4566", "/k"),
        ("127.0.0.1:4566", "/k"),
        ("s3.amazonaws.com", "/k"),
    ],
)
def test_virtual_host_names_the_bucket(host: str, path: str) -> None:
    assert s3_path(HttpRequest.build("GET", "/k", headers={"host": host})) == path


async def test_delete_markers_answer_with_their_headers(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="history")
    await lab.call(
        s3.put_bucket_versioning,
        Bucket="history",
        VersioningConfiguration={"Status": "Enabled"},
    )
    await lab.call(s3.put_object, Bucket="history", Key="k", Body=b"v1")
    marker = await lab.call(s3.delete_object, Bucket="history", Key="k")
    with pytest.raises(ClientError) as error:
        await lab.call(s3.get_object, Bucket="history", Key="k")
    headers = error.value.response["ResponseMetadata"]["HTTPHeaders"]
    assert error.value.response["Error"]["Code"] == "NoSuchKey"
    assert headers["x-amz-delete-marker"] == "true"
    assert headers["x-amz-version-id"] == marker["VersionId"]
    with pytest.raises(ClientError) as error:
        await lab.call(s3.get_object, Bucket="history", Key="k", VersionId=marker["VersionId"])
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 405
    assert error.value.response["Error"]["ResourceType"] == "DeleteMarker"


async def test_not_modified_is_a_bodiless_304(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="cached")
    put = await lab.call(s3.put_object, Bucket="cached", Key="k", Body=b"data")
    with pytest.raises(ClientError) as error:
        await lab.call(s3.get_object, Bucket="cached", Key="k", IfNoneMatch=put["ETag"])
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 304
    assert error.value.response["Error"]["Code"] == "304"


async def test_version_listing_pages_with_next_markers(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="paged")
    await lab.call(
        s3.put_bucket_versioning, Bucket="paged", VersioningConfiguration={"Status": "Enabled"}
    )
    for body in (b"1", b"2", b"3"):
        await lab.call(s3.put_object, Bucket="paged", Key="k", Body=body)
    first = await lab.call(s3.list_object_versions, Bucket="paged", MaxKeys=2)
    assert first["IsTruncated"] and first["NextKeyMarker"] == "k"
    rest = await lab.call(
        s3.list_object_versions,
        Bucket="paged",
        KeyMarker=first["NextKeyMarker"],
        VersionIdMarker=first["NextVersionIdMarker"],
    )
    seen = [v["VersionId"] for v in first["Versions"] + rest["Versions"]]
    assert len(seen) == len(set(seen)) == 3


async def test_a_body_missing_a_required_element_is_malformed_xml(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"}, parameter_validation=False)
    await lab.call(s3.create_bucket, Bucket="tags-bucket")
    with pytest.raises(ClientError) as error:
        await lab.call(
            s3.put_bucket_tagging, Bucket="tags-bucket", Tagging={"TagSet": [{"Key": "k"}]}
        )
    assert error.value.response["Error"]["Code"] == "MalformedXML"


async def test_put_bucket_policy_and_tagging_answer_no_content(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="quiet")
    policy = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::quiet/*",
                }
            ],
        }
    )
    put = await lab.call(s3.put_bucket_policy, Bucket="quiet", Policy=policy)
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 204
    tagged = await lab.call(
        s3.put_bucket_tagging, Bucket="quiet", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]}
    )
    assert tagged["ResponseMetadata"]["HTTPStatusCode"] == 204
    versioned = await lab.call(
        s3.put_bucket_versioning, Bucket="quiet", VersioningConfiguration={"Status": "Enabled"}
    )
    assert versioned["ResponseMetadata"]["HTTPStatusCode"] == 200


async def test_a_bucket_created_through_another_region_lives_there(lab) -> None:
    west = lab.client("s3", s3={"addressing_style": "path"}, region_name="us-west-2")
    await lab.call(
        west.create_bucket,
        Bucket="western",
        CreateBucketConfiguration={"LocationConstraint": "us-west-2"},
    )
    location = await lab.call(west.get_bucket_location, Bucket="western")
    assert location["LocationConstraint"] == "us-west-2"
    with pytest.raises(ClientError) as error:
        await lab.call(
            west.create_bucket,
            Bucket="eastern",
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        )
    assert error.value.response["Error"]["Code"] == "IllegalLocationConstraintException"


async def test_acls_come_back_over_the_wire(lab) -> None:
    s3 = lab.client("s3", s3={"addressing_style": "path"})
    await lab.call(s3.create_bucket, Bucket="acl-wire", ObjectOwnership="ObjectWriter")
    await lab.call(s3.put_bucket_acl, Bucket="acl-wire", ACL="public-read")
    got = await lab.call(s3.get_bucket_acl, Bucket="acl-wire")
    grantees = [g["Grantee"]["Type"] for g in got["Grants"]]
    assert grantees == ["CanonicalUser", "Group"]
