from common.migrations import run_env
from registry import models  # noqa: F401  (registers the tables)
from registry.db import Base

run_env(Base.metadata)
