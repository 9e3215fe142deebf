"""S3 object checksums: verified on write, stored, echoed by Get/Head with ChecksumMode, listed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)

DATA = b"test data.."
# What AWS answered for these bytes (LocalStack's recorded snapshots of real S3).
SHA256 = "2l26x0trnT0r2AvakoFk2MB7eKVKzYESLMxSAKAzoik="
CRC64NVME = "qUVrWYOrIAM="


@pytest.fixture
async def s3(eng):
    client = eng.client("s3")
    await client.create_bucket(Bucket="sums")
    return client


async def test_put_without_a_checksum_gets_crc64nvme(s3):
    put = await s3.put_object(Bucket="sums", Key="k", Body=DATA)
    assert put["ChecksumCRC64NVME"] == CRC64NVME
    assert put["ChecksumType"] == "FULL_OBJECT"


async def test_a_given_value_is_verified_and_echoed_only_with_checksum_mode(s3):
    put = await s3.put_object(Bucket="sums", Key="k", Body=DATA, ChecksumSHA256=SHA256)
    assert put["ChecksumSHA256"] == SHA256
    plain = await s3.get_object(Bucket="sums", Key="k")
    assert "ChecksumSHA256" not in plain
    got = await s3.get_object(Bucket="sums", Key="k", ChecksumMode="ENABLED")
    assert got["ChecksumSHA256"] == SHA256 and got["ChecksumType"] == "FULL_OBJECT"
    ranged = await s3.get_object(Bucket="sums", Key="k", ChecksumMode="ENABLED", Range="bytes=0-1")
    assert "ChecksumSHA256" not in ranged


async def test_a_named_algorithm_is_computed(s3):
    put = await s3.put_object(Bucket="sums", Key="k", Body=b"abc", ChecksumAlgorithm="CRC32")
    assert put["ChecksumCRC32"] == "NSRBwg=="
    put = await s3.put_object(Bucket="sums", Key="c", Body=b"abc", ChecksumAlgorithm="CRC32C")
    assert put["ChecksumCRC32C"] == "Nks/tw=="


async def test_a_wrong_value_is_bad_digest_and_a_malformed_one_invalid(s3):
    with pytest.raises(ServiceError) as error:
        await s3.put_object(
            Bucket="sums", Key="k", Body=DATA, ChecksumSHA1="2jmj7l5rSw0yVb/vlWAYkK/YBwk="
        )
    assert error.value.code == "BadDigest"
    assert error.value.message == "The SHA1 you specified did not match the calculated checksum."
    with pytest.raises(ServiceError) as error:
        await s3.put_object(Bucket="sums", Key="k", Body=DATA, ChecksumSHA256="nope")
    assert error.value.code == "InvalidRequest"
    assert error.value.message == "Value for x-amz-checksum-sha256 header is invalid."
    listed = await s3.list_objects_v2(Bucket="sums")
    assert "Contents" not in listed


async def test_listings_name_the_algorithm_and_copies_keep_it(s3):
    await s3.put_object(Bucket="sums", Key="k", Body=DATA, ChecksumSHA256=SHA256)
    listed = await s3.list_objects_v2(Bucket="sums")
    entry = listed["Contents"][0]
    assert entry["ChecksumAlgorithm"] == ["SHA256"] and entry["ChecksumType"] == "FULL_OBJECT"
    copied = await s3.copy_object(Bucket="sums", Key="copy", CopySource="sums/k")
    assert copied["CopyObjectResult"]["ChecksumSHA256"] == SHA256
    versions = await s3.list_object_versions(Bucket="sums")
    assert versions["Versions"][0]["ChecksumAlgorithm"] == ["SHA256"]


async def test_object_attributes_answer_what_is_asked(s3):
    await s3.put_object(Bucket="sums", Key="data.txt", Body=b"69\n420\n", ChecksumAlgorithm="CRC32")
    attrs = await s3.get_object_attributes(
        Bucket="sums",
        Key="data.txt",
        ObjectAttributes=["StorageClass", "ETag", "ObjectSize", "ObjectParts", "Checksum"],
    )
    # As AWS answered for these bytes: the ETag without quotes, no ObjectParts for a plain put.
    assert attrs["ETag"] == "e92499db864217242396e8ef766079a9"
    assert attrs["Checksum"] == {"ChecksumCRC32": "WC+ANw==", "ChecksumType": "FULL_OBJECT"}
    assert attrs["ObjectSize"] == 7 and attrs["StorageClass"] == "STANDARD"
    assert "ObjectParts" not in attrs
    only = await s3.get_object_attributes(
        Bucket="sums", Key="data.txt", ObjectAttributes=["ObjectSize"]
    )
    assert set(only) - {"ResponseMetadata"} == {"LastModified", "ObjectSize"}


async def test_composite_sha256_multipart_as_aws_answered(s3):
    created = await s3.create_multipart_upload(Bucket="sums", Key="mpu", ChecksumAlgorithm="SHA256")
    assert (created["ChecksumAlgorithm"], created["ChecksumType"]) == ("SHA256", "COMPOSITE")
    upload_id = created["UploadId"]
    big = b"a" * (5 * 1024 * 1024 + 1)
    listed = []
    for number, data in enumerate([big, big, big[:10]], start=1):
        part = await s3.upload_part(
            Bucket="sums",
            Key="mpu",
            UploadId=upload_id,
            PartNumber=number,
            Body=data,
            ChecksumAlgorithm="SHA256",
        )
        listed.append(
            {"PartNumber": number, "ETag": part["ETag"], "ChecksumSHA256": part["ChecksumSHA256"]}
        )
    assert listed[2]["ChecksumSHA256"] == "vyy1imj2hNlaO3jvj2Ycmk5bCegsyPnMiMzpBSjK6yc="
    without = [{k: v for k, v in p.items() if k != "ChecksumSHA256"} for p in listed]
    with pytest.raises(ServiceError) as error:
        await s3.complete_multipart_upload(
            Bucket="sums", Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": without}
        )
    assert error.value.message.endswith("It was missing for part 1 in the request.")
    done = await s3.complete_multipart_upload(
        Bucket="sums", Key="mpu", UploadId=upload_id, MultipartUpload={"Parts": listed}
    )
    assert done["ChecksumSHA256"] == "9o++y6AejqboiJ7MZCx0fahK2Vu5YC/qnNhhYsCLciI=-3"
    assert done["ChecksumType"] == "COMPOSITE"
    attrs = await s3.get_object_attributes(Bucket="sums", Key="mpu", ObjectAttributes=["Checksum"])
    assert attrs["Checksum"] == {
        "ChecksumSHA256": "9o++y6AejqboiJ7MZCx0fahK2Vu5YC/qnNhhYsCLciI=",
        "ChecksumType": "COMPOSITE",
    }


async def test_multipart_without_an_algorithm_gets_a_full_object_crc64nvme(s3):
    upload_id = (await s3.create_multipart_upload(Bucket="sums", Key="plain"))["UploadId"]
    part = await s3.upload_part(
        Bucket="sums", Key="plain", UploadId=upload_id, PartNumber=1, Body=b"abc"
    )
    done = await s3.complete_multipart_upload(
        Bucket="sums",
        Key="plain",
        UploadId=upload_id,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert done["ChecksumType"] == "FULL_OBJECT" and "ChecksumCRC64NVME" in done


async def test_content_md5_must_be_sixteen_bytes_and_match(s3):
    for bad in ("__invalid__", "MTIz", "dGVzdC1zdHJpbmc="):
        with pytest.raises(ServiceError) as error:
            await s3.put_object(Bucket="sums", Key="k", Body=b"test", ContentMD5=bad)
        assert error.value.code == "InvalidDigest" and error.value.extra["Content-MD5"] == bad
    other = "CYketZBSTjX8czcs3cXVlg=="  # the MD5 of other bytes
    with pytest.raises(ServiceError) as error:
        await s3.put_object(Bucket="sums", Key="k", Body=b"test", ContentMD5=other)
    assert error.value.code == "BadDigest"
    assert error.value.extra["ExpectedDigest"] == "09891eb590524e35fc73372cddc5d596"


async def test_outposts_storage_class_is_refused(s3):
    with pytest.raises(ServiceError) as error:
        await s3.put_object(Bucket="sums", Key="k", Body=b"", StorageClass="OUTPOSTS")
    assert error.value.code == "InvalidStorageClass"


def test_the_crc_library_loads_only_when_an_object_needs_it():
    code = "import sys, engine; engine.Engine; print('anycrc' in sys.modules)"
    root = str(Path(__file__).resolve().parents[2])
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": root},
        check=True,
    )
    assert done.stdout.strip() == "False"
