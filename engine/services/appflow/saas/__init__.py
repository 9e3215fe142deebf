"""The lab's sandbox SaaS applications, which AppFlow reads from and writes to.

lab = appflow.saas                      # one per engine, made on first use
app = lab.app("salesforce")             # Salesforce, Slack, Zendesk, ServiceNow, GA4, Marketo
app.update("Opportunity", "006…", {"StageName": "Closed Won"})
await lab.endpoint()                    # http://127.0.0.1:PORT — each app under /<key>/
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .base import SaasApp, SaasError
from .ga4 import GoogleAnalytics
from .marketo import Marketo
from .salesforce import Salesforce
from .servicenow import ServiceNow
from .slack import Slack
from .zendesk import Zendesk

if TYPE_CHECKING:
    from ....listeners import Listener

APP_CLASSES: tuple[type[SaasApp], ...] = (
    Salesforce,
    Slack,
    Zendesk,
    ServiceNow,
    GoogleAnalytics,
    Marketo,
)
__all__ = ["APP_CLASSES", "SaasApp", "SaasError", "SaasLab"]


class SaasLab:
    """Every sandbox app of one lab, and the loopback listener their REST APIs share."""

    def __init__(self, engine: Any, clock: Any) -> None:
        self.engine = engine
        self.apps: dict[str, SaasApp] = {cls.key: cls(clock) for cls in APP_CLASSES}
        self.listener: Listener | None = None

    def app(self, key: str) -> SaasApp:
        """The app called `key` (salesforce, slack …); SaasError names the choices otherwise."""
        app = self.apps.get(key.lower())
        if app is None:
            raise SaasError(f"no sandbox app called {key!r}; the apps are: {', '.join(self.apps)}")
        return app

    def by_connector(self, connector_type: str) -> SaasApp | None:
        """The app behind an AppFlow connector type (Salesforce, Zendesk …), or None."""
        for app in self.apps.values():
            if app.connector_type == connector_type:
                return app
        return None

    async def endpoint(self) -> str:
        """The base URL of the sandboxes' REST APIs (the listener opens on first use)."""
        if self.listener is None or self.listener.closed:
            from .http import SaasHttp

            self.listener = await self.engine.listeners.open("saas-sandboxes", SaasHttp(self).serve)
        return f"http://{self.listener.address}"

    def base_url(self, key: str) -> str:
        """The app's instance URL (the lab's listener when open, else a placeholder host)."""
        if self.listener is not None and not self.listener.closed:
            return f"http://{self.listener.address}/{key}"
        return f"https://{key}.sandbox.pipework.local"

    async def close(self) -> None:
        """Close the listener."""
        if self.listener is not None:
            await self.listener.close()
            self.listener = None

    def records(self) -> int:
        """Records held across the apps that have been seeded."""
        return sum(app.record_count() for app in self.apps.values() if app.seeded)
