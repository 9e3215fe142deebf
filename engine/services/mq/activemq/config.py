"""ActiveMQ configurations (activemq.xml) as Amazon MQ takes them: sanitized, then applied.

UpdateConfiguration parses the XML (defusedxml: no entity expansion), removes what Amazon MQ does
not permit and reports each removal as a `SanitizationWarning`. A broker applies its revision on
creation and reboot: the lab honours the redelivery plugin (per-destination and default
`redeliveryPolicy`) and each `policyEntry`'s dead-letter strategy (shared or individual,
`processExpired`, `processNonPersistent`). Other permitted elements are kept and ignored.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any

from defusedxml import ElementTree as SafeET
from defusedxml.common import DefusedXmlException

from .model import DLQ, QUEUE, TOPIC, Destination

NAMESPACE = "http://activemq.apache.org/schema/core"

#: What Amazon MQ puts in revision 1 of a new ActiveMQ configuration (trimmed).
DEFAULT_ACTIVEMQ_XML = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<broker xmlns="{NAMESPACE}">
  <!--
  A configuration contains all of the settings for your ActiveMQ broker, in XML format (similar
  to ActiveMQ's activemq.xml file). You can create a configuration before creating any brokers,
  then apply it to one or more brokers. Changes take effect when the broker reboots.
  -->
  <destinationPolicy>
    <policyMap>
      <policyEntries>
        <policyEntry topic="&gt;">
          <pendingMessageLimitStrategy>
            <constantPendingMessageLimitStrategy limit="3000"/>
          </pendingMessageLimitStrategy>
        </policyEntry>
      </policyEntries>
    </policyMap>
  </destinationPolicy>
  <plugins>
  </plugins>
</broker>
"""

