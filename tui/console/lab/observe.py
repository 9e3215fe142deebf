"""`metrics` and `tail`: a resource's CloudWatch metrics as sparklines, a log group's events.

`metrics RESOURCE-or-SERVICE [METRIC] [--minutes N] [--period S]` reads the metrics store (the
same numbers `cloudwatch get-metric-statistics` returns); `tail GROUP [--since 10m]
[--filter-pattern P]` prints a log group's recent events, as `aws logs tail` does (and
`logs tail GROUP …` is accepted too).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from engine import ServiceError
from engine.services.cloudwatch.resources import natural_statistic, points, series_of

from ..render import records_table
from ..result import CommandResult
from ..timefmt import clock_text, parse_duration

if TYPE_CHECKING:
    from ..console import Console

SPARK_CHARS = "▁▂▃▄▅▆▇█"
METRICS_USAGE = "metrics RESOURCE-or-SERVICE [METRIC] [--minutes N] [--period SECONDS]"
TAIL_USAGE = "tail LOG-GROUP [--since 10m] [--filter-pattern PATTERN] [--limit N]"


def sparkline(values: list[float | None]) -> str:
    """One character per value, scaled between the smallest and largest (blank where missing)."""
    present = [v for v in values if v is not None]
    if not present:
        return " " * len(values)
    low, high = min(present), max(present)
    span = high - low
    top = len(SPARK_CHARS) - 1
    return "".join(
        " " if v is None else SPARK_CHARS[0 if span == 0 else round((v - low) / span * top)]
        for v in values
    )


def _options(args: list[str], names: tuple[str, ...]) -> tuple[list[str], dict[str, str]]:
    """Split `--name value` options from positional words (raises ValueError)."""
    positional, options = [], {}
    words = iter(args)
    for word in words:
        if word.startswith("--"):
            if word not in names:
                raise ValueError(f"unknown option {word}")
            value = next(words, None)
            if value is None:
                raise ValueError(f"{word} needs a value")
            options[word] = value
        else:
            positional.append(word)
    return positional, options


def _number(text: str, what: str) -> int:
    if not text.isdigit() or int(text) <= 0:
        raise ValueError(f"{what} must be a positive whole number, not '{text}'")
    return int(text)


def _shown(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


async def metrics(console: Console, args: list[str]) -> CommandResult:
    """Show a resource's (or a service's) metrics over the last minutes of lab time."""
    try:
        positional, options = _options(args, ("--minutes", "--period"))
        minutes = _number(options.get("--minutes", "30"), "--minutes")
        period = _number(options.get("--period", "60"), "--period")
    except ValueError as error:
        return CommandResult.fail(f"metrics: {error} — usage: {METRICS_USAGE}")
    if not 1 <= len(positional) <= 2:
        return CommandResult.fail(f"usage: {METRICS_USAGE}")
    engine = console.engine
    found = series_of(engine, positional[0], positional[1] if len(positional) > 1 else None)
    if not found:
        return CommandResult.fail(
            f"metrics: no metrics for '{positional[0]}' yet (metrics are sampled every minute of "
            "lab time once CloudWatch runs; try: clock advance 1m)"
        )
    end = engine.clock.now()
    start = end - minutes * 60
    rows, value = [], []
    for series in found:
        stat = natural_statistic(series.name)
        values = points(series, start, end, period, stat)
        present = [v for v in values if v is not None]
        latest = present[-1] if present else None
        rows.append(
            {
                "metric": series.name,
                "dimensions": ", ".join(f"{k}={v}" for k, v in series.dimensions) or "-",
                "stat": stat,
                "latest": _shown(latest),
                "max": _shown(max(present) if present else None),
                f"last {minutes} min": sparkline(values),
            }
        )
        value.append(
            {
                "Namespace": series.namespace,
                "MetricName": series.name,
                "Dimensions": [{"Name": k, "Value": v} for k, v in series.dimensions],
                "Statistic": stat,
                "Values": values,
            }
        )
    title = f"{found[0].namespace} metrics, {period} s periods, to {clock_text(end)}"
    return CommandResult(ok=True, value=value, output=records_table(rows, title))


async def tail(console: Console, args: list[str]) -> CommandResult:
    """Print a log group's recent events, oldest first, as `aws logs tail` does."""
    try:
        positional, options = _options(args, ("--since", "--filter-pattern", "--limit"))
        since = parse_duration(options.get("--since", "10m"))
        limit = _number(options.get("--limit", "100"), "--limit")
    except ValueError as error:
        return CommandResult.fail(f"tail: {error} — usage: {TAIL_USAGE}")
    if len(positional) != 1:
        return CommandResult.fail(f"usage: {TAIL_USAGE}")
    now = console.engine.clock.now()
    params = {
        "logGroupName": positional[0],
        "startTime": int((now - since) * 1000),
        "filterPattern": options.get("--filter-pattern", ""),
    }
    try:
        result = await console.engine.client("logs").filter_log_events(**params)
    except ServiceError as error:
        return CommandResult.fail(f"tail: {error.code}: {error.message}")
    events = result["events"][-limit:]
    if not events:
        return CommandResult(ok=True, value=[], output=Text(f"No events in {positional[0]} yet."))
    text = Text()
    for event in events:
        text.append(clock_text(event["timestamp"] / 1000), style="dim")
        text.append(f" {event['logStreamName']} ", style="cyan")
        text.append(event["message"].rstrip("\n") + "\n")
    text.rstrip()
    return CommandResult(ok=True, value=events, output=text)


def register(console: Console) -> None:
    """Register `metrics` and `tail`."""
    console.register_command(
        "metrics",
        metrics,
        f"{METRICS_USAGE} — CloudWatch metrics of a resource as sparklines",
        ("--minutes", "--period"),
    )
    console.register_command(
        "tail",
        tail,
        f"{TAIL_USAGE} — a log group's recent events (also: logs tail)",
        ("--since", "--filter-pattern", "--limit"),
    )
