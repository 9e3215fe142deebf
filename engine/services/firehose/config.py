"""A delivery stream's destination settings: read from Create calls, shown by Describe."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from engine.errors import ServiceError

from .prefixes import check_prefix, has_expressions

MIB = 1024 * 1024
#: Buffering defaults (BufferingHints documentation): 5 MiB or 300 seconds.
DEFAULT_SIZE_MB = 5
DEFAULT_INTERVAL = 300
#: Lambda processor defaults: 3 retries, 1 MiB, 60 seconds (ProcessorParameter documentation).
DEFAULT_LAMBDA_RETRIES = 3
DEFAULT_LAMBDA_BUFFER_MB = 1
#: HTTP endpoint RetryOptions default: keep retrying for 300 seconds.
DEFAULT_HTTP_RETRY_SECONDS = 300
#: S3 deliveries are retried for up to 24 hours before the data is dropped.
S3_RETRY_SECONDS = 86_400


def invalid(message: str) -> ServiceError:
    """Firehose's InvalidArgumentException."""
    return ServiceError("InvalidArgumentException", message)


@dataclass(slots=True)
class Processor:
    """A Lambda record transformation."""

    lambda_arn: str
    retries: int = DEFAULT_LAMBDA_RETRIES
    buffer_mb: float = DEFAULT_LAMBDA_BUFFER_MB


@dataclass(slots=True)
class Destination:
    """Where a delivery stream's data goes and how it is batched."""

    kind: str  # ExtendedS3 | S3 | HttpEndpoint
    config: dict[str, Any]  # the configuration as given (a private copy), for Describe
    size_mb: int = DEFAULT_SIZE_MB
    interval: int = DEFAULT_INTERVAL
    bucket: str | None = None  # the S3 bucket (S3 and extended S3 destinations)
    prefix: str = ""
    error_prefix: str = ""
    compression: str = "UNCOMPRESSED"
    file_extension: str = ""
    processor: Processor | None = None
    url: str | None = None
    endpoint_name: str | None = None
    access_key: str | None = None
    common_attributes: dict[str, str] = field(default_factory=dict)
    content_encoding: str = "NONE"
    retry_seconds: int = DEFAULT_HTTP_RETRY_SECONDS
    backup_mode: str = "FailedDataOnly"
    backup: Destination | None = None  # the S3 backup bucket (source records / failed data)

    @property
    def size_limit(self) -> int:
        """The buffer size that triggers a flush, in bytes."""
        return self.size_mb * MIB


def bucket_of(arn: str) -> str:
    """The bucket name in an S3 bucket ARN (arn:aws:s3:::name)."""
    if not arn.startswith("arn:") or ":s3:::" not in arn:
        raise invalid(f"Invalid BucketARN: {arn}")
    return arn.split(":::", 1)[1]


def _processor(processing: dict | None) -> Processor | None:
    if not processing or not processing.get("Enabled", False):
        return None
    for processor in processing.get("Processors", []):
        if processor["Type"] != "Lambda":
            continue
        values = {p["ParameterName"]: p["ParameterValue"] for p in processor.get("Parameters", [])}
        arn = values.get("LambdaArn")
        if not arn:
            raise invalid("LambdaArn is required for a processor of type Lambda.")
        try:
            retries = int(values.get("NumberOfRetries", DEFAULT_LAMBDA_RETRIES))
            buffer_mb = float(values.get("BufferSizeInMBs", DEFAULT_LAMBDA_BUFFER_MB))
        except ValueError:
            raise invalid("NumberOfRetries and BufferSizeInMBs must be numbers.") from None
        if not 0 <= retries <= 300:
            raise invalid("NumberOfRetries must be between 0 and 300.")
        if not 0.2 <= buffer_mb <= 3:
            raise invalid("BufferSizeInMBs for a Lambda processor must be between 0.2 and 3.")
        return Processor(arn, retries, buffer_mb)
    return None


def _buffering(destination: Destination, hints: dict | None) -> None:
    hints = hints or {}
    destination.size_mb = hints.get("SizeInMBs", DEFAULT_SIZE_MB)
    destination.interval = hints.get("IntervalInSeconds", DEFAULT_INTERVAL)


def _s3_settings(destination: Destination, config: dict) -> None:
    destination.bucket = bucket_of(config["BucketARN"])
    destination.prefix = config.get("Prefix", "")
    destination.error_prefix = config.get("ErrorOutputPrefix", "")
    destination.compression = config.get("CompressionFormat", "UNCOMPRESSED")
    destination.file_extension = config.get("FileExtension", "")
    if destination.compression not in ("UNCOMPRESSED", "GZIP"):
        raise invalid(
            f"CompressionFormat {destination.compression} is not supported by Pipework; "
            "use UNCOMPRESSED or GZIP."
        )
    for text in (destination.prefix, destination.error_prefix):
        problem = check_prefix(text)
        if problem:
            raise invalid(problem)
    if has_expressions(destination.prefix) and not destination.error_prefix:
        raise invalid("ErrorOutputPrefix cannot be null or empty when Prefix contains expressions.")


def _s3_destination(config: dict) -> Destination:
    """A plain S3 destination (a backup bucket's settings)."""
    destination = Destination("S3", config)
    _s3_settings(destination, config)
    _buffering(destination, config.get("BufferingHints"))
    return destination


