SELECT
  household_id,
  -- adults by the configured shares (docs/realism.md); exactly this many individuals exist
  /* choice(household_size_weights): thresholds are the cumulative weights */ CASE
      WHEN u_size < 0.33D THEN 1
      WHEN u_size < 0.8D THEN 2
      WHEN u_size < 0.93D THEN 3
      WHEN u_size < 0.98D THEN 4
      WHEN u_size < 0.995D THEN 5
      WHEN u_size < 0.999D THEN 6
      WHEN u_size < 0.9997D THEN 7
      ELSE 8
    END AS household_size,
  -- income bracket by the configured weights
  /* choice(income_weights): thresholds are the cumulative weights */ CASE
      WHEN u_income < 0.25D THEN '<30K'
      WHEN u_income < 0.6D THEN '30-60K'
      WHEN u_income < 0.85D THEN '60-100K'
      ELSE '100K+'
    END AS income_bracket,
  -- mimesis city and state, each picked by its own hash (independent of each other)
  idgraph_cities(idgraph_hash(42, 103, household_id)) AS city,
  idgraph_states(idgraph_hash(42, 104, household_id)) AS state,
  -- whether the household has a connected TV (connected_tv_household_rate): its members may
  -- be seen through its one shared CTV id
  /* has_connected_tv(household_id) */ (idgraph_uniform(42, 107, household_id) < 0.8D /* connected_tv_household_rate */) AS has_connected_tv,
  -- five-digit ZIP code, uniform over 00501..99950
  format_string('%05d', 501 + pmod(idgraph_hash(42, 105, household_id), 99450)) AS zip,
  -- created in the first half of the window, so members, identifiers and events follow it
  timestamp_seconds(1672531200 /* start_epoch = Unix seconds of start_date 00:00:00 UTC */ + CAST(floor(u_created * 94694399 /* window_seconds = end_epoch - start_epoch */ * 0.5D) AS BIGINT)) AS created_at
FROM (
  SELECT
    id AS household_id,
    idgraph_uniform(42, 101, id) AS u_size,
    idgraph_uniform(42, 102, id) AS u_income,
    idgraph_uniform(42, 106, id) AS u_created
  FROM range(0, 100)
)
