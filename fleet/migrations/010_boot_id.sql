-- The router's boot id (drawn at random each boot): its events are named by (boot id, epoch, seq,
-- atMs), because the epoch starts over when a router's store is erased. Reports of another boot
-- than the row's are ordered by receive time, not by (epoch, uptime). NULL: firmware without one.
ALTER TABLE events ADD COLUMN boot_id text;
ALTER TABLE routers ADD COLUMN boot_id text;       -- the boot of the newest birth or heartbeat
ALTER TABLE routers ADD COLUMN clock_boot_id text; -- the boot whose clock zero is clock_zero_at
