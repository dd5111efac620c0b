-- Catalog items by category (content_category_weights).
SELECT category AS value, count(*) AS n
FROM content_catalog
GROUP BY category
