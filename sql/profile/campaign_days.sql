-- Campaigns by length in days, start and end included (uniform on [campaign_min_days, campaign_max_days]).
SELECT datediff(end_date, start_date) + 1 AS value, count(*) AS n
FROM campaigns
GROUP BY 1
