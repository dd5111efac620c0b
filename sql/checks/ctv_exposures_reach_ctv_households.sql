-- A CTV-channel exposure is shown on a connected TV: the person's household (through the
-- individuals and households tables) has one. A missing person or household counts too.
SELECT count(*) AS violations
FROM campaign_exposures x
LEFT JOIN individuals i ON i.individual_id = x.individual_id
LEFT JOIN households h ON h.household_id = i.household_id
WHERE x.channel = 'ctv' AND (h.household_id IS NULL OR NOT h.has_connected_tv)