def parse_destination(params: dict) -> Destination:
    """The one destination a CreateDeliveryStream call names (S3, extended S3 or HTTP)."""
    given = [name for name in params if name.endswith("DestinationConfiguration")]
    if len(given) != 1:
        raise invalid("Exactly one destination configuration must be provided.")
    name = given[0]
    config = copy.deepcopy(params[name])
    if name == "ExtendedS3DestinationConfiguration":
        destination = Destination("ExtendedS3", config)
        _s3_settings(destination, config)
        _buffering(destination, config.get("BufferingHints"))
        destination.processor = _processor(config.get("ProcessingConfiguration"))
        destination.backup_mode = config.get("S3BackupMode", "Disabled")
        for feature in ("DynamicPartitioningConfiguration", "DataFormatConversionConfiguration"):
            if config.get(feature, {}).get("Enabled", False):
                raise invalid(f"Pipework does not emulate {feature[: -len('Configuration')]}.")
        if destination.backup_mode == "Enabled":
            if "S3BackupConfiguration" not in config:
                raise invalid("S3BackupConfiguration is required when S3BackupMode is Enabled.")
            destination.backup = _s3_destination(config["S3BackupConfiguration"])
    elif name == "S3DestinationConfiguration":
        destination = Destination("S3", config)
        _s3_settings(destination, config)
        _buffering(destination, config.get("BufferingHints"))
    elif name == "HttpEndpointDestinationConfiguration":
        destination = Destination("HttpEndpoint", config)
        endpoint = config["EndpointConfiguration"]
        destination.url = endpoint["Url"]
        if not destination.url.startswith(("https://", "http://")):
            raise invalid(f"Invalid Url: {destination.url}")
        destination.endpoint_name = endpoint.get("Name")
        destination.access_key = endpoint.get("AccessKey")
        request = config.get("RequestConfiguration", {})
        destination.content_encoding = request.get("ContentEncoding", "NONE")
        destination.common_attributes = {
            a["AttributeName"]: a["AttributeValue"] for a in request.get("CommonAttributes", [])
        }
        destination.retry_seconds = config.get("RetryOptions", {}).get(
            "DurationInSeconds", DEFAULT_HTTP_RETRY_SECONDS
        )
        destination.backup_mode = config.get("S3BackupMode", "FailedDataOnly")
        destination.backup = _s3_destination(config["S3Configuration"])
        _buffering(destination, config.get("BufferingHints"))
        destination.processor = _processor(config.get("ProcessingConfiguration"))
    else:
        raise invalid(f"Pipework does not emulate {name[: -len('Configuration')]}s.")
    return destination


def _s3_description(config: dict, destination: Destination) -> dict:
    out = {
        "RoleARN": config["RoleARN"],
        "BucketARN": config["BucketARN"],
        "BufferingHints": {
            "SizeInMBs": destination.size_mb,
            "IntervalInSeconds": destination.interval,
        },
        "CompressionFormat": config.get("CompressionFormat", "UNCOMPRESSED"),
        "EncryptionConfiguration": config.get(
            "EncryptionConfiguration", {"NoEncryptionConfig": "NoEncryption"}
        ),
        "CloudWatchLoggingOptions": config.get("CloudWatchLoggingOptions", {"Enabled": False}),
    }
    for name in ("Prefix", "ErrorOutputPrefix"):
        if name in config:
            out[name] = config[name]
    return out


def describe_destination(destination: Destination) -> dict:
    """The DestinationDescription (without DestinationId) Describe returns."""
    config = copy.deepcopy(destination.config)
    if destination.kind == "S3":
        s3 = _s3_description(config, destination)
        extended = {**s3, "S3BackupMode": "Disabled"}
        return {"S3DestinationDescription": s3, "ExtendedS3DestinationDescription": extended}
    if destination.kind == "ExtendedS3":
        extended = _s3_description(config, destination)
        extended["ProcessingConfiguration"] = config.get(
            "ProcessingConfiguration", {"Enabled": False, "Processors": []}
        )
        extended["S3BackupMode"] = destination.backup_mode
        for name in ("FileExtension", "CustomTimeZone", "DynamicPartitioningConfiguration"):
            if name in config:
                extended[name] = config[name]
        if destination.backup is not None:
            extended["S3BackupDescription"] = _s3_description(
                destination.backup.config, destination.backup
            )
        return {
            "S3DestinationDescription": _s3_description(config, destination),
            "ExtendedS3DestinationDescription": extended,
        }
    endpoint = {"Url": destination.url}
    if destination.endpoint_name is not None:
        endpoint["Name"] = destination.endpoint_name
    backup = destination.backup or _s3_destination(config["S3Configuration"])
    http = {
        "EndpointConfiguration": endpoint,
        "BufferingHints": {
            "SizeInMBs": destination.size_mb,
            "IntervalInSeconds": destination.interval,
        },
        "CloudWatchLoggingOptions": config.get("CloudWatchLoggingOptions", {"Enabled": False}),
        "RequestConfiguration": config.get("RequestConfiguration", {"ContentEncoding": "NONE"}),
        "ProcessingConfiguration": config.get(
            "ProcessingConfiguration", {"Enabled": False, "Processors": []}
        ),
        "RetryOptions": {"DurationInSeconds": destination.retry_seconds},
        "S3BackupMode": destination.backup_mode,
        "S3DestinationDescription": _s3_description(backup.config, backup),
    }
    if "RoleARN" in config:
        http["RoleARN"] = config["RoleARN"]
    return {"HttpEndpointDestinationDescription": http}
