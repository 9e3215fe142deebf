"""EventBridge archives and replays, on the engine clock."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ...arn import parse_arn
from ...errors import ServiceError
from ...patterns import matches, parse_event_pattern
from .errors import already_exists, check_patterns, not_found, validation
from .models import Archive, ArchivedEvent, Bus, Replay
from .timefmt import epoch_of
from .transform import compact

if TYPE_CHECKING:
    from .service import EventsService

#: Seconds a replay spends STARTING before it sends events, and RUNNING before COMPLETED.
REPLAY_START_DELAY = 1.0
REPLAY_FINISH_DELAY = 1.0
_ACTIVE_REPLAY_STATES = ("STARTING", "RUNNING")
#: Seconds a cancelled replay spends CANCELLING.
REPLAY_CANCEL_DELAY = 1.0


def _with_replay_name(event: dict, name: str) -> dict:
    """The event as replayed: AWS puts "replay-name" right after "region"."""
    replayed: dict[str, Any] = {}
    for key, value in event.items():
        if key == "resources" and "replay-name" not in replayed:
            replayed["replay-name"] = name
        replayed[key] = value
    replayed.setdefault("replay-name", name)
    return replayed


def _stamp(epoch: float | None) -> datetime | None:
    return None if epoch is None else datetime.fromtimestamp(epoch, UTC)


class ArchiveOperations:
    """The archive and replay operations of EventsService."""

    def __init__(self, service: EventsService) -> None:
        self.service = service

    def cancel_replays(self) -> None:
        for replay in self.service.replays.values():
            if replay.timer is not None:
                replay.timer.cancel()

    def archive(self, bus: Bus, event: dict) -> None:
        """Keep `event` in every archive of `bus` whose pattern it matches."""
        if not self.service.archives:
            return
        for archive in self.service.archives.values():
            if archive.source_arn != bus.arn or archive.state != "ENABLED":
                continue
            if archive.compiled is not None and not matches(archive.compiled, event):
                continue
            archive.events.append(
                ArchivedEvent(self.service.clock.now(), event, len(compact(event).encode()))
            )

    def _prune(self, archive: Archive) -> None:
        """Drop events older than the archive's retention (0 days: keep forever)."""
        if archive.retention_days <= 0:
            return
        horizon = self.service.clock.now() - archive.retention_days * 86400
        keep = 0
        while keep < len(archive.events) and archive.events[keep].time < horizon:
            keep += 1
        if keep:
            del archive.events[:keep]

    def _archive_named(self, name: str) -> Archive:
        archive = self.service.archives.get(name)
        if archive is None:
            raise not_found(f"Archive {name} does not exist.")
        self._prune(archive)
        return archive

    # -- archives -------------------------------------------------------------------------
    def create_archive(self, params: dict) -> dict:
        name = params["ArchiveName"]
        check_patterns([(name, "archiveName", "name")])
        source = params["EventSourceArn"]
        if not any(bus.arn == source for bus in self.service.buses.values()):
            parsed = parse_arn(source)
            bus_name = parsed.resource_name if parsed else source
            raise not_found(f"Event bus {bus_name} does not exist.")
        if name in self.service.archives:
            raise already_exists(f"Archive {name} already exists.")
        compiled = None
        if params.get("EventPattern") is not None:
            _, compiled = parse_event_pattern(params["EventPattern"])
        now = self.service.clock.now()
        archive = Archive(
            name,
            self.service.arn(f"archive/{name}"),
            source,
            now,
            event_pattern=params.get("EventPattern"),
            compiled=compiled,
            description=params.get("Description"),
            retention_days=params.get("RetentionDays", 0),
        )
        self.service.archives[name] = archive
        self.service.emit("created", archive.arn, bus=source)
        return {"ArchiveArn": archive.arn, "State": archive.state, "CreationTime": _stamp(now)}

    def describe_archive(self, params: dict) -> dict:
        archive = self._archive_named(params["ArchiveName"])
        result: dict[str, Any] = {
            "ArchiveArn": archive.arn,
            "ArchiveName": archive.name,
            "EventSourceArn": archive.source_arn,
        }
        if archive.description is not None:
            result["Description"] = archive.description
        if archive.event_pattern is not None:
            result["EventPattern"] = archive.event_pattern
        result.update(
            State=archive.state,
            RetentionDays=archive.retention_days,
            SizeBytes=sum(e.size for e in archive.events),
            EventCount=len(archive.events),
            CreationTime=_stamp(archive.created),
        )
        return result

    def update_archive(self, params: dict) -> dict:
        if not any(k in params for k in ("EventPattern", "RetentionDays", "Description")):
            raise validation(
                "At least one of EventPattern, RetentionDays or Description must be provided."
            )
        archive = self._archive_named(params["ArchiveName"])
        compiled = archive.compiled
        if "EventPattern" in params:
            _, compiled = parse_event_pattern(params["EventPattern"])
            archive.event_pattern = params["EventPattern"]
            archive.compiled = compiled
        if "RetentionDays" in params:
            archive.retention_days = params["RetentionDays"]
        if "Description" in params:
            archive.description = params["Description"]
        return {
            "ArchiveArn": archive.arn,
            "State": archive.state,
            "CreationTime": _stamp(archive.created),
        }

    def delete_archive(self, params: dict) -> dict:
        archive = self._archive_named(params["ArchiveName"])
        del self.service.archives[archive.name]
        self.service.emit("deleted", archive.arn)
        return {}

    def list_archives(self, params: dict) -> dict:
        prefix = params.get("NamePrefix", "")
        source = params.get("EventSourceArn")
        if source is not None and not any(bus.arn == source for bus in self.service.buses.values()):
            parsed = parse_arn(source)
            raise not_found(
                f"Event bus {parsed.resource_name if parsed else source} does not exist."
            )
        chosen = []
        for name in sorted(self.service.archives):
            archive = self.service.archives[name]
            if not name.startswith(prefix):
                continue
            if "EventSourceArn" in params and archive.source_arn != params["EventSourceArn"]:
                continue
            if "State" in params and archive.state != params["State"]:
                continue
            self._prune(archive)
            chosen.append(
                {
                    "ArchiveName": archive.name,
                    "EventSourceArn": archive.source_arn,
                    "State": archive.state,
                    "RetentionDays": archive.retention_days,
                    "SizeBytes": sum(e.size for e in archive.events),
                    "EventCount": len(archive.events),
                    "CreationTime": _stamp(archive.created),
                }
            )
        page, token = self.service.page(chosen, params)
        result: dict[str, Any] = {"Archives": page}
        if token:
            result["NextToken"] = token
        return result

    # -- replays --------------------------------------------------------------------------
    def start_replay(self, params: dict) -> dict:
        name = params["ReplayName"]
        check_patterns([(name, "replayName", "name")])
        source = params["EventSourceArn"]
        archive = next((a for a in self.service.archives.values() if a.arn == source), None)
        if archive is None:
            parsed = parse_arn(source)
            archive_name = parsed.resource_name if parsed else source
            raise validation(
                f"Parameter EventSourceArn is not valid. Reason: Archive {archive_name} does not exist."
            )
        start = epoch_of(params["EventStartTime"])
        end = epoch_of(params["EventEndTime"])
        if start >= end:
            raise validation(
                "Parameter EventEndTime is not valid. Reason: EventStartTime must be before EventEndTime."
            )
        destination = params["Destination"]
        if not any(bus.arn == destination["Arn"] for bus in self.service.buses.values()):
            parsed = parse_arn(destination["Arn"])
            bus_name = parsed.resource_name if parsed else destination["Arn"]
            raise not_found(f"Event bus {bus_name} does not exist.")
        if destination["Arn"] != archive.source_arn:
            raise validation(
                "Parameter Destination.Arn is not valid. Reason: Cross event bus replay is not permitted."
            )
        if name in self.service.replays:
            raise already_exists(f"Replay {name} already exists.")
        now = self.service.clock.now()
        replay = Replay(
            name,
            self.service.arn(f"replay/{name}"),
            source,
            json.loads(json.dumps(destination)),
            start,
            end,
            description=params.get("Description"),
            replay_start=now,
        )
        self.service.replays[name] = replay
        replay.timer = self.service.clock.call_later(REPLAY_START_DELAY, self._run_replay, replay)
        self.service.emit("created", replay.arn, archive=archive.arn)
        return {"ReplayArn": replay.arn, "State": replay.state, "ReplayStartTime": _stamp(now)}

    def _run_replay(self, replay: Replay) -> None:
        """Send the archived events of the window to the destination bus's rules, in order."""
        replay.timer = None
        archive = next(
            (a for a in self.service.archives.values() if a.arn == replay.source_arn), None
        )
        bus = next(
            (b for b in self.service.buses.values() if b.arn == replay.destination["Arn"]), None
        )
        if archive is None or bus is None:
            replay.state = "FAILED"
            replay.state_reason = "The archive or the destination event bus no longer exists."
            replay.replay_end = self.service.clock.now()
            return
        replay.state = "RUNNING"
        self._prune(archive)
        filters = set(replay.destination.get("FilterArns") or []) or {
            r.arn for r in bus.rules.values()
        }
        for archived in archive.events:
            if not replay.start <= archived.time < replay.end:
                continue
            event = _with_replay_name(archived.event, replay.name)
            self.service.accept(
                bus, event, self.service.ids.trace_id(self.service.clock.now()), rule_filter=filters
            )
            replay.last_replayed = archived.time
        replay.timer = self.service.clock.call_later(
            REPLAY_FINISH_DELAY, self._finish_replay, replay
        )

    def _finish_replay(self, replay: Replay) -> None:
        replay.timer = None
        if replay.state == "RUNNING":
            replay.state = "COMPLETED"
            replay.replay_end = self.service.clock.now()

    def cancel_replay(self, params: dict) -> dict:
        replay = self.service.replays.get(params["ReplayName"])
        if replay is None:
            raise not_found(f"Replay {params['ReplayName']} does not exist.")
        if replay.state not in _ACTIVE_REPLAY_STATES:
            raise ServiceError(
                "IllegalStatusException",
                f"Replay {replay.name} is not in a valid state for this operation.",
            )
        if replay.timer is not None:
            replay.timer.cancel()
        replay.state = "CANCELLING"
        replay.timer = self.service.clock.call_later(REPLAY_CANCEL_DELAY, self._cancelled, replay)
        return {"ReplayArn": replay.arn, "State": "CANCELLING"}

    def _cancelled(self, replay: Replay) -> None:
        replay.timer = None
        replay.state = "CANCELLED"
        replay.replay_end = self.service.clock.now()

    def _replay_summary(self, replay: Replay) -> dict[str, Any]:
        result: dict[str, Any] = {
            "ReplayName": replay.name,
            "EventSourceArn": replay.source_arn,
            "State": replay.state,
        }
        if replay.state_reason:
            result["StateReason"] = replay.state_reason
        result["EventStartTime"] = _stamp(replay.start)
        result["EventEndTime"] = _stamp(replay.end)
        for key, value in (
            ("EventLastReplayedTime", replay.last_replayed),
            ("ReplayStartTime", replay.replay_start),
            ("ReplayEndTime", replay.replay_end),
        ):
            if value is not None:
                result[key] = _stamp(value)
        return result

    def describe_replay(self, params: dict) -> dict:
        replay = self.service.replays.get(params["ReplayName"])
        if replay is None:
            raise not_found(f"Replay {params['ReplayName']} does not exist.")
        result = self._replay_summary(replay)
        result["ReplayArn"] = replay.arn
        result["Destination"] = json.loads(json.dumps(replay.destination))
        if replay.description is not None:
            result["Description"] = replay.description
        return result

    def list_replays(self, params: dict) -> dict:
        prefix = params.get("NamePrefix", "")
        chosen = [
            self._replay_summary(self.service.replays[name])
            for name in sorted(self.service.replays)
            if name.startswith(prefix)
            and params.get("State", self.service.replays[name].state)
            == self.service.replays[name].state
            and params.get("EventSourceArn", self.service.replays[name].source_arn)
            == self.service.replays[name].source_arn
        ]
        page, token = self.service.page(chosen, params)
        result: dict[str, Any] = {"Replays": page}
        if token:
            result["NextToken"] = token
        return result

    # -- save / open ------------------------------------------------------------------------
    def dump(self) -> list[dict[str, Any]]:
        return [
            {
                "ArchiveName": a.name,
                "EventSourceArn": a.source_arn,
                "EventPattern": a.event_pattern,
                "Description": a.description,
                "RetentionDays": a.retention_days,
                "Events": [[e.time, e.event] for e in a.events],
            }
            for a in self.service.archives.values()
        ]

    def load(self, saved: list[dict[str, Any]]) -> None:
        for item in saved:
            params = {k: v for k, v in item.items() if v is not None and k != "Events"}
            self.create_archive(params)
            archive = self.service.archives[item["ArchiveName"]]
            archive.events = [
                ArchivedEvent(t, e, len(compact(e).encode())) for t, e in item["Events"]
            ]