_DESTINATION = {"queue", "topic", "tempQueue", "tempTopic"}
#: Attributes Amazon MQ permits on the elements the lab acts on.
ATTRIBUTES: dict[str, set[str]] = {
    "broker": {
        "advisorySupport",
        "allowTempAutoCreationOnSend",
        "cacheTempDestinations",
        "consumerSystemUsagePortion",
        "dedicatedTaskRunner",
        "deleteAllMessagesOnStartup",
        "keepDurableSubsActive",
        "enableMessageExpirationOnActiveDurableSubs",
        "maxPurgedDestinationsPerSweep",
        "maxSchedulerRepeatAllowed",
        "monitorConnectionSplits",
        "networkConnectorStartAsync",
        "offlineDurableSubscriberTaskSchedule",
        "offlineDurableSubscriberTimeout",
        "persistenceThreadPriority",
        "persistent",
        "populateJMSXUserID",
        "producerSystemUsagePortion",
        "rejectDurableConsumers",
        "rollbackOnlyOnAsyncException",
        "schedulePeriodForDestinationPurge",
        "schedulerSupport",
        "splitSystemUsageForProducersConsumers",
        "taskRunnerPriority",
        "timeBeforePurgeTempDestinations",
    },
    "policyEntry": _DESTINATION
    | {
        "advisoryForConsumed",
        "advisoryForDelivery",
        "advisoryForDiscardingMessages",
        "advisoryForFastProducers",
        "advisoryForSlowConsumers",
        "advisoryWhenFull",
        "allConsumersExclusiveByDefault",
        "alwaysRetroactive",
        "blockedProducerWarningInterval",
        "consumersBeforeDispatchStarts",
        "cursorMemoryHighWaterMark",
        "doOptimzeMessageStorage",
        "durableTopicPrefetch",
        "enableAudit",
        "expireMessagesPeriod",
        "gcInactiveDestinations",
        "gcWithNetworkConsumers",
        "inactiveTimeoutBeforeGC",
        "inactiveTimoutBeforeGC",
        "includeBodyForAdvisory",
        "lazyDispatch",
        "maxAuditDepth",
        "maxBrowsePageSize",
        "maxDestinations",
        "maxExpirePageSize",
        "maxPageSize",
        "maxProducersToAudit",
        "maxQueueAuditDepth",
        "memoryLimit",
        "messageGroupMapFactoryType",
        "minimumMessageSize",
        "optimizedDispatch",
        "optimizeMessageStoreInFlightLimit",
        "persistJMSRedelivered",
        "prioritizedMessages",
        "producerFlowControl",
        "queueBrowserPrefetch",
        "queuePrefetch",
        "reduceMemoryFootprint",
        "sendAdvisoryIfNoConsumers",
        "sendDuplicateFromStoreToDLQ",
        "storeUsageHighWaterMark",
        "strictOrderDispatch",
        "timeBeforeDispatchStarts",
        "topicPrefetch",
        "useCache",
        "useConsumerPriority",
        "usePrefetchExtension",
    },
    "individualDeadLetterStrategy": {
        "destinationPerDurableSubscriber",
        "enableAudit",
        "expiration",
        "maxAuditDepth",
        "maxProducersToAudit",
        "processExpired",
        "processNonPersistent",
        "queuePrefix",
        "queueSuffix",
        "topicPrefix",
        "topicSuffix",
        "useQueueForQueueMessages",
        "useQueueForTopicMessages",
    },
    "sharedDeadLetterStrategy": {
        "enableAudit",
        "expiration",
        "maxAuditDepth",
        "maxProducersToAudit",
        "processExpired",
        "processNonPersistent",
    },
    "redeliveryPlugin": {"fallbackToDeadLetter", "sendToDlqIfMaxRetriesExceeded"},
    "redeliveryPolicy": _DESTINATION
    | {
        "backOffMultiplier",
        "collisionAvoidancePercent",
        "initialRedeliveryDelay",
        "maximumRedeliveries",
        "maximumRedeliveryDelay",
        "preDispatchCheck",
        "redeliveryDelay",
        "useCollisionAvoidance",
        "useExponentialBackOff",
    },
    "queue": {"DLQ", "physicalName"},
    "topic": {"DLQ", "physicalName"},
}
#: Collection and other elements Amazon MQ permits (kept; the lab does not act on them).
OTHER_ELEMENTS = frozenset(
    {
        "abortSlowAckConsumerStrategy",
        "abortSlowConsumerStrategy",
        "authorizationEntries",
        "authorizationEntry",
        "authorizationMap",
        "authorizationPlugin",
        "cachedMessageGroupMapFactory",
        "compositeQueue",
        "compositeTopic",
        "constantPendingMessageLimitStrategy",
        "deadLetterQueue",
        "deadLetterStrategy",
        "defaultEntry",
        "destinationInterceptors",
        "destinationPolicy",
        "destinations",
        "discarding",
        "discardingDLQBrokerPlugin",
        "dispatchPolicy",
        "fileCursor",
        "fileDurableSubscriberCursor",
        "fileQueueCursor",
        "filteredDestination",
        "fixedCountSubscriptionRecoveryPolicy",
        "fixedSizedSubscriptionRecoveryPolicy",
        "forcePersistencyModeBrokerPlugin",
        "forwardTo",
        "lastImageSubscriptionRecoveryPolicy",
        "map",
        "messageEvictionStrategy",
        "messageGroupHashBucketFactory",
        "messageGroupMapFactory",
        "mirroredQueue",
        "networkConnector",
        "networkConnectors",
        "noSubscriptionRecoveryPolicy",
        "oldestMessageEvictionStrategy",
        "oldestMessageWithLowestPriorityEvictionStrategy",
        "pendingDurableSubscriberPolicy",
        "pendingMessageLimitStrategy",
        "pendingQueuePolicy",
        "pendingSubscriberPolicy",
        "plugins",
        "policyEntries",
        "policyMap",
        "prefetchRatePendingMessageLimitStrategy",
        "priorityDispatchPolicy",
        "priorityNetworkDispatchPolicy",
        "queryBasedSubscriptionRecoveryPolicy",
        "redeliveryPolicyEntries",
        "redeliveryPolicyMap",
        "retainedMessageSubscriptionRecoveryPolicy",
        "roundRobinDispatchPolicy",
        "simpleDispatchPolicy",
        "simpleMessageGroupMapFactory",
        "statisticsBrokerPlugin",
        "storeCursor",
        "storeDurableSubscriberCursor",
        "strictOrderDispatchPolicy",
        "subscriptionRecoveryPolicy",
        "tempDestinationAuthorizationEntry",
        "tempQueue",
        "tempTopic",
        "timeStampingBrokerPlugin",
        "timedSubscriptionRecoveryPolicy",
        "uniquePropertyMessageEvictionStrategy",
        "virtualDestinationInterceptor",
        "virtualDestinations",
        "virtualTopic",
        "vmCursor",
        "vmDurableCursor",
        "vmQueueCursor",
    }
)
_INTEGERS = {"maximumRedeliveries", "initialRedeliveryDelay", "redeliveryDelay"}
_INTEGERS |= {"maximumRedeliveryDelay", "collisionAvoidancePercent"}
_BOOLEANS = {
    "useExponentialBackOff",
    "useCollisionAvoidance",
    "processExpired",
    "processNonPersistent",
    "useQueueForQueueMessages",
    "useQueueForTopicMessages",
    "fallbackToDeadLetter",
    "sendToDlqIfMaxRetriesExceeded",
}


