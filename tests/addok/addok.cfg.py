# addok configuration of the geocoding tests (copied with the redis port filled in by setup.sh).
# Close to the BAN's: the same fields, `citycode` as a filter and a result column.
REDIS = {
    "host": "127.0.0.1",
    "port": @REDIS_PORT@,
    "indexes": {"db": 0},
    "documents": {"db": 1},
}
FILTERS = ["type", "postcode", "citycode"]
CSV_EXTRA_FIELDS = ["type", "name", "postcode", "city", "citycode", "context"]
BATCH_WORKERS = 1
# Every query (and not-found query) is logged to queries.log / notfound.log in ADDOK_LOG_DIR: the
# tests count them to check, from the server's side, that a cached import sends nothing.
LOG_QUERIES = True
LOG_NOT_FOUND = True
