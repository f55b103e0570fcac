"""What every service of the suite shares: event contracts, settings, factories, runtime."""
