CREATE TABLE "webhook_events" (
	"id" uuid PRIMARY KEY NOT NULL,
	"dedupe_key" text NOT NULL,
	"environment" text NOT NULL,
	"workspace_id" uuid,
	"webhook_type" text NOT NULL,
	"webhook_code" text NOT NULL,
	"plaid_item_id" text,
	"raw_body" text NOT NULL,
	"key_id" text NOT NULL,
	"issued_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"delivery_count" integer DEFAULT 1 NOT NULL,
	"last_delivered_at" timestamp with time zone DEFAULT now() NOT NULL,
	"state" text DEFAULT 'queued' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"outcome" text,
	"processed_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "webhook_events_state_check" CHECK ("webhook_events"."state" in ('queued', 'processed', 'ignored', 'orphaned', 'retrying', 'dead'))
);
--> statement-breakpoint
CREATE TABLE "webhook_rejections" (
	"minute" timestamp with time zone NOT NULL,
	"reason" text NOT NULL,
	"count" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "webhook_rejections_minute_reason_pk" PRIMARY KEY("minute","reason")
);
--> statement-breakpoint
ALTER TABLE "webhook_events" ADD CONSTRAINT "webhook_events_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "webhook_events_dedupe_idx" ON "webhook_events" USING btree ("dedupe_key","received_at");--> statement-breakpoint
CREATE INDEX "webhook_events_received_idx" ON "webhook_events" USING btree ("received_at");--> statement-breakpoint
CREATE INDEX "webhook_events_item_idx" ON "webhook_events" USING btree ("plaid_item_id");