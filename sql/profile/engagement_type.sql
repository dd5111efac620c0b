-- Engagement events by type (engagement_type_weights).
SELECT engagement_type AS value, count(*) AS n
FROM content_engagement
GROUP BY engagement_type
