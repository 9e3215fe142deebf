"""S3's errors, with the codes and messages boto3 shows."""

from __future__ import annotations

import re

from engine.errors import ServiceError

_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP_ADDRESS = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


def no_such_bucket(name: str) -> ServiceError:
    """NoSuchBucket (404)."""
    return ServiceError(
        "NoSuchBucket",
        "The specified bucket does not exist",
        status_code=404,
        extra={"BucketName": name},
    )


def no_such_key(key: str) -> ServiceError:
    """NoSuchKey (404)."""
    return ServiceError(
        "NoSuchKey", "The specified key does not exist.", status_code=404, extra={"Key": key}
    )


def no_such_version(key: str, version_id: str) -> ServiceError:
    """NoSuchVersion (404)."""
    return ServiceError(
        "NoSuchVersion",
        "The specified version does not exist.",
        status_code=404,
        extra={"Key": key, "VersionId": version_id},
    )


def not_found_head() -> ServiceError:
    """What HEAD requests give for a missing bucket or key: no body, so code "404"."""
    return ServiceError("404", "Not Found", status_code=404)


def invalid_argument(
    message: str, name: str | None = None, value: str | None = None
) -> ServiceError:
    """InvalidArgument (400)."""
    extra = {}
    if name is not None:
        extra["ArgumentName"] = name
    if value is not None:
        extra["ArgumentValue"] = value
    return ServiceError("InvalidArgument", message, extra=extra)


def invalid_request(message: str) -> ServiceError:
    """InvalidRequest (400)."""
    return ServiceError("InvalidRequest", message)


def check_bucket_name(name: str) -> None:
    """AWS's bucket naming rules; InvalidBucketName if broken."""
    if (
        not _BUCKET_NAME.match(name)
        or ".." in name
        or ".-" in name
        or "-." in name
        or _IP_ADDRESS.match(name)
        or name.startswith("xn--")
        or name.endswith("-s3alias")
    ):
        raise ServiceError(
            "InvalidBucketName", "The specified bucket is not valid.", extra={"BucketName": name}
        )


def check_storage_class(params: dict) -> None:
    """InvalidStorageClass for a StorageClass outside the model's list."""
    value = params.get("StorageClass")
    if value is None:
        return
    from engine.model import service_model

    # OUTPOSTS is in the model's list but only S3 on Outposts takes it.
    if value == "OUTPOSTS" or value not in service_model("s3").shape_for("StorageClass").enum:
        raise ServiceError(
            "InvalidStorageClass",
            "The storage class you specified is not valid",
            extra={"StorageClassRequested": value},
        )


def check_directives(params: dict) -> None:
    """CopyObject's MetadataDirective and TaggingDirective must be COPY or REPLACE."""
    for name, label in (("MetadataDirective", "metadata"), ("TaggingDirective", "tagging")):
        value = params.get(name)
        if value is not None and value not in ("COPY", "REPLACE"):
            raise invalid_argument(f"Unknown {label} directive.", f"x-amz-{label}-directive", value)


def check_encoding_type(params: dict) -> None:
    """The only EncodingType S3 knows is `url`."""
    value = params.get("EncodingType")
    if value is not None and value != "url":
        raise invalid_argument(
            "Invalid Encoding Method specified in Request", "encoding-type", value
        )


def no_such_bucket_policy(name: str) -> ServiceError:
    """NoSuchBucketPolicy (404)."""
    return ServiceError(
        "NoSuchBucketPolicy",
        "The bucket policy does not exist",
        status_code=404,
        extra={"BucketName": name},
    )
