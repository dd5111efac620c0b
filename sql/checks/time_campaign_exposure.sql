-- Exposures fall inside their campaign: start_date <= exposure date <= end_date, and
-- every campaign's channel is the exposure's channel. A left join: an exposure whose
-- campaign is missing counts as a violation.
SELECT count(*) AS violations
FROM campaign_exposures x
LEFT JOIN campaigns c ON c.campaign_id = x.campaign_id
WHERE c.campaign_id IS NULL
   OR CAST(x.timestamp AS DATE) < c.start_date
   OR CAST(x.timestamp AS DATE) > c.end_date
   OR c.end_date < c.start_date
   OR x.channel <> c.channel
