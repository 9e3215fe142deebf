"""S3 buckets and objects: put/get/head/delete/copy, listing, versioning, internal API."""

from __future__ import annotations

import base64
import hashlib
import io

import pytest

from engine import ServiceError


@pytest.fixture
async def s3(eng):
    client = eng.client("s3")
    await client.create_bucket(Bucket="lab-bucket")
    return client


async def test_put_and_get_bytes(s3):
    put = await s3.put_object(
        Bucket="lab-bucket", Key="a.txt", Body=b"hello", ContentType="text/plain"
    )
    assert put["ETag"] == '"5d41402abc4b2a76b9719d911017c592"'
    got = await s3.get_object(Bucket="lab-bucket", Key="a.txt")
    assert got["Body"].read() == b"hello"
    assert got["ContentType"] == "text/plain"
    assert got["ContentLength"] == 5


async def test_body_may_be_str_or_file(s3):
    await s3.put_object(Bucket="lab-bucket", Key="s", Body="text")
    await s3.put_object(Bucket="lab-bucket", Key="f", Body=io.BytesIO(b"file"))
    assert (await s3.get_object(Bucket="lab-bucket", Key="s"))["Body"].read() == b"text"
    assert (await s3.get_object(Bucket="lab-bucket", Key="f"))["Body"].read() == b"file"


async def test_default_content_type_and_metadata_lowercased(s3):
    await s3.put_object(Bucket="lab-bucket", Key="m", Body=b"x", Metadata={"Owner": "ana"})
    head = await s3.head_object(Bucket="lab-bucket", Key="m")
    assert head["ContentType"] == "binary/octet-stream"
    assert head["Metadata"] == {"owner": "ana"}


async def test_missing_key(s3):
    with pytest.raises(ServiceError) as raised:
        await s3.get_object(Bucket="lab-bucket", Key="nope")
    assert (raised.value.code, raised.value.message) == (
        "NoSuchKey",
        "The specified key does not exist.",
    )
    assert raised.value.status_code == 404


async def test_head_missing_is_404(s3):
    with pytest.raises(ServiceError) as raised:
        await s3.head_object(Bucket="lab-bucket", Key="nope")
    assert raised.value.code == "404"


async def test_missing_bucket(eng):
    with pytest.raises(ServiceError) as raised:
        await eng.client("s3").put_object(Bucket="no-such-bucket", Key="k", Body=b"")
    assert (raised.value.code, raised.value.message) == (
        "NoSuchBucket",
        "The specified bucket does not exist",
    )


async def test_invalid_bucket_name(eng):
    with pytest.raises(ServiceError) as raised:
        await eng.client("s3").create_bucket(Bucket="Bad_Name")
    assert raised.value.code == "InvalidBucketName"


async def test_create_existing_bucket_in_us_east_1_succeeds(s3):
    again = await s3.create_bucket(Bucket="lab-bucket")
    assert again["Location"] == "/lab-bucket"


