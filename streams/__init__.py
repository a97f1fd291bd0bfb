"""The worker: TV deltas counted by a confluent-kafka transactional loop (`direct.py`), web
interactions, the DP releaser and the timers by Faust agents (`app.py`); the bounding and
release math it runs lives in omega/ (windows, ledger, dp, release)."""
