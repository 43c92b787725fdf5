-- The console's operators, their sessions, and the audit trail of every login and action.
-- Passwords are scrypt hashes (salted); a session is kept as the SHA-256 of its token, so a copy
-- of this table logs nobody in.
CREATE TABLE operators (
  name text PRIMARY KEY,
  role text NOT NULL CHECK (role IN ('viewer', 'operator')),
  salt text NOT NULL,
  hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE operator_sessions (
  token_sha256 text PRIMARY KEY,
  operator text NOT NULL REFERENCES operators (name) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX operator_sessions_expires ON operator_sessions (expires_at);

-- One row per login (ok or refused), logout, action (sent, answered, refused for the role, no
-- reply) and config diff shown.
CREATE TABLE audit (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  operator text,                    -- as typed for a refused login (bounded), else the session's
  role text,
  action text NOT NULL,             -- login, logout, failover, probe-now, reboot, config-push
  router_id text,
  request text,                     -- what was sent (JSON, bounded)
  outcome text NOT NULL,            -- ok, refused, denied, no-reply, error
  reply text                        -- the router's reply or the reason (bounded)
);
CREATE INDEX audit_at ON audit (at);

-- The last config pushed from the console per router: what the next push is diffed against.
CREATE TABLE router_configs (
  router_id text PRIMARY KEY,
  config text NOT NULL,
  pushed_at timestamptz NOT NULL DEFAULT now(),
  pushed_by text NOT NULL
);
