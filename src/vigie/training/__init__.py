"""Staff training: short modules with quizzes, assigned by role and care unit, completion
tracked."""
