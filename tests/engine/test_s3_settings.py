"""Bucket sub-resources (CORS, lifecycle, encryption, ownership, public access block …) as AWS keeps them."""

from __future__ import annotations

import pytest

from engine import ServiceError

pytestmark = pytest.mark.timeout(60)

CORS = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*"], "MaxAgeSeconds": 30}]}


@pytest.fixture
async def s3(eng):
    client = eng.client("s3")
    await client.create_bucket(Bucket="configured")
    return client


async def _code(call, **params) -> str:
    with pytest.raises(ServiceError) as error:
        await call(Bucket="configured", **params)
    return error.value.code


async def test_cors_is_stored_returned_and_deleted(s3):
    assert await _code(s3.get_bucket_cors) == "NoSuchCORSConfiguration"
    await s3.put_bucket_cors(Bucket="configured", CORSConfiguration=CORS)
    assert (await s3.get_bucket_cors(Bucket="configured"))["CORSRules"] == CORS["CORSRules"]
    await s3.delete_bucket_cors(Bucket="configured")
    assert await _code(s3.get_bucket_cors) == "NoSuchCORSConfiguration"


async def test_lifecycle_rules_round_trip(s3):
    assert await _code(s3.get_bucket_lifecycle_configuration) == "NoSuchLifecycleConfiguration"
    rules = [
        {"ID": "tidy", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}}
    ]
    await s3.put_bucket_lifecycle_configuration(
        Bucket="configured", LifecycleConfiguration={"Rules": rules}
    )
    got = await s3.get_bucket_lifecycle_configuration(Bucket="configured")
    assert got["Rules"] == rules
    await s3.delete_bucket_lifecycle(Bucket="configured")
    assert await _code(s3.get_bucket_lifecycle_configuration) == "NoSuchLifecycleConfiguration"


async def test_new_buckets_have_aws_defaults(s3):
    encryption = await s3.get_bucket_encryption(Bucket="configured")
    rule = encryption["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    ownership = await s3.get_bucket_ownership_controls(Bucket="configured")
    assert ownership["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    block = await s3.get_public_access_block(Bucket="configured")
    assert all(block["PublicAccessBlockConfiguration"].values())
    assert (await s3.get_bucket_request_payment(Bucket="configured"))["Payer"] == "BucketOwner"


async def test_deleting_a_defaulted_setting_leaves_it_missing(s3):
    await s3.delete_bucket_ownership_controls(Bucket="configured")
    assert await _code(s3.get_bucket_ownership_controls) == "OwnershipControlsNotFoundError"
    await s3.delete_public_access_block(Bucket="configured")
    assert await _code(s3.get_public_access_block) == "NoSuchPublicAccessBlockConfiguration"
    await s3.put_bucket_ownership_controls(
        Bucket="configured",
        OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]},
    )
    got = await s3.get_bucket_ownership_controls(Bucket="configured")
    assert got["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "ObjectWriter"}]


async def test_encryption_delete_goes_back_to_sse_s3(s3):
    kms = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/lab"}
    await s3.put_bucket_encryption(
        Bucket="configured",
        ServerSideEncryptionConfiguration={"Rules": [{"ApplyServerSideEncryptionByDefault": kms}]},
    )
    got = await s3.get_bucket_encryption(Bucket="configured")
    assert (
        got["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
        == kms
    )
    await s3.delete_bucket_encryption(Bucket="configured")
    got = await s3.get_bucket_encryption(Bucket="configured")
    rule = got["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


async def test_settings_of_a_missing_bucket_are_no_such_bucket(s3):
    with pytest.raises(ServiceError) as error:
        await s3.get_bucket_cors(Bucket="absent-bucket")
    assert error.value.code == "NoSuchBucket"


async def test_object_lock_is_missing_unless_the_bucket_was_made_with_it(s3):
    assert await _code(s3.get_object_lock_configuration) == "ObjectLockConfigurationNotFoundError"
    await s3.create_bucket(Bucket="locked", ObjectLockEnabledForBucket=True)
    got = await s3.get_object_lock_configuration(Bucket="locked")
    assert got["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}
    assert (await s3.get_bucket_versioning(Bucket="locked"))["Status"] == "Enabled"


async def test_metrics_configurations_are_kept_by_id(s3):
    config = {"Id": "logs", "Filter": {"Prefix": "logs/"}}
    await s3.put_bucket_metrics_configuration(
        Bucket="configured", Id="logs", MetricsConfiguration=config
    )
    got = await s3.get_bucket_metrics_configuration(Bucket="configured", Id="logs")
    assert got["MetricsConfiguration"] == config
    listed = await s3.list_bucket_metrics_configurations(Bucket="configured")
    assert listed["MetricsConfigurationList"] == [config] and listed["IsTruncated"] is False
    await s3.delete_bucket_metrics_configuration(Bucket="configured", Id="logs")
    assert await _code(s3.get_bucket_metrics_configuration, Id="logs") == "NoSuchConfiguration"
    assert await _code(s3.delete_bucket_metrics_configuration, Id="logs") == "NoSuchConfiguration"


async def test_settings_are_checked_before_they_are_stored(s3):
    bad = [
        (s3.put_bucket_cors, {"CORSConfiguration": {"CORSRules": []}}, "MalformedXML"),
        (
            s3.put_bucket_cors,
            {
                "CORSConfiguration": {
                    "CORSRules": [{"AllowedMethods": ["MYMETHOD"], "AllowedOrigins": ["*"]}]
                }
            },
            "InvalidRequest",
        ),
        (
            s3.put_bucket_encryption,
            {
                "ServerSideEncryptionConfiguration": {
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {
                                "SSEAlgorithm": "AES256",
                                "KMSMasterKeyID": "key",
                            }
                        }
                    ]
                }
            },
            "InvalidArgument",
        ),
        (s3.put_bucket_ownership_controls, {"OwnershipControls": {"Rules": []}}, "MalformedXML"),
        (
            s3.put_bucket_accelerate_configuration,
            {"AccelerateConfiguration": {"Status": "enabled"}},
            "MalformedXML",
        ),
        (
            s3.put_bucket_request_payment,
            {"RequestPaymentConfiguration": {"Payer": "Random"}},
            "MalformedXML",
        ),
    ]
    for call, params, code in bad:
        assert await _code(call, **params) == code
    assert await _code(s3.get_bucket_cors) == "NoSuchCORSConfiguration"
    with pytest.raises(ServiceError) as error:
        await s3.create_bucket(Bucket="owned", ObjectOwnership="RandomValue")
    assert error.value.message == "Invalid x-amz-object-ownership header: RandomValue"


async def test_expected_bucket_owner_is_checked(s3, eng):
    with pytest.raises(ServiceError) as error:
        await s3.get_bucket_policy(Bucket="configured", ExpectedBucketOwner="abcd")
    assert error.value.code == "InvalidBucketOwnerAWSAccountID"
    with pytest.raises(ServiceError) as error:
        await s3.get_bucket_cors(Bucket="configured", ExpectedBucketOwner="000000000001")
    assert (error.value.code, error.value.status_code) == ("AccessDenied", 403)
    await s3.put_bucket_tagging(
        Bucket="configured",
        ExpectedBucketOwner=eng.account_id,
        Tagging={"TagSet": [{"Key": "a", "Value": "b"}]},
    )
