"""apis.json: the catalogue of the REST APIs this sandbox serves, in Kintone's form (docs/kintone-api.md §1).

Kintone answers ``{"baseUrl": ".../k/v1/", "apis": {"records/get": {"link": "apis/records/get.json"}, ...}}`` with no
credentials. An API's id is its path without ``.json`` and its method in lower case. The schema documents the links
point at are not served: the sandbox has no JSON schemas of its own to give.
"""

from __future__ import annotations

from typing import Any

from kintone_mcp.sandbox.http.routing import RequestContext, Router

router = Router()


@router.route("GET", "apis.json", auth=False)
def get_apis(ctx: RequestContext) -> dict[str, Any]:
    prefix = "k/v1/" if ctx.guest_space is None else f"k/guest/{ctx.guest_space}/v1/"
    ids = sorted(
        f"{endpoint.path.removesuffix('.json')}/{endpoint.method.lower()}"
        for endpoint in ctx.services.router.endpoints()
        if endpoint.api == "kintone" and endpoint.path != "apis.json"
    )
    return {"baseUrl": ctx.base_url + prefix, "apis": {api_id: {"link": f"apis/{api_id}.json"} for api_id in ids}}
