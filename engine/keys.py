"""The key layout: every child key embeds its parent's, so parents are arithmetic.

    individual_id = household_id * 8 + slot            (slot < household_size <= 8)
    mapping_id    = (individual_id * 16 + k) * 16 + sub (k < identifiers <= 15; k = 0 is primary;
                    sub = cookie generation g < 8, or 8 + g for a wrong-person copy)
    event_id      = individual_id * 256 + j            (j < events <= 255)
    exposure_id   = individual_id * 64 + j             (j < exposures <= 63)
    response_id   = exposure_id                        (at most one response per exposure)
    content_id, campaign_id: 0 .. n - 1 of their own small ranges.

Documented for SQL reviewers in `sql/README.md`; `row()` uses it to find a key's root.
"""

from __future__ import annotations

from dataclasses import dataclass

INDIVIDUALS_PER_HOUSEHOLD = 8
MAPPINGS_PER_INDIVIDUAL = 16
# Each identifier slot k has 16 mapping ids: cookie generation g (< 8), and 8 + g for the
# wrong-person copy of generation g (the noisy layer): mapping_id = (individual_id * 16 + k) * 16 + sub.
SUBKEYS_PER_IDENTIFIER = 16
NOISE_SUBKEY_OFFSET = 8
EVENTS_PER_INDIVIDUAL = 256
EXPOSURES_PER_INDIVIDUAL = 64


@dataclass(frozen=True)
class TableKeys:
    """Where a table's rows come from: its key column, its root range and the key's divisor to the root."""

    key: str
    root: str  # "households", "content" or "campaigns"
    per_root: int  # key div per_root = root id


TABLE_KEYS: dict[str, TableKeys] = {
    "households": TableKeys("household_id", "households", 1),
    "individuals": TableKeys("individual_id", "households", INDIVIDUALS_PER_HOUSEHOLD),
    "identity_mappings": TableKeys("mapping_id", "households", INDIVIDUALS_PER_HOUSEHOLD * MAPPINGS_PER_INDIVIDUAL * SUBKEYS_PER_IDENTIFIER),
    "content_catalog": TableKeys("content_id", "content", 1),
    "content_engagement": TableKeys("event_id", "households", INDIVIDUALS_PER_HOUSEHOLD * EVENTS_PER_INDIVIDUAL),
    "campaigns": TableKeys("campaign_id", "campaigns", 1),
    "campaign_exposures": TableKeys("exposure_id", "households", INDIVIDUALS_PER_HOUSEHOLD * EXPOSURES_PER_INDIVIDUAL),
    "response_events": TableKeys("response_id", "households", INDIVIDUALS_PER_HOUSEHOLD * EXPOSURES_PER_INDIVIDUAL),
}

TABLES: tuple[str, ...] = tuple(TABLE_KEYS)


def root_of(table: str, key: int) -> int:
    """The household (or content/campaign) id a row's key derives from."""
    return key // TABLE_KEYS[table].per_root
