CREATE TABLE "signer_bank_verifications" (
	"signer_id" uuid PRIMARY KEY NOT NULL,
	"item_id" uuid,
	"plaid_item_id" text NOT NULL,
	"plaid_account_id" text NOT NULL,
	"institution_name" text,
	"account_name" text NOT NULL,
	"account_mask" text,
	"verdict" text NOT NULL,
	"name_score" integer,
	"email_score" integer,
	"verified_at" timestamp with time zone NOT NULL,
	CONSTRAINT "signer_bank_verifications_verdict_check" CHECK ("signer_bank_verifications"."verdict" in ('verified', 'needs_review', 'mismatch'))
);
--> statement-breakpoint
CREATE TABLE "signer_document_views" (
	"signer_id" uuid NOT NULL,
	"document_id" uuid NOT NULL,
	"viewed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "signer_document_views_signer_id_document_id_pk" PRIMARY KEY("signer_id","document_id")
);
--> statement-breakpoint
CREATE TABLE "signer_sessions" (
	"session_token_hash" text PRIMARY KEY NOT NULL,
	"signer_id" uuid NOT NULL,
	"link_id" uuid NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signers" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"package_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"legal_name" text NOT NULL,
	"email" text NOT NULL,
	"is_bank_required" boolean DEFAULT true NOT NULL,
	"status" text DEFAULT 'invited' NOT NULL,
	"user_id" uuid,
	"opened_at" timestamp with time zone,
	"signed_at" timestamp with time zone,
	"signature_name" text,
	"signature_ip_address" text,
	"signature_user_agent" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "signers_status_check" CHECK ("signers"."status" in ('invited', 'opened', 'bank_verified', 'signed'))
);
--> statement-breakpoint
CREATE TABLE "signing_documents" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"package_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"title" text NOT NULL,
	"kind" text NOT NULL,
	"markdown" text,
	"pdf" "bytea",
	"byte_size" integer NOT NULL,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "signing_documents_kind_check" CHECK ("signing_documents"."kind" in ('markdown', 'pdf')),
	CONSTRAINT "signing_documents_content_check" CHECK (("signing_documents"."kind" = 'markdown' and "signing_documents"."markdown" is not null and "signing_documents"."pdf" is null) or ("signing_documents"."kind" = 'pdf' and "signing_documents"."pdf" is not null and "signing_documents"."markdown" is null))
);
--> statement-breakpoint
CREATE TABLE "signing_links" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"signer_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "signing_packages" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"workspace_id" uuid NOT NULL,
	"title" text NOT NULL,
	"note" text,
	"status" text DEFAULT 'draft' NOT NULL,
	"cancel_reason" text,
	"created_by" uuid,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"activated_at" timestamp with time zone,
	"completed_at" timestamp with time zone,
	"cancelled_at" timestamp with time zone,
	CONSTRAINT "signing_packages_status_check" CHECK ("signing_packages"."status" in ('draft', 'active', 'complete', 'cancelled')),
	CONSTRAINT "signing_packages_cancel_reason_check" CHECK (("signing_packages"."status" = 'cancelled') = ("signing_packages"."cancel_reason" is not null))
);
--> statement-breakpoint
CREATE TABLE "workspace_signing_settings" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"verified_name_score" integer NOT NULL,
	"review_name_score" integer NOT NULL,
	"is_match_required" boolean NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspace_signing_settings_thresholds_check" CHECK (0 <= "workspace_signing_settings"."review_name_score" and "workspace_signing_settings"."review_name_score" <= "workspace_signing_settings"."verified_name_score" and "workspace_signing_settings"."verified_name_score" <= 100)
);
--> statement-breakpoint
ALTER TABLE "signer_bank_verifications" ADD CONSTRAINT "signer_bank_verifications_signer_id_signers_id_fk" FOREIGN KEY ("signer_id") REFERENCES "public"."signers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signer_bank_verifications" ADD CONSTRAINT "signer_bank_verifications_item_id_plaid_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."plaid_items"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signer_document_views" ADD CONSTRAINT "signer_document_views_signer_id_signers_id_fk" FOREIGN KEY ("signer_id") REFERENCES "public"."signers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signer_document_views" ADD CONSTRAINT "signer_document_views_document_id_signing_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."signing_documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signer_sessions" ADD CONSTRAINT "signer_sessions_session_token_hash_sessions_token_hash_fk" FOREIGN KEY ("session_token_hash") REFERENCES "public"."sessions"("token_hash") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signer_sessions" ADD CONSTRAINT "signer_sessions_signer_id_signers_id_fk" FOREIGN KEY ("signer_id") REFERENCES "public"."signers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signer_sessions" ADD CONSTRAINT "signer_sessions_link_id_signing_links_id_fk" FOREIGN KEY ("link_id") REFERENCES "public"."signing_links"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signers" ADD CONSTRAINT "signers_package_id_signing_packages_id_fk" FOREIGN KEY ("package_id") REFERENCES "public"."signing_packages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signers" ADD CONSTRAINT "signers_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signing_documents" ADD CONSTRAINT "signing_documents_package_id_signing_packages_id_fk" FOREIGN KEY ("package_id") REFERENCES "public"."signing_packages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signing_links" ADD CONSTRAINT "signing_links_signer_id_signers_id_fk" FOREIGN KEY ("signer_id") REFERENCES "public"."signers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signing_packages" ADD CONSTRAINT "signing_packages_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signing_packages" ADD CONSTRAINT "signing_packages_created_by_users_id_fk" FOREIGN KEY ("created_by") REFERENCES "public"."users"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_signing_settings" ADD CONSTRAINT "workspace_signing_settings_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "signer_bank_verifications_item_idx" ON "signer_bank_verifications" USING btree ("plaid_item_id");--> statement-breakpoint
CREATE INDEX "signer_sessions_link_idx" ON "signer_sessions" USING btree ("link_id");--> statement-breakpoint
CREATE UNIQUE INDEX "signers_position_key" ON "signers" USING btree ("package_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "signers_email_key" ON "signers" USING btree ("package_id",lower("email"));--> statement-breakpoint
CREATE INDEX "signers_user_idx" ON "signers" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "signing_documents_position_key" ON "signing_documents" USING btree ("package_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "signing_links_token_hash_key" ON "signing_links" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "signing_links_signer_idx" ON "signing_links" USING btree ("signer_id");--> statement-breakpoint
CREATE INDEX "signing_packages_workspace_idx" ON "signing_packages" USING btree ("workspace_id","created_at");