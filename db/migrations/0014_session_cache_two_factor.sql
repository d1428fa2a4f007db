-- A cached member session carries whether the workspace's two-factor policy holds it (ADR 0019):
-- the policy row and the user's TOTP enrolment feed it, so changing either tells every app instance
-- through NOTIFY on channel `session_cache`, delivered at commit, like migration 0012. Unlike the
-- rows of 0012, these rows matter from their INSERT on (a policy switched on for the first time, an
-- enrolment typed in by an operator), so the function takes the key from NEW as well as from OLD.
-- An UPDATE that moves a row notifies both keys (identical payloads in one transaction arrive once).
-- Payload: `w:<workspace id>` for the policy, `u:<user id>` for the enrolment.
CREATE FUNCTION session_cache_notify_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM pg_notify('session_cache', TG_ARGV[0] || ':' || (to_jsonb(OLD) ->> TG_ARGV[1]));
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM pg_notify('session_cache', TG_ARGV[0] || ':' || (to_jsonb(NEW) ->> TG_ARGV[1]));
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER workspace_security_policies_session_cache
  AFTER INSERT OR DELETE OR UPDATE OF workspace_id, require_two_factor
  ON workspace_security_policies FOR EACH ROW EXECUTE FUNCTION session_cache_notify_row('w', 'workspace_id');
--> statement-breakpoint
-- Enabling (enabled_at set), disabling or resetting (the row deleted); not the last used time step,
-- which every accepted code updates and which no session depends on.
CREATE TRIGGER user_totp_session_cache
  AFTER INSERT OR DELETE OR UPDATE OF user_id, enabled_at
  ON user_totp FOR EACH ROW EXECUTE FUNCTION session_cache_notify_row('u', 'user_id');
