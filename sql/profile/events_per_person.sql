-- Individuals by their number of engagement events (the events count distribution);
-- people with no events count as 0.
SELECT CAST(per_person AS STRING) AS value, count(*) AS n
FROM {{ per_individual(content_engagement, count(*), true) }}
GROUP BY per_person
