-- Campaigns by channel (campaign_channel_weights).
SELECT channel AS value, count(*) AS n
FROM campaigns
GROUP BY channel
