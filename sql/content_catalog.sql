-- content_catalog: one row per content item, content_id = 0 .. content_items - 1.
-- content_id is also the popularity rank - 1: engagement draws ids by a Zipf-like law.
SELECT
  content_id,
  -- two mimesis words, capitalised
  initcap(concat(
    idgraph_words(idgraph_hash({{ seed }}, 703, content_id)), ' ',
    idgraph_words(idgraph_hash({{ seed }}, 704, content_id)))) AS title,
  {{ choice(content_category_weights, u_category) }} AS category,
  {{ content_duration(content_id) }} AS duration_seconds,
  -- released in the five years before start_date, so every view comes after the release
  timestamp_seconds({{ start_epoch }} - 1
    - CAST(floor(idgraph_uniform({{ seed }}, 705, content_id) * 5 * 31536000) AS BIGINT)) AS released_at
FROM (
  SELECT
    id AS content_id,
    idgraph_uniform({{ seed }}, 701, id) AS u_category
  FROM {{ content_range }}
)
