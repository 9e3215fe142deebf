"""Brokers: create, describe, list, update, reboot, delete — states on the engine clock."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .engines import ENGINES, EngineSpec
from .errors import bad_request, conflict, not_found, page
from .users import check_activemq_user, check_rabbit_user

if TYPE_CHECKING:
    from engine.clock import Timer

    from .service import MqService

_NAME = re.compile(r"[A-Za-z0-9_-]{1,50}")
#: Seconds a broker spends in CREATION_IN_PROGRESS / REBOOT_IN_PROGRESS / DELETION_IN_PROGRESS
#: (AWS takes minutes; the lab keeps the states but shortens them; `mq.transition_seconds`).
TRANSITION_SECONDS = 3.0


@dataclass(slots=True)
class BrokerRecord:
    """One broker as the control plane knows it."""

    id: str
    arn: str
    name: str
    spec: EngineSpec
    engine_version: str
    deployment_mode: str
    instance_type: str
    publicly_accessible: bool
    auto_minor_version_upgrade: bool
    authentication_strategy: str
    storage_type: str
    users: dict[str, str]
    created: float
    subnet_ids: list[str]
    security_groups: list[str]
    logs: dict[str, bool]
    maintenance: dict[str, str]
    encryption: dict[str, Any]
    configuration: dict[str, Any] | None
    creator_request_id: str | None
    state: str = "CREATION_IN_PROGRESS"
    pending: dict[str, Any] = field(default_factory=dict)
    plane: Any = None  # the engine's data plane (RabbitBroker, ActiveBroker)
    user_details: dict[str, Any] = field(default_factory=dict)  # ActiveMQ: name → BrokerUser
    timer: Timer | None = None


class BrokerControl:
    """The broker operations of the `mq` service."""

    def __init__(self, service: MqService) -> None:
        self.service = service
        self.brokers: dict[str, BrokerRecord] = {}

    # -- lookups ---------------------------------------------------------------------------
    def get(self, broker_id: str) -> BrokerRecord:
        """A broker by id, ARN or (lab convenience) name; NotFoundException otherwise."""
        record = self.brokers.get(broker_id)
        if record is None:
            for candidate in self.brokers.values():
                if broker_id in (candidate.arn, candidate.name):
                    record = candidate
                    break
        if record is None:
            raise not_found(
                f"Can't find requested broker [{broker_id}]. Make sure your broker exists.",
                "broker-id",
            )
        return record

    def _delay(self) -> float:
        return float(self.service.engine.settings.get("mq.transition_seconds", TRANSITION_SECONDS))

    # -- create ------------------------------------------------------------------------------
    def _check_create(self, params: dict) -> tuple[EngineSpec, str]:
        name = params["BrokerName"]
        if not _NAME.fullmatch(name):
            raise bad_request(
                "Broker name must be 1-50 characters long and contain only alphanumeric "
                "characters, dashes and underscores.",
                "brokerName",
            )
        spec = ENGINES[params["EngineType"]]
        if spec.factory is None:
            raise bad_request(spec.not_emulated, "engineType")
        version = params.get("EngineVersion") or spec.default_version
        if version not in spec.versions:
            raise bad_request(
                f"Broker engine version [{version}] is not supported for engine type "
                f"[{spec.engine_type}]. Supported versions: {', '.join(spec.versions)}.",
                "engineVersion",
            )
        instance = params["HostInstanceType"]
        if instance not in spec.instance_types:
            raise bad_request(
                f"Broker instance type [{instance}] is not supported for engine type "
                f"[{spec.engine_type}].",
                "hostInstanceType",
            )
        mode = params["DeploymentMode"]
        if mode not in spec.deployment_modes:
            raise bad_request(
                f"Deployment mode [{mode}] is not supported for engine type [{spec.engine_type}]. "
                f"Supported: {', '.join(spec.deployment_modes)}.",
                "deploymentMode",
            )
        if mode == "CLUSTER_MULTI_AZ" and instance == "mq.t3.micro":
            raise bad_request(
                "Broker instance type [mq.t3.micro] is only supported for SINGLE_INSTANCE "
                "deployments.",
                "hostInstanceType",
            )
        storage = params.get("StorageType", "EBS")
        if storage not in spec.storage_types:
            raise bad_request(
                f"Storage type [{storage}] is not supported for engine type [{spec.engine_type}].",
                "storageType",
            )
        subnets = params.get("SubnetIds") or []
        if subnets and mode == "SINGLE_INSTANCE" and len(subnets) != 1:
            raise bad_request("A SINGLE_INSTANCE broker requires exactly one subnet.", "subnetIds")
        if params.get("AuthenticationStrategy", "SIMPLE") != "SIMPLE":
            raise bad_request(
                "The lab's brokers authenticate SIMPLE users only (no LDAP or CONFIG_MANAGED).",
                "authenticationStrategy",
            )
        users = params.get("Users") or []
        if spec.engine_type == "RABBITMQ" and len(users) != 1:
            raise bad_request(
                "RabbitMQ brokers require exactly one user at creation (the administrative "
                "user); add others through the RabbitMQ management API.",
                "users",
            )
        if spec.engine_type == "ACTIVEMQ" and not users:
            raise bad_request(
                "At least one user is required for an ActiveMQ broker with SIMPLE authentication.",
                "users",
            )
        check = check_rabbit_user if spec.engine_type == "RABBITMQ" else check_activemq_user
        for user in users:
            if "Password" not in user or "Username" not in user:
                raise bad_request("Each user needs a Username and a Password.", "users")
            problem = check(user["Username"], user["Password"])
            if problem:
                raise bad_request(problem, "users")
            if spec.engine_type == "RABBITMQ" and (user.get("Groups") or user.get("ConsoleAccess")):
                raise bad_request(
                    "Groups and ConsoleAccess do not apply to RabbitMQ broker users.", "users"
                )
        if any(b.name == name for b in self.brokers.values()):
            raise conflict(f"Broker with name [{name}] already exists.", "brokerName")
        return spec, version

    async def create(self, params: dict) -> dict:
        """CreateBroker: CREATION_IN_PROGRESS, listener open, RUNNING after a short while."""
        token = params.get("CreatorRequestId")
        if token:
            for record in self.brokers.values():
                if record.creator_request_id == token:
                    return {"BrokerArn": record.arn, "BrokerId": record.id}
        spec, version = self._check_create(params)
        configuration = None
        if params.get("Configuration"):
            configuration = self.service.configurations.reference(
                params["Configuration"], spec.engine_type
            )
        service = self.service
        broker_id = f"b-{service.ids.uuid()}"
        name = params["BrokerName"]
        arn = service.arn(f"broker:{name}:{broker_id}")
        users = {u["Username"]: u["Password"] for u in params.get("Users") or []}
        assert spec.factory is not None
        plane = await spec.factory(service.engine, arn, name, users)
        record = BrokerRecord(
            id=broker_id,
            arn=arn,
            name=name,
            spec=spec,
            engine_version=version,
            deployment_mode=params["DeploymentMode"],
            instance_type=params["HostInstanceType"],
            publicly_accessible=params["PubliclyAccessible"],
            auto_minor_version_upgrade=params.get("AutoMinorVersionUpgrade", True),
            authentication_strategy=params.get("AuthenticationStrategy", "SIMPLE"),
            storage_type=params.get("StorageType", "EBS"),
            users=users,
            created=service.clock.now(),
            subnet_ids=list(params.get("SubnetIds") or []),
            security_groups=list(params.get("SecurityGroups") or []),
            logs={"General": bool((params.get("Logs") or {}).get("General", False))},
            maintenance=dict(
                params.get("MaintenanceWindowStartTime")
                or {"DayOfWeek": "SUNDAY", "TimeOfDay": "00:00", "TimeZone": "UTC"}
            ),
            encryption=dict(params.get("EncryptionOptions") or {"UseAwsOwnedKey": True}),
            configuration=configuration,
            creator_request_id=token,
            plane=plane,
        )
        if spec.engine_type == "ACTIVEMQ":
            from .broker_users import BrokerUser

            record.user_details = {
                u["Username"]: BrokerUser(
                    u["Password"],
                    bool(u.get("ConsoleAccess", False)),
                    list(u.get("Groups") or []),
                    bool(u.get("ReplicationUser", False)),
                )
                for u in params.get("Users") or []
            }
        self.brokers[broker_id] = record
        self.apply_configuration(record)
        service.tags.set(arn, params.get("Tags") or {})
        service.emit("created", arn, engine=spec.engine_type, endpoint=plane.endpoint)
        self._enter_later(record, "RUNNING")
        return {"BrokerArn": arn, "BrokerId": broker_id}

    def _enter_later(self, record: BrokerRecord, state: str) -> None:
        if record.timer is not None:
            record.timer.cancel()
        record.timer = self.service.clock.call_later(self._delay(), self._enter, record, state)

    def _enter(self, record: BrokerRecord, state: str) -> None:
        record.timer = None
        if state == "RUNNING":
            self._apply_pending(record)
            record.plane.accepting = True
        record.state = state
        self.service.emit("state-entered", record.arn, state=state)

    def _apply_pending(self, record: BrokerRecord) -> None:
        pending = record.pending
        if "EngineVersion" in pending:
            record.engine_version = pending["EngineVersion"]
        if "HostInstanceType" in pending:
            record.instance_type = pending["HostInstanceType"]
        if "SecurityGroups" in pending:
            record.security_groups = pending["SecurityGroups"]
        if "Configuration" in pending:
            record.configuration = pending["Configuration"]
            self.apply_configuration(record)
        pending.clear()
        if record.spec.engine_type == "ACTIVEMQ":
            from .broker_users import BrokerUsers

            BrokerUsers.apply_pending(record)

    def apply_configuration(self, record: BrokerRecord) -> None:
        """Apply the settings the lab honours from the broker's configuration: RabbitMQ's
        consumer_timeout; ActiveMQ's redelivery plugin and dead-letter strategies."""
        from .rabbitmq.broker import DEFAULT_CONSUMER_TIMEOUT_MS

        if record.spec.engine_type == "ACTIVEMQ":
            record.plane.core.configure(self.service.configurations.activemq(record.configuration))
            return
        settings = self.service.configurations.settings(record.configuration)
        timeout = settings.get("consumer_timeout", "")
        record.plane.consumer_timeout_ms = (
            int(timeout) if timeout.isdigit() else DEFAULT_CONSUMER_TIMEOUT_MS
        )

    # -- describe / list ------------------------------------------------------------------------
    def describe(self, params: dict) -> dict:
        """DescribeBroker, with the lab's real loopback endpoints once RUNNING."""
        record = self.get(params["BrokerId"])
        instances = []
        if record.state in ("RUNNING", "REBOOT_IN_PROGRESS"):
            plane = record.plane
            instance: dict[str, Any] = {"Endpoints": list(plane.endpoints)}
            if plane.console_url:
                instance["ConsoleURL"] = plane.console_url
            instances = [instance]
        result: dict[str, Any] = {
            "AuthenticationStrategy": record.authentication_strategy,
            "AutoMinorVersionUpgrade": record.auto_minor_version_upgrade,
            "BrokerArn": record.arn,
            "BrokerId": record.id,
            "BrokerInstances": instances,
            "BrokerName": record.name,
            "BrokerState": record.state,
            "Configurations": self._configurations(record),
            "Created": datetime.fromtimestamp(record.created, UTC),
            "DeploymentMode": record.deployment_mode,
            "EncryptionOptions": dict(record.encryption),
            "EngineType": record.spec.engine_type,
            "EngineVersion": record.engine_version,
            "HostInstanceType": record.instance_type,
            "Logs": {"General": record.logs["General"]},
            "MaintenanceWindowStartTime": dict(record.maintenance),
            "PubliclyAccessible": record.publicly_accessible,
            "SecurityGroups": list(record.security_groups),
            "StorageType": record.storage_type,
            "SubnetIds": list(record.subnet_ids),
            "Tags": self.service.tags.get(record.arn),
            "Users": self._user_summaries(record),
            "DataReplicationMode": "NONE",
        }
        pending = record.pending
        for key in ("EngineVersion", "HostInstanceType", "SecurityGroups"):
            if key in pending:
                result[f"Pending{key}"] = pending[key]
        return result

    @staticmethod
    def _user_summaries(record: BrokerRecord) -> list[dict[str, Any]]:
        if not record.user_details:
            return [{"Username": name} for name in record.users]
        return [
            {"Username": name, **({"PendingChange": u.pending} if u.pending else {})}
            for name, u in record.user_details.items()
        ]

    def _configurations(self, record: BrokerRecord) -> dict[str, Any]:
        found: dict[str, Any] = {"History": []}
        if record.configuration is not None:
            found["Current"] = dict(record.configuration)
        if "Configuration" in record.pending:
            found["Pending"] = dict(record.pending["Configuration"])
        return found

    def list(self, params: dict) -> dict:
        """ListBrokers (summaries, paginated)."""
        summaries = [
            {
                "BrokerArn": r.arn,
                "BrokerId": r.id,
                "BrokerName": r.name,
                "BrokerState": r.state,
                "Created": datetime.fromtimestamp(r.created, UTC),
                "DeploymentMode": r.deployment_mode,
                "EngineType": r.spec.engine_type,
                "HostInstanceType": r.instance_type,
            }
            for r in self.brokers.values()
        ]
        chunk, token = page(summaries, params)
        result: dict[str, Any] = {"BrokerSummaries": chunk}
        if token:
            result["NextToken"] = token
        return result

    # -- update / reboot / delete ------------------------------------------------------------------
    def update(self, params: dict) -> dict:
        """UpdateBroker: changes wait (Pending…) until the next reboot, as on AWS."""
        record = self.get(params["BrokerId"])
        spec = record.spec
        changes: dict[str, Any] = {}
        if "EngineVersion" in params:
            if params["EngineVersion"] not in spec.versions:
                raise bad_request(
                    f"Broker engine version [{params['EngineVersion']}] is not supported.",
                    "engineVersion",
                )
            changes["EngineVersion"] = params["EngineVersion"]
        if "HostInstanceType" in params:
            instance = params["HostInstanceType"]
            if instance not in spec.instance_types or (
                instance == "mq.t3.micro" and record.deployment_mode != "SINGLE_INSTANCE"
            ):
                raise bad_request(
                    f"Broker instance type [{instance}] is not supported.", "hostInstanceType"
                )
            changes["HostInstanceType"] = instance
        if "SecurityGroups" in params:
            changes["SecurityGroups"] = list(params["SecurityGroups"])
        if params.get("Configuration"):
            changes["Configuration"] = self.service.configurations.reference(
                params["Configuration"], spec.engine_type
            )
        if params.get("AuthenticationStrategy", "SIMPLE") != "SIMPLE":
            raise bad_request(
                "The lab's brokers authenticate SIMPLE users only.",
                "authenticationStrategy",
            )
        record.pending.update(changes)
        if "AutoMinorVersionUpgrade" in params:
            record.auto_minor_version_upgrade = params["AutoMinorVersionUpgrade"]
        if "Logs" in params:
            record.logs["General"] = bool(params["Logs"].get("General", False))
        if "MaintenanceWindowStartTime" in params:
            record.maintenance = dict(params["MaintenanceWindowStartTime"])
        result: dict[str, Any] = {
            "BrokerId": record.id,
            "AuthenticationStrategy": record.authentication_strategy,
            "AutoMinorVersionUpgrade": record.auto_minor_version_upgrade,
            "Logs": {"General": record.logs["General"]},
            "MaintenanceWindowStartTime": dict(record.maintenance),
        }
        for key, value in changes.items():
            result[key] = value
        return result

    def reboot(self, params: dict) -> dict:
        """RebootBroker: REBOOT_IN_PROGRESS (clients dropped), then RUNNING with pending changes."""
        record = self.get(params["BrokerId"])
        if record.state != "RUNNING":
            raise bad_request(
                f"Broker [{record.id}] is in state [{record.state}]; only a RUNNING broker can be "
                "rebooted.",
                "broker-id",
            )
        record.state = "REBOOT_IN_PROGRESS"
        record.plane.accepting = False
        record.plane.drop_connections("reboot")
        self.service.emit("state-entered", record.arn, state=record.state)
        self._enter_later(record, "RUNNING")
        return {}

    async def delete(self, params: dict) -> dict:
        """DeleteBroker: listener closed and data freed now; the record goes after a while."""
        record = self.get(params["BrokerId"])
        if record.state == "DELETION_IN_PROGRESS":
            return {"BrokerId": record.id}
        record.state = "DELETION_IN_PROGRESS"
        await record.plane.close()
        self.service.emit("state-entered", record.arn, state=record.state)
        if record.timer is not None:
            record.timer.cancel()
        record.timer = self.service.clock.call_later(self._delay(), self._forget, record)
        return {"BrokerId": record.id}

    def _forget(self, record: BrokerRecord) -> None:
        record.timer = None
        if self.brokers.get(record.id) is record:
            del self.brokers[record.id]
            self.service.tags.drop(record.arn)
            self.service.emit("deleted", record.arn)

    async def close(self) -> None:
        """The lab is closing: stop every broker."""
        for record in self.brokers.values():
            if record.timer is not None:
                record.timer.cancel()
            if record.plane is not None:
                await record.plane.close()