async def test_location_constraint_of_other_region_rejected(eng):
    with pytest.raises(ServiceError) as raised:
        await eng.client("s3").create_bucket(
            Bucket="other-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
    assert raised.value.code == "IllegalLocationConstraintException"


async def test_location_constraint_us_east_1_rejected(eng):
    with pytest.raises(ServiceError) as raised:
        await eng.client("s3").create_bucket(
            Bucket="other-bucket", CreateBucketConfiguration={"LocationConstraint": "us-east-1"}
        )
    assert raised.value.code == "InvalidLocationConstraint"


async def test_invalid_storage_class(s3):
    with pytest.raises(ServiceError) as raised:
        await s3.put_object(Bucket="lab-bucket", Key="k", Body=b"x", StorageClass="COLD")
    assert raised.value.code == "InvalidStorageClass"


async def test_delete_non_empty_bucket(s3):
    await s3.put_object(Bucket="lab-bucket", Key="k", Body=b"")
    with pytest.raises(ServiceError) as raised:
        await s3.delete_bucket(Bucket="lab-bucket")
    assert raised.value.code == "BucketNotEmpty"


async def test_bad_content_md5(s3):
    wrong = base64.b64encode(hashlib.md5(b"other").digest()).decode()
    with pytest.raises(ServiceError) as raised:
        await s3.put_object(Bucket="lab-bucket", Key="k", Body=b"x", ContentMD5=wrong)
    assert raised.value.code == "BadDigest"
    with pytest.raises(ServiceError):
        await s3.head_object(Bucket="lab-bucket", Key="k")


async def test_range_get(s3):
    await s3.put_object(Bucket="lab-bucket", Key="r", Body=b"0123456789")
    got = await s3.get_object(Bucket="lab-bucket", Key="r", Range="bytes=2-4")
    assert got["Body"].read() == b"234"
    assert got["ContentRange"] == "bytes 2-4/10"


async def test_unsatisfiable_range(s3):
    await s3.put_object(Bucket="lab-bucket", Key="r", Body=b"abc")
    with pytest.raises(ServiceError) as raised:
        await s3.get_object(Bucket="lab-bucket", Key="r", Range="bytes=10-20")
    assert raised.value.code == "InvalidRange"


async def test_delete_object(s3):
    await s3.put_object(Bucket="lab-bucket", Key="d", Body=b"x")
    await s3.delete_object(Bucket="lab-bucket", Key="d")
    with pytest.raises(ServiceError):
        await s3.get_object(Bucket="lab-bucket", Key="d")


async def test_delete_objects_batch(s3):
    for key in ("a", "b"):
        await s3.put_object(Bucket="lab-bucket", Key=key, Body=b"x")
    result = await s3.delete_objects(
        Bucket="lab-bucket", Delete={"Objects": [{"Key": "a"}, {"Key": "b"}]}
    )
    assert [d["Key"] for d in result["Deleted"]] == ["a", "b"]
    assert (await s3.list_objects_v2(Bucket="lab-bucket"))["KeyCount"] == 0


async def test_copy_object_keeps_metadata(s3):
    await s3.put_object(Bucket="lab-bucket", Key="src", Body=b"data", Metadata={"k": "v"})
    copied = await s3.copy_object(Bucket="lab-bucket", Key="dst", CopySource="lab-bucket/src")
    assert copied["CopyObjectResult"]["ETag"] == '"8d777f385d3dfec8815d20f7496026dc"'
    head = await s3.head_object(Bucket="lab-bucket", Key="dst")
    assert head["Metadata"] == {"k": "v"}


async def test_copy_onto_itself_needs_a_change(s3):
    await s3.put_object(Bucket="lab-bucket", Key="same", Body=b"x")
    with pytest.raises(ServiceError) as raised:
        await s3.copy_object(Bucket="lab-bucket", Key="same", CopySource="lab-bucket/same")
    assert raised.value.code == "InvalidRequest"


async def test_list_v2_prefix_delimiter(s3):
    for key in ("photos/2026/a.jpg", "photos/2026/b.jpg", "photos/readme", "docs/x", "top"):
        await s3.put_object(Bucket="lab-bucket", Key=key, Body=b"")
    listed = await s3.list_objects_v2(Bucket="lab-bucket", Prefix="photos/", Delimiter="/")
    assert [c["Key"] for c in listed["Contents"]] == ["photos/readme"]
    assert listed["CommonPrefixes"] == [{"Prefix": "photos/2026/"}]
    assert listed["KeyCount"] == 2


async def test_list_v2_pagination(s3):
    for index in range(5):
        await s3.put_object(Bucket="lab-bucket", Key=f"k{index}", Body=b"")
    first = await s3.list_objects_v2(Bucket="lab-bucket", MaxKeys=2)
    assert first["IsTruncated"] is True
    keys = [c["Key"] for c in first["Contents"]]
    token = first["NextContinuationToken"]
    while token:
        page = await s3.list_objects_v2(Bucket="lab-bucket", MaxKeys=2, ContinuationToken=token)
        keys += [c["Key"] for c in page["Contents"]]
        token = page.get("NextContinuationToken")
    assert keys == ["k0", "k1", "k2", "k3", "k4"]


async def test_list_v1_marker(s3):
    for key in ("a", "b", "c"):
        await s3.put_object(Bucket="lab-bucket", Key=key, Body=b"")
    listed = await s3.list_objects(Bucket="lab-bucket", Marker="a")
    assert [c["Key"] for c in listed["Contents"]] == ["b", "c"]


async def test_versioning_keeps_old_versions(s3):
    await s3.put_bucket_versioning(
        Bucket="lab-bucket", VersioningConfiguration={"Status": "Enabled"}
    )
    first = await s3.put_object(Bucket="lab-bucket", Key="v", Body=b"one")
    await s3.put_object(Bucket="lab-bucket", Key="v", Body=b"two")
    assert (await s3.get_object(Bucket="lab-bucket", Key="v"))["Body"].read() == b"two"
    old = await s3.get_object(Bucket="lab-bucket", Key="v", VersionId=first["VersionId"])
    assert old["Body"].read() == b"one"
    assert (await s3.get_bucket_versioning(Bucket="lab-bucket"))["Status"] == "Enabled"


async def test_versioned_delete_creates_marker(s3):
    await s3.put_bucket_versioning(
        Bucket="lab-bucket", VersioningConfiguration={"Status": "Enabled"}
    )
    await s3.put_object(Bucket="lab-bucket", Key="v", Body=b"one")
    deleted = await s3.delete_object(Bucket="lab-bucket", Key="v")
    assert deleted["DeleteMarker"] is True
    with pytest.raises(ServiceError):
        await s3.get_object(Bucket="lab-bucket", Key="v")
    versions = await s3.list_object_versions(Bucket="lab-bucket")
    assert len(versions["Versions"]) == 1 and len(versions["DeleteMarkers"]) == 1


async def test_unversioned_bucket_has_no_version_ids(s3):
    put = await s3.put_object(Bucket="lab-bucket", Key="u", Body=b"x")
    assert "VersionId" not in put
    assert "Status" not in await s3.get_bucket_versioning(Bucket="lab-bucket")


async def test_internal_api_round_trip(eng, s3):
    service = eng.service("s3")
    result = service.put_object_internal(
        "lab-bucket", "from/firehose", b"payload", content_type="text/plain"
    )
    assert result["ETag"] == f'"{hashlib.md5(b"payload").hexdigest()}"'
    assert service.get_object_internal("lab-bucket", "from/firehose") == b"payload"
    with pytest.raises(ServiceError) as raised:
        service.get_object_internal("lab-bucket", "missing")
    assert raised.value.code == "NoSuchKey"


async def test_list_buckets_and_topology(eng, s3):
    listed = await s3.list_buckets()
    assert [b["Name"] for b in listed["Buckets"]] == ["lab-bucket"]
    node = eng.topology().node("lab-bucket")
    assert node is not None and node.kind == "bucket"


async def test_dump_and_load(eng, s3):
    from engine.services.s3.service import S3Service

    await s3.put_object(Bucket="lab-bucket", Key="saved", Body=b"keep me")
    data = eng.service("s3").dump()
    restored = S3Service(eng)
    restored.load(data)
    assert restored.get_object_internal("lab-bucket", "saved") == b"keep me"
