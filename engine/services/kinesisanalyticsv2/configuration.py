"""SQL inputs, outputs and reference data; logging, VPC and maintenance settings."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from engine.errors import ServiceError

from . import compiler
from .planning import OUTPUT_KINDS

if TYPE_CHECKING:
    from .application import Application
    from .service import AnalyticsService


class Configuration:
    """SQL inputs, outputs and reference data; logging, VPC and maintenance settings."""

    def __init__(self, service: AnalyticsService) -> None:
        self.service = service

    def input_description(self, app: Application, given: dict) -> dict:
        destinations = [k for k in ("KinesisStreamsInput", "KinesisFirehoseInput") if k in given]
        if len(destinations) != 1:
            raise ServiceError(
                "InvalidArgumentException",
                "An input needs exactly one of KinesisStreamsInput or KinesisFirehoseInput",
            )
        if app.inputs:
            raise ServiceError(
                "InvalidArgumentException", "A SQL application supports only one streaming input"
            )
        self._check_schema(given["InputSchema"])
        described = {
            "InputId": app.new_id(),
            "NamePrefix": given["NamePrefix"],
            "InAppStreamNames": [f"{given['NamePrefix']}_001"],
            "InputSchema": copy.deepcopy(given["InputSchema"]),
            "InputParallelism": copy.deepcopy(given.get("InputParallelism") or {"Count": 1}),
            "InputStartingPositionConfiguration": {},
        }
        key = destinations[0]
        described[key + "Description"] = {"ResourceARN": given[key]["ResourceARN"]}
        if "InputProcessingConfiguration" in given:
            described["InputProcessingConfigurationDescription"] = {
                "InputLambdaProcessorDescription": dict(
                    given["InputProcessingConfiguration"]["InputLambdaProcessor"]
                )
            }
        return described

    def _check_schema(self, schema: dict) -> None:
        fmt = schema["RecordFormat"]["RecordFormatType"]
        if not schema.get("RecordColumns"):
            raise ServiceError("InvalidArgumentException", "RecordColumns must not be empty")
        for column in schema["RecordColumns"]:
            try:
                compiler.duckdb_type(column["SqlType"])
            except ServiceError as error:
                raise ServiceError("InvalidArgumentException", error.message) from None
            if fmt == "JSON" and not column.get("Mapping"):
                raise ServiceError(
                    "InvalidArgumentException",
                    f"Column {column['Name']} needs a Mapping (a JSON path) for JSON records",
                )

    def output_description(self, app: Application, given: dict) -> dict:
        keys = [k for k in OUTPUT_KINDS if k in given]
        if len(keys) != 1:
            raise ServiceError(
                "InvalidArgumentException",
                "An output needs exactly one of KinesisStreamsOutput, KinesisFirehoseOutput or LambdaOutput",
            )
        if any(o["Name"] == given["Name"] for o in app.outputs):
            raise ServiceError("InvalidArgumentException", f"Output {given['Name']} already exists")
        if len(app.outputs) >= 3:
            raise ServiceError(
                "LimitExceededException", "An application can have at most 3 outputs"
            )
        return {
            "OutputId": app.new_id(),
            "Name": given["Name"],
            keys[0] + "Description": {"ResourceARN": given[keys[0]]["ResourceARN"]},
            "DestinationSchema": dict(given["DestinationSchema"]),
        }

    def reference_description(self, app: Application, given: dict) -> dict:
        if "S3ReferenceDataSource" not in given:
            raise ServiceError(
                "InvalidArgumentException", "A reference data source needs S3ReferenceDataSource"
            )
        self._check_schema(given["ReferenceSchema"])
        s3 = given["S3ReferenceDataSource"]
        return {
            "ReferenceId": app.new_id(),
            "TableName": given["TableName"],
            "S3ReferenceDataSourceDescription": {
                "BucketARN": s3.get("BucketARN", ""),
                "FileKey": s3.get("FileKey", ""),
            },
            "ReferenceSchema": copy.deepcopy(given["ReferenceSchema"]),
        }

    def _sql_change(self, params: dict) -> Application:
        app = self.service._app(params["ApplicationName"])
        if not app.sql:
            raise ServiceError(
                "InvalidArgumentException", "This operation is for SQL-1_0 applications"
            )
        self.service._check_version(app, params)
        return app

    def add_application_input(self, params: dict) -> dict:
        app = self._sql_change(params)
        app.inputs.append(self.input_description(app, params["Input"]))
        self.service._changed(app)
        return {
            "ApplicationARN": app.arn,
            "ApplicationVersionId": app.version,
            "InputDescriptions": copy.deepcopy(app.inputs),
        }

    def add_application_output(self, params: dict) -> dict:
        app = self._sql_change(params)
        app.outputs.append(self.output_description(app, params["Output"]))
        self.service._changed(app)
        return {
            "ApplicationARN": app.arn,
            "ApplicationVersionId": app.version,
            "OutputDescriptions": copy.deepcopy(app.outputs),
        }

    def delete_application_output(self, params: dict) -> dict:
        app = self._sql_change(params)
        kept = [o for o in app.outputs if o["OutputId"] != params["OutputId"]]
        if len(kept) == len(app.outputs):
            raise ServiceError(
                "ResourceNotFoundException", f"Output {params['OutputId']} is not found"
            )
        app.outputs = kept
        self.service._changed(app)
        return {"ApplicationARN": app.arn, "ApplicationVersionId": app.version}

    def add_application_reference_data_source(self, params: dict) -> dict:
        app = self._sql_change(params)
        app.references.append(self.reference_description(app, params["ReferenceDataSource"]))
        self.service._changed(app)
        return {
            "ApplicationARN": app.arn,
            "ApplicationVersionId": app.version,
            "ReferenceDataSourceDescriptions": copy.deepcopy(app.references),
        }

    def delete_application_reference_data_source(self, params: dict) -> dict:
        app = self._sql_change(params)
        kept = [r for r in app.references if r["ReferenceId"] != params["ReferenceId"]]
        if len(kept) == len(app.references):
            raise ServiceError(
                "ResourceNotFoundException", f"Reference {params['ReferenceId']} is not found"
            )
        app.references = kept
        self.service._changed(app)
        return {"ApplicationARN": app.arn, "ApplicationVersionId": app.version}

    def _find_input(self, app: Application, input_id: str) -> dict:
        found = next((i for i in app.inputs if i["InputId"] == input_id), None)
        if found is None:
            raise ServiceError("ResourceNotFoundException", f"Input {input_id} is not found")
        return found

    def add_application_input_processing_configuration(self, params: dict) -> dict:
        app = self._sql_change(params)
        found = self._find_input(app, params["InputId"])
        described = {
            "InputLambdaProcessorDescription": dict(
                params["InputProcessingConfiguration"]["InputLambdaProcessor"]
            )
        }
        found["InputProcessingConfigurationDescription"] = described
        self.service._changed(app)
        return {
            "ApplicationARN": app.arn,
            "ApplicationVersionId": app.version,
            "InputId": params["InputId"],
            "InputProcessingConfigurationDescription": copy.deepcopy(described),
        }

    def delete_application_input_processing_configuration(self, params: dict) -> dict:
        app = self._sql_change(params)
        self._find_input(app, params["InputId"]).pop(
            "InputProcessingConfigurationDescription", None
        )
        self.service._changed(app)
        return {"ApplicationARN": app.arn, "ApplicationVersionId": app.version}

    def add_application_cloud_watch_logging_option(self, params: dict) -> dict:
        app = self.service._app(params["ApplicationName"])
        self.service._check_version(app, params, required=False)
        option = params["CloudWatchLoggingOption"]
        app.logging.append(
            {"CloudWatchLoggingOptionId": app.new_id(), "LogStreamARN": option["LogStreamARN"]}
        )
        self.service._changed(app)
        return {
            "ApplicationARN": app.arn,
            "ApplicationVersionId": app.version,
            "CloudWatchLoggingOptionDescriptions": copy.deepcopy(app.logging),
        }

    def delete_application_cloud_watch_logging_option(self, params: dict) -> dict:
        app = self.service._app(params["ApplicationName"])
        self.service._check_version(app, params, required=False)
        kept = [
            o
            for o in app.logging
            if o["CloudWatchLoggingOptionId"] != params["CloudWatchLoggingOptionId"]
        ]
        if len(kept) == len(app.logging):
            raise ServiceError(
                "ResourceNotFoundException", "CloudWatch logging option is not found"
            )
        app.logging = kept
        self.service._changed(app)
        return {
            "ApplicationARN": app.arn,
            "ApplicationVersionId": app.version,
            "CloudWatchLoggingOptionDescriptions": copy.deepcopy(app.logging),
        }

    def add_application_vpc_configuration(self, params: dict) -> dict:
        app = self.service._app(params["ApplicationName"])
        self.service._check_version(app, params, required=False)
        given = params["VpcConfiguration"]
        described = {
            "VpcConfigurationId": app.new_id(),
            "VpcId": f"vpc-{self.service.ids.hex(17)}",
            "SubnetIds": list(given["SubnetIds"]),
            "SecurityGroupIds": list(given["SecurityGroupIds"]),
        }
        app.vpcs.append(described)
        self.service._changed(app)
        return {
            "ApplicationARN": app.arn,
            "ApplicationVersionId": app.version,
            "VpcConfigurationDescription": copy.deepcopy(described),
        }

    def delete_application_vpc_configuration(self, params: dict) -> dict:
        app = self.service._app(params["ApplicationName"])
        self.service._check_version(app, params, required=False)
        kept = [v for v in app.vpcs if v["VpcConfigurationId"] != params["VpcConfigurationId"]]
        if len(kept) == len(app.vpcs):
            raise ServiceError(
                "ResourceNotFoundException",
                f"VPC configuration {params['VpcConfigurationId']} is not found",
            )
        app.vpcs = kept
        self.service._changed(app)
        return {"ApplicationARN": app.arn, "ApplicationVersionId": app.version}

    def update_application_maintenance_configuration(self, params: dict) -> dict:
        app = self.service._app(params["ApplicationName"])
        if app.sql:
            raise ServiceError(
                "UnsupportedOperationException", "Maintenance windows are for Flink applications"
            )
        start = params["ApplicationMaintenanceConfigurationUpdate"][
            "ApplicationMaintenanceWindowStartTimeUpdate"
        ]
        hour, _, minute = start.partition(":")
        end_hour = (int(hour) + 8) % 24
        app.maintenance = {
            "ApplicationMaintenanceWindowStartTime": start,
            "ApplicationMaintenanceWindowEndTime": f"{end_hour:02d}:{minute}",
        }
        return {
            "ApplicationARN": app.arn,
            "ApplicationMaintenanceConfigurationDescription": dict(app.maintenance),
        }

    def create_application_presigned_url(self, params: dict) -> dict:
        app = self.service._app(params["ApplicationName"])
        if app.status != "RUNNING":
            raise ServiceError("ResourceInUseException", f"Application {app.name} is not running")
        raise ServiceError(
            "InvalidArgumentException", "The lab has no Apache Flink dashboard to sign a URL for"
        )
