-- Every response answers an existing exposure of the same individual.
SELECT count(*) AS violations
FROM response_events r
LEFT ANTI JOIN campaign_exposures x
  ON x.exposure_id = r.exposure_id
 AND x.individual_id = r.individual_id
