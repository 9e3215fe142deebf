"""Amazon S3: buckets, objects, versioning, listing and event notifications.

Internal API for other services (Firehose, Step Functions ItemReader/ResultWriter, Lambda code):
`put_object_internal(bucket, key, body: bytes, content_type=...) -> {"ETag", "VersionId"?}`
(notifications fire as for PutObject) and `get_object_internal(bucket, key) -> bytes`; both
raise NoSuchBucket / NoSuchKey as ServiceError.
"""

from __future__ import annotations

import hashlib
import io
import re
from typing import Any

from botocore.response import StreamingBody

from engine.errors import ServiceError
from engine.service import Service
from engine.topology import Edge, Node

from . import acl, checksums, notifications, object_lock, persistence
from .acl import AclOperations
from .buckets import BucketOperations
from .errors import (
    check_directives,
    check_storage_class,
    invalid_argument,
    invalid_request,
    no_such_bucket,
    no_such_key,
    no_such_version,
    not_found_head,
)
from .listing import ListingOperations
from .models import HEADER_PARAMS, Bucket, ObjectVersion, boto_time
from .multipart import MultipartOperations
from .object_attributes import ObjectAttributeOperations
from .object_lock import ObjectLockOperations
from .object_tags import ObjectTaggingOperations, parse_tagging_header
from .settings import SettingOperations, expiration

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def _not_implemented(header: str, detail: str) -> ServiceError:
    """S3's 501 for a conditional header it does not take (a value or a combination)."""
    return ServiceError(
        "NotImplemented",
        "A header you provided implies functionality that is not implemented",
        status_code=501,
        extra={"Header": header, "additionalMessage": detail},
    )


def _epoch(value: Any) -> float:
    """A timestamp parameter (datetime or epoch seconds) as epoch seconds."""
    return value.timestamp() if hasattr(value, "timestamp") else float(value)


def _failed_condition(version: ObjectVersion, conditions: dict, now: float) -> str | None:
    """Which of If-Match, If-Unmodified-Since, If-None-Match, If-Modified-Since fails, if any.

    A matching If-Match overrides If-Unmodified-Since, a non-matching If-None-Match overrides
    If-Modified-Since, and a date in the future is ignored, as AWS documents.
    """
    etag = version.etag.strip('"')
    modified = int(version.last_modified)
    if "IfMatch" in conditions:
        if str(conditions["IfMatch"]).strip('"') != etag:
            return "If-Match"
    elif "IfUnmodifiedSince" in conditions and modified > _epoch(conditions["IfUnmodifiedSince"]):
        return "If-Unmodified-Since"
    if "IfNoneMatch" in conditions:
        if str(conditions["IfNoneMatch"]).strip('"') == etag:
            return "If-None-Match"
    elif "IfModifiedSince" in conditions:
        since = _epoch(conditions["IfModifiedSince"])
        if modified <= since <= now:
            return "If-Modified-Since"
    return None


def _precondition_failed(condition: str) -> ServiceError:
    return ServiceError(
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
        status_code=412,
        extra={"Condition": condition},
    )


def _check_copy_source_conditions(source: ObjectVersion, params: dict, now: float) -> None:
    """x-amz-copy-source-if-*: any failing condition is 412, naming the copy-source header."""
    conditions = {
        name.removeprefix("CopySource"): value
        for name, value in params.items()
        if name.startswith("CopySourceIf")
    }
    failed = _failed_condition(source, conditions, now)
    if failed is not None:
        raise _precondition_failed(f"x-amz-copy-source-{failed}")


def _marker_headers(marker: ObjectVersion) -> dict[str, str]:
    """The headers S3 sends when a request meets a delete marker."""
    return {"x-amz-delete-marker": "true", "x-amz-version-id": marker.version_id}


def _body(data: bytes) -> StreamingBody:
    """The Body object boto3 returns: `.read()` gives the bytes."""
    return StreamingBody(io.BytesIO(data), len(data))


def _read_body(value: Any) -> bytes:
    """PutObject's Body as bytes: bytes, str or a file-like object."""
    if value is None:
        return b""
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    data = value.read()
    return data.encode() if isinstance(data, str) else bytes(data)


