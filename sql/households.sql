-- households: one row per household, household_id = 0 .. households - 1 from range().
-- The root of the key layout: every other person-level key is derived from household_id.
SELECT
  household_id,
  -- adults by the configured shares (docs/realism.md); exactly this many individuals exist
  {{ choice(household_size_weights, u_size) }} AS household_size,
  -- income bracket by the configured weights
  {{ choice(income_weights, u_income) }} AS income_bracket,
  -- mimesis city and state, each picked by its own hash (independent of each other)
  idgraph_cities(idgraph_hash({{ seed }}, 103, household_id)) AS city,
  idgraph_states(idgraph_hash({{ seed }}, 104, household_id)) AS state,
  -- whether the household has a connected TV (connected_tv_household_rate): its members may
  -- be seen through its one shared CTV id
  {{ has_connected_tv(household_id) }} AS has_connected_tv,
  -- five-digit ZIP code, uniform over 00501..99950
  format_string('%05d', 501 + pmod(idgraph_hash({{ seed }}, 105, household_id), 99450)) AS zip,
  -- created in the first half of the window, so members, identifiers and events follow it
  timestamp_seconds({{ start_epoch }} + CAST(floor(u_created * {{ window_seconds }} * 0.5D) AS BIGINT)) AS created_at
FROM (
  SELECT
    id AS household_id,
    idgraph_uniform({{ seed }}, 101, id) AS u_size,
    idgraph_uniform({{ seed }}, 102, id) AS u_income,
    idgraph_uniform({{ seed }}, 106, id) AS u_created
  FROM {{ household_range }}
)
