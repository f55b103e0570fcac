"""The four services of the suite, one package each."""
