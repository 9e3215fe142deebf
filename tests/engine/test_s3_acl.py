"""S3 ACLs: canned ACLs, grant headers and policies, refused where ObjectOwnership disables them."""

from __future__ import annotations

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
LOG_DELIVERY = "http://acs.amazonaws.com/groups/s3/LogDelivery"


@pytest.fixture
async def s3(eng):
    client = eng.client("s3")
    await client.create_bucket(Bucket="writer-owned", ObjectOwnership="ObjectWriter")
    return client


async def test_canned_and_header_grants_as_aws_answers_them(s3):
    owner = (await s3.list_buckets())["Owner"]
    await s3.put_bucket_acl(Bucket="writer-owned", ACL="public-read")
    got = await s3.get_bucket_acl(Bucket="writer-owned")
    assert got["Owner"] == owner
    assert got["Grants"] == [
        {"Grantee": {"ID": owner["ID"], "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": ALL_USERS}, "Permission": "READ"},
    ]
    await s3.put_bucket_acl(Bucket="writer-owned", GrantRead=f'uri="{LOG_DELIVERY}"')
    got = await s3.get_bucket_acl(Bucket="writer-owned")
    assert got["Grants"] == [
        {"Grantee": {"Type": "Group", "URI": LOG_DELIVERY}, "Permission": "READ"}
    ]


async def test_object_acls_default_to_the_owner(s3):
    await s3.put_object(Bucket="writer-owned", Key="k", Body=b"x")
    got = await s3.get_object_acl(Bucket="writer-owned", Key="k")
    assert [g["Permission"] for g in got["Grants"]] == ["FULL_CONTROL"]
    await s3.put_object_acl(Bucket="writer-owned", Key="k", ACL="authenticated-read")
    got = await s3.get_object_acl(Bucket="writer-owned", Key="k")
    assert got["Grants"][1]["Permission"] == "READ"


async def test_bucket_owner_enforced_refuses_acls(s3):
    await s3.create_bucket(Bucket="enforced")
    await s3.put_bucket_acl(Bucket="enforced", ACL="private")  # grants nothing more: allowed
    with pytest.raises(ServiceError) as error:
        await s3.put_bucket_acl(Bucket="enforced", ACL="public-read")
    assert error.value.code == "AccessControlListNotSupported"
    with pytest.raises(ServiceError) as error:
        await s3.create_bucket(Bucket="public", ACL="public-read")
    assert error.value.code == "InvalidBucketAclWithObjectOwnership"
    assert "public" not in {b["Name"] for b in (await s3.list_buckets())["Buckets"]}
