"""The REST API (django-ninja): one NinjaAPI, routers contributed by the domain apps."""

from ninja import NinjaAPI

api = NinjaAPI(
    title="GovReach API",
    version="1",
    description="Service catalogue and eligibility decisions, each with its full explanation.",
    urls_namespace="api",
)
