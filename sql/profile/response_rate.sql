-- Exposures by whether they got a response (a response_rate share do).
SELECT IF(r.response_id IS NULL, 'no_response', 'response') AS value, count(*) AS n
FROM campaign_exposures x
LEFT JOIN response_events r ON r.exposure_id = x.exposure_id
GROUP BY 1
