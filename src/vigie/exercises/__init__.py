"""The yearly cyber crisis exercise: scenario, injects, roles, observations, lessons learned,
actions."""
