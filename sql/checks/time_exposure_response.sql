-- Responses follow their exposure within the attribution window:
-- exposure.timestamp <= response.timestamp <= exposure.timestamp + window. A left join: a
-- response whose exposure is missing counts as a violation.
SELECT count(*) AS violations
FROM response_events r
LEFT JOIN campaign_exposures x ON x.exposure_id = r.exposure_id
WHERE x.exposure_id IS NULL
   OR r.timestamp < x.timestamp
   OR r.timestamp > x.timestamp + make_interval(0, 0, 0, {{ attribution_window_days }}, 0, 0, 0)
