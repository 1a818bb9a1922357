from common.migrations import run_env
from stats import models  # noqa: F401  (registers the tables)
from stats.db import Base

run_env(Base.metadata)
