"""VPC links: the REST API's named pointers at network load balancers (kept, not connected)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from engine.arn import parse_arn
from engine.errors import ServiceError

from .models import VpcLink
from .patch import apply_patch

if TYPE_CHECKING:
    from .service import ApiGatewayService


def _not_found() -> ServiceError:
    return ServiceError(
        "NotFoundException", "Invalid Vpc Link identifier specified", status_code=404
    )


def _bad(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message)


class VpcLinks:
    """The account's VPC links; the lab has no VPC, so a link becomes AVAILABLE at once."""

    def __init__(self, service: ApiGatewayService) -> None:
        self._service = service
        self.links: dict[str, VpcLink] = {}

    def _arn(self, link_id: str) -> str:
        return f"arn:aws:apigateway:{self._service.region}::/vpclinks/{link_id}"

    def _link(self, link_id: str) -> VpcLink:
        link = self.links.get(link_id)
        if link is None:
            raise _not_found()
        return link

    def create_vpc_link(self, params: dict) -> dict:
        """CreateVpcLink: answers PENDING (202); the link is AVAILABLE on the next read."""
        if not params["name"].strip():
            raise _bad("Name cannot be empty")
        for target in params["targetArns"]:
            if parse_arn(target) is None:
                raise _bad(f"Invalid ARN. ARN is not well formed {target}")
        link = VpcLink(
            self._service.ids.hex(6),
            params["name"],
            list(params["targetArns"]),
            params.get("description", ""),
            dict(params.get("tags") or {}),
        )
        self.links[link.id] = link
        answer = link.describe(with_tags=bool(link.tags))
        link.status = "AVAILABLE"
        self._service.emit("created", self._arn(link.id), name=link.name)
        return answer

    def get_vpc_link(self, params: dict) -> dict:
        """GetVpcLink."""
        return self._link(params["vpcLinkId"]).describe()

    def get_vpc_links(self, params: dict) -> dict:
        """GetVpcLinks (paged like the service's other lists)."""
        from .service import page

        return page([link.describe(with_tags=False) for link in self.links.values()], params)

    def update_vpc_link(self, params: dict) -> dict:
        """UpdateVpcLink: name and description."""
        link = self._link(params["vpcLinkId"])
        apply_patch(
            link,
            params.get("patchOperations", []),
            {"/name": "name", "/description": "description"},
        )
        return link.describe()

    def delete_vpc_link(self, params: dict) -> dict:
        """DeleteVpcLink (202)."""
        self._link(params["vpcLinkId"])
        del self.links[params["vpcLinkId"]]
        self._service.emit("deleted", self._arn(params["vpcLinkId"]))
        return {}
