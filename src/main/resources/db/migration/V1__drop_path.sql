-- Users: enough for the admin account and access tokens; the auth issue fills in sign-up.
CREATE TABLE users (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           TEXT        NOT NULL UNIQUE,
    password_hash   TEXT        NOT NULL,
    status          TEXT        NOT NULL CHECK (status IN ('PENDING_VERIFICATION', 'ACTIVE', 'DISABLED')),
    roles           TEXT[]      NOT NULL DEFAULT '{USER}',
    name_enc        BYTEA,
    phone_enc       BYTEA,
    address_enc     BYTEA,
    points          BIGINT      NOT NULL DEFAULT 0 CHECK (points >= 0),
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    verified_at     TIMESTAMPTZ
);

-- Products: the system of record; live stock is in Redis and written back by the inventory sync.
CREATE TABLE products (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name             TEXT        NOT NULL,
    price            BIGINT      NOT NULL CHECK (price >= 0),
    grade            TEXT        NOT NULL CHECK (grade IN ('COMMON', 'RARE', 'LEGENDARY')),
    win_probability  DOUBLE PRECISION NOT NULL CHECK (win_probability BETWEEN 0 AND 1),
    drop_at          TIMESTAMPTZ NOT NULL,
    total            INT         NOT NULL CHECK (total >= 0),
    available        INT         NOT NULL,
    reserved         INT         NOT NULL DEFAULT 0,
    sold             INT         NOT NULL DEFAULT 0,
    created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    synced_at        TIMESTAMPTZ
);

-- Orders: one row per won reservation; the saga settles status and step statuses.
CREATE TABLE orders (
    id                     TEXT        PRIMARY KEY,
    user_id                BIGINT      NOT NULL REFERENCES users (id),
    product_id             BIGINT      NOT NULL REFERENCES products (id),
    price                  BIGINT      NOT NULL,
    status                 TEXT        NOT NULL CHECK (status IN ('PENDING', 'COMPLETED', 'CANCELLED')),
    command_statuses       JSONB       NOT NULL DEFAULT '{}',
    compensation_statuses  JSONB       NOT NULL DEFAULT '{}',
    failure_reason         TEXT,
    shipping_address_enc   BYTEA,
    created_at             TIMESTAMPTZ NOT NULL,
    updated_at             TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX orders_by_user ON orders (user_id, id DESC);
CREATE INDEX orders_by_product_status ON orders (product_id, status);
