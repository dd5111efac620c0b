"""Expected row counts per table for a config, from the configured distributions alone.

Used to show the scale of a run before launching it (UI, CLI) and by the benchmarks.
"""

from __future__ import annotations

from .config import GraphConfig
from .distributions import mappings_per_person


def expected_rows(config: GraphConfig) -> dict[str, int]:
    """Mean row count of each table (exact for households, content_catalog and campaigns)."""
    sizes = config.household_size_weights
    individuals = config.households * sum(int(size) * weight for size, weight in sizes.items())
    exposures = individuals * config.exposures.mean()
    return {
        "households": config.households,
        "individuals": round(individuals),
        "identity_mappings": round(individuals * mappings_per_person(config)),
        "content_catalog": config.content_items,
        "content_engagement": round(individuals * config.events.mean()),
        "campaigns": config.campaigns,
        "campaign_exposures": round(exposures),
        "response_events": round(exposures * config.response_rate),
    }
