-- A partner API key can be made safelist-only when it is issued: the gateway then runs only
-- the platform's trusted documents (schema/operations, by documentId) for it, and refuses any
-- other document with OPERATION_NOT_TRUSTED. Existing keys keep running any document.
ALTER TABLE api_keys ADD COLUMN safelist_only boolean NOT NULL DEFAULT false;
