"""Amazon MQ's user APIs for ActiveMQ brokers: changes wait as pending until the broker reboots."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import bad_request, conflict, not_found, page
from .users import check_activemq_user, check_password

if TYPE_CHECKING:
    from .brokers import BrokerRecord
    from .service import MqService


@dataclass(slots=True)
class BrokerUser:
    """One ActiveMQ broker user as Amazon MQ keeps it (current values and a pending change)."""

    password: str
    console_access: bool = False
    groups: list[str] = field(default_factory=list)
    replication_user: bool = False
    pending: str | None = None  # CREATE | UPDATE | DELETE
    pending_values: dict[str, Any] = field(default_factory=dict)


class BrokerUsers:
    """Create/Update/Delete/Describe/ListUsers (ActiveMQ brokers only, as on AWS)."""

    def __init__(self, service: MqService) -> None:
        self.service = service

    def _broker(self, params: dict) -> BrokerRecord:
        record = self.service.brokers.get(params["BrokerId"])
        if record.spec.engine_type != "ACTIVEMQ":
            raise bad_request(
                f"Broker [{record.id}] is a RabbitMQ broker: its users are managed in RabbitMQ "
                "(the management API on its console URL), not through the Amazon MQ user APIs.",
                "broker-id",
            )
        return record

    def _user(self, record: BrokerRecord, username: str) -> BrokerUser:
        user = record.user_details.get(username)
        if user is None:
            raise not_found(f"User [{username}] does not exist.", "username")
        return user

    @staticmethod
    def _groups(params: dict) -> list[str]:
        groups = list(params.get("Groups") or [])
        for group in groups:
            if not 2 <= len(group) <= 100:
                raise bad_request(f"Group name [{group}] must be 2-100 characters long.", "groups")
        if len(groups) > 20:
            raise bad_request("A user can belong to at most 20 groups.", "groups")
        return groups

    def create(self, params: dict) -> dict:
        """CreateUser: pending CREATE until the next reboot."""
        record = self._broker(params)
        username = params["Username"]
        problem = check_activemq_user(username, params["Password"])
        if problem:
            raise bad_request(problem, "username")
        if username in record.user_details:
            raise conflict(f"User [{username}] already exists.", "username")
        groups = self._groups(params)
        record.user_details[username] = BrokerUser(
            params["Password"],
            pending="CREATE",
            pending_values={
                "ConsoleAccess": bool(params.get("ConsoleAccess", False)),
                "Groups": groups,
                "ReplicationUser": bool(params.get("ReplicationUser", False)),
            },
        )
        return {}

    def update(self, params: dict) -> dict:
        """UpdateUser: pending UPDATE (a pending CREATE stays a CREATE with the new values)."""
        record = self._broker(params)
        user = self._user(record, params["Username"])
        if "Password" in params:
            problem = check_password(params["Password"])
            if problem:
                raise bad_request(problem, "password")
        values = dict(user.pending_values)
        if "ConsoleAccess" in params:
            values["ConsoleAccess"] = bool(params["ConsoleAccess"])
        if "Groups" in params:
            values["Groups"] = self._groups(params)
        if "ReplicationUser" in params:
            values["ReplicationUser"] = bool(params["ReplicationUser"])
        if "Password" in params:
            values["Password"] = params["Password"]
        user.pending_values = values
        if user.pending != "CREATE":
            user.pending = "UPDATE"
        return {}

    def delete(self, params: dict) -> dict:
        """DeleteUser: pending DELETE (a user never applied is simply dropped)."""
        record = self._broker(params)
        user = self._user(record, params["Username"])
        if user.pending == "CREATE":
            del record.user_details[params["Username"]]
        else:
            user.pending = "DELETE"
        return {}

    def describe(self, params: dict) -> dict:
        """DescribeUser: current values, and the pending change when there is one."""
        record = self._broker(params)
        user = self._user(record, params["Username"])
        result: dict[str, Any] = {
            "BrokerId": record.id,
            "Username": params["Username"],
            "ConsoleAccess": user.console_access,
            "Groups": list(user.groups),
            "ReplicationUser": user.replication_user,
        }
        if user.pending:
            result["Pending"] = {
                "ConsoleAccess": user.pending_values.get("ConsoleAccess", user.console_access),
                "Groups": list(user.pending_values.get("Groups", user.groups)),
                "PendingChange": user.pending,
            }
        return result

    def list(self, params: dict) -> dict:
        """ListUsers (paginated)."""
        record = self._broker(params)
        items = [
            {"Username": name, **({"PendingChange": u.pending} if u.pending else {})}
            for name, u in record.user_details.items()
        ]
        chunk, token = page(items, params)
        result: dict[str, Any] = {"BrokerId": record.id, "MaxResults": len(chunk), "Users": chunk}
        if token:
            result["NextToken"] = token
        return result

    @staticmethod
    def apply_pending(record: BrokerRecord) -> None:
        """The broker rebooted: pending user changes take effect (and reach the data plane)."""
        for name, user in list(record.user_details.items()):
            if user.pending == "DELETE":
                del record.user_details[name]
                continue
            if user.pending:
                values = user.pending_values
                user.password = values.get("Password", user.password)
                user.console_access = values.get("ConsoleAccess", user.console_access)
                user.groups = list(values.get("Groups", user.groups))
                user.replication_user = values.get("ReplicationUser", user.replication_user)
                user.pending, user.pending_values = None, {}
        record.users = {name: u.password for name, u in record.user_details.items()}
        if record.plane is not None:
            record.plane.users = dict(record.users)
