from services.notify.app import create_app
from services.notify.settings import NotifySettings
from shared.service import serve

serve(create_app, NotifySettings())