class ConfigurationError(ValueError):
    """The configuration data is not an ActiveMQ XML configuration."""


@dataclass(frozen=True, slots=True)
class RedeliveryPolicy:
    """ActiveMQ's RedeliveryPolicy (its defaults are the JMS client's: 6 redeliveries, 1 s)."""

    maximum_redeliveries: int = 6
    initial_delay_ms: int = 1000
    delay_ms: int = 1000
    exponential: bool = False
    multiplier: float = 5.0
    maximum_delay_ms: int = -1

    def delay_ms_for(self, redelivery: int) -> int:
        """Milliseconds before redelivery number `redelivery` (1-based), as ActiveMQ computes it."""
        delay = self.initial_delay_ms
        for _ in range(redelivery - 1):
            delay = self._next(delay)
        return max(0, delay)

    def _next(self, previous: int) -> int:
        following = self.delay_ms
        if previous > 0 and self.exponential and self.multiplier > 1:
            following = int(previous * self.multiplier)
            if self.maximum_delay_ms != -1 and following > self.maximum_delay_ms:
                following = max(self.maximum_delay_ms, self.delay_ms)
        return following

    def exhausted(self, redeliveries: int) -> bool:
        """Whether `redeliveries` passes maximumRedeliveries (-1: never)."""
        return self.maximum_redeliveries != -1 and redeliveries > self.maximum_redeliveries


@dataclass(frozen=True, slots=True)
class DeadLetterStrategy:
    """Where a destination's dead letters go: the shared ActiveMQ.DLQ, or one DLQ per destination."""

    individual: bool = False
    shared_queue: str = DLQ
    queue_prefix: str = "ActiveMQ.DLQ.Queue."
    queue_suffix: str = ""
    topic_prefix: str = "ActiveMQ.DLQ.Topic."
    topic_suffix: str = ""
    queue_for_queues: bool = True
    queue_for_topics: bool = True
    process_expired: bool = True
    process_non_persistent: bool = False

    def dead_letter_destination(self, source: Destination) -> Destination:
        """The dead-letter destination for messages of `source`."""
        if not self.individual:
            return Destination(QUEUE, self.shared_queue)
        if source.kind == QUEUE:
            name = f"{self.queue_prefix}{source.name}{self.queue_suffix}"
            return Destination(QUEUE if self.queue_for_queues else TOPIC, name)
        name = f"{self.topic_prefix}{source.name}{self.topic_suffix}"
        return Destination(QUEUE if self.queue_for_topics else TOPIC, name)


