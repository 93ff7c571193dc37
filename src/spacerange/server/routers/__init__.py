"""One router per area; each sets its prefix, tags and router-level auth."""
