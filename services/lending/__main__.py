from common.runtime import service_cli
from lending.app import DEFINITION

service_cli(DEFINITION)()
