-- The HTTP API of hcm-worker (docs/api.md).
--
-- api_tokens: bearer tokens. Only the libsodium generic hash (BLAKE2b-256, hex) of a token is stored;
-- the token itself is printed once by `hcmctl tokens create`. `prefix` is the token's first characters
-- (never enough to use it), so a person can tell tokens apart. A token acts as its user (user_name,
-- a users.name): the user's role decides what it may do, and a disabled or removed user's tokens stop
-- working. expires_at and revoked_at are NULL while they do not apply. rate_limit overrides the
-- per-minute limits of every endpoint for this token (NULL: the server's limits).
CREATE TABLE api_tokens (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash        TEXT    NOT NULL UNIQUE,
    prefix            TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    user_name         TEXT    NOT NULL,
    created_at        BIGINT  NOT NULL,
    created_by        TEXT    NOT NULL,
    expires_at        BIGINT,
    revoked_at        BIGINT,
    revoked_by        TEXT,
    last_used_at      BIGINT,
    last_used_address TEXT,
    rate_limit        INTEGER CHECK (rate_limit IS NULL OR rate_limit > 0)
);
CREATE INDEX idx_api_tokens_user ON api_tokens (user_name);

-- Fixed one-minute windows per token and endpoint class: one upsert per request counts it, shared by
-- every API server of the deployment. Rows of past windows are deleted as the server goes.
CREATE TABLE api_rate_buckets (
    bucket       TEXT    NOT NULL,
    window_start BIGINT  NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);

-- Idempotency-Key of POST /api/system/background-jobs: the first request with a key (per token)
-- inserts the row in the transaction that creates the job; a repeat within 24 h answers with that job.
-- request_hash tells a repeat from a different request that reuses the key (422).
CREATE TABLE api_idempotency_keys (
    token_id     BIGINT NOT NULL,
    idem_key     TEXT   NOT NULL,
    request_hash TEXT   NOT NULL,
    job_id       BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (token_id, idem_key)
);
CREATE INDEX idx_api_idempotency_created ON api_idempotency_keys (created_at);
