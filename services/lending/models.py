"""The lending service's tables, one module per concept; imported here so Alembic sees them all."""
from lending.applications.models import Application
from lending.banks.models import Bank, Product
from lending.changes.models import FeedChange
from lending.credit_lines.models import CreditLine, CreditLineChange
from lending.db import Base
from lending.disclosures.models import Disclosure
from lending.loans.models import Loan, Repayment
from lending.policies.models import BenchmarkRate, GradePolicy, PolicyApplication
from lending.risk.models import FundAccount, FundEntry, LoanDefault, RiskProgramme
from lending.subjects.models import SubjectFacts
from lending.webhooks.models import Webhook, WebhookAttempt, WebhookDelivery

__all__ = [
           "Application",
           "Bank",
           "Base",
           "BenchmarkRate",
           "CreditLine",
           "CreditLineChange",
           "Disclosure",
           "FeedChange",
           "FundAccount",
           "FundEntry",
           "GradePolicy",
           "Loan",
           "LoanDefault",
           "PolicyApplication",
           "Product",
           "Repayment",
           "RiskProgramme",
           "SubjectFacts",
           "Webhook",
           "WebhookAttempt",
           "WebhookDelivery",
]
