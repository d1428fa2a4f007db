ALTER TABLE "signers" DROP CONSTRAINT "signers_user_id_users_id_fk";
--> statement-breakpoint
DROP INDEX "plaid_items_one_live_per_user_key";--> statement-breakpoint
DROP INDEX "signers_user_idx";--> statement-breakpoint
ALTER TABLE "sessions" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "link_events" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "plaid_items" ALTER COLUMN "user_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "actor_signer_id" uuid;--> statement-breakpoint
ALTER TABLE "link_events" ADD COLUMN "signer_id" uuid;--> statement-breakpoint
ALTER TABLE "plaid_items" ADD COLUMN "signer_id" uuid;--> statement-breakpoint
ALTER TABLE "link_events" ADD CONSTRAINT "link_events_signer_id_signers_id_fk" FOREIGN KEY ("signer_id") REFERENCES "public"."signers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "plaid_items" ADD CONSTRAINT "plaid_items_signer_id_signers_id_fk" FOREIGN KEY ("signer_id") REFERENCES "public"."signers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
-- Sessions opened from signing links act for their signer record, never as a user account.
UPDATE "sessions" SET "user_id" = NULL WHERE "token_hash" IN (SELECT "session_token_hash" FROM "signer_sessions");--> statement-breakpoint
-- An Item chosen as a signer's payout account belongs to that signer (the latest verification wins);
-- every other Item stays with the member who linked it, in its workspace.
UPDATE "plaid_items" SET "signer_id" = "chosen"."signer_id", "user_id" = NULL
  FROM (SELECT DISTINCT ON ("item_id") "item_id", "signer_id" FROM "signer_bank_verifications"
        WHERE "item_id" IS NOT NULL ORDER BY "item_id", "verified_at" DESC) AS "chosen"
  WHERE "chosen"."item_id" = "plaid_items"."id";--> statement-breakpoint
CREATE INDEX "link_events_signer_idx" ON "link_events" USING btree ("signer_id","received_at");--> statement-breakpoint
CREATE UNIQUE INDEX "plaid_items_one_live_per_member_key" ON "plaid_items" USING btree ("workspace_id","user_id","environment") WHERE "plaid_items"."user_id" is not null and "plaid_items"."status" <> 'removed';--> statement-breakpoint
CREATE UNIQUE INDEX "plaid_items_one_live_per_signer_key" ON "plaid_items" USING btree ("signer_id","environment") WHERE "plaid_items"."signer_id" is not null and "plaid_items"."status" <> 'removed';--> statement-breakpoint
ALTER TABLE "signers" DROP COLUMN "user_id";--> statement-breakpoint
ALTER TABLE "link_events" ADD CONSTRAINT "link_events_owner_check" CHECK (("link_events"."user_id" is null) <> ("link_events"."signer_id" is null));--> statement-breakpoint
ALTER TABLE "plaid_items" ADD CONSTRAINT "plaid_items_owner_check" CHECK (("plaid_items"."user_id" is null) <> ("plaid_items"."signer_id" is null));