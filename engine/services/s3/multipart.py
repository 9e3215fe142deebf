"""Multipart uploads: create, upload parts, complete (ETag "md5-of-md5s-N"), abort, list."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from engine.errors import ServiceError

from . import checksums
from .errors import check_encoding_type, check_storage_class, invalid_argument, invalid_request
from .models import HEADER_PARAMS, INITIATOR, OWNER, MultipartUpload, boto_time
from .object_tags import parse_tagging_header

if TYPE_CHECKING:
    from .models import Bucket
    from .service import S3Service

#: Every part but the last must be at least 5 MiB.
MIN_PART_SIZE = 5 * 1024 * 1024


def _no_such_upload(upload_id: str) -> ServiceError:
    return ServiceError(
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may "
        "have been aborted or completed.",
        status_code=404,
        extra={"UploadId": upload_id},
    )


def _copy_range(data: bytes, text: str) -> bytes:
    """The bytes CopySourceRange names; unlike GetObject's Range it must be exact."""
    match = re.fullmatch(r"bytes=(\d+)-(\d+)", text.strip())
    if match is None or int(match[1]) > int(match[2]):
        raise invalid_argument(
            "The x-amz-copy-source-range value must be of the form bytes=first-last where first "
            "and last are the zero-based offsets of the first and last bytes to copy",
            "x-amz-copy-source-range",
            text,
        )
    first, last = int(match[1]), int(match[2])
    if last >= len(data):
        raise ServiceError(
            "InvalidRange",
            "The requested range is not satisfiable",
            status_code=416,
            extra={"ActualObjectSize": str(len(data)), "RangeRequested": text},
        )
    return data[first : last + 1]


def _invalid_part(upload_id: str, part: dict) -> ServiceError:
    return ServiceError(
        "InvalidPart",
        "One or more of the specified parts could not be found.  The part may not have been "
        "uploaded, or the specified entity tag may not match the part's entity tag.",
        extra={
            "UploadId": upload_id,
            "PartNumber": str(part["PartNumber"]),
            "ETag": part.get("ETag", "").strip('"'),
        },
    )


def _part_checksum(upload: MultipartUpload, number: int) -> dict[str, str]:
    value = upload.part_checksums.get(number)
    if value is None or upload.checksum_algorithm is None:
        return {}
    return {checksums.ALGORITHMS[upload.checksum_algorithm][0]: value}


def _after_marker(
    uploads: list[MultipartUpload], key_marker: str, id_marker: str
) -> list[MultipartUpload]:
    """The uploads after KeyMarker (and, within that key, after UploadIdMarker)."""
    if not id_marker:
        return [u for u in uploads if u.key > key_marker]
    ids = [u.upload_id for u in uploads]
    if id_marker in ids:
        return uploads[ids.index(id_marker) + 1 :]
    return [u for u in uploads if u.key > key_marker]


