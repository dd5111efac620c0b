-- Engagement events by the content's popularity rank (content_id + 1): Zipf-like with
-- content_zipf_exponent over the catalog.
SELECT content_id + 1 AS value, count(*) AS n
FROM content_engagement
GROUP BY content_id
