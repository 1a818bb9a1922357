"""The merchant service's application: its routers and the events it consumes."""
from pathlib import Path

from fastapi import FastAPI

from common.app import ServiceSpec, create_service_app
from common.runtime import ServiceDefinition
from common.settings import ServiceSettings
from merchant.settings import MerchantSettings


def create_app(settings: ServiceSettings | None = None) -> FastAPI:
    spec = ServiceSpec(
        name="merchant",
        title="Merchant service",
        description="Merchants and offers of the credit business circle (信用商圈), public benefits, household credit codes (一户一码), POS verify and redeem.",
        routers=[],
        handlers={},
    )
    return create_service_app(spec, settings or MerchantSettings())


DEFINITION = ServiceDefinition(
    name="merchant",
    settings_cls=MerchantSettings,
    create_app=create_app,
    migrations_dir=Path(__file__).with_name("migrations"),
)
