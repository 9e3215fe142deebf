"""Optional SigV4 verification (`pipework serve --verify-signatures`) against the lab's access keys.

The signature is recomputed with botocore's own signer from the request as it arrived (method,
raw path, query, the headers the client listed as signed, the payload hash) and the secret key
the lab's IAM holds for the access key id. Failures answer with AWS's codes for each protocol:
an unknown key (UnrecognizedClientException / InvalidClientTokenId / InvalidAccessKeyId), a
signature that does not match (InvalidSignatureException / SignatureDoesNotMatch), and a request
dated more than 15 minutes from now (Signature expired / RequestExpired / RequestTimeTooSkewed).
Freshness is judged on the wall clock, which is what the client signed with, not the lab clock.
Chunk signatures of aws-chunked uploads are not checked (the seed signature is).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from engine.errors import ServiceError
from engine.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from engine.engine import Engine

    from .endpoint import WireEndpoint

#: access key id → (principal ARN, secret access key), or None for a key the lab does not know.
KeySource = Callable[[str], "tuple[str, str] | None"]

#: How far a request's date may be from now (AWS: 15 minutes).
MAX_SKEW_SECONDS = 15 * 60

_AUTH = re.compile(
    r"AWS4-HMAC-SHA256\s+Credential=(?P<credential>[^,\s]+)\s*,\s*"
    r"SignedHeaders=(?P<signed>[^,\s]+)\s*,\s*Signature=(?P<signature>[0-9a-fA-F]+)"
)
_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your "
    "AWS Secret Access Key and signing method. Consult the service documentation for details."
)
_STAMP = "%Y%m%dT%H%M%SZ"


@dataclass(slots=True)
class _Signed:
    """The parts of a SigV4 signature as the client sent them."""

    access_key: str
    date: str
    region: str
    service: str
    signed_headers: list[str]
    signature: str
    amz_date: str
    presigned: bool
    expires: int | None = None


class _Recomputer(SigV4Auth):
    """botocore's SigV4 signer made to sign exactly what the client listed and hashed."""

    def __init__(self, credentials: Credentials, service: str, region: str, signed: _Signed):
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        headers = HTTPHeaders()
        for name in self._signed.signed_headers:
            for value in request.headers.get_all(name) or [""]:
                headers[name] = value
        return headers

    def payload(self, request: AWSRequest) -> str:
        if self._signed.presigned and self._signed.service == "s3":
            return "UNSIGNED-PAYLOAD"
        return hashlib.sha256(request.body or b"").hexdigest()

    def _normalize_url_path(self, path: str) -> str:
        if self._signed.service == "s3":
            return path  # S3 signs the path as sent (no second encoding, no dot-segment removal)
        return super()._normalize_url_path(path)


class SignatureVerifier:
    """Checks SigV4 signatures; answers the first failure as AWS does, else lets the request on."""

    @classmethod
    def for_engine(cls, engine: Engine) -> SignatureVerifier:
        """A verifier reading keys from the lab's IAM (access keys, STS sessions and tokens)."""
        iam: Any = engine.service("iam")
        return cls(iam.identity_for_access_key, session_tokens=iam.session_token_for)

    def __init__(
        self,
        keys: KeySource,
        now: Callable[[], float] = time.time,
        session_tokens: Callable[[str], str | None] | None = None,
    ) -> None:
        self.keys = keys
        self.now = now
        #: The session token an STS key must come with (None: a long-term key).
        self.session_tokens = session_tokens or (lambda key: None)

    def check(self, request: HttpRequest, endpoint: WireEndpoint) -> HttpResponse | None:
        """None when the signature holds; otherwise the error answer in the request's protocol."""
        protocol = endpoint.protocol_of(request)
        problem = self.problem(request)
        if problem is None:
            return None
        kind, message = problem
        code = _CODES[kind][_family(protocol)]
        status = 400 if protocol == "json" and kind != "missing" else 403
        return endpoint.error_for(request, code, message, status)

    def problem(self, request: HttpRequest) -> tuple[str, str] | None:
        """(failure kind, AWS's message) for a request whose signature does not hold, or None."""
        signed = _parse(request)
        if signed is None:
            if request.headers.get("authorization", "").startswith("AWS ") or (
                "AWSAccessKeyId" in request.query_dict()
            ):
                return "missing", "The lab verifies Signature Version 4 only; sign with SigV4."
            return "missing", "Missing Authentication Token"
        stamp = _parse_stamp(signed.amz_date)
        if stamp is None:
            return "mismatch", _MISMATCH
        now = self.now()
        if signed.presigned:
            if signed.expires is not None and now > stamp + signed.expires:
                return "expired", "Request has expired"
        elif abs(now - stamp) > MAX_SKEW_SECONDS:
            return "expired", _expired_message(signed.amz_date, now)
        identity = self.keys(signed.access_key)
        token = self.session_tokens(signed.access_key)
        sent = request.headers.get("x-amz-security-token") or request.query_dict().get(
            "X-Amz-Security-Token"
        )
        if identity is None or (token is not None and sent != token):
            return "unknown", "The security token included in the request is invalid."
        _, secret = identity
        expected = _signature(request, signed, secret)
        if expected != signed.signature.lower():
            return "mismatch", _MISMATCH
        return None


