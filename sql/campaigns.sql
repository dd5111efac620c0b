-- campaigns: one row per campaign, campaign_id = 0 .. campaigns - 1.
-- Exposures recompute a campaign's channel and dates from campaign_id with the same macros.
SELECT
  campaign_id,
  -- a mimesis company and word, with the campaign's number
  concat(
    idgraph_companies(idgraph_hash({{ seed }}, 804, campaign_id)), ' ',
    initcap(idgraph_words(idgraph_hash({{ seed }}, 805, campaign_id))), ' #', campaign_id) AS name,
  {{ campaign_channel(u_channel) }} AS channel,
  date_add(DATE '{{ start_date }}', start_day) AS start_date,
  date_add(DATE '{{ start_date }}', start_day + days - 1) AS end_date,
  -- budget ~ log-normal around $50,000 (sd 1 in log space), in cents (an assumption)
  floor(exp(ln(50000) + idgraph_normal({{ seed }}, 806, campaign_id)) * 100.0D + 0.5D) / 100.0D AS budget
FROM (
  SELECT
    campaign_id,
    u_channel,
    days,
    {{ campaign_start_day(campaign_id, days) }} AS start_day
  FROM (
    SELECT
      id AS campaign_id,
      {{ campaign_channel_uniform(id) }} AS u_channel,
      {{ campaign_days(id) }} AS days
    FROM {{ campaign_range }}
  )
)
