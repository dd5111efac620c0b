-- Nothing happens outside the window: every exposure, response and engagement event has a
-- timestamp in [start_date 00:00:00, end_date 23:59:59] (a response's attribution delay never
-- carries it past the window's end).
SELECT sum(violations) AS violations FROM (
  SELECT count(*) AS violations FROM campaign_exposures
  WHERE timestamp IS NULL OR timestamp < timestamp_seconds({{ start_epoch }}) OR timestamp > timestamp_seconds({{ end_epoch }})
  UNION ALL
  SELECT count(*) FROM response_events
  WHERE timestamp IS NULL OR timestamp < timestamp_seconds({{ start_epoch }}) OR timestamp > timestamp_seconds({{ end_epoch }})
  UNION ALL
  SELECT count(*) FROM content_engagement
  WHERE timestamp IS NULL OR timestamp < timestamp_seconds({{ start_epoch }}) OR timestamp > timestamp_seconds({{ end_epoch }})
)
