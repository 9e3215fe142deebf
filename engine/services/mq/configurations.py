"""Broker configurations and their revisions: a RabbitMQ `rabbitmq.conf`, an ActiveMQ activemq.xml."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from .engines import ENGINES
from .errors import bad_request, conflict, not_found, page

if TYPE_CHECKING:
    from .activemq.config import ActiveConfig
    from .service import MqService

#: What AWS puts in revision 1 of a new RabbitMQ configuration.
DEFAULT_RABBITMQ_CONF = (
    "# Default RabbitMQ delivery acknowledgement timeout is 30 minutes in milliseconds\n"
    "consumer_timeout = 1800000\n"
)
_ENGINE_NAMES = {"RABBITMQ": "RabbitMQ", "ACTIVEMQ": "ActiveMQ"}
_NAME = re.compile(r"[A-Za-z0-9_-]{1,150}")
_CONF_LINE = re.compile(r"\s*(#.*)?|\s*[A-Za-z0-9_.$-]+\s*=\s*\S.*")


@dataclass(slots=True)
class Revision:
    """One revision of a configuration."""

    number: int
    created: float
    description: str
    data: str


@dataclass(slots=True)
class ConfigurationRecord:
    """A configuration and its revisions."""

    id: str
    arn: str
    name: str
    engine_type: str
    engine_version: str
    created: float
    authentication_strategy: str
    revisions: list[Revision] = field(default_factory=list)


def _default_data(engine_type: str) -> str:
    """Revision 1 of a new configuration: Amazon MQ's default for the engine."""
    if engine_type == "ACTIVEMQ":
        from .activemq.config import DEFAULT_ACTIVEMQ_XML

        return DEFAULT_ACTIVEMQ_XML
    return DEFAULT_RABBITMQ_CONF


def _check_rabbit_conf(text: str) -> None:
    """Every line of a rabbitmq.conf is `key = value`, a comment or blank."""
    for number, line in enumerate(text.splitlines(), 1):
        if not _CONF_LINE.fullmatch(line):
            raise bad_request(
                f"Line {number} of the configuration is not `key = value`: {line[:80]}",
                "data",
            )


