"""``regions``: the stack's primary and secondary regions, inside the jurisdiction."""

from __future__ import annotations

from pydantic import Field

from components.config.errors import ConfigError
from components.config.fields import Model, NonEmpty
from policies.gdpr_pack.jurisdictions import KNOWN_REGIONS, allowed_regions


class RegionsConfig(Model):
    primary: NonEmpty
    secondaries: tuple[NonEmpty, ...] = Field(min_length=1)
    #: Also admit regions of adequacy countries (EU: London, Zurich, Tel Aviv). Off by default.
    allow_adequacy: bool = False

    @property
    def all(self) -> tuple[str, ...]:
        return (self.primary, *self.secondaries)


def check_regions(jurisdiction: str, regions: RegionsConfig) -> None:
    allowed = allowed_regions(jurisdiction, adequacy=regions.allow_adequacy)
    keys = ["regions.primary"] + [
        f"regions.secondaries[{i}]" for i in range(len(regions.secondaries))
    ]
    for key, region in zip(keys, regions.all, strict=True):
        if region not in KNOWN_REGIONS:
            raise ConfigError(key, f"{region!r} is not an AWS region; check its spelling")
        if region not in allowed:
            raise ConfigError(
                key,
                f"{region!r} is outside jurisdiction {jurisdiction!r}; personal data must "
                f"stay in {', '.join(sorted(allowed))}",
            )
    seen: set[str] = set()
    for key, region in zip(keys, regions.all, strict=True):
        if region in seen:
            what = "the primary" if region == regions.primary else "another secondary"
            raise ConfigError(key, f"{region!r} repeats {what}; each region appears once")
        seen.add(region)
