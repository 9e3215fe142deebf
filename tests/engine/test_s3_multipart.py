"""S3 multipart uploads and object tagging."""

from __future__ import annotations

import hashlib
import json

import pytest

from engine import ServiceError

MB = 1024 * 1024


@pytest.fixture
async def s3(eng):
    client = eng.client("s3")
    await client.create_bucket(Bucket="big-files")
    return client


async def upload(s3, key: str, parts: list[bytes]) -> tuple[str, list[dict]]:
    upload_id = (await s3.create_multipart_upload(Bucket="big-files", Key=key))["UploadId"]
    listed = []
    for number, data in enumerate(parts, start=1):
        etag = (
            await s3.upload_part(
                Bucket="big-files", Key=key, UploadId=upload_id, PartNumber=number, Body=data
            )
        )["ETag"]
        listed.append({"PartNumber": number, "ETag": etag})
    return upload_id, listed


async def test_complete_joins_parts_with_multipart_etag(s3):
    parts = [b"a" * 5 * MB, b"tail"]
    upload_id, listed = await upload(s3, "joined", parts)
    done = await s3.complete_multipart_upload(
        Bucket="big-files", Key="joined", UploadId=upload_id, MultipartUpload={"Parts": listed}
    )
    digests = b"".join(hashlib.md5(p).digest() for p in parts)
    assert done["ETag"] == f'"{hashlib.md5(digests).hexdigest()}-2"'
    body = (await s3.get_object(Bucket="big-files", Key="joined"))["Body"].read()
    assert body == b"".join(parts)


async def test_small_middle_part_rejected(s3):
    upload_id, listed = await upload(s3, "small", [b"x", b"y"])
    with pytest.raises(ServiceError) as raised:
        await s3.complete_multipart_upload(
            Bucket="big-files", Key="small", UploadId=upload_id, MultipartUpload={"Parts": listed}
        )
    assert raised.value.code == "EntityTooSmall"


async def test_parts_out_of_order_rejected(s3):
    upload_id, listed = await upload(s3, "order", [b"a" * 5 * MB, b"b"])
    with pytest.raises(ServiceError) as raised:
        await s3.complete_multipart_upload(
            Bucket="big-files",
            Key="order",
            UploadId=upload_id,
            MultipartUpload={"Parts": list(reversed(listed))},
        )
    assert raised.value.code == "InvalidPartOrder"


async def test_wrong_etag_rejected(s3):
    upload_id, listed = await upload(s3, "etag", [b"only"])
    listed[0]["ETag"] = '"00000000000000000000000000000000"'
    with pytest.raises(ServiceError) as raised:
        await s3.complete_multipart_upload(
            Bucket="big-files", Key="etag", UploadId=upload_id, MultipartUpload={"Parts": listed}
        )
    assert raised.value.code == "InvalidPart"


async def test_abort_then_upload_is_gone(s3):
    upload_id, _ = await upload(s3, "aborted", [b"x"])
    await s3.abort_multipart_upload(Bucket="big-files", Key="aborted", UploadId=upload_id)
    with pytest.raises(ServiceError) as raised:
        await s3.list_parts(Bucket="big-files", Key="aborted", UploadId=upload_id)
    assert raised.value.code == "NoSuchUpload"


async def test_list_parts_and_uploads(s3):
    upload_id, _ = await upload(s3, "listed", [b"one", b"two"])
    parts = await s3.list_parts(Bucket="big-files", Key="listed", UploadId=upload_id)
    assert [(p["PartNumber"], p["Size"]) for p in parts["Parts"]] == [(1, 3), (2, 3)]
    uploads = await s3.list_multipart_uploads(Bucket="big-files")
    assert [u["UploadId"] for u in uploads["Uploads"]] == [upload_id]


async def test_complete_fires_complete_multipart_event(eng, s3):
    url = (await eng.client("sqs").create_queue(QueueName="mpu"))["QueueUrl"]
    await s3.put_bucket_notification_configuration(
        Bucket="big-files",
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": "arn:aws:sqs:us-east-1:123456789012:mpu",
                    "Events": ["s3:ObjectCreated:CompleteMultipartUpload"],
                }
            ]
        },
    )
    upload_id, listed = await upload(s3, "evented", [b"z"])
    await s3.complete_multipart_upload(
        Bucket="big-files", Key="evented", UploadId=upload_id, MultipartUpload={"Parts": listed}
    )
    await eng.clock.settle()
    bodies = [
        json.loads(m["Body"])
        for m in (await eng.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10))[
            "Messages"
        ]
    ]
    assert bodies[-1]["Records"][0]["eventName"] == "ObjectCreated:CompleteMultipartUpload"


async def test_object_tagging_round_trip(s3):
    await s3.put_object(Bucket="big-files", Key="tagged", Body=b"x", Tagging="team=data&tier=1")
    got = await s3.get_object_tagging(Bucket="big-files", Key="tagged")
    assert got["TagSet"] == [{"Key": "team", "Value": "data"}, {"Key": "tier", "Value": "1"}]
    assert (await s3.get_object(Bucket="big-files", Key="tagged"))["TagCount"] == 2
    await s3.put_object_tagging(
        Bucket="big-files", Key="tagged", Tagging={"TagSet": [{"Key": "only", "Value": "one"}]}
    )
    assert (await s3.get_object_tagging(Bucket="big-files", Key="tagged"))["TagSet"] == [
        {"Key": "only", "Value": "one"}
    ]
    await s3.delete_object_tagging(Bucket="big-files", Key="tagged")
    assert (await s3.get_object_tagging(Bucket="big-files", Key="tagged"))["TagSet"] == []


