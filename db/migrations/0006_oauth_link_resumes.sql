CREATE TABLE "plaid_link_resumes" (
	"id" uuid PRIMARY KEY NOT NULL,
	"workspace_id" uuid NOT NULL,
	"user_id" uuid,
	"signer_id" uuid,
	"environment" text NOT NULL,
	"mode" text NOT NULL,
	"link_token_ciphertext" text NOT NULL,
	"link_token_key_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "plaid_link_resumes_owner_check" CHECK (("plaid_link_resumes"."user_id" is null) <> ("plaid_link_resumes"."signer_id" is null)),
	CONSTRAINT "plaid_link_resumes_mode_check" CHECK ("plaid_link_resumes"."mode" in ('create', 'update'))
);
--> statement-breakpoint
ALTER TABLE "workspace_plaid_settings" ADD COLUMN "oauth_redirect_uri" text;--> statement-breakpoint
ALTER TABLE "plaid_link_resumes" ADD CONSTRAINT "plaid_link_resumes_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plaid_link_resumes" ADD CONSTRAINT "plaid_link_resumes_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plaid_link_resumes" ADD CONSTRAINT "plaid_link_resumes_signer_id_signers_id_fk" FOREIGN KEY ("signer_id") REFERENCES "public"."signers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "plaid_link_resumes_member_key" ON "plaid_link_resumes" USING btree ("workspace_id","user_id") WHERE "plaid_link_resumes"."user_id" is not null;--> statement-breakpoint
CREATE UNIQUE INDEX "plaid_link_resumes_signer_key" ON "plaid_link_resumes" USING btree ("signer_id") WHERE "plaid_link_resumes"."signer_id" is not null;