async def issue_admin_key(engine: Engine, user: str = "pipework-admin") -> tuple[str, str]:
    """An access key of an administrator in the lab's IAM, for a lab that verifies signatures."""
    iam = engine.client("iam")
    try:
        await iam.create_user(UserName=user)
        await iam.attach_user_policy(
            UserName=user, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess"
        )
    except ServiceError as error:
        if error.code != "EntityAlreadyExists":
            raise
    key = (await iam.create_access_key(UserName=user))["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


#: failure kind → protocol family → AWS's error code.
_CODES: dict[str, dict[str, str]] = {
    "missing": {
        "json": "MissingAuthenticationTokenException",
        "query": "MissingAuthenticationToken",
        "s3": "AccessDenied",
    },
    "unknown": {
        "json": "UnrecognizedClientException",
        "query": "InvalidClientTokenId",
        "s3": "InvalidAccessKeyId",
    },
    "mismatch": {
        "json": "InvalidSignatureException",
        "query": "SignatureDoesNotMatch",
        "s3": "SignatureDoesNotMatch",
    },
    "expired": {
        "json": "InvalidSignatureException",
        "query": "RequestExpired",
        "s3": "RequestTimeTooSkewed",
    },
}


def _family(protocol: str) -> str:
    if protocol == "query":
        return "query"
    if protocol == "rest-xml":
        return "s3"
    return "json"


def _parse(request: HttpRequest) -> _Signed | None:
    match = _AUTH.search(request.headers.get("authorization", ""))
    if match is not None:
        parts = match.group("credential").split("/")
        if len(parts) != 5:
            return None
        return _Signed(
            parts[0],
            parts[1],
            parts[2],
            parts[3],
            match.group("signed").lower().split(";"),
            match.group("signature"),
            request.headers.get("x-amz-date", ""),
            False,
        )
    query = request.query_dict()
    if query.get("X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        return None
    parts = query.get("X-Amz-Credential", "").split("/")
    if len(parts) != 5:
        return None
    expires = query.get("X-Amz-Expires", "")
    return _Signed(
        parts[0],
        parts[1],
        parts[2],
        parts[3],
        query.get("X-Amz-SignedHeaders", "host").lower().split(";"),
        query.get("X-Amz-Signature", ""),
        query.get("X-Amz-Date", ""),
        True,
        int(expires) if expires.isdigit() else None,
    )


def _parse_stamp(text: str) -> float | None:
    try:
        return datetime.strptime(text, _STAMP).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _expired_message(amz_date: str, now: float) -> str:
    def stamp(seconds: float) -> str:
        return datetime.fromtimestamp(seconds, UTC).strftime(_STAMP)

    return (
        f"Signature expired: {amz_date} is now earlier than {stamp(now - MAX_SKEW_SECONDS)} "
        f"({stamp(now)} - 15 min.)"
    )


def _signature(request: HttpRequest, signed: _Signed, secret: str) -> str:
    pairs = [
        (quote(k, safe="-_.~"), quote(v, safe="-_.~"))
        for k, v in request.query
        if not (signed.presigned and k == "X-Amz-Signature")
    ]
    query = "&".join(f"{k}={v}" for k, v in sorted(pairs))
    url = f"{request.scheme}://{request.headers.get('host', 'localhost')}{request.path}"
    if query:
        url += f"?{query}"
    headers: dict[str, Any] = {
        name: request.headers.get(name, "") for name in signed.signed_headers
    }
    aws_request = AWSRequest(method=request.method, url=url, headers=headers, data=request.body)
    if "x-amz-content-sha256" in request.headers and "x-amz-content-sha256" not in headers:
        aws_request.headers["X-Amz-Content-SHA256"] = request.headers["x-amz-content-sha256"]
    aws_request.context["timestamp"] = signed.amz_date
    signer = _Recomputer(
        Credentials(signed.access_key, secret), signed.service, signed.region, signed
    )
    canonical = signer.canonical_request(aws_request)
    return signer.signature(signer.string_to_sign(aws_request, canonical), aws_request)
