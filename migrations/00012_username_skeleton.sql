-- Usernames that only look alike cannot both be registered. The server
-- stores usernames in NFC, lower case (account.CanonicalUsername), so "Ali"
-- and "ali" were already one name; this adds a skeleton, the name with its
-- look-alike characters folded together, that must be unique too:
-- username_skeleton(u) is lower(NFKC(u)) with these confusables mapped —
-- Cyrillic а е о р с у х і ј ѕ ԁ һ ӏ ԛ ԝ к ү and Greek α ο ι κ ν ρ τ υ χ ϲ ϳ
-- to the Latin letters they pass for (and ɡ ı ȷ), the digits 0 and 1 to o
-- and l, Arabic yeh and alef maksura (ي ى) to Persian yeh (ی), Arabic kaf
-- (ك) to Persian keheh (ک), Arabic-Indic digits (٠–٩) to the Persian ones
-- (۰–۹). NFKC folds compatibility forms (fullwidth, ligatures, math
-- letters); case folding "I" to "i". So "ali", "аli" (Cyrillic а), "a1i",
-- "ALİ"… each block the others, and "علي" blocks "علی".
--
-- A trigger keeps players.username_skeleton in step with username (NULL
-- when username is NULL: guests, bots, deleted accounts). Existing accounts
-- whose skeletons collide keep working: the oldest (created_at, id) of each
-- group gets the skeleton, the others keep a NULL one (NULLs do not
-- collide) and can still log in; a new name must not collide with the
-- skeleton holder.
-- pgstore reports the unique violation as ErrUsernameTaken via the account
-- service (constraint players_username_skeleton_key).

-- +goose Up
CREATE FUNCTION username_skeleton(u text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN translate(lower(normalize(u, NFKC)),
                     'аеорсухіјѕԁһӏԛԝкүɡıȷαοικνρτυχϲϳ01يىك٠١٢٣٤٥٦٧٨٩',
                     'aeopcyxijsdhlqwkygijaoikvptuxcjolییک۰۱۲۳۴۵۶۷۸۹');

ALTER TABLE players ADD COLUMN username_skeleton text;

UPDATE players p
   SET username_skeleton = s.skeleton
  FROM (SELECT id, username_skeleton(username) AS skeleton,
               row_number() OVER (PARTITION BY username_skeleton(username) ORDER BY created_at, id) AS n
          FROM players
         WHERE username IS NOT NULL) s
 WHERE p.id = s.id AND s.n = 1;

CREATE UNIQUE INDEX players_username_skeleton_key ON players (username_skeleton);

-- +goose StatementBegin
CREATE FUNCTION players_set_username_skeleton() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.username_skeleton := username_skeleton(NEW.username);
    RETURN NEW;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER players_username_skeleton
    BEFORE INSERT OR UPDATE OF username ON players
    FOR EACH ROW EXECUTE FUNCTION players_set_username_skeleton();

-- +goose Down
DROP TRIGGER players_username_skeleton ON players;
DROP FUNCTION players_set_username_skeleton();
DROP INDEX players_username_skeleton_key;
ALTER TABLE players DROP COLUMN username_skeleton;
DROP FUNCTION username_skeleton(text);
