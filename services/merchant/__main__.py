from common.runtime import service_cli
from merchant.app import DEFINITION

service_cli(DEFINITION)()
