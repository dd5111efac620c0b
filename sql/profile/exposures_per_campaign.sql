-- Exposures by campaign: each exposure draw picks a campaign uniformly; it is served when the
-- campaign can reach the person (given/servable_people_per_campaign.sql).
SELECT CAST(c.campaign_id AS STRING) AS value, count(x.exposure_id) AS n
FROM campaigns c
LEFT JOIN campaign_exposures x ON x.campaign_id = c.campaign_id
GROUP BY c.campaign_id
