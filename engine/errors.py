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
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status_code = status_code
        self.sender_fault = sender_fault
        self.operation = operation
        # Extra members AWS puts beside Code and Message (e.g. CancellationReasons).
        self.extra = extra or {}
        #: For a ParamValidationError: the problems in AWS's server-side words, if all have them.
        self.aws_problems: list[str] | None = None
        # HTTP headers the answer carries beside the error (S3's x-amz-delete-marker …).
        self.headers = headers or {}

    @property
    def response(self) -> dict:
        """The error as botocore would have parsed it into ClientError.response."""
        return {
            "Error": {"Code": self.code, "Message": self.message, **self.extra},
            "ResponseMetadata": {"HTTPStatusCode": self.status_code},
            # botocore puts an error shape's modeled members (CancellationReasons, Item …)
            # at the top level of ClientError.response; the copy in "Error" stays for old callers.
            **self.extra,
        }

    def __str__(self) -> str:
        where = f" when calling the {self.operation} operation" if self.operation else ""
        return f"An error occurred ({self.code}){where}: {self.message}"

    def __repr__(self) -> str:
        return f"ServiceError({self.code!r}, {self.message!r})"


def param_validation_error(problems: list[str]) -> ServiceError:
    """The error botocore raises client-side when parameters do not fit the model.

    `aws_problems` keeps AWS's server-side wording of the problems where every one
    has it (`engine.model.Problem`), for callers that skip boto3's checks.
    """
    error = ServiceError(
        "ParamValidationError",
        "Parameter validation failed:\n" + "\n".join(problems),
    )
    worded = [getattr(problem, "aws", None) for problem in problems]
    if worded and all(worded):
        error.aws_problems = worded
    return error


class FunctionError(ServiceError):
    """A Lambda function ran and failed; `payload` is the error object AWS returns.

    Raised through the fabric to callers that invoke synchronously (Step Functions, API
    Gateway, event source mappings), so they can apply their own retry and catch rules.
    """

    def __init__(self, payload: dict, *, handled: bool = False, log_tail: str = "") -> None:
        error_type = str(payload.get("errorType", "Error"))
        super().__init__(error_type, str(payload.get("errorMessage", "")), status_code=200)
        self.payload = payload
        self.handled = handled
        self.log_tail = log_tail

    @property
    def function_error(self) -> str:
        """The X-Amz-Function-Error value: Handled or Unhandled."""
        return "Handled" if self.handled else "Unhandled"
