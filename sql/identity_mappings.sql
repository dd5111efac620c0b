-- identity_mappings: one row per identifier of a person (an edge of the identity graph).
-- Key layout: mapping_id = (individual_id * 16 + k) * 16 + sub. k in [0, identifier_count)
-- is the identifier slot (k = 0: the primary email_hash); sub = g in [0, generations) is the
-- cookie generation (a browser's successive cookie ids; 0 for other types); sub = 8 + g is
-- the wrong-person copy of generation g (the optional noisy layer, is_correct = false).
-- So mapping_id div 256 is always the identifier's true owner; individual_id is the person
-- the row links it to (the owner, except on wrong links).
--
-- Read it top to bottom: each named step adds one row fan-out or one group of draws, and
-- widens the key of the step before it. To follow one identifier, take its mapping_id:
--   people        individual_id                                  = mapping_id div 256
--   slots         slot_id         = individual_id * 16 + k       = mapping_id div 16
--   generations   true_mapping_id = slot_id * 16 + g             = mapping_id with bit 3 cleared
--   links         mapping_id      = true_mapping_id + copy * 8
-- The steps are SELECTs Spark stacks into one projection per step (no join, no shuffle);
-- a draw used twice is computed in the step before its users, so it is computed once.
WITH
-- Step 1, people: every individual of individuals.sql (recomputed from its key, not joined)
-- with its number of identifier slots. Key: individual_id.
people AS (
  SELECT
    individual_id,
    household_id,
    email,
    created_at,
    {{ identifier_count(individual_id) }} AS identifier_count
  FROM ({{ table(individuals) }})
),
-- Step 2, slot_draws: one row per identifier slot k of a person, with the uniforms its type
-- is drawn from and its first sighting. Key: slot_id = individual_id * 16 + k (k < 16).
slot_draws AS (
  SELECT
    i.individual_id * 16 + s.k AS slot_id,
    i.household_id,
    {{ household_size_uniform(i.household_id) }} AS u_household_size,
    s.k,
    i.identifier_count,
    -- first sighting of the slot; its generations split the time from here to the end
    unix_seconds({{ observed_at(i.individual_id * 16 + s.k, i.created_at) }}) AS first_seen_s,
    i.email,
    {{ identifier_type_uniform(i.individual_id * 16 + s.k) }} AS u_ctv,
    {{ personal_type_uniform(i.individual_id * 16 + s.k) }} AS u_personal
  FROM people i
  LATERAL VIEW explode(sequence(0, i.identifier_count - 1)) s AS k
),
-- Step 3, slot_choices: the choices made from those uniforms, still per slot. Key: slot_id.
slot_choices AS (
  SELECT
    slot_id,
    household_id,
    -- the household's size, recomputed from its id as households.sql draws it
    {{ choice(household_size_weights, u_household_size) }} AS household_size,
    k,
    identifier_count,
    first_seen_s,
    email,
    u_ctv,
    {{ personal_type(u_personal) }} AS personal_type
  FROM slot_draws
),
-- Step 4, slots: the slot's identifier type and, for a cookie, how many cookie ids it goes
-- through. Key: slot_id; its owner is slot_id div 16, its household slot_id div 128.
slots AS (
  SELECT
    slot_id,
    household_id,
    household_size,
    k,
    first_seen_s,
    email,
    {{ identifier_type(slot_id, identifier_count, u_ctv, personal_type) }} AS identifier_type,
    -- cookie churn: a browser goes through several cookie ids over time (used by cookies only)
    {{ cookie_id_count(slot_id) }} AS cookie_ids
  FROM slot_choices
),
-- Step 5, generations: one row per generation g of a slot (several cookie ids for a cookie
-- slot, one id otherwise), with the noisy layer's draws for it.
-- Key: true_mapping_id = slot_id * 16 + g (g < 8), the mapping_id of the correct link.
generations AS (
  SELECT
    slot_id * 16 + x.g AS true_mapping_id,
    x.g,
    slot_id div 16 AS owner_id,
    household_id,
    household_size,
    k,
    IF(identifier_type = 'cookie_id', cookie_ids, 1) AS generations,
    first_seen_s,
    identifier_type,
    email,
    -- noisy layer: a noise_rate share of personal probabilistic identifiers is also linked
    -- to a wrong person (never an email_hash, never the household-shared CTV id)
    identifier_type IN ('cookie_id', 'mobile_ad_id', 'device_id')
      AND idgraph_uniform({{ seed }}, 310, slot_id * 16 + x.g) < {{ noise_rate }}
      AND (household_size > 1 OR {{ households }} > 1) AS noise_hit,
    -- most wrong links stay in the household (noise_same_household_rate) when it has others
    household_size > 1
      AND (idgraph_uniform({{ seed }}, 311, slot_id * 16 + x.g) < {{ noise_same_household_rate }} OR {{ households }} = 1) AS same_household,
    -- otherwise a uniformly chosen other household
    pmod(household_id + 1 + pmod(idgraph_hash({{ seed }}, 313, slot_id * 16 + x.g), greatest({{ households }} - 1, 1)), {{ households }}) AS target_household
  FROM slots
  LATERAL VIEW explode(sequence(0, IF(identifier_type = 'cookie_id', cookie_ids, 1) - 1)) x AS g
),
-- Step 6, links: each generation's correct link (copy 0) plus, when the noise draw hits, its
-- wrong-person copy (copy 1). Key: mapping_id = true_mapping_id + copy * 8. The copy keeps
-- true_mapping_id so its draws below are those of the identifier, not of the copy.
links AS (
  SELECT
    true_mapping_id + n.copy * 8 AS mapping_id,
    true_mapping_id,
    n.copy = 0 AS is_correct,
    owner_id,
    household_id,
    household_size,
    same_household,
    target_household,
    {{ household_size_uniform(target_household) }} AS u_target_size,
    k,
    g,
    generations,
    first_seen_s,
    identifier_type,
    email
  FROM generations
  LATERAL VIEW explode(sequence(0, IF(noise_hit, 1, 0))) n AS copy
)
-- Output: the linked person, the identifier's text, its confidence and validity interval.
-- Key: mapping_id.
SELECT
  mapping_id,
  CASE
    WHEN is_correct THEN owner_id
    -- a wrong link to another member of the owner's household (a slot other than the owner's)
    WHEN same_household THEN household_id * 8
      + pmod(owner_id % 8 + 1 + pmod(idgraph_hash({{ seed }}, 312, true_mapping_id), greatest(household_size - 1, 1)), household_size)
    -- or to a member of another household, whose size is recomputed from its id
    ELSE target_household * 8 + pmod(idgraph_hash({{ seed }}, 314, true_mapping_id), {{ choice(household_size_weights, u_target_size) }})
  END AS individual_id,
  identifier_type,
  {{ identifier_value(true_mapping_id, identifier_type, sha2(email, 256)) }} AS identifier_value,
  -- email_hash is certain; correct probabilistic links uniform in [confidence_min,
  -- confidence_max], wrong links in [noise_confidence_min, noise_confidence_max]; 3 decimals
  CASE
    WHEN identifier_type = 'email_hash' THEN 1.0D
    WHEN is_correct THEN least({{ confidence_max }}, greatest({{ confidence_min }},
      floor(({{ confidence_min }} + idgraph_uniform({{ seed }}, 307, true_mapping_id)
             * ({{ confidence_max }} - {{ confidence_min }})) * 1000.0D + 0.5D) / 1000.0D))
    ELSE least({{ noise_confidence_max }}, greatest({{ noise_confidence_min }},
      floor(({{ noise_confidence_min }} + idgraph_uniform({{ seed }}, 315, true_mapping_id)
             * ({{ noise_confidence_max }} - {{ noise_confidence_min }})) * 1000.0D + 0.5D) / 1000.0D))
  END AS confidence_score,
  -- validity interval of this generation: [observed_at, last_seen_at], whole seconds
  timestamp_seconds({{ generation_start(first_seen_s, g, generations) }}) AS observed_at,
  timestamp_seconds({{ generation_start(first_seen_s, g + 1, generations) }} - 1) AS last_seen_at,
  is_correct AND k = 0 AS is_primary,
  -- ground truth: false on the injected wrong-person links
  is_correct
FROM links
