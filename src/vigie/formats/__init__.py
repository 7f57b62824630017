"""Date and number formats that replace Django's defaults for a language (FORMAT_MODULE_PATH)."""
