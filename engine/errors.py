"""The error every emulated AWS call raises, shaped like botocore's ClientError."""

from __future__ import annotations


class ServiceError(Exception):
    """An AWS error: `code` is what boto3 shows for the same failure on AWS."""

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status_code: int = 400,
        sender_fault: bool = True,
        operation: str | None = None,
        extra: dict | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code
        self.sender_fault = sender_fault
        self.operation = operation
        # Extra members AWS puts beside Code and Message (e.g. CancellationReasons).
        self.extra = extra or {}

    @property
    def response(self) -> dict:
        """The error as botocore would have parsed it into ClientError.response."""
        return {
            "Error": {"Code": self.code, "Message": self.message, **self.extra},
            "ResponseMetadata": {"HTTPStatusCode": self.status_code},
        }

    def __str__(self) -> str:
        where = f" when calling the {self.operation} operation" if self.operation else ""
        return f"An error occurred ({self.code}){where}: {self.message}"

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r})"


def param_validation_error(problems: list[str]) -> ServiceError:
    """The error botocore raises client-side when parameters do not fit the model."""
    return ServiceError(
        "ParamValidationError",
        "Parameter validation failed:\n" + "\n".join(problems),
    )
