-- A hot product's stock split over buckets (issue 15): the salts of the buckets after the first, whose
-- hash tags are {p:<id>.<salt>}. Empty for a product in one bucket. The rebuild after a Redis loss needs them:
-- live orders' ids name their bucket by its salt.
ALTER TABLE products
    ADD COLUMN bucket_salts INT[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT products_buckets_at_most_64 CHECK (cardinality(bucket_salts) <= 63);
