-- identity_mappings: one row per identifier of a person (an edge of the identity graph).
-- Key layout: mapping_id = individual_id * 16 + k, k in [0, identifier_count), so
-- individual_id = mapping_id div 16. Mapping k = 0 is the person's primary email_hash.
SELECT
  mapping_id,
  individual_id,
  identifier_type,
  {{ identifier_value(mapping_id, identifier_type, email) }} AS identifier_value,
  -- deterministic identifiers are certain; probabilistic ones uniform in
  -- [confidence_min, confidence_max], rounded to 3 decimals
  IF(identifier_type = 'email_hash', 1.0D,
     least({{ confidence_max }}, greatest({{ confidence_min }},
       floor(({{ confidence_min }} + idgraph_uniform({{ seed }}, 307, mapping_id)
              * ({{ confidence_max }} - {{ confidence_min }})) * 1000.0D + 0.5D) / 1000.0D))) AS confidence_score,
  {{ observed_at(mapping_id, individual_created_at) }} AS observed_at,
  k = 0 AS is_primary
FROM (
  SELECT
    mapping_id,
    individual_id,
    k,
    email,
    individual_created_at,
    {{ identifier_type(mapping_id, u_type) }} AS identifier_type
  FROM (
    SELECT
      i.individual_id * 16 + s.k AS mapping_id,
      i.individual_id,
      s.k,
      i.email,
      i.created_at AS individual_created_at,
      {{ identifier_type_uniform(i.individual_id * 16 + s.k) }} AS u_type
    FROM (
      SELECT
        individual_id,
        email,
        created_at,
        {{ identifier_count(individual_id) }} AS identifier_count
      FROM ({{ table(individuals) }})
    ) i
    LATERAL VIEW explode(sequence(0, i.identifier_count - 1)) s AS k
  )
)
