-- The reference table syncctl works on (README, "The table").
-- Used by the tests and the demo; real tables may differ: syncctl discovers the primary key,
-- accepts user_id of any type, tolerates NULLs where this has NOT NULL, and reads
-- `timestamp without time zone` columns in --timestamp-zone.
CREATE TABLE user_sync_status (
  id                  bigserial PRIMARY KEY,
  user_id             uuid        NOT NULL,
  task_id             text,
  is_syncing          boolean     NOT NULL DEFAULT false,
  sync_type           text,
  progress_percentage integer     NOT NULL DEFAULT 0,
  current_stats       jsonb       NOT NULL DEFAULT '{}',
  error_message       text,
  started_at          timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
