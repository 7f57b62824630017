"""Phishing simulations: campaigns to the establishment's own people, tracked links, results by
service."""
