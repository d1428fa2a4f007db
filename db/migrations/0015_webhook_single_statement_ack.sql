-- The one-statement acknowledgement of new webhook deliveries (ADR 0030): a batch whose bodies were
-- never received is stored, with its jobs, by a single statement that runs in its own transaction.
--
-- plaid_item_owner is bank linking's answer to "whose Item is this item_id" (the live row first, then
-- the latest; findItemOwner in server/modules/plaid/repository.ts asks the same), for statements of
-- other modules that need it without a round trip of their own.
CREATE FUNCTION plaid_item_owner(item_id text) RETURNS TABLE (environment text, workspace_id uuid)
LANGUAGE sql STABLE AS $$
  SELECT plaid_items.environment, plaid_items.workspace_id FROM plaid_items
  WHERE plaid_items.plaid_item_id = item_id
  ORDER BY plaid_items.status = 'removed', plaid_items.updated_at DESC
  LIMIT 1
$$;
--> statement-breakpoint
--
-- webhook_claim_new_bodies takes the same per-body advisory locks as the transaction path (the same
-- lock ids, ascending, so the two paths queue behind each other instead of deadlocking), then, in a
-- statement of its own and so with a snapshot taken after the locks, looks for an earlier delivery
-- of any of the bodies. If there is one it raises SQLSTATE SCW01, which undoes the whole statement;
-- the caller then decides each delivery in the transaction path, as before. It raises SCW02 when a
-- delivery was verified with a key of another environment than its Item's (the receiver verifies
-- with the one environment whose keys hold the kid before looking the Item up, ADR 0030).
--
-- Its look-up is planned afresh on every call: PL/pgSQL would otherwise keep the first generic plan
-- of a connection, which on a new, nearly empty table is a sequential scan, and a connection lives
-- for hours while the table grows (the statements of the transaction path are planned per call too).
-- It reads every match rather than asking EXISTS: before the table's first ANALYZE, EXISTS makes a
-- sequential scan that expects an early match look cheaper than the index.
CREATE FUNCTION webhook_claim_new_bodies(
  dedupe_keys text[], since timestamptz, item_ids text[], environments text[], default_environment text
) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_custom_plan AS $$
BEGIN
  PERFORM count(pg_advisory_xact_lock(lock_id)) FROM (
    SELECT DISTINCT hashtextextended('webhook:' || body_key, 0) AS lock_id
    FROM unnest(dedupe_keys) AS body_key
    ORDER BY lock_id
  ) AS ordered;
  PERFORM FROM webhook_events
  WHERE webhook_events.dedupe_key = ANY (dedupe_keys) AND webhook_events.received_at > since;
  IF FOUND THEN
    RAISE EXCEPTION 'a body of this batch was delivered before' USING ERRCODE = 'SCW01';
  END IF;
  -- Each delivery was verified with a key of environments[i]: that must be its Item's environment, or
  -- the default one for an Item we do not hold.
  PERFORM FROM unnest(item_ids, environments) AS delivery (item_id, environment)
    LEFT JOIN LATERAL plaid_item_owner(delivery.item_id) AS owner ON true
  WHERE delivery.environment IS DISTINCT FROM coalesce(owner.environment, default_environment);
  IF FOUND THEN
    RAISE EXCEPTION 'a delivery of this batch was verified for another environment' USING ERRCODE = 'SCW02';
  END IF;
  RETURN true;
END
$$;
--> statement-breakpoint
-- Every stored event has its job, or the statement fails: pg-boss's insert skips conflicting rows
-- (ON CONFLICT DO NOTHING), which must never leave an event without a job.
CREATE FUNCTION webhook_expect_jobs(events bigint, jobs bigint) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF events <> jobs THEN
    RAISE EXCEPTION '% webhook events but % jobs', events, jobs;
  END IF;
  RETURN events;
END
$$;
