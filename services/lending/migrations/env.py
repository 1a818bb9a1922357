from common.migrations import run_env
from lending import models  # noqa: F401  (registers the tables)
from lending.db import Base

run_env(Base.metadata)
