"""The merchant service's tables, one module per concept; imported here so Alembic sees them all."""
from merchant.codes.models import household_codes
from merchant.db import Base
from merchant.disclosures.models import disclosures
from merchant.grade_changes.models import grade_changes, grade_feed_subscriptions
from merchant.households.models import households
from merchant.merchants.models import merchants
from merchant.offers.models import offer_daily_usage, offer_household_usage, offer_outlets, offers
from merchant.programmes.models import programmes
from merchant.redemptions.models import redemptions
from merchant.webhooks.models import webhook_attempts, webhook_deliveries, webhooks

__all__ = ["Base", "disclosures", "grade_changes", "grade_feed_subscriptions", "household_codes", "households",
           "merchants", "offer_daily_usage", "offer_household_usage", "offer_outlets", "offers", "programmes",
           "redemptions", "webhook_attempts", "webhook_deliveries", "webhooks"]
