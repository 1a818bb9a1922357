"""The console's settings (prefix ``CONSOLE_``)."""
from __future__ import annotations

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from common.settings import ServiceSettings, var_dir

HERE = Path(__file__).resolve().parent


class ConsoleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="CONSOLE_", extra="ignore")

    service_name: str = "console"
    port: int = 8006
    # The household issuer's private key (PEM): signs household tokens only; the services trust its
    # public half for that role alone (common.auth.TokenVerifier). Default var/keys/household-issuer.pem.
    household_issuer_key_file: str = ""
    household_token_minutes: int = 30
    # A household's personal link (专属链接) an officer issues: valid this long, and locked after this
    # many wrong ID-number endings.
    household_link_days: int = 7
    household_link_attempts: int = 5
    # The log-in page lists the demo tokens of `make run` (var/dev-tokens.env) in dev only.
    dev_tokens_file: str = ""
    # Where the third-party scripts come from (npm ci into services/console/node_modules).
    node_modules_dir: str = str(HERE / "node_modules")
    # How long the console waits for a service before telling the page it is unavailable.
    upstream_timeout_seconds: float = 30.0

    def issuer_key_path(self) -> Path:
        return Path(self.household_issuer_key_file or var_dir() / "keys" / "household-issuer.pem")

    def dev_tokens_path(self) -> Path:
        return Path(self.dev_tokens_file or var_dir() / "dev-tokens.env")
