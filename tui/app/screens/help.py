"""F1 help: what the app shows, every key binding, and how the command bar works."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Markdown

HELP_TEXT = """\
# Pipework

The lab runs emulated AWS services in this process. The **flow map** shows every resource and
how messages travel between them; the **panel** beside the map (when the window is wide enough) details the selected resource;
the **events** tab is the live trace; the **command bar** speaks the AWS CLI's language.

## Flow map
| key | action |
| --- | --- |
| arrows / click | select the nearest resource in that direction |
| shift+arrows, mouse wheel | pan |
| `z` | zoom out to compact boxes (and back) |
| `n` | show only the selected resource's neighbourhood |
| enter / double click | open the selected resource's panel (a state machine: its workflow graph) |

Boxes are as wide as their names and key figures need (narrowed to fit the window). Edges
carry the name you gave them (a subscription's protocol and filter, a mapping's batch size, a
rule target's id) and their rate; `●` are messages travelling (they move with simulated time,
so they freeze when the clock is paused). Colours: **red** errors, **yellow** retries and
throttling, **magenta** dead-lettering. `⚠` marks an alarm that holds now: a consumer falling
behind (`lag`, `backlog`), a dead-letter queue filling (`DLQ +n`), a function throttled, a
delivery IAM denied. Resources made by a stack are grouped under its name. Dashed edges lead
to dead-letter queues, or are hops the trace showed that no resource declares.

## Clock
| key | action |
| --- | --- |
| `space` | pause / resume simulated time |
| `.` | step one simulated second |
| `+` / `-` | faster / slower |

## Moving around
Focus is always marked (an accent border or bar). `tab` / `shift+tab` walk map → results or
events → panel → command bar; a click does the same. The footer shows only keys that work
where focus is: in the command bar or a filter, letters type.

| key | action |
| --- | --- |
| `esc` | back to the flow map |
| `:` or `ctrl+l` | the command bar |
| `ctrl+e` | the event log (works from the command bar too) |
| `ctrl+r` | the results |
| `/` | filter the event log (from anywhere but a text box) |

## Everywhere
| key | action |
| --- | --- |
| `ctrl+p` | command palette: demos, jump to a resource, toggle panels, themes |
| `ctrl+t` | light / dark theme |
| `ctrl+b` | show or hide the side panel (narrow windows: one side panel at a time) |
| `ctrl+s` | save the screen as SVG (and PNG with cairosvg) in Pipework's data folder |
| `j` | journey of the newest event's message |
| `r` | redrive the selected dead-letter queue back to its sources |
| `F1` | this help |
| `ctrl+q` | quit |

## Lessons
| key | action |
| --- | --- |
| `F2` | the lessons: pick one (with your progress), Enter starts or resumes it |
| `F3` | reveal the next hint of the current step (`lesson hint`) |

The lesson sits in a panel beside the lab. Type commands in the command bar: after each one the
steps are checked against the lab, ticked live, and the panel explains what just happened and
selects the resource to look at on the flow map. `lesson start N`, `lesson check`, `lesson next`,
`lesson stop` work in the command bar too (progress is saved; you resume where you stopped).

## Workflow graph
A state machine's states drawn as a graph and coloured by the chosen execution: **yellow**
running, **green** succeeded, **red** failed, **orange** retrying, **magenta** caught (dashed
edges are Catch routes). Pick an execution on the right; its history is below. Escape returns.

## Command bar
Type `sqs create-queue --queue-name orders`, `sqs send-message --queue-url orders
--message-body hi`, `help`. Tab completes, → accepts the grey suggestion, ↑/↓ walk the
history shared with `pipework repl`. Results and errors appear in the results tab.

## Event log
One line per event, values as JSON, newlines escaped. `/` filters: plain words match anywhere
(kind, service, resource, ids, detail); `kind:failed`, `service:sns`, `res:orders`,
`trace:ID` or `msg:ID` look in one field. `p` pauses the log; Enter on a row opens the journey.

## Journey
The hops of one message as a tree in causal order (a fork is a fan-out), each with lab time
and real time since the first hop, payloads as pretty JSON. Enter shows a hop's every event
with its full detail; Escape goes back.
"""


class HelpScreen(ModalScreen[None]):
    """The help text in a scrollable modal."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close", id="help.close"),
        Binding("f1", "dismiss", "Close", show=False, id="help.toggle"),
    ]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Markdown(HELP_TEXT)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#help-box").focus()
