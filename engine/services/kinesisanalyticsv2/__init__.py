"""Amazon Managed Service for Apache Flink / Kinesis Data Analytics (kinesisanalyticsv2)."""

from .service import AnalyticsService as SERVICE

__all__ = ["SERVICE"]
