"""The stats service: Read model of every event; aggregate statistics for the provincial platform."""
