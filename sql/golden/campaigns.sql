SELECT
  campaign_id,
  -- a mimesis company and word, with the campaign's number
  concat(
    idgraph_companies(idgraph_hash(42, 804, campaign_id)), ' ',
    initcap(idgraph_words(idgraph_hash(42, 805, campaign_id))), ' #', campaign_id) AS name,
  /* campaign_channel(u_channel) */ (/* choice(campaign_channel_weights): thresholds are the cumulative weights */ CASE
      WHEN u_channel < 0.35D THEN 'display'
      WHEN u_channel < 0.6D THEN 'video'
      WHEN u_channel < 0.75D THEN 'ctv'
      WHEN u_channel < 0.9D THEN 'social'
      ELSE 'search'
    END) AS channel,
  date_add(DATE '2023-01-01', start_day) AS start_date,
  date_add(DATE '2023-01-01', start_day + days - 1) AS end_date,
  -- budget ~ log-normal around $50,000 (sd 1 in log space), in cents (an assumption)
  floor(exp(ln(50000) + idgraph_normal(42, 806, campaign_id)) * 100.0D + 0.5D) / 100.0D AS budget
FROM (
  SELECT
    campaign_id,
    u_channel,
    days,
    /* campaign_start_day(campaign_id, days) */ (CAST(floor(idgraph_uniform(42, 802, campaign_id) * (1096 /* window_days = (end_epoch + 1 - start_epoch) div 86400 */ - (days) + 1)) AS INT)) AS start_day
  FROM (
    SELECT
      id AS campaign_id,
      /* campaign_channel_uniform(campaign_id) */ (idgraph_uniform(42, 801, id)) AS u_channel,
      /* campaign_days(campaign_id) */ (CAST(7 /* campaign_min_days */ + floor(idgraph_uniform(42, 803, id) * (90 /* campaign_max_days */ - 7 /* campaign_min_days */ + 1)) AS INT)) AS days
    FROM range(0, 100)
  )
)
