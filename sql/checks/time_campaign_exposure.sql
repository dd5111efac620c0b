-- Exposures fall inside their campaign: start_date <= exposure date <= end_date, and
-- every campaign's channel is the exposure's channel.
SELECT count(*) AS violations
FROM campaign_exposures x
JOIN campaigns c ON c.campaign_id = x.campaign_id
WHERE CAST(x.timestamp AS DATE) < c.start_date
   OR CAST(x.timestamp AS DATE) > c.end_date
   OR c.end_date < c.start_date
   OR x.channel <> c.channel
