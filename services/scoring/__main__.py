from services.scoring.app import create_app
from services.scoring.settings import ScoringSettings
from shared.service import serve

serve(create_app, ScoringSettings())
