-- content_engagement: one row per engagement event of a person with a content item.
-- Key layout: event_id = individual_id * 256 + j, j in [0, event_count), so
-- individual_id = event_id div 256. The event is seen through one of the person's own
-- identifier slots k (slot_id = individual_id * 16 + k): its type and first sighting are
-- recomputed with the macros identity_mappings uses, and for a cookie the generation whose
-- validity interval holds the event's time, so the identifier is mapping
-- slot_id * 16 + generation, a correct mapping of this same person (for a household-shared
-- CTV id: the row linking that id to this member, who is the one watching).
SELECT
  event_id,
  individual_id,
  identifier_type,
  {{ identifier_value(mapping_id, identifier_type, email_hash) }} AS identifier_value,
  content_id,
  timestamp_seconds(event_s) AS timestamp,
  -- watched time: a 'complete' event watched the item to (nearly) its end, uniform on
  -- [complete_watch_share, 1) of its length (rounded up); the others uniform on [0, share)
  CAST(IF(engagement_type = 'complete',
          ceil(({{ complete_watch_share }} + u_watched * (1.0D - {{ complete_watch_share }})) * item_seconds),
          floor(u_watched * {{ complete_watch_share }} * item_seconds)) AS INT) AS duration_seconds,
  engagement_type
FROM (
  SELECT
    event_id,
    individual_id,
    identifier_type,
    email_hash,
    content_id,
    event_s,
    u_watched,
    {{ choice(engagement_type_weights, u_engagement) }} AS engagement_type,
    {{ content_duration(content_id) }} AS item_seconds,
    -- the generation (cookie id) of the slot that was live at the event's time
    slot_id * 16 + IF(identifier_type = 'cookie_id',
      {{ generation_of(first_seen_s, event_s, {{ cookie_id_count(slot_id) }}) }}, 0) AS mapping_id
  FROM (
    SELECT
      event_id,
      individual_id,
      slot_id,
      email_hash,
      {{ identifier_type(slot_id, identifier_count, u_ctv, personal_type) }} AS identifier_type,
      first_seen_s,
      -- after the identifier was first seen, up to the end of the window
      first_seen_s + CAST(floor(u_time * ({{ end_epoch }} - first_seen_s)) AS BIGINT) AS event_s,
      content_id,
      u_watched,
      u_engagement
    FROM (
      SELECT
        event_id,
        individual_id,
        slot_id,
        email_hash,
        identifier_count,
        first_seen_s,
        u_ctv,
        {{ personal_type(u_personal) }} AS personal_type,
        -- popularity rank by a floored power law over the catalog (content_zipf_exponent)
        {{ popularity_rank(u_content) }} - 1 AS content_id,
        idgraph_uniform({{ seed }}, 404, event_id) AS u_time,
        idgraph_uniform({{ seed }}, 405, event_id) AS u_watched,
        idgraph_uniform({{ seed }}, 406, event_id) AS u_engagement
      FROM (
        SELECT
          event_id,
          individual_id,
          slot_id,
          email_hash,
          identifier_count,
          unix_seconds({{ observed_at(slot_id, individual_created_at) }}) AS first_seen_s,
          {{ identifier_type_uniform(slot_id) }} AS u_ctv,
          {{ personal_type_uniform(slot_id) }} AS u_personal,
          idgraph_uniform({{ seed }}, 403, event_id) AS u_content
        FROM (
          SELECT
            i.individual_id * 256 + e.j AS event_id,
            i.individual_id,
            -- which of the person's identifiers saw it: k uniform in [0, identifier_count)
            i.individual_id * 16 + pmod(idgraph_hash({{ seed }}, 402, i.individual_id * 256 + e.j), i.identifier_count) AS slot_id,
            i.email_hash,
            i.identifier_count,
            i.created_at AS individual_created_at
          FROM (
            SELECT
              individual_id,
              created_at,
              identifier_count,
              event_count,
              -- the person's hashed email (the email_hash identifier's value), computed once per
              -- person rather than once per event, and only for people with events
              IF(event_count > 0, sha2(email, 256), NULL) AS email_hash
            FROM (
              SELECT
                individual_id,
                email,
                created_at,
                {{ identifier_count(individual_id) }} AS identifier_count,
                {{ event_count(individual_id) }} AS event_count
              FROM ({{ table(individuals) }})
            )
          ) i
          -- heavy-tailed events per person; sequence(0, -1) is [0, -1], so also keep j < count
          LATERAL VIEW explode(sequence(0, greatest(i.event_count - 1, 0))) e AS j
          WHERE e.j < i.event_count
        )
      )
    )
  )
)
