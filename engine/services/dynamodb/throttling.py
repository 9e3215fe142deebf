"""The error DynamoDB gives a throttled request (raised here when a throttle fault fires)."""

from __future__ import annotations

from engine.errors import ServiceError

from .table import Table


def throughput_exceeded(table: Table) -> ServiceError:
    """ProvisionedThroughputExceededException as AWS words it for the table's billing mode."""
    if table.billing_mode == "PAY_PER_REQUEST":
        message = (
            "Throughput exceeds the current capacity of your table or index. DynamoDB is "
            "automatically scaling your table or index so please try again shortly. If "
            "exceptions persist, check if you have a hot key: "
            "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/bp-partition-key-design.html"
        )
    else:
        message = (
            "The level of configured provisioned throughput for the table was exceeded. "
            "Consider increasing your provisioning level with the UpdateTable API."
        )
    return ServiceError("ProvisionedThroughputExceededException", message)
