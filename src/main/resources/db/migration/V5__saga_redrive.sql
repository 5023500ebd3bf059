-- A saga whose replies are late is driven again (its PENDING commands sent anew) rather than cancelled, and it
-- is given up only long after it started: when the saga started, not when the unit was reserved (an order that
-- waited in Kafka behind a burst has not been kept waiting by the saga). The re-sent PREPARE_SHIPPING takes the
-- purchase's own address from orders.shipping_address_enc (V1), which the coordinator now fills.
ALTER TABLE orders ADD COLUMN saga_started_at TIMESTAMPTZ NOT NULL DEFAULT now();
