-- campaign_exposures: one row per ad exposure of a person to a campaign.
-- Key layout: exposure_id = individual_id * 64 + j, j in [0, exposure_count), so
-- individual_id = exposure_id div 64. The campaign's channel and dates are recomputed
-- from campaign_id (macros campaign_channel, campaign_start_day, campaign_days), the
-- person's created_at and household from the individuals query (no join).
-- exposure_count draws are ad opportunities: one is served only if its campaign runs
-- after the person joined the graph (created_at, also when their first identifier, the
-- email, is seen) and, for a CTV campaign, if the household has a connected TV.
SELECT
  exposure_id,
  individual_id,
  campaign_id,
  -- uniform over [max(campaign start, created_at), min(campaign end, window end)], whole seconds
  timestamp_seconds(first_s + CAST(floor(u_time * (last_s - first_s + 1)) AS BIGINT)) AS timestamp,
  channel
FROM (
  SELECT
    exposure_id,
    individual_id,
    campaign_id,
    channel,
    u_time,
    greatest({{ start_epoch }} + CAST(start_day AS BIGINT) * 86400, created_s) AS first_s,
    least({{ start_epoch }} + CAST(start_day + days AS BIGINT) * 86400 - 1, {{ end_epoch }}) AS last_s,
    has_connected_tv
  FROM (
    SELECT
      exposure_id,
      individual_id,
      created_s,
      has_connected_tv,
      campaign_id,
      {{ campaign_channel(u_channel) }} AS channel,
      {{ campaign_start_day(campaign_id, days) }} AS start_day,
      days,
      u_time
    FROM (
      SELECT
        exposure_id,
        individual_id,
        created_s,
        has_connected_tv,
        campaign_id,
        {{ campaign_channel_uniform(campaign_id) }} AS u_channel,
        {{ campaign_days(campaign_id) }} AS days,
        u_time
      FROM (
        SELECT
          i.individual_id * 64 + x.j AS exposure_id,
          i.individual_id,
          i.created_s,
          i.has_connected_tv,
          -- campaign uniform over all campaigns
          pmod(idgraph_hash({{ seed }}, 502, i.individual_id * 64 + x.j), {{ campaigns }}) AS campaign_id,
          idgraph_uniform({{ seed }}, 503, i.individual_id * 64 + x.j) AS u_time
        FROM (
          SELECT
            individual_id,
            unix_seconds(created_at) AS created_s,
            {{ has_connected_tv(household_id) }} AS has_connected_tv,
            {{ exposure_count(individual_id) }} AS exposure_count
          FROM ({{ table(individuals) }})
        ) i
        -- heavy-tailed exposures per person; sequence(0, -1) is [0, -1], so also keep j < count
        LATERAL VIEW explode(sequence(0, greatest(i.exposure_count - 1, 0))) x AS j
        WHERE x.j < i.exposure_count
      )
    )
  )
)
-- served only inside the person's life, and CTV ads only on a connected TV
WHERE first_s <= last_s AND (channel <> 'ctv' OR has_connected_tv)
