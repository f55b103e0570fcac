from services.loyalty.app import create_app
from services.loyalty.settings import LoyaltySettings
from shared.service import serve

serve(create_app, LoyaltySettings())