@dataclass(slots=True)
class ActiveConfig:
    """What a broker's configuration revision tells the lab's broker to do."""

    #: (destination kind, pattern, strategy) from policy entries with a dead-letter strategy.
    dead_letters: list[tuple[str, str, DeadLetterStrategy]] = field(default_factory=list)
    #: The redelivery plugin, when configured: per-destination policies and the default entry.
    plugin: bool = False
    fallback_to_dead_letter: bool = True
    send_to_dlq_if_exhausted: bool = True
    redelivery: list[tuple[str, str, RedeliveryPolicy]] = field(default_factory=list)
    default_redelivery: RedeliveryPolicy | None = None

    def dead_letter_strategy(self, destination: Destination) -> DeadLetterStrategy:
        """The strategy of the most specific matching policy entry (shared ActiveMQ.DLQ if none)."""
        return _most_specific(self.dead_letters, destination) or DEFAULT_STRATEGY

    def redelivery_policy(self, destination: Destination) -> RedeliveryPolicy | None:
        """The plugin's policy for `destination` (its default entry when none matches)."""
        return _most_specific(self.redelivery, destination) or self.default_redelivery


DEFAULT_STRATEGY = DeadLetterStrategy()
DEFAULT_POLICY = RedeliveryPolicy()


def _matches(pattern: str, name: str) -> bool:
    words, parts = pattern.split("."), name.split(".")
    for index, word in enumerate(words):
        if word == ">":
            return True
        if index >= len(parts) or (word != "*" and word != parts[index]):
            return False
    return len(words) == len(parts)


def _most_specific(entries: list[tuple[str, str, Any]], destination: Destination) -> Any:
    """ActiveMQ's DestinationMap choice: an exact name first, then the longest wildcard match."""
    best: tuple[int, Any] | None = None
    for kind, pattern, value in entries:
        if kind != destination.kind or not _matches(pattern, destination.name):
            continue
        rank = 10_000 if pattern == destination.name else len(pattern)
        if best is None or rank > best[0]:
            best = (rank, value)
    return best[1] if best else None


# -- parsing and sanitizing ---------------------------------------------------------------------
def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _valid(name: str, value: str) -> bool:
    if name in _INTEGERS:
        return value.lstrip("-").isdigit()
    if name in _BOOLEANS:
        return value in ("true", "false")
    if name == "backOffMultiplier":
        try:
            float(value)
        except ValueError:
            return False
    return True


def _parse(text: str) -> ET.Element:
    try:
        root = SafeET.fromstring(text)
    except (ET.ParseError, DefusedXmlException) as error:
        raise ConfigurationError(f"The configuration is not well-formed XML: {error}") from None
    if _local(root.tag) != "broker":
        raise ConfigurationError(
            f"The configuration's root element must be <broker>, not <{_local(root.tag)}>."
        )
    return root


def sanitize(text: str) -> tuple[str, list[dict[str, str]]]:
    """The XML with what Amazon MQ does not permit removed, and a warning for each removal."""
    root = _parse(text)
    warnings: list[dict[str, str]] = []

    def clean(element: ET.Element) -> None:
        for child in list(element):
            if not isinstance(child.tag, str):
                continue  # comments and processing instructions stay
            name = _local(child.tag)
            if name not in ATTRIBUTES and name not in OTHER_ELEMENTS:
                element.remove(child)
                warnings.append({"ElementName": name, "Reason": "DISALLOWED_ELEMENT_REMOVED"})
                continue
            _clean_attributes(child, name, warnings)
            clean(child)

    _clean_attributes(root, "broker", warnings)
    clean(root)
    if not warnings:
        return text, []
    ET.register_namespace("", NAMESPACE)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n' + body + "\n", warnings


