CREATE TABLE "payout_alerts" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"package_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"signer_id" uuid NOT NULL,
	"reason" text NOT NULL,
	"dedupe_key" text NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"raised_at" timestamp with time zone NOT NULL,
	"proposed_by" uuid,
	"proposed_note" text,
	"proposed_at" timestamp with time zone,
	"resolved_by" uuid,
	"confirmed_by" uuid,
	"note" text,
	"resolved_at" timestamp with time zone,
	CONSTRAINT "payout_alerts_resolution_check" CHECK (("payout_alerts"."resolved_at" is null) = ("payout_alerts"."note" is null))
);
--> statement-breakpoint
CREATE TABLE "payout_instructions" (
	"signer_id" uuid PRIMARY KEY NOT NULL,
	"package_id" uuid NOT NULL,
	"workspace_id" uuid NOT NULL,
	"plaid_item_id" text NOT NULL,
	"plaid_account_id" text NOT NULL,
	"instruction" jsonb NOT NULL,
	"observed_ciphertext" text,
	"observed_key_id" text,
	"locked_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signer_payout_numbers" (
	"signer_id" uuid PRIMARY KEY NOT NULL,
	"plaid_item_id" text NOT NULL,
	"plaid_account_id" text NOT NULL,
	"numbers_ciphertext" text NOT NULL,
	"numbers_key_id" text NOT NULL,
	"is_tokenized_account_number" boolean,
	"account_mask" text,
	"routing_mask" text,
	"holder_names" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"verification_method" text NOT NULL,
	"fetched_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workspace_payout_settings" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"require_second_manager" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "payout_alerts" ADD CONSTRAINT "payout_alerts_package_id_signing_packages_id_fk" FOREIGN KEY ("package_id") REFERENCES "public"."signing_packages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_alerts" ADD CONSTRAINT "payout_alerts_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_alerts" ADD CONSTRAINT "payout_alerts_signer_id_signers_id_fk" FOREIGN KEY ("signer_id") REFERENCES "public"."signers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_alerts" ADD CONSTRAINT "payout_alerts_proposed_by_users_id_fk" FOREIGN KEY ("proposed_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_alerts" ADD CONSTRAINT "payout_alerts_resolved_by_users_id_fk" FOREIGN KEY ("resolved_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_alerts" ADD CONSTRAINT "payout_alerts_confirmed_by_users_id_fk" FOREIGN KEY ("confirmed_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_instructions" ADD CONSTRAINT "payout_instructions_signer_id_signers_id_fk" FOREIGN KEY ("signer_id") REFERENCES "public"."signers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_instructions" ADD CONSTRAINT "payout_instructions_package_id_signing_packages_id_fk" FOREIGN KEY ("package_id") REFERENCES "public"."signing_packages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payout_instructions" ADD CONSTRAINT "payout_instructions_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signer_payout_numbers" ADD CONSTRAINT "signer_payout_numbers_signer_id_signers_id_fk" FOREIGN KEY ("signer_id") REFERENCES "public"."signers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_payout_settings" ADD CONSTRAINT "workspace_payout_settings_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "payout_alerts_dedupe_key" ON "payout_alerts" USING btree ("signer_id","dedupe_key");--> statement-breakpoint
CREATE INDEX "payout_alerts_package_idx" ON "payout_alerts" USING btree ("package_id","raised_at");--> statement-breakpoint
CREATE INDEX "payout_instructions_item_idx" ON "payout_instructions" USING btree ("plaid_item_id");