class MultipartOperations:
    """Multipart upload operations (mixed into S3Service)."""

    def _upload(self: S3Service, params: dict) -> tuple[Bucket, MultipartUpload]:
        bucket = self.bucket_for(params)
        upload = bucket.uploads.get(params["UploadId"])
        if upload is None or upload.key != params["Key"]:
            raise _no_such_upload(params["UploadId"])
        return bucket, upload

    def create_multipart_upload(self: S3Service, params: dict) -> dict:
        """CreateMultipartUpload."""
        bucket = self.bucket_for(params)
        check_storage_class(params)
        tags = parse_tagging_header(params["Tagging"]) if "Tagging" in params else {}
        upload_id = self.ids.token(64)
        algorithm = params.get("ChecksumAlgorithm")
        kind = params.get("ChecksumType") or (
            checksums.default_type(algorithm) if algorithm else None
        )
        bucket.uploads[upload_id] = MultipartUpload(
            upload_id=upload_id,
            key=params["Key"],
            initiated=self.clock.now(),
            content_type=params.get("ContentType"),
            metadata={k.lower(): v for k, v in (params.get("Metadata") or {}).items()},
            headers={name: str(params[name]) for name in HEADER_PARAMS if name in params},
            storage_class=params.get("StorageClass", "STANDARD"),
            tags=tags,
            checksum_algorithm=algorithm,
            checksum_type=kind,
        )
        result = {
            "Bucket": bucket.name,
            "Key": params["Key"],
            "UploadId": upload_id,
            "ServerSideEncryption": "AES256",
        }
        if algorithm:
            result.update({"ChecksumAlgorithm": algorithm, "ChecksumType": kind})
        return result

    def upload_part(self: S3Service, params: dict) -> dict:
        """UploadPart (1–10000); uploading a number again replaces the part."""
        from .service import _read_body

        bucket, upload = self._upload(params)
        number = params["PartNumber"]
        if not 1 <= number <= 10_000:
            raise ServiceError(
                "InvalidArgument",
                "Part number must be an integer between 1 and 10000, inclusive",
                extra={"ArgumentName": "partNumber", "ArgumentValue": str(number)},
            )
        data = _read_body(params.get("Body"))
        checksums.check_content_md5(params, data, hex_expected=False)
        answer: dict[str, Any] = {}
        if (
            upload.checksum_algorithm
            or "ChecksumAlgorithm" in params
            or any(member in params for member, _ in checksums.ALGORITHMS.values())
        ):
            named = {"ChecksumAlgorithm": upload.checksum_algorithm, **params}
            algorithm, value = checksums.for_write(named, data)
            answer[checksums.ALGORITHMS[algorithm][0]] = value
            if algorithm == upload.checksum_algorithm:
                upload.part_checksums[number] = value
        etag = f'"{hashlib.md5(data).hexdigest()}"'
        upload.parts[number] = (data, etag, self.clock.now())
        return {"ETag": etag, **answer, "ServerSideEncryption": "AES256"}

    def upload_part_copy(self: S3Service, params: dict) -> dict:
        """UploadPartCopy: a part taken from an object (CopySourceRange "bytes=first-last")."""
        _, _, original = self.copy_source(params)
        data = original.body
        if "CopySourceRange" in params:
            data = _copy_range(data, params["CopySourceRange"])
        params = {**params, "Body": data}
        answer = self.upload_part(params)
        stored = self._upload(params)[1].parts[params["PartNumber"]]
        result: dict[str, Any] = {
            "CopyPartResult": {"ETag": answer["ETag"], "LastModified": boto_time(stored[2])},
            "ServerSideEncryption": "AES256",
        }
        if original.version_id != "null":
            result["CopySourceVersionId"] = original.version_id
        return result

    def complete_multipart_upload(self: S3Service, params: dict) -> dict:
        """CompleteMultipartUpload: checks order, ETags and part sizes, then stores the object."""
        bucket, upload = self._upload(params)
        self._check_conditions_for_write(bucket, upload.key, params)
        listed = (params.get("MultipartUpload") or {}).get("Parts") or []
        if not listed:
            raise ServiceError(
                "MalformedXML",
                "The XML you provided was not well-formed or did not validate against our "
                "published schema",
            )
        numbers = [part["PartNumber"] for part in listed]
        if numbers != sorted(numbers) or len(set(numbers)) != len(numbers):
            raise ServiceError(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. The parts list must be specified "
                "in order by part number.",
                extra={"UploadId": upload.upload_id},
            )
        self._check_checksum_mode(upload, params, listed)
        chosen = []
        for part in listed:
            stored = upload.parts.get(part["PartNumber"])
            if stored is None or part.get("ETag", "").strip('"') != stored[1].strip('"'):
                raise _invalid_part(upload.upload_id, part)
            chosen.append(stored)
        for data, _, _ in chosen[:-1]:
            if len(data) < MIN_PART_SIZE:
                raise ServiceError(
                    "EntityTooSmall",
                    "Your proposed upload is smaller than the minimum allowed object size.",
                    extra={"MinSizeAllowed": str(MIN_PART_SIZE), "ProposedSize": str(len(data))},
                )
        digests = b"".join(bytes.fromhex(etag.strip('"')) for _, etag, _ in chosen)
        etag = f'"{hashlib.md5(digests).hexdigest()}-{len(chosen)}"'
        body = b"".join(data for data, _, _ in chosen)
        del bucket.uploads[upload.upload_id]
        algorithm = upload.checksum_algorithm or checksums.DEFAULT
        if upload.checksum_type == "COMPOSITE":
            value = checksums.composite(
                algorithm, [upload.part_checksums[p["PartNumber"]] for p in listed]
            )
        else:
            value = checksums.compute(algorithm, body)
        version = self._store(
            bucket,
            upload.key,
            body,
            upload.content_type,
            upload.metadata,
            upload.headers,
            upload.storage_class,
            "ObjectCreated:CompleteMultipartUpload",
            "CompleteMultipartUpload",
            etag=etag,
            tags=upload.tags,
            checksum=(algorithm, value),
            checksum_type=upload.checksum_type or "FULL_OBJECT",
        )
        result: dict[str, Any] = {
            "Location": f"https://{bucket.name}.s3.amazonaws.com/{upload.key}",
            "Bucket": bucket.name,
            "Key": upload.key,
            "ETag": etag,
            **self._checksum_answer(version),
            "ServerSideEncryption": "AES256",
        }
        if version.version_id != "null":
            result["VersionId"] = version.version_id
        return result

    @staticmethod
    def _check_checksum_mode(upload: MultipartUpload, params: dict, listed: list[dict]) -> None:
        """The completion must keep the upload's checksum mode and name each part's checksum."""
        if "ChecksumType" in params and params["ChecksumType"] != upload.checksum_type:
            mode = (upload.checksum_type or "null").lower().replace("_", " ")
            raise invalid_request(
                f"The upload was created using the {mode} checksum mode. The complete request "
                "must use the same checksum mode."
            )
        if upload.checksum_type != "COMPOSITE" or not upload.checksum_algorithm:
            return
        member = checksums.ALGORITHMS[upload.checksum_algorithm][0]
        for part in listed:
            number = part["PartNumber"]
            if member not in part:
                raise invalid_request(
                    f"The upload was created using a {upload.checksum_algorithm.lower()} "
                    "checksum. The complete request must include the checksum for each part. "
                    f"It was missing for part {number} in the request."
                )
            if upload.part_checksums.get(number) != part[member]:
                raise _invalid_part(upload.upload_id, part)

    def abort_multipart_upload(self: S3Service, params: dict) -> dict:
        """AbortMultipartUpload."""
        bucket, upload = self._upload(params)
        del bucket.uploads[upload.upload_id]
        return {}

    def list_parts(self: S3Service, params: dict) -> dict:
        """ListParts (PartNumberMarker, MaxParts)."""
        _, upload = self._upload(params)
        marker = int(params.get("PartNumberMarker") or 0)
        limit = params.get("MaxParts", 1000)
        numbers = sorted(n for n in upload.parts if n > marker)
        page = numbers[:limit]
        result: dict[str, Any] = {
            "Bucket": params["Bucket"],
            "Key": upload.key,
            "UploadId": upload.upload_id,
            "PartNumberMarker": marker,
            "MaxParts": limit,
            "IsTruncated": len(numbers) > limit,
            "Initiator": dict(INITIATOR),
            "Owner": dict(OWNER),
            "StorageClass": upload.storage_class,
        }
        if upload.checksum_algorithm:
            result["ChecksumAlgorithm"] = upload.checksum_algorithm
            result["ChecksumType"] = upload.checksum_type
        if page:
            result["Parts"] = [
                {
                    "PartNumber": n,
                    "LastModified": boto_time(upload.parts[n][2]),
                    "ETag": upload.parts[n][1],
                    "Size": len(upload.parts[n][0]),
                    **_part_checksum(upload, n),
                }
                for n in page
            ]
        if page:  # AWS names the last part listed, whether or not more follow
            result["NextPartNumberMarker"] = page[-1]
        return result

    def list_multipart_uploads(self: S3Service, params: dict) -> dict:
        """ListMultipartUploads (Prefix, MaxUploads, KeyMarker/UploadIdMarker pages)."""
        bucket = self.bucket_for(params)
        check_encoding_type(params)
        prefix = params.get("Prefix", "")
        limit = params.get("MaxUploads", 1000)
        key_marker = params.get("KeyMarker", "")
        id_marker = params.get("UploadIdMarker", "")
        uploads = sorted(
            (u for u in bucket.uploads.values() if u.key.startswith(prefix)),
            key=lambda u: (u.key, u.initiated),
        )
        if key_marker:
            uploads = _after_marker(uploads, key_marker, id_marker)
        result: dict[str, Any] = {
            "Bucket": bucket.name,
            "KeyMarker": key_marker,
            "UploadIdMarker": id_marker,
            "Prefix": prefix,
            "MaxUploads": limit,
            "IsTruncated": len(uploads) > limit,
        }
        if uploads:
            last = uploads[: limit or 1][-1]
            result["NextKeyMarker"], result["NextUploadIdMarker"] = last.key, last.upload_id
        if params.get("EncodingType"):
            result["EncodingType"] = params["EncodingType"]
        if uploads:
            result["Uploads"] = [
                {
                    "UploadId": u.upload_id,
                    "Key": u.key,
                    "Initiated": boto_time(u.initiated),
                    "StorageClass": u.storage_class,
                    "Owner": dict(OWNER),
                    "Initiator": dict(INITIATOR),
                }
                for u in uploads[:limit]
            ]
        return result
