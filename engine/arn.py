"""Amazon Resource Names: parse them, build them, and tell which service owns one."""

from __future__ import annotations

from typing import NamedTuple

#: ARN service part → boto3 service name of the emulated service that owns it.
ARN_SERVICE_OWNERS: dict[str, str] = {
    "sqs": "sqs",
    "sns": "sns",
    "events": "events",
    "kinesis": "kinesis",
    "firehose": "firehose",
    "states": "stepfunctions",
    "lambda": "lambda",
    "s3": "s3",
    "dynamodb": "dynamodb",
    "execute-api": "apigateway",
    "apigateway": "apigateway",
    "schemas": "schemas",
    "scheduler": "scheduler",
    "pipes": "pipes",
    "iam": "iam",
    "sts": "sts",
}


class Arn(NamedTuple):
    """The six parts of an ARN."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    @property
    def resource_name(self) -> str:
        """The last segment of the resource part (after ':' or '/')."""
        for sep in ("/", ":"):
            if sep in self.resource:
                return self.resource.rsplit(sep, 1)[1]
        return self.resource

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"


def parse_arn(text: str) -> Arn | None:
    """Split an ARN into its parts, or None if `text` is not one."""
    if not isinstance(text, str) or not text.startswith("arn:"):
        return None
    parts = text.split(":", 5)
    if len(parts) != 6 or not parts[2]:
        return None
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def make_arn(service: str, region: str, account: str, resource: str) -> str:
    """Build an ARN in the aws partition."""
    return f"arn:aws:{service}:{region}:{account}:{resource}"


def owner_of(arn: str) -> str | None:
    """The boto3 name of the service that owns `arn`, or None."""
    parsed = parse_arn(arn)
    return ARN_SERVICE_OWNERS.get(parsed.service) if parsed else None
