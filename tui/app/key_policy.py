"""Which app keys apply where: printable keys belong to a text box that has focus."""

from __future__ import annotations

from textual.widget import Widget
from textual.widgets import Input

#: App actions bound to printable keys: while a text box has focus they type instead, so the
#: footer must not offer them there.
TYPED_KEY_ACTIONS = frozenset(
    {
        "toggle_clock",
        "step_clock",
        "faster",
        "slower",
        "focus_command",
        "journey_latest",
        "metrics",
        "redrive",
        "filter_events",
    }
)


#: App actions that act on the lab screen only: on another screen the footer does not offer them.
LAB_SCREEN_ACTIONS = frozenset(
    {
        "focus_events",
        "focus_results",
        "filter_events",
        "focus_command",
        "focus_flow",
        "toggle_panel",
        "redrive",
    }
)


def key_applies(action: str, focused: Widget | None) -> bool:
    """Whether the app's binding for `action` acts (and shows in the footer) with `focused`."""
    if isinstance(focused, Input):
        return action not in TYPED_KEY_ACTIONS
    # Escape leads back to the map: offered everywhere but on the map itself.
    return not (action == "focus_flow" and focused is not None and focused.id == "flow")
