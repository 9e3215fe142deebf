"""`AWS::Serverless-2016-10-31` through AWS's own SAM translator, offline, with the lab's account."""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from engine.errors import ServiceError

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"

#: AWS managed policies SAM templates name most, by name (the translator needs names → ARNs).
MANAGED_POLICIES = {
    name: f"arn:aws:iam::aws:policy/{path}{name}"
    for path, names in {
        "service-role/": (
            "AWSLambdaBasicExecutionRole AWSLambdaSQSQueueExecutionRole "
            "AWSLambdaDynamoDBExecutionRole AWSLambdaKinesisExecutionRole AWSLambdaRole "
            "AWSLambdaVPCAccessExecutionRole AWSAppSyncPushToCloudWatchLogs "
            "AmazonAPIGatewayPushToCloudWatchLogs"
        ),
        "": (
            "AWSLambdaExecute AWSLambda_FullAccess AWSLambda_ReadOnlyAccess AmazonSQSFullAccess "
            "AmazonSQSReadOnlyAccess AmazonSNSFullAccess AmazonSNSReadOnlyAccess "
            "AmazonDynamoDBFullAccess AmazonDynamoDBReadOnlyAccess AmazonS3FullAccess "
            "AmazonS3ReadOnlyAccess AWSStepFunctionsFullAccess AWSStepFunctionsReadOnlyAccess "
            "AmazonEventBridgeFullAccess AmazonEventBridgeReadOnlyAccess AmazonKinesisFullAccess "
            "AmazonKinesisReadOnlyAccess AmazonKinesisFirehoseFullAccess AWSXrayWriteOnlyAccess "
            "AmazonAPIGatewayInvokeFullAccess AmazonAPIGatewayAdministrator CloudWatchLogsFullAccess "
            "CloudWatchFullAccess SecretsManagerReadWrite AdministratorAccess ReadOnlyAccess "
            "IAMFullAccess AmazonEventBridgeSchedulerFullAccess AmazonEventBridgePipesFullAccess"
        ),
    }.items()
    for name in names.split()
}


def uses_sam(template: dict) -> bool:
    """Whether the template declares the SAM transform."""
    transform = template.get("Transform")
    names = transform if isinstance(transform, list) else [transform]
    return SAM_TRANSFORM in names


def zip_folder(folder: Path) -> bytes:
    """A folder as a deployment package (zip), files in sorted order for repeatable bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                info = zipfile.ZipInfo(str(path.relative_to(folder)), (1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


async def package_local_code(
    template: dict, base: Path, upload: Callable[[str, bytes], Awaitable[tuple[str, str]]]
) -> dict:
    """`sam package`: local CodeUri folders zipped and uploaded, local definitions inlined."""
    result = copy.deepcopy(template)
    for definition in (result.get("Resources") or {}).values():
        if not isinstance(definition, dict):
            continue
        props = definition.get("Properties")
        if not isinstance(props, dict):
            continue
        kind = definition.get("Type")
        if kind == "AWS::Serverless::Function" and isinstance(props.get("CodeUri"), str):
            uri = props["CodeUri"]
            if not uri.startswith("s3://"):
                local = (base / uri).resolve()
                if not local.exists():
                    raise ServiceError("ValidationError", f"CodeUri {uri} does not exist")
                data = zip_folder(local) if local.is_dir() else _zip_file(local)
                bucket, key = await upload(uri, data)
                props["CodeUri"] = f"s3://{bucket}/{key}"
        elif kind == "AWS::Lambda::Function" and isinstance(props.get("Code"), str):
            local = (base / props["Code"]).resolve()
            data = zip_folder(local) if local.is_dir() else _zip_file(local)
            bucket, key = await upload(props["Code"], data)
            props["Code"] = {"S3Bucket": bucket, "S3Key": key}
        elif kind == "AWS::Serverless::StateMachine" and isinstance(
            props.get("DefinitionUri"), str
        ):
            from .template import parse_template

            uri = props["DefinitionUri"]
            if not uri.startswith("s3://"):
                props.pop("DefinitionUri")
                props["Definition"] = parse_template((base / uri).read_text())
        elif kind in ("AWS::Serverless::Api", "AWS::Serverless::HttpApi") and isinstance(
            props.get("DefinitionUri"), str
        ):
            from .template import parse_template

            uri = props["DefinitionUri"]
            if not uri.startswith("s3://"):
                props.pop("DefinitionUri")
                props["DefinitionBody"] = parse_template((base / uri).read_text())
    return result


def _zip_file(path: Path) -> bytes:
    if path.suffix == ".zip":
        return path.read_bytes()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo(path.name, (1980, 1, 1, 0, 0, 0)), path.read_bytes())
    return buffer.getvalue()


def translate(template: dict, parameters: dict[str, Any], region: str, account_id: str) -> dict:
    """The SAM template as plain CloudFormation, translated the way AWS's transform does."""
    import boto3
    from samtranslator.model.exceptions import InvalidDocumentException, InvalidTemplateException
    from samtranslator.parser.parser import Parser
    from samtranslator.translator.translator import Translator

    values = {
        **{k: (",".join(v) if isinstance(v, list) else v) for k, v in parameters.items()},
        "AWS::Region": region,
        "AWS::AccountId": account_id,
        "AWS::Partition": "aws",
    }
    session = boto3.session.Session(
        region_name=region, aws_access_key_id="lab", aws_secret_access_key="lab"
    )
    translator = Translator(MANAGED_POLICIES, Parser(), boto_session=session)
    try:
        return translator.translate(copy.deepcopy(template), parameter_values=values)
    except (InvalidDocumentException, InvalidTemplateException) as error:
        detail = getattr(error, "message", str(error))
        causes = [getattr(cause, "message", str(cause)) for cause in getattr(error, "causes", [])]
        if causes:
            detail = f"{detail} {' '.join(causes)}"
        raise ServiceError(
            "ValidationError", f"Transform {SAM_TRANSFORM} failed with: {detail}"
        ) from None
    except Exception as error:  # the translator's own bugs must not escape as tracebacks
        raise ServiceError(
            "ValidationError", f"Transform {SAM_TRANSFORM} failed with: {error}"
        ) from None
