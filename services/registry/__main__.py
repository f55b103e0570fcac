from services.registry.app import create_app
from services.registry.settings import RegistrySettings
from shared.service import serve

serve(create_app, RegistrySettings())
