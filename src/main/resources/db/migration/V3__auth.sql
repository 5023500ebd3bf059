-- One-time tokens mailed to users (email verification, password reset). Only the SHA-256 of a token is
-- stored; a token is deleted when used, together with the user's other tokens of the same purpose.
CREATE TABLE auth_tokens (
    token_hash  TEXT        PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose     TEXT        NOT NULL CHECK (purpose IN ('VERIFY_EMAIL', 'RESET_PASSWORD')),
    expires_at  TIMESTAMPTZ NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX auth_tokens_by_user ON auth_tokens (user_id, purpose);
