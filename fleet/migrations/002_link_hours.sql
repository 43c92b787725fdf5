-- Hourly rollups, made from the minute rows once an hour is over (db/downsample.ts). The week chart
-- reads them, and they outlive the minutes: minutes are the bulk of the database (3 rows per router
-- per minute), hours are 1/60 of that.
CREATE TABLE link_hours (
  router_id text NOT NULL,
  link text NOT NULL,
  hour timestamptz NOT NULL,
  samples integer NOT NULL,
  rtt_sum real NOT NULL,
  rtt_max real NOT NULL,
  loss_sum real NOT NULL,
  loss_max real NOT NULL,
  jitter_sum real NOT NULL,
  up integer NOT NULL,
  degraded integer NOT NULL,
  down integer NOT NULL,
  active integer NOT NULL,
  PRIMARY KEY (router_id, link, hour)
);
CREATE INDEX link_hours_hour_brin ON link_hours USING brin (hour);

-- How far a derived table is complete: link_hours holds every hour before done_until.
CREATE TABLE rollup_progress (
  name text PRIMARY KEY,
  done_until timestamptz NOT NULL
);
