"""The civic module's settings, declared in one place with their defaults (env prefix `SHAHR_CIVIC_`).

Thresholds and deadlines are settings, not constants: Democracy Seoul started at 500 supports for a
debate and 5,000 participants for the mayor's answer and lowered them to 100 and 1,000 once it knew how
many people took part; Mashhad will tune its own the same way. A nested value is set with `__`:
`SHAHR_CIVIC_SUPPORT_LIMIT__PER_ADDRESS=1000`.

What both features read lives here (the districts file, the rate limits); what only reports read is
`civic.reports.settings.ReportSettings`.
"""

from __future__ import annotations

from enum import StrEnum
from functools import lru_cache

from pydantic import AliasChoices, BaseModel, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Action(StrEnum):
    """What a resident does that costs the city something when abused, each rate-limited on its own."""

    REPORT = "report"
    PROPOSAL = "proposal"
    SUPPORT = "support"
    COMMENT = "comment"
    VERIFICATION = "verification"
    """Asking for a code: each one is a text message the city pays for."""
    RIDER_FARES = "rider_fares"
    """A card holder's own fares for a consultation: a card token tried, and a card's month priced twice."""


class Limit(BaseModel):
    """How many times per window one person, and one client address, may do an action. Addresses get
    more: Iranian mobile carriers put many subscribers behind one address (carrier-grade NAT)."""

    per_person: int = Field(ge=1)
    per_address: int = Field(ge=1)


class CivicSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SHAHR_CIVIC_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
        populate_by_name=True,
    )

    districts_file: str | None = Field(
        None, validation_alias=AliasChoices("SHAHR_CIVIC_DISTRICTS_FILE", "SHAHR_REPORTS_DISTRICTS_FILE")
    )
    """A GeoJSON FeatureCollection of the city's districts (`shahr.civic.geo`), where reports are placed and
    proposals name their district; None: the demo's illustrative Mashhad districts shipped in the package.
    `SHAHR_REPORTS_DISTRICTS_FILE`, its name when only reports read it, is still read."""

    debate_threshold: int = Field(100, ge=1)
    """Supports that open a proposal to public debate (comments)."""
    answer_threshold: int = Field(1000, ge=1)
    """Participants (distinct supporters and commenters) that oblige the city to answer."""
    answer_days: int = Field(30, ge=1)
    """Days the responsible office has to publish its answer once the answer threshold is reached."""
    expiry_days: int = Field(30, ge=1)
    """Days a proposal has to reach the debate threshold before it expires."""
    categories: tuple[str, ...] = (
        "transport",
        "urban_planning",
        "environment",
        "culture",
        "welfare",
        "safety",
        "other",
    )
    """The policy areas a proposal is filed under (codes; pages translate them)."""

    rate_window_s: int = Field(3600, ge=1)
    """The fixed window every rate limit counts in."""
    report_limit: Limit = Limit(per_person=10, per_address=60)
    proposal_limit: Limit = Limit(per_person=5, per_address=30)
    support_limit: Limit = Limit(per_person=60, per_address=600)
    comment_limit: Limit = Limit(per_person=20, per_address=200)
    verification_limit: Limit = Limit(per_person=3, per_address=20)
    """Per phone number and per address: each code is a paid text message."""
    rider_fares_limit: Limit = Limit(per_person=20, per_address=60)
    """Per card named by the token tried and per address: wrong tokens count too."""

    code_length: int = Field(6, ge=4, le=10)
    code_lifetime_s: int = Field(300, ge=30)
    code_attempts: int = Field(5, ge=1)
    """Wrong codes allowed per challenge before it is closed: 5 guesses in 10^6 is a 1 in 200,000 chance."""
    person_token_days: int = Field(180, ge=1)
    """How long a person token lasts before the phone must be verified again."""
    phone_country_code: str = Field("98", pattern=r"^[1-9][0-9]{0,2}$")
    """Prefixed to numbers written nationally (0912...)."""
    code_sender: str = "shahr.civic.verification:ConsoleSender"
    """`module:Class` of the `CodeSender` to use, built with no arguments; the console sender only
    prints codes, so it is refused in production."""

    user_flags_to_hide: int = Field(3, ge=1)
    """Flags from distinct persons that hide a comment or proposal until a moderator decides: more than
    one, so a single resident cannot silence another."""
    screen_words: tuple[str, ...] = ()
    """Words (matched on normalised text) that send a text to moderation before it is shown."""

    @model_validator(mode="after")
    def _answer_after_debate(self) -> CivicSettings:
        if self.answer_threshold < self.debate_threshold:
            raise ValueError(
                f"answer_threshold {self.answer_threshold} is below debate_threshold "
                f"{self.debate_threshold}: a proposal must be debated before it obliges an answer"
            )
        return self

    def limit(self, action: Action) -> Limit:
        return {
            Action.REPORT: self.report_limit,
            Action.PROPOSAL: self.proposal_limit,
            Action.SUPPORT: self.support_limit,
            Action.COMMENT: self.comment_limit,
            Action.VERIFICATION: self.verification_limit,
            Action.RIDER_FARES: self.rider_fares_limit,
        }[action]


@lru_cache(maxsize=1)
def get_civic_settings() -> CivicSettings:
    return CivicSettings()
