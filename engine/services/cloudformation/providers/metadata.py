"""Resources that only carry data: CDK's analytics metadata and wait condition handles."""

from __future__ import annotations

from .base import Outcome, Provider, Request


class CdkMetadataProvider(Provider):
    """AWS::CDK::Metadata — what `cdk synth` adds for its analytics; creates nothing."""

    type_name = "AWS::CDK::Metadata"

    async def create(self, request: Request) -> Outcome:
        return Outcome(request.physical_id or self.engine.ids.uuid())

    async def update(self, request: Request) -> Outcome:
        return Outcome(request.physical_id)


class WaitConditionHandleProvider(Provider):
    """AWS::CloudFormation::WaitConditionHandle — Ref: a presigned URL to signal (never waited on)."""

    type_name = "AWS::CloudFormation::WaitConditionHandle"

    async def create(self, request: Request) -> Outcome:
        token = self.engine.ids.hex(32)
        url = (
            f"https://cloudformation-waitcondition-{self.engine.region}.s3.amazonaws.com/"
            f"{request.stack_id}/{request.logical_id}?token={token}"
        )
        return Outcome(url)

    async def update(self, request: Request) -> Outcome:
        return Outcome(request.physical_id)


PROVIDERS = (CdkMetadataProvider, WaitConditionHandleProvider)
