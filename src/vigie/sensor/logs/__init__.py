"""Log readers of the sensor: one scanner per format, chosen from the content."""
