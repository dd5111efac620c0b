-- Responses by delay after their exposure, in whole minutes (exponential with scale a
-- quarter of the attribution window, truncated to the window).
SELECT CAST((unix_seconds(r.timestamp) - unix_seconds(x.timestamp)) div 60 AS INT) AS value, count(*) AS n
FROM response_events r
JOIN campaign_exposures x ON x.exposure_id = r.exposure_id
GROUP BY 1
