"""The manifest's file name and schema version, shared by the writer (convert) and the readers (validate, runtime)."""

MANIFEST = "manifest.json"
SCHEMA_VERSION = 1
