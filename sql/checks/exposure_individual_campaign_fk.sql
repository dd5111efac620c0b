-- Every exposure's individual and campaign exist.
SELECT count(*) AS violations
FROM campaign_exposures x
LEFT JOIN individuals i ON i.individual_id = x.individual_id
LEFT JOIN campaigns c ON c.campaign_id = x.campaign_id
WHERE i.individual_id IS NULL OR c.campaign_id IS NULL
