-- Shared expressions of every generator, as Spark SQL temporary functions.
--
-- Each is a pure function of its arguments; generators pass the run's seed and a
-- per-column salt explicitly, so any value can be recomputed from (seed, key) alone.
-- Spark inlines SQL functions at analysis time, computing arguments once in an inner
-- projection: calling them costs the same as writing the expression out.
-- The list(...) templates are literal arrays from mimesis's locale data (engine/lookups.py).

-- Uniform double in [0, 1): the top 53 bits of xxhash64(seed, salt, key) / 2^53.
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_uniform(seed BIGINT, salt INT, key BIGINT)
RETURNS DOUBLE
RETURN shiftrightunsigned(xxhash64(seed, salt, key), 11) * 1.1102230246251565E-16D;

-- Uniform double in (0, 1), never 0, so ln() is safe: (top 53 bits + 0.5) / 2^53.
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_uniform_open(seed BIGINT, salt INT, key BIGINT)
RETURNS DOUBLE
RETURN (shiftrightunsigned(xxhash64(seed, salt, key), 11) + 0.5D) * 1.1102230246251565E-16D;

-- Standard normal from two independent uniforms (Box-Muller, cosine branch).
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_normal(seed BIGINT, salt INT, key BIGINT)
RETURNS DOUBLE
RETURN sqrt(-2.0D * ln(idgraph_uniform_open(seed, salt, key)))
     * cos(6.283185307179586D * idgraph_uniform(seed, salt + 1000000, key));

-- A 64-bit hash of (seed, salt, key): the source of list indexes and identifier bits.
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_hash(seed BIGINT, salt INT, key BIGINT)
RETURNS BIGINT
RETURN xxhash64(seed, salt, key);

-- One Feistel round on a 2·bits-bit value: (L, R) -> (R, L xor F(R)), F = the low `bits` bits of
-- xxhash64(seed, salt, round, R). The round number is a fourth hash argument, so no round
-- shares a stream with a (seed, salt, key) draw of any column.
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_feistel_round(seed BIGINT, salt INT, round INT, x BIGINT, bits INT)
RETURNS BIGINT
RETURN shiftleft(x & (shiftleft(1L, bits) - 1), bits)
     | (shiftrightunsigned(x, bits) ^ (xxhash64(seed, salt, round, x & (shiftleft(1L, bits) - 1)) & (shiftleft(1L, bits) - 1)));

-- A keyed bijection of [0, 2^(2·bits)): four Feistel rounds over two bits-bit halves. Four
-- rounds mix every input bit into every output bit (two rounds leave the high half of
-- keys m and m + 2^bits almost equal), so nearby and strided keys share no visible prefix.
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_permute(seed BIGINT, salt INT, key BIGINT, bits INT)
RETURNS BIGINT
RETURN idgraph_feistel_round(seed, salt, 3, idgraph_feistel_round(seed, salt, 2,
         idgraph_feistel_round(seed, salt, 1, idgraph_feistel_round(seed, salt, 0, key, bits), bits), bits), bits);

-- A keyed bijection of 64-bit keys (identifier values unique by construction, looking random).
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_permute64(seed BIGINT, salt INT, key BIGINT)
RETURNS BIGINT
RETURN idgraph_permute(seed, salt, key, 32);

-- Standard normal quantile Φ⁻¹(p) for p in (0, 1) (Acklam's rational approximation, relative
-- error below 1.2e-9): the central region |p - 0.5| <= 0.47575 and the two tails.
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_normal_quantile_central(q DOUBLE, r DOUBLE)
RETURNS DOUBLE
RETURN (((((-39.69683028665376D * r + 220.9460984245205D) * r - 275.9285104469687D) * r
          + 138.3577518672690D) * r - 30.66479806614716D) * r + 2.506628277459239D) * q
     / (((((-54.47609879822406D * r + 161.5858368580409D) * r - 155.6989798598866D) * r
          + 66.80131188771972D) * r - 13.28068155288572D) * r + 1.0D);

CREATE OR REPLACE TEMPORARY FUNCTION idgraph_normal_quantile_tail(q DOUBLE)
RETURNS DOUBLE
RETURN (((((-0.007784894002430293D * q - 0.3223964580411365D) * q - 2.400758277161838D) * q
          - 2.549732539343734D) * q + 4.374664141464968D) * q + 2.938163982698783D)
     / ((((0.007784695709041462D * q + 0.3224671290700398D) * q + 2.445134137142996D) * q
          + 3.754408661907416D) * q + 1.0D);

CREATE OR REPLACE TEMPORARY FUNCTION idgraph_normal_quantile(p DOUBLE)
RETURNS DOUBLE
RETURN CASE
  WHEN p < 0.02425D THEN idgraph_normal_quantile_tail(sqrt(-2.0D * ln(p)))
  WHEN p > 0.97575D THEN -idgraph_normal_quantile_tail(sqrt(-2.0D * ln(1.0D - p)))
  ELSE idgraph_normal_quantile_central(p - 0.5D, (p - 0.5D) * (p - 0.5D))
END;

-- `digits` upper-case hex digits (1 to 8) of x's bits from `shift` up, leading zeros kept:
-- hex() of the field with one more bit set just above it prints exactly digits + 1 digits,
-- the first of them "1", which substring drops. (One built-in call per field: smaller
-- generated code and faster than a byte-by-byte table lookup.)
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_hex_digits(x BIGINT, shift INT, digits INT)
RETURNS STRING
RETURN substring(hex((shiftrightunsigned(x, shift) & (shiftleft(1L, 4 * digits) - 1)) | shiftleft(1L, 4 * digits)), 2);

