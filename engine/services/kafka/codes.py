"""Kafka protocol error codes, taken from kafka-python's error classes."""

from __future__ import annotations

import kafka.errors as _e

NONE = 0
OFFSET_OUT_OF_RANGE = _e.OffsetOutOfRangeError.errno
CORRUPT_MESSAGE = _e.CorruptRecordError.errno
UNKNOWN_TOPIC_OR_PARTITION = _e.UnknownTopicOrPartitionError.errno
LEADER_NOT_AVAILABLE = _e.LeaderNotAvailableError.errno
NOT_LEADER_OR_FOLLOWER = _e.NotLeaderForPartitionError.errno
MESSAGE_TOO_LARGE = _e.MessageSizeTooLargeError.errno
COORDINATOR_NOT_AVAILABLE = _e.CoordinatorNotAvailableError.errno
INVALID_TOPIC = _e.InvalidTopicError.errno
NOT_ENOUGH_REPLICAS = _e.NotEnoughReplicasError.errno
ILLEGAL_GENERATION = _e.IllegalGenerationError.errno
INCONSISTENT_GROUP_PROTOCOL = _e.InconsistentGroupProtocolError.errno
INVALID_GROUP_ID = _e.InvalidGroupIdError.errno
UNKNOWN_MEMBER_ID = _e.UnknownMemberIdError.errno
INVALID_SESSION_TIMEOUT = _e.InvalidSessionTimeoutError.errno
REBALANCE_IN_PROGRESS = _e.RebalanceInProgressError.errno
UNSUPPORTED_VERSION = _e.UnsupportedVersionError.errno
TOPIC_ALREADY_EXISTS = _e.TopicAlreadyExistsError.errno
INVALID_PARTITIONS = _e.InvalidPartitionsError.errno
INVALID_REPLICATION_FACTOR = _e.InvalidReplicationFactorError.errno
INVALID_CONFIG = _e.InvalidConfigurationError.errno
INVALID_REQUEST = _e.InvalidRequestError.errno
NON_EMPTY_GROUP = _e.NonEmptyGroupError.errno
GROUP_ID_NOT_FOUND = _e.GroupIdNotFoundError.errno
MEMBER_ID_REQUIRED = _e.MemberIdRequiredError.errno
INVALID_RECORD = _e.InvalidRecordError.errno
OUT_OF_ORDER_SEQUENCE = 45
INVALID_PRODUCER_EPOCH = 47
INVALID_TXN_STATE = 48
TRANSACTIONAL_ID_AUTHORIZATION_FAILED = 53
CLUSTER_AUTHORIZATION_FAILED = 31
