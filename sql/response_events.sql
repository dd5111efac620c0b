-- response_events: one row per response to an exposure (at most one per exposure).
-- Key layout: response_id = exposure_id, so the exposure (and through it the person,
-- exposure_id div 64) is known from the key; the exposure's timestamp is recomputed
-- by including the campaign_exposures query, filtered to the responding share.
SELECT
  response_id,
  exposure_id,
  individual_id,
  response_type,
  -- delay after the exposure: exponential with scale a quarter of the attribution window,
  -- truncated (inverse CDF) to the attribution window or the window's end, whichever is first
  timestamp_seconds(exposure_s + CAST(floor(
    -ln(1.0D - u_delay * (1.0D - exp(-4.0D * least({{ attribution_window_days }} * 86400, {{ end_epoch }} - exposure_s)
      / ({{ attribution_window_days }} * 86400.0D))))
    * {{ attribution_window_days }} * 86400 / 4.0D) AS BIGINT)) AS timestamp,
  -- conversions carry an order value ~ log-normal around $60 (an assumption); clicks and views 0
  IF(response_type = 'conversion',
     floor(exp(ln(60) + 0.7D * z_value) * 100.0D + 0.5D) / 100.0D,
     0.0D) AS value
FROM (
  SELECT
    response_id,
    exposure_id,
    individual_id,
    exposure_s,
    {{ choice(response_type_weights, u_response) }} AS response_type,
    u_delay,
    z_value
  FROM (
    SELECT
      exposure_id AS response_id,
      exposure_id,
      individual_id,
      unix_seconds(timestamp) AS exposure_s,
      idgraph_uniform({{ seed }}, 602, exposure_id) AS u_response,
      idgraph_uniform({{ seed }}, 603, exposure_id) AS u_delay,
      idgraph_normal({{ seed }}, 604, exposure_id) AS z_value
    FROM ({{ table(campaign_exposures) }})
    -- a response_rate share of exposures get a response
    WHERE idgraph_uniform({{ seed }}, 601, exposure_id) < {{ response_rate }}
  )
)