-- 16 lower-case hex digits of a 64-bit value (device ids).
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_hex64(x BIGINT)
RETURNS STRING
RETURN lower(concat(idgraph_hex_digits(x, 32, 8), idgraph_hex_digits(x, 0, 8)));

-- UUID text 8-4-4-4-12 in upper case, the form iOS IDFA and Android AAID mobile ad ids
-- take, from two 64-bit values: hi fills the first 16 digits, lo the last 16.
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_uuid_upper(hi BIGINT, lo BIGINT)
RETURNS STRING
RETURN concat(
  idgraph_hex_digits(hi, 32, 8), '-', idgraph_hex_digits(hi, 16, 4), '-', idgraph_hex_digits(hi, 0, 4), '-',
  idgraph_hex_digits(lo, 48, 4), '-', idgraph_hex_digits(lo, 32, 4), idgraph_hex_digits(lo, 0, 8));

-- UUID text 8-4-4-4-12 in lower case (cookie ids).
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_uuid(hi BIGINT, lo BIGINT)
RETURNS STRING
RETURN lower(idgraph_uuid_upper(hi, lo));

-- The text of a non-primary identifier from its bits (a permuted key and a second hash): the
-- household's CTV id as ctv- and 16 hex digits, a lower-case UUID for a cookie_id, an
-- upper-case one for a mobile_ad_id, 16 hex digits for a device_id.
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_identifier_text(identifier_type STRING, hi BIGINT, lo BIGINT)
RETURNS STRING
RETURN CASE identifier_type
  WHEN 'ctv_id' THEN concat('ctv-', idgraph_hex64(hi))
  WHEN 'cookie_id' THEN idgraph_uuid(hi, lo)
  WHEN 'mobile_ad_id' THEN idgraph_uuid_upper(hi, lo)
  ELSE idgraph_hex64(hi)
END;

-- mimesis lookups: element pmod(h, size) of a locale list. Each *_slug list holds the same
-- names lower-cased to letters only, index for index, for email local parts.
-- Female first names (mimesis en person.json names.female).
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_first_names_female(h BIGINT)
RETURNS STRING
RETURN element_at(split(/* word list first_names_female: 2278 values, sha256 833cafe4aeac5606... */), CAST(pmod(h, 2278) AS INT) + 1);

CREATE OR REPLACE TEMPORARY FUNCTION idgraph_first_names_female_slug(h BIGINT)
RETURNS STRING
RETURN element_at(split(/* word list first_names_female_slug: 2278 values, sha256 33495d51647f7ce0... */), CAST(pmod(h, 2278) AS INT) + 1);

-- Male first names (names.male).
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_first_names_male(h BIGINT)
RETURNS STRING
RETURN element_at(split(/* word list first_names_male: 1212 values, sha256 526b600997080fbc... */), CAST(pmod(h, 1212) AS INT) + 1);

CREATE OR REPLACE TEMPORARY FUNCTION idgraph_first_names_male_slug(h BIGINT)
RETURNS STRING
RETURN element_at(split(/* word list first_names_male_slug: 1212 values, sha256 a5e09dede4f57f60... */), CAST(pmod(h, 1212) AS INT) + 1);

-- Surnames (person.json surnames).
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_surnames(h BIGINT)
RETURNS STRING
RETURN element_at(split(/* word list surnames: 1000 values, sha256 6a686acbec4c059c... */), CAST(pmod(h, 1000) AS INT) + 1);

CREATE OR REPLACE TEMPORARY FUNCTION idgraph_surnames_slug(h BIGINT)
RETURNS STRING
RETURN element_at(split(/* word list surnames_slug: 1000 values, sha256 3f81a50cdc824b61... */), CAST(pmod(h, 1000) AS INT) + 1);

-- Email domains (mimesis.datasets.EMAIL_DOMAINS).
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_email_domains(h BIGINT)
RETURNS STRING
RETURN element_at(split(/* word list email_domains: 9 values, sha256 99c7554d1b9c55ef... */), CAST(pmod(h, 9) AS INT) + 1);

-- US city names (address.json city).
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_cities(h BIGINT)
RETURNS STRING
RETURN element_at(split(/* word list cities: 1755 values, sha256 6548a7e330961605... */), CAST(pmod(h, 1755) AS INT) + 1);

-- US state abbreviations (address.json state.abbr).
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_states(h BIGINT)
RETURNS STRING
RETURN element_at(split(/* word list states: 50 values, sha256 cfb190d4f14c2474... */), CAST(pmod(h, 50) AS INT) + 1);

-- English words of 4+ letters (text.json words).
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_words(h BIGINT)
RETURNS STRING
RETURN element_at(split(/* word list words: 5258 values, sha256 bcef15c7e9ae3bb9... */), CAST(pmod(h, 5258) AS INT) + 1);

-- Company names (finance.json company.name).
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_companies(h BIGINT)
RETURNS STRING
RETURN element_at(split(/* word list companies: 1148 values, sha256 b245916bd2c03f80... */), CAST(pmod(h, 1148) AS INT) + 1);

-- Reserved email domains (RFC 2606: example.com, example.net, example.org), the default.
CREATE OR REPLACE TEMPORARY FUNCTION idgraph_reserved_email_domains(h BIGINT)
RETURNS STRING
RETURN element_at(split(/* word list reserved_email_domains: 3 values, sha256 0169d5b848ed2eee... */), CAST(pmod(h, 3) AS INT) + 1);
