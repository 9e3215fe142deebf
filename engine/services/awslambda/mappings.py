"""Create/Get/Update/Delete/ListEventSourceMappings; pollers come from the esm registry."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from engine.topology import Edge

from .describe import conflict, invalid, not_found
from .esm import EventSourceMapping, EventSourcePoller, poller_for

if TYPE_CHECKING:
    from .service import LambdaService


def _filters(criteria: dict | None) -> tuple[list[dict], list[str]]:
    """Parse FilterCriteria; InvalidParameterValueException for a bad pattern."""
    texts = [f.get("Pattern", "") for f in (criteria or {}).get("Filters") or []]
    if not texts:
        return [], []
    from engine.patterns import validate_event_pattern

    patterns = []
    for text in texts:
        try:
            patterns.append(validate_event_pattern(text))
        except Exception:
            raise invalid("Invalid filter pattern definition.") from None
    return patterns, texts


class MappingOperations:
    """Event source mapping operations (mixed into LambdaService)."""

    def mappings_init(self: LambdaService) -> None:
        """Set up the mapping table."""
        self.mappings: dict[str, EventSourceMapping] = {}

    async def mappings_close(self: LambdaService) -> None:
        """Stop every poller."""
        for mapping in self.mappings.values():
            if mapping.poller is not None:
                await mapping.poller.stop()

    def _poller_class(self: LambdaService, source_arn: str) -> type[EventSourcePoller]:
        poller = poller_for(source_arn)
        if poller is None:
            raise invalid(f"Unsupported event source type for ARN {source_arn}")
        return poller

    def _describe_mapping(
        self: LambdaService, mapping: EventSourceMapping, state: str | None = None
    ) -> dict:
        source = (mapping.source_arn or "").split(":")[2:3]
        from_stream = source in (["kinesis"], ["dynamodb"])
        described: dict[str, Any] = {
            "UUID": mapping.uuid,
            "BatchSize": mapping.batch_size,
            "MaximumBatchingWindowInSeconds": mapping.batching_window,
            "EventSourceArn": mapping.source_arn,
            "FunctionArn": mapping.function_arn,
            "LastModified": datetime.fromtimestamp(mapping.last_modified, UTC),
            "State": state or mapping.state,
            "StateTransitionReason": "User action" if from_stream else "USER_INITIATED",
            "FunctionResponseTypes": list(mapping.response_types),
            "EventSourceMappingArn": mapping.arn,
        }
        poller = (
            mapping.poller.__class__
            if mapping.poller is not None
            else poller_for(mapping.source_arn)
        )
        # Stream mappings report their last result in every state; an SQS mapping only when
        # something is wrong (AWS words the two kinds differently).
        streaming = poller is not None and poller.streaming
        healthy_sqs = source == ["sqs"] and not mapping.last_result.startswith("PROBLEM")
        if streaming or (mapping.state == "Enabled" and state is None and not healthy_sqs):
            described["LastProcessingResult"] = mapping.last_result
        if mapping.filter_texts:
            described["FilterCriteria"] = {
                "Filters": [{"Pattern": t} for t in mapping.filter_texts]
            }
        if mapping.maximum_concurrency:
            described["ScalingConfig"] = {"MaximumConcurrency": mapping.maximum_concurrency}
        if poller is not None:
            described.update(poller.describe(mapping))
        if mapping.params.get("SelfManaged"):
            described.pop("EventSourceArn", None)  # a self-managed source has no ARN
        return described

    def _function_for_mapping(self: LambdaService, reference: str) -> tuple[str, str, int]:
        function, qualifier = self._qualified(reference, None)
        if qualifier:
            version = function.version(qualifier)
            if version is None and qualifier in function.aliases:
                version = function.version(function.aliases[qualifier].version)
            if version is None:
                raise not_found(f"Function not found: {function.arn}:{qualifier}")
            return function.name, f"{function.arn}:{qualifier}", version.timeout
        return function.name, function.arn, function.latest.timeout

    def _check_batching(
        self: LambdaService, poller: type[EventSourcePoller], batch: int, window: int
    ) -> None:
        if not 1 <= batch <= poller.max_batch_size:
            raise invalid(f"BatchSize must be between 1 and {poller.max_batch_size}.")
        if batch > 10 and window < 1 and poller.default_batch_size == 10:
            raise invalid(
                "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
                "greater than 10"
            )

    def create_event_source_mapping(self: LambdaService, params: dict) -> dict:
        """CreateEventSourceMapping (State is Creating, then Enabled)."""
        source = params.get("EventSourceArn")
        if not source and params.get("SelfManagedEventSource"):
            # Self-managed Kafka: the bootstrap servers name a broker of the lab.
            from engine.services.kafka.esm import self_managed_source

            source = self_managed_source(self, params)
            params = {**params, "EventSourceArn": source}
        if not source:
            raise invalid("Unrecognized event source, must be kinesis, dynamodb stream or sqs.")
        poller_class = self._poller_class(source)
        name, function_arn, timeout = self._function_for_mapping(params["FunctionName"])
        batch = params.get("BatchSize", poller_class.default_batch_size)
        window = params.get("MaximumBatchingWindowInSeconds", 0)
        self._check_batching(poller_class, batch, window)
        patterns, texts = _filters(params.get("FilterCriteria"))
        if hasattr(poller_class, "check_duplicate"):  # Kafka: endpoints, function and topics
            poller_class.check_duplicate(self, params, function_arn)
        for existing in self.mappings.values():
            if hasattr(poller_class, "check_duplicate"):
                break
            if existing.source_arn == source and existing.function_arn == function_arn:
                kind = source.split(":")[2].upper()
                raise conflict(
                    f'An event source mapping with {kind} arn (" {source} ") and function '
                    f'(" {name} ") already exists. Please update or delete the existing mapping '
                    f"with UUID {existing.uuid}"
                )
        extra = poller_class.validate(self, params, timeout)
        poller_class.check_role(self, self.functions[name], source)
        uuid = self.ids.uuid()
        mapping = EventSourceMapping(
            uuid=uuid,
            arn=self.arn(f"event-source-mapping:{uuid}"),
            source_arn=source,
            function_name=name,
            function_arn=function_arn,
            qualifier=None,
            batch_size=batch,
            batching_window=window,
            enabled=params.get("Enabled", True),
            filters=patterns,
            filter_texts=texts,
            response_types=list(params.get("FunctionResponseTypes") or []),
            maximum_concurrency=(params.get("ScalingConfig") or {}).get("MaximumConcurrency"),
            last_modified=self.clock.now(),
            params=copy.deepcopy(extra),
            request=copy.deepcopy(params),
            state="Enabled" if params.get("Enabled", True) else "Disabled",
        )
        mapping.poller = poller_class(self, mapping)
        self.mappings[uuid] = mapping
        if mapping.enabled:
            mapping.poller.start()
        self.emit("created", mapping.arn, source=source, function=function_arn)
        return self._describe_mapping(mapping, "Creating")

    def _mapping(self: LambdaService, uuid: str) -> EventSourceMapping:
        mapping = self.mappings.get(uuid)
        if mapping is None:
            raise not_found("The resource you requested does not exist.")
        return mapping

    def get_event_source_mapping(self: LambdaService, params: dict) -> dict:
        """GetEventSourceMapping."""
        return self._describe_mapping(self._mapping(params["UUID"]))

    async def update_event_source_mapping(self: LambdaService, params: dict) -> dict:
        """UpdateEventSourceMapping: batching, filters, function, enabled, scaling."""
        mapping = self._mapping(params["UUID"])
        poller_class = (
            type(mapping.poller)
            if mapping.poller is not None
            else self._poller_class(mapping.source_arn)
        )
        batch = params.get("BatchSize", mapping.batch_size)
        window = params.get("MaximumBatchingWindowInSeconds", mapping.batching_window)
        self._check_batching(poller_class, batch, window)
        if "FilterCriteria" in params:
            patterns, texts = _filters(params["FilterCriteria"])
        else:
            patterns, texts = mapping.filters, mapping.filter_texts
        if "FunctionName" in params:
            name, function_arn, _ = self._function_for_mapping(params["FunctionName"])
        else:
            name, function_arn = mapping.function_name, mapping.function_arn
        restart = False
        source_settings = {
            k: v
            for k, v in params.items()
            if k not in ("UUID", "FunctionName", "Enabled", "BatchSize", "FilterCriteria")
        }
        if source_settings:
            # Source-specific settings (retries, bisect, parallelization …) are re-checked with
            # the mapping's original request, then handed to a restarted poller.
            merged = {**mapping.request, **source_settings, "EventSourceArn": mapping.source_arn}
            _, _, timeout = self._function_for_mapping(mapping.function_name)
            mapping.params = copy.deepcopy(poller_class.validate(self, merged, timeout))
            mapping.request = merged
            restart = True
        mapping.batch_size = batch
        mapping.batching_window = window
        mapping.filters, mapping.filter_texts = patterns, texts
        mapping.function_name, mapping.function_arn = name, function_arn
        if "FunctionResponseTypes" in params:
            mapping.response_types = list(params["FunctionResponseTypes"])
        if "ScalingConfig" in params:
            mapping.maximum_concurrency = (params["ScalingConfig"] or {}).get("MaximumConcurrency")
            restart = True
        mapping.last_modified = self.clock.now()
        enabled = params.get("Enabled", mapping.enabled)
        if mapping.poller is not None and (restart or enabled != mapping.enabled):
            await mapping.poller.stop()
            if enabled:
                mapping.poller.start()
        mapping.enabled = enabled
        mapping.state = "Enabled" if enabled else "Disabled"
        return self._describe_mapping(mapping, "Updating")

    async def delete_event_source_mapping(self: LambdaService, params: dict) -> dict:
        """DeleteEventSourceMapping (State is Deleting)."""
        mapping = self._mapping(params["UUID"])
        if mapping.poller is not None:
            await mapping.poller.stop()
        del self.mappings[mapping.uuid]
        self.emit("deleted", mapping.arn)
        return self._describe_mapping(mapping, "Deleting")

    def list_event_source_mappings(self: LambdaService, params: dict) -> dict:
        """ListEventSourceMappings, filtered by source and/or function."""
        source = params.get("EventSourceArn")
        function = None
        if params.get("FunctionName"):
            function = self.get_function_named(params["FunctionName"]).name
        found = [
            self._describe_mapping(m)
            for m in self.mappings.values()
            if (source is None or m.source_arn == source)
            and (function is None or m.function_name == function)
        ]
        return self.paginate(found, params, "EventSourceMappings")

    def mapping_edges(self: LambdaService) -> list[Edge]:
        """Topology edges: source → function for every mapping."""
        edges = []
        for mapping in self.mappings.values():
            function = self.functions.get(mapping.function_name)
            target = function.arn if function is not None else mapping.function_arn
            edges.append(
                Edge(
                    mapping.source_arn,
                    target,
                    "event-source-mapping",
                    f"batch {mapping.batch_size}" + ("" if mapping.enabled else " (disabled)"),
                    {
                        "invocations": mapping.invocations,
                        "records": mapping.records,
                        "errors": mapping.errors,
                        "filtered": mapping.filtered,
                    },
                )
            )
        return edges
