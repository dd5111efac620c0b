-- content_engagement: one row per engagement event of a person with a content item.
-- Key layout: event_id = individual_id * 256 + j, j in [0, event_count), so
-- individual_id = event_id div 256. The event is seen through one of the person's own
-- identifiers, mapping k: its type, value and first sighting are recomputed from
-- mapping_id = individual_id * 16 + k, the same macros identity_mappings uses.
SELECT
  event_id,
  individual_id,
  identifier_type,
  {{ identifier_value(mapping_id, identifier_type, email) }} AS identifier_value,
  content_id,
  -- after the identifier was first seen, up to the end of the window
  timestamp_seconds(observed_s
    + CAST(floor(u_time * ({{ end_epoch }} - observed_s)) AS BIGINT)) AS timestamp,
  -- watched share of the item's length, uniform
  CAST(floor(u_watched * {{ content_duration(content_id) }}) AS INT) AS duration_seconds,
  {{ choice(engagement_type_weights, u_engagement) }} AS engagement_type
FROM (
  SELECT
    event_id,
    individual_id,
    mapping_id,
    email,
    {{ identifier_type(mapping_id, u_type) }} AS identifier_type,
    unix_seconds({{ observed_at(mapping_id, individual_created_at) }}) AS observed_s,
    -- popularity rank by a Zipf-like law over the catalog (content_zipf_exponent)
    {{ zipf_rank(u_content) }} - 1 AS content_id,
    idgraph_uniform({{ seed }}, 404, event_id) AS u_time,
    idgraph_uniform({{ seed }}, 405, event_id) AS u_watched,
    idgraph_uniform({{ seed }}, 406, event_id) AS u_engagement
  FROM (
    SELECT
      event_id,
      individual_id,
      mapping_id,
      email,
      individual_created_at,
      {{ identifier_type_uniform(mapping_id) }} AS u_type,
      idgraph_uniform({{ seed }}, 403, event_id) AS u_content
    FROM (
      SELECT
        i.individual_id * 256 + e.j AS event_id,
        i.individual_id,
        -- which of the person's identifiers saw it: k uniform in [0, identifier_count)
        i.individual_id * 16 + pmod(idgraph_hash({{ seed }}, 402, i.individual_id * 256 + e.j), i.identifier_count) AS mapping_id,
        i.email,
        i.created_at AS individual_created_at
      FROM (
        SELECT
          individual_id,
          email,
          created_at,
          {{ identifier_count(individual_id) }} AS identifier_count,
          {{ event_count(individual_id) }} AS event_count
        FROM ({{ table(individuals) }})
      ) i
      -- heavy-tailed events per person; sequence(0, -1) is [0, -1], so also keep j < count
      LATERAL VIEW explode(sequence(0, greatest(i.event_count - 1, 0))) e AS j
      WHERE e.j < i.event_count
    )
  )
)
