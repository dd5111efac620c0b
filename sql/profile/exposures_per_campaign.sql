-- Exposures by campaign: each exposure picks a campaign uniformly.
SELECT CAST(c.campaign_id AS STRING) AS value, count(x.exposure_id) AS n
FROM campaigns c
LEFT JOIN campaign_exposures x ON x.campaign_id = c.campaign_id
GROUP BY c.campaign_id
