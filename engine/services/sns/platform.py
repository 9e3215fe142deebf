"""Mobile push (platform applications and endpoints) and SMS settings; sends land in the outbox."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .errors import check_arn, invalid, not_found
from .models import PlatformApplication, PlatformEndpoint
from .paging import page

if TYPE_CHECKING:
    from .service import SnsService

PLATFORMS = frozenset(
    {
        "ADM",
        "APNS",
        "APNS_SANDBOX",
        "APNS_VOIP",
        "APNS_VOIP_SANDBOX",
        "BAIDU",
        "GCM",
        "MACOS",
        "MACOS_SANDBOX",
        "MPNS",
        "WNS",
    }
)
APPLICATION_ATTRIBUTES = frozenset(
    {
        "PlatformCredential",
        "PlatformPrincipal",
        "EventEndpointCreated",
        "EventEndpointDeleted",
        "EventEndpointUpdated",
        "EventDeliveryFailure",
        "SuccessFeedbackRoleArn",
        "FailureFeedbackRoleArn",
        "SuccessFeedbackSampleRate",
        "ApplePlatformTeamID",
        "ApplePlatformBundleID",
        "AuthenticationMethod",
    }
)
ENDPOINT_ATTRIBUTES = frozenset({"CustomUserData", "Enabled", "Token"})
SMS_ATTRIBUTES = frozenset(
    {
        "MonthlySpendLimit",
        "DeliveryStatusIAMRole",
        "DeliveryStatusSuccessSamplingRate",
        "DefaultSenderID",
        "DefaultSMSType",
        "UsageReportS3Bucket",
    }
)
_APP_NAME = re.compile(r"[A-Za-z0-9_.-]+")
_SENDER_ID = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9]{1,11}")
_E164 = re.compile(r"\+[1-9][0-9]{1,14}")


class PlatformOperations:
    """Platform applications, endpoints, SMS attributes and opt-outs."""

    def __init__(self, service: SnsService) -> None:
        self.service = service

    # -- platform applications ----------------------------------------------------------------
    def create_platform_application(self, params: dict) -> dict:
        name, platform = params["Name"], params["Platform"]
        attributes = dict(params["Attributes"])
        if not name:
            raise invalid(" Reason: cannot be empty")
        if len(name) > 256:
            raise invalid(f"{name} Reason: must be at most 256 characters long")
        if not _APP_NAME.fullmatch(name):
            raise invalid(
                f"{name} Reason: must contain only characters 'a'-'z', 'A'-'Z', '0'-'9', '_', '-', "
                "and '.'"
            )
        if platform not in PLATFORMS:
            raise invalid(f"Platform Reason: {platform} is not supported")
        _check_application_attributes(attributes, platform)
        arn = self.service.arn(f"app/{platform}/{name}")
        application = self.service.applications.get(arn)
        if application is None:
            application = self.service.applications[arn] = PlatformApplication(arn, name, platform)
            self.service.emit("created", arn, platform=platform)
        application.attributes.update(attributes)
        return {"PlatformApplicationArn": arn}

    def get_platform_application_attributes(self, params: dict) -> dict:
        application = self._require_application(params["PlatformApplicationArn"])
        shown = {
            k: v
            for k, v in application.attributes.items()
            if k not in ("PlatformCredential", "PlatformPrincipal")
        }
        return {"Attributes": {"Enabled": "true", **shown}}

    def set_platform_application_attributes(self, params: dict) -> dict:
        application = self._require_application(params["PlatformApplicationArn"])
        attributes = dict(params["Attributes"])
        _check_application_attributes(attributes, application.platform, updating=True)
        application.attributes.update(attributes)
        return {}

    def delete_platform_application(self, params: dict) -> dict:
        arn = params["PlatformApplicationArn"]
        check_arn(arn, "PlatformApplicationArn")
        application = self.service.applications.pop(arn, None)
        if application is not None:
            for endpoint_arn in application.endpoints:
                self.service.endpoints.pop(endpoint_arn, None)
            self.service.emit("deleted", arn)
        return {}

    def list_platform_applications(self, params: dict) -> dict:
        chosen, token = page(list(self.service.applications.values()), params.get("NextToken"))
        result: dict[str, Any] = {
            "PlatformApplications": [
                {
                    "PlatformApplicationArn": app.arn,
                    "Attributes": self.get_platform_application_attributes(
                        {"PlatformApplicationArn": app.arn}
                    )["Attributes"],
                }
                for app in chosen
            ]
        }
        if token:
            result["NextToken"] = token
        return result

    # -- endpoints ----------------------------------------------------------------------------
    def create_platform_endpoint(self, params: dict) -> dict:
        application = self._require_application(params["PlatformApplicationArn"])
        token = params["Token"]
        attributes = dict(params.get("Attributes") or {})
        if params.get("CustomUserData") is not None:
            attributes["CustomUserData"] = params["CustomUserData"]
        _check_endpoint_attributes(attributes)
        for endpoint in application.endpoints.values():
            if endpoint.token == token:
                wanted = {"Enabled": "true", "Token": token, **attributes}
                current = {"Enabled": "true", **endpoint.attributes, "Token": endpoint.token}
                if any(current.get(k) != v for k, v in wanted.items()):
                    raise invalid(
                        f"Token Reason: Endpoint {endpoint.arn} already exists with the same Token, "
                        "but different attributes."
                    )
                return {"EndpointArn": endpoint.arn}
        arn = self.service.arn(
            f"endpoint/{application.platform}/{application.name}/{self.service.ids.uuid()}"
        )
        endpoint = PlatformEndpoint(arn, application.arn, token, {"Enabled": "true", **attributes})
        endpoint.attributes.pop("Token", None)
        application.endpoints[arn] = endpoint
        self.service.endpoints[arn] = endpoint
        self.service.emit("created", arn, application=application.arn)
        return {"EndpointArn": arn}

    def get_endpoint_attributes(self, params: dict) -> dict:
        endpoint = self._require_endpoint(params["EndpointArn"])
        return {"Attributes": {**endpoint.attributes, "Token": endpoint.token}}

    def set_endpoint_attributes(self, params: dict) -> dict:
        endpoint = self._require_endpoint(params["EndpointArn"])
        attributes = dict(params["Attributes"])
        _check_endpoint_attributes(attributes)
        token = attributes.pop("Token", None)
        if token:
            endpoint.token = token
        endpoint.attributes.update(attributes)
        return {}

    def delete_endpoint(self, params: dict) -> dict:
        endpoint = self.service.endpoints.pop(params["EndpointArn"], None)
        if endpoint is not None:
            application = self.service.applications.get(endpoint.application_arn)
            if application is not None:
                application.endpoints.pop(endpoint.arn, None)
            self.service.emit("deleted", endpoint.arn)
        return {}

    def list_endpoints_by_platform_application(self, params: dict) -> dict:
        application = self._require_application(params["PlatformApplicationArn"])
        chosen, token = page(list(application.endpoints.values()), params.get("NextToken"))
        result: dict[str, Any] = {
            "Endpoints": [
                {"EndpointArn": e.arn, "Attributes": {**e.attributes, "Token": e.token}}
                for e in chosen
            ]
        }
        if token:
            result["NextToken"] = token
        return result

    # -- SMS ----------------------------------------------------------------------------------
    def set_sms_attributes(self, params: dict) -> dict:
        attributes = dict(params["attributes"])
        for name, value in attributes.items():
            if name not in SMS_ATTRIBUTES:
                raise ServiceError("InvalidParameter", f"{name} is not a valid attribute")
            if name == "DefaultSMSType" and value not in ("Promotional", "Transactional"):
                raise ServiceError("InvalidParameter", "DefaultSMSType is invalid")
            if name == "DefaultSenderID" and not _SENDER_ID.fullmatch(value):
                raise ServiceError("InvalidParameter", "DefaultSenderID is invalid")
        self.service.sms_attributes.update(attributes)
        return {}

    def get_sms_attributes(self, params: dict) -> dict:
        names = params.get("attributes")
        if not names:
            return {"attributes": dict(self.service.sms_attributes)}
        return {"attributes": {k: v for k, v in self.service.sms_attributes.items() if k in names}}

    def check_if_phone_number_is_opted_out(self, params: dict) -> dict:
        number = params["phoneNumber"]
        if not _E164.fullmatch(number):
            raise invalid("PhoneNumber Reason: input incorrectly formatted")
        return {"isOptedOut": number in self.service.opted_out}

    def list_phone_numbers_opted_out(self, params: dict) -> dict:
        chosen, token = page(sorted(self.service.opted_out), params.get("nextToken"))
        result: dict[str, Any] = {"phoneNumbers": chosen}
        if token:
            result["nextToken"] = token
        return result

    def opt_in_phone_number(self, params: dict) -> dict:
        number = params["phoneNumber"]
        if not _E164.fullmatch(number):
            raise invalid("PhoneNumber Reason: input incorrectly formatted")
        self.service.opted_out.discard(number)
        return {}

    def list_origination_numbers(self, params: dict) -> dict:
        # The lab owns no origination numbers (AWS: numbers bought through End User Messaging).
        return {"PhoneNumbers": []}

    # -- lookups ------------------------------------------------------------------------------
    def _require_application(self, arn: str) -> PlatformApplication:
        check_arn(arn, "PlatformApplicationArn")
        application = self.service.applications.get(arn)
        if application is None:
            raise not_found("PlatformApplication does not exist")
        return application

    def _require_endpoint(self, arn: str) -> PlatformEndpoint:
        parts = check_arn(arn, "EndpointArn")
        if parts[5].count("/") != 3:
            raise invalid(
                "EndpointArn Reason: Wrong number of slashes in relative portion of the ARN."
            )
        endpoint = self.service.endpoints.get(arn)
        if endpoint is None:
            raise not_found("Endpoint does not exist")
        return endpoint

    def endpoint_for_arn(self, arn: str) -> PlatformEndpoint | None:
        """The platform endpoint `arn` names, or None."""
        return self.service.endpoints.get(arn)


def _check_application_attributes(
    attributes: dict[str, str], platform: str, *, updating: bool = False
) -> None:
    for name in attributes:
        if name not in APPLICATION_ATTRIBUTES:
            raise invalid(f"Attributes Reason: Invalid attribute name: {name}")
    if updating:
        return
    if "PlatformPrincipal" in attributes and "PlatformCredential" not in attributes:
        raise invalid(
            "Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential"
        )
    # Certificate-based Apple applications need both; GCM, Baidu-less keys and Apple token
    # signing (ApplePlatformTeamID) name the credential alone.
    needs_principal = platform.startswith(("APNS", "MACOS", "ADM", "BAIDU", "MPNS", "WNS"))
    if (
        "PlatformCredential" in attributes
        and "PlatformPrincipal" not in attributes
        and needs_principal
        and "ApplePlatformTeamID" not in attributes
    ):
        raise invalid(
            "Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal"
        )


def _check_endpoint_attributes(attributes: dict[str, str]) -> None:
    for name, value in attributes.items():
        if name not in ENDPOINT_ATTRIBUTES:
            raise invalid(f"Attributes Reason: Invalid attribute name: {name}")
        if name == "CustomUserData" and len(value.encode()) > 2048:
            raise invalid(
                "Attributes Reason: Invalid value for attribute: CustomUserData: must be at most "
                "2048 bytes long in UTF-8 encoding"
            )
        if name == "Enabled" and value.lower() not in ("true", "false"):
            raise invalid(
                "Attributes Reason: Invalid value for attribute: Enabled: must be true or false"
            )
