-- Every engagement event's content item exists in the catalog.
SELECT count(*) AS violations
FROM content_engagement e
LEFT ANTI JOIN content_catalog c ON c.content_id = e.content_id
