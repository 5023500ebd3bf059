-- The order saga. The orders row is the saga instance (saga id = order id): its step-status JSON is what
-- GET /api/orders/{id} shows, and the columns below drive the coordinator. Every transition is a
-- conditional UPDATE on this one row, so any coordinator instance may carry on where another stopped.
ALTER TABLE orders
    -- RUNNING: commands out; CONFIRMING: all succeeded, selling the unit; COMPENSATING: undoing;
    -- COMPLETED / CANCELLED: terminal (orders.status says the same to readers).
    ADD COLUMN saga_state  TEXT NOT NULL DEFAULT 'RUNNING'
        CHECK (saga_state IN ('RUNNING', 'CONFIRMING', 'COMPENSATING', 'COMPLETED', 'CANCELLED')),
    -- When the scanner must act: the timeout while RUNNING, a retry while CONFIRMING or COMPENSATING.
    ADD COLUMN saga_due_at TIMESTAMPTZ;

CREATE INDEX orders_saga_due ON orders (saga_due_at)
    WHERE saga_state IN ('RUNNING', 'CONFIRMING', 'COMPENSATING');

-- Each participant's record of what it did for a saga step: one row per (order, step), locked by every
-- command and compensation of that step, so a redelivered command replays its first outcome and a
-- compensation that comes first leaves a marker that turns the late command into a no-op.
CREATE TABLE participant_steps (
    order_id         TEXT        NOT NULL,
    step             TEXT        NOT NULL CHECK (step IN ('CHECK_STOCK', 'APPLY_POINTS', 'PREPARE_SHIPPING')),
    command_outcome  TEXT        CHECK (command_outcome IN ('SUCCESS', 'FAILED')),
    command_reason   TEXT,
    compensated      BOOLEAN     NOT NULL DEFAULT false,
    updated_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (order_id, step)
);

-- Every change of users.points, signed: per user, start + sum(amount) == points.
-- GRANT: admin (may be negative); DEDUCT: a saga's APPLY_POINTS; REFUND: its compensation.
-- At most one DEDUCT and one REFUND per order (grants have no order, and NULLs never collide).
CREATE TABLE point_ledger (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     BIGINT      NOT NULL REFERENCES users (id),
    order_id    TEXT,
    kind        TEXT        NOT NULL CHECK (kind IN ('GRANT', 'DEDUCT', 'REFUND')),
    amount      BIGINT      NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (order_id, kind),
    CHECK (order_id IS NOT NULL OR kind = 'GRANT')
);
CREATE INDEX point_ledger_by_user ON point_ledger (user_id);

-- One shipment per order, registered by PREPARE_SHIPPING and cancelled by its compensation.
CREATE TABLE shipments (
    order_id      TEXT        PRIMARY KEY,
    user_id       BIGINT      NOT NULL,
    address_enc   BYTEA       NOT NULL,
    status        TEXT        NOT NULL CHECK (status IN ('REGISTERED', 'CANCELLED')),
    created_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    cancelled_at  TIMESTAMPTZ
);
