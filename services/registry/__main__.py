from common.runtime import service_cli
from registry.app import DEFINITION

service_cli(DEFINITION)()
