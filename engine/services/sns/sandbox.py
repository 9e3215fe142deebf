"""The SMS sandbox: destination numbers verified with a one-time password sent by SMS.

The lab account is outside the sandbox (`GetSMSSandboxAccountStatus` says so unless
`sns.sms_sandbox` is set True), so SMS publishing is not limited; the verification flow itself
works as on AWS, with the password landing in the outbox.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from .errors import invalid
from .models import OutboxMessage
from .paging import page

if TYPE_CHECKING:
    from .service import SnsService

_E164 = re.compile(r"\+[1-9][0-9]{1,14}")
LANGUAGES = frozenset(
    {"en-US", "en-GB", "es-419", "es-ES", "de-DE", "fr-CA", "fr-FR", "it-IT", "ja-JP"}
    | {"pt-BR", "kr-KR", "zh-CN", "zh-TW"}
)


class SandboxOperations:
    """Create, verify, list and delete SMS sandbox destination numbers."""

    def __init__(self, service: SnsService) -> None:
        self.service = service

    def get_sms_sandbox_account_status(self, params: dict) -> dict:
        return {"IsInSandbox": self.service.sms_sandbox}

    def create_sms_sandbox_phone_number(self, params: dict) -> dict:
        number = params["PhoneNumber"]
        if not _E164.fullmatch(number):
            raise invalid("PhoneNumber Reason: input incorrectly formatted")
        language = params.get("LanguageCode", "en-US")
        if language not in LANGUAGES:
            raise invalid("LanguageCode")
        if number in self.service.opted_out:
            raise ServiceError("OptedOut", "Phone number is opted out")
        code = self.service.ids.digits(6)
        self.service.sandbox_numbers[number] = ["Pending", code]
        text = f"Your Amazon SNS verification code is: {code}"
        self.service.outbox.append(
            OutboxMessage(
                self.service.clock.now(), "sms", number, text, message_id=self.service.ids.uuid()
            )
        )
        return {}

    def verify_sms_sandbox_phone_number(self, params: dict) -> dict:
        entry = self._sandbox_entry(params["PhoneNumber"])
        if entry[1] != params["OneTimePassword"]:
            raise ServiceError("VerificationException", "Invalid one-time password")
        entry[0] = "Verified"
        return {}

    def delete_sms_sandbox_phone_number(self, params: dict) -> dict:
        self._sandbox_entry(params["PhoneNumber"])
        del self.service.sandbox_numbers[params["PhoneNumber"]]
        return {}

    def list_sms_sandbox_phone_numbers(self, params: dict) -> dict:
        numbers = sorted(self.service.sandbox_numbers.items())
        chosen, token = page(numbers, params.get("NextToken"), params.get("MaxResults", 100))
        result: dict[str, Any] = {
            "PhoneNumbers": [{"PhoneNumber": n, "Status": entry[0]} for n, entry in chosen]
        }
        if token:
            result["NextToken"] = token
        return result

    def _sandbox_entry(self, number: str) -> list[str]:
        entry = self.service.sandbox_numbers.get(number)
        if entry is None:
            raise ServiceError(
                "ResourceNotFound", f"Phone number {number} is not in the sandbox", status_code=404
            )
        return entry