class Configurations:
    """The configuration operations of the `mq` service."""

    def __init__(self, service: MqService) -> None:
        self.service = service
        self.items: dict[str, ConfigurationRecord] = {}

    def get(self, configuration_id: str) -> ConfigurationRecord:
        """A configuration by id; NotFoundException otherwise."""
        record = self.items.get(configuration_id)
        if record is None:
            raise not_found(
                f"Can't find requested configuration [{configuration_id}]. Make sure your "
                "configuration exists.",
                "configuration-id",
            )
        return record

    def reference(self, given: dict, engine_type: str) -> dict[str, Any]:
        """A broker's `Configuration` {Id, Revision}, checked against what exists."""
        record = self.get(given.get("Id", ""))
        if record.engine_type != engine_type:
            raise bad_request(
                f"Configuration [{record.id}] is for engine type [{record.engine_type}], not "
                f"[{engine_type}].",
                "configuration",
            )
        revision = given.get("Revision", record.revisions[-1].number)
        if not 1 <= revision <= len(record.revisions):
            raise not_found(
                f"Can't find requested revision [{revision}] of configuration [{record.id}].",
                "configuration",
            )
        return {"Id": record.id, "Revision": revision}

    def settings(self, reference: dict[str, Any] | None) -> dict[str, str]:
        """The `key = value` settings of a broker's configuration revision (empty without one)."""
        if not reference:
            return {}
        record = self.items.get(reference.get("Id", ""))
        if record is None:
            return {}
        revision = record.revisions[int(reference.get("Revision", len(record.revisions))) - 1]
        found: dict[str, str] = {}
        for line in revision.data.splitlines():
            key, sep, value = line.partition("=")
            if sep and not key.strip().startswith("#"):
                found[key.strip()] = value.strip()
        return found

    def _latest(self, record: ConfigurationRecord) -> dict[str, Any]:
        last = record.revisions[-1]
        return {
            "Created": datetime.fromtimestamp(last.created, UTC),
            "Description": last.description,
            "Revision": last.number,
        }

    def create(self, params: dict) -> dict:
        """CreateConfiguration (revision 1 holds AWS's default rabbitmq.conf)."""
        name = params["Name"]
        engine_type = params["EngineType"]
        spec = ENGINES[engine_type]
        if not _NAME.fullmatch(name):
            raise bad_request(
                "Configuration name must be 1-150 characters long and contain only alphanumeric "
                "characters, dashes and underscores.",
                "name",
            )
        if spec.factory is None:
            raise bad_request(spec.not_emulated, "engineType")
        version = params.get("EngineVersion") or spec.default_version
        if version not in spec.versions:
            raise bad_request(
                f"Broker engine version [{version}] is not supported.", "engineVersion"
            )
        if any(c.name == name for c in self.items.values()):
            raise conflict(f"Configuration with name [{name}] already exists.", "name")
        service = self.service
        configuration_id = f"c-{service.ids.uuid()}"
        now = service.clock.now()
        record = ConfigurationRecord(
            configuration_id,
            service.arn(f"configuration:{configuration_id}"),
            name,
            engine_type,
            version,
            now,
            params.get("AuthenticationStrategy", "SIMPLE"),
            [
                Revision(
                    1,
                    now,
                    f"Auto-generated default for {name} on {_ENGINE_NAMES[engine_type]} {version}",
                    _default_data(engine_type),
                )
            ],
        )
        self.items[configuration_id] = record
        service.tags.set(record.arn, params.get("Tags") or {})
        return {
            "Arn": record.arn,
            "AuthenticationStrategy": record.authentication_strategy,
            "Created": datetime.fromtimestamp(now, UTC),
            "Id": record.id,
            "LatestRevision": self._latest(record),
            "Name": name,
        }

    def describe(self, params: dict) -> dict:
        """DescribeConfiguration."""
        record = self.get(params["ConfigurationId"])
        return {
            "Arn": record.arn,
            "AuthenticationStrategy": record.authentication_strategy,
            "Created": datetime.fromtimestamp(record.created, UTC),
            "Description": record.revisions[-1].description,
            "EngineType": record.engine_type,
            "EngineVersion": record.engine_version,
            "Id": record.id,
            "LatestRevision": self._latest(record),
            "Name": record.name,
            "Tags": self.service.tags.get(record.arn),
        }

    def list(self, params: dict) -> dict:
        """ListConfigurations."""
        described = [self.describe({"ConfigurationId": c}) for c in self.items]
        chunk, token = page(described, params)
        result: dict[str, Any] = {
            "Configurations": chunk,
            "MaxResults": params.get("MaxResults", 100),
        }
        if token:
            result["NextToken"] = token
        return result

    def update(self, params: dict) -> dict:
        """UpdateConfiguration: a new revision from base64 rabbitmq.conf or activemq.xml data.

        ActiveMQ XML is sanitized as Amazon MQ does it: what is not permitted is removed, and
        each removal comes back as a warning.
        """
        record = self.get(params["ConfigurationId"])
        try:
            text = base64.b64decode(params["Data"], validate=True).decode("utf-8")
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise bad_request("Configuration data must be base64-encoded UTF-8.", "data") from None
        warnings: list[dict[str, str]] = []
        if record.engine_type == "ACTIVEMQ":
            from .activemq.config import ConfigurationError, sanitize

            try:
                text, warnings = sanitize(text)
            except ConfigurationError as error:
                raise bad_request(str(error), "data") from None
        else:
            _check_rabbit_conf(text)
        revision = Revision(
            len(record.revisions) + 1,
            self.service.clock.now(),
            params.get("Description", ""),
            text,
        )
        record.revisions.append(revision)
        return {
            "Arn": record.arn,
            "Created": datetime.fromtimestamp(record.created, UTC),
            "Id": record.id,
            "LatestRevision": self._latest(record),
            "Name": record.name,
            "Warnings": warnings,
        }

    def activemq(self, reference: dict[str, Any] | None) -> ActiveConfig | None:
        """The parsed ActiveMQ configuration revision a broker names (None without one)."""
        if not reference:
            return None
        record = self.items.get(reference.get("Id", ""))
        if record is None or record.engine_type != "ACTIVEMQ":
            return None
        from .activemq.config import parse

        revision = record.revisions[int(reference.get("Revision", len(record.revisions))) - 1]
        return parse(revision.data)

    def revision(self, params: dict) -> dict:
        """DescribeConfigurationRevision."""
        record = self.get(params["ConfigurationId"])
        raw = params["ConfigurationRevision"]
        if not raw.isdigit() or not 1 <= int(raw) <= len(record.revisions):
            raise not_found(
                f"Can't find requested revision [{raw}] of configuration [{record.id}].",
                "configuration-revision",
            )
        revision = record.revisions[int(raw) - 1]
        return {
            "ConfigurationId": record.id,
            "Created": datetime.fromtimestamp(revision.created, UTC),
            "Data": base64.b64encode(revision.data.encode()).decode(),
            "Description": revision.description,
        }

    def revisions(self, params: dict) -> dict:
        """ListConfigurationRevisions."""
        record = self.get(params["ConfigurationId"])
        items = [
            {
                "Created": datetime.fromtimestamp(r.created, UTC),
                "Description": r.description,
                "Revision": r.number,
            }
            for r in record.revisions
        ]
        chunk, token = page(items, params)
        result: dict[str, Any] = {
            "ConfigurationId": record.id,
            "MaxResults": params.get("MaxResults", 100),
            "Revisions": chunk,
        }
        if token:
            result["NextToken"] = token
        return result

    def delete(self, params: dict) -> dict:
        """DeleteConfiguration (refused while a broker uses it)."""
        record = self.get(params["ConfigurationId"])
        for broker in self.service.brokers.brokers.values():
            used = [broker.configuration, broker.pending.get("Configuration")]
            if any(c and c.get("Id") == record.id for c in used):
                raise conflict(
                    f"Configuration [{record.id}] is in use by broker [{broker.id}].",
                    "configuration-id",
                )
        del self.items[record.id]
        self.service.tags.drop(record.arn)
        return {"ConfigurationId": record.id}
