"""One settings object for the service, from the environment (SHAHR_...) with defaults that work on a
fresh machine: a SQLite file, the demo feed and the Mashhad distance policy."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PLACEHOLDER_SECRET = "change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHAHR_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite:///shahr.sqlite3"
    """SQLite by default (zero set-up); PostgreSQL in production: postgresql+psycopg://user@host/db."""
    secret_key: str = PLACEHOLDER_SECRET
    """Signs card tokens and staff tokens; must be set outside development."""
    timezone: str = "Asia/Tehran"
    policy: str = "mashhad-distance"
    feed: str = "data/mashhad-demo.zip"

    @model_validator(mode="after")
    def _no_placeholder_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("SHAHR_SECRET_KEY must be set to a real secret in production")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
