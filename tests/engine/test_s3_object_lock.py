"""S3 Object Lock: retention and legal holds keep versions from deletion, as AWS documents."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
async def s3(eng):
    client = eng.client("s3")
    await client.create_bucket(Bucket="vault", ObjectLockEnabledForBucket=True)
    return client


def _later(clock, days: int) -> datetime:
    return datetime.fromtimestamp(clock.now() + days * 86400, UTC)


async def _code(call, **params) -> str:
    with pytest.raises(ServiceError) as error:
        await call(Bucket="vault", **params)
    return error.value.code


async def test_governance_retention_blocks_deletion_unless_bypassed(s3, clock):
    put = await s3.put_object(
        Bucket="vault",
        Key="k",
        Body=b"x",
        ObjectLockMode="GOVERNANCE",
        ObjectLockRetainUntilDate=_later(clock, 1),
    )
    head = await s3.head_object(Bucket="vault", Key="k")
    assert head["ObjectLockMode"] == "GOVERNANCE"
    assert await _code(s3.delete_object, Key="k", VersionId=put["VersionId"]) == "AccessDenied"
    await s3.delete_object(
        Bucket="vault", Key="k", VersionId=put["VersionId"], BypassGovernanceRetention=True
    )


async def test_retention_and_legal_hold_are_stored(s3, clock):
    put = await s3.put_object(Bucket="vault", Key="k", Body=b"x")
    assert await _code(s3.get_object_retention, Key="k") == "NoSuchObjectLockConfiguration"
    until = _later(clock, 2)
    await s3.put_object_retention(
        Bucket="vault", Key="k", Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until}
    )
    got = await s3.get_object_retention(Bucket="vault", Key="k")
    assert got["Retention"]["Mode"] == "COMPLIANCE"
    await s3.put_object_legal_hold(Bucket="vault", Key="k", LegalHold={"Status": "ON"})
    assert (await s3.get_object_legal_hold(Bucket="vault", Key="k"))["LegalHold"]["Status"] == "ON"
    deleted = await s3.delete_objects(
        Bucket="vault",
        Delete={"Objects": [{"Key": "k", "VersionId": put["VersionId"]}]},
        BypassGovernanceRetention=True,
    )
    assert deleted["Errors"][0]["Code"] == "AccessDenied"


async def test_lock_rules_on_buckets_and_parameters(s3, clock):
    assert await _code(
        s3.put_bucket_versioning, VersioningConfiguration={"Status": "Suspended"}
    ) == ("InvalidBucketState")
    assert await _code(s3.put_object, Key="k", Body=b"", ObjectLockMode="GOVERNANCE") == (
        "InvalidArgument"
    )
    await s3.create_bucket(Bucket="plain-bucket")
    with pytest.raises(ServiceError) as error:
        await s3.put_object_lock_configuration(
            Bucket="plain-bucket", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"}
        )
    assert error.value.code == "InvalidBucketState"
    with pytest.raises(ServiceError) as error:
        await s3.delete_object(Bucket="plain-bucket", Key="k", BypassGovernanceRetention=True)
    assert error.value.code == "InvalidArgument"
