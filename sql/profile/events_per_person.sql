-- Individuals by their number of engagement events (the events count distribution);
-- people with no events count as 0.
SELECT CAST(coalesce(e.events, 0) AS STRING) AS value, count(*) AS n
FROM individuals i
LEFT JOIN (
  SELECT individual_id, count(*) AS events
  FROM content_engagement
  GROUP BY individual_id
) e ON e.individual_id = i.individual_id
GROUP BY coalesce(e.events, 0)
