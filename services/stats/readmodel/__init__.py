"""The read model (读模型): per-subject current state and per-region counters, fed only by events."""
