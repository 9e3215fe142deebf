"""Conditional writes: If-Match / If-None-Match on PutObject, CopyObject and CompleteMultipartUpload."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def s3(eng):
    client = eng.client("s3")
    await client.create_bucket(Bucket="guarded")
    await client.put_object(Bucket="guarded", Key="source", Body=b"source content")
    return client


async def _error(call, **params) -> ServiceError:
    with pytest.raises(ServiceError) as error:
        await call(Bucket="guarded", **params)
    return error.value


async def test_copy_honours_if_match_and_if_none_match_on_the_destination(s3):
    dest = await s3.put_object(Bucket="guarded", Key="dest", Body=b"initial")
    copied = await s3.copy_object(
        Bucket="guarded", Key="dest", CopySource="guarded/source", IfMatch=dest["ETag"]
    )
    assert copied["CopyObjectResult"]["ETag"]
    wrong = await _error(s3.copy_object, Key="dest", CopySource="guarded/source", IfMatch='"nope"')
    assert (wrong.code, wrong.status_code) == ("PreconditionFailed", 412)
    missing = await _error(s3.copy_object, Key="absent", CopySource="guarded/source", IfMatch='"x"')
    assert missing.code == "NoSuchKey"
    taken = await _error(s3.copy_object, Key="dest", CopySource="guarded/source", IfNoneMatch="*")
    assert taken.code == "PreconditionFailed"


async def test_complete_multipart_checks_the_key_at_completion(s3):
    upload_id = (await s3.create_multipart_upload(Bucket="guarded", Key="late"))["UploadId"]
    part = await s3.upload_part(
        Bucket="guarded", Key="late", UploadId=upload_id, PartNumber=1, Body=b"part"
    )
    await s3.put_object(Bucket="guarded", Key="late", Body=b"")  # written while uploading
    error = await _error(
        s3.complete_multipart_upload,
        Key="late",
        UploadId=upload_id,
        IfNoneMatch="*",
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert error.code == "PreconditionFailed"


async def test_values_s3_does_not_take_are_not_implemented(s3):
    star = await _error(s3.put_object, Key="k", Body=b"", IfMatch="*")
    assert (star.code, star.status_code) == ("NotImplemented", 501)
    etag = await _error(s3.put_object, Key="k", Body=b"", IfNoneMatch='"abc"')
    assert etag.code == "NotImplemented"
    both = await _error(s3.put_object, Key="k", Body=b"", IfNoneMatch="*", IfMatch='"abc"')
    assert both.code == "NotImplemented"


async def test_copy_source_conditions(s3, clock):
    source = await s3.head_object(Bucket="guarded", Key="source")
    etag, modified = source["ETag"], source["LastModified"]
    upload_id = (await s3.create_multipart_upload(Bucket="guarded", Key="dest"))["UploadId"]
    part = {"Key": "dest", "UploadId": upload_id, "PartNumber": 1, "CopySource": "guarded/source"}
    await s3.upload_part_copy(Bucket="guarded", CopySourceIfMatch=etag, **part)
    failed = await _error(s3.upload_part_copy, CopySourceIfMatch='"other"', **part)
    assert (failed.code, failed.extra["Condition"]) == (
        "PreconditionFailed",
        "x-amz-copy-source-If-Match",
    )
    failed = await _error(
        s3.copy_object, Key="c", CopySource="guarded/source", CopySourceIfNoneMatch=etag
    )
    assert failed.extra["Condition"] == "x-amz-copy-source-If-None-Match"
    failed = await _error(s3.upload_part_copy, CopySourceIfModifiedSince=modified, **part)
    assert failed.extra["Condition"] == "x-amz-copy-source-If-Modified-Since"
    # A matching ETag wins over an unmodified-since date that does not hold.
    earlier = datetime.fromtimestamp(modified.timestamp() - 86400, UTC)
    await s3.upload_part_copy(
        Bucket="guarded", CopySourceIfMatch=etag, CopySourceIfUnmodifiedSince=earlier, **part
    )
    failed = await _error(s3.upload_part_copy, CopySourceIfUnmodifiedSince=earlier, **part)
    assert failed.extra["Condition"] == "x-amz-copy-source-If-Unmodified-Since"


async def test_read_conditions_as_aws_orders_them(s3, clock):
    head = await s3.head_object(Bucket="guarded", Key="source")
    etag, modified = head["ETag"], head["LastModified"]
    earlier = datetime.fromtimestamp(modified.timestamp() - 86400, UTC)
    later = datetime.fromtimestamp(modified.timestamp() + 86400, UTC)
    for call in (s3.get_object, s3.head_object):
        failed = await _error(call, Key="source", IfUnmodifiedSince=earlier, IfNoneMatch=etag)
        assert (failed.status_code, failed.extra["Condition"]) == (412, "If-Unmodified-Since")
        not_modified = await _error(call, Key="source", IfModifiedSince=modified)
        assert not_modified.status_code == 304
        unquoted = await _error(call, Key="source", IfNoneMatch=etag.strip('"'))
        assert unquoted.status_code == 304
        await call(Bucket="guarded", Key="source", IfModifiedSince=later)  # the future is ignored
        await call(Bucket="guarded", Key="source", IfMatch=etag, IfUnmodifiedSince=earlier)
