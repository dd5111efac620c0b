-- campaign_exposures: one row per ad exposure of a person to a campaign.
-- Key layout: exposure_id = individual_id * 64 + j, j in [0, exposure_count), so
-- individual_id = exposure_id div 64. The campaign's channel and dates are recomputed
-- from campaign_id (macros campaign_channel, campaign_start_day, campaign_days).
SELECT
  exposure_id,
  individual_id,
  campaign_id,
  -- uniform over the campaign's days, start_date 00:00:00 to end_date 23:59:59
  timestamp_seconds({{ start_epoch }}
    + CAST({{ campaign_start_day(campaign_id) }} AS BIGINT) * 86400
    + CAST(floor(u_time * {{ campaign_days(campaign_id) }} * 86400) AS BIGINT)) AS timestamp,
  {{ campaign_channel(u_channel) }} AS channel
FROM (
  SELECT
    exposure_id,
    individual_id,
    -- campaign uniform over all campaigns
    pmod(idgraph_hash({{ seed }}, 502, exposure_id), {{ campaigns }}) AS campaign_id,
    {{ campaign_channel_uniform(pmod(idgraph_hash({{ seed }}, 502, exposure_id), {{ campaigns }})) }} AS u_channel,
    idgraph_uniform({{ seed }}, 503, exposure_id) AS u_time
  FROM (
    SELECT
      i.individual_id * 64 + x.j AS exposure_id,
      i.individual_id
    FROM (
      SELECT
        individual_id,
        {{ exposure_count(individual_id) }} AS exposure_count
      FROM ({{ table(individuals) }})
    ) i
    -- heavy-tailed exposures per person; sequence(0, -1) is [0, -1], so also keep j < count
    LATERAL VIEW explode(sequence(0, greatest(i.exposure_count - 1, 0))) x AS j
    WHERE x.j < i.exposure_count
  )
)
