"""TAXII 2.1 server at /taxii2/: what each reader may see, as STIX 2.1, to the tools they use."""
