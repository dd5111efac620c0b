-- Individuals by how many campaigns can be served to them: campaigns that end after the
-- person joined the graph (created_at), and, for CTV campaigns, only if the household has a
-- connected TV. Each exposure draw picks a campaign uniformly and is served only if it is one
-- of these, so a person's exposures are their draws thinned by servable / campaigns.
SELECT CAST(servable AS STRING) AS value, count(*) AS n
FROM (
  SELECT i.individual_id, count(c.campaign_id) AS servable
  FROM individuals i
  LEFT JOIN households h ON h.household_id = i.household_id
  LEFT JOIN campaigns c
    ON unix_date(c.end_date) * 86400 + 86399 >= unix_seconds(i.created_at)
   AND (c.channel <> 'ctv' OR h.has_connected_tv)
  GROUP BY i.individual_id
)
GROUP BY servable
