"""EventBridge rules and targets: PutRule, schedules on the clock, PutTargets, tags."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ...arn import parse_arn
from ...errors import ServiceError
from ...patterns import parse_event_pattern
from .errors import bus_not_found, check_patterns, not_found, rule_not_found, validation
from .models import DEFAULT_MAX_EVENT_AGE, DEFAULT_MAX_RETRY_ATTEMPTS, Bus, Rule, Target
from .schedule import Rate, ScheduleSyntaxError, parse_schedule
from .timefmt import iso_time
from .transform import PREDEFINED, is_json_path, placeholders

if TYPE_CHECKING:
    from .service import EventsService

#: AWS's quota of targets per rule.
MAX_TARGETS_PER_RULE = 5
_INPUT_KINDS = ("Input", "InputPath", "InputTransformer")


class RuleOperations:
    """The rule and target operations of EventsService."""

    def __init__(self, service: EventsService) -> None:
        self.service = service

    # -- rules ------------------------------------------------------------------------
    def _rule(self, name: str, bus_name: str | None) -> tuple[Bus, Rule]:
        bus = self.service.bus(bus_name)
        rule = bus.rules.get(name)
        if rule is None:
            raise rule_not_found(name, bus.name)
        return bus, rule

    def _rule_arn(self, bus: Bus, name: str) -> str:
        path = f"rule/{name}" if bus.name == "default" else f"rule/{bus.name}/{name}"
        return self.service.arn(path)

    def put_rule(self, params: dict) -> dict:
        name = params["Name"]
        check_patterns([(name, "name", "name")])
        bus = self.service.bus(params.get("EventBusName"))
        pattern_text = params.get("EventPattern")
        schedule_text = params.get("ScheduleExpression")
        if pattern_text is None and schedule_text is None:
            raise validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
        compiled = None
        if pattern_text is not None:
            _, compiled = parse_event_pattern(pattern_text)
        schedule = None
        if schedule_text is not None:
            if bus.name != "default":
                raise validation("ScheduleExpression is supported only on the default event bus.")
            try:
                schedule = parse_schedule(schedule_text)
            except ScheduleSyntaxError:
                raise validation("Parameter ScheduleExpression is not valid.") from None
        rule = bus.rules.get(name)
        created = rule is None
        if rule is None:
            rule = Rule(name, self._rule_arn(bus, name), bus.name)
            rule.tags = {t["Key"]: t["Value"] for t in params.get("Tags", [])}
            bus.rules[name] = rule
        rule.event_pattern = pattern_text
        rule.compiled = compiled
        rule.schedule_expression = schedule_text
        rule.schedule = schedule
        rule.schedule_start = self.service.clock.now()
        rule.state = params.get("State", "ENABLED")
        rule.description = params.get("Description")
        rule.role_arn = params.get("RoleArn")
        self._arm_rule(bus, rule)
        self.service.emit("created" if created else "updated", rule.arn, bus=bus.arn)
        return {"RuleArn": rule.arn}

    def _arm_rule(self, bus: Bus, rule: Rule) -> None:
        """Put the rule's pattern in the bus index and its schedule on the clock, per its state."""
        if rule.timer is not None:
            rule.timer.cancel()
            rule.timer = None
        if rule.enabled and rule.compiled is not None:
            bus.index.add(rule.name, rule.compiled)
        else:
            bus.index.remove(rule.name)
        if rule.enabled and rule.schedule is not None:
            self._schedule_next(rule)

    def _schedule_next(self, rule: Rule) -> None:
        now = self.service.clock.now()
        schedule = rule.schedule
        when = (
            schedule.next_after(now, rule.schedule_start)
            if isinstance(schedule, Rate)
            else schedule.next_after(now)
        )
        if when is not None:
            rule.timer = self.service.clock.call_at(when, self._fire_schedule, rule)

    def _fire_schedule(self, rule: Rule) -> None:
        rule.timer = None
        bus = self.service.buses.get(rule.bus_name)
        if bus is None or bus.rules.get(rule.name) is not rule or not rule.enabled:
            return
        if self.service.engine.hold.held:
            self._schedule_next(rule)  # paused lab: this firing is skipped
            return
        event = {
            "version": "0",
            "id": self.service.ids.uuid(),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self.service.account_id,
            "time": iso_time(self.service.clock.now()),
            "region": self.service.region,
            "resources": [rule.arn],
            "detail": {},
        }
        trace_id = self.service.ids.trace_id(self.service.clock.now())
        rule.matched += 1
        self.service.emit(
            "matched",
            rule.arn,
            message_id=event["id"],
            trace_id=trace_id,
            schedule=rule.schedule_expression,
        )
        self.service.start_deliveries(
            [(rule, target) for target in rule.targets.values()], event, trace_id
        )
        self._schedule_next(rule)

    def forget_rule(self, bus: Bus, rule: Rule) -> None:
        if rule.timer is not None:
            rule.timer.cancel()
            rule.timer = None
        bus.index.remove(rule.name)

    def delete_rule(self, params: dict) -> dict:
        bus = self.service.bus(params.get("EventBusName"))
        rule = bus.rules.get(params["Name"])
        if rule is None:
            return {}
        if rule.targets:
            raise validation("Rule can't be deleted since it has targets.")
        self.forget_rule(bus, rule)
        del bus.rules[rule.name]
        self.service.emit("deleted", rule.arn)
        return {}

    def _describe(self, rule: Rule) -> dict[str, Any]:
        result: dict[str, Any] = {"Name": rule.name, "Arn": rule.arn}
        if rule.event_pattern is not None:
            result["EventPattern"] = rule.event_pattern
        if rule.schedule_expression is not None:
            result["ScheduleExpression"] = rule.schedule_expression
        result["State"] = rule.state
        if rule.description is not None:
            result["Description"] = rule.description
        if rule.role_arn is not None:
            result["RoleArn"] = rule.role_arn
        result["EventBusName"] = rule.bus_name
        return result

    def describe_rule(self, params: dict) -> dict:
        _, rule = self._rule(params["Name"], params.get("EventBusName"))
        return {**self._describe(rule), "CreatedBy": self.service.account_id}

    def list_rules(self, params: dict) -> dict:
        bus = self.service.bus(params.get("EventBusName"))
        prefix = params.get("NamePrefix", "")
        names = sorted(n for n in bus.rules if n.startswith(prefix))
        page, token = self.service.page(names, params)
        result: dict[str, Any] = {"Rules": [self._describe(bus.rules[n]) for n in page]}
        if token:
            result["NextToken"] = token
        return result

    def _set_state(self, params: dict, state: str) -> dict:
        bus, rule = self._rule(params["Name"], params.get("EventBusName"))
        rule.state = state
        self._arm_rule(bus, rule)
        return {}

    def enable_rule(self, params: dict) -> dict:
        return self._set_state(params, "ENABLED")

    def disable_rule(self, params: dict) -> dict:
        return self._set_state(params, "DISABLED")

    def list_rule_names_by_target(self, params: dict) -> dict:
        bus = self.service.bus(params.get("EventBusName"))
        arn = params["TargetArn"]
        names = sorted(
            rule.name
            for rule in bus.rules.values()
            if any(t.arn == arn for t in rule.targets.values())
        )
        page, token = self.service.page(names, params)
        result: dict[str, Any] = {"RuleNames": page}
        if token:
            result["NextToken"] = token
        return result

    # -- targets -----------------------------------------------------------------------
    def _target_from(self, spec: dict, position: int = 1) -> Target:
        target_id = spec["Id"]
        check_patterns([(target_id, f"targets.{position}.member.id", "name")])
        given = [kind for kind in _INPUT_KINDS if spec.get(kind) is not None]
        if len(given) > 1:
            raise validation(
                f"Only one of Input, InputPath, or InputTransformer must be provided for target {target_id}."
            )
        if spec.get("Input") is not None:
            try:
                json.loads(spec["Input"])
            except ValueError:
                raise validation(
                    f"Parameter Input is not valid JSON text for target {target_id}."
                ) from None
        if spec.get("InputPath") is not None and not is_json_path(spec["InputPath"]):
            raise validation(f"Parameter InputPath is not valid for target {target_id}.")
        transformer = spec.get("InputTransformer")
        if transformer is not None:
            self._check_transformer(target_id, transformer)
        retry = spec.get("RetryPolicy") or {}
        return Target(
            id=target_id,
            arn=spec["Arn"],
            spec=json.loads(json.dumps(spec)),
            input=spec.get("Input"),
            input_path=spec.get("InputPath"),
            input_transformer=json.loads(json.dumps(transformer)) if transformer else None,
            max_retry_attempts=retry.get("MaximumRetryAttempts", DEFAULT_MAX_RETRY_ATTEMPTS),
            max_event_age=retry.get("MaximumEventAgeInSeconds", DEFAULT_MAX_EVENT_AGE),
            dead_letter_arn=(spec.get("DeadLetterConfig") or {}).get("Arn"),
        )

    @staticmethod
    def _check_transformer(target_id: str, transformer: dict) -> None:
        paths = transformer.get("InputPathsMap", {})
        if len(paths) > 100:
            raise validation("InputPathsMap can have at most 100 entries.")
        for key, path in paths.items():
            if key.startswith("aws."):
                raise validation(f"InputPathsMap key {key} is reserved for predefined variables.")
            if not is_json_path(path):
                raise validation(
                    f"Parameter InputPathsMap is not valid: {path} is not a valid JSONPath."
                )
        for name in placeholders(transformer["InputTemplate"]):
            if name not in paths and name not in PREDEFINED:
                raise validation(
                    f"InputTemplate for target {target_id} contains invalid placeholder {name}."
                )

    def put_targets(self, params: dict) -> dict:
        bus, rule = self._rule(params["Rule"], params.get("EventBusName"))
        targets = [
            self._target_from(spec, position) for position, spec in enumerate(params["Targets"], 1)
        ]
        new_ids = {t.id for t in targets} - set(rule.targets)
        if len(rule.targets) + len(new_ids) > MAX_TARGETS_PER_RULE:
            raise ServiceError(
                "LimitExceededException",
                "The requested resource exceeds the maximum number allowed.",
            )
        for target in targets:
            rule.targets[target.id] = target
            self.service.emit("updated", rule.arn, target=target.arn, target_id=target.id)
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def remove_targets(self, params: dict) -> dict:
        _, rule = self._rule(params["Rule"], params.get("EventBusName"))
        failed = []
        for target_id in params["Ids"]:
            if rule.targets.pop(target_id, None) is None:
                failed.append(
                    {
                        "TargetId": target_id,
                        "ErrorCode": "ResourceNotFoundException",
                        "ErrorMessage": f"Target {target_id} does not exist on rule {rule.name}.",
                    }
                )
        return {"FailedEntryCount": len(failed), "FailedEntries": failed}

    def list_targets_by_rule(self, params: dict) -> dict:
        _, rule = self._rule(params["Rule"], params.get("EventBusName"))
        specs = [json.loads(json.dumps(t.spec)) for t in rule.targets.values()]
        page, token = self.service.page(specs, params)
        result: dict[str, Any] = {"Targets": page}
        if token:
            result["NextToken"] = token
        return result

    # -- tags ----------------------------------------------------------------------------
    def _tagged(self, arn: str) -> dict[str, str]:
        parsed = parse_arn(arn)
        resource = parsed.resource if parsed else ""
        if resource.startswith("event-bus/"):
            name = resource[len("event-bus/") :]
            bus = self.service.buses.get(name)
            if bus is None or bus.arn != arn:
                raise bus_not_found(name)
            return bus.tags
        if resource.startswith("rule/"):
            parts = resource.split("/")
            bus_name, rule_name = ("default", parts[1]) if len(parts) == 2 else (parts[1], parts[2])
            bus = self.service.buses.get(bus_name)
            rule = bus.rules.get(rule_name) if bus else None
            if rule is None:
                raise rule_not_found(rule_name, bus_name)
            return rule.tags
        raise not_found(f"Resource {arn} does not exist.")

    def tag_resource(self, params: dict) -> dict:
        tags = self._tagged(params["ResourceARN"])
        tags.update({t["Key"]: t["Value"] for t in params["Tags"]})
        return {}

    def untag_resource(self, params: dict) -> dict:
        tags = self._tagged(params["ResourceARN"])
        for key in params["TagKeys"]:
            tags.pop(key, None)
        return {}

    def list_tags_for_resource(self, params: dict) -> dict:
        tags = self._tagged(params["ResourceARN"])
        return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
