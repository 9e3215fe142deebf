"""`AWS::Include`: template snippets read from the lab's S3, as `Fn::Transform` or a top-level
`Transform`, put in place before anything else reads the template."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

from engine.errors import ServiceError

from .template import parse_template

INCLUDE = "AWS::Include"


def _failed(reason: str) -> ServiceError:
    return ServiceError("ValidationError", f"Transform {INCLUDE} failed with: {reason}")


def is_include(transform: Any) -> bool:
    """Whether a Transform entry is AWS::Include (`{Name: AWS::Include, Parameters: …}`)."""
    return isinstance(transform, dict) and transform.get("Name") == INCLUDE


def s3_location(location: str) -> tuple[str, str]:
    """Bucket and key of an `s3://bucket/key` or `https://bucket.s3…/key` location."""
    parsed = urlparse(location)
    if parsed.scheme == "s3" and parsed.netloc and parsed.path.strip("/"):
        return parsed.netloc, parsed.path.lstrip("/")
    if parsed.scheme == "https" and ".s3" in parsed.netloc and parsed.path.strip("/"):
        return parsed.netloc.split(".s3", 1)[0], parsed.path.lstrip("/")
    raise _failed("The location parameter is not a valid S3 uri.")


def expand_includes(
    template: dict[str, Any],
    read: Callable[[str, str], bytes],
    resolve: Callable[[Any], Any],
) -> dict[str, Any]:
    """`template` with every AWS::Include replaced by the snippet it names.

    `read(bucket, key)` returns an S3 object's body (KeyError/ServiceError when missing);
    `resolve` evaluates a Location given with Ref/Fn::Sub of parameters.
    """

    def snippet(parameters: Any) -> Any:
        location = resolve((parameters or {}).get("Location"))
        if not isinstance(location, str):
            raise _failed("The location parameter is not a valid S3 uri.")
        bucket, key = s3_location(location)
        try:
            body = read(bucket, key)
        except (KeyError, ServiceError):
            raise _failed("S3 object does not exist") from None
        return parse_template(body.decode("utf-8"))

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(item) for item in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1 and is_include(value.get("Fn::Transform")):
            return walk(snippet(value["Fn::Transform"].get("Parameters")))
        return {key: walk(item) for key, item in value.items()}

    transforms = template.get("Transform")
    listed = transforms if isinstance(transforms, list) else [transforms]
    result = walk({k: v for k, v in template.items() if k != "Transform"})
    remaining = []
    for transform in listed:
        if transform is None:
            continue
        if not is_include(transform):
            remaining.append(transform)
            continue
        included = walk(snippet(transform.get("Parameters")))
        for section, content in included.items():
            if isinstance(content, dict) and isinstance(result.get(section), dict):
                result[section] = {**result[section], **content}
            else:
                result[section] = content
    if remaining:
        result["Transform"] = remaining if isinstance(transforms, list) else remaining[0]
    return result
