-- Every change to what `GET /api/plaid/status` reads tells every app instance through NOTIFY on
-- channel `plaid_status`, delivered at commit (server/modules/plaid/status-cache.ts, ADR 0027).
-- Triggers rather than application code, so no path (a webhook processed by a separate worker, a
-- job, a cascade, an operator's SQL) can miss it. Payload: `w:<workspace id>`, or `*` when the
-- workspace cannot be found any more (then every instance forgets every cached status). Rows never
-- move between workspaces, so the row's own workspace is the only one affected.
CREATE FUNCTION plaid_status_notify() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  workspace uuid;
BEGIN
  IF TG_TABLE_NAME = 'plaid_accounts' THEN
    SELECT workspace_id INTO workspace FROM plaid_items
      WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.item_id ELSE NEW.item_id END;
  ELSIF TG_OP = 'DELETE' THEN
    workspace := OLD.workspace_id;
  ELSE
    workspace := NEW.workspace_id;
  END IF;
  PERFORM pg_notify('plaid_status', coalesce('w:' || workspace::text, '*'));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER plaid_items_plaid_status AFTER INSERT OR UPDATE OR DELETE
  ON plaid_items FOR EACH ROW EXECUTE FUNCTION plaid_status_notify();
--> statement-breakpoint
CREATE TRIGGER plaid_accounts_plaid_status AFTER INSERT OR UPDATE OR DELETE
  ON plaid_accounts FOR EACH ROW EXECUTE FUNCTION plaid_status_notify();
--> statement-breakpoint
CREATE TRIGGER workspace_plaid_settings_plaid_status AFTER INSERT OR UPDATE OR DELETE
  ON workspace_plaid_settings FOR EACH ROW EXECUTE FUNCTION plaid_status_notify();