async def test_too_many_tags_rejected(s3):
    await s3.put_object(Bucket="big-files", Key="k", Body=b"x")
    tags = [{"Key": f"k{i}", "Value": "v"} for i in range(11)]
    with pytest.raises(ServiceError) as raised:
        await s3.put_object_tagging(Bucket="big-files", Key="k", Tagging={"TagSet": tags})
    assert raised.value.code == "BadRequest"


async def test_upload_part_copy_takes_a_range_of_an_object(s3):
    await s3.put_object(Bucket="big-files", Key="source", Body=b"0123456789")
    upload_id = (await s3.create_multipart_upload(Bucket="big-files", Key="dest"))["UploadId"]
    copied = await s3.upload_part_copy(
        Bucket="big-files",
        Key="dest",
        UploadId=upload_id,
        PartNumber=1,
        CopySource="big-files/source",
        CopySourceRange="bytes=2-5",
    )
    etag = copied["CopyPartResult"]["ETag"]
    assert etag == f'"{hashlib.md5(b"2345").hexdigest()}"'
    await s3.complete_multipart_upload(
        Bucket="big-files",
        Key="dest",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": etag}]},
    )
    got = await s3.get_object(Bucket="big-files", Key="dest")
    assert got["Body"].read() == b"2345"


async def test_upload_part_copy_refuses_a_range_past_the_end(s3):
    await s3.put_object(Bucket="big-files", Key="source", Body=b"0123456789")
    upload_id = (await s3.create_multipart_upload(Bucket="big-files", Key="dest"))["UploadId"]
    for text, code in (("bytes=5-20", "InvalidRange"), ("bytes=5-", "InvalidArgument")):
        with pytest.raises(ServiceError) as error:
            await s3.upload_part_copy(
                Bucket="big-files",
                Key="dest",
                UploadId=upload_id,
                PartNumber=1,
                CopySource="big-files/source",
                CopySourceRange=text,
            )
        assert error.value.code == code


async def test_list_parts_names_the_last_part_and_owners_without_display_names(s3):
    upload_id, _ = await upload(s3, "listed", [b"one"])
    parts = await s3.list_parts(Bucket="big-files", Key="listed", UploadId=upload_id)
    assert parts["IsTruncated"] is False and parts["NextPartNumberMarker"] == 1
    assert set(parts["Owner"]) == {"ID"}
    assert set(parts["Initiator"]) == {"ID", "DisplayName"}


async def test_tag_sets_are_checked_as_aws_checks_them(s3):
    await s3.put_object(Bucket="big-files", Key="t", Body=b"x")
    cases = [
        ([{"Key": "Key1", "Value": "a"}, {"Key": "Key1", "Value": "b"}], "multiple Tags"),
        ([{"Key": "Key1,Key2", "Value": "a"}], "TagKey you have provided is invalid"),
        ([{"Key": "aws:prefixed", "Value": "a"}], "cannot be prefixed with aws:"),
    ]
    for tags, message in cases:
        with pytest.raises(ServiceError) as error:
            await s3.put_object_tagging(Bucket="big-files", Key="t", Tagging={"TagSet": tags})
        assert error.value.code == "InvalidTag" and message in error.value.message
    with pytest.raises(ServiceError) as error:
        await s3.put_bucket_tagging(
            Bucket="big-files", Tagging={"TagSet": [{"Key": "aws:x", "Value": "1"}]}
        )
    assert error.value.message == "System tags cannot be added/updated by requester"
    with pytest.raises(ServiceError) as error:
        await s3.put_object(Bucket="big-files", Key="h", Body=b"", Tagging="key1=val1,key2=val2")
    assert error.value.extra["ArgumentName"] == "x-amz-tagging"


async def test_create_bucket_takes_tags(s3):
    tags = [{"Key": "team", "Value": "data"}]
    await s3.create_bucket(Bucket="tagged-bucket", CreateBucketConfiguration={"Tags": tags})
    assert (await s3.get_bucket_tagging(Bucket="tagged-bucket"))["TagSet"] == tags
    with pytest.raises(ServiceError) as error:
        await s3.create_bucket(Bucket="tagged-bucket", CreateBucketConfiguration={"Tags": tags})
    assert error.value.code == "BucketAlreadyOwnedByYou"


async def test_list_multipart_uploads_pages_with_markers(s3):
    for key in ("a", "b", "c"):
        await s3.create_multipart_upload(Bucket="big-files", Key=key)
    first = await s3.list_multipart_uploads(Bucket="big-files", MaxUploads=2)
    assert first["IsTruncated"] and first["NextKeyMarker"] == "b"
    assert (first["KeyMarker"], first["UploadIdMarker"]) == ("", "")
    rest = await s3.list_multipart_uploads(
        Bucket="big-files",
        KeyMarker=first["NextKeyMarker"],
        UploadIdMarker=first["NextUploadIdMarker"],
    )
    assert [u["Key"] for u in rest["Uploads"]] == ["c"] and rest["IsTruncated"] is False
    with pytest.raises(ServiceError) as error:
        await s3.list_multipart_uploads(Bucket="big-files", EncodingType="base64")
    assert error.value.code == "InvalidArgument"
