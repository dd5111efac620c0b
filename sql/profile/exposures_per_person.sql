-- Individuals by their number of ad exposures (the exposures count distribution);
-- people with no exposures count as 0.
SELECT CAST(coalesce(x.exposures, 0) AS STRING) AS value, count(*) AS n
FROM individuals i
LEFT JOIN (
  SELECT individual_id, count(*) AS exposures
  FROM campaign_exposures
  GROUP BY individual_id
) x ON x.individual_id = i.individual_id
GROUP BY coalesce(x.exposures, 0)
