-- The scanner's index covers only sagas with a due time (every open saga; terminal ones have none).
-- Its predicate no longer follows from "saga_state = 'CONFIRMING'", so the coordinator's set-based
-- updates by primary key are not planned as a BitmapAnd that reads every open saga's entry.
DROP INDEX orders_saga_due;
CREATE INDEX orders_saga_due ON orders (saga_due_at) WHERE saga_due_at IS NOT NULL;
