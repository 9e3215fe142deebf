"""The Google Analytics 4 sandbox: daily report rows by country and device, served by runReport."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from .base import FieldSpec, ObjectSpec, Pools, SaasApp, Table
from .http import Reply

PROPERTY_ID = "properties/345678901"
COUNTRIES = ("United States", "Germany", "India", "Brazil")
DEVICES = ("desktop", "mobile", "tablet")
METRICS = ("activeUsers", "sessions", "screenPageViews", "conversions")
OBJECTS = (
    ObjectSpec(
        "daily",
        "Daily report by country and device",
        (
            FieldSpec("rowId", "Row", "id", primary=True, writable=False),
            FieldSpec("date", "Date", "date", nullable=False, timestamp=True),
            FieldSpec("country", "Country", nullable=False),
            FieldSpec("deviceCategory", "Device category", "picklist", values=DEVICES),
            FieldSpec("activeUsers", "Active users", "int"),
            FieldSpec("sessions", "Sessions", "int"),
            FieldSpec("screenPageViews", "Views", "int"),
            FieldSpec("conversions", "Conversions", "int"),
        ),
        "",
        "",
    ),
)


class GoogleAnalytics(SaasApp):
    """A GA4 property with 30 days of traffic."""

    key = "ga4"
    label = "Google Analytics 4"
    connector_type = "Googleanalytics"
    properties_key = "GoogleAnalytics"
    rate_limit = (10, 1.0)  # the Data API's concurrent-request quota, as a per-second window
    objects = OBJECTS

    def new_id(self, table: Table) -> str:
        return f"r{self.next_number('rows'):06d}"

    def seed(self, pools: Pools) -> None:
        rng = self.random
        today = datetime.fromtimestamp(self.clock.now(), UTC).date()
        for back in range(30, 0, -1):
            day = today - timedelta(days=back)
            end_of_day = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp() + 86400
            for country in COUNTRIES:
                for device in DEVICES:
                    users = rng.randrange(50, 5000)
                    self.create(
                        "daily",
                        {
                            "date": day.strftime("%Y%m%d"),
                            "country": country,
                            "deviceCategory": device,
                            "activeUsers": users,
                            "sessions": int(users * (1.2 + rng.random())),
                            "screenPageViews": int(users * (3 + 4 * rng.random())),
                            "conversions": rng.randrange(0, max(1, users // 40)),
                        },
                        when=end_of_day - 1,
                    )

    def random_change(self, object_name: str) -> dict[str, Any]:
        return {"conversions": self.random.randrange(0, 200)}

    def unauthorized(self) -> Reply:
        return Reply(
            401,
            {
                "error": {
                    "code": 401,
                    "message": "Request is missing required authentication credential.",
                    "status": "UNAUTHENTICATED",
                }
            },
        )

    def rate_limited(self) -> Reply:
        return Reply(
            429,
            {
                "error": {
                    "code": 429,
                    "message": "Exhausted concurrent requests quota.",
                    "status": "RESOURCE_EXHAUSTED",
                }
            },
        )

    def handle(self, method: str, path: str, query: dict[str, str], body: Any) -> Reply:
        if method != "POST" or path != f"/v1beta/{PROPERTY_ID}:runReport":
            return Reply(
                404,
                {
                    "error": {
                        "code": 404,
                        "message": "Requested entity was not found.",
                        "status": "NOT_FOUND",
                    }
                },
            )
        body = body if isinstance(body, dict) else {}
        dims = [d.get("name") for d in body.get("dimensions", [{"name": "date"}])]
        metrics = [m.get("name") for m in body.get("metrics", [{"name": "activeUsers"}])]
        unknown = [
            n for n in dims + metrics if n not in ("date", "country", "deviceCategory", *METRICS)
        ]
        if unknown:
            return Reply(
                400,
                {
                    "error": {
                        "code": 400,
                        "message": f"Field {unknown[0]} is not a valid dimension or metric.",
                        "status": "INVALID_ARGUMENT",
                    }
                },
            )
        ranges = body.get("dateRanges") or [{"startDate": "00000000", "endDate": "99999999"}]
        start = str(ranges[0].get("startDate", "")).replace("-", "")
        end = str(ranges[0].get("endDate", "")).replace("-", "")
        groups: dict[tuple, list[int]] = {}
        for row in self.tables["daily"].records.values():
            if not start <= row["date"] <= end:
                continue
            totals = groups.setdefault(tuple(row[d] for d in dims), [0] * len(metrics))
            for i, m in enumerate(metrics):
                totals[i] += row[m]
        keys = sorted(groups)
        offset, limit = int(body.get("offset", 0)), int(body.get("limit", 10000))
        rows = [
            {
                "dimensionValues": [{"value": v} for v in k],
                "metricValues": [{"value": str(x)} for x in groups[k]],
            }
            for k in keys[offset : offset + limit]
        ]
        return Reply(
            200,
            {
                "dimensionHeaders": [{"name": d} for d in dims],
                "metricHeaders": [{"name": m, "type": "TYPE_INTEGER"} for m in metrics],
                "rows": rows,
                "rowCount": len(keys),
                "kind": "analyticsData#runReport",
            },
        )