class S3Service(
    BucketOperations,
    ListingOperations,
    MultipartOperations,
    ObjectTaggingOperations,
    ObjectAttributeOperations,
    SettingOperations,
    AclOperations,
    ObjectLockOperations,
    Service,
):
    """Buckets and objects in memory, with notifications through the fabric."""

    name = "s3"
    validation_error_code = "InvalidArgument"
    # S3 answers out-of-enum values with its own errors (InvalidStorageClass, InvalidArgument …).
    check_enums = False
    # No content, as AWS answers these (the model says nothing).
    http_status = dict.fromkeys(
        (
            "PutBucketPolicy",
            "PutBucketTagging",
            "PutBucketMetricsConfiguration",
            "PutBucketAnalyticsConfiguration",
            "PutBucketInventoryConfiguration",
            "PutBucketIntelligentTieringConfiguration",
        ),
        204,
    )

    def __init__(self, engine: Any) -> None:
        super().__init__(engine)
        self.buckets: dict[str, Bucket] = {}
        self._sequence = 0

    # -- helpers --------------------------------------------------------------------------
    def bucket(self, name: str) -> Bucket:
        """The bucket `name`; NoSuchBucket otherwise."""
        bucket = self.buckets.get(name)
        if bucket is None:
            raise no_such_bucket(name)
        return bucket

    def bucket_for(self, params: dict) -> Bucket:
        """The request's bucket, once its ExpectedBucketOwner (if any) is this account."""
        expected = params.get("ExpectedBucketOwner")
        if expected is not None:
            if not re.fullmatch(r"\d{12}", str(expected)):
                raise ServiceError(
                    "InvalidBucketOwnerAWSAccountID",
                    "The value of the expected bucket owner parameter must be an AWS Account ID... "
                    f"[{expected}]",
                )
            bucket = self.bucket(params["Bucket"])
            if expected != self.account_id:
                raise ServiceError("AccessDenied", "Access Denied", status_code=403)
            return bucket
        return self.bucket(params["Bucket"])

    def next_sequencer(self) -> str:
        """An increasing sequencer for event records (orders events per key)."""
        self._sequence += 1
        return f"{int(self.clock.now() * 1000):012X}{self._sequence:08X}"

    def _new_version_id(self, bucket: Bucket) -> str:
        return self.ids.token(32) if bucket.versioning == "Enabled" else "null"

    def _trace_id(self) -> str | None:
        return self.ids.trace_id(self.clock.now()) if self.trace.enabled else None

    def _fire(
        self,
        bucket: Bucket,
        event_name: str,
        version: ObjectVersion,
        reason: str,
        trace_id: str | None,
    ) -> None:
        """Send notifications in the background, as S3 does after answering the request."""
        if bucket.notifications or bucket.eventbridge:
            self.engine.spawn(
                notifications.notify(self, bucket, event_name, version, reason, trace_id),
                name=f"s3-notify:{bucket.name}",
            )

    def owns(self, arn: str) -> bool:
        """Whether the bucket in an S3 ARN exists."""
        return arn.startswith("arn:aws:s3:::") and arn[13:].split("/", 1)[0] in self.buckets

    # -- objects -------------------------------------------------------------------------------
    def _store(
        self,
        bucket: Bucket,
        key: str,
        data: bytes,
        content_type: str | None,
        metadata: dict[str, str],
        headers: dict[str, str],
        storage_class: str,
        event_name: str,
        reason: str,
        etag: str | None = None,
        tags: dict[str, str] | None = None,
        checksum: tuple[str, str] | None = None,
        checksum_type: str = "FULL_OBJECT",
    ) -> ObjectVersion:
        algorithm, value = checksum or (
            checksums.DEFAULT,
            checksums.compute(checksums.DEFAULT, data),
        )
        version = ObjectVersion(
            key=key,
            version_id=self._new_version_id(bucket),
            body=data,
            etag=etag or f'"{hashlib.md5(data).hexdigest()}"',
            last_modified=self.clock.now(),
            content_type=content_type or "binary/octet-stream",
            metadata=metadata,
            headers=headers,
            storage_class=storage_class,
            tags=tags or {},
            checksum_algorithm=algorithm,
            checksum=value,
            checksum_type=checksum_type,
        )
        bucket.add_version(version)
        bucket.puts += 1
        trace_id = self._trace_id()
        if self.trace.enabled:
            self.emit(
                "put",
                bucket.arn,
                message_id=key,
                trace_id=trace_id,
                key=key,
                size=len(data),
                etag=version.etag,
            )
        self._fire(bucket, event_name, version, reason, trace_id)
        return version

    def put_object(self, params: dict) -> dict:
        """PutObject: Body as bytes, str or file-like; ETag is the MD5 in quotes."""
        bucket = self.bucket_for(params)
        check_storage_class(params)
        data = _read_body(params.get("Body"))
        checksums.check_content_md5(params, data, hex_expected=True)
        key = params["Key"]
        self._check_conditions_for_write(bucket, key, params)
        checksum = checksums.for_write(params, data)
        grants, beyond_owner = acl.grants_from(params)
        acl.check_allowed(bucket, beyond_owner)
        retention, legal_hold = object_lock.lock_for_write(bucket, params, self.clock.now())
        tags = parse_tagging_header(params["Tagging"]) if "Tagging" in params else {}
        headers = {name: str(params[name]) for name in HEADER_PARAMS if name in params}
        metadata = {k.lower(): v for k, v in (params.get("Metadata") or {}).items()}
        version = self._store(
            bucket,
            key,
            data,
            params.get("ContentType"),
            metadata,
            headers,
            params.get("StorageClass", "STANDARD"),
            "ObjectCreated:Put",
            "PutObject",
            tags=tags,
            checksum=checksum,
        )
        version.acl = grants
        version.retention, version.legal_hold = retention, legal_hold
        result: dict[str, Any] = {"ETag": version.etag, **self._checksum_answer(version)}
        result["ServerSideEncryption"] = "AES256"
        expires = expiration(bucket, key, version.last_modified)
        if expires:
            result["Expiration"] = expires
        if version.version_id != "null":
            result["VersionId"] = version.version_id
        return result

    @staticmethod
    def _check_conditions_for_write(bucket: Bucket, key: str, params: dict) -> None:
        """If-Match / If-None-Match on PutObject, CopyObject and CompleteMultipartUpload."""
        if "IfMatch" in params and "IfNoneMatch" in params:
            raise _not_implemented(
                "If-Match,If-None-Match",
                "Multiple conditional request headers present in the request",
            )
        if "IfNoneMatch" in params and params["IfNoneMatch"] != "*":
            raise _not_implemented(
                "If-None-Match",
                "We don't accept the provided value of If-None-Match header for this API",
            )
        if params.get("IfMatch") == "*":
            raise _not_implemented(
                "If-Match", "We don't accept the provided value of If-Match header for this API"
            )
        current = bucket.current(key)
        if params.get("IfNoneMatch") == "*" and current is not None:
            raise _precondition_failed("If-None-Match")
        wanted = str(params.get("IfMatch", "")).strip('"')
        if "IfMatch" in params and (current is None or current.etag.strip('"') != wanted):
            if current is None:
                raise no_such_key(key)
            raise _precondition_failed("If-Match")

    def _version(
        self, bucket: Bucket, key: str, version_id: str | None, head: bool
    ) -> ObjectVersion:
        versions = bucket.objects.get(key)
        if version_id is not None:
            for version in versions or []:
                if version.version_id == version_id:
                    if version.delete_marker:
                        raise ServiceError(
                            "MethodNotAllowed",
                            "The specified method is not allowed against this resource.",
                            status_code=405,
                            extra={
                                "Method": "HEAD" if head else "GET",
                                "ResourceType": "DeleteMarker",
                            },
                            headers=_marker_headers(version),
                        )
                    return version
            if head:
                raise not_found_head()
            raise no_such_version(key, version_id)
        current = bucket.current(key)
        if current is None:
            error = not_found_head() if head else no_such_key(key)
            if versions and versions[-1].delete_marker:
                error.headers = _marker_headers(versions[-1])
            raise error
        return current

    @staticmethod
    def _lifecycle_answer(bucket: Bucket, version: ObjectVersion, result: dict) -> None:
        """What GET/HEAD add from the bucket: the version id once versioning was ever on, and
        the expiry a lifecycle rule gives the object."""
        if bucket.versioning:
            result["VersionId"] = version.version_id
        expires = expiration(bucket, version.key, version.last_modified)
        if expires:
            result["Expiration"] = expires

    @staticmethod
    def _checksum_answer(version: ObjectVersion) -> dict:
        return checksums.answer(version.checksum_algorithm, version.checksum, version.checksum_type)

    def _describe_object(self, version: ObjectVersion, params: dict) -> dict:
        result: dict[str, Any] = {
            "AcceptRanges": "bytes",
            "LastModified": boto_time(version.last_modified),
            "ContentLength": version.size,
            "ETag": version.etag,
            "ContentType": version.content_type,
            "ServerSideEncryption": "AES256",
            "Metadata": dict(version.metadata),
        }
        result.update(version.headers)
        result.update(object_lock.lock_answer(version))
        if params.get("ChecksumMode") == "ENABLED" and "Range" not in params:
            result.update(self._checksum_answer(version))
        if version.version_id != "null":
            result["VersionId"] = version.version_id
        if version.storage_class != "STANDARD":
            result["StorageClass"] = version.storage_class
        return result

    def _check_read_conditions(self, version: ObjectVersion, params: dict) -> None:
        """GET/HEAD conditions: 412 for If-Match/If-Unmodified-Since, else 304 Not Modified."""
        failed = _failed_condition(version, params, self.clock.now())
        if failed in ("If-Match", "If-Unmodified-Since"):
            raise _precondition_failed(failed)
        if failed is not None:
            raise ServiceError("304", "Not Modified", status_code=304)

    def get_object(self, params: dict) -> dict:
        """GetObject (with Range, VersionId, IfMatch/IfNoneMatch); Body has `.read()`."""
        bucket = self.bucket_for(params)
        version = self._version(bucket, params["Key"], params.get("VersionId"), head=False)
        self._check_read_conditions(version, params)
        result = self._describe_object(version, params)
        self._lifecycle_answer(bucket, version, result)
        data = version.body
        if "Range" in params:
            data, content_range = self._range(data, params["Range"])
            if content_range:
                result["ContentRange"] = content_range
                result["ContentLength"] = len(data)
        if version.tags:
            result["TagCount"] = len(version.tags)
        bucket.gets += 1
        result["Body"] = _body(data)
        return result

    @staticmethod
    def _range(data: bytes, header: str) -> tuple[bytes, str | None]:
        match = _RANGE.match(header.strip())
        size = len(data)
        if match is None or (not match[1] and not match[2]):
            return data, None  # S3 ignores a range it cannot parse
        if match[1]:
            start = int(match[1])
            end = min(int(match[2]), size - 1) if match[2] else size - 1
        else:
            start = max(0, size - int(match[2]))
            end = size - 1
        if start >= size or start > end:
            raise ServiceError(
                "InvalidRange",
                "The requested range is not satisfiable",
                status_code=416,
                extra={"ActualObjectSize": str(size), "RangeRequested": header},
            )
        return data[start : end + 1], f"bytes {start}-{end}/{size}"

    def head_object(self, params: dict) -> dict:
        """HeadObject (code "404" with no message body when missing, as boto3 shows)."""
        bucket = self.buckets.get(params["Bucket"])
        if bucket is None:
            raise not_found_head()
        version = self._version(bucket, params["Key"], params.get("VersionId"), head=True)
        self._check_read_conditions(version, params)
        result = self._describe_object(version, params)
        self._lifecycle_answer(bucket, version, result)
        return result

    def _delete_one(
        self, bucket: Bucket, key: str, version_id: str | None, bypass: bool = False
    ) -> dict:
        """Delete a key or one version; returns DeleteObject's answer."""
        trace_id = self._trace_id()
        versions = bucket.objects.get(key)
        if version_id is not None:
            if versions is None:
                return {"VersionId": version_id}
            kept = [v for v in versions if v.version_id != version_id]
            removed = [v for v in versions if v.version_id == version_id]
            if not removed:
                return {"VersionId": version_id}
            object_lock.check_delete(removed[0], bypass, self.clock.now())
            if kept:
                versions[:] = kept
            else:
                bucket.remove_key(key)
            bucket.deletes += 1
            self.emit(
                "deleted",
                bucket.arn,
                message_id=key,
                trace_id=trace_id,
                key=key,
                version_id=version_id,
            )
            result: dict[str, Any] = {"VersionId": version_id}
            if removed[0].delete_marker:
                result["DeleteMarker"] = True
            else:
                self._fire(bucket, "ObjectRemoved:Delete", removed[0], "DeleteObject", trace_id)
            return result
        if bucket.versioning:
            marker = ObjectVersion(
                key, self._new_version_id(bucket), b"", "", self.clock.now(), delete_marker=True
            )
            bucket.add_version(marker)
            bucket.deletes += 1
            self.emit(
                "deleted",
                bucket.arn,
                message_id=key,
                trace_id=trace_id,
                key=key,
                delete_marker=True,
            )
            self._fire(
                bucket, "ObjectRemoved:DeleteMarkerCreated", marker, "DeleteObject", trace_id
            )
            return {"DeleteMarker": True, "VersionId": marker.version_id}
        current = bucket.current(key)
        if current is not None:
            bucket.remove_key(key)
            bucket.deletes += 1
            self.emit("deleted", bucket.arn, message_id=key, trace_id=trace_id, key=key)
            self._fire(bucket, "ObjectRemoved:Delete", current, "DeleteObject", trace_id)
        return {}

    def delete_object(self, params: dict) -> dict:
        """DeleteObject (a missing key succeeds; versioned buckets get a delete marker)."""
        bucket = self.bucket_for(params)
        object_lock.check_bypass(bucket, params)
        bypass = bool(params.get("BypassGovernanceRetention"))
        return self._delete_one(bucket, params["Key"], params.get("VersionId"), bypass)

    def delete_objects(self, params: dict) -> dict:
        """DeleteObjects: up to 1000 keys; Quiet leaves successes out."""
        bucket = self.bucket_for(params)
        objects = params["Delete"]["Objects"]
        if len(objects) > 1000:
            raise ServiceError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema",
            )
        bypass = bool(params.get("BypassGovernanceRetention"))
        deleted = []
        errors = []
        for entry in objects:
            try:
                result = self._delete_one(bucket, entry["Key"], entry.get("VersionId"), bypass)
            except ServiceError as error:  # one key's failure is reported, the rest go on
                failed = {"Key": entry["Key"], "Code": error.code, "Message": error.message}
                if entry.get("VersionId"):
                    failed["VersionId"] = entry["VersionId"]
                errors.append(failed)
                continue
            item: dict[str, Any] = {"Key": entry["Key"]}
            if entry.get("VersionId"):
                item["VersionId"] = entry["VersionId"]
            if result.get("DeleteMarker"):
                item["DeleteMarker"] = True
                if "VersionId" in result and "VersionId" not in entry:
                    item["DeleteMarkerVersionId"] = result["VersionId"]
            deleted.append(item)
        answer: dict[str, Any] = {} if params["Delete"].get("Quiet") else {"Deleted": deleted}
        if errors:
            answer["Errors"] = errors
        return answer

    def copy_source(self, params: dict) -> tuple[str, str, ObjectVersion]:
        """The (bucket, key, version) CopySource names, for CopyObject and UploadPartCopy."""
        source = params["CopySource"]
        if isinstance(source, dict):
            source_bucket, source_key = source["Bucket"], source["Key"]
            source_version = source.get("VersionId")
        else:
            from urllib.parse import unquote

            text, _, query = source.lstrip("/").partition("?versionId=")
            source_bucket, _, source_key = text.partition("/")
            source_key = unquote(source_key)
            source_version = query or None
        if not source_bucket or not source_key:
            raise invalid_argument(
                "Invalid copy source object key", "x-amz-copy-source", str(source)
            )
        original = self._version(self.bucket(source_bucket), source_key, source_version, head=False)
        _check_copy_source_conditions(original, params, self.clock.now())
        return source_bucket, source_key, original

    def copy_object(self, params: dict) -> dict:
        """CopyObject: COPY or REPLACE metadata; copying onto itself must change something."""
        source_bucket, source_key, original = self.copy_source(params)
        bucket = self.bucket_for(params)
        key = params["Key"]
        check_storage_class(params)
        check_directives(params)
        self._check_conditions_for_write(bucket, key, params)
        replace = params.get("MetadataDirective", "COPY") == "REPLACE"
        if (
            source_bucket == bucket.name
            and source_key == key
            and not replace
            and "StorageClass" not in params
            and "WebsiteRedirectLocation" not in params
            and "ServerSideEncryption" not in params
        ):
            raise invalid_request(
                "This copy request is illegal because it is trying to copy an object to itself "
                "without changing the object's metadata, storage class, website redirect location "
                "or encryption attributes."
            )
        if params.get("TaggingDirective", "COPY") == "REPLACE":
            tags = parse_tagging_header(params.get("Tagging", ""))
        else:
            tags = dict(original.tags)
        if replace:
            metadata = {k.lower(): v for k, v in (params.get("Metadata") or {}).items()}
            content_type = params.get("ContentType")
            headers = {name: str(params[name]) for name in HEADER_PARAMS if name in params}
        else:
            metadata, content_type, headers = (
                dict(original.metadata),
                original.content_type,
                dict(original.headers),
            )
        version = self._store(
            bucket,
            key,
            original.body,
            content_type,
            metadata,
            headers,
            params.get("StorageClass", original.storage_class),
            "ObjectCreated:Copy",
            "CopyObject",
            tags=tags,
            checksum=self._copied_checksum(original, params),
        )
        result: dict[str, Any] = {
            "CopyObjectResult": {
                "ETag": version.etag,
                "LastModified": boto_time(version.last_modified),
                **self._checksum_answer(version),
            },
            "ServerSideEncryption": "AES256",
        }
        if original.version_id != "null":
            result["CopySourceVersionId"] = original.version_id
        if version.version_id != "null":
            result["VersionId"] = version.version_id
        return result

    @staticmethod
    def _copied_checksum(original: ObjectVersion, params: dict) -> tuple[str, str] | None:
        """A copy keeps its source's checksum unless the request names another algorithm."""
        algorithm = params.get("ChecksumAlgorithm")
        if algorithm in checksums.ALGORITHMS:
            return algorithm, checksums.compute(algorithm, original.body)
        if original.checksum_type == "COMPOSITE" and original.checksum_algorithm:
            # a copy is one part: its checksum is of the whole body
            return original.checksum_algorithm, checksums.compute(
                original.checksum_algorithm, original.body
            )
        if original.checksum_algorithm and original.checksum:
            return original.checksum_algorithm, original.checksum
        return None

    # -- internal API ------------------------------------------------------------------------------
    def put_object_internal(
        self,
        bucket: str,
        key: str,
        body: bytes,
        content_type: str = "binary/octet-stream",
        metadata: dict[str, str] | None = None,
    ) -> dict:
        """Store an object for another service (notifications fire as for PutObject)."""
        target = self.bucket(bucket)
        version = self._store(
            target,
            key,
            bytes(body),
            content_type,
            dict(metadata or {}),
            {},
            "STANDARD",
            "ObjectCreated:Put",
            "PutObject",
        )
        result = {"ETag": version.etag}
        if version.version_id != "null":
            result["VersionId"] = version.version_id
        return result

    def get_object_internal(self, bucket: str, key: str) -> bytes:
        """The current body of an object, for another service."""
        return self._version(self.bucket(bucket), key, None, head=False).body

    # -- views ------------------------------------------------------------------------------------------
    def holdings(self) -> dict[str, int]:
        """Buckets and the objects they hold."""
        return {
            "buckets": len(self.buckets),
            "objects": sum(len(bucket.objects) for bucket in self.buckets.values()),
        }

    def topology(self) -> tuple[list[Node], list[Edge]]:
        """Bucket nodes and notification edges."""
        nodes: list[Node] = []
        edges: list[Edge] = []
        for bucket in self.buckets.values():
            nodes.append(
                Node(
                    bucket.arn,
                    "bucket",
                    bucket.name,
                    "s3",
                    {
                        "objects": len(bucket.objects),
                        "puts": bucket.puts,
                        "gets": bucket.gets,
                        "deletes": bucket.deletes,
                        "notified": bucket.notified,
                    },
                )
            )
            for n in bucket.notifications:
                label = ",".join(e.removeprefix("s3:") for e in n.events)
                if n.prefix or n.suffix:
                    label += f" [{n.prefix}*{n.suffix}]"
                edges.append(Edge(bucket.arn, n.target, "notification", label))
            if bucket.eventbridge:
                bus = f"arn:aws:events:{self.region}:{self.account_id}:event-bus/default"
                edges.append(Edge(bucket.arn, bus, "notification", "EventBridge"))
        return nodes, edges

    # -- save/open -----------------------------------------------------------------------------
    def dump(self) -> dict[str, Any] | None:
        """Buckets, settings and every object version as JSON-able data."""
        return persistence.dump(self)

    def load(self, data: dict[str, Any]) -> None:
        """Restore what dump() produced (notification settings are not saved)."""
        persistence.load(self, data)
