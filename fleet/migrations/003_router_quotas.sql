-- What a router sent beyond its quotas (events a minute, link names a minute, rejected rows a
-- minute) or what the database refused of it: not stored, counted here, so an operator can see
-- which router floods and how much.
ALTER TABLE routers ADD COLUMN dropped bigint NOT NULL DEFAULT 0;
