CREATE TABLE "link_events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"environment" text NOT NULL,
	"kind" text NOT NULL,
	"event_name" text,
	"view_name" text,
	"link_session_id" text,
	"request_id" text,
	"error_type" text,
	"error_code" text,
	"institution_id" text,
	"exit_status" text,
	"occurred_at" timestamp with time zone,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plaid_accounts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"item_id" uuid NOT NULL,
	"plaid_account_id" text NOT NULL,
	"name" text NOT NULL,
	"official_name" text,
	"mask" text,
	"type" text NOT NULL,
	"subtype" text,
	"verification_status" text,
	"is_revoked" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "plaid_items" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"user_id" uuid NOT NULL,
	"environment" text NOT NULL,
	"plaid_item_id" text NOT NULL,
	"institution_id" text,
	"institution_name" text,
	"status" text NOT NULL,
	"has_new_accounts" boolean DEFAULT false NOT NULL,
	"error_code" text,
	"consent_expires_at" timestamp with time zone,
	"webhook_url" text,
	"last_webhook_code" text,
	"access_token_ciphertext" text,
	"access_token_key_id" text,
	"linked_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"removed_at" timestamp with time zone,
	CONSTRAINT "plaid_items_status_check" CHECK ("plaid_items"."status" in ('good', 'login_required', 'pending_expiration', 'pending_disconnect', 'revoked', 'removed')),
	CONSTRAINT "plaid_items_token_pair_check" CHECK (("plaid_items"."access_token_ciphertext" is null) = ("plaid_items"."access_token_key_id" is null))
);
--> statement-breakpoint
ALTER TABLE "link_events" ADD CONSTRAINT "link_events_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "link_events" ADD CONSTRAINT "link_events_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plaid_accounts" ADD CONSTRAINT "plaid_accounts_item_id_plaid_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."plaid_items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plaid_items" ADD CONSTRAINT "plaid_items_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plaid_items" ADD CONSTRAINT "plaid_items_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "link_events_session_idx" ON "link_events" USING btree ("link_session_id");--> statement-breakpoint
CREATE INDEX "link_events_user_idx" ON "link_events" USING btree ("user_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "plaid_accounts_item_account_key" ON "plaid_accounts" USING btree ("item_id","plaid_account_id");--> statement-breakpoint
CREATE UNIQUE INDEX "plaid_items_environment_item_key" ON "plaid_items" USING btree ("environment","plaid_item_id");--> statement-breakpoint
CREATE UNIQUE INDEX "plaid_items_one_live_per_user_key" ON "plaid_items" USING btree ("user_id","environment") WHERE "plaid_items"."status" <> 'removed';