def _clean_attributes(element: ET.Element, name: str, warnings: list[dict[str, str]]) -> None:
    allowed = ATTRIBUTES.get(name)
    if allowed is None:
        return
    for attribute, value in list(element.attrib.items()):
        if attribute not in allowed:
            del element.attrib[attribute]
            warnings.append(
                {
                    "AttributeName": attribute,
                    "ElementName": name,
                    "Reason": "DISALLOWED_ATTRIBUTE_REMOVED",
                }
            )
        elif not _valid(attribute, value):
            del element.attrib[attribute]
            warnings.append(
                {
                    "AttributeName": attribute,
                    "ElementName": name,
                    "Reason": "INVALID_ATTRIBUTE_VALUE_REMOVED",
                }
            )


def _flag(element: ET.Element, name: str, default: bool) -> bool:
    value = element.get(name)
    return default if value is None else value == "true"


def _scope(element: ET.Element) -> tuple[str, str] | None:
    for kind in (QUEUE, TOPIC):
        if element.get(kind):
            return kind, element.get(kind, "")
    return None


def _children(element: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in element.iter() if _local(child.tag) == name]


def _policy(element: ET.Element) -> RedeliveryPolicy:
    return RedeliveryPolicy(
        int(element.get("maximumRedeliveries", 6)),
        int(element.get("initialRedeliveryDelay", 1000)),
        int(element.get("redeliveryDelay", 1000)),
        _flag(element, "useExponentialBackOff", False),
        float(element.get("backOffMultiplier", 5.0)),
        int(element.get("maximumRedeliveryDelay", -1)),
    )


def _strategy(element: ET.Element) -> DeadLetterStrategy:
    expired = _flag(element, "processExpired", True)
    non_persistent = _flag(element, "processNonPersistent", False)
    if _local(element.tag) == "sharedDeadLetterStrategy":
        queues = [q.get("physicalName") for q in _children(element, "queue")]
        shared = next((q for q in queues if q), DLQ)
        return DeadLetterStrategy(
            False, shared, process_expired=expired, process_non_persistent=non_persistent
        )
    return DeadLetterStrategy(
        True,
        DLQ,
        element.get("queuePrefix", "ActiveMQ.DLQ.Queue."),
        element.get("queueSuffix", ""),
        element.get("topicPrefix", "ActiveMQ.DLQ.Topic."),
        element.get("topicSuffix", ""),
        _flag(element, "useQueueForQueueMessages", True),
        _flag(element, "useQueueForTopicMessages", True),
        expired,
        non_persistent,
    )


def parse(text: str) -> ActiveConfig:
    """What the lab applies from a (sanitized) configuration revision."""
    sanitized, _ = sanitize(text)
    root = _parse(sanitized)
    config = ActiveConfig()
    for entry in _children(root, "policyEntry"):
        scope = _scope(entry)
        strategies = [
            c
            for c in entry.iter()
            if _local(c.tag) in ("individualDeadLetterStrategy", "sharedDeadLetterStrategy")
        ]
        if scope and strategies:
            config.dead_letters.append((*scope, _strategy(strategies[0])))
    plugins = _children(root, "redeliveryPlugin")
    if plugins:
        plugin = plugins[0]
        config.plugin = True
        config.fallback_to_dead_letter = _flag(plugin, "fallbackToDeadLetter", True)
        config.send_to_dlq_if_exhausted = _flag(plugin, "sendToDlqIfMaxRetriesExceeded", True)
        for default in _children(plugin, "defaultEntry"):
            found = _children(default, "redeliveryPolicy")
            if found:
                config.default_redelivery = _policy(found[0])
        for entries in _children(plugin, "redeliveryPolicyEntries"):
            for policy in _children(entries, "redeliveryPolicy"):
                scope = _scope(policy)
                if scope:
                    config.redelivery.append((*scope, _policy(policy)))
    return config
