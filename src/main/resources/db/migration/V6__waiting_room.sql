-- A product behind a waiting room (issue 16): both settings, or neither.
ALTER TABLE products
    ADD COLUMN room_admit_per_second     INT CHECK (room_admit_per_second BETWEEN 1 AND 100000),
    ADD COLUMN room_opens_seconds_before INT CHECK (room_opens_seconds_before BETWEEN 0 AND 86400),
    ADD CONSTRAINT products_room_settings_together
        CHECK ((room_admit_per_second IS NULL) = (room_opens_seconds_before IS NULL));
