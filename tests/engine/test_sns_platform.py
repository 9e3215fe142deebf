"""SNS mobile push and SMS settings: platform applications, endpoints, outbox, opt-outs."""

from __future__ import annotations

import pytest

from engine import Engine, ServiceError

CREDENTIALS = {"PlatformCredential": "key"}


async def _application(eng: Engine) -> str:
    result = await eng.client("sns").create_platform_application(
        Name="app", Platform="GCM", Attributes=CREDENTIALS
    )
    return result["PlatformApplicationArn"]


async def test_platform_application_arn_and_attributes(eng: Engine) -> None:
    arn = await _application(eng)
    assert arn == "arn:aws:sns:us-east-1:123456789012:app/GCM/app"
    attributes = await eng.client("sns").get_platform_application_attributes(
        PlatformApplicationArn=arn
    )
    assert attributes["Attributes"] == {"Enabled": "true"}


async def test_unsupported_platform_is_rejected(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").create_platform_application(
            Name="a", Platform="AAA", Attributes=CREDENTIALS
        )
    assert caught.value.message == "Invalid parameter: Platform Reason: AAA is not supported"


async def test_principal_without_credential_is_rejected(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").create_platform_application(
            Name="a", Platform="APNS", Attributes={"PlatformPrincipal": "cert"}
        )
    assert caught.value.message == (
        "Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential"
    )


async def test_missing_application_is_not_found(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").get_platform_application_attributes(
            PlatformApplicationArn="arn:aws:sns:us-east-1:123456789012:app/GCM/none"
        )
    assert (caught.value.code, caught.value.message) == (
        "NotFound",
        "PlatformApplication does not exist",
    )


async def test_endpoint_creation_is_idempotent_by_token(eng: Engine) -> None:
    sns = eng.client("sns")
    app = await _application(eng)
    first = await sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1")
    again = await sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1")
    assert first["EndpointArn"] == again["EndpointArn"]
    with pytest.raises(ServiceError) as caught:
        await sns.create_platform_endpoint(
            PlatformApplicationArn=app, Token="device-1", CustomUserData="other"
        )
    assert "already exists with the same Token, but different attributes" in caught.value.message


async def test_publish_to_endpoint_lands_in_outbox(eng: Engine) -> None:
    sns = eng.client("sns")
    app = await _application(eng)
    endpoint = (await sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1"))[
        "EndpointArn"
    ]
    await sns.publish(TargetArn=endpoint, Message="ping")
    (push,) = eng.service("sns").outbox
    assert (push.protocol, push.endpoint, push.message) == ("application", endpoint, "ping")


async def test_publish_to_disabled_endpoint_fails(eng: Engine) -> None:
    sns = eng.client("sns")
    app = await _application(eng)
    endpoint = (await sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1"))[
        "EndpointArn"
    ]
    await sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "false"})
    with pytest.raises(ServiceError) as caught:
        await sns.publish(TargetArn=endpoint, Message="ping")
    assert caught.value.code == "EndpointDisabled"


async def test_endpoint_attribute_names_are_checked(eng: Engine) -> None:
    sns = eng.client("sns")
    app = await _application(eng)
    endpoint = (await sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1"))[
        "EndpointArn"
    ]
    with pytest.raises(ServiceError) as caught:
        await sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"InvalidKey": "x"})
    assert (
        caught.value.message
        == "Invalid parameter: Attributes Reason: Invalid attribute name: InvalidKey"
    )


async def test_topic_fans_out_to_application_endpoint(eng: Engine) -> None:
    sns = eng.client("sns")
    app = await _application(eng)
    endpoint = (await sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1"))[
        "EndpointArn"
    ]
    topic = (await sns.create_topic(Name="news"))["TopicArn"]
    await sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=endpoint)
    await sns.publish(
        TopicArn=topic, MessageStructure="json", Message='{"default": "d", "GCM": "for android"}'
    )
    assert eng.service("sns").outbox[-1].message == "for android"


async def test_delete_application_removes_its_endpoints(eng: Engine) -> None:
    sns = eng.client("sns")
    app = await _application(eng)
    endpoint = (await sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1"))[
        "EndpointArn"
    ]
    await sns.delete_platform_application(PlatformApplicationArn=app)
    with pytest.raises(ServiceError) as caught:
        await sns.get_endpoint_attributes(EndpointArn=endpoint)
    assert caught.value.message == "Endpoint does not exist"


async def test_sms_attributes_round_trip(eng: Engine) -> None:
    sns = eng.client("sns")
    await sns.set_sms_attributes(
        attributes={"DefaultSMSType": "Transactional", "DefaultSenderID": "Lab"}
    )
    result = await sns.get_sms_attributes(attributes=["DefaultSMSType"])
    assert result["attributes"] == {"DefaultSMSType": "Transactional"}


async def test_invalid_sms_attributes_are_rejected(eng: Engine) -> None:
    with pytest.raises(ServiceError) as caught:
        await eng.client("sns").set_sms_attributes(attributes={"DefaultSMSType": "Loud"})
    assert caught.value.message == "DefaultSMSType is invalid"


async def test_opt_out_and_opt_in(eng: Engine) -> None:
    sns = eng.client("sns")
    eng.service("sns").opt_out("+15555550100")
    assert (await sns.check_if_phone_number_is_opted_out(phoneNumber="+15555550100"))["isOptedOut"]
    assert (await sns.list_phone_numbers_opted_out())["phoneNumbers"] == ["+15555550100"]
    await sns.opt_in_phone_number(phoneNumber="+15555550100")
    assert not (await sns.check_if_phone_number_is_opted_out(phoneNumber="+15555550100"))[
        "isOptedOut"
    ]


async def test_sms_to_opted_out_number_is_not_sent(eng: Engine) -> None:
    eng.service("sns").opt_out("+15555550100")
    await eng.client("sns").publish(PhoneNumber="+15555550100", Message="promo")
    assert eng.service("sns").outbox == []


async def test_sandbox_number_is_verified_with_the_texted_password(eng: Engine) -> None:
    sns = eng.client("sns")
    assert (await sns.get_sms_sandbox_account_status())["IsInSandbox"] is False
    await sns.create_sms_sandbox_phone_number(PhoneNumber="+15555550100")
    code = eng.service("sns").outbox[-1].message.rsplit(" ", 1)[1]
    with pytest.raises(ServiceError) as caught:
        await sns.verify_sms_sandbox_phone_number(
            PhoneNumber="+15555550100", OneTimePassword="000000"
        )
    assert caught.value.code == "VerificationException"
    await sns.verify_sms_sandbox_phone_number(PhoneNumber="+15555550100", OneTimePassword=code)
    listed = (await sns.list_sms_sandbox_phone_numbers())["PhoneNumbers"]
    assert listed == [{"PhoneNumber": "+15555550100", "Status": "Verified"}]
    await sns.delete_sms_sandbox_phone_number(PhoneNumber="+15555550100")
    assert (await sns.list_sms_sandbox_phone_numbers())["PhoneNumbers"] == []


async def test_sms_attributes_default_to_aws_spend_limit(eng: Engine) -> None:
    result = await eng.client("sns").get_sms_attributes()
    assert result["attributes"] == {"MonthlySpendLimit": "1"}
