-- Where each router is and what it is, as operators file it: a site and a few tags, set from the
-- console (audited as 'labels'). The page groups and filters by them. Kept on the fleet side: the
-- device config has no such fields and a router need not know its site.
CREATE TABLE router_labels (
  router_id text PRIMARY KEY,
  site text,
  tags text[] NOT NULL DEFAULT '{}',
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL
);
CREATE INDEX router_labels_site ON router_labels (site);
