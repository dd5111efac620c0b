-- A 'complete' engagement watched the item to (nearly) its end: its watched duration is at
-- least complete_watch_share of the item's length, and no event watched more than the whole
-- item. A left join: an event whose content item is missing counts as a violation.
SELECT count(*) AS violations
FROM content_engagement e
LEFT JOIN content_catalog c ON c.content_id = e.content_id
WHERE c.content_id IS NULL
   OR e.duration_seconds > c.duration_seconds
   OR (e.engagement_type = 'complete' AND e.duration_seconds < {{ complete_watch_share }} * c.duration_seconds)
