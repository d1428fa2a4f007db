-- Every change that can end or alter a cached session (server/modules/auth/session-cache.ts) tells
-- every app instance through NOTIFY on channel `session_cache`, delivered at commit. Triggers rather
-- than application code, so no path (a cascade, a script, a future repository function) can miss it.
-- Payload: `<kind>:<id>`: t = a session's token hash, u = a user, w = a workspace, s = a signer.
CREATE FUNCTION session_cache_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('session_cache', TG_ARGV[0] || ':' || (to_jsonb(OLD) ->> TG_ARGV[1]));
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER sessions_session_cache AFTER DELETE OR UPDATE OF token_hash, user_id, workspace_id, expires_at
  ON sessions FOR EACH ROW EXECUTE FUNCTION session_cache_notify('t', 'token_hash');
--> statement-breakpoint
CREATE TRIGGER signer_sessions_session_cache AFTER DELETE OR UPDATE
  ON signer_sessions FOR EACH ROW EXECUTE FUNCTION session_cache_notify('t', 'session_token_hash');
--> statement-breakpoint
CREATE TRIGGER memberships_session_cache AFTER DELETE OR UPDATE
  ON memberships FOR EACH ROW EXECUTE FUNCTION session_cache_notify('u', 'user_id');
--> statement-breakpoint
CREATE TRIGGER users_session_cache AFTER DELETE OR UPDATE OF email, name
  ON users FOR EACH ROW EXECUTE FUNCTION session_cache_notify('u', 'id');
--> statement-breakpoint
CREATE TRIGGER workspaces_session_cache AFTER DELETE OR UPDATE OF name
  ON workspaces FOR EACH ROW EXECUTE FUNCTION session_cache_notify('w', 'id');
--> statement-breakpoint
CREATE TRIGGER signers_session_cache AFTER DELETE OR UPDATE OF email, legal_name, package_id
  ON signers FOR EACH ROW EXECUTE FUNCTION session_cache_notify('s', 'id');
--> statement-breakpoint
CREATE TRIGGER signing_packages_session_cache AFTER UPDATE OF workspace_id
  ON signing_packages FOR EACH ROW EXECUTE FUNCTION session_cache_notify('p', 'id');
