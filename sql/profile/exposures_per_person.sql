-- Individuals by their number of ad exposures (the exposures count distribution);
-- people with no exposures count as 0.
SELECT CAST(per_person AS STRING) AS value, count(*) AS n
FROM {{ per_individual(campaign_exposures, count(*), true) }}
GROUP BY per_person
