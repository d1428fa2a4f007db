CREATE TABLE "signer_signatures" (
	"signer_id" uuid NOT NULL,
	"kind" text NOT NULL,
	"method" text NOT NULL,
	"png" "bytea",
	"typed_text" text,
	"sha256" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "signer_signatures_signer_id_kind_pk" PRIMARY KEY("signer_id","kind"),
	CONSTRAINT "signer_signatures_kind_check" CHECK ("signer_signatures"."kind" in ('signature', 'initials')),
	CONSTRAINT "signer_signatures_method_check" CHECK (("signer_signatures"."method" = 'drawn' and "signer_signatures"."png" is not null and "signer_signatures"."typed_text" is null) or ("signer_signatures"."method" = 'typed' and "signer_signatures"."typed_text" is not null and "signer_signatures"."png" is null))
);
--> statement-breakpoint
CREATE TABLE "signing_document_fields" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"document_id" uuid NOT NULL,
	"signer_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"type" text NOT NULL,
	"page" integer NOT NULL,
	"x" double precision NOT NULL,
	"y" double precision NOT NULL,
	"width" double precision NOT NULL,
	"height" double precision NOT NULL,
	"is_required" boolean NOT NULL,
	"label" text,
	"value" jsonb,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "signing_document_fields_type_check" CHECK ("signing_document_fields"."type" in ('signature', 'initials', 'name', 'date_signed', 'text', 'checkbox')),
	CONSTRAINT "signing_document_fields_box_check" CHECK ("signing_document_fields"."page" >= 1 and "signing_document_fields"."x" >= 0 and "signing_document_fields"."y" >= 0 and "signing_document_fields"."width" > 0 and "signing_document_fields"."height" > 0 and "signing_document_fields"."x" + "signing_document_fields"."width" <= 1.000001 and "signing_document_fields"."y" + "signing_document_fields"."height" <= 1.000001)
);
--> statement-breakpoint
CREATE TABLE "signing_seals" (
	"package_id" uuid PRIMARY KEY NOT NULL,
	"pdf" "bytea" NOT NULL,
	"sha256" text NOT NULL,
	"byte_size" integer NOT NULL,
	"page_count" integer NOT NULL,
	"certificate_page_count" integer NOT NULL,
	"certificate_sha256" text NOT NULL,
	"sealed_at" timestamp with time zone NOT NULL,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "workspace_seal_certificates" (
	"workspace_id" uuid PRIMARY KEY NOT NULL,
	"source" text DEFAULT 'generated' NOT NULL,
	"certificate_pem" text NOT NULL,
	"key_ciphertext" text NOT NULL,
	"key_key_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "workspace_seal_certificates_source_check" CHECK ("workspace_seal_certificates"."source" in ('generated', 'uploaded'))
);
--> statement-breakpoint
ALTER TABLE "signing_documents" ADD COLUMN "page_count" integer;--> statement-breakpoint
ALTER TABLE "signer_signatures" ADD CONSTRAINT "signer_signatures_signer_id_signers_id_fk" FOREIGN KEY ("signer_id") REFERENCES "public"."signers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signing_document_fields" ADD CONSTRAINT "signing_document_fields_document_id_signing_documents_id_fk" FOREIGN KEY ("document_id") REFERENCES "public"."signing_documents"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signing_document_fields" ADD CONSTRAINT "signing_document_fields_signer_id_signers_id_fk" FOREIGN KEY ("signer_id") REFERENCES "public"."signers"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "signing_seals" ADD CONSTRAINT "signing_seals_package_id_signing_packages_id_fk" FOREIGN KEY ("package_id") REFERENCES "public"."signing_packages"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "workspace_seal_certificates" ADD CONSTRAINT "workspace_seal_certificates_workspace_id_workspaces_id_fk" FOREIGN KEY ("workspace_id") REFERENCES "public"."workspaces"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "signing_document_fields_position_key" ON "signing_document_fields" USING btree ("document_id","position");--> statement-breakpoint
CREATE INDEX "signing_document_fields_signer_idx" ON "signing_document_fields" USING btree ("signer_id");--> statement-breakpoint
CREATE UNIQUE INDEX "signing_seals_sha256_key" ON "signing_seals" USING btree ("sha256");