"""What lending knows of each credit subject from the registry (主体档案): kind, region, industry,
status and consent to lending use."""
