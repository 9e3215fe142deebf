"""Custom domain names and their API associations (CreateDomainName … GetApiAssociation).

The lab serves every API on its own loopback port, so a domain name is bookkeeping: it records
which API a name would front, as AppSync's control plane does.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from .models import bad_request, copy_data, not_found

if TYPE_CHECKING:
    from .service import AppSyncService


class DomainNames:
    """Domain names by name, each with at most one associated API."""

    def __init__(self, service: AppSyncService) -> None:
        self.service = service
        self.domains: dict[str, dict[str, Any]] = {}
        self.associations: dict[str, str] = {}  # domain name → API id

    def _domain(self, name: str) -> dict[str, Any]:
        domain = self.domains.get(name)
        if domain is None:
            raise not_found(f"Domain name {name} not found.")
        return domain

    def create_domain_name(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["domainName"]
        if name in self.domains:
            raise bad_request(f"Domain name {name} already exists.")
        if not params["certificateArn"].startswith("arn:aws:acm:"):
            raise bad_request("Certificate ARN must be an ACM certificate ARN.")
        digest = hashlib.sha256(name.encode()).hexdigest()[:13]
        domain = {
            "domainName": name,
            "certificateArn": params["certificateArn"],
            "appsyncDomainName": f"d{digest}.cloudfront.net",
            "hostedZoneId": "Z2FDTNDATAQYW2",  # CloudFront's hosted zone, as AWS reports it
            "domainNameArn": self.service.arn(f"domainnames/{name}"),
            "tags": dict(params.get("tags", {})),
        }
        if "description" in params:
            domain["description"] = params["description"]
        self.domains[name] = domain
        return {"domainNameConfig": copy_data(domain)}

    def get_domain_name(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"domainNameConfig": copy_data(self._domain(params["domainName"]))}

    def update_domain_name(self, params: dict[str, Any]) -> dict[str, Any]:
        domain = self._domain(params["domainName"])
        if "description" in params:
            domain["description"] = params["description"]
        return {"domainNameConfig": copy_data(domain)}

    def delete_domain_name(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["domainName"]
        self._domain(name)
        if name in self.associations:
            raise bad_request("Cannot delete a domain name that is associated with an API.")
        del self.domains[name]
        return {}

    def list_domain_names(self, params: dict[str, Any]) -> dict[str, Any]:
        items = [copy_data(d) for d in self.domains.values()]
        return self.service.page(items, params, "domainNameConfigs")

    def _association(self, name: str) -> dict[str, Any]:
        return {
            "domainName": name,
            "apiId": self.associations[name],
            "associationStatus": "SUCCESS",
        }

    def associate_api(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["domainName"]
        self._domain(name)
        self.service.graphql_api(params["apiId"])
        self.associations[name] = params["apiId"]
        return {"apiAssociation": self._association(name)}

    def disassociate_api(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["domainName"]
        self._domain(name)
        if name not in self.associations:
            raise not_found(f"No API is associated with {name}.")
        del self.associations[name]
        return {}

    def get_api_association(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params["domainName"]
        self._domain(name)
        if name not in self.associations:
            raise not_found(f"No API is associated with {name}.")
        return {"apiAssociation": self._association(name)}

    def api_deleted(self, api_id: str) -> None:
        """Drop the associations of a deleted API."""
        for name in [n for n, a in self.associations.items() if a == api_id]:
            del self.associations[name]
