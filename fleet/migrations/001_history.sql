-- Fleet history: the routers' current state, every event once, and heartbeat figures as
-- per-minute rollups per router and link. Wall times are timestamptz; device clocks (atMs,
-- uptimeMs) are kept as the device sent them.

-- One row per router: what the newest reports said. Updated in place (fillfactor leaves room for
-- HOT updates: none of the often-written columns is indexed).
CREATE TABLE routers (
  id text PRIMARY KEY,
  online boolean,
  online_at timestamptz,            -- receive time of the report that set `online`: the newest wins
  active text,
  primary_link text,                -- first link of the last heartbeat (the preferred tier)
  active_epoch integer,             -- device time (boot, ms) of the report that set `active`:
  active_ms double precision,       --   reports from several collectors land in any order
  epoch integer,                    -- the boot of the last birth
  birth_seq integer,
  firmware text,
  config_version integer,
  clock_epoch integer,              -- the boot whose clock zero is known ...
  clock_zero_at timestamptz,        -- ... as wall time: heartbeat receive time minus uptimeMs
  first_seen_at timestamptz NOT NULL DEFAULT now(),
  last_heartbeat_at timestamptz,
  rejected integer NOT NULL DEFAULT 0
) WITH (fillfactor = 70);

-- Events as rows, each stored once. dedupe_key is built from what a redelivery repeats exactly:
-- router events 'e/<epoch>/<seq>/<atMs>' (seq wraps at 256 within a boot, atMs does not repeat),
-- births 'b/<epoch>/<birthSeq>', the offline of that session 'o/<epoch>/<birthSeq>', rejected
-- input 'x/<sha1 of topic and payload>'.
CREATE TABLE events (
  router_id text NOT NULL,
  dedupe_key text NOT NULL,
  type text NOT NULL,
  at timestamptz NOT NULL,          -- when it happened, as well as known (device clock mapped to wall time)
  received_at timestamptz NOT NULL,
  epoch integer,
  seq smallint,
  at_ms double precision,
  link text,
  link_kind text,
  from_link text,
  to_link text,
  reason text,
  detail text,
  PRIMARY KEY (router_id, dedupe_key)
);
CREATE INDEX events_router_at ON events (router_id, at);
CREATE INDEX events_type_at ON events (type, at);
-- Rows arrive in receive order: a BRIN index is enough for the retention job's range deletes.
CREATE INDEX events_received_brin ON events USING brin (received_at);

-- Heartbeat figures per router, link and minute (receive time). Sums, not means, so that rollups
-- written by several collectors for the same minute add up.
CREATE TABLE link_minutes (
  router_id text NOT NULL,
  link text NOT NULL,
  minute timestamptz NOT NULL,
  samples integer NOT NULL,
  rtt_sum real NOT NULL,
  rtt_max real NOT NULL,
  loss_sum real NOT NULL,           -- percent
  loss_max real NOT NULL,
  jitter_sum real NOT NULL,
  up integer NOT NULL,              -- samples in each state
  degraded integer NOT NULL,
  down integer NOT NULL,
  active integer NOT NULL,          -- samples in which this link carried the traffic
  PRIMARY KEY (router_id, link, minute)
);
CREATE INDEX link_minutes_minute_brin ON link_minutes USING brin (minute);
