-- Campaigns by how many people they can be served to (see servable_campaigns_per_person):
-- a campaign's expected share of the exposures is proportional to this count.
SELECT CAST(c.campaign_id AS STRING) AS value, count(i.individual_id) AS n
FROM campaigns c
LEFT JOIN (
  SELECT i.individual_id, i.created_at, h.has_connected_tv
  FROM individuals i
  LEFT JOIN households h ON h.household_id = i.household_id
) i
  ON unix_date(c.end_date) * 86400 + 86399 >= unix_seconds(i.created_at)
 AND (c.channel <> 'ctv' OR i.has_connected_tv)
GROUP BY c.campaign_id
