"""The publication list (公示名单): a region's ratings by status, for posting in the village."""
