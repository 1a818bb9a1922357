"""The aggregate figures the provincial platform and the county's leaders read (统计口径)."""
