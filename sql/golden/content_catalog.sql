SELECT
  content_id,
  -- two mimesis words, capitalised
  initcap(concat(
    idgraph_words(idgraph_hash(42, 703, content_id)), ' ',
    idgraph_words(idgraph_hash(42, 704, content_id)))) AS title,
  /* choice(content_category_weights): thresholds are the cumulative weights */ CASE
      WHEN u_category < 0.2D THEN 'news'
      WHEN u_category < 0.35D THEN 'sports'
      WHEN u_category < 0.6D THEN 'entertainment'
      WHEN u_category < 0.75D THEN 'lifestyle'
      WHEN u_category < 0.85D THEN 'education'
      ELSE 'kids'
    END AS category,
  /* content_duration(content_id) */ (CAST(least(10800, greatest(30, floor(exp(ln(1200) + 0.8D * idgraph_normal(42, 702, content_id))))) AS INT)) AS duration_seconds,
  -- released in the five years before start_date, so every view comes after the release
  timestamp_seconds(1672531200 /* start_epoch = Unix seconds of start_date 00:00:00 UTC */ - 1
    - CAST(floor(idgraph_uniform(42, 705, content_id) * 5 * 31536000) AS BIGINT)) AS released_at
FROM (
  SELECT
    id AS content_id,
    idgraph_uniform(42, 701, id) AS u_category
  FROM range(0, 10000)
)
