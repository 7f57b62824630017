"""The establishment's local sensor. Framework-free: it talks to the platform only by its API